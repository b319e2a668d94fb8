import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Prover
import Ristretto255
import SystemCrypto
import Verifier

/// `riskattest bench warm-verify`: what a long-running verification service gains over a
/// one-shot `riskattest verify` process for the same 256-instrument attestation (the issue's
/// target: warm ≤ 40 % of one-shot).
///
/// Both sides are measured in the same run, interleaved: each repetition first runs a fresh
/// `riskattest verify` process (this binary, `/proc/self/exe`) on files written to `--dir`, timed
/// wall-clock from spawn to exit, then verifies the same attestation in-process with a
/// `VerifierContext` that was warmed beforehand. The one-shot figure therefore includes what a
/// process pays each time (start-up, reading the files, parsing, generator derivation, tables);
/// the warm figure is what a service pays per attestation.
struct BenchWarmVerify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "warm-verify",
        abstract: "One-shot `riskattest verify` processes against in-process verification with a warm VerifierContext (256 instruments).")

    @Option(help: "Repetitions (interleaved: one process, then one warm verification).") var reps: Int = 11
    @Option(help: "Distinct attestations to prove and cycle through.") var attestations: Int = 3
    @Option(help: "Directory for the snapshot, book, circuit, key and attestation files (created; default a temporary one).") var dir: String?
    @Flag(help: "Only write the files (and print the verify command), measure nothing.") var writeOnly = false
    @Flag(help: "Print JSON.") var json = false
    @Option(help: "Executable timed for the one-shot processes (default: this one), e.g. a build of the commit before VerifierContext, for a baseline of the same run.")
    var oneShotBinary: String = "/proc/self/exe"
    @Flag(help: "Only the warm verifications, no processes (for a profiler: `perf record riskattest bench warm-verify --warm-only`).")
    var warmOnly = false

    func validate() throws {
        guard reps >= 1 else { throw ValidationError("--reps must be at least 1") }
        guard (1...20).contains(attestations) else { throw ValidationError("--attestations must be in 1...20") }
    }

    /// The generated inputs, as files and as in-memory requests.
    struct Fixture {
        var dir: String
        var marketBytes: [UInt8]
        var circuitSource: String
        var key: Ed25519PrivateKey
        var encoded: [[UInt8]]
        var now: Int64
        var attestationPaths: [String]
        var verifyArguments: [[String]]

        func request(_ k: Int) -> VerificationRequest {
            VerificationRequest(attestationBytes: encoded[k % encoded.count], marketBytes: marketBytes, circuitSource: circuitSource,
                                trustedKeys: [key.publicKey], now: now)
        }
    }

    static func fixture(dir: String, attestations: Int) throws -> Fixture {
        let (marketJSON, insts) = AttestBench.market(instruments: 256)
        let marketBytes = Array(marketJSON.utf8)
        let portfolioBytes = Array(AttestBench.portfolio(insts).utf8)
        let key = Ed25519PrivateKey.generate()
        let createdAt = AttestBench.asOf + 60
        let request = ProveRequest(marketBytes: marketBytes, portfolioBytes: portfolioBytes,
                                   circuitSource: AttestBench.circuitSource, key: key, createdAt: createdAt)
        var encoded: [[UInt8]] = []
        for _ in 0..<attestations {
            do { encoded.append(try Prover.prove(request).attestation.encode()) } catch {
                throw CLI.fail("bench warm-verify: proving failed: \(error)", code: 1)
            }
        }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let marketPath = dir + "/market.json", circuitPath = dir + "/bench.circuit", pubPath = dir + "/firm.pub"
        try AtomicFile.write(marketBytes, to: marketPath, mode: 0o644)
        try AtomicFile.write(Array(AttestBench.circuitSource.utf8), to: circuitPath, mode: 0o644)
        try AtomicFile.write(Array(key.publicKey.pem.utf8), to: pubPath, mode: 0o644)
        // The book too, so that other attestations of the same shape can be proved from the
        // files (e.g. Bench/service/load.py proves them with service-issued nonces).
        try AtomicFile.write(portfolioBytes, to: dir + "/portfolio.json", mode: 0o644)
        var paths: [String] = []
        for (k, bytes) in encoded.enumerated() {
            let p = dir + "/bench-\(k).att"
            try AtomicFile.write(bytes, to: p, mode: 0o644)
            paths.append(p)
        }
        let now = createdAt + 10
        let args = paths.map { ["verify", "--attestation", $0, "--market", marketPath, "--circuit", circuitPath,
                                "--trust", pubPath, "--at", String(now)] }
        return Fixture(dir: dir, marketBytes: marketBytes, circuitSource: AttestBench.circuitSource, key: key,
                       encoded: encoded, now: now, attestationPaths: paths, verifyArguments: args)
    }

    /// Runs `binary` with `arguments`, output discarded; wall-clock milliseconds from spawn to
    /// exit, or an error when it does not exit 0. `posix_spawn` and `waitpid` directly, as
    /// hyperfine does: Foundation's `Process` added ~30–40 ms per run here (its exit is noticed
    /// through a run-loop source), which would flatter the warm/one-shot ratio.
    static func timeProcess(_ arguments: [String], binary: String = "/proc/self/exe") throws -> Double {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv: [UnsafeMutablePointer<CChar>?] = ([binary] + arguments).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var pid: pid_t = 0
        let clock = ContinuousClock(), start = clock.now
        let rc = posix_spawn(&pid, binary, &actions, nil, argv, environ)
        guard rc == 0 else { throw CLI.fail("bench warm-verify: cannot start \(binary): error \(rc)", code: 2) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let (s, atto) = (clock.now - start).components
        // Exited normally with status 0 (WIFEXITED and WEXITSTATUS by hand: Glibc's are macros).
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else {
            throw CLI.fail("bench warm-verify: `\(binary) \(arguments.joined(separator: " "))` failed (wait status \(status))", code: 1)
        }
        return Double(s) * 1e3 + Double(atto) * 1e-15
    }

    func run() throws {
        let dir = self.dir ?? (NSTemporaryDirectory() + "riskattest-warm-verify-\(getpid())")
        let f = try Self.fixture(dir: dir, attestations: attestations)
        benchNote("wrote \(f.attestationPaths.count) attestations and their inputs to \(dir)")
        benchNote("one-shot command: riskattest " + f.verifyArguments[0].joined(separator: " "))
        if writeOnly { return }
        let load0 = benchLoadAverage()
        let d = try Self.measure(f, reps: reps, warmOnly: warmOnly, binary: oneShotBinary)
        try benchPrint(d, json: json, loadBefore: load0, table: Self.table)
    }

    struct Summary: Codable {
        /// Median warm in-process verification over median one-shot process (the issue's ≤ 0.40).
        var warm_over_one_shot: Double
        /// The same with a context keeping prepared generator points instead of fixed-base tables.
        var warm_no_tables_over_one_shot: Double
        /// Median no-context in-process verification over median one-shot process.
        var fresh_over_one_shot: Double
        var warm_up_ms: Double
        var warm_up_no_tables_ms: Double
        var context: VerifierContext.Stats
        var context_no_tables: VerifierContext.Stats
        var attestation_bytes: Int
        var attestations: Int
        var threads: Int
        /// The executable the one-shot processes ran.
        var one_shot_binary: String
    }
    struct Doc: Codable { var results: [BenchRecord]; var summary: Summary }

    /// Interleaved repetitions of: a one-shot process, a warm-context verification, and a
    /// verification without a context in this process (generator chains already derived, since
    /// proving derived them: what the process-wide cache alone gives).
    static func measure(_ f: Fixture, reps: Int, warmOnly: Bool = false, binary: String = "/proc/self/exe") throws -> Doc {
        let clock = ContinuousClock()
        func ms(_ d: Duration) -> Double { Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) * 1e-15 }
        // The default context (fixed-base generator tables) and one keeping prepared points only.
        let context = VerifierContext(), lean = VerifierContext(fixedBaseTables: false)
        var warmUps: [Double] = []
        for c in [context, lean] {
            let t0 = clock.now
            do { try c.warm(marketBytes: f.marketBytes, circuitSource: f.circuitSource) } catch {
                throw CLI.fail("bench warm-verify: warm-up failed: \(error)", code: 1)
            }
            warmUps.append(ms(clock.now - t0))
        }
        var oneShot: [Double] = [], warm: [Double] = [], warmLean: [Double] = [], fresh: [Double] = []
        func check(_ r: VerificationReport) throws {
            guard r.valid else { throw CLI.fail("bench warm-verify: verification failed: \(r.reason ?? "?")", code: 1) }
        }
        if !warmOnly { _ = try timeProcess(f.verifyArguments[0], binary: binary) }     // page cache, binary loaded once
        for k in 0..<reps {
            var start = clock.now
            let w = Verifier.verify(f.request(k), context: context)
            warm.append(ms(clock.now - start))
            try check(w)
            if warmOnly { oneShot.append(.nan); fresh.append(.nan); warmLean.append(.nan); continue }
            start = clock.now
            let l = Verifier.verify(f.request(k), context: lean)
            warmLean.append(ms(clock.now - start))
            try check(l)
            oneShot.append(try timeProcess(f.verifyArguments[k % f.verifyArguments.count], binary: binary))
            start = clock.now
            let c = Verifier.verify(f.request(k))
            fresh.append(ms(clock.now - start))
            try check(c)
        }
        func record(_ name: String, _ t: [Double]) -> BenchRecord {
            let s = t.sorted(), n = s.count
            let median = n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
            return BenchRecord(name: name, n: nil, m: nil, count: 256, median_ms: median, min_ms: s[0], max_ms: s[n - 1], reps: n)
        }
        let r = [record("warm_verify.one_shot_process", oneShot), record("warm_verify.warm_context", warm),
                 record("warm_verify.warm_context_no_tables", warmLean), record("warm_verify.no_context_in_process", fresh)]
        return Doc(results: r, summary: Summary(
            warm_over_one_shot: r[1].median_ms / r[0].median_ms,
            warm_no_tables_over_one_shot: r[2].median_ms / r[0].median_ms,
            fresh_over_one_shot: r[3].median_ms / r[0].median_ms,
            warm_up_ms: warmUps[0], warm_up_no_tables_ms: warmUps[1], context: context.stats,
            context_no_tables: lean.stats, attestation_bytes: f.encoded[0].count,
            attestations: f.encoded.count, threads: Parallel.threads, one_shot_binary: binary))
    }

    static func table(_ d: Doc) -> String {
        let s = d.summary
        return """
        256 instruments, \(s.attestations) attestations of \(s.attestation_bytes) bytes cycled; \(s.threads) threads; \
        one-shot processes: \(s.one_shot_binary)
        warm-up (VerifierContext.warm) \(String(format: "%.1f", s.warm_up_ms)) ms; context: \(s.context)
        without tables: warm-up \(String(format: "%.1f", s.warm_up_no_tables_ms)) ms; context: \(s.context_no_tables)
        warm / one-shot = \(String(format: "%.3f", s.warm_over_one_shot)) (target ≤ 0.40); \
        without tables \(String(format: "%.3f", s.warm_no_tables_over_one_shot)); \
        no context in-process / one-shot = \(String(format: "%.3f", s.fresh_over_one_shot))
        \(benchTable(d.results))
        """
    }
}
