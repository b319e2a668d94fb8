/// Deterministic elementary functions.
///
/// A prover and a verifier must derive *bit-identical* coefficients from the same public market
/// snapshot, on whatever platform each runs. Platform `libm` functions (`exp`, `log`, `erfc`, ...)
/// are not required by IEEE-754 to be correctly rounded, and glibc, Apple's libm and musl do differ
/// in the last bit for some inputs. So everything here is built from the operations IEEE-754 *does*
/// pin down exactly — `+`, `−`, `×`, `÷` and `squareRoot()` in round-to-nearest-even, comparisons,
/// `rounded(.toNearestOrEven)` and exact scaling by powers of two — evaluated in a fixed order.
/// No fused multiply-add is used (Swift does not contract `a*b + c` on its own), and no table or
/// constant is computed from platform math: constants are hexadecimal literals.
///
/// Accuracy (measured against glibc and mpmath, see SPEC.md §4 and `DetMathTests`): `exp` and
/// `log` stay within 1 ulp, `pow` within a few ulp for |y·ln x| ≤ 700, `normCDF` and `normPDF`
/// within a few ulp *relative* over their whole range, including the far lower tail.
public enum DetMath {

    // MARK: Constants

    /// ln 2 rounded to nearest, and the rounding residue (ln 2 − ln2Hi), for double-double use.
    static let ln2Hi: Double = 0x1.62e42fefa39efp-1
    static let ln2Lo: Double = 0x1.abc9e3b39803fp-56
    /// ln 2 truncated to 32 significant bits, so `k * ln2Short` is exact for every |k| < 2^21, and
    /// the remainder ln 2 − ln2Short. Used by the range reduction of `exp` (Cody–Waite).
    static let ln2Short: Double = 0x1.62e42fefp-1
    static let ln2ShortLo: Double = 0x1.473de6af278edp-34   // ln2 − ln2Short, to 53 bits
    /// 2/3 as a double-double (hi + lo), for the leading term of the atanh series in `logDD`.
    static let twoThirdsHi: Double = 0x1.5555555555555p-1
    static let twoThirdsLo: Double = 0x1.5555555555555p-55
    static let invLn2: Double = 0x1.71547652b82fep0
    static let sqrt2: Double = 0x1.6a09e667f3bcdp0
    /// ln √(2π) as a double-double (hi + lo).
    static let lnSqrt2PiHi: Double = 0x1.d67f1c864beb5p-1
    static let lnSqrt2PiLo: Double = -0x1.65b5a1b7ff5dfp-55
    /// 1/√(2π) rounded to nearest.
    static let invSqrt2Pi: Double = 0x1.9884533d43651p-2

    // MARK: Error-free transformations (Knuth, Dekker)

    /// a + b = s + e exactly (Knuth's TwoSum; no precondition on magnitudes).
    @inline(__always)
    static func twoSum(_ a: Double, _ b: Double) -> (s: Double, e: Double) {
        let s = a + b
        let bb = s - a
        let e = (a - (s - bb)) + (b - bb)
        return (s, e)
    }

    /// a + b = s + e exactly, provided |a| ≥ |b| (or a == 0).
    @inline(__always)
    static func fastTwoSum(_ a: Double, _ b: Double) -> (s: Double, e: Double) {
        let s = a + b
        return (s, b - (s - a))
    }

    /// Veltkamp split: a = hi + lo with hi holding the top 26 bits, so products of halves are exact.
    /// Valid for |a| < 2^996 (callers guard their ranges).
    @inline(__always)
    static func split(_ a: Double) -> (hi: Double, lo: Double) {
        let c = 134217729.0 * a            // 2^27 + 1
        let hi = c - (c - a)
        return (hi, a - hi)
    }

    /// a × b = p + e exactly (Dekker's product, no FMA), barring overflow/underflow.
    @inline(__always)
    static func twoProduct(_ a: Double, _ b: Double) -> (p: Double, e: Double) {
        let p = a * b
        let (ah, al) = split(a)
        let (bh, bl) = split(b)
        let e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
        return (p, e)
    }

    // MARK: exp

    /// Taylor coefficients c_n = 1/n!, n = 2...14, each the correctly rounded double (as literals so
    /// the hot loop reads no global array; `DetMathTests` checks each equals 1.0 ÷ n!).
    static let c2: Double = 0x1.0000000000000p-1
    static let c3: Double = 0x1.5555555555555p-3
    static let c4: Double = 0x1.5555555555555p-5
    static let c5: Double = 0x1.1111111111111p-7
    static let c6: Double = 0x1.6c16c16c16c17p-10
    static let c7: Double = 0x1.a01a01a01a01ap-13
    static let c8: Double = 0x1.a01a01a01a01ap-16
    static let c9: Double = 0x1.71de3a556c734p-19
    static let c10: Double = 0x1.27e4fb7789f5cp-22
    static let c11: Double = 0x1.ae64567f544e4p-26
    static let c12: Double = 0x1.1eed8eff8d898p-29
    static let c13: Double = 0x1.6124613a86d09p-33
    static let c14: Double = 0x1.93974a8c07c9dp-37
    /// 1/n for odd n = 5...25, correctly rounded (equal to 1.0 ÷ n; checked in `DetMathTests`).
    static let inv5: Double = 0x1.999999999999ap-3
    static let inv7: Double = 0x1.2492492492492p-3
    static let inv9: Double = 0x1.c71c71c71c71cp-4
    static let inv11: Double = 0x1.745d1745d1746p-4
    static let inv13: Double = 0x1.3b13b13b13b14p-4
    static let inv15: Double = 0x1.1111111111111p-4
    static let inv17: Double = 0x1.e1e1e1e1e1e1ep-5
    static let inv19: Double = 0x1.af286bca1af28p-5
    static let inv21: Double = 0x1.8618618618618p-5
    static let inv23: Double = 0x1.642c8590b2164p-5
    static let inv25: Double = 0x1.47ae147ae147bp-5
    static var logCoefficients: [Double] { [inv5, inv7, inv9, inv11, inv13, inv15, inv17, inv19, inv21, inv23, inv25] }
    static var expCoefficients: [Double] { [c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14] }

    /// e^x.
    ///
    /// Range reduction: x = k·ln2 + r with k = round(x/ln2), so |r| ≤ ln2/2 (plus a hair), and
    /// e^x = 2^k · e^r. `k·ln2Short` is exact and `x − k·ln2Short` is exact (Sterbenz), so r is
    /// carried as a double-double r + δ with |δ| ~ 2^-60. e^r is the Taylor polynomial to degree 14
    /// (truncation < 1.1e-19 relative), summed as 1 + r + r²·q(r) with the leading 1 + r kept exact,
    /// then corrected by e^δ ≈ 1 + δ. The scaling by 2^k is exact except in the subnormal range.
    public static func exp(_ x: Double) -> Double {
        expDD(x, 0)
    }

    /// e^(hi + lo) for a double-double argument (|lo| ≲ ulp(hi)); used by `exp`, `pow`, `normPDF`.
    static func expDD(_ hi: Double, _ lo: Double) -> Double {
        if hi.isNaN || lo.isNaN { return .nan }
        if hi > 709.8 { return .infinity }       // e^709.79 > greatest finite double
        if hi < -745.2 { return 0 }              // e^-745.14 < half the least subnormal
        // round-half-even(hi/ln2) by the 1.5·2^52 shifter: for |v| < 2^51 the addition rounds v
        // to an integer under the default rounding mode, exactly as roundToIntegralTiesToEven.
        let v = hi * invLn2
        let k = (v + 0x1.8p52) - 0x1.8p52
        let t = hi - k * ln2Short                // exact
        let c = k * ln2ShortLo
        let (r0, e0) = twoSum(t, -c)
        let (r, e1) = twoSum(r0, lo)
        let delta = e0 + e1
        // q(r) = Σ_{n=2}^{14} r^(n−2)/n!  (Horner from the top)
        var q = c14
        q = q * r + c13
        q = q * r + c12
        q = q * r + c11
        q = q * r + c10
        q = q * r + c9
        q = q * r + c8
        q = q * r + c7
        q = q * r + c6
        q = q * r + c5
        q = q * r + c4
        q = q * r + c3
        q = q * r + c2
        let (s, se) = fastTwoSum(1.0, r)         // |r| < 0.35 < 1
        let tail = se + (r * r * q + delta * (1.0 + r))
        let y = s + tail
        return scaleByPowerOfTwo(y, Int(k))
    }

    /// y · 2^k, exact whenever the result is a normal number (a single rounding when it is
    /// subnormal). Implemented with multiplications by exactly representable powers of two, built
    /// from their bit patterns, so it does not depend on any library routine.
    @inline(__always)
    static func scaleByPowerOfTwo(_ y: Double, _ k: Int) -> Double {
        var v = y
        var k = k
        while k > 1023 {                             // only reached on overflow paths
            v *= powerOfTwo(1023)
            k -= 1023
        }
        if k < -1022 {
            // y·2^(k+1022) is still normal and exact; the final ×2^-1022 is the only rounding.
            let k2 = k + 1022
            if k2 < -1022 { return 0 }               // |y| < 2, so the result is below 2^-2043
            return (v * powerOfTwo(k2)) * powerOfTwo(-1022)
        }
        return v * powerOfTwo(k)
    }

    /// 2^e for e in [−1022, 1023], built from its bit pattern.
    @inline(__always)
    static func powerOfTwo(_ e: Int) -> Double {
        Double(bitPattern: UInt64(1023 + e) << 52)
    }

    // MARK: log

    /// ln x for positive finite x as a double-double hi + lo (relative error ≲ 2^-60).
    ///
    /// Write x = 2^k · m with m in [1/√2, √2), f = m − 1 (exact), s = f/(2 + f) (as a
    /// double-double). Then ln m = 2·atanh(s) = 2s + 2s³/3 + 2s⁵/5 + …, with |s| ≤ 0.1716 so
    /// s² ≤ 0.0295 and twelve odd terms leave a truncation below 1e-20. The leading 2s is carried
    /// exactly and so is (to ~2^-106) the next term 2s³/3; only the remainder, below 2e-4 of
    /// the total, is summed in plain double.
    static func logDD(_ x: Double) -> (hi: Double, lo: Double) {
        var v = x
        var k = 0
        if v < 0x1p-1022 {                           // subnormal: scale up exactly by 2^54
            v *= 0x1p54
            k = -54
        }
        k += Int(v.exponent)
        var m = v.significand                        // in [1, 2), exact
        if m > sqrt2 {
            m *= 0.5
            k += 1
        }
        let f = m - 1.0                              // exact (Sterbenz)
        let (dh, dl) = fastTwoSum(2.0, f)
        let s = f / dh
        let (ph, pl) = twoProduct(s, dh)
        let sl = (((f - ph) - pl) - s * dl) / dh     // s + sl ≈ f/(2+f) to ~2^-106
        // The first series term 2s³/3 is up to 1% of the total, so it is formed in double-double
        // (s³ by Dekker products, 2/3 as hi + lo); the rest, 2s⁵·R(s²) with
        // R = Σ_{n≥2} s^(2n−4)/(2n+1) (n = 2...12), is below 2e-4 of the total and needs only double.
        let (s2, s2e) = twoProduct(s, s)
        let (s3, s3e) = twoProduct(s2, s)
        let s3l = s3e + s2e * s + 3.0 * s2 * sl     // includes the first-order effect of sl
        let (ah, ae) = twoProduct(s3, twoThirdsHi)
        let al = ae + (s3 * twoThirdsLo + s3l * twoThirdsHi)
        var r = inv25
        r = r * s2 + inv23
        r = r * s2 + inv21
        r = r * s2 + inv19
        r = r * s2 + inv17
        r = r * s2 + inv15
        r = r * s2 + inv13
        r = r * s2 + inv11
        r = r * s2 + inv9
        r = r * s2 + inv7
        r = r * s2 + inv5
        let rest5 = 2.0 * s * s2 * s2 * r
        let kd = Double(k)
        let (kh, ke) = twoProduct(kd, ln2Hi)
        let kl = ke + kd * ln2Lo
        let (a0, b0) = twoSum(kh, 2.0 * s)
        let (a, b1) = twoSum(a0, ah)
        let rest = (b0 + b1) + (kl + (2.0 * sl + (al + rest5)))
        let (h, l) = fastTwoSum(a, rest)
        return (h, l)
    }

    /// Natural logarithm. Follows IEEE conventions at the edges: ln(±0) = −∞, ln(x < 0) = NaN,
    /// ln(+∞) = +∞, ln(NaN) = NaN. Measured error < 1 ulp (SPEC.md §4).
    public static func log(_ x: Double) -> Double {
        if x.isNaN || x < 0 { return .nan }
        if x == 0 { return -.infinity }
        if x == .infinity { return .infinity }
        return logDD(x).hi
    }

    /// ln(a/b) for positive finite a, b, without first rounding the quotient a/b: computed as
    /// ln a − ln b in double-double. Pricing uses it for ln(S/K), whose rounding would otherwise
    /// be magnified by 1/(σ√T) in d1.
    static func logRatio(_ a: Double, _ b: Double) -> Double {
        let (ah, al) = logDD(a)
        let (bh, bl) = logDD(b)
        let (s, e) = twoSum(ah, -bh)
        return s + (e + (al - bl))
    }

    // MARK: pow

    /// x^y for x ≥ 0, computed as e^(y·ln x) with ln x in double-double and the product y·ln x
    /// formed exactly (Dekker), so the error of the exponent is ~2^-60 relative and the result
    /// loses at most |y ln x|·2^-60 beyond exp's own rounding.
    ///
    /// Edge cases: x^0 = 1 and 1^y = 1 (also for NaN), NaN otherwise propagates; 0^y = 0 for
    /// y > 0 and +∞ for y < 0; (+∞)^y = +∞ for y > 0 and 0 for y < 0; x^(±∞) as the limit.
    /// **Negative bases return NaN** even for integral y (unlike C's pow): the engine never needs
    /// them, and a silent sign rule would be one more thing a second implementation must copy.
    public static func pow(_ x: Double, _ y: Double) -> Double {
        if y == 0 || x == 1 { return 1 }
        if x.isNaN || y.isNaN || x < 0 { return .nan }
        if x == 0 { return y > 0 ? 0 : .infinity }
        if x == .infinity { return y > 0 ? .infinity : 0 }
        if y.isInfinite { return (x > 1) == (y > 0) ? .infinity : 0 }
        let (lh, ll) = logDD(x)
        let guess = y * lh
        if guess > 710 { return .infinity }
        if guess < -746 { return 0 }
        let (zh, ze) = twoProduct(y, lh)
        let (h, l) = fastTwoSum(zh, ze + y * ll)
        return expDD(h, l)
    }

    // MARK: Normal law

    /// φ(x) = e^(−x²/2 − ln√(2π)). x² is formed exactly as a double-double and ln√(2π) is a
    /// double-double constant, so the exponent carries no rounding error even when x²/2 is in the
    /// hundreds (where one rounding of x² would already cost dozens of ulps), and the only
    /// roundings are exp's own.
    public static func normPDF(_ x: Double) -> Double {
        if x.isNaN { return .nan }
        let a = abs(x)
        if a > 40 { return 0 }                     // e^-800 underflows to zero
        let (p, e) = twoProduct(a, a)
        let (h, l) = twoSum(-0.5 * p, -lnSqrt2PiHi)
        return expDD(h, l + (-0.5 * e - lnSqrt2PiLo))
    }

    /// G(t) = Φ(−t)·e^(t²/2) = M(t)/√(2π) for t ≥ 0, where M(t) = Φ(−t)/φ(t) is the Mills ratio.
    ///
    /// For t < 8: a degree-13 Taylor polynomial about the centre of the width-1/4 interval holding
    /// t (coefficients from `MillsRatioTable.swift`: M's Taylor coefficients from the ODE
    /// M′ = tM − 1 at 60 digits, divided by √(2π), rounded once; truncation < 3e-19 relative).
    /// For t ≥ 8: Laplace's continued fraction M(t) = 1/(t + 1/(t + 2/(t + 3/(t + …)))) truncated
    /// after 24 levels and evaluated from the bottom up (truncation < 1e-25 relative for t ≥ 8);
    /// the last step divides 1/√(2π) rather than 1, so G costs no extra rounding.
    static func scaledUpperTail(_ t: Double) -> Double {
        if t < 8 {
            let j = Int(t * 4)                      // exact; 0...31
            let centre = (Double(j) + 0.5) * 0.25
            let h = t - centre
            let degree = millsDegree
            let base = j * (degree + 1)
            var acc = millsTable[base + degree]
            var n = degree - 1
            while n >= 0 {
                acc = acc * h + millsTable[base + n]
                n -= 1
            }
            return acc
        }
        var v = 0.0
        var k = 24.0
        while k >= 1 {
            v = k / (t + v)
            k -= 1
        }
        return invSqrt2Pi / (t + v)
    }

    /// Φ(x), the standard normal cumulative distribution function.
    ///
    /// Both tails are computed without cancellation: for x < 0, Φ(x) = e^(−x²/2)·G(−x) directly
    /// (x² exact as a double-double, G from `scaledUpperTail`), so tiny lower-tail probabilities
    /// (deep out-of-the-money options) keep full *relative* accuracy down to the subnormal range;
    /// for x > 0, Φ(x) = 1 − e^(−x²/2)·G(x), whose subtraction loses nothing because the product
    /// is ≤ 1/2. Φ(0) = 1/2 exactly; Φ(x) = 0 for x < −40.
    ///
    /// For x > 8.5 the result is returned as 1 without evaluating the tail: there e^(−x²/2)·G(x) <
    /// 1e-17 < 2^-54, half an ulp of 1 from below, so `1.0 − tail` rounds to exactly 1 anyway. The
    /// shortcut changes no result (`DetMathTests` checks the full formula gives 1 on a dense grid
    /// above 8.5) and spares the 24-level continued fraction, which the liquidation ladder's far
    /// rungs hit constantly.
    public static func normCDF(_ x: Double) -> Double {
        if x > 8.5 { return 1 }
        return normCDFFormula(x)
    }

    /// Φ by the formula alone (no upper-tail shortcut); `normCDF` is this with the shortcut.
    static func normCDFFormula(_ x: Double) -> Double {
        if x.isNaN { return .nan }
        if x == 0 { return 0.5 }
        if x < -40 { return 0 }
        if x > 40 { return 1 }
        let t = abs(x)
        let (p, e) = twoProduct(t, t)
        let tail = expDD(-0.5 * p, -0.5 * e) * scaledUpperTail(t)
        return x < 0 ? tail : 1.0 - tail
    }
}
