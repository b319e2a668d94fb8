/// Exact conversions between the engine's IEEE doubles and the attestation's integers.
///
/// A constraint's coefficients are real numbers the engine computes in double; the proof system
/// needs integers. The conversion must be *exact* (no second rounding hidden in `x · 10ⁿ` done
/// in double) and must round in the conservative direction, so it works on the double's exact
/// value `m·2ᵉ` (m an integer, |m| < 2⁵³):
///
///     ⌊m·2ᵉ·10ⁿ⌋ = ⌊m·5ⁿ·2^(n+e)⌋
///
/// with `m·5ⁿ` formed exactly in 128-bit integers (5ⁿ < 2⁷⁰ for n ≤ 30, so |m·5ⁿ| < 2¹²³) and
/// the power of two applied as a shift: a left shift (checked) or an arithmetic right shift,
/// which is the floor for negative values too.
public enum ExactScaling {
    /// Largest decimal exponent accepted (5³⁰ < 2⁷⁰ keeps `m·5ⁿ` inside 2¹²³).
    public static let maxDigits = 30
    /// 5⁰ … 5³⁰, exact.
    static let powersOfFive: [Int128] = {
        var out: [Int128] = [1]
        for _ in 0..<maxDigits { out.append(out[out.count - 1] * 5) }
        return out
    }()

    /// `⌊x·10^digits⌋` exactly, or nil when x is not finite or the result's magnitude reaches
    /// `bound`. Negative `digits` are not used.
    public static func floor(_ x: Double, digits n: Int, bound: Int128) -> Int128? {
        precondition(n >= 0 && n <= maxDigits)
        guard x.isFinite else { return nil }
        if x == 0 { return 0 }
        // x = m·2^e with m an odd-or-even integer of at most 53 bits.
        let e = Int(x.exponent) - Double.significandBitCount
        let m = Int128(x.significandBitPattern | (x.isNormal ? (1 << UInt64(Double.significandBitCount)) : 0))
        let em = x.isNormal ? e : Int(Double.leastNormalMagnitude.exponent) - Double.significandBitCount
        var p = m * powersOfFive[n]                      // exact: < 2^53 · 2^70 = 2^123
        if x < 0 { p = -p }
        let shift = n + em
        let v: Int128
        if shift >= 0 {
            guard shift < 127 else { return nil }
            let limit = Int128.max >> shift
            guard p.magnitude <= limit.magnitude else { return nil }
            v = p << shift
        } else {
            v = -shift >= 127 ? (p < 0 ? -1 : 0) : p >> (-shift)   // arithmetic: floor
        }
        guard v.magnitude < bound.magnitude else { return nil }
        return v
    }
}

/// A signed integer of up to 255 bits, `high·2¹²⁸ + low` — what a constraint's slack needs: a
/// coefficient below 2¹²⁶ times a half below 2⁶⁴, summed over at most 2¹² halves, stays below
/// 2²⁰² in magnitude. Only the operations the prover needs: add a product, compare, split, divide.
public struct WideInt: Sendable, Equatable {
    public private(set) var high: Int128
    public private(set) var low: UInt128

    public init(_ v: Int128) {
        high = v < 0 ? -1 : 0
        low = UInt128(truncatingIfNeeded: v)
    }

    public var isNegative: Bool { high < 0 }

    /// self += c·h for a coefficient |c| < 2¹²⁷ and a non-negative half h < 2⁶⁴.
    public mutating func add(_ c: Int128, times h: UInt64) {
        guard c != 0, h != 0 else { return }
        let a = c.magnitude
        let aLo = UInt64(truncatingIfNeeded: a), aHi = UInt64(truncatingIfNeeded: a >> 64)
        // |c|·h = aHi·h·2⁶⁴ + aLo·h, a 192-bit product as (pHigh: bits 128…191, pLow: bits 0…127).
        let p0 = aLo.multipliedFullWidth(by: h)                 // bits 0…127
        let p1 = aHi.multipliedFullWidth(by: h)                 // bits 64…191
        let (mid, carry) = p0.high.addingReportingOverflow(p1.low)
        let pLow = UInt128(mid) << 64 | UInt128(p0.low)
        let pHigh = Int128(p1.high) + (carry ? 1 : 0)
        if c > 0 {
            let (l, o) = low.addingReportingOverflow(pLow)
            low = l
            high += pHigh + (o ? 1 : 0)
        } else {
            let (l, o) = low.subtractingReportingOverflow(pLow)
            low = l
            high -= pHigh + (o ? 1 : 0)
        }
    }

    /// The value when it lies in [0, 2¹²⁸): the (low, high) 64-bit limbs.
    public var limbs128: (low: UInt64, high: UInt64)? {
        guard high == 0 else { return nil }
        return (UInt64(truncatingIfNeeded: low), UInt64(truncatingIfNeeded: low >> 64))
    }

    /// The low 128 bits as two 64-bit limbs, whatever the value (a forged slack; tests only).
    public var truncatedLimbs: (low: UInt64, high: UInt64) {
        (UInt64(truncatingIfNeeded: low), UInt64(truncatingIfNeeded: low >> 64))
    }

    /// |self| / 10^digits rounded up, when it fits in 63 bits (nil otherwise).
    public func magnitudeCeilDividedByPowerOfTen(_ digits: Int) -> Int64? {
        var d: UInt128 = 1
        for _ in 0..<digits { d *= 10 }                       // digits ≤ 38
        // |self| as (hi: UInt128, lo: UInt128), two's complement negation where negative.
        var hi: UInt128, lo: UInt128
        if high < 0 {
            lo = ~low &+ 1
            hi = UInt128(bitPattern: ~high) &+ (low == 0 ? 1 : 0)
        } else { hi = UInt128(high); lo = low }
        // A quotient below 2^63 needs |self| < 2^63·10^digits < 2^127: hi must be 0.
        guard hi == 0 else { return nil }
        var q = lo / d
        if lo % d != 0 { q += 1 }
        guard q <= UInt128(Int64.max) else { return nil }
        return Int64(q)
    }

    /// An approximate value in double (for messages only).
    public var approximate: Double { Double(high) * 0x1p128 + Double(low) }
}
