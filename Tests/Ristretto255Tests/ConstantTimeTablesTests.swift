import XCTest
@testable import Ristretto255

/// Differential tests: the constant-time multiscalar multiplications (per-call tables and
/// precomputed generator tables) equal the variable-time one on random inputs, across the
/// block boundaries of the blocked Straus loop and with the edge-case scalars 0, 1, −1 and
/// scalars near 2^252 (the top radix-16 digit and the final carry).
final class ConstantTimeTablesTests: XCTestCase {
    func edgeScalar(_ i: Int, _ rng: inout TestRNG) -> Scalar {
        switch i % 29 {
        case 3: return .zero
        case 7: return .one
        case 11: return -Scalar.one                                  // ℓ − 1: every digit position used
        case 13: return Scalar(UInt64(1) << 63) * Scalar(UInt64(1) << 63) * Scalar(UInt64(1) << 63)
            * Scalar(UInt64(1) << 63)                                  // 2^252 (top digit, carries)
        case 17: return Scalar(0x8888_8888_8888_8888) * Scalar(0x1_0000_0000) + Scalar(0xffff_ffff) // mixed carries
        default: return rng.scalar()
        }
    }

    func testPerCallConstantTimeMSMEqualsVartime() {
        var rng = TestRNG(seed: 41)
        let block = ConstantTimeMSM.blockSize
        for n in [1, 2, 9, block - 1, block, block + 1, 2 * block + 3] {
            let ss = (0..<n).map { edgeScalar($0, &rng) }
            let ps = (0..<n).map { i in i % 31 == 5 && i > 0 ? RistrettoPoint.identity : rng.point() }
            XCTAssertEqual(RistrettoPoint.multiscalarMul(ss, ps), RistrettoPoint.multiscalarMulVartime(ss, ps), "n=\(n)")
        }
        // Extra entries of the longer array are ignored, as in the variable-time version.
        let ss = (0..<5).map { _ in rng.scalar() }, ps = (0..<3).map { _ in rng.point() }
        XCTAssertEqual(RistrettoPoint.multiscalarMul(ss, ps), RistrettoPoint.multiscalarMulVartime(ss, ps))
    }

    func testPrecomputedTablesEqualVartime() {
        var rng = TestRNG(seed: 42)
        let count = 600
        let points = (0..<count).map { _ in rng.point() }
        let tables = ConstantTimePointTables(points: points)
        XCTAssertEqual(tables.pointCount, count)
        XCTAssertEqual(tables.tableBytes, count * ConstantTimePointTables.bytesPerPoint)
        XCTAssertEqual(ConstantTimePointTables.bytesPerPoint, 1536)
        // Prefix form, including fewer scalars than points and more.
        for n in [0, 1, 17, 256, 257, 600, 700] {
            let ss = (0..<n).map { edgeScalar($0, &rng) }
            let k = min(n, count)
            XCTAssertEqual(tables.mul(secretScalars: ss),
                           RistrettoPoint.multiscalarMulVartime(Array(ss.prefix(k)), Array(points.prefix(k))), "n=\(n)")
        }
        // Indexed form: any public subset, repeats allowed, in any order.
        for n in [1, 5, 255, 256, 300, 1000] {
            let ix = (0..<n).map { _ in Int32(rng.next() % UInt64(count)) }
            let ss = (0..<n).map { edgeScalar($0, &rng) }
            XCTAssertEqual(tables.mul(secretScalars: ss, indices: ix),
                           RistrettoPoint.multiscalarMulVartime(ss, ix.map { points[Int($0)] }), "indexed n=\(n)")
        }
        XCTAssertTrue(tables.mul(secretScalars: [], indices: []).isIdentity)
    }

    /// The blocked loop gives the same point for every thread count (the chunking only changes
    /// how exact group additions are grouped) — checked by comparing with one long block-free
    /// reference: the sum of constant-time single multiplications.
    func testTablesEqualSumOfConstantTimeProducts() {
        var rng = TestRNG(seed: 43)
        let points = (0..<40).map { _ in rng.point() }
        let tables = ConstantTimePointTables(points: points)
        let ss = (0..<40).map { edgeScalar($0, &rng) }
        var expected = RistrettoPoint.identity
        for i in 0..<40 { expected = expected + ss[i] * points[i] }
        XCTAssertEqual(tables.mul(secretScalars: ss), expected)
    }
}
