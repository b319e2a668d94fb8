import CSodium
import XCTest
@testable import Ristretto255

final class MSMTests: XCTestCase {
    /// MSM against the sum of independent single multiplications (which are themselves checked
    /// against libsodium), across the Straus/Pippenger crossover and several Pippenger windows.
    func testMSMMatchesSumOfProducts() {
        var rng = TestRNG(seed: 11)
        for n in [1, 2, 3, 7, 16, 64, 189, 190, 191, 300, 600, 1000] {
            var scalars: [Scalar] = [], points: [RistrettoPoint] = []
            for i in 0..<n {
                // include zeros, ones, −1 and repeated points to hit edge cases
                let s: Scalar = i % 17 == 5 ? .zero : (i % 19 == 3 ? -Scalar.one : rng.scalar())
                scalars.append(s)
                points.append(i % 23 == 7 && i > 0 ? points[i - 1] : rng.point())
            }
            var expected = RistrettoPoint.identity
            for i in 0..<n { expected = expected + points[i].mulVartime(scalars[i]) }
            XCTAssertEqual(RistrettoPoint.multiscalarMulVartime(scalars, points), expected, "n=\(n)")
        }
        XCTAssertTrue(RistrettoPoint.multiscalarMulVartime([], []).isIdentity)
    }

    func testLargeWindowPippenger() {
        // Exercise each window size directly on a moderate n.
        var rng = TestRNG(seed: 12)
        let n = 40
        let scalars = (0..<n).map { _ in rng.scalar() }
        let points = (0..<n).map { _ in rng.point() }
        let expected = RistrettoPoint(MSM.straus(scalars, points, n))
        for w in [6, 7, 8, 10, 12, 13] {
            XCTAssertEqual(RistrettoPoint(MSM.pippenger(scalars, points, n, window: w)), expected, "w=\(w)")
        }
    }

    func testConstantTimeEqualsVartime() {
        var rng = TestRNG(seed: 13)
        for _ in 0..<200 {
            let s = rng.scalar(), p = rng.point()
            XCTAssertEqual(s * p, p.mulVartime(s))
        }
    }

    func testFieldBatchInvert() {
        var rng = TestRNG(seed: 14)
        var xs = (0..<20).map { i -> FieldElement in i == 4 ? .zero : FieldElement(bytes: rng.bytes(32)) }
        let orig = xs
        FieldElement.batchInvert(&xs)
        for i in 0..<xs.count {
            if i == 4 { XCTAssertTrue(xs[i].isZero) } else {
                XCTAssertEqual((xs[i] * orig[i]).bytes, FieldElement.one.bytes)
            }
        }
    }
}

final class PrecomputedMSMTests: XCTestCase {
    func testPrecomputedMatchesSumOfProducts() {
        var rng = TestRNG(seed: 21)
        let statics = (0..<40).map { _ in rng.point() }
        for width in [5, 6, 8] {
            let pre = VartimePrecomputedMSM(points: statics, width: width)
            for (ns, nd) in [(40, 0), (40, 3), (17, 5), (0, 4), (1, 0)] {
                let ss = (0..<ns).map { i in i == 2 ? Scalar.zero : rng.scalar() }
                let ds = (0..<nd).map { _ in rng.scalar() }
                let dp = (0..<nd).map { _ in rng.point() }
                var expected = RistrettoPoint.identity
                for i in 0..<ns { expected = expected + statics[i].mulVartime(ss[i]) }
                for j in 0..<nd { expected = expected + dp[j].mulVartime(ds[j]) }
                XCTAssertEqual(pre.mul(staticScalars: ss, dynamicScalars: ds, dynamicPoints: dp), expected,
                               "w=\(width) ns=\(ns) nd=\(nd)")
            }
        }
    }
}

final class ConstantTimeMSMTests: XCTestCase {
    func testConstantTimeMSMMatchesSodiumProducts() {
        var rng = TestRNG(seed: 31)
        for n in [1, 2, 5, 33] {
            let ss = (0..<n).map { i in i == 1 ? Scalar.zero : rng.scalar() }
            let ps = (0..<n).map { _ in rng.point() }
            // Reference: sum of libsodium scalar multiplications, added with libsodium.
            var acc = [UInt8](repeating: 0, count: 32)
            for i in 0..<n {
                var prod = [UInt8](repeating: 0, count: 32)
                if crypto_scalarmult_ristretto255(&prod, ss[i].bytes, ps[i].compressed()) != 0 {
                    prod = [UInt8](repeating: 0, count: 32)
                }
                var sum = [UInt8](repeating: 0, count: 32)
                XCTAssertEqual(crypto_core_ristretto255_add(&sum, acc, prod), 0)
                acc = sum
            }
            XCTAssertEqual(RistrettoPoint.multiscalarMul(ss, ps).compressed(), acc, "n=\(n)")
        }
        XCTAssertTrue(RistrettoPoint.multiscalarMul([], []).isIdentity)
    }

    func testConditionalSelect() {
        var rng = TestRNG(seed: 32)
        let a = rng.point(), b = rng.point()
        XCTAssertEqual(RistrettoPoint.conditionalSelect(a, b, choice: 0), a)
        XCTAssertEqual(RistrettoPoint.conditionalSelect(a, b, choice: 1), b)
        let s = rng.scalar(), t = rng.scalar()
        XCTAssertEqual(Scalar.conditionalSelect(s, t, choice: 0), s)
        XCTAssertEqual(Scalar.conditionalSelect(s, t, choice: 1), t)
        XCTAssertNotEqual(a, b)
    }
}
