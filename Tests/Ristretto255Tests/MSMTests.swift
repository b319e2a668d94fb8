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

    /// Prepared points (converted once) give the same sums as the plain MSM, alone, with
    /// dynamic points, with fewer scalars than points, across the parallel split.
    func testPreparedMatchesPlain() {
        var rng = TestRNG(seed: 15)
        for (n, d) in [(0, 3), (1, 0), (5, 2), (190, 0), (700, 40), (2100, 300)] {
            var scalars: [Scalar] = [], points: [RistrettoPoint] = []
            for i in 0..<n {
                scalars.append(i % 13 == 4 ? .zero : rng.scalar())
                points.append(i % 29 == 9 && i > 0 ? points[i - 1] : rng.point())
            }
            let ds = (0..<d).map { _ in rng.scalar() }, dp = (0..<d).map { _ in rng.point() }
            let prepared = VartimePreparedPoints(points)
            XCTAssertEqual(prepared.count, n)
            XCTAssertEqual(prepared.byteCount, n * VartimePreparedPoints.bytesPerPoint)
            let expected = RistrettoPoint.multiscalarMulVartime(scalars + ds, points + dp)
            XCTAssertEqual(RistrettoPoint.multiscalarMulVartime(scalars, prepared: prepared, dynamicScalars: ds,
                                                                dynamicPoints: dp), expected, "n=\(n) d=\(d)")
            if n > 1 {
                let half = n / 2
                XCTAssertEqual(RistrettoPoint.multiscalarMulVartime(Array(scalars.prefix(half)), prepared: prepared),
                               RistrettoPoint.multiscalarMulVartime(Array(scalars.prefix(half)), Array(points.prefix(half))),
                               "n=\(n), first half of the scalars")
            }
        }
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

final class FixedBaseMSMTests: XCTestCase {
    /// libsodium's Σ sᵢ·Pᵢ (its own scalar multiplications and additions): an independent reference.
    static func sodiumSum(_ ss: [Scalar], _ ps: [RistrettoPoint]) -> [UInt8] {
        var acc = [UInt8](repeating: 0, count: 32)
        for i in 0..<min(ss.count, ps.count) {
            var prod = [UInt8](repeating: 0, count: 32)
            if crypto_scalarmult_ristretto255(&prod, ss[i].bytes, ps[i].compressed()) != 0 {
                prod = [UInt8](repeating: 0, count: 32)   // libsodium refuses to output the identity
            }
            var sum = [UInt8](repeating: 0, count: 32)
            _ = crypto_core_ristretto255_add(&sum, acc, prod)
            acc = sum
        }
        return acc
    }

    /// Every window width (including 8 and 16, where the digit count gets the extra carry digit),
    /// edge scalars (0, 1, ℓ − 1, 2^252, all-ones low half), fewer scalars than points, and
    /// dynamic points, against libsodium.
    func testFixedBaseMatchesSodium() {
        var rng = TestRNG(seed: 41)
        let statics = (0..<24).map { _ in rng.point() }
        let lMinus1 = Scalar.zero - .one
        let twoTo252 = try! Scalar(canonicalBytes: [UInt8](repeating: 0, count: 31) + [0x10])
        let lowOnes = try! Scalar(canonicalBytes: [UInt8](repeating: 0xff, count: 16) + [UInt8](repeating: 0, count: 16))
        for width in [4, 5, 7, 8, 11, 16] {
            let table = VartimeFixedBaseMSM(points: statics, window: width)
            XCTAssertEqual(table.window, width)
            for (ns, nd) in [(24, 0), (24, 3), (9, 2), (0, 2), (1, 0)] {
                var ss = (0..<ns).map { _ in rng.scalar() }
                let edges: [Scalar] = [.zero, .one, lMinus1, twoTo252, lowOnes]
                for (k, e) in edges.enumerated() where k < ns { ss[(k * 5) % ns] = e }
                let ds = (0..<nd).map { _ in rng.scalar() }
                let dp = (0..<nd).map { _ in rng.point() }
                let got = table.mul(staticScalars: ss, dynamicScalars: ds, dynamicPoints: dp)
                XCTAssertEqual(got.compressed(), Self.sodiumSum(ss + ds, Array(statics.prefix(ns)) + dp),
                               "w=\(width) ns=\(ns) nd=\(nd)")
            }
        }
        XCTAssertTrue(VartimeFixedBaseMSM(points: statics, window: 6).mul(staticScalars: []).isIdentity)
        XCTAssertTrue(VartimeFixedBaseMSM(points: statics, window: 6)
            .mul(staticScalars: [Scalar](repeating: .zero, count: 24)).isIdentity)
    }

    /// Enough terms that the static part is split over workers (each with its own buckets), and
    /// the default window; reference: Pippenger over the same terms, itself checked against
    /// libsodium in `MSMTests`.
    func testFixedBaseLargeMatchesPippenger() {
        var rng = TestRNG(seed: 42)
        let n = 1100
        let statics = (0..<n).map { _ in rng.point() }
        let table = VartimeFixedBaseMSM(points: statics)
        XCTAssertEqual(table.window, VartimeFixedBaseMSM.bestWindow(forTerms: n))
        XCTAssertEqual(table.tableBytes, n * Scalar.radix2wDigitCount(table.window) * 120)
        let ss = (0..<n).map { i in i % 7 == 3 ? Scalar.zero : rng.scalar() }
        XCTAssertEqual(table.mul(staticScalars: ss), RistrettoPoint.multiscalarMulVartime(ss, statics))
    }

    /// Width-w NAF: Σ dᵢ·2^i = s, every non-zero digit odd with |dᵢ| < 2^(w−1), any two non-zero
    /// digits at least w positions apart, and the reported top index is the last non-zero digit.
    func testWidthNAFRecombines() {
        var rng = TestRNG(seed: 44)
        let scalars: [Scalar] = (0..<40).map { _ in rng.scalar() } + [.zero, .one, Scalar.zero - .one,
            try! Scalar(canonicalBytes: [UInt8](repeating: 0xff, count: 31) + [0x0f])]
        for w in 5...8 {
            for s in scalars {
                var digits = [Int8](repeating: 0, count: 256)
                let top = digits.withUnsafeMutableBufferPointer { MSM.writeNAF(s, width: w, into: $0.baseAddress!) }
                var acc = Scalar.zero, pow = Scalar.one, last = -1000, lastNonZero = -1
                for (i, d) in digits.enumerated() {
                    if d != 0 {
                        XCTAssertEqual(Int(d) & 1, 1, "even digit")
                        XCTAssertLessThan(abs(Int(d)), 1 << (w - 1))
                        XCTAssertGreaterThanOrEqual(i - last, w, "digits too close")
                        last = i; lastNonZero = i
                        acc = acc + (d > 0 ? Scalar(UInt64(d)) : Scalar.zero - Scalar(UInt64(-Int(d)))) * pow
                    }
                    pow = pow + pow
                }
                XCTAssertEqual(acc, s, "w=\(w)")
                XCTAssertEqual(top, lastNonZero)
            }
        }
    }

    /// The digit writer used without allocation agrees with the allocating one, and digits
    /// recombine to the scalar: Σ dᵢ·2^(w·i) = s.
    func testRadixDigitsRecombine() {
        var rng = TestRNG(seed: 43)
        for w in 4...16 {
            for s in [rng.scalar(), .zero, Scalar.zero - .one] {
                let d = s.radix2wDigits(w)
                XCTAssertEqual(d.count, Scalar.radix2wDigitCount(w))
                var acc = Scalar.zero
                var pow = Scalar.one
                let radix = Scalar(UInt64(1) << UInt64(w))
                for x in d {
                    XCTAssertLessThanOrEqual(abs(Int(x)), 1 << (w - 1))
                    acc = acc + (x >= 0 ? Scalar(UInt64(x)) : Scalar.zero - Scalar(UInt64(-x))) * pow
                    pow = pow * radix
                }
                XCTAssertEqual(acc, s, "w=\(w)")
            }
        }
    }

    /// The constant-time fixed-base digits: 52 signed radix-32 digits in [−16, 16) that
    /// recombine to the scalar, for random and edge scalars (0, 1, ℓ−1, 2^252, all-ones digits).
    func testRadix32DigitsRecombine() {
        var rng = TestRNG(seed: 44)
        let p63 = Scalar(UInt64(1) << 63)
        let edge: [Scalar] = [.zero, .one, Scalar.zero - .one, p63 * p63 * p63 * p63,   // 2^252
                              Scalar(UInt64(0x7fff_ffff_ffff_ffff))]                    // runs of 31 that carry
        for s in edge + (0..<200).map({ _ in rng.scalar() }) {
            let d = s.radix32Digits()
            XCTAssertEqual(d.count, 52)
            var acc = Scalar.zero, pow = Scalar.one
            for x in d {
                XCTAssertTrue((-16..<16).contains(Int(x)), "digit \(x)")
                acc = acc + (x >= 0 ? Scalar(UInt64(x)) : Scalar.zero - Scalar(UInt64(-x))) * pow
                pow = pow * Scalar(32)
            }
            XCTAssertEqual(acc, s)
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
