import Foundation
import XCTest
import Attestation
import SystemCrypto
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The crash safety of `prove`'s output pair (FILE, FILE.openings), checked on the real binary:
/// it is killed with SIGKILL at random instants and the pair left on disk is inspected each time.
/// `swift build --build-tests` builds the executable next to the test bundle.
final class ProvePairCLITests: XCTestCase {
    static func binary() throws -> URL { try EndToEnd.binary() }

    struct Run { var status: Int32; var signaled: Bool; var stderr: String }

    static func start(_ args: [String]) throws -> (Process, Pipe) {
        let p = Process()
        p.executableURL = try binary()
        p.arguments = args
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        return (p, err)
    }

    static func finish(_ p: Process, _ err: Pipe) -> Run {
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Run(status: p.terminationStatus, signaled: p.terminationReason == .uncaughtSignal,
                   stderr: String(decoding: e, as: UTF8.self))
    }

    static func run(_ args: [String]) throws -> Run {
        let (p, e) = try start(args)
        return finish(p, e)
    }

    /// A key and the prove arguments for the example book with the smallest shipped circuit.
    static func setUp(_ dir: URL) throws -> (prove: (String) -> [String], key: String) {
        let key = dir.appendingPathComponent("prover").path
        let k = try run(["keygen", "--out", key])
        guard k.status == 0 else { throw XCTSkip("keygen failed: \(k.stderr)") }
        let root = EndToEnd.root
        let args: (String) -> [String] = { out in
            ["prove", "--quiet", "--portfolio", root.appendingPathComponent("Examples/portfolio.json").path,
             "--market", root.appendingPathComponent("Examples/market.json").path,
             "--circuit", root.appendingPathComponent("Circuits/leverage.circuit").path,
             "--key", key + ".key", "--created-at", "2026-11-24T08:00:00Z", "--out", out]
        }
        return (args, key)
    }

    /// The invariant after any kill: FILE is a complete attestation and FILE.openings holds the
    /// set for exactly that attestation (hash and book root), mode 0600. Returns its hash and
    /// whether the openings still carried a `previous` set (the middle of an update).
    static func checkPair(_ out: String, file: StaticString = #filePath, line: UInt = #line) throws -> (hash: [UInt8], transitional: Bool) {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: out)))
        let a = try AttestationV1.decode(bytes)
        let openings = try OpeningsFile.parse([UInt8](Data(contentsOf: URL(fileURLWithPath: out + ".openings"))))
        let set = try openings.openings(for: a)
        XCTAssertEqual(set.attestationHash, Digest.sha256.hash(bytes), file: file, line: line)
        let mode = (try FileManager.default.attributesOfItem(atPath: out + ".openings")[.posixPermissions] as? NSNumber)?.intValue
        XCTAssertEqual(mode, 0o600, file: file, line: line)
        return (a.hash, openings.previous != nil)
    }

    static func temps(_ dir: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".tmp-") }
    }

    func testSigkillAtRandomPointsLeavesTheOldOrTheNewPair() throws {
        let dir = try EndToEnd.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (prove, _) = try Self.setUp(dir)
        let out = dir.appendingPathComponent("book.att").path

        let t0 = Date()
        let first = try Self.run(prove(out))
        XCTAssertEqual(first.status, 0, first.stderr)
        let proveSeconds = Date().timeIntervalSince(t0)
        var current = try Self.checkPair(out).hash

        var rng = SystemRandomNumberGenerator()
        var killed = 0, completed = 0, replaced = 0, kept = 0, transitional = 0
        // Bounded in time, but long enough for 30+ runs when the shared machine is slow.
        let budget = Date().addingTimeInterval(min(300, max(120, 45 * 1.4 * proveSeconds)))
        var iteration = 0
        while iteration < 48, Date() < budget {
            iteration += 1
            let (p, err) = try Self.start(prove(out))
            if iteration % 2 == 0 {
                // Anywhere in the run, proving included (sometimes after it ended).
                usleep(UInt32(Double.random(in: 0...(1.4 * proveSeconds), using: &rng) * 1e6))
            } else {
                // Aimed at the commit: wait until a temp file of the pair appears, then 0-20 ms
                // (writes, fsyncs and renames of the pair take a few ms).
                let limit = Date().addingTimeInterval(3 * proveSeconds + 1)
                while p.isRunning, Date() < limit, (try? Self.temps(dir))?.isEmpty ?? true { usleep(200) }
                usleep(UInt32.random(in: 0...20_000, using: &rng))
            }
            kill(p.processIdentifier, SIGKILL)
            let r = Self.finish(p, err)
            if r.signaled { killed += 1 } else {
                XCTAssertEqual(r.status, 0, "iteration \(iteration): \(r.stderr)")
                completed += 1
            }
            let state: (hash: [UInt8], transitional: Bool)
            do { state = try Self.checkPair(out) } catch {
                XCTFail("iteration \(iteration) (killed: \(r.signaled)): the pair is broken: \(error)")
                return
            }
            if state.hash == current { kept += 1 } else { replaced += 1 }
            if state.transitional { transitional += 1 }
            current = state.hash
        }
        print("prove pair kill test: \(iteration) runs (one prove \(String(format: "%.2f", proveSeconds)) s): \(killed) killed, "
              + "\(completed) completed; pair kept \(kept), replaced \(replaced); \(transitional) left mid-update (old + new openings)")
        XCTAssertGreaterThanOrEqual(iteration, 30, "too few iterations in the time budget")
        XCTAssertGreaterThan(killed, 0)
        XCTAssertGreaterThan(kept, 0)
        XCTAssertGreaterThan(replaced, 0)

        // A clean run afterwards removes the killed runs' temp files and leaves a plain pair.
        let last = try Self.run(prove(out))
        XCTAssertEqual(last.status, 0, last.stderr)
        let final = try Self.checkPair(out)
        XCTAssertFalse(final.transitional)
        XCTAssertEqual(try Self.temps(dir), [])
    }

    func testPreflightForeignOpeningsMismatchAndStaleTemps() throws {
        let dir = try EndToEnd.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (prove, _) = try Self.setUp(dir)
        let a = dir.appendingPathComponent("a.att").path
        let b = dir.appendingPathComponent("b.att").path

        // An unusable --out fails before proving (no progress lines, exit 2).
        let missing = dir.appendingPathComponent("no/such/dir/x.att").path
        var r = try Self.run(prove(missing).filter { $0 != "--quiet" })
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("cannot write to the output directory \(dir.path)/no/such/dir"), r.stderr)
        XCTAssertFalse(r.stderr.contains("prove:"), r.stderr)

        // A directory in the way of FILE is refused before proving too.
        let dirOut = dir.appendingPathComponent("taken.att")
        try FileManager.default.createDirectory(at: dirOut, withIntermediateDirectories: false)
        r = try Self.run(prove(dirOut.path).filter { $0 != "--quiet" })
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("\(dirOut.path) exists and is not a regular file"), r.stderr)
        XCTAssertFalse(r.stderr.contains("prove:"), r.stderr)
        try FileManager.default.removeItem(at: dirOut)

        XCTAssertEqual(try Self.run(prove(a)).status, 0)
        XCTAssertEqual(try Self.run(prove(b)).status, 0)
        let aOpenings = try Data(contentsOf: URL(fileURLWithPath: a + ".openings"))

        // disclose with a mismatched pair names both files and fails.
        let d = dir.appendingPathComponent("d.json").path
        r = try Self.run(["disclose", "--attestation", a, "--openings", b + ".openings", "--instrument", "BTCUSDT-PERP", "--out", d])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("\(b).openings does not belong to \(a)"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: d))
        r = try Self.run(["disclose", "--attestation", a, "--openings", a + ".openings", "--instrument", "BTCUSDT-PERP", "--out", d])
        XCTAssertEqual(r.status, 0, r.stderr)

        // Openings of another attestation are not overwritten without --force: b's openings
        // replaced by a's make b's pair foreign.
        try aOpenings.write(to: URL(fileURLWithPath: b + ".openings"))
        let bBefore = try Data(contentsOf: URL(fileURLWithPath: b))
        r = try Self.run(prove(b).filter { $0 != "--quiet" })
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("\(b).openings does not belong to \(b)"), r.stderr)
        XCTAssertTrue(r.stderr.contains("--force"), r.stderr)
        XCTAssertFalse(r.stderr.contains("prove:"), "refused before proving: \(r.stderr)")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: b + ".openings")), aOpenings)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: b)), bBefore)
        // Openings without their attestation are refused too.
        try FileManager.default.removeItem(atPath: b)
        r = try Self.run(prove(b))
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("does not exist"), r.stderr)
        // --force replaces them.
        r = try Self.run(prove(b) + ["--force"])
        XCTAssertEqual(r.status, 0, r.stderr)
        _ = try Self.checkPair(b)

        // Stale temp files of ours (writer PID gone) are removed; a live writer's, an unrelated
        // file and a pre-PID temp file younger than an hour are left alone.
        let dead = Process()
        dead.executableURL = URL(fileURLWithPath: "/bin/true")
        try dead.run()
        dead.waitUntilExit()
        let deadPID = dead.processIdentifier
        let stale = [".a.att.tmp-\(deadPID)-abcdefgh", ".a.att.openings.tmp-\(deadPID)-0123abcd"]
        let keep = [".a.att.tmp-\(getpid())-abcdefgh", ".a.att.tmp-notours", ".a.att.tmp-zyxwvuts", ".b.att.tmp-\(deadPID)-abcdefgh"]
        for n in stale + keep { try Data("x".utf8).write(to: dir.appendingPathComponent(n)) }
        r = try Self.run(prove(a))
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try Self.temps(dir).sorted(), keep.sorted())
        _ = try Self.checkPair(a)
    }
}
