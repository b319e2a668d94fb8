// Small typed readers over `JSONValue` that carry the JSON path, so every error names the field.
//
// Decoding stays explicit (no Codable): each schema lists its fields, unknown fields are
// rejected, required ones reported when missing, and every number is range-checked where it is
// read, with the range stated in the message (and in SPEC.md §2/§3).

/// Reads one JSON object, tracking which members exist and rejecting members not in the schema.
///
/// Paths are built only when an error is reported: decoding 100 000 positions should not format
/// 500 000 path strings that are never shown.
struct ObjectReader {
    private let base: String
    private let index: Int?
    private let members: [(String, JSONValue)]

    /// The object's path (`$` for the root, `positions[3]`, `margin.option_margin`).
    var path: String { index.map { "\(base)[\($0)]" } ?? base }

    init(_ value: JSONValue, path: String) throws(InputError) {
        try self.init(value, base: path, index: nil)
    }

    /// The object at `array[index]`.
    init(_ value: JSONValue, in array: String, at index: Int) throws(InputError) {
        try self.init(value, base: array, index: index)
    }

    private init(_ value: JSONValue, base: String, index: Int?) throws(InputError) {
        self.base = base
        self.index = index
        guard case .object(let m) = value else {
            let p = index.map { "\(base)[\($0)]" } ?? base
            throw InputError(path: p, message: "expected an object, found \(value.typeName)")
        }
        self.members = m   // the parser already rejected duplicate keys
    }

    /// Rejects the first member (in file order) whose key is not in `allowed`.
    func rejectUnknown(_ allowed: Set<String>, context: String = "") throws(InputError) {
        for (k, _) in members where !allowed.contains(k) {
            let known = allowed.sorted().joined(separator: ", ")
            throw InputError(path: child(k), message: "unknown field \"\(k)\"\(context); allowed fields: \(known)")
        }
    }

    func child(_ key: String) -> String { JSONPath.member(path, key) }

    private func lookup(_ key: String) -> JSONValue? {
        for (k, v) in members where k == key { return v }
        return nil
    }

    func required(_ key: String) throws(InputError) -> JSONValue {
        guard let v = lookup(key) else {
            throw InputError(path: child(key), message: "missing required field \"\(key)\"")
        }
        return v
    }

    /// An optional member; an explicit `null` counts as absent.
    func optional(_ key: String) -> JSONValue? {
        guard let v = lookup(key) else { return nil }
        if case .null = v { return nil }
        return v
    }

}

enum Read {
    static func array(_ v: JSONValue, _ path: @autoclosure () -> String, max: Int, min: Int = 0) throws(InputError) -> [JSONValue] {
        guard case .array(let a) = v else {
            throw InputError(path: path(), message: "expected an array, found \(v.typeName)")
        }
        guard a.count <= max else {
            throw InputError(path: path(), message: "has \(a.count) entries, more than the limit of \(max)")
        }
        guard a.count >= min else {
            throw InputError(path: path(), message: "must have at least \(min) entr\(min == 1 ? "y" : "ies")")
        }
        return a
    }

    static func string(_ v: JSONValue, _ path: @autoclosure () -> String, maxLength: Int = 128) throws(InputError) -> String {
        guard case .string(let s) = v else {
            throw InputError(path: path(), message: "expected a string, found \(v.typeName)")
        }
        guard !s.isEmpty else { throw InputError(path: path(), message: "must not be empty") }
        guard s.unicodeScalars.count <= maxLength else {
            throw InputError(path: path(), message: "longer than \(maxLength) characters")
        }
        guard !s.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw InputError(path: path(), message: "contains a control character")
        }
        return s
    }

    /// An identifier: 1–64 characters from `A–Z a–z 0–9 . _ - : /`. Identifiers end up in the
    /// attestation's public universe list and in error messages, so they are kept plain ASCII.
    static func identifier(_ v: JSONValue, _ path: @autoclosure () -> String) throws(InputError) -> String {
        guard case .string(let s) = v else {
            throw InputError(path: path(), message: "expected an identifier string, found \(v.typeName)")
        }
        guard !s.isEmpty, s.utf8.count <= 64, s.utf8.allSatisfy(isIdentifierByte) else {
            throw InputError(path: path(), message:
                "\"\(printable(s))\" is not a valid identifier (1–64 characters of A–Z a–z 0–9 . _ - : /)")
        }
        return s
    }

    static func isIdentifierByte(_ c: UInt8) -> Bool {
        (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39)
            || c == 0x2E || c == 0x5F || c == 0x2D || c == 0x3A || c == 0x2F
    }

    /// Text safe to echo in a message (truncated, control characters replaced).
    static func printable(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars.prefix(64) {
            out.unicodeScalars.append(u.value < 0x20 || u.value == 0x7F ? "?" : u)
        }
        return s.unicodeScalars.count > 64 ? out + "…" : out
    }

    static func choice<E: RawRepresentable & CaseIterable>(_ v: JSONValue, _ path: @autoclosure () -> String, _ type: E.Type) throws(InputError) -> E
    where E.RawValue == String {
        try choice(v, path(), type, options: Array(E.allCases))
    }

    static func choice<E: RawRepresentable>(_ v: JSONValue, _ path: @autoclosure () -> String, _ type: E.Type, options: [E]) throws(InputError) -> E
    where E.RawValue == String {
        guard case .string(let s) = v else {
            throw InputError(path: path(), message: "expected a string, found \(v.typeName)")
        }
        guard let e = E(rawValue: s), options.contains(where: { $0.rawValue == s }) else {
            let options = options.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
            throw InputError(path: path(), message: "\"\(printable(s))\" is not one of \(options)")
        }
        return e
    }

    static func numberText(_ v: JSONValue, _ path: @autoclosure () -> String) throws(InputError) -> String {
        guard case .number(let t) = v else {
            if case .string(let s) = v, ["nan", "inf", "infinity", "-inf", "-infinity", "+inf"].contains(s.lowercased()) {
                throw InputError(path: path(), message: "NaN and infinities are not allowed; expected a finite number")
            }
            throw InputError(path: path(), message: "expected a number, found \(v.typeName)")
        }
        return t
    }

    /// A finite double from the number's exact text (correctly rounded), checked against a range.
    /// `lower`/`upper` with `open` flags describe the interval stated in the message.
    static func double(_ v: JSONValue, _ path: @autoclosure () -> String, _ range: NumberRange) throws(InputError) -> Double {
        let t = try numberText(v, path())
        guard let d = Double(t), d.isFinite else {
            throw InputError(path: path(), message: "\(t) is out of range \(range)")
        }
        guard range.contains(d) else {
            throw InputError(path: path(), message: "\(t) is out of range \(range)\(range.hint)")
        }
        return d == 0 ? 0 : d   // normalise -0
    }

    /// An integer written without fraction or exponent.
    static func int64(_ v: JSONValue, _ path: @autoclosure () -> String, min: Int64, max: Int64) throws(InputError) -> Int64 {
        let t = try numberText(v, path())
        guard let i = Int64(t) else {
            throw InputError(path: path(), message: "\(t) is not an integer in [\(min), \(max)]")
        }
        guard i >= min, i <= max else {
            throw InputError(path: path(), message: "\(t) is out of range [\(min), \(max)]")
        }
        return i
    }

    /// The exact decimal value of a number (at most 18 decimals and 19 significant digits).
    static func exact(_ v: JSONValue, _ path: @autoclosure () -> String) throws(InputError) -> ExactDecimalValue {
        let t = try numberText(v, path())
        guard let d = ExactDecimalValue(text: t) else {
            throw InputError(path: path(), message: "\(t) has too many digits to be used exactly (at most 18 decimals, 19 significant digits)")
        }
        return d
    }

    static func timestamp(_ v: JSONValue, _ path: @autoclosure () -> String) throws(InputError) -> Timestamp {
        guard case .string(let s) = v else {
            throw InputError(path: path(), message: "expected a UTC timestamp string YYYY-MM-DDTHH:MM:SSZ, found \(v.typeName)")
        }
        guard let t = Timestamp(iso8601: s) else {
            throw InputError(path: path(), message:
                "\"\(printable(s))\" is not a valid UTC timestamp of the form YYYY-MM-DDTHH:MM:SSZ (years 1970–9999)")
        }
        return t
    }

    /// A signed amount with its exact fixed-point copy at 10^-8 (`FixedPoint.parseDecimal`, exact from the text).
    /// A collateral amount: the same rule at 10⁻⁸ in 128 bits, bounded by `maxMagnitude` units.
    static func exactWideAmount(_ v: JSONValue, _ path: @autoclosure () -> String, maxMagnitude: Int64) throws(InputError) -> (Double, Int128) {
        let t = try numberText(v, path())
        let units: Int128
        do {
            units = try FixedPoint.parseWideDecimal(t, digits: 8)
        } catch {
            throw InputError(path: path(), message: "\(t) \(ExactDecimalValue.explain(error, digits: 8))")
        }
        guard units.magnitude <= UInt128(maxMagnitude) * 100_000_000 else {
            throw InputError(path: path(), message: "\(t) is out of range [-\(maxMagnitude), \(maxMagnitude)]")
        }
        guard let d = Double(t), d.isFinite else {
            throw InputError(path: path(), message: "\(t) is out of range")
        }
        return (d == 0 ? 0 : d, units)
    }

    /// A quantity: the same rule, its 10⁻⁸ copy in 64 bits (maxMagnitude·10⁸ must fit).
    static func exactAmount(_ v: JSONValue, _ path: @autoclosure () -> String, maxMagnitude: Int64) throws(InputError) -> (Double, Int64) {
        let (d, units) = try exactWideAmount(v, path(), maxMagnitude: maxMagnitude)
        return (d, Int64(units))        // |units| ≤ maxMagnitude·10⁸ ≤ 10^18 by the bound above
    }
}

/// A real interval for range checks, printed in interval notation.
struct NumberRange: CustomStringConvertible {
    var lower: Double
    var lowerOpen: Bool
    var upper: Double
    var upperOpen: Bool
    var hint: String = ""

    func contains(_ x: Double) -> Bool {
        (lowerOpen ? x > lower : x >= lower) && (upperOpen ? x < upper : x <= upper)
    }

    var description: String {
        func f(_ x: Double) -> String {
            if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
            return "\(x)"
        }
        return (lowerOpen ? "(" : "[") + f(lower) + ", " + f(upper) + (upperOpen ? ")" : "]")
    }

    /// (0, max]
    static func positive(max: Double, hint: String = "") -> NumberRange {
        NumberRange(lower: 0, lowerOpen: true, upper: max, upperOpen: false, hint: hint)
    }
    static func closed(_ a: Double, _ b: Double, hint: String = "") -> NumberRange {
        NumberRange(lower: a, lowerOpen: false, upper: b, upperOpen: false, hint: hint)
    }
}

/// An exact decimal `mantissa · 10^-scale` (scale 0...18) with overflow-checked arithmetic.
///
/// Used where the schema states an exact identity between decimal inputs — the tier tables'
/// cumulative deductions — so the check neither depends on binary rounding (in doubles,
/// 300 + 800000·(0.0065 − 0.005) is 1499.9999999999998, not Binance's 1500) nor differs between
/// platforms. Results are converted to Double once, by correctly rounded parsing of their text.
struct ExactDecimalValue: Equatable, CustomStringConvertible {
    private(set) var mantissa: Int64
    private(set) var scale: Int

    init?(mantissa: Int64, scale: Int) {
        guard (0...18).contains(scale) else { return nil }
        self.mantissa = mantissa
        self.scale = scale
        normalize()
    }

    /// Exact value of JSON number text, or nil when it needs more than 18 decimals or 19 digits.
    /// Uses `FixedPoint.parseDecimal`, the engine's one exact decimal parser, at the smallest
    /// scale that represents the text without loss.
    init?(text: String) {
        for d in 0...18 {
            if let m = try? FixedPoint.parseDecimal(text, digits: d) {
                self.init(mantissa: m, scale: d)
                return
            }
        }
        return nil
    }

    /// Reads a `FixedPoint.parseDecimal` failure as the end of a sentence about a JSON number.
    static func explain(_ error: FixedPointError, digits: Int) -> String {
        switch error {
        case .tooManyFractionalDigits:
            return "has more than \(digits) decimal places (exact values are kept at 10^-\(digits))"
        case .decimalOutOfRange:
            return "is too large for the fixed-point range"
        default:
            return "cannot be read exactly: \(error)"
        }
    }

    private mutating func normalize() {
        while scale > 0, mantissa % 10 == 0 { mantissa /= 10; scale -= 1 }
    }

    private static func pow10(_ n: Int) -> Int64? {
        var r: Int64 = 1
        for _ in 0..<n {
            let (p, o) = r.multipliedReportingOverflow(by: 10)
            if o { return nil }
            r = p
        }
        return r
    }

    private static func aligned(_ a: Self, _ b: Self) -> (Int64, Int64, Int)? {
        let s = max(a.scale, b.scale)
        guard let fa = pow10(s - a.scale), let fb = pow10(s - b.scale) else { return nil }
        let (x, o1) = a.mantissa.multipliedReportingOverflow(by: fa)
        let (y, o2) = b.mantissa.multipliedReportingOverflow(by: fb)
        return o1 || o2 ? nil : (x, y, s)
    }

    static func + (a: Self, b: Self) -> Self? {
        guard let (x, y, s) = aligned(a, b) else { return nil }
        let (r, o) = x.addingReportingOverflow(y)
        return o ? nil : Self(mantissa: r, scale: s)
    }

    static func - (a: Self, b: Self) -> Self? {
        guard let (x, y, s) = aligned(a, b) else { return nil }
        let (r, o) = x.subtractingReportingOverflow(y)
        return o ? nil : Self(mantissa: r, scale: s)
    }

    static func * (a: Self, b: Self) -> Self? {
        let (product, overflow) = a.mantissa.multipliedReportingOverflow(by: b.mantissa)
        if overflow { return nil }
        var m = product
        var s = a.scale + b.scale
        while s > 18 {   // only exact reductions are allowed
            guard m % 10 == 0 else { return nil }
            m /= 10; s -= 1
        }
        return Self(mantissa: m, scale: s)
    }

    var description: String {
        let neg = mantissa < 0
        var digits = String(mantissa.magnitude)
        if scale > 0 {
            if digits.count <= scale { digits = String(repeating: "0", count: scale - digits.count + 1) + digits }
            digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -scale))
        }
        return (neg ? "-" : "") + digits
    }

    /// The correctly rounded double of the exact value.
    var double: Double { Double(description) ?? .nan }
}
