/// An exact decimal number `mantissa × 10^exponent`, normalised so that equal values have equal
/// representations (the mantissa has no trailing zero digit; zero is `0 × 10^0`).
///
/// Why not `Double`: a circuit's coefficients are hashed and bound into attestations, and the
/// verifier must rebuild exactly the same statement on any platform; binary floating point cannot
/// represent 1.2 or 0.015, and text round trips are not canonical. Why not `Foundation.Decimal`:
/// its in-memory layout is not a stable encoding and its arithmetic silently rounds.
/// All arithmetic here is checked: an overflow is reported, never rounded away.
public struct ExactDecimal: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let mantissa: Int64
    public let exponent: Int32

    public static let zero = ExactDecimal(normalising: 0, 0)
    public static let one = ExactDecimal(normalising: 1, 0)

    /// Builds and normalises; never fails (normalising only shrinks the mantissa).
    public init(normalising mantissa: Int64, _ exponent: Int32) {
        var m = mantissa, e = exponent
        if m == 0 { e = 0 } else {
            while m % 10 == 0, e < Int32.max { m /= 10; e += 1 }
        }
        self.mantissa = m
        self.exponent = e
    }

    /// Parses `[-]DIGITS[.DIGITS]` (no exponent, no `+`, no leading/trailing dot). Returns nil when
    /// the text is not of that form or does not fit an Int64 mantissa.
    public init?(text: String) {
        var s = Substring(text)
        var negative = false
        if s.first == "-" { negative = true; s = s.dropFirst() }
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let intPart = parts.first, !intPart.isEmpty,
              intPart.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        let frac = parts.count == 2 ? parts[1] : ""
        guard parts.count == 1 || (!frac.isEmpty && frac.allSatisfy({ $0.isASCII && $0.isNumber })) else { return nil }
        var m: Int64 = 0
        for ch in intPart + frac {
            guard let d = ch.wholeNumberValue else { return nil }
            let (a, o1) = m.multipliedReportingOverflow(by: 10)
            let (b, o2) = a.addingReportingOverflow(Int64(d))
            guard !o1, !o2 else { return nil }
            m = b
        }
        guard frac.count < 1000 else { return nil }
        self.init(normalising: negative ? -m : m, -Int32(frac.count))
    }

    public var isZero: Bool { mantissa == 0 }
    public var isNegative: Bool { mantissa < 0 }

    /// `self × other`, or nil on overflow.
    public func multiplied(by other: ExactDecimal) -> ExactDecimal? {
        let (m, o) = mantissa.multipliedReportingOverflow(by: other.mantissa)
        let (e, oe) = exponent.addingReportingOverflow(other.exponent)
        guard !o, !oe else { return nil }
        return ExactDecimal(normalising: m, e)
    }

    /// `self + other`, or nil on overflow.
    public func adding(_ other: ExactDecimal) -> ExactDecimal? {
        if isZero { return other }
        if other.isZero { return self }
        let e = min(exponent, other.exponent)
        guard let a = ExactDecimal.scale(mantissa, by: Int(exponent) - Int(e)),
              let b = ExactDecimal.scale(other.mantissa, by: Int(other.exponent) - Int(e)) else { return nil }
        let (s, o) = a.addingReportingOverflow(b)
        guard !o else { return nil }
        return ExactDecimal(normalising: s, e)
    }

    public var negated: ExactDecimal? {
        guard mantissa != Int64.min else { return nil }
        return ExactDecimal(normalising: -mantissa, exponent)
    }

    private static func scale(_ m: Int64, by digits: Int) -> Int64? {
        guard digits >= 0, digits <= 18 else { return digits > 18 && m == 0 ? 0 : nil }
        var r = m
        for _ in 0..<digits {
            let (x, o) = r.multipliedReportingOverflow(by: 10)
            guard !o else { return nil }
            r = x
        }
        return r
    }

    public static func < (a: ExactDecimal, b: ExactDecimal) -> Bool {
        if a.isNegative != b.isNegative { return a.isNegative }
        if a.isZero || b.isZero { return a.mantissa < b.mantissa }
        // Same sign, both non-zero: compare via the difference when representable, else by magnitude.
        if let nb = b.negated, let d = a.adding(nb) { return d.isNegative }
        let aDigits = String(a.mantissa.magnitude).count + Int(a.exponent)
        let bDigits = String(b.mantissa.magnitude).count + Int(b.exponent)
        return a.isNegative ? aDigits > bDigits : aDigits < bDigits
    }

    /// The nearest Double when |exponent| ≤ 22 (10^k is exact in binary64 for k ≤ 22, so one
    /// correctly rounded multiplication or division gives it, identically on every IEEE platform);
    /// a close approximation beyond. Used where the attestation layer converts to fixed point.
    public var doubleValue: Double {
        let m = Double(mantissa)
        var p = 1.0
        let k = Int(exponent.magnitude)
        for _ in 0..<min(k, 22) { p *= 10 }
        var v = exponent >= 0 ? m * p : m / p
        if k > 22 { for _ in 0..<min(k - 22, 400) { v = exponent >= 0 ? v * 10 : v / 10 } }
        return v
    }

    /// Same as `doubleValue` (kept for readability at call sites that only display values).
    public var approximateDouble: Double { doubleValue }

    /// Plain decimal text without exponent, e.g. "1.2", "-0.015", "100".
    public var description: String {
        let digits = String(mantissa.magnitude)
        let sign = mantissa < 0 ? "-" : ""
        if exponent >= 0 { return sign + digits + (mantissa == 0 ? "" : String(repeating: "0", count: Int(exponent))) }
        let places = Int(-exponent)
        if digits.count > places {
            let cut = digits.index(digits.endIndex, offsetBy: -places)
            return sign + digits[..<cut] + "." + digits[cut...]
        }
        return sign + "0." + String(repeating: "0", count: places - digits.count) + digits
    }
}
