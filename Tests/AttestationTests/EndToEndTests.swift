import Foundation
import XCTest
import Attestation
import Prover
import RiskEngine
import Verifier
import SystemCrypto

/// Prove → verify on the shipped circuits and the example book, and the properties the issue
/// asks of whole attestations: violated books cannot be attested, different books look alike,
/// OpenSSL accepts the signature, disclosure and batch verification work end to end.
final class EndToEndTests: XCTestCase {

    func testRoundTripEveryShippedCircuit() throws {
        // Every circuit file that ships is covered (a new one must be added to the list).
        let shipped = try FileManager.default.contentsOfDirectory(atPath: EndToEnd.root.appendingPathComponent("Circuits").path)
            .filter { $0.hasSuffix(".circuit") }.map { String($0.dropLast(".circuit".count)) }.sorted()
        XCTAssertEqual(shipped, EndToEnd.circuitNames)

        let marketHash = Digest.sha256.hash(try EndToEnd.market())
        for name in EndToEnd.circuitNames {
            let result = try EndToEnd.proved(name)
            let bytes = result.attestation.encode()
            // The file decodes to the same attestation and re-encodes to the same bytes.
            let decoded = try AttestationV1.decode(bytes)
            XCTAssertEqual(decoded, result.attestation, name)
            XCTAssertEqual(decoded.encode(), bytes, name)

            let report = Verifier.verify(try EndToEnd.verification(bytes, circuit: name))
            XCTAssertTrue(report.valid, "\(name): \(report.reason ?? "")")
            XCTAssertNil(report.reason, name)
            XCTAssertFalse(report.unusableInput, name)
            XCTAssertEqual(report.circuit, "\(name) v1")
            XCTAssertEqual(report.snapshotID, "example-2026-11-24T0800Z")
            XCTAssertEqual(report.snapshotSHA256, Hex.encode(marketHash))
            XCTAssertEqual(report.proverKey, Hex.encode(EndToEnd.goldenKey.publicKey.rawBytes))
            XCTAssertEqual(report.createdAt, "2026-11-24T08:00:00Z")
            XCTAssertEqual(report.expiresAt, "2026-11-25T08:00:00Z")
            XCTAssertEqual(report.statements, result.statements, name)
            XCTAssertEqual(report.statements.count, decoded.constraintCount, name)
            XCTAssertEqual(report.attestationBytes, bytes.count)
            // Three proofs, each of the length the Bulletproofs layout fixes (SPEC §13.4).
            XCTAssertEqual(decoded.rangeProofs.map(\.kind), [.witnessHalves, .balanceHalves, .constraintSlacks], name)
            for p in decoded.rangeProofs {
                XCTAssertEqual(p.bytes.count, 32 * (9 + 2 * log2(p.bitSize * p.valueCount)), "\(name) \(p.kind)")
            }
            // The whole universe is committed, held or not (23 instruments, 3 collateral assets).
            XCTAssertEqual(decoded.instrumentCommitments.count, 23)
            XCTAssertEqual(decoded.collateralCommitments.count, 3)
        }
        print("proving seconds:", EndToEnd.provingSeconds().sorted { $0.key < $1.key }
            .map { "\($0.key)=\(String(format: "%.2f", $0.value))" }.joined(separator: " "))
    }

    private func log2(_ x: Int) -> Int { x.trailingZeroBitCount }

    /// Proving with a parameter override binds the new value: the verifier reports it (so a
    /// relying party sees what was proved), and the statement text carries it.
    func testParameterOverrideIsBoundAndReported() throws {
        let r = try Prover.prove(try EndToEnd.request(circuit: "solvency", parameters: ["k": "1.5"]))
        XCTAssertEqual(r.attestation.parameters.map(\.name), ["k"])
        XCTAssertEqual(r.attestation.parameters.map(\.value), ["1.5"])
        // The relying party asks for k = 1.5 (its policy); a verifier asking for the default refuses.
        var req = try EndToEnd.verification(r.attestation.encode(), circuit: "solvency")
        req.policy = VerificationPolicy(parameters: ["k": "1.5"])
        let report = Verifier.verify(req)
        XCTAssertTrue(report.valid, report.reason ?? "")
        XCTAssertEqual(report.parameters, ["k": "1.5"])
        let strict = Verifier.verify(try EndToEnd.verification(r.attestation.encode(), circuit: "solvency"))
        XCTAssertFalse(strict.valid)
        XCTAssertEqual(strict.reason, VerificationFailure.parameterMismatch(name: "k", attested: "1.5", required: "1").description)
        // Default attestation reports the circuit's default.
        let d = Verifier.verify(try EndToEnd.verification(try EndToEnd.proved("solvency").attestation.encode(), circuit: "solvency"))
        XCTAssertEqual(d.parameters.count, 1)
        XCTAssertNotEqual(d.parameters["k"], "1.5")
    }

    // MARK: A book violating a constraint cannot be attested

    func testViolatedConstraintIsRefusedWithShortfall() throws {
        let cases: [(circuit: String, params: [String: String], lineText: String)] = [
            ("solvency", ["k": "1000000"], "mm"),
            ("leverage", ["L": "0.001"], "gross"),
            ("portfolio-margin", ["buffer": "1000"], "weighted_loss"),
        ]
        for c in cases {
            do {
                let r = try Prover.prove(try EndToEnd.request(circuit: c.circuit, parameters: c.params))
                XCTFail("\(c.circuit) with \(c.params) produced an attestation of \(r.attestation.encode().count) bytes")
            } catch let error as ProverError {
                guard case .witness(let w) = error, case .constraintViolated(let line, let text, let shortfall) = w else {
                    XCTFail("\(c.circuit): expected a violated constraint, got \(error)"); continue
                }
                XCTAssertGreaterThan(line, 0)
                XCTAssertTrue(text.contains(c.lineText), "\(c.circuit): \(text)")
                // The shortfall is a positive decimal amount.
                let amount = Double(shortfall.filter { "0123456789.".contains($0) })
                XCTAssertNotNil(amount, shortfall)
                XCTAssertGreaterThan(amount ?? 0, 0, shortfall)
                XCTAssertTrue(error.description.contains("constraint violated"), error.description)
                XCTAssertTrue(error.description.contains("short by"), error.description)
            }
        }
    }

    // MARK: Different books, same circuit: same size and structure

    /// Another book over the same snapshot: other instruments held, other quantities, and much
    /// more collateral, so it satisfies the same circuits.
    static let otherBook = """
    {
      "schema": "riskattest.portfolio/1",
      "margin_mode": "portfolio",
      "positions": [
        {"instrument": "BTCUSDT-PERP", "quantity": 3.5, "entry_price": 96100},
        {"instrument": "BTC-25DEC26-95000-P", "quantity": 2, "entry_price": 2900, "venue": "deribit", "account": "b"},
        {"instrument": "ETH-27NOV26-3700-C", "quantity": -10, "entry_price": 41.5, "venue": "deribit", "account": "b"},
        {"instrument": "ETH-26MAR27-3000-P", "quantity": 15, "entry_price": 160, "venue": "okx", "account": "x"}
      ],
      "collateral": [
        {"asset": "USDC", "amount": 250000},
        {"asset": "BTC", "amount": 2},
        {"asset": "ETH", "amount": 10}
      ]
    }
    """

    func testDifferentBooksGiveSameSizeAndStructure() throws {
        for name in ["solvency", "portfolio-margin"] {
            let a = try EndToEnd.proved(name).attestation
            let b = try Prover.prove(try EndToEnd.request(circuit: name, portfolio: Array(Self.otherBook.utf8))).attestation
            XCTAssertTrue(Verifier.verify(try EndToEnd.verification(b.encode(), circuit: name)).valid, name)

            XCTAssertEqual(a.encode().count, b.encode().count, name)
            XCTAssertEqual(a.instrumentCommitments.count, b.instrumentCommitments.count, name)
            XCTAssertEqual(a.collateralCommitments.count, b.collateralCommitments.count, name)
            XCTAssertEqual(a.auxiliaryMembers.map(\.label), b.auxiliaryMembers.map(\.label), name)
            XCTAssertEqual(a.auxiliaryMembers.map(\.unitDigits), b.auxiliaryMembers.map(\.unitDigits), name)
            XCTAssertEqual(a.constraintCount, b.constraintCount, name)
            XCTAssertEqual(a.witnessBits, b.witnessBits, name)
            XCTAssertEqual(a.scales, b.scales, name)
            XCTAssertEqual(a.rangeProofs.map(\.kind), b.rangeProofs.map(\.kind), name)
            XCTAssertEqual(a.rangeProofs.map(\.bitSize), b.rangeProofs.map(\.bitSize), name)
            XCTAssertEqual(a.rangeProofs.map(\.valueCount), b.rangeProofs.map(\.valueCount), name)
            XCTAssertEqual(a.rangeProofs.map(\.bytes.count), b.rangeProofs.map(\.bytes.count), name)
            // Same public header apart from the commitments, root, proofs and signature.
            XCTAssertEqual(a.circuitHash, b.circuitHash); XCTAssertEqual(a.parameters, b.parameters)
            XCTAssertEqual(a.snapshotHash, b.snapshotHash)
            // Not the same book, and fresh randomness: no commitment is shared, not even for an
            // instrument neither book holds (its zero quantity must not be recognisable).
            let ca = Set((a.instrumentCommitments + a.collateralCommitments).flatMap { [$0.plus.encoding, $0.minus.encoding] })
            let cb = Set((b.instrumentCommitments + b.collateralCommitments).flatMap { [$0.plus.encoding, $0.minus.encoding] })
            XCTAssertTrue(ca.isDisjoint(with: cb), name)
            XCTAssertNotEqual(a.bookRoot, b.bookRoot)
        }
    }

    /// Proving the same book twice draws fresh blindings and salts.
    func testFreshRandomnessEachTime() throws {
        let a = try EndToEnd.proved("leverage").attestation
        let b = try Prover.prove(try EndToEnd.request(circuit: "leverage")).attestation
        XCTAssertEqual(a.encode().count, b.encode().count)
        XCTAssertNotEqual(a.instrumentCommitments[0], b.instrumentCommitments[0])
        XCTAssertNotEqual(a.bookRoot, b.bookRoot)
    }

    // MARK: OpenSSL verifies the signature

    func testOpenSSLVerifiesTheSignature() throws {
        let dir = try EndToEnd.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = try EndToEnd.proved("solvency").attestation
        let file = a.encode()
        // The signed message is the domain prefix, then the file without its 64-byte signature.
        XCTAssertEqual(a.signedMessage, Array("riskattest/attestation/v3".utf8) + Array(file.dropLast(64)))
        XCTAssertEqual(a.signature, Array(file.suffix(64)))

        let pem = EndToEnd.goldenKey.publicKey.pem
        XCTAssertTrue(try EndToEnd.opensslVerifies(message: a.signedMessage, signature: a.signature, publicKeyPEM: pem, in: dir))
        var tampered = a.signedMessage
        tampered[tampered.count / 2] ^= 0x01
        XCTAssertFalse(try EndToEnd.opensslVerifies(message: tampered, signature: a.signature, publicKeyPEM: pem, in: dir))
        // Under another key OpenSSL rejects it as well.
        XCTAssertFalse(try EndToEnd.opensslVerifies(message: a.signedMessage, signature: a.signature,
                                                    publicKeyPEM: EndToEnd.otherKey.publicKey.pem, in: dir))
    }

    // MARK: Disclosure

    func testDiscloseTwoInstrumentsAndTamper() throws {
        let result = try EndToEnd.proved("portfolio-margin")
        let a = result.attestation
        let openings = result.openings
        try openings.checkAgainst(a)
        let ids = try MarketSnapshot.parse(try EndToEnd.market()).attestationMemberIDs
        let i = try openings.memberIndex(forID: "BTCUSDT-PERP")
        let j = try openings.memberIndex(forID: "ETH-25DEC26-3200-P")
        XCTAssertEqual(ids[i], "BTCUSDT-PERP"); XCTAssertEqual(ids[j], "ETH-25DEC26-3200-P")
        let d = try openings.disclosure(of: [i, j], attestation: a)

        let report = try checkDisclosure(attestation: a, disclosure: d, memberIDs: ids)
        XCTAssertEqual(report.members.map(\.memberID), ["BTCUSDT-PERP", "ETH-25DEC26-3200-P"])
        // Quantities from Examples/portfolio.json: 14.25 and 40 contracts, in 10^-8 units.
        XCTAssertEqual(report.members.map(\.quantityUnits), [1_425_000_000, 4_000_000_000])
        XCTAssertEqual(report.members[0].details.map(\.venue), ["binance"])
        XCTAssertEqual(report.members[0].details.map(\.entryPrice), ["95210.4"])

        // Through the JSON file, as an auditor receives it.
        let json = d.json()
        let parsed = try Disclosure.parse(json)
        XCTAssertNoThrow(try checkDisclosure(attestation: a, disclosure: parsed, memberIDs: ids))

        // A quantity changed in the file: the leaf no longer leads to the root.
        let text = String(decoding: json, as: UTF8.self)
        XCTAssertTrue(text.contains("1425000000"))
        let forged = try Disclosure.parse(Array(text.replacingOccurrences(of: "1425000000", with: "1425000001").utf8))
        XCTAssertThrowsError(try checkDisclosure(attestation: a, disclosure: forged, memberIDs: ids))

        // A changed salt.
        var m0 = d.members[0]
        var salt = m0.salt; salt[0] ^= 1
        m0 = DisclosedMember(index: m0.index, salt: salt, record: m0.record, path: m0.path)
        let badSalt = try Disclosure(attestationHash: d.attestationHash, leafCount: d.leafCount, members: [m0, d.members[1]])
        XCTAssertThrowsError(try checkDisclosure(attestation: a, disclosure: badSalt, memberIDs: ids))

        // A member presented under another index (swapped paths).
        let swapped = try Disclosure(attestationHash: d.attestationHash, leafCount: d.leafCount, members: [
            DisclosedMember(index: i, salt: d.members[1].salt, record: d.members[1].record, path: d.members[1].path),
            DisclosedMember(index: j, salt: d.members[0].salt, record: d.members[0].record, path: d.members[0].path)])
        XCTAssertThrowsError(try checkDisclosure(attestation: a, disclosure: swapped, memberIDs: ids))

        // The right disclosure against another attestation of the same book.
        let other = try EndToEnd.proved("solvency").attestation
        XCTAssertThrowsError(try checkDisclosure(attestation: other, disclosure: d, memberIDs: ids))
    }

    // MARK: Batch verification

    func testBatchVerification() throws {
        var requests: [VerificationRequest] = []
        for name in EndToEnd.circuitNames {
            requests.append(try EndToEnd.verification(try EndToEnd.proved(name).attestation.encode(), circuit: name))
        }
        let reports = Verifier.verifyBatch(requests)
        XCTAssertEqual(reports.count, requests.count)
        for (name, r) in zip(EndToEnd.circuitNames, reports) { XCTAssertTrue(r.valid, "\(name): \(r.reason ?? "")") }

        // One attestation whose slack proof has a flipped byte, re-signed: only it fails.
        let bad = 3
        let a = try EndToEnd.proved(EndToEnd.circuitNames[bad]).attestation
        let forged = try EndToEnd.proofByteFlipped(a, proofIndex: 2, offset: 5 * 32 + 7)   // inside t̂
        requests[bad].attestationBytes = forged.encode()
        let mixed = Verifier.verifyBatch(requests)
        for (k, r) in mixed.enumerated() {
            if k == bad {
                XCTAssertFalse(r.valid)
                XCTAssertTrue(r.reason?.hasPrefix("range proof rejected") ?? false, r.reason ?? "")
            } else {
                XCTAssertTrue(r.valid, "\(EndToEnd.circuitNames[k]): \(r.reason ?? "")")
            }
        }
        // A non-proof failure in the batch (untrusted key) is reported for that one only.
        requests[bad].attestationBytes = a.encode()
        requests[0].trustedKeys = [EndToEnd.otherKey.publicKey]
        let mixed2 = Verifier.verifyBatch(requests)
        XCTAssertFalse(mixed2[0].valid)
        XCTAssertTrue(mixed2.dropFirst().allSatisfy(\.valid))
    }
}
