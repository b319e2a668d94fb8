import Foundation
import XCTest
import Attestation
import Prover
import Verifier
import SystemCrypto

/// Golden attestations in `Vectors/attestations/`: a `solvency` attestation over the example data
/// by a deterministic key, and tampered variants, each with its expected result in
/// `manifest.json`. The bytes are fixed (blindings are random, so they were generated once by
/// `testRegenerateGoldenVectors` with RISKATTEST_WRITE_GOLDEN=1 and committed); this test only
/// checks them, it never regenerates them.
final class GoldenVectorTests: XCTestCase {
    static let dir = "Vectors/attestations"

    struct Case {
        var name: String
        var file: String
        var market: String
        var circuit: String
        var verifyAt: Int64
        var valid: Bool
        var reasonPrefix: String?
        var reason: String?
        var sha256: String
    }

    private func manifest() throws -> [String: Any] {
        let data = try Data(contentsOf: EndToEnd.root.appendingPathComponent("\(Self.dir)/manifest.json"))
        guard let m = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw XCTSkip("manifest.json is not an object")
        }
        return m
    }

    func testGoldenVectorsVerifyAsRecorded() throws {
        let m = try manifest()
        XCTAssertEqual(m["format"] as? String, "riskattest-golden-attestations")
        XCTAssertEqual(m["version"] as? Int, 1)
        XCTAssertEqual(m["attestation_format_version"] as? Int, 3)
        // The recorded key is the one derived (by libsodium, via our key type) from the recorded seed.
        let seed = Hex.decode(m["prover_key_seed"] as? String ?? "") ?? []
        XCTAssertEqual(seed, [UInt8](repeating: 0x42, count: 32))
        let key = try Ed25519PrivateKey(seed: seed)
        XCTAssertEqual(Hex.encode(key.publicKey.rawBytes), m["prover_public_key"] as? String)
        XCTAssertEqual(key.publicKey.pem, m["prover_public_key_pem"] as? String)
        let trusted = try Ed25519PublicKey(rawBytes: Hex.decode(m["prover_public_key"] as? String ?? "") ?? [])

        guard let inputs = m["inputs"] as? [String: String] else { return XCTFail("inputs missing") }
        for (path, sha) in inputs {
            XCTAssertEqual(Hex.encode(Digest.sha256.hash(try EndToEnd.bytes(path))), sha, path)
        }

        guard let vectors = m["vectors"] as? [[String: Any]] else { return XCTFail("vectors missing") }
        XCTAssertEqual(vectors.count, 6)
        var names: [String] = []
        for v in vectors {
            let name = v["name"] as? String ?? "?"
            names.append(name)
            let file = try EndToEnd.bytes(v["file"] as? String ?? "")
            XCTAssertEqual(Hex.encode(Digest.sha256.hash(file)), v["file_sha256"] as? String, name)
            let market = try EndToEnd.bytes(v["market"] as? String ?? "")
            XCTAssertEqual(Hex.encode(Digest.sha256.hash(market)), v["market_sha256"] as? String, name)
            let circuit = try EndToEnd.text(v["circuit"] as? String ?? "")
            guard let at = (v["verify_at_unix"] as? NSNumber)?.int64Value else { XCTFail("\(name): verify_at_unix"); continue }
            let report = Verifier.verify(VerificationRequest(attestationBytes: file, marketBytes: market, circuitSource: circuit,
                                                             trustedKeys: [trusted], now: at))
            guard let expected = v["expected"] as? [String: Any] else { XCTFail("\(name): expected"); continue }
            XCTAssertEqual(report.valid, expected["valid"] as? Bool, "\(name): \(report.reason ?? "valid")")
            XCTAssertFalse(report.unusableInput, name)
            if let prefix = expected["reason_prefix"] as? String {
                XCTAssertTrue(report.reason?.hasPrefix(prefix) ?? false, "\(name): \(report.reason ?? "valid") lacks \(prefix)")
            }
            if report.valid {
                // The recorded public facts of the valid attestation.
                let a = try AttestationV1.decode(file)
                XCTAssertEqual(a.circuitName, "solvency")
                XCTAssertEqual(Hex.encode(a.circuitHash), v["circuit_hash"] as? String)
                XCTAssertEqual(Timestamps.format(a.createdAt), v["created_at"] as? String)
                XCTAssertEqual(Timestamps.format(a.expiresAt), v["expires_at"] as? String)
                XCTAssertEqual(Hex.encode(a.proverKey), m["prover_public_key"] as? String)
                XCTAssertEqual(a.snapshotHash, Digest.sha256.hash(market))
                XCTAssertEqual(a.encode(), file)
            }
        }
        XCTAssertEqual(names, ["golden", "flipped-signature-byte", "flipped-proof-byte-resigned", "truncated",
                               "trailing-byte", "wrong-snapshot"])
    }

    /// The format-version-1 golden attestation (kept in `v1/`, SHA-256 as recorded when it was
    /// current) is refused by name, before anything else is looked at.
    func testVersionOneGoldenIsRefused() throws {
        let file = try EndToEnd.bytes("\(Self.dir)/v1/solvency-examples.ratt")
        XCTAssertEqual(Hex.encode(Digest.sha256.hash(file)), "aff4a64f8bc225dc4f145ada5a5334e1f22d0eb74dd3f329590f0434bc5eec83")
        let report = Verifier.verify(VerificationRequest(
            attestationBytes: file, marketBytes: try EndToEnd.bytes("\(Self.dir)/inputs/market.json"),
            circuitSource: try EndToEnd.text("\(Self.dir)/inputs/solvency.circuit"),
            trustedKeys: [EndToEnd.goldenKey.publicKey], now: EndToEnd.verifyAt))
        XCTAssertFalse(report.valid)
        XCTAssertTrue(report.reason?.contains("unsupported attestation format version 1") == true, report.reason ?? "")
    }

    /// Regenerates the golden files. Skipped unless RISKATTEST_WRITE_GOLDEN=1; the committed bytes
    /// are the reference, so regenerating changes them (fresh blindings) and needs a reason.
    func testRegenerateGoldenVectors() throws {
        guard ProcessInfo.processInfo.environment["RISKATTEST_WRITE_GOLDEN"] == "1" else {
            throw XCTSkip("set RISKATTEST_WRITE_GOLDEN=1 to regenerate Vectors/attestations")
        }
        let fm = FileManager.default
        let out = EndToEnd.root.appendingPathComponent(Self.dir)
        try fm.createDirectory(at: out.appendingPathComponent("inputs"), withIntermediateDirectories: true)
        // Inputs are copied so the vectors stay valid when the examples evolve.
        let copies = [("Examples/market.json", "inputs/market.json"), ("Examples/portfolio.json", "inputs/portfolio.json"),
                      ("Circuits/solvency.circuit", "inputs/solvency.circuit")]
        for (from, to) in copies { try Data(try EndToEnd.bytes(from)).write(to: out.appendingPathComponent(to)) }
        try Data(try EndToEnd.marketOneDigitChanged()).write(to: out.appendingPathComponent("inputs/market-one-digit-changed.json"))

        let market = try EndToEnd.bytes("\(Self.dir)/inputs/market.json")
        let circuit = try EndToEnd.text("\(Self.dir)/inputs/solvency.circuit")
        let key = EndToEnd.goldenKey
        let result = try Prover.prove(ProveRequest(
            marketBytes: market, portfolioBytes: try EndToEnd.bytes("\(Self.dir)/inputs/portfolio.json"), circuitSource: circuit,
            key: key, createdAt: EndToEnd.createdAt, validForSeconds: EndToEnd.validFor))
        let a = result.attestation
        let golden = a.encode()
        var badSig = golden; badSig[golden.count - 64 + 10] ^= 0x01
        let slack = a.rangeProofs.count - 1
        let badProof = try EndToEnd.proofByteFlipped(a, proofIndex: slack, offset: 4 * 32 + 3).encode()   // t̂, re-signed
        let variants: [(String, String, [UInt8], String, Bool, String?)] = [
            ("golden", "solvency-examples.ratt", golden, "inputs/market.json", true, nil),
            ("flipped-signature-byte", "tampered-signature.ratt", badSig, "inputs/market.json", false,
             VerificationFailure.badSignature.description),
            ("flipped-proof-byte-resigned", "tampered-proof-resigned.ratt", badProof, "inputs/market.json", false,
             "range proof rejected"),
            ("truncated", "truncated.ratt", Array(golden.dropLast()), "inputs/market.json", false, "malformed attestation"),
            ("trailing-byte", "trailing-byte.ratt", golden + [0x00], "inputs/market.json", false, "malformed attestation"),
            ("wrong-snapshot", "solvency-examples.ratt", golden, "inputs/market-one-digit-changed.json", false,
             VerificationFailure.snapshotMismatch.description),
        ]
        var vectors: [[String: Any]] = []
        for (name, file, bytes, marketFile, valid, prefix) in variants {
            if name != "wrong-snapshot" { try Data(bytes).write(to: out.appendingPathComponent(file)) }
            let mBytes = try EndToEnd.bytes("\(Self.dir)/\(marketFile)")
            let report = Verifier.verify(VerificationRequest(attestationBytes: bytes, marketBytes: mBytes, circuitSource: circuit,
                                                             trustedKeys: [key.publicKey], now: EndToEnd.verifyAt))
            XCTAssertEqual(report.valid, valid, "\(name): \(report.reason ?? "")")
            var expected: [String: Any] = ["valid": valid]
            if let prefix { expected["reason_prefix"] = prefix; expected["reason"] = report.reason ?? "" }
            var v: [String: Any] = [
                "name": name, "file": "\(Self.dir)/\(file)", "file_sha256": Hex.encode(Digest.sha256.hash(bytes)),
                "market": "\(Self.dir)/\(marketFile)", "market_sha256": Hex.encode(Digest.sha256.hash(mBytes)),
                "circuit": "\(Self.dir)/inputs/solvency.circuit",
                "verify_at": Timestamps.format(EndToEnd.verifyAt), "verify_at_unix": EndToEnd.verifyAt, "expected": expected]
            if valid {
                v["circuit_hash"] = Hex.encode(a.circuitHash)
                v["created_at"] = Timestamps.format(a.createdAt); v["expires_at"] = Timestamps.format(a.expiresAt)
                v["portfolio"] = "\(Self.dir)/inputs/portfolio.json"
                v["parameters"] = Dictionary(uniqueKeysWithValues: a.parameters.map { ($0.name, $0.value) })
                v["size_bytes"] = bytes.count
            }
            vectors.append(v)
        }
        var inputs: [String: String] = [:]
        for (_, to) in copies + [("", "inputs/market-one-digit-changed.json")] {
            inputs["\(Self.dir)/\(to)"] = Hex.encode(Digest.sha256.hash(try EndToEnd.bytes("\(Self.dir)/\(to)")))
        }
        let manifest: [String: Any] = [
            "format": "riskattest-golden-attestations", "version": 1,
            "attestation_format_version": Int(AttestationBody.formatVersion),
            "note": "Generated once by GoldenVectorTests.testRegenerateGoldenVectors; blindings and salts are random, so the bytes are fixed reference data, not reproducible output.",
            "prover_key_seed": Hex.encode([UInt8](repeating: 0x42, count: 32)),
            "prover_public_key": Hex.encode(key.publicKey.rawBytes), "prover_public_key_pem": key.publicKey.pem,
            "inputs": inputs, "vectors": vectors]
        let json = try JSONSerialization.data(withJSONObject: manifest, options: [.prettyPrinted, .sortedKeys])
        try json.write(to: out.appendingPathComponent("manifest.json"))
    }
}
