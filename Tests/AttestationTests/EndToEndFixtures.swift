import Foundation
import XCTest
import Attestation
import Prover
import Verifier
import SystemCrypto

/// Shared inputs for the end-to-end, tamper, golden and interop tests: the shipped circuits and
/// the example book, a deterministic prover key, and one proved attestation per circuit, cached
/// so the whole suite proves each circuit once.
enum EndToEnd {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// 2026-11-24T08:00:00Z, the example snapshot's as-of time.
    static let createdAt: Int64 = 1_795_507_200
    static let validFor: Int64 = 86_400
    /// One hour after creation: inside the validity window.
    static let verifyAt: Int64 = createdAt + 3_600

    static let circuitNames = ["concentration", "delta-band", "funding-carry", "leverage",
                               "liquidation-buffer", "portfolio-margin", "solvency"]

    static func bytes(_ relativePath: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: root.appendingPathComponent(relativePath)))
    }
    static func text(_ relativePath: String) throws -> String {
        String(decoding: try bytes(relativePath), as: UTF8.self)
    }

    static func market() throws -> [UInt8] { try bytes("Examples/market.json") }
    static func portfolio() throws -> [UInt8] { try bytes("Examples/portfolio.json") }
    static func circuit(_ name: String) throws -> String { try text("Circuits/\(name).circuit") }

    /// The example market with one digit of BTC's index price changed (97012.35 → 97012.36):
    /// still a valid snapshot with the same id, but different bytes.
    static func marketOneDigitChanged() throws -> [UInt8] {
        let s = String(decoding: try market(), as: UTF8.self)
        let changed = s.replacingOccurrences(of: "\"index_price\": 97012.35", with: "\"index_price\": 97012.36")
        precondition(changed != s, "example market no longer has the expected BTC index price")
        return Array(changed.utf8)
    }

    /// Deterministic prover key: seed = 32 bytes of 0x42 (used by the golden vectors too).
    static let goldenKey: Ed25519PrivateKey = {
        guard let k = try? Ed25519PrivateKey(seed: [UInt8](repeating: 0x42, count: 32)) else {
            fatalError("a 32-byte seed is always a valid Ed25519 key")
        }
        return k
    }()
    /// A second key, trusted by no one in these tests.
    static let otherKey: Ed25519PrivateKey = {
        guard let k = try? Ed25519PrivateKey(seed: [UInt8](repeating: 0x17, count: 32)) else {
            fatalError("a 32-byte seed is always a valid Ed25519 key")
        }
        return k
    }()

    static func request(circuit name: String, portfolio: [UInt8]? = nil, parameters: [String: String] = [:],
                        nonce: [UInt8]? = nil, key: Ed25519PrivateKey = goldenKey) throws -> ProveRequest {
        ProveRequest(marketBytes: try market(), portfolioBytes: try portfolio ?? EndToEnd.portfolio(),
                     circuitSource: try circuit(name), key: key, parameters: parameters, nonce: nonce,
                     createdAt: createdAt, validForSeconds: validFor)
    }

    static func verification(_ attestation: [UInt8], circuit name: String, market: [UInt8]? = nil,
                             trusted: [Ed25519PublicKey] = [goldenKey.publicKey], nonce: [UInt8]? = nil,
                             now: Int64 = verifyAt) throws -> VerificationRequest {
        VerificationRequest(attestationBytes: attestation, marketBytes: try market ?? EndToEnd.market(),
                            circuitSource: try circuit(name), trustedKeys: trusted, expectedNonce: nonce, now: now)
    }

    // MARK: Cache

    private final class Cache: @unchecked Sendable {
        let lock = NSLock()
        var results: [String: ProveResult] = [:]
        var seconds: [String: Double] = [:]
    }
    private static let cache = Cache()

    /// The example book proved under `name` with default parameters and no nonce (once per run).
    static func proved(_ name: String) throws -> ProveResult {
        cache.lock.lock()
        defer { cache.lock.unlock() }
        if let r = cache.results[name] { return r }
        let start = Date()
        let r = try Prover.prove(try request(circuit: name))
        cache.seconds[name] = Date().timeIntervalSince(start)
        cache.results[name] = r
        return r
    }

    /// Wall-clock proving times of the cached attestations, for the report.
    static func provingSeconds() -> [String: Double] {
        cache.lock.lock(); defer { cache.lock.unlock() }
        return cache.seconds
    }

    // MARK: Re-signing

    /// The same body with some fields replaced, re-encoded and signed with `key`: simulates a
    /// prover (or an attacker holding the key) who signs something the proofs do not support.
    static func resigned(_ a: AttestationV1, key: Ed25519PrivateKey = goldenKey,
                         parameters: [AttestationParameter]? = nil,
                         rangeProofs: [AggregatedRangeProof]? = nil,
                         snapshotHash: [UInt8]? = nil,
                         nonce: [UInt8]?? = nil,
                         createdAt: Int64? = nil, expiresAt: Int64? = nil) throws -> AttestationV1 {
        let b = a.body
        let body = try AttestationBody(
            circuitName: b.circuitName, circuitVersion: b.circuitVersion, circuitHash: b.circuitHash,
            parameters: parameters ?? b.parameters, snapshotID: b.snapshotID, snapshotHash: snapshotHash ?? b.snapshotHash,
            proverKey: key.publicKey.rawBytes, createdAt: createdAt ?? b.createdAt, expiresAt: expiresAt ?? b.expiresAt,
            nonce: nonce ?? b.nonce, witnessBits: b.witnessBits, scales: b.scales,
            instrumentCommitments: b.instrumentCommitments, collateralCommitments: b.collateralCommitments,
            auxiliaryMembers: b.auxiliaryMembers, bookRoot: b.bookRoot, constraintCount: b.constraintCount,
            slackHighCommitments: b.slackHighCommitments, rangeProofs: rangeProofs ?? b.rangeProofs)
        return try AttestationV1(body: body, signature: key.sign(body.signedMessage))
    }

    /// `a` with bit `bit` of byte `offset` of range proof `proofIndex` flipped, re-signed so
    /// that only the proof itself can catch the change.
    static func proofByteFlipped(_ a: AttestationV1, proofIndex: Int, offset: Int, bit: Int = 0) throws -> AttestationV1 {
        var proofs = a.rangeProofs
        var bytes = proofs[proofIndex].bytes
        bytes[offset] ^= UInt8(1 << bit)
        proofs[proofIndex] = try AggregatedRangeProof(kind: proofs[proofIndex].kind, bitSize: proofs[proofIndex].bitSize,
                                                      valueCount: proofs[proofIndex].valueCount, bytes: bytes)
        return try resigned(a, rangeProofs: proofs)
    }

    // MARK: Files and processes

    static func tempDir() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("riskattest-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Runs an executable (searched on PATH through /usr/bin/env when `path` has no slash);
    /// returns exit status, stdout and stderr.
    @discardableResult
    static func run(_ executable: String, _ args: [String]) throws -> (status: Int32, out: String, err: String) {
        let p = Process()
        if executable.contains("/") {
            p.executableURL = URL(fileURLWithPath: executable)
            p.arguments = args
        } else {
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = [executable] + args
        }
        let r = try runToEnd(p)
        return (r.status, String(decoding: r.stdout, as: UTF8.self), String(decoding: r.stderr, as: UTF8.self))
    }

    /// Starts `p` with stdin from /dev/null and reads stdout and stderr concurrently (so that
    /// neither pipe can fill up and block the child) until it exits.
    static func runToEnd(_ p: Process) throws -> (status: Int32, stdout: [UInt8], stderr: [UInt8]) {
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        final class Box: @unchecked Sendable { var data = Data() }
        let errBox = Box()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errBox.data = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let o = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        return (p.terminationStatus, [UInt8](o), [UInt8](errBox.data))
    }

    /// The `riskattest` executable that `swift build --build-tests` puts next to the test bundle.
    static func binary() throws -> URL {
        let candidates = [URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
                          Bundle.main.bundleURL.deletingLastPathComponent(),
                          Bundle(for: BundleAnchor.self).bundleURL.deletingLastPathComponent()]
            .map { $0.appendingPathComponent("riskattest") }
        guard let bin = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw XCTSkip("riskattest binary not built next to the tests (\(candidates.map(\.path)))")
        }
        return bin
    }
    private final class BundleAnchor {}

    /// `openssl pkeyutl -verify -rawin` on an Ed25519 signature: true when OpenSSL accepts it.
    static func opensslVerifies(message: [UInt8], signature: [UInt8], publicKeyPEM: String, in dir: URL) throws -> Bool {
        let msg = dir.appendingPathComponent("msg-\(UUID().uuidString)")
        let sig = dir.appendingPathComponent("sig-\(UUID().uuidString)")
        let pub = dir.appendingPathComponent("pub-\(UUID().uuidString).pem")
        try Data(message).write(to: msg)
        try Data(signature).write(to: sig)
        try Data(publicKeyPEM.utf8).write(to: pub)
        let r = try run("openssl", ["pkeyutl", "-verify", "-pubin", "-inkey", pub.path, "-rawin",
                                    "-in", msg.path, "-sigfile", sig.path])
        return r.status == 0 && r.out.contains("Signature Verified Successfully")
    }
}
