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
        var p = m
        for _ in 0..<n { p *= 5 }                       // exact: < 2^123
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

    /// `⌈x·10^digits⌉` exactly (as `−⌊−x·10^digits⌋`).
    public static func ceil(_ x: Double, digits n: Int, bound: Int128) -> Int128? {
        floor(-x, digits: n, bound: bound).map { -$0 }
    }
}

/// A signed integer of up to 191 bits, `high·2⁶⁴ + low` — what a constraint's slack needs: a
/// coefficient below 2¹¹² times a half below 2⁶⁴, summed over at most 2¹² halves, stays below
/// 2¹⁸⁹ in magnitude. Only the operations the prover needs: add a product, compare, split.
public struct WideInt: Sendable, Equatable {
    public private(set) var high: Int128
    public private(set) var low: UInt64

    public init(_ v: Int128) {
        high = v >> 64
        low = UInt64(truncatingIfNeeded: v)
    }

    public var isNegative: Bool { high < 0 }

    /// self += c·h for a coefficient |c| < 2¹²⁷ and a non-negative half h < 2⁶⁴.
    public mutating func add(_ c: Int128, times h: UInt64) {
        guard c != 0, h != 0 else { return }
        let a = c.magnitude
        let aLo = UInt64(truncatingIfNeeded: a), aHi = UInt64(truncatingIfNeeded: a >> 64)
        let p0 = aLo.multipliedFullWidth(by: h)               // (high, low) of aLo·h
        let p1 = UInt128(aHi) * UInt128(h)                      // < 2^127 for |c| < 2^127, h < 2^64 ... checked below
        // product = (p1 + p0.high)·2^64 + p0.low
        let carryPart = Int128(p1) + Int128(p0.high)
        if c > 0 {
            let (l, o) = low.addingReportingOverflow(p0.low)
            low = l
            high += carryPart + (o ? 1 : 0)
        } else {
            let (l, o) = low.subtractingReportingOverflow(p0.low)
            low = l
            high -= carryPart + (o ? 1 : 0)
        }
    }

    /// The value when it lies in [0, 2¹²⁸): the (low, high) 64-bit limbs.
    public var limbs128: (low: UInt64, high: UInt64)? {
        guard high >= 0, high <= Int128(UInt64.max) else { return nil }
        return (low, UInt64(high))
    }

    /// |self| / 10^digits rounded up, when it fits in 63 bits (nil otherwise).
    public func magnitudeCeilDividedByPowerOfTen(_ digits: Int) -> Int64? {
        var d: UInt64 = 1
        for _ in 0..<digits { d *= 10 }                       // digits ≤ 19
        // magnitude as (hi: UInt128, lo: UInt64)
        var hi: UInt128, lo: UInt64
        if high < 0 {
            // two's complement negate of (high, low)
            let (nl, _) = (~low).addingReportingOverflow(1)
            lo = nl
            let hiNeg = ~high &+ (low == 0 ? 1 : 0)
            hi = UInt128(hiNeg)
        } else { hi = UInt128(high); lo = low }
        let qHi = hi / UInt128(d), r = hi % UInt128(d)
        guard qHi == 0 else { return nil }
        let num = (r << 64) | UInt128(lo)
        var q = num / UInt128(d)
        if num % UInt128(d) != 0 { q += 1 }
        guard q <= UInt128(Int64.max) else { return nil }
        return Int64(q)
    }

    /// An approximate value in double (for messages only).
    public var approximate: Double { Double(high) * 0x1p64 + Double(low) }
}
