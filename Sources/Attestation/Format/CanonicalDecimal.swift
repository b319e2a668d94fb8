/// Canonical decimal text, the one spelling of an exact decimal number used in attestations
/// (parameter values) and position records (entry prices).
///
/// Grammar: `-?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?`, and not `-0`. So every exact decimal value has
/// exactly one spelling: no `+`, no leading zeros, no trailing fractional zeros, no exponent, no
/// negative zero. Two parties comparing parameter values therefore compare bytes, never numbers.
public enum CanonicalDecimal {
    /// Longest accepted text (bytes). Enough for any Int64 at 10^-18 and any engine parameter.
    public static let maxLength = 64

    public static func isCanonical(_ text: String) -> Bool {
        let b = Array(text.utf8)
        guard !b.isEmpty, b.count <= maxLength else { return false }
        var i = 0
        let negative = b[0] == UInt8(ascii: "-")
        if negative { i = 1 }
        guard i < b.count else { return false }
        func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
        // Integer part.
        if b[i] == UInt8(ascii: "0") {
            i += 1
        } else {
            guard isDigit(b[i]) else { return false }
            while i < b.count, isDigit(b[i]) { i += 1 }
        }
        var fractionNonZero = false
        if i < b.count {
            guard b[i] == UInt8(ascii: "."), i + 1 < b.count else { return false }
            i += 1
            while i < b.count {
                guard isDigit(b[i]) else { return false }
                i += 1
            }
            guard b[b.count - 1] != UInt8(ascii: "0") else { return false }
            fractionNonZero = true
        }
        if negative, !fractionNonZero, b.count == 2, b[1] == UInt8(ascii: "0") { return false }   // "-0"
        return true
    }

    /// The canonical spelling of a finite Double's shortest round-trip decimal (Swift's
    /// `description`, which is the shortest digit string that reads back to the same Double),
    /// written without exponent. Returns nil for NaN/infinity or when the text would exceed
    /// `maxLength`. Used for entry prices, which the portfolio parser keeps as Doubles.
    public static func fromDouble(_ x: Double) -> String? {
        guard x.isFinite else { return nil }
        if x == 0 { return "0" }
        var text = Array(x.description.utf8)
        var negative = false
        if text.first == UInt8(ascii: "-") { negative = true; text.removeFirst() }
        // Split mantissa and exponent.
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
            let expText = String(decoding: text[(e + 1)...], as: UTF8.self)
            guard let v = Int(expText) else { return nil }
            exponent = v
            text = Array(text[..<e])
        }
        var digits: [UInt8] = []
        var pointPosition = 0   // number of digits before the decimal point
        var seenPoint = false
        for c in text {
            if c == UInt8(ascii: ".") { seenPoint = true; continue }
            guard c >= 0x30, c <= 0x39 else { return nil }
            digits.append(c)
            if !seenPoint { pointPosition += 1 }
        }
        pointPosition += exponent
        // Strip leading zeros (adjusting the point) and trailing zeros.
        while let f = digits.first, f == UInt8(ascii: "0"), digits.count > 1 { digits.removeFirst(); pointPosition -= 1 }
        while let l = digits.last, l == UInt8(ascii: "0"), digits.count > 1 { digits.removeLast() }
        guard abs(pointPosition) <= maxLength, digits.count <= maxLength else { return nil }
        var out: [UInt8] = negative ? [UInt8(ascii: "-")] : []
        if pointPosition <= 0 {
            out += Array("0.".utf8) + [UInt8](repeating: UInt8(ascii: "0"), count: -pointPosition) + digits
        } else if pointPosition >= digits.count {
            out += digits + [UInt8](repeating: UInt8(ascii: "0"), count: pointPosition - digits.count)
        } else {
            out += digits[..<pointPosition] + [UInt8(ascii: ".")] + digits[pointPosition...]
        }
        let s = String(decoding: out, as: UTF8.self)
        return isCanonical(s) ? s : nil
    }
}
