import Foundation
import RiskEngine

/// Output for the CLI. Whatever a command prints may carry text from its input files (ids,
/// names, parameter values, decoder messages quoting them), so it goes through
/// `UntrustedText.escape` (RiskEngine) on the way out; see that type for why and what is escaped.
enum Terminal {
    /// Prints one line to stdout, escaped as a whole: the line must not contain intended newlines
    /// (every LF, CR or other control in it comes from a value and is shown as an escape).
    static func line(_ s: String) { print(UntrustedText.escape(s)) }

    /// Writes `error: MESSAGE` to stderr, the message escaped as one line.
    static func error(_ message: String) {
        FileHandle.standardError.write(Data("error: \(UntrustedText.escape(message))\n".utf8))
    }
}
