import XCTest
@testable import RiskEngine
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// DetMath against independent references: the platform libm (glibc on Linux, used here in tests
/// only) and mpmath values at 50 digits (Vectors/detmath-normal-mpmath.json).
final class DetMathTests: XCTestCase {
    typealias S = DetMathTestSupport

    func testExpAgainstLibm() {
        var rng = SplitMix64(seed: 1)
        var worst = 0.0, worstX = 0.0
        func check(_ x: Double) {
            let e = S.ulpError(DetMath.exp(x), exp(x))
            if e > worst { worst = e; worstX = x }
        }
        for _ in 0..<200_000 { check(rng.uniform(-745, 709.78)) }
        for _ in 0..<100_000 { check(rng.uniform(-1, 1)) }
        for _ in 0..<50_000 { check(rng.uniform(-1e-8, 1e-8)) }
        for _ in 0..<20_000 { check(rng.uniform(-745.13, -700)) }   // subnormal results
        for x in [0.0, -0.0, 1, -1, 0.5, 709.78, 709.782712893384, -708.39, -745.13, 1e-300, -1e-300] { check(x) }
        print("DetMath.exp max error vs libm: \(worst) ulp at x = \(worstX)")
        XCTAssertLessThanOrEqual(worst, 1.0)
        XCTAssertEqual(DetMath.exp(0), 1)
        XCTAssertEqual(DetMath.exp(710), .infinity)
        XCTAssertEqual(DetMath.exp(-746), 0)
        XCTAssertEqual(DetMath.exp(.infinity), .infinity)
        XCTAssertEqual(DetMath.exp(-.infinity), 0)
        XCTAssertTrue(DetMath.exp(.nan).isNaN)
    }

    func testLogAgainstLibm() {
        var rng = SplitMix64(seed: 2)
        var worst = 0.0, worstX = 0.0
        func check(_ x: Double) {
            let e = S.ulpError(DetMath.log(x), log(x))
            if e > worst { worst = e; worstX = x }
        }
        for _ in 0..<200_000 {
            // Random bit patterns of positive finite doubles: every binade, subnormals included.
            let x = Double(bitPattern: rng.next() & 0x7fff_ffff_ffff_ffff)
            if x.isFinite && x > 0 { check(x) }
        }
        for _ in 0..<100_000 { check(rng.uniform(0.5, 2)) }
        for _ in 0..<50_000 { check(1 + rng.uniform(-1e-6, 1e-6)) }
        for x in [1.0, 2, 0.5, 10, Double.leastNonzeroMagnitude, Double.greatestFiniteMagnitude, 0x1p-1022] { check(x) }
        print("DetMath.log max error vs libm: \(worst) ulp at x = \(worstX)")
        XCTAssertLessThanOrEqual(worst, 1.0)
        XCTAssertEqual(DetMath.log(1), 0)
        XCTAssertEqual(DetMath.log(0), -.infinity)
        XCTAssertEqual(DetMath.log(-0.0), -.infinity)
        XCTAssertTrue(DetMath.log(-1).isNaN)
        XCTAssertTrue(DetMath.log(.nan).isNaN)
        XCTAssertEqual(DetMath.log(.infinity), .infinity)
    }

    func testPowAgainstLibm() {
        var rng = SplitMix64(seed: 3)
        var worst = 0.0, worstXY = (0.0, 0.0)
        var worstModerate = 0.0
        func check(_ x: Double, _ y: Double) {
            let ref = pow(x, y)
            guard ref.isNormal else { return }
            let e = S.ulpError(DetMath.pow(x, y), ref)
            if e > worst { worst = e; worstXY = (x, y) }
            if abs(y * log(x)) <= 10 { worstModerate = max(worstModerate, e) }
        }
        for _ in 0..<100_000 {
            let x = exp(rng.uniform(-30, 30))
            let y = rng.uniform(-25, 25)
            check(x, y)
        }
        for _ in 0..<50_000 { check(rng.uniform(0, 5), rng.uniform(-3, 3)) }
        for _ in 0..<20_000 { check(rng.uniform(1, 3), rng.uniform(-600, 600)) }
        for (x, y) in [(2.0, 10.0), (10, -3), (0.5, 0.5), (30.0 / 7, 0.3), (1.0 / 3, 0.13), (1e300, 1.02), (1e-300, 1.02)] {
            check(x, y)
        }
        print("DetMath.pow max error vs libm: \(worst) ulp at \(worstXY); \(worstModerate) ulp where |y ln x| <= 10")
        XCTAssertLessThanOrEqual(worstModerate, 1.0)
        XCTAssertLessThanOrEqual(worst, 1.0)
        XCTAssertEqual(DetMath.pow(0, 2), 0)
        XCTAssertEqual(DetMath.pow(0, -2), .infinity)
        XCTAssertEqual(DetMath.pow(.nan, 0), 1)
        XCTAssertEqual(DetMath.pow(1, .nan), 1)
        XCTAssertTrue(DetMath.pow(-2, 2).isNaN)
        XCTAssertEqual(DetMath.pow(2, .infinity), .infinity)
        XCTAssertEqual(DetMath.pow(0.5, .infinity), 0)
        XCTAssertEqual(DetMath.pow(.infinity, -1), 0)
    }

    func testNormalAgainstMpmath() throws {
        let root = try XCTUnwrap(S.vector("detmath-normal-mpmath.json") as? [String: Any])
        let normal = try XCTUnwrap(root["normal"] as? [String: Any])
        let rows = try XCTUnwrap(normal["rows"] as? [[String]])
        XCTAssertGreaterThan(rows.count, 900)
        var worstCDF = 0.0, worstCDFx = 0.0, worstPDF = 0.0, worstPDFx = 0.0
        for row in rows {
            let x = S.double(hex: row[0])
            let cdfErr = S.ulpError(DetMath.normCDF(x), S.double(hex: row[1]))
            let pdfErr = S.ulpError(DetMath.normPDF(x), S.double(hex: row[2]))
            if cdfErr > worstCDF { worstCDF = cdfErr; worstCDFx = x }
            if pdfErr > worstPDF { worstPDF = pdfErr; worstPDFx = x }
        }
        print("DetMath.normCDF max error vs mpmath: \(worstCDF) ulp at x = \(worstCDFx)")
        print("DetMath.normPDF max error vs mpmath: \(worstPDF) ulp at x = \(worstPDFx)")
        // The mpmath values are correctly rounded, so these bounds are our error + 0.5 ulp at most.
        XCTAssertLessThanOrEqual(worstCDF, 2.0)
        XCTAssertLessThanOrEqual(worstPDF, 1.0)
    }

    /// Φ(x) = erfc(−x/√2)/2 with libm's erfc. The argument −x/√2 is formed as a double-double
    /// t + τ and erfc(t + τ) ≈ erfc(t) − τ·(2/√π)·e^(−t²), so the reference has no argument
    /// rounding (which alone would cost ~2t²·2^-53 relative in the far tail).
    func testNormCDFAgainstLibmErfc() {
        let invSqrt2Hi = 0x1.6a09e667f3bcdp-1, invSqrt2Lo = -0x1.bdd3413b26456p-55  // 1/√2 = hi + lo
        let twoOverSqrtPi = 0x1.20dd750429b6dp0
        var rng = SplitMix64(seed: 4)
        var worst = 0.0, worstX = 0.0
        var worstTail = 0.0
        for i in 0..<200_000 {
            let x = i % 4 == 0 ? rng.uniform(-38, 0) : rng.uniform(-10, 8)
            let (p, e) = DetMath.twoProduct(-x, invSqrt2Hi)
            let (t, tau0) = DetMath.fastTwoSum(p, e + (-x) * invSqrt2Lo)
            let ref = 0.5 * (erfc(t) - tau0 * twoOverSqrtPi * exp(-t * t))
            guard ref.isNormal else { continue }
            let err = S.ulpError(DetMath.normCDF(x), ref)
            if err > worst { worst = err; worstX = x }
            if x < -5 { worstTail = max(worstTail, err) }
        }
        print("DetMath.normCDF max error vs libm erfc: \(worst) ulp at x = \(worstX); \(worstTail) ulp for x < -5")
        // glibc's erfc itself is not correctly rounded (a few ulp), so this bound is looser than
        // the mpmath one; it would still catch any formula or table mistake by a wide margin.
        XCTAssertLessThanOrEqual(worst, 6.0)
    }

    func testExpCoefficientsAreCorrectlyRoundedReciprocalFactorials() {
        for (i, c) in DetMath.expCoefficients.enumerated() {
            let n = i + 2
            var f = 1.0
            for k in 2...n { f *= Double(k) }      // n! ≤ 14! is an exact double
            XCTAssertEqual(c, 1.0 / f, "1/\(n)!")
        }
    }

    func testLogCoefficientsAreCorrectlyRoundedReciprocals() {
        for (i, c) in DetMath.logCoefficients.enumerated() {
            let n = Double(5 + 2 * i)
            XCTAssertEqual(c, 1.0 / n, "1/\(n)")
        }
    }

    /// `normCDF` returns 1 above 8.5 without evaluating the tail; the full formula must give
    /// exactly 1 there too, or the shortcut would change results. Checked on a dense grid and at
    /// random points, and the shortcut agrees with the formula just below the threshold as well.
    func testUpperTailShortcutChangesNothing() {
        var x = 8.5
        while x <= 40 {
            XCTAssertEqual(DetMath.normCDFFormula(x), 1, "formula below 1 at \(x)")
            x += 1.0 / 4096
        }
        var rng = SplitMix64(seed: 85)
        for _ in 0..<20_000 {
            let y = rng.uniform(8.5, 40)
            XCTAssertEqual(DetMath.normCDFFormula(y), 1, "formula below 1 at \(y)")
            XCTAssertEqual(DetMath.normCDF(y), 1)
            let z = rng.uniform(-45, 8.5)
            XCTAssertEqual(DetMath.normCDF(z).bitPattern, DetMath.normCDFFormula(z).bitPattern, "at \(z)")
        }
        // The threshold is not vacuous: a little lower the formula is below 1.
        XCTAssertLessThan(DetMath.normCDFFormula(8.0), 1)
    }

    func testNormCDFShape() {
        XCTAssertEqual(DetMath.normCDF(0), 0.5)
        XCTAssertEqual(DetMath.normCDF(-0.0), 0.5)
        XCTAssertEqual(DetMath.normCDF(-.infinity), 0)
        XCTAssertEqual(DetMath.normCDF(.infinity), 1)
        XCTAssertTrue(DetMath.normCDF(.nan).isNaN)
        XCTAssertEqual(DetMath.normPDF(.infinity), 0)
        // Monotone across the interval seams of the Mills-ratio table and the continued fraction.
        var previous = 0.0
        var x = -39.0
        while x < 9 {
            let v = DetMath.normCDF(x)
            XCTAssertGreaterThanOrEqual(v, previous, "normCDF not monotone at \(x)")
            previous = v
            x += 1.0 / 1024
        }
        // Symmetry Φ(x) + Φ(−x) = 1 where both are representable to full precision.
        var rng = SplitMix64(seed: 5)
        for _ in 0..<10_000 {
            let y = rng.uniform(-3, 3)
            XCTAssertEqual(DetMath.normCDF(y) + DetMath.normCDF(-y), 1, accuracy: 4e-16)
        }
    }
}
