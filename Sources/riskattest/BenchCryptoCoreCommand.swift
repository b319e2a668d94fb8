import ArgumentParser

/// Temporary developer command: prints the crypto-core benchmarks (see BENCHMARKS.md).
struct BenchCryptoCore: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench-crypto-core",
        abstract: "Benchmark field, scalar multiplication and MSM against libsodium (temporary).")
    @Option(help: "Repetitions per benchmark.") var reps: Int = 11
    @Flag(help: "Print JSON.") var json = false
    @Option(help: "Only benchmarks whose name starts with this.") var only: String?
    @Option(help: "Comma-separated MSM sizes.") var msmSizes: String = "64,256,1024,4096,16384,65536"
    func run() throws {
        let sizes = msmSizes.split(separator: ",").compactMap { Int($0) }
        let r = cryptoCoreBenchmarks(reps: reps, only: only, msmSizes: sizes)
        print(json ? benchJSON(r) : benchTable(r))
    }
}
