// A strict RFC 8259 JSON parser working on bytes.
//
// Why our own: Foundation's JSONSerialization accepts duplicate object keys (last one wins, so two
// readers of the same file can disagree about its content), converts numbers to Double (losing the
// exact decimal text that the 10^-8 fixed-point witness is derived from), and is lenient in places
// that differ between platforms. An attested snapshot is hashed byte-for-byte; every party must
// read exactly one meaning from those bytes, so anything ambiguous is rejected here.
//
// Accepted grammar: RFC 8259 §2–§8 exactly — one value surrounded by optional whitespace
// (space, tab, LF, CR), no BOM, no comments, no trailing commas, no NaN/Infinity, no leading zeros,
// strings of valid UTF-8 (shortest form, no surrogate code points, no unescaped control characters)
// with the standard escapes, `\u` surrogate pairs properly paired. Objects must not repeat a key
// (compared after unescaping, so `"a"` and `"\u0061"` collide).

/// A parsed JSON value. Numbers keep their exact source text (already validated against the
/// RFC 8259 number grammar); objects keep member order.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.number(x), .number(y)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// A short name of the value's type, for error messages.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

public enum StrictJSON {
    /// Parses exactly one JSON text. Errors name the byte offset (`@byte N`) of the problem, or the
    /// object path for duplicate keys and depth.
    public static func parse(_ bytes: [UInt8], maxBytes: Int = 64 << 20, maxDepth: Int = 64) throws(InputError) -> JSONValue {
        guard bytes.count <= maxBytes else {
            throw InputError(path: "$", message: "input is \(bytes.count) bytes, more than the limit of \(maxBytes)")
        }
        var p = Parser(bytes: bytes, maxDepth: maxDepth)
        p.skipWhitespace()
        let v = try p.parseValue(depth: 1)
        p.skipWhitespace()
        guard p.pos == bytes.count else {
            throw p.error("unexpected \(p.describeByte()) after the end of the JSON value (trailing data)")
        }
        return v
    }

    private struct Parser {
        let bytes: [UInt8]
        let maxDepth: Int
        var pos = 0
        /// Path of the value being parsed, rendered only for errors that name one.
        var stack: [PathComponent] = []

        enum PathComponent { case key(String), index(Int) }

        func currentPath() -> String {
            var p = "$"
            for c in stack {
                switch c {
                case .key(let k): p = JSONPath.member(p, k)
                case .index(let i): p = JSONPath.element(p, i)
                }
            }
            return p
        }

        init(bytes: [UInt8], maxDepth: Int) {
            self.bytes = bytes
            self.maxDepth = maxDepth
        }

        func error(_ message: String, at offset: Int? = nil) -> InputError {
            InputError(path: "@byte \(offset ?? pos)", message: message)
        }

        func describeByte() -> String {
            guard pos < bytes.count else { return "end of input" }
            let c = bytes[pos]
            if c >= 0x20 && c < 0x7F { return "'\(Character(Unicode.Scalar(c)))'" }
            return "byte 0x" + String(c, radix: 16, uppercase: true)
        }

        mutating func skipWhitespace() {
            while pos < bytes.count {
                switch bytes[pos] {
                case 0x20, 0x09, 0x0A, 0x0D: pos += 1
                default: return
                }
            }
        }

        mutating func parseValue(depth: Int) throws(InputError) -> JSONValue {
            guard pos < bytes.count else { throw error("unexpected end of input, expected a value") }
            switch bytes[pos] {
            case UInt8(ascii: "{"): return try parseObject(depth: depth)
            case UInt8(ascii: "["): return try parseArray(depth: depth)
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
            case UInt8(ascii: "N"), UInt8(ascii: "I"):
                throw error("NaN and Infinity are not JSON numbers")
            default:
                throw error("unexpected \(describeByte()), expected a value")
            }
        }

        mutating func literal(_ word: StaticString) throws(InputError) {
            let start = pos
            let n = word.utf8CodeUnitCount
            guard pos + n <= bytes.count else { throw error("invalid literal, expected \(word)", at: start) }
            let w = word.utf8Start
            for i in 0..<n where bytes[pos + i] != w[i] {
                throw error("invalid literal, expected \(word)", at: start)
            }
            pos += n
        }

        mutating func parseObject(depth: Int) throws(InputError) -> JSONValue {
            guard depth <= maxDepth else {
                throw InputError(path: currentPath(), message: "nesting deeper than \(maxDepth) levels")
            }
            pos += 1   // {
            var members: [(String, JSONValue)] = []
            var seen = Set<String>()   // used once an object has more than 8 members; below, a linear scan is cheaper
            skipWhitespace()
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") { pos += 1; return .object(members) }
            while true {
                skipWhitespace()
                guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") else {
                    if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") {
                        throw error("trailing comma before '}'")
                    }
                    throw error("unexpected \(describeByte()), expected an object key string")
                }
                let keyOffset = pos
                let key = try parseString()
                let duplicate: Bool
                if members.count < 8 {
                    duplicate = members.contains { $0.0 == key }
                } else {
                    if seen.isEmpty { for (k, _) in members { seen.insert(k) } }
                    duplicate = !seen.insert(key).inserted
                }
                if duplicate {
                    stack.append(.key(key))
                    throw InputError(path: currentPath(), message: "duplicate object key \"\(key)\" (at byte \(keyOffset))")
                }
                skipWhitespace()
                guard pos < bytes.count, bytes[pos] == UInt8(ascii: ":") else {
                    throw error("unexpected \(describeByte()), expected ':' after an object key")
                }
                pos += 1
                skipWhitespace()
                stack.append(.key(key))
                let v = try parseValue(depth: depth + 1)
                stack.removeLast()
                members.append((key, v))
                skipWhitespace()
                guard pos < bytes.count else { throw error("unexpected end of input inside an object") }
                if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
                if bytes[pos] == UInt8(ascii: "}") { pos += 1; return .object(members) }
                throw error("unexpected \(describeByte()), expected ',' or '}'")
            }
        }

        mutating func parseArray(depth: Int) throws(InputError) -> JSONValue {
            guard depth <= maxDepth else {
                throw InputError(path: currentPath(), message: "nesting deeper than \(maxDepth) levels")
            }
            pos += 1   // [
            var items: [JSONValue] = []
            skipWhitespace()
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "]") { pos += 1; return .array(items) }
            while true {
                skipWhitespace()
                if pos < bytes.count, bytes[pos] == UInt8(ascii: "]") { throw error("trailing comma before ']'") }
                stack.append(.index(items.count))
                items.append(try parseValue(depth: depth + 1))
                stack.removeLast()
                skipWhitespace()
                guard pos < bytes.count else { throw error("unexpected end of input inside an array") }
                if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
                if bytes[pos] == UInt8(ascii: "]") { pos += 1; return .array(items) }
                throw error("unexpected \(describeByte()), expected ',' or ']'")
            }
        }

        /// number = [ minus ] int [ frac ] [ exp ]; int = zero / ( digit1-9 *DIGIT )
        mutating func parseNumber() throws(InputError) -> String {
            let start = pos
            func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
            if bytes[pos] == UInt8(ascii: "-") { pos += 1 }
            guard pos < bytes.count, isDigit(bytes[pos]) else {
                if pos < bytes.count, bytes[pos] == UInt8(ascii: "I") { throw error("Infinity is not a JSON number", at: start) }
                throw error("invalid number: expected a digit after '-'", at: start)
            }
            if bytes[pos] == UInt8(ascii: "0") {
                pos += 1
                if pos < bytes.count, isDigit(bytes[pos]) { throw error("invalid number: leading zero", at: start) }
            } else {
                while pos < bytes.count, isDigit(bytes[pos]) { pos += 1 }
            }
            if pos < bytes.count, bytes[pos] == UInt8(ascii: ".") {
                pos += 1
                guard pos < bytes.count, isDigit(bytes[pos]) else {
                    throw error("invalid number: expected a digit after '.'", at: start)
                }
                while pos < bytes.count, isDigit(bytes[pos]) { pos += 1 }
            }
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "e") || bytes[pos] == UInt8(ascii: "E") {
                pos += 1
                if pos < bytes.count, bytes[pos] == UInt8(ascii: "+") || bytes[pos] == UInt8(ascii: "-") { pos += 1 }
                guard pos < bytes.count, isDigit(bytes[pos]) else {
                    throw error("invalid number: expected a digit in the exponent", at: start)
                }
                while pos < bytes.count, isDigit(bytes[pos]) { pos += 1 }
            }
            guard pos - start <= 128 else {
                throw error("number text longer than 128 characters", at: start)
            }
            // Only ASCII digits and signs: always valid UTF-8.
            return String(decoding: bytes[start..<pos], as: UTF8.self)
        }

        mutating func hex4() throws(InputError) -> UInt32 {
            guard pos + 4 <= bytes.count else { throw error("truncated \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = bytes[pos]
                let d: UInt32
                switch c {
                case 0x30...0x39: d = UInt32(c - 0x30)
                case 0x41...0x46: d = UInt32(c - 0x41 + 10)
                case 0x61...0x66: d = UInt32(c - 0x61 + 10)
                default: throw error("invalid hex digit \(describeByte()) in \\u escape")
                }
                v = v << 4 | d
                pos += 1
            }
            return v
        }

        /// Parses a string starting at the opening quote; validates UTF-8 strictly (RFC 3629:
        /// shortest form, no surrogates, at most U+10FFFF).
        mutating func parseString() throws(InputError) -> String {
            let start = pos
            pos += 1
            // Fast path: printable ASCII without escapes, the common case for keys and ids.
            var scan = pos
            while scan < bytes.count {
                let c = bytes[scan]
                if c == UInt8(ascii: "\"") {
                    let s = String(decoding: bytes[pos..<scan], as: UTF8.self)
                    pos = scan + 1
                    return s
                }
                if c < 0x20 || c >= 0x80 || c == UInt8(ascii: "\\") { break }
                scan += 1
            }
            var out: [UInt8] = Array(bytes[pos..<scan])
            pos = scan
            while true {
                guard pos < bytes.count else { throw error("unterminated string (starts at byte \(start))") }
                let c = bytes[pos]
                if c == UInt8(ascii: "\"") { pos += 1; break }
                if c < 0x20 { throw error("unescaped control character 0x\(String(c, radix: 16)) in a string") }
                if c == UInt8(ascii: "\\") {
                    pos += 1
                    guard pos < bytes.count else { throw error("unterminated escape") }
                    let e = bytes[pos]
                    pos += 1
                    switch e {
                    case UInt8(ascii: "\""): out.append(0x22)
                    case UInt8(ascii: "\\"): out.append(0x5C)
                    case UInt8(ascii: "/"): out.append(0x2F)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "u"):
                        let escOffset = pos - 2
                        var scalar = try hex4()
                        if scalar >= 0xD800 && scalar <= 0xDBFF {
                            guard pos + 6 <= bytes.count, bytes[pos] == UInt8(ascii: "\\"),
                                  bytes[pos + 1] == UInt8(ascii: "u") else {
                                throw error("unpaired high surrogate \\u\(String(scalar, radix: 16, uppercase: true))", at: escOffset)
                            }
                            pos += 2
                            let low = try hex4()
                            guard low >= 0xDC00 && low <= 0xDFFF else {
                                throw error("high surrogate not followed by a low surrogate", at: escOffset)
                            }
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else if scalar >= 0xDC00 && scalar <= 0xDFFF {
                            throw error("unpaired low surrogate \\u\(String(scalar, radix: 16, uppercase: true))", at: escOffset)
                        }
                        guard let u = Unicode.Scalar(scalar) else {
                            throw error("invalid code point in \\u escape", at: escOffset)
                        }
                        out.append(contentsOf: Array(String(Character(u)).utf8))
                    default:
                        throw error("invalid escape '\\\(Character(Unicode.Scalar(e)))'", at: pos - 2)
                    }
                    continue
                }
                if c < 0x80 { out.append(c); pos += 1; continue }
                // Multi-byte UTF-8 sequence.
                let len: Int
                var lo: UInt8 = 0x80, hi: UInt8 = 0xBF   // bounds of the second byte
                switch c {
                case 0xC2...0xDF: len = 2
                case 0xE0: len = 3; lo = 0xA0
                case 0xE1...0xEC, 0xEE...0xEF: len = 3
                case 0xED: len = 3; hi = 0x9F          // excludes surrogates
                case 0xF0: len = 4; lo = 0x90
                case 0xF1...0xF3: len = 4
                case 0xF4: len = 4; hi = 0x8F          // <= U+10FFFF
                default: throw error("invalid UTF-8 byte 0x\(String(c, radix: 16, uppercase: true))")
                }
                guard pos + len <= bytes.count else { throw error("truncated UTF-8 sequence") }
                guard bytes[pos + 1] >= lo, bytes[pos + 1] <= hi else { throw error("invalid UTF-8 sequence") }
                for k in 2..<max(2, len) where bytes[pos + k] & 0xC0 != 0x80 {
                    throw error("invalid UTF-8 sequence")
                }
                out.append(contentsOf: bytes[pos..<(pos + len)])
                pos += len
            }
            return String(decoding: out, as: UTF8.self)
        }
    }
}

/// Rendering of JSON paths in error messages: `$` is the root; identifier-like keys are appended
/// with a dot, anything else in brackets and quotes.
enum JSONPath {
    static func member(_ parent: String, _ key: String) -> String {
        let simple = !key.isEmpty && key.utf8.allSatisfy { c in
            (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39) || c == 0x5F
        }
        let base = parent == "$" ? "" : parent
        if simple { return base.isEmpty ? key : base + "." + key }
        var escaped = ""
        for ch in key { if ch == "\"" || ch == "\\" { escaped.append("\\") }; escaped.append(ch) }
        return (base.isEmpty ? "$" : base) + "[\"" + escaped + "\"]"
    }
    static func element(_ parent: String, _ index: Int) -> String {
        parent + "[\(index)]"
    }
}
