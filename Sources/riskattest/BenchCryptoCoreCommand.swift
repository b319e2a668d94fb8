import ArgumentParser

/// Temporary developer command: prints the crypto-core benchmarks (see BENCHMARKS.md).
struct BenchCryptoCore: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench-crypto-core",
        abstract: "Benchmark field, scalar multiplication and MSM against libsodium (temporary).")
    @Option(help: "Repetitions per benchmark.") var reps: Int = 11
    @Flag(help: "Print JSON.") var json = false
    func run() throws {
        let r = cryptoCoreBenchmarks(reps: reps)
        print(json ? benchJSON(r) : benchTable(r))
    }
}
