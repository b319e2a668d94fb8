import ArgumentParser

/// The `riskattest` command-line tool. Each subcommand lives in its own file.
struct RiskAttest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "riskattest",
        abstract: "Privacy-preserving risk attestation for crypto-derivative portfolios.",
        subcommands: [
            Version.self,
            PriceCommand.self,
            Metrics.self,
            Demo.self,
            Bench.self,
            Keygen.self,
            Prove.self,
            Verify.self,
            Inspect.self,
            Disclose.self,
            CheckDisclosure.self,
            CryptoCommand.self,
        ]
    )
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the tool version.")
    func run() throws { print("riskattest 0.1.0") }
}

RiskAttest.main()
