import XCTest
import Ristretto255
@testable import Attestation

extension AttestationBody {
    func replacingProofsForTest(_ proofs: [AggregatedRangeProof]) throws -> AttestationBody {
        try AttestationBody(circuitName: circuitName, circuitVersion: circuitVersion, circuitHash: circuitHash,
                            parameters: parameters, snapshotID: snapshotID, snapshotHash: snapshotHash,
                            proverKey: proverKey, createdAt: createdAt, expiresAt: expiresAt, nonce: nonce,
                            witnessBits: witnessBits, scales: scales, instrumentCommitments: instrumentCommitments,
                            collateralCommitments: collateralCommitments, auxiliaryMembers: auxiliaryMembers,
                            bookRoot: bookRoot, constraintCount: constraintCount,
                            slackHighCommitments: slackHighCommitments, rangeProofs: proofs)
    }
}

final class FormatTests: XCTestCase {
    typealias F = FormatFixtures

    func testRoundTrip() throws {
        let a = try F.attestation()
        let enc = a.encode()
        let b = try AttestationV1.decode(enc)
        XCTAssertEqual(a, b)
        XCTAssertEqual(b.encode(), enc)
        XCTAssertEqual(b.parameters.map(\.name), ["buffer", "k"])
        XCTAssertEqual(b.memberCount, 6)
        XCTAssertEqual(b.memberKind(at: 4), .collateral)
        XCTAssertEqual(b.unitDigits(ofMember: 5), 8)
        XCTAssertNil(b.memberKind(at: 6))
        // Without a nonce too (the flag byte distinguishes "absent" from any nonce).
        let c = try AttestationV1(body: try F.body(nonce: nil), signature: F.bytes(64, seed: 8))
        XCTAssertEqual(try AttestationV1.decode(c.encode()), c)
        XCTAssertEqual(c.encode().count, enc.count - 20)
        // A body without proofs (the transcript's public-input encoding) round-trips too.
        let d = try AttestationV1(body: try F.body().replacingProofsForTest([]), signature: F.bytes(64, seed: 8))
        XCTAssertEqual(try AttestationV1.decode(d.encode()), d)
    }

    /// The encoding equals a byte string assembled by hand from the layout in SPEC §13.
    func testEncodingMatchesHandAssembledLayout() throws {
        let a = try F.attestation()
        var e: [UInt8] = Array("RATT".utf8) + [3, 0]
        func u32(_ v: Int) -> [UInt8] { [UInt8(v & 255), UInt8((v >> 8) & 255), UInt8((v >> 16) & 255), UInt8(v >> 24)] }
        func str(_ s: String) -> [UInt8] { u32(s.utf8.count) + Array(s.utf8) }
        func i64(_ v: Int64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: UInt64(bitPattern: v) >> (8 * UInt64($0))) } }
        e += str("portfolio-margin") + u32(2) + F.bytes(32, seed: 1)
        e += u32(2) + str("buffer") + str("1.2") + str("k") + str("0.015")
        e += str("deribit-2026-11-24T08:00Z") + F.bytes(32, seed: 2) + F.bytes(32, seed: 3)
        e += i64(1_795_939_200) + i64(1_795_942_800)
        e += [1] + u32(16) + F.bytes(16, seed: 9)
        e += [32, 4, 8, 24]
        e += u32(3)
        for k in 0..<3 { e += try F.pair(k).plus.encoding + F.pair(k).minus.encoding }
        e += u32(2)
        for k in 3..<5 { e += try F.pair(k).plus.encoding + F.pair(k).minus.encoding }
        e += try u32(1) + str("settlement:USD") + [8] + F.pair(5).plus.encoding + F.pair(5).minus.encoding
        e += F.bytes(32, seed: 4) + u32(3)
        for k in 6..<9 { e += try F.commitment(1 + k % 15).encoding }
        e += u32(3)
        e += [1, 32] + u32(8) + u32(800) + F.bytes(800, seed: 5)
        e += [2, 64] + u32(8) + u32(864) + F.bytes(864, seed: 6)
        e += [3, 64] + u32(8) + u32(864) + F.bytes(864, seed: 7)
        XCTAssertEqual(a.body.encode(), e)
        XCTAssertEqual(a.encode(), e + F.bytes(64, seed: 8))
        XCTAssertEqual(a.signedMessage, Array("riskattest/attestation/v3".utf8) + e)
        XCTAssertEqual(F.firstCommitmentOffset(e), 235)
        XCTAssertEqual(Array(e[235..<267]), try F.pair(0).plus.encoding)
    }

    func testEveryTruncationFailsAsTruncated() throws {
        let enc = try F.attestation().encode()
        for n in 0..<enc.count {
            do {
                _ = try AttestationV1.decode(Array(enc[0..<n]))
                XCTFail("prefix of \(n) bytes decoded")
            } catch {
                guard case .truncated(let field, _, _, _) = error else {
                    XCTFail("prefix of \(n) bytes: expected a truncation error, got \(error)"); continue
                }
                XCTAssertFalse(field.isEmpty)
            }
        }
        // Spot checks that the field is named right.
        XCTAssertThrowsError(try AttestationV1.decode(Array(enc[0..<2]))) {
            XCTAssertEqual($0 as? AttestationFormatError, .truncated(field: "magic", offset: 0, needed: 4, available: 2))
        }
        XCTAssertThrowsError(try AttestationV1.decode(Array(enc[0..<(enc.count - 1)]))) {
            XCTAssertEqual($0 as? AttestationFormatError,
                           .truncated(field: "signature", offset: enc.count - 64, needed: 64, available: 63))
        }
    }

    func testTrailingByteRejected() throws {
        let enc = try F.attestation().encode()
        XCTAssertThrowsError(try AttestationV1.decode(enc + [0])) {
            XCTAssertEqual($0 as? AttestationFormatError, .trailingBytes(offset: enc.count, count: 1))
        }
    }

    func testOversizedLengthsRejectedBeforeAllocation() throws {
        let enc = try F.attestation().encode()
        func patched(_ offset: Int, _ v: UInt32) -> [UInt8] {
            var e = enc
            for i in 0..<4 { e[offset + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(i))) }
            return e
        }
        // circuitName length at offset 6.
        XCTAssertThrowsError(try AttestationV1.decode(patched(6, .max))) {
            XCTAssertEqual($0 as? AttestationFormatError, .lengthOverLimit(field: "circuitName", length: Int(UInt32.max), limit: 64))
        }
        // Parameter count at offset 62.
        XCTAssertThrowsError(try AttestationV1.decode(patched(62, 1_000_000))) {
            XCTAssertEqual($0 as? AttestationFormatError, .countOutOfRange(field: "parameters", count: 1_000_000, allowed: 0...64))
        }
        // Instrument count (just before the first commitment).
        let ic = F.firstCommitmentOffset(enc) - 4
        XCTAssertThrowsError(try AttestationV1.decode(patched(ic, .max))) {
            XCTAssertEqual($0 as? AttestationFormatError,
                           .countOutOfRange(field: "instrumentCommitments", count: Int(UInt32.max), allowed: 0...1024))
        }
        // A count within the limit that cannot fit in the remaining bytes: rejected up front.
        XCTAssertThrowsError(try AttestationV1.decode(patched(ic, 1024))) {
            guard case .truncated(field: "instrumentCommitments", _, needed: 65536, _)? = $0 as? AttestationFormatError else {
                return XCTFail("\($0)")
            }
        }
        // Nonce length at offset 207.
        XCTAssertThrowsError(try AttestationV1.decode(patched(207, 65))) {
            XCTAssertEqual($0 as? AttestationFormatError, .lengthOverLimit(field: "nonce", length: 65, limit: 64))
        }
        // Proof length (first proof's length field: after kind, bits, m).
        let proofsStart = enc.count - 64 - (6 + 4 + 800) - (6 + 4 + 864) - (6 + 4 + 864)
        XCTAssertThrowsError(try AttestationV1.decode(patched(proofsStart + 6, .max))) {
            guard case .lengthOverLimit(field: "rangeProofs[0].bytes", length: _, limit: _)? = $0 as? AttestationFormatError else {
                return XCTFail("\($0)")
            }
        }
        // Whole input above 4 MiB.
        XCTAssertThrowsError(try AttestationV1.decode(enc + [UInt8](repeating: 0, count: 4 << 20))) {
            XCTAssertEqual($0 as? AttestationFormatError, .totalSizeOverLimit(size: enc.count + (4 << 20), limit: 4 << 20))
        }
    }

    func testNonCanonicalPointsRejected() throws {
        let enc = try F.attestation().encode()
        let at = F.firstCommitmentOffset(enc)
        let bad = F.invalidEncodings
        XCTAssertGreaterThanOrEqual(bad.count, 10)
        for b in bad {
            var e = enc
            e.replaceSubrange(at..<at + 32, with: b)
            XCTAssertThrowsError(try AttestationV1.decode(e)) {
                guard case .nonCanonicalPoint(field: "instrumentCommitments[0].plus", _)? = $0 as? AttestationFormatError else {
                    return XCTFail("\(F.hex(b)): \($0)")
                }
            }
        }
        // The identity (RFC 9496 A.1, k = 0) is a valid encoding but never a commitment.
        var e = enc
        e.replaceSubrange(at + 32..<at + 64, with: F.multiples[0])
        XCTAssertThrowsError(try AttestationV1.decode(e)) {
            XCTAssertEqual($0 as? AttestationFormatError, .identityCommitment(field: "instrumentCommitments[0].minus"))
        }
    }

    func testHeaderAndFieldRules() throws {
        let enc = try F.attestation().encode()
        var e = enc; e[0] = UInt8(ascii: "X")
        XCTAssertThrowsError(try AttestationV1.decode(e)) { XCTAssertEqual($0 as? AttestationFormatError, .badMagic(found: Array("XATT".utf8))) }
        e = enc; e[4] = 4
        XCTAssertThrowsError(try AttestationV1.decode(e)) { XCTAssertEqual($0 as? AttestationFormatError, .unsupportedVersion(4)) }
        e = enc; e[4] = 2
        XCTAssertThrowsError(try AttestationV1.decode(e)) {
            XCTAssertEqual($0 as? AttestationFormatError, .unsupportedVersion(2))
            XCTAssertTrue("\($0)".hasPrefix("unsupported attestation format version 2"), "\($0)")
        }
        e = enc; e[4] = 1
        XCTAssertThrowsError(try AttestationV1.decode(e)) {
            XCTAssertEqual($0 as? AttestationFormatError, .unsupportedVersion(1))
            XCTAssertTrue("\($0)".hasPrefix("unsupported attestation format version 1"), "\($0)")
        }
        e = enc; e[206] = 2   // nonce flag
        XCTAssertThrowsError(try AttestationV1.decode(e)) { XCTAssertEqual($0 as? AttestationFormatError, .invalidFlag(field: "nonce.present", value: 2)) }
        e = enc; e[227] = 12   // witness bits
        XCTAssertThrowsError(try AttestationV1.decode(e)) {
            XCTAssertEqual($0 as? AttestationFormatError, .invalidValue(field: "witnessBits", reason: "12 is not 8, 16, 32 or 64"))
        }
        // A parameter value must be canonical: change "1.2" to "1.0".
        e = enc; e[82] = UInt8(ascii: "0")
        XCTAssertEqual(Array(enc[76..<83]), [3, 0, 0, 0] + Array("1.2".utf8))
        XCTAssertThrowsError(try AttestationV1.decode(e)) {
            XCTAssertEqual($0 as? AttestationFormatError, .nonCanonicalDecimal(field: "parameters[buffer].value", text: "1.0"))
        }
        // Parameter names out of order.
        XCTAssertThrowsError(try AttestationBody(circuitName: "c", circuitVersion: 1, circuitHash: F.bytes(32, seed: 1),
            parameters: [try AttestationParameter(name: "k", value: "1"), try AttestationParameter(name: "buffer", value: "1")],
            snapshotID: "s", snapshotHash: F.bytes(32, seed: 1), proverKey: F.bytes(32, seed: 1), createdAt: 0, expiresAt: 1,
            nonce: nil, witnessBits: 64, scales: F.attestation().scales, instrumentCommitments: [], collateralCommitments: [],
            auxiliaryMembers: F.attestation().auxiliaryMembers, bookRoot: F.bytes(32, seed: 1), constraintCount: 1,
            slackHighCommitments: [try F.commitment(1)],
            rangeProofs: [try AggregatedRangeProof(kind: .constraintSlacks, bitSize: 64, valueCount: 2, bytes: F.bytes(736, seed: 1))])) {
            XCTAssertEqual($0 as? AttestationFormatError, .parametersNotSorted(name: "buffer"))
        }
        // expires-at must be after created-at: set expiresAt = createdAt.
        e = enc; e.replaceSubrange(198..<206, with: enc[190..<198])
        XCTAssertThrowsError(try AttestationV1.decode(e)) {
            XCTAssertEqual($0 as? AttestationFormatError, .invalidValidityWindow(createdAt: 1_795_939_200, expiresAt: 1_795_939_200))
        }
    }

    func testProofShapeRules() throws {
        // 32·(9 + 2·log2(n·m)): 672 bytes for one 64-bit value (the Rust crate's size).
        XCTAssertEqual(AggregatedRangeProof.expectedLength(bitSize: 64, valueCount: 1), 672)
        XCTAssertEqual(AggregatedRangeProof.expectedLength(bitSize: 8, valueCount: 1), 480)
        XCTAssertEqual(AggregatedRangeProof.expectedLength(bitSize: 64, valueCount: 4096), 32 * (9 + 36))
        XCTAssertThrowsError(try AggregatedRangeProof(kind: .witnessHalves, bitSize: 64, valueCount: 3, bytes: []))
        XCTAssertThrowsError(try AggregatedRangeProof(kind: .witnessHalves, bitSize: 24, valueCount: 4, bytes: []))
        XCTAssertThrowsError(try AggregatedRangeProof(kind: .witnessHalves, bitSize: 64, valueCount: 1, bytes: F.bytes(671, seed: 0)))
        let enc = try F.attestation().encode()
        let proofsStart = enc.count - 64 - (6 + 4 + 800) - (6 + 4 + 864) - (6 + 4 + 864)
        var e = enc; e[proofsStart] = 3   // two slack proofs / wrong order
        XCTAssertThrowsError(try AttestationV1.decode(e)) {
            guard case .invalidProof(field: "rangeProofs[1]", _)? = $0 as? AttestationFormatError else { return XCTFail("\($0)") }
        }
        e = enc; e[proofsStart] = 9
        XCTAssertThrowsError(try AttestationV1.decode(e)) {
            XCTAssertEqual($0 as? AttestationFormatError, .invalidProof(field: "rangeProofs[0].kind", reason: "unknown proof kind 9"))
        }
        // Constraint count 5 needs a slack proof over m = 16 (two limbs each); the proof has m = 8.
        let b = try F.attestation().body
        func body(constraints: Int, highs: Int) throws -> AttestationBody {
            try AttestationBody(
                circuitName: b.circuitName, circuitVersion: b.circuitVersion, circuitHash: b.circuitHash, parameters: b.parameters,
                snapshotID: b.snapshotID, snapshotHash: b.snapshotHash, proverKey: b.proverKey, createdAt: b.createdAt,
                expiresAt: b.expiresAt, nonce: b.nonce, witnessBits: b.witnessBits, scales: b.scales,
                instrumentCommitments: b.instrumentCommitments, collateralCommitments: b.collateralCommitments,
                auxiliaryMembers: b.auxiliaryMembers, bookRoot: b.bookRoot, constraintCount: constraints,
                slackHighCommitments: try (1...highs).map { try F.commitment($0) }, rangeProofs: b.rangeProofs)
        }
        XCTAssertThrowsError(try body(constraints: 5, highs: 5)) {
            guard case .invalidProof(field: "rangeProofs[constraint slacks]", _)? = $0 as? AttestationFormatError else { return XCTFail("\($0)") }
        }
        // One high-limb commitment per constraint, no more, no fewer.
        XCTAssertThrowsError(try body(constraints: 3, highs: 2)) {
            guard case .countOutOfRange(field: "slackHighCommitments", _, _)? = $0 as? AttestationFormatError else { return XCTFail("\($0)") }
        }
        XCTAssertNoThrow(try body(constraints: 3, highs: 3))
    }

    func testCanonicalDecimal() {
        for ok in ["0", "1", "-1", "1.5", "0.015", "-0.5", "123456789", "10", "0.0001"] {
            XCTAssertTrue(CanonicalDecimal.isCanonical(ok), ok)
        }
        for bad in ["", "-", "-0", "01", "1.", ".5", "1.50", "1.0", "+1", "1e3", " 1", "1,5", "0.", "--1", "00"] {
            XCTAssertFalse(CanonicalDecimal.isCanonical(bad), bad)
        }
        XCTAssertEqual(CanonicalDecimal.fromDouble(67000.5), "67000.5")
        XCTAssertEqual(CanonicalDecimal.fromDouble(1e-05), "0.00001")
        XCTAssertEqual(CanonicalDecimal.fromDouble(1e16), "10000000000000000")
        XCTAssertEqual(CanonicalDecimal.fromDouble(-0.1), "-0.1")
        XCTAssertEqual(CanonicalDecimal.fromDouble(100), "100")
        XCTAssertEqual(CanonicalDecimal.fromDouble(-0.0), "0")
        XCTAssertEqual(CanonicalDecimal.fromDouble(1.25e-7), "0.000000125")
        XCTAssertNil(CanonicalDecimal.fromDouble(.nan))
        XCTAssertNil(CanonicalDecimal.fromDouble(1e300))
    }
}
