import Foundation
import XCTest
import Attestation
import Prover
import Verifier
import SystemCrypto

/// Tampering with an attestation, or presenting it with the wrong public data, is rejected with
/// a specific reason (the exact `VerificationFailure` text).
final class TamperTests: XCTestCase {

    private func reason(_ f: VerificationFailure) -> String { f.description }

    /// The bucket a rejection reason is counted under: its text up to the first colon, at most
    /// 40 characters (so reasons that quote the tampered bytes still group together).
    private static func kind(_ reason: String) -> String {
        String(reason.prefix(while: { $0 != ":" }).prefix(40))
    }

    /// Every byte of the file, one bit flipped each (the bit rotates with the offset): never valid.
    func testEveryByteFlipRejected() throws {
        let a = try EndToEnd.proved("solvency").attestation
        let bytes = a.encode()
        let market = try EndToEnd.market()
        let circuit = try EndToEnd.circuit("solvency")
        let keys = [EndToEnd.goldenKey.publicKey]
        final class Results: @unchecked Sendable {
            let lock = NSLock()
            var accepted: [Int] = []
            var reasons: [String: Int] = [:]
        }
        let results = Results()
        let workers = 2
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            var offset = w
            while offset < bytes.count {
                var t = bytes
                t[offset] ^= UInt8(1 << (offset % 8))
                let r = Verifier.verify(VerificationRequest(attestationBytes: t, marketBytes: market, circuitSource: circuit,
                                                            trustedKeys: keys, now: EndToEnd.verifyAt))
                let kind = Self.kind(r.reason ?? "VALID")
                results.lock.lock()
                if r.valid || r.unusableInput { results.accepted.append(offset) }
                results.reasons[kind, default: 0] += 1
                results.lock.unlock()
                offset += workers
            }
        }
        XCTAssertEqual(results.accepted, [], "flips accepted (or blamed on the verifier's inputs) at these offsets")
        XCTAssertEqual(results.reasons.values.reduce(0, +), bytes.count)
        // The signature field itself: a flip there is a bad signature, not a decoding error.
        XCTAssertGreaterThanOrEqual(results.reasons[Self.kind(reason(.badSignature))] ?? 0, 64, "\(results.reasons)")
        print("byte flips over \(bytes.count) bytes:", results.reasons.sorted { $0.value > $1.value })
    }

    /// Flipped proof bytes, re-signed with the prover's key so the signature is valid: the range
    /// proofs themselves must reject every one (every 17th byte of each proof).
    func testResignedProofByteFlipsRejectedByProofs() throws {
        let a = try EndToEnd.proved("solvency").attestation
        let market = try EndToEnd.market()
        let circuit = try EndToEnd.circuit("solvency")
        var checked = 0
        for (p, proof) in a.rangeProofs.enumerated() {
            var offsets = Array(stride(from: 0, to: proof.bytes.count, by: 17))
            offsets.append(proof.bytes.count - 1)
            for offset in offsets {
                let forged = try EndToEnd.proofByteFlipped(a, proofIndex: p, offset: offset, bit: offset % 8)
                let r = Verifier.verify(VerificationRequest(attestationBytes: forged.encode(), marketBytes: market,
                                                            circuitSource: circuit, trustedKeys: [EndToEnd.goldenKey.publicKey],
                                                            now: EndToEnd.verifyAt))
                XCTAssertFalse(r.valid, "\(proof.kind) byte \(offset)")
                XCTAssertTrue(r.reason?.hasPrefix("range proof rejected: \(proof.kind)") ?? false
                              || r.reason?.hasPrefix("range proof rejected") ?? false,
                              "\(proof.kind) byte \(offset): \(r.reason ?? "")")
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 100)
        // Control: re-signing the unchanged body is accepted, so the rejections above are the proofs'.
        let same = try EndToEnd.resigned(a)
        XCTAssertTrue(Verifier.verify(try EndToEnd.verification(same.encode(), circuit: "solvency")).valid)
    }

    /// A commitment replaced by another valid point (re-signed): the proofs catch it.
    func testResignedSwappedCommitmentsRejected() throws {
        let a = try EndToEnd.proved("solvency").attestation
        let b = a.body
        var inst = b.instrumentCommitments
        inst.swapAt(0, 1)
        let body = try AttestationBody(
            circuitName: b.circuitName, circuitVersion: b.circuitVersion, circuitHash: b.circuitHash, parameters: b.parameters,
            snapshotID: b.snapshotID, snapshotHash: b.snapshotHash, proverKey: b.proverKey, createdAt: b.createdAt,
            expiresAt: b.expiresAt, nonce: b.nonce, witnessBits: b.witnessBits, scales: b.scales,
            instrumentCommitments: inst, collateralCommitments: b.collateralCommitments, auxiliaryMembers: b.auxiliaryMembers,
            bookRoot: b.bookRoot, constraintCount: b.constraintCount, slackHighCommitments: b.slackHighCommitments,
            rangeProofs: b.rangeProofs)
        let forged = try AttestationV1(body: body, signature: EndToEnd.goldenKey.sign(body.signedMessage))
        let r = Verifier.verify(try EndToEnd.verification(forged.encode(), circuit: "solvency"))
        XCTAssertFalse(r.valid)
        XCTAssertTrue(r.reason?.hasPrefix("range proof rejected") ?? false, r.reason ?? "")
    }

    // MARK: Wrong public data

    func testWrongSnapshotRejected() throws {
        let bytes = try EndToEnd.proved("solvency").attestation.encode()
        let r = Verifier.verify(try EndToEnd.verification(bytes, circuit: "solvency", market: try EndToEnd.marketOneDigitChanged()))
        XCTAssertFalse(r.valid)
        XCTAssertFalse(r.unusableInput)
        XCTAssertEqual(r.reason, reason(.snapshotMismatch))
        // Same bytes with a trailing newline: still a different snapshot.
        let r2 = Verifier.verify(try EndToEnd.verification(bytes, circuit: "solvency", market: try EndToEnd.market() + [0x0a]))
        XCTAssertEqual(r2.reason, reason(.snapshotMismatch))
    }

    func testWrongCircuitRejected() throws {
        let bytes = try EndToEnd.proved("solvency").attestation.encode()
        for other in ["leverage", "portfolio-margin"] {
            let r = Verifier.verify(try EndToEnd.verification(bytes, circuit: other))
            XCTAssertFalse(r.valid)
            XCTAssertEqual(r.reason, reason(.circuitMismatch), other)
        }
        // Same name and version, one constraint changed: the hash tells them apart.
        let edited = try EndToEnd.circuit("solvency").replacingOccurrences(of: ">= k * mm", with: ">= k * im")
        XCTAssertNotEqual(edited, try EndToEnd.circuit("solvency"))
        let req = VerificationRequest(attestationBytes: bytes, marketBytes: try EndToEnd.market(), circuitSource: edited,
                                      trustedKeys: [EndToEnd.goldenKey.publicKey], now: EndToEnd.verifyAt)
        XCTAssertEqual(Verifier.verify(req).reason, reason(.circuitMismatch))
    }

    func testWrongParameterRejected() throws {
        let a = try EndToEnd.proved("solvency").attestation
        XCTAssertEqual(a.parameters.count, 1)
        // The attested value changed and re-signed: the verifier's policy (the circuit's default)
        // refuses it by name; a policy asking for the new value rebuilds a statement that no
        // longer matches the slack proof, which fails.
        let changed = try EndToEnd.resigned(a, parameters: [try AttestationParameter(name: "k", value: "1.01")])
        let r1 = Verifier.verify(try EndToEnd.verification(changed.encode(), circuit: "solvency"))
        XCTAssertFalse(r1.valid)
        XCTAssertEqual(r1.reason, reason(.parameterMismatch(name: "k", attested: "1.01", required: "1")))
        var asked = try EndToEnd.verification(changed.encode(), circuit: "solvency")
        asked.policy = VerificationPolicy(parameters: ["k": "1.01"])
        let r1b = Verifier.verify(asked)
        XCTAssertFalse(r1b.valid)
        XCTAssertTrue(r1b.reason?.hasPrefix("range proof rejected") ?? false, r1b.reason ?? "")
        // A parameter the circuit does not declare.
        let unknown = try EndToEnd.resigned(a, parameters: a.parameters + [try AttestationParameter(name: "zz", value: "1")])
        let r2 = Verifier.verify(try EndToEnd.verification(unknown.encode(), circuit: "solvency"))
        XCTAssertFalse(r2.valid)
        XCTAssertTrue(r2.reason?.hasPrefix("parameters:") ?? false, r2.reason ?? "")
        XCTAssertTrue(r2.reason?.contains("zz") ?? false, r2.reason ?? "")
        // A declared parameter left out.
        let missing = try EndToEnd.resigned(a, parameters: [])
        let r3 = Verifier.verify(try EndToEnd.verification(missing.encode(), circuit: "solvency"))
        XCTAssertFalse(r3.valid)
        XCTAssertEqual(r3.reason, reason(.parameter("the attestation does not state parameter k (required k = 1)")))
    }

    func testNonceMismatchAndMissingRejected() throws {
        let nonce = Array("challenge-2026-11-24".utf8)
        let r = try Prover.prove(try EndToEnd.request(circuit: "solvency", nonce: nonce))
        XCTAssertEqual(r.attestation.nonce, nonce)
        let bytes = r.attestation.encode()
        XCTAssertTrue(Verifier.verify(try EndToEnd.verification(bytes, circuit: "solvency", nonce: nonce)).valid)
        // Without an expectation the nonce is not checked.
        XCTAssertTrue(Verifier.verify(try EndToEnd.verification(bytes, circuit: "solvency")).valid)

        var other = nonce; other[0] ^= 1
        let wrong = Verifier.verify(try EndToEnd.verification(bytes, circuit: "solvency", nonce: other))
        XCTAssertFalse(wrong.valid)
        XCTAssertEqual(wrong.reason, reason(.nonceMismatch))
        let longer = Verifier.verify(try EndToEnd.verification(bytes, circuit: "solvency", nonce: nonce + [0]))
        XCTAssertEqual(longer.reason, reason(.nonceMismatch))

        // The verifier asked for a nonce, the attestation has none.
        let plain = try EndToEnd.proved("solvency").attestation.encode()
        let missing = Verifier.verify(try EndToEnd.verification(plain, circuit: "solvency", nonce: nonce))
        XCTAssertFalse(missing.valid)
        XCTAssertEqual(missing.reason, reason(.nonceMismatch))

        // The nonce is bound by the transcript: swapping it and re-signing breaks the proofs.
        let swapped = try EndToEnd.resigned(r.attestation, nonce: .some(other))
        let s = Verifier.verify(try EndToEnd.verification(swapped.encode(), circuit: "solvency", nonce: other))
        XCTAssertFalse(s.valid)
        XCTAssertTrue(s.reason?.hasPrefix("range proof rejected") ?? false, s.reason ?? "")
    }

    func testUntrustedKeyRejected() throws {
        let a = try EndToEnd.proved("solvency").attestation
        let keyHex = Hex.encode(EndToEnd.goldenKey.publicKey.rawBytes)
        let r = Verifier.verify(try EndToEnd.verification(a.encode(), circuit: "solvency", trusted: [EndToEnd.otherKey.publicKey]))
        XCTAssertFalse(r.valid)
        XCTAssertEqual(r.reason, reason(.untrustedProver(keyHex: keyHex)))
        let none = Verifier.verify(try EndToEnd.verification(a.encode(), circuit: "solvency", trusted: []))
        XCTAssertEqual(none.reason, reason(.untrustedProver(keyHex: keyHex)))
        // Trusting several keys, one of them the prover's, is fine.
        let many = Verifier.verify(try EndToEnd.verification(a.encode(), circuit: "solvency",
                                                            trusted: [EndToEnd.otherKey.publicKey, EndToEnd.goldenKey.publicKey]))
        XCTAssertTrue(many.valid, many.reason ?? "")
        // Re-signed by a key that is trusted but did not make the proofs: the signature is good,
        // the proofs (whose transcript binds the prover key) are not.
        let stolen = try EndToEnd.resigned(a, key: EndToEnd.otherKey)
        let s = Verifier.verify(try EndToEnd.verification(stolen.encode(), circuit: "solvency", trusted: [EndToEnd.otherKey.publicKey]))
        XCTAssertFalse(s.valid)
        XCTAssertTrue(s.reason?.hasPrefix("range proof rejected") ?? false, s.reason ?? "")
    }

    func testValidityWindow() throws {
        let a = try EndToEnd.proved("solvency").attestation
        let bytes = a.encode()
        XCTAssertEqual(a.createdAt, EndToEnd.createdAt)
        XCTAssertEqual(a.expiresAt, EndToEnd.createdAt + EndToEnd.validFor)
        // Valid from created-at inclusive to expires-at exclusive.
        XCTAssertTrue(Verifier.verify(try EndToEnd.verification(bytes, circuit: "solvency", now: a.createdAt)).valid)
        XCTAssertTrue(Verifier.verify(try EndToEnd.verification(bytes, circuit: "solvency", now: a.expiresAt - 1)).valid)
        for now in [a.expiresAt, a.expiresAt + 86_400 * 365] {
            let r = Verifier.verify(try EndToEnd.verification(bytes, circuit: "solvency", now: now))
            XCTAssertFalse(r.valid)
            XCTAssertEqual(r.reason, reason(.expired(expiresAt: a.expiresAt, now: now)))
            XCTAssertTrue(r.reason?.hasPrefix("expired at 2026-11-25T08:00:00Z") ?? false, r.reason ?? "")
        }
        for now in [a.createdAt - 1, 0] {
            let r = Verifier.verify(try EndToEnd.verification(bytes, circuit: "solvency", now: now))
            XCTAssertFalse(r.valid)
            XCTAssertEqual(r.reason, reason(.notYetValid(createdAt: a.createdAt, now: now)))
        }
    }

    func testUnusableVerifierInputsAreReportedAsSuch() throws {
        let bytes = try EndToEnd.proved("solvency").attestation.encode()
        let badMarket = Verifier.verify(try EndToEnd.verification(bytes, circuit: "solvency", market: Array("{\"schema\": 1".utf8)))
        XCTAssertFalse(badMarket.valid)
        XCTAssertTrue(badMarket.unusableInput)
        XCTAssertTrue(badMarket.reason?.hasPrefix("market snapshot unusable") ?? false, badMarket.reason ?? "")
        let req = VerificationRequest(attestationBytes: bytes, marketBytes: try EndToEnd.market(), circuitSource: "circuit x v1\nrequire",
                                      trustedKeys: [EndToEnd.goldenKey.publicKey], now: EndToEnd.verifyAt)
        let badCircuit = Verifier.verify(req)
        XCTAssertTrue(badCircuit.unusableInput)
        XCTAssertTrue(badCircuit.reason?.hasPrefix("circuit unusable") ?? false, badCircuit.reason ?? "")
    }

    func testTruncatedAndExtendedRejectedAsMalformed() throws {
        let bytes = try EndToEnd.proved("solvency").attestation.encode()
        for t in [Array(bytes.dropLast()), Array(bytes.prefix(100)), [], bytes + [0], bytes + bytes] {
            let r = Verifier.verify(try EndToEnd.verification(t, circuit: "solvency"))
            XCTAssertFalse(r.valid)
            XCTAssertFalse(r.unusableInput)
            XCTAssertTrue(r.reason?.hasPrefix("malformed attestation") ?? false, "\(t.count) bytes: \(r.reason ?? "")")
        }
    }
}
