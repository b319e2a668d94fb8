/// Numbers printed as their decimal inputs (SPEC.md §7.3).
///
/// A snapshot's `-0.16` is parsed to the nearest double; printing that double's shortest
/// round-trip text gives `-0.16` back, whereas arithmetic on it first (`(1 + m) − 1`, `m·100`)
/// gives `-0.16000000000000003` or `-16.000000000000004`. So inputs are printed from their own
/// double, and percentages by moving the decimal point in that text rather than multiplying.
public enum DecimalText {
    /// Shortest round-trip text of `x` in plain notation (no exponent): `-0.16`, `97012.35`, `0`.
    public static func shortest(_ x: Double) -> String { scaled(x, byPowerOfTen: 0) }

    /// `x·10^shift` written by moving the decimal point of `x`'s shortest round-trip text:
    /// `scaled(-0.16, 2)` = `-16`, `scaled(0.075, 2)` = `7.5`. Not finite → `n/a`.
    public static func scaled(_ x: Double, byPowerOfTen shift: Int) -> String {
        guard x.isFinite else { return "n/a" }
        if x == 0 { return "0" }
        var text = x.description                        // shortest round-trip, maybe with an exponent
        var negative = false
        if text.hasPrefix("-") { negative = true; text.removeFirst() }
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...]) ?? 0
            text = String(text[..<e])
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let intPart = String(parts[0]), fracPart = parts.count > 1 ? String(parts[1]) : ""
        var digits = Array(intPart + fracPart)
        var point = intPart.count + exponent + shift      // digits before the decimal point
        // Leading zeros off (keeping the point's place), then pad to the point on either side.
        while digits.count > 1, digits.first == "0" { digits.removeFirst(); point -= 1 }
        if point <= 0 { digits = Array(repeating: "0", count: -point + 1) + digits; point = 1 }
        if point > digits.count { digits += Array(repeating: "0", count: point - digits.count) }
        var whole = String(digits[..<point]), frac = String(digits[point...])
        while frac.hasSuffix("0") { frac.removeLast() }
        while whole.count > 1, whole.hasPrefix("0") { whole.removeFirst() }
        let body = frac.isEmpty ? whole : whole + "." + frac
        return (negative && body != "0" ? "-" : "") + body
    }

    /// A fractional move as a signed percentage from its decimal: `-0.16` → `-16%`, `0.5` → `+50%`.
    public static func percent(_ x: Double) -> String {
        let s = scaled(x, byPowerOfTen: 2)
        return (x > 0 ? "+" : "") + s + "%"
    }
}
