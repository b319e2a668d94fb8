/// Errors from converting engine values or decimal text to fixed-point integers.
public enum FixedPointError: Error, Equatable, CustomStringConvertible {
    /// `digits` outside 0...18 (10^digits must be an exact double and scaled values fit Int64).
    case invalidDigits(Int)
    /// The value to round is NaN or infinite, or x·10^digits overflowed to infinity.
    case notFinite(Double)
    /// |x·10^digits| exceeds 2^53, beyond which doubles no longer represent every integer.
    case outOfRange(value: Double, digits: Int)
    /// The text is not a decimal number in the accepted grammar (SPEC.md §4).
    case malformedDecimal(text: String, reason: String)
    /// The text has non-zero digits below 10^-digits, so it cannot be represented exactly.
    case tooManyFractionalDigits(text: String, digits: Int)
    /// The scaled integer does not fit in Int64.
    case decimalOutOfRange(text: String, digits: Int)

    public var description: String {
        switch self {
        case .invalidDigits(let d):
            return "fixed-point digits must be between 0 and 18, got \(d)"
        case .notFinite(let x):
            return "cannot convert \(x) to fixed point: value is not finite"
        case .outOfRange(let x, let d):
            return "cannot convert \(x) to fixed point at 10^-\(d): |x·10^\(d)| exceeds 2^53"
        case .malformedDecimal(let text, let reason):
            return "malformed decimal \"\(FixedPointError.clip(text))\": \(reason)"
        case .tooManyFractionalDigits(let text, let d):
            return "decimal \"\(FixedPointError.clip(text))\" has non-zero digits beyond \(d) decimal places"
        case .decimalOutOfRange(let text, let d):
            return "decimal \"\(FixedPointError.clip(text))\" at 10^-\(d) does not fit in a signed 64-bit integer"
        }
    }

    /// Error messages quote at most 40 characters of untrusted text.
    static func clip(_ s: String) -> String {
        s.count <= 40 ? s : String(s.prefix(40)) + "…"
    }
}

/// The single bridge from engine doubles (and decimal text) to the integers that the attestation
/// layer commits to.
///
/// A prover and a verifier must turn the same double into the same integer coefficient, so there is
/// exactly one rounding rule and it is specified operation by operation (SPEC.md §4):
///
/// 1. p = 10^digits as a double (exact: every 10^d with d ≤ 22 is representable);
/// 2. q = x × p, **one** IEEE-754 multiplication rounded to nearest-even;
/// 3. error if q is NaN or ±∞, or if |q| > 2^53;
/// 4. n = q rounded to the nearest integer, ties to even (`roundToIntegralTiesToEven`); exact.
///
/// Note the rule rounds the *binary* product, not the decimal expansion of x: the double nearest
/// 0.285 is slightly below it and 0.285 × 100 rounds to 28.499999999999996, so
/// `round(0.285, digits: 2)` is 28; the double nearest 2.675 is also below 2.675, yet 2.675 × 100
/// rounds to exactly 267.5, a tie, so `round(2.675, digits: 2)` is 268 (the even neighbour).
public enum FixedPoint {
    static let powersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18,
    ]
    static let maxExact: Double = 0x1p53

    /// THE one rounding rule: q = x · 10^digits in IEEE double, then round half to even; error on
    /// NaN/Inf or |q| > 2^53. Used for every engine-to-integer conversion (coefficients).
    public static func round(_ x: Double, digits: Int) throws(FixedPointError) -> Int64 {
        guard digits >= 0 && digits <= 18 else { throw .invalidDigits(digits) }
        guard x.isFinite else { throw .notFinite(x) }
        let q = x * powersOfTen[digits]
        guard q.isFinite else { throw .notFinite(q) }
        guard abs(q) <= maxExact else { throw .outOfRange(value: x, digits: digits) }
        // |q| ≤ 2^53, so the integral value converts to Int64 exactly.
        return Int64(q.rounded(.toNearestOrEven))
    }

    /// Exact decimal text to an integer count of 10^-digits units, with no binary rounding at all.
    ///
    /// Grammar (the JSON number grammar, RFC 8259 §6):
    /// `["-"] ("0" | [1-9][0-9]*) ["." [0-9]+] [("e"|"E") ["+"|"-"] [0-9]+]`.
    /// No leading "+", no leading zeros ("01"), no bare "." or trailing ".", no spaces.
    /// The value must be an exact multiple of 10^-digits (extra fractional digits are allowed only
    /// when they are zeros: "1.2300" at 2 digits is 123) and the result must fit in Int64.
    /// "-0" gives 0.
    public static func parseDecimal(_ text: String, digits: Int) throws(FixedPointError) -> Int64 {
        try parseDecimal(text, digits: digits, as: Int64.self)
    }

    /// The same rule into a 128-bit integer: collateral amounts up to 10¹² and beyond at 10⁻⁸
    /// (10²⁰ does not fit 64 bits).
    public static func parseWideDecimal(_ text: String, digits: Int) throws(FixedPointError) -> Int128 {
        try parseDecimal(text, digits: digits, as: Int128.self)
    }

    static func parseDecimal<T: FixedWidthInteger & SignedInteger>(_ text: String, digits: Int,
                                                                    as: T.Type) throws(FixedPointError) -> T {
        guard digits >= 0 && digits <= 18 else { throw .invalidDigits(digits) }
        let bytes = Array(text.utf8)
        var i = 0
        func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

        var negative = false
        if i < bytes.count && bytes[i] == UInt8(ascii: "-") { negative = true; i += 1 }
        // Integer part.
        let intStart = i
        while i < bytes.count && isDigit(bytes[i]) { i += 1 }
        let intDigits = bytes[intStart..<i]
        if intDigits.isEmpty {
            throw .malformedDecimal(text: text, reason: "expected a digit at offset \(i)")
        }
        if intDigits.count > 1 && intDigits.first == UInt8(ascii: "0") {
            throw .malformedDecimal(text: text, reason: "leading zeros are not allowed")
        }
        // Fraction.
        var fracDigits = bytes[i..<i]
        if i < bytes.count && bytes[i] == UInt8(ascii: ".") {
            i += 1
            let fracStart = i
            while i < bytes.count && isDigit(bytes[i]) { i += 1 }
            fracDigits = bytes[fracStart..<i]
            if fracDigits.isEmpty {
                throw .malformedDecimal(text: text, reason: "expected a digit after the decimal point")
            }
        }
        // Exponent: |exponent| ≥ 10^6 is rejected (no realistic number needs it; bounds the work).
        var exponent = 0
        if i < bytes.count && (bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E")) {
            i += 1
            var expNegative = false
            if i < bytes.count && (bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-")) {
                expNegative = bytes[i] == UInt8(ascii: "-")
                i += 1
            }
            let expStart = i
            while i < bytes.count && isDigit(bytes[i]) {
                exponent = exponent * 10 + Int(bytes[i] - 0x30)
                if exponent >= 1_000_000 {
                    throw .malformedDecimal(text: text, reason: "exponent magnitude must be below 10^6")
                }
                i += 1
            }
            if i == expStart {
                throw .malformedDecimal(text: text, reason: "expected a digit in the exponent")
            }
            if expNegative { exponent = -exponent }
        }
        if i != bytes.count {
            throw .malformedDecimal(text: text, reason: "unexpected character at offset \(i)")
        }

        // value = mantissa digits × 10^(exponent − fracDigits.count); scaled by 10^digits.
        let mantissa = Array(intDigits) + Array(fracDigits)
        guard let firstNonZero = mantissa.firstIndex(where: { $0 != UInt8(ascii: "0") }) else {
            return 0
        }
        let significant = mantissa[firstNonZero...]
        let shift = exponent - fracDigits.count + digits
        var kept = significant[...]
        if shift < 0 {
            // The last −shift digits fall below 10^-digits; they must all be zero.
            let drop = -shift
            if drop >= significant.count {
                throw .tooManyFractionalDigits(text: text, digits: digits)
            }
            let cut = significant.endIndex - drop
            if significant[cut...].contains(where: { $0 != UInt8(ascii: "0") }) {
                throw .tooManyFractionalDigits(text: text, digits: digits)
            }
            kept = significant[..<cut]
        }
        // Accumulate the magnitude as a negative number so that T.min is reachable.
        var acc: T = 0
        for d in kept {
            let (m, o1) = acc.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.subtractingReportingOverflow(T(d - 0x30))
            if o1 || o2 { throw .decimalOutOfRange(text: text, digits: digits) }
            acc = s
        }
        if shift > 0 {
            if shift > 38 { throw .decimalOutOfRange(text: text, digits: digits) }
            for _ in 0..<shift {
                let (m, o) = acc.multipliedReportingOverflow(by: 10)
                if o { throw .decimalOutOfRange(text: text, digits: digits) }
                acc = m
            }
        }
        if negative { return acc }
        if acc == T.min { throw .decimalOutOfRange(text: text, digits: digits) }
        return -acc
    }
}
