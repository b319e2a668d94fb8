import ArgumentParser
import Foundation
import RiskEngine

/// The `riskattest` command-line tool. Each subcommand lives in its own file.
struct RiskAttest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "riskattest",
        abstract: "Privacy-preserving risk attestation for crypto-derivative portfolios.",
        version: Version.text,
        subcommands: [
            Version.self,
            PriceCommand.self,
            IVCommand.self,
            Metrics.self,
            CascadeCommand.self,
            Demo.self,
            Bench.self,
            Keygen.self,
            Prove.self,
            Verify.self,
            Inspect.self,
            Disclose.self,
            CheckDisclosure.self,
            CryptoCommand.self,
            Serve.self,
            Audit.self,
            Restamp.self,
        ]
    )
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the tool version.")
    static let text = "riskattest 0.2.0"
    func run() throws { print(Self.text) }
}

/// The one place where errors become exit codes (README, "Exit codes"):
///
/// - 0: success (for `verify`, `check-disclosure`, `crypto verify-range`: valid), and `--help`;
/// - 1: thrown explicitly as `ExitCode(1)` by a command whose check came out negative (an invalid
///   attestation, a rejected disclosure or range proof, a violated constraint in `prove`);
/// - 2: everything else — unusable input.
///
/// Why not `RiskAttest.main()`: swift-argument-parser exits 64 (EX_USAGE) for usage errors (a
/// missing or unknown option, a value that does not parse, `--at -1` read as an option) and for
/// `ValidationError`s thrown by `validate()`, and 1 for any other error a command throws. A script
/// must be able to tell "checked and rejected" (1) from "could not check" (2) whatever was wrong
/// with its input, so both are folded into 2. Explicit `ExitCode`s and help requests keep the
/// parser's behaviour. Error text can echo command-line or file contents, so each line is passed
/// through `UntrustedText.escape` before it reaches the terminal.
enum ExitStatus {
    static let unusableInput: Int32 = 2

    static func run() -> Never {
        do {
            var command = try RiskAttest.parseAsRoot()
            try command.run()
            RiskAttest.exit()
        } catch {
            if error is ExitCode || RiskAttest.exitCode(for: error).isSuccess {
                RiskAttest.exit(withError: error)   // explicit codes, --help, --version
            }
            let message = RiskAttest.fullMessage(for: error)
            if !message.isEmpty {
                let safe = message.split(separator: "\n", omittingEmptySubsequences: false)
                    .map { UntrustedText.escape(String($0)) }.joined(separator: "\n")
                FileHandle.standardError.write(Data((safe.hasSuffix("\n") ? safe : safe + "\n").utf8))
            }
            Foundation.exit(unusableInput)
        }
    }
}

ExitStatus.run()
