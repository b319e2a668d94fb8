import ArgumentParser
import Foundation

/// `riskattest bench`: the release-mode benchmarks behind BENCHMARKS.md (never part of CI).
///
/// Every subcommand reports the machine's load average before and after its run (on stderr
/// under `--json`, so stdout stays the documented document): on the shared 2-core machine the
/// medians move with the load, and the minimum is the least-disturbed figure.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Release-mode benchmarks: risk engine, crypto core and range proofs, attestations.",
        subcommands: [BenchEngine.self, BenchCrypto.self, BenchAttest.self, BenchPortfolio.self, BenchWarmVerify.self,
                      BenchAll.self])
}

/// The 1-, 5- and 15-minute load averages from /proc/loadavg ("n/a" where there is none).
func benchLoadAverage() -> String {
    guard let s = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return "n/a" }
    return s.split(separator: " ").prefix(3).joined(separator: " ")
}

/// Writes a status line to stderr (kept off stdout so `--json` output stays parseable).
func benchNote(_ s: String) { FileHandle.standardError.write(Data((s + "\n").utf8)) }

/// Prints a benchmark's document as JSON (the load averages on stderr) or as its table (the load
/// averages above it): every bench reports the machine's load the same way.
func benchPrint<T: Encodable>(_ d: T, json: Bool, loadBefore: String, table: (T) -> String) throws {
    let load = "load average before: \(loadBefore); after: \(benchLoadAverage())"
    if json {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        print(String(decoding: try enc.encode(d), as: UTF8.self))
        benchNote(load)
    } else {
        print("(\(load))\n" + table(d))
    }
}

/// `riskattest bench crypto`: field, scalar multiplication (ours and libsodium's, interleaved),
/// MSM from 64 to 65,536 terms, and range proofs (prove and verify for the (n, m) of INTEROP.md,
/// batch verification of 64 proofs).
struct BenchCrypto: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "crypto",
        abstract: "Benchmark field, scalar multiplication, MSM (libsodium baseline) and range proofs.")
    @Option(help: "Repetitions per benchmark (fewer for the largest MSMs and m = 512 proofs).") var reps: Int = 11
    @Flag(help: "Print {\"results\": [...]} JSON.") var json = false
    @Option(help: "Only benchmarks whose name starts with one of these comma-separated prefixes.") var only: String?
    @Option(help: "Comma-separated MSM sizes.") var msmSizes: String = "64,256,1024,4096,16384,65536"
    @Option(help: "Comma-separated range-proof shapes NxM (default: 64x1,64x8,64x32,64x512,32x1); the batch benchmark runs only without this option.")
    var shapes: String?

    /// `--shapes` parsed: n ∈ {8, 16, 32, 64}, m a power of two ≤ 2048.
    static func parseShapes(_ text: String) -> [(Int, Int)]? {
        var out: [(Int, Int)] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let nm = part.split(separator: "x", omittingEmptySubsequences: false)
            guard nm.count == 2, let n = Int(nm[0]), let m = Int(nm[1]), [8, 16, 32, 64].contains(n),
                  m >= 1, m <= 2048, m & (m - 1) == 0 else { return nil }
            out.append((n, m))
        }
        return out.isEmpty ? nil : out
    }

    func validate() throws {
        guard reps >= 1 else { throw ValidationError("--reps must be at least 1") }
        if let shapes, Self.parseShapes(shapes) == nil {
            throw ValidationError("--shapes must be comma-separated NxM with N in 8,16,32,64 and M a power of two up to 2048, e.g. 64x8,32x1")
        }
        let sizes = msmSizes.split(separator: ",").map { Int($0) }
        guard !sizes.isEmpty, sizes.allSatisfy({ ($0 ?? 0) >= 1 && ($0 ?? 0) <= 1 << 20 }) else {
            throw ValidationError("--msm-sizes must be comma-separated integers in 1...1048576")
        }
    }

    static func records(reps: Int, only: String? = nil, msmSizes: [Int] = [64, 256, 1024, 4096, 16384, 65536],
                        shapes: [(Int, Int)]? = nil) -> [BenchRecord] {
        var r = cryptoCoreBenchmarks(reps: reps, only: only, msmSizes: msmSizes)
        if benchSelectsGroup(only, "rangeproof") {
            r += rangeProofBenchmarks(reps: reps, shapes: shapes, only: only).filter { benchSelects(only, $0.name) }
        }
        return r
    }

    func run() throws {
        let load0 = benchLoadAverage()
        let r = Self.records(reps: reps, only: only, msmSizes: msmSizes.split(separator: ",").compactMap { Int($0) },
                             shapes: shapes.flatMap(Self.parseShapes))
        let load = "load average before: \(load0); after: \(benchLoadAverage())"
        if json { print(benchJSON(r)); benchNote(load) } else { print("crypto core (\(load))\n" + benchTable(r)) }
    }
}

/// `riskattest bench attest`: Prover.prove, Verifier.verify and Verifier.verifyBatch on a
/// generated 256-instrument market with a 39-constraint circuit (see AttestBench).
struct BenchAttest: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "attest",
        abstract: "Benchmark proving, verifying and batch-verifying attestations (256 instruments, ~40 constraints).")
    @Option(help: "Repetitions of prove and verify (batch verification: at most 5).") var reps: Int = 5
    @Option(help: "Attestations in the batch.") var batch: Int = 100
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        guard reps >= 1 else { throw ValidationError("--reps must be at least 1") }
        guard batch >= 1 && batch <= 1000 else { throw ValidationError("--batch must be in 1...1000") }
    }

    struct Doc: Codable { var results: [BenchRecord]; var attestation: AttestBench.Summary }

    static func document(reps: Int, batch: Int, quiet: Bool) throws -> Doc {
        do {
            let (r, s) = try AttestBench.run(reps: reps, batchCount: batch, progress: quiet ? nil : { benchNote($0) })
            return Doc(results: r, attestation: s)
        } catch {
            benchNote("error: \(error)")
            throw ExitCode(1)
        }
    }

    static func table(_ d: Doc) -> String {
        let s = d.attestation
        let sizes = s.proof_bytes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        return """
        attestations: \(s.instruments) instruments, \(s.positions) positions, \(s.collateral_assets) collateral assets, \
        \(s.scenarios) scenarios, \(s.constraints) constraints; market snapshot \(s.market_bytes) bytes
        attestation \(s.attestation_bytes) bytes (proofs: \(sizes))
        batch of \(s.batch_count): per attestation / one alone = \(String(format: "%.3f", s.batch_per_attestation_over_single))
        \(benchTable(d.results))
        """
    }

    func run() throws {
        let load0 = benchLoadAverage()
        let d = try Self.document(reps: reps, batch: batch, quiet: false)
        try benchPrint(d, json: json, loadBefore: load0, table: Self.table)
    }
}

/// `riskattest bench all`: the three groups in turn (what `make bench` runs).
struct BenchAll: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "all",
        abstract: "Run the engine, crypto and attestation benchmarks.")
    @Option(help: "Repetitions (default: each group's own default).") var reps: Int?
    @Flag(help: "Print one JSON document {\"engine\", \"crypto\", \"attest\"}.") var json = false

    func validate() throws {
        if let r = reps, r < 1 { throw ValidationError("--reps must be at least 1") }
    }

    func run() throws {
        let engine = try BenchEngine.parse(["--reps", String(reps ?? 15)])
        let loads = [benchLoadAverage()]
        if !json { print("== bench engine (load average \(loads[0]))") }
        let e = try engine.measure()
        if !json { print(BenchEngine.table(e)); print("\n== bench crypto (load average \(benchLoadAverage()))") }
        let c = BenchCrypto.records(reps: reps ?? 11)
        if !json { print(benchTable(c)); print("\n== bench attest (load average \(benchLoadAverage()))") }
        let a = try BenchAttest.document(reps: reps ?? 5, batch: 100, quiet: json)
        if !json { print(BenchAttest.table(a)); print("\nload average at the end: \(benchLoadAverage())"); return }
        // One document: each part in its own command's JSON shape.
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        let cryptoObj = try JSONSerialization.jsonObject(with: Data(benchJSON(c).utf8))
        let attestObj = try JSONSerialization.jsonObject(with: try enc.encode(a))
        let doc: [String: Any] = ["engine": ["results": e.results], "crypto": cryptoObj, "attest": attestObj,
                                  "load_average": ["start": loads[0], "end": benchLoadAverage()]]
        let d = try JSONSerialization.data(withJSONObject: doc, options: [.prettyPrinted, .sortedKeys])
        FileHandle.standardOutput.write(d + Data("\n".utf8))
    }
}
