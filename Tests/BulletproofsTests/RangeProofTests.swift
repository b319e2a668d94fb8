import XCTest
import Ristretto255
@testable import Merlin
@testable import Bulletproofs

final class RangeProofTests: XCTestCase {
    func makeProof(_ values: [UInt64], n: Int, label: String = "test") throws -> (RangeProof, [[UInt8]]) {
        var t = Transcript(label: label)
        let r = try RangeProof.prove(values: values, blindings: randomBlindings(values.count), bitSize: n, transcript: &t)
        return (r.proof, r.commitments)
    }

    func check(_ p: RangeProof, _ c: [[UInt8]], n: Int, label: String = "test") throws {
        var t = Transcript(label: label)
        try p.verify(commitments: c, bitSize: n, transcript: &t)
    }

    func testRoundTripsEveryBitSizeAndSmallAggregations() throws {
        for n in [8, 16, 32, 64] {
            for m in [1, 2, 4, 8, 16] {
                let maxV: UInt64 = n == 64 ? .max : (UInt64(1) << UInt64(n)) - 1
                var values = (0..<m).map { _ in UInt64.random(in: 0...maxV) }
                values[0] = maxV
                if m > 1 { values[1] = 0 }
                let (p, c) = try makeProof(values, n: n)
                XCTAssertEqual(p.bytes.count, 32 * (9 + 2 * (n * m).trailingZeroBitCount))
                XCTAssertNoThrow(try check(p, c, n: n), "n=\(n) m=\(m)")
                XCTAssertEqual(try RangeProof(bytes: p.bytes), p)
            }
        }
    }

    /// Larger aggregations at n = 8 (cheap) and one m = 512 proof at n = 64 (n·m = 32768).
    func testMoreAggregations() throws {
        for m in [32, 64, 128, 256] {
            let values = (0..<m).map { _ in UInt64.random(in: 0...255) }
            let (p, c) = try makeProof(values, n: 8)
            XCTAssertNoThrow(try check(p, c, n: 8), "m=\(m)")
        }
        let values = (0..<512).map { _ in UInt64.random(in: 0...UInt64.max) }
        let (p, c) = try makeProof(values, n: 64)
        XCTAssertEqual(p.bytes.count, 32 * (9 + 2 * 15))
        XCTAssertNoThrow(try check(p, c, n: 64))
        var c2 = c; c2[511] = c[0]
        XCTAssertThrowsError(try check(p, c2, n: 64))
    }

    /// The verifier's MSM paths agree on a medium statement (n·m = 1024): the first
    /// verification of a shape in a process uses Pippenger, the second request builds the
    /// window-shifted tables, and from then on verifying uses them. The prover never requests
    /// these variable-time tables (its scalars are secret; it has constant-time tables of its
    /// own). Proofs verify both ways (batch verification always runs Pippenger), and a wrong
    /// statement is still rejected on the table path.
    func testWindowShiftedTablePaths() throws {
        let n = 16, m = 64
        XCTAssertFalse(GeneratorCache.shared.hasTables(n: n, m: m), "shape must be unused by other tests")
        let v1 = (0..<m).map { _ in UInt64.random(in: 0...0xffff) }
        let (p1, c1) = try makeProof(v1, n: n)
        XCTAssertFalse(GeneratorCache.shared.hasTables(n: n, m: m))
        XCTAssertNoThrow(try check(p1, c1, n: n))                  // first request: Pippenger
        XCTAssertFalse(GeneratorCache.shared.hasTables(n: n, m: m))
        let (p2, c2) = try makeProof(v1.reversed(), n: n)
        XCTAssertFalse(GeneratorCache.shared.hasTables(n: n, m: m), "the prover requests no variable-time tables")
        XCTAssertNoThrow(try check(p2, c2, n: n))                  // second request: builds and uses the tables
        XCTAssertTrue(GeneratorCache.shared.hasTables(n: n, m: m))
        XCTAssertNoThrow(try check(p1, c1, n: n))
        XCTAssertThrowsError(try check(p2, c1, n: n))
        XCTAssertThrowsError(try check(p1, c1, n: n, label: "other"))
        let items = try [(p1, c1), (p2, c2)].map { p, c in
            RangeProofBatchItem(proof: p, points: try c.map { try RistrettoPoint(compressed: $0) },
                                bitSize: n, transcript: Transcript(label: "test"))
        }
        XCTAssertNoThrow(try RangeProof.batchVerify(items))
    }

    /// Table memory is capped per process: a cache whose budget fits one medium shape builds it
    /// and then declines the next (callers fall back to Pippenger), while small Straus tables
    /// still fit. The estimate matches what is built.
    func testTableBudget() {
        let oneShape = GeneratorCache.tableBytes(n: 8, m: 32)
        let cache = GeneratorCache(tableBudget: oneShape + GeneratorCache.tableBytes(n: 8, m: 1))
        XCTAssertNil(cache.tables(n: 8, m: 32))                 // first request: not yet
        let t = cache.tables(n: 8, m: 32)                       // second: built
        XCTAssertEqual((t as? VartimeFixedBaseMSM)?.tableBytes, oneShape)
        XCTAssertNil(cache.prepare(n: 16, m: 16))               // over budget
        XCTAssertNotNil(cache.prepare(n: 8, m: 1))              // still fits
        XCTAssertNil(cache.prepare(n: 64, m: 64))               // n·m above the table cap
        XCTAssertLessThan(GeneratorCache.tableBytes(n: 64, m: 32), 12 << 20)
        XCTAssertNil(cache.prepare(n: -8, m: 1))               // nonsense sizes never reach the chains
        XCTAssertNil(cache.tables(n: 8, m: 0))
        XCTAssertThrowsError(try RangeProof.prepareTables(bitSize: 7, aggregation: 1))
        XCTAssertThrowsError(try RangeProof.prepareTables(bitSize: 64, aggregation: 3))
        XCTAssertThrowsError(try RangeProof.prepareTables(bitSize: -64, aggregation: -1))
    }

    func testProofSizes() throws {
        XCTAssertEqual(try makeProof([1], n: 64).0.bytes.count, 672)
        XCTAssertEqual(try makeProof([1, 2], n: 64).0.bytes.count, 736)
    }

    func testLargeAggregation() throws {
        let m = 2048
        let values = (0..<m).map { _ in UInt64.random(in: 0...255) }
        let (p, c) = try makeProof(values, n: 8)
        XCTAssertEqual(p.bytes.count, 32 * (9 + 2 * 14))
        XCTAssertNoThrow(try check(p, c, n: 8))
        var c2 = c; c2.swapAt(0, m - 1)
        if c2 != c { XCTAssertThrowsError(try check(p, c2, n: 8)) }
    }

    func testEveryFlippedByteRejected() throws {
        let (p, c) = try makeProof([200], n: 8)
        for i in 0..<p.bytes.count {
            var b = p.bytes
            b[i] ^= UInt8(1 << (i % 8))
            do {
                let q = try RangeProof(bytes: b)
                var t = Transcript(label: "test")
                XCTAssertThrowsError(try q.verify(commitments: c, bitSize: 8, transcript: &t), "byte \(i)")
            } catch {
                // rejected at decoding (invalid point or non-canonical scalar): also fine
            }
        }
    }

    func testWrongStatementsRejected() throws {
        let (p, c) = try makeProof([5, 1000], n: 16)
        XCTAssertNoThrow(try check(p, c, n: 16))
        // wrong commitment
        let other = PedersenGens.standard.commit(value: Scalar(5), blinding: Scalar(1)).compressed()
        XCTAssertThrowsError(try check(p, [other, c[1]], n: 16)) { XCTAssertEqual($0 as? RangeProofError, .verificationFailed) }
        // swapped commitments
        XCTAssertThrowsError(try check(p, [c[1], c[0]], n: 16)) { XCTAssertEqual($0 as? RangeProofError, .verificationFailed) }
        // wrong label
        XCTAssertThrowsError(try check(p, c, n: 16, label: "tesT")) { XCTAssertEqual($0 as? RangeProofError, .verificationFailed) }
        // wrong bit size (same n·m is impossible with the same m; a different n mismatches the rounds)
        XCTAssertThrowsError(try check(p, c, n: 8)) {
            XCTAssertEqual($0 as? RangeProofError, .sizeMismatch(bitSize: 8, values: 2, rounds: 5))
        }
        XCTAssertThrowsError(try check(p, c, n: 12)) { XCTAssertEqual($0 as? RangeProofError, .invalidBitSize(12)) }
        // wrong number of commitments
        XCTAssertThrowsError(try check(p, [c[0]], n: 16))
        XCTAssertThrowsError(try check(p, c + [c[0]], n: 16)) { XCTAssertEqual($0 as? RangeProofError, .invalidAggregation(3)) }
        // 32-bit proof of 1 value and 16-bit proof of 2 values have equal n·m: must not cross-verify
        let (p32, c32) = try makeProof([77], n: 32)
        XCTAssertThrowsError(try check(p32, [c32[0], c32[0]], n: 16))
        // invalid commitment encoding
        XCTAssertThrowsError(try check(p, [[UInt8](repeating: 0xff, count: 32), c[1]], n: 16)) {
            XCTAssertEqual($0 as? RangeProofError, .invalidCommitment(index: 0))
        }
        XCTAssertThrowsError(try check(p, [Array(c[0].prefix(31)), c[1]], n: 16)) {
            XCTAssertEqual($0 as? RangeProofError, .invalidCommitment(index: 0))
        }
    }

    func testStrictDecoding() throws {
        let (p, _) = try makeProof([3], n: 32)
        XCTAssertThrowsError(try RangeProof(bytes: Array(p.bytes.dropLast(32)))) { XCTAssertEqual($0 as? RangeProofError, .wrongLength(got: p.bytes.count - 32)) }
        XCTAssertThrowsError(try RangeProof(bytes: Array(p.bytes.dropLast(1)))) { XCTAssertEqual($0 as? RangeProofError, .wrongLength(got: p.bytes.count - 1)) }
        XCTAssertThrowsError(try RangeProof(bytes: p.bytes + [0])) { XCTAssertEqual($0 as? RangeProofError, .wrongLength(got: p.bytes.count + 1)) }
        XCTAssertThrowsError(try RangeProof(bytes: [])) { XCTAssertEqual($0 as? RangeProofError, .wrongLength(got: 0)) }
        XCTAssertThrowsError(try RangeProof(bytes: [UInt8](repeating: 0, count: 32 * 8)))
        // Oversized but well-formed length (two more rounds): decodes only if every word is valid;
        // with the proof's own words duplicated it decodes but cannot verify.
        let bigger = Array(p.bytes.prefix(32 * 7)) + Array(p.bytes[(32 * 7)..<(32 * 9)]) + Array(p.bytes[(32 * 7)...])
        let q = try RangeProof(bytes: bigger)
        var t = Transcript(label: "test")
        XCTAssertThrowsError(try q.verify(points: [PedersenGens.standard.B], bitSize: 32, transcript: &t))
        // Non-canonical scalar: t_x = ℓ (word 4) and a = 2^256 − 1.
        let ell = unhex("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")
        var b1 = p.bytes; b1.replaceSubrange((32 * 4)..<(32 * 5), with: ell)
        XCTAssertThrowsError(try RangeProof(bytes: b1)) { XCTAssertEqual($0 as? RangeProofError, .nonCanonicalScalar(field: "t_x")) }
        var b2 = p.bytes; b2.replaceSubrange((b2.count - 64)..<(b2.count - 32), with: [UInt8](repeating: 0xff, count: 32))
        XCTAssertThrowsError(try RangeProof(bytes: b2)) { XCTAssertEqual($0 as? RangeProofError, .nonCanonicalScalar(field: "a")) }
        // Invalid point encoding in L[2].
        var b3 = p.bytes; b3.replaceSubrange((32 * 11)..<(32 * 12), with: [UInt8](repeating: 0xff, count: 32))
        XCTAssertThrowsError(try RangeProof(bytes: b3)) { XCTAssertEqual($0 as? RangeProofError, .invalidPoint(field: "L[2]")) }
        // Identity A and identity R[0] decode but are rejected by the verifier.
        var b4 = p.bytes; b4.replaceSubrange(0..<32, with: [UInt8](repeating: 0, count: 32))
        var t4 = Transcript(label: "test")
        XCTAssertThrowsError(try RangeProof(bytes: b4).verify(points: [PedersenGens.standard.B], bitSize: 32, transcript: &t4)) {
            XCTAssertEqual($0 as? RangeProofError, .identityPoint(field: "A"))
        }
        var b5 = p.bytes; b5.replaceSubrange((32 * 8)..<(32 * 9), with: [UInt8](repeating: 0, count: 32))
        var t5 = Transcript(label: "test")
        XCTAssertThrowsError(try RangeProof(bytes: b5).verify(points: [PedersenGens.standard.B], bitSize: 32, transcript: &t5)) {
            XCTAssertEqual($0 as? RangeProofError, .identityPoint(field: "R[0]"))
        }
    }

    func testProverRejectsBadInputs() {
        var t = Transcript(label: "test")
        XCTAssertThrowsError(try RangeProof.prove(values: [256], blindings: [Scalar(1)], bitSize: 8, transcript: &t)) {
            XCTAssertEqual($0 as? RangeProofError, .valueOutOfRange(index: 0, bitSize: 8))
        }
        XCTAssertThrowsError(try RangeProof.prove(values: [1, UInt64(1) << 32], blindings: [Scalar(1), Scalar(2)], bitSize: 32, transcript: &t)) {
            XCTAssertEqual($0 as? RangeProofError, .valueOutOfRange(index: 1, bitSize: 32))
        }
        XCTAssertThrowsError(try RangeProof.prove(values: [1, 2, 3], blindings: [Scalar(1), Scalar(2), Scalar(3)], bitSize: 8, transcript: &t)) {
            XCTAssertEqual($0 as? RangeProofError, .invalidAggregation(3))
        }
        XCTAssertThrowsError(try RangeProof.prove(values: [], blindings: [], bitSize: 8, transcript: &t)) {
            XCTAssertEqual($0 as? RangeProofError, .invalidAggregation(0))
        }
        XCTAssertThrowsError(try RangeProof.prove(values: [1], blindings: [], bitSize: 8, transcript: &t)) {
            XCTAssertEqual($0 as? RangeProofError, .blindingCountMismatch(values: 1, blindings: 0))
        }
        XCTAssertThrowsError(try RangeProof.prove(values: [1], blindings: [Scalar(1)], bitSize: 7, transcript: &t)) {
            XCTAssertEqual($0 as? RangeProofError, .invalidBitSize(7))
        }
    }

    func testBatchVerification() throws {
        var items: [RangeProofBatchItem] = []
        for (n, m) in [(64, 1), (8, 4), (32, 2), (16, 1), (64, 2)] {
            let maxV: UInt64 = n == 64 ? .max : (UInt64(1) << UInt64(n)) - 1
            let values = (0..<m).map { _ in UInt64.random(in: 0...maxV) }
            let label = "batch-\(n)-\(m)"
            let (p, c) = try makeProof(values, n: n, label: label)
            items.append(RangeProofBatchItem(proof: p, points: try c.map { try RistrettoPoint(compressed: $0) },
                                             bitSize: n, transcript: Transcript(label: label)))
        }
        XCTAssertNoThrow(try RangeProof.batchVerify(items))
        XCTAssertNoThrow(try RangeProof.batchVerify([]))
        // With the generators prepared for exactly these shapes (what a VerifierContext keeps),
        // and with generators for other shapes (ignored: gathered per call instead).
        let shapes = RangeProofBatchGenerators.shapes(of: items)
        XCTAssertEqual(RangeProofBatchGenerators.partyBitSizes(shapes: shapes), [64, 64, 8, 8])
        let prepared = RangeProofBatchGenerators(shapes: shapes)
        XCTAssertEqual(prepared.pointCount, 2 + 2 * (64 + 64 + 8 + 8))
        let unrelated = RangeProofBatchGenerators(shapes: [(bitSize: 8, aggregation: 1)])
        let tables = RangeProofBatchGenerators(shapes: shapes, fixedBaseTables: true)
        XCTAssertTrue(tables.hasFixedBaseTables)
        XCTAssertFalse(prepared.hasFixedBaseTables)
        XCTAssertEqual(tables.pointCount, prepared.pointCount)
        XCTAssertEqual(tables.byteCount, RangeProofBatchGenerators.estimatedBytes(partyBitSizes: [64, 64, 8, 8], fixedBaseTables: true))
        XCTAssertEqual(prepared.byteCount, RangeProofBatchGenerators.estimatedBytes(partyBitSizes: [64, 64, 8, 8], fixedBaseTables: false))
        XCTAssertNoThrow(try RangeProof.batchVerify(items, generators: prepared))
        XCTAssertNoThrow(try RangeProof.batchVerify(items, generators: tables))
        XCTAssertNoThrow(try RangeProof.batchVerify(items, generators: unrelated))
        // One proof checked against a wrong commitment: the whole batch fails.
        var bad = items
        bad[2] = RangeProofBatchItem(proof: items[2].proof, points: [items[2].points[1], items[2].points[0]],
                                     bitSize: 32, transcript: items[2].transcript)
        XCTAssertThrowsError(try RangeProof.batchVerify(bad)) { XCTAssertEqual($0 as? RangeProofError, .verificationFailed) }
        for g in [prepared, tables] {
            XCTAssertThrowsError(try RangeProof.batchVerify(bad, generators: g)) {
                XCTAssertEqual($0 as? RangeProofError, .verificationFailed)
            }
        }
        // One proof under the wrong transcript label.
        var bad2 = items
        bad2[0] = RangeProofBatchItem(proof: items[0].proof, points: items[0].points, bitSize: 64,
                                      transcript: Transcript(label: "other"))
        XCTAssertThrowsError(try RangeProof.batchVerify(bad2))
        // A malformed item surfaces its specific error.
        var bad3 = items
        bad3[1] = RangeProofBatchItem(proof: items[1].proof, points: items[1].points, bitSize: 16,
                                      transcript: items[1].transcript)
        XCTAssertThrowsError(try RangeProof.batchVerify(bad3)) {
            XCTAssertEqual($0 as? RangeProofError, .sizeMismatch(bitSize: 16, values: 4, rounds: 5))
        }
        // The reference proofs batch with ours.
        let vectors = try XCTUnwrap(try loadSample()["vectors"] as? [[String: Any]])
        var withRef = items
        for v in vectors {
            let p = try RangeProof(bytes: unhex(try XCTUnwrap(v["proof"] as? String)))
            let pts = try XCTUnwrap(v["commitments"] as? [String]).map { try RistrettoPoint(compressed: unhex($0)) }
            withRef.append(RangeProofBatchItem(proof: p, points: pts, bitSize: try XCTUnwrap(v["n"] as? Int),
                                               transcript: Transcript(label: "riskattest-vector")))
        }
        XCTAssertNoThrow(try RangeProof.batchVerify(withRef))
    }

    func testChallengeScalarIsWideReduction() {
        var t1 = Transcript(label: "c")
        var t2 = t1
        let bytes = t1.challengeBytes(label: "x", count: 64)
        XCTAssertEqual(t2.challengeScalar(label: "x"), Scalar(reducing64: bytes))
    }
}
