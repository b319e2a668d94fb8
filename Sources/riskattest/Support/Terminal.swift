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

extension CLI {
    /// Reads a private key file, refusing one that group or others may read or write.
    ///
    /// Why, as ssh does for identity files: a signing key that other accounts can read is as good
    /// as published (anyone who copies it can sign attestations in the firm's name), and one they
    /// can write can be swapped for theirs. Refusing, rather than warning, makes the mistake
    /// impossible to overlook; `keygen` writes keys with mode 0600, so only keys copied or created
    /// by other means can trip it. The check reads the mode of the file the path resolves to.
    static func privateKeyText(_ path: String) throws(Failure) -> String {
        guard let attrs = try? FileManager.default.attributesOfItem(atPath: path) else {
            throw Failure(description: "key \(path): no such file or not readable")
        }
        if let perms = (attrs[.posixPermissions] as? NSNumber)?.intValue, perms & 0o077 != 0 {
            let octal = String(perms & 0o7777, radix: 8)
            let mode = String(repeating: "0", count: max(0, 4 - octal.count)) + octal
            throw Failure(description: "key \(path): permissions \(mode) are too open: a private key must not be "
                          + "accessible by group or others; run `chmod 600 \(path)`")
        }
        return try text(path, what: "key")
    }
}
