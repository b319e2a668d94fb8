import RiskEngine

/// Deterministic JSON writer for the openings and disclosure files: fixed key order, integers as
/// JSON numbers, byte strings as lower-case hex, two-space indentation.
struct JSONWriter {
    private(set) var out = ""

    static func quote(_ s: String) -> String {
        var r = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": r += "\\\""
            case "\\": r += "\\\\"
            case "\n": r += "\\n"
            case "\r": r += "\\r"
            case "\t": r += "\\t"
            default:
                if u.value < 0x20 || u.value == 0x7f {
                    let h = String(u.value, radix: 16)
                    r += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                } else {
                    r.unicodeScalars.append(u)
                }
            }
        }
        return r + "\""
    }
}

/// Typed access to a parsed `JSONValue` with path-named errors. Objects must have exactly the
/// expected keys: an unknown key is an error (a misspelt field must not be silently ignored).
struct JSONReader {
    /// `keys` must all be present; `optional` keys may be absent (a reader sees `nil`).
    static func object(_ v: JSONValue, _ path: String, keys: [String], optional: [String] = []) throws(DisclosureError) -> [String: JSONValue] {
        guard case .object(let members) = v else { throw .malformed(path: path, message: "expected an object, found \(v.typeName)") }
        var d: [String: JSONValue] = [:]
        for (k, x) in members {
            guard keys.contains(k) || optional.contains(k) else { throw .malformed(path: path, message: "unknown field \"\(k)\"") }
            d[k] = x
        }
        for k in keys where d[k] == nil { throw .malformed(path: path, message: "missing field \"\(k)\"") }
        return d
    }

    static func array(_ v: JSONValue?, _ path: String, max: Int) throws(DisclosureError) -> [JSONValue] {
        guard case .array(let a)? = v else { throw .malformed(path: path, message: "expected an array") }
        guard a.count <= max else { throw .malformed(path: path, message: "\(a.count) entries, over the limit of \(max)") }
        return a
    }

    static func string(_ v: JSONValue?, _ path: String) throws(DisclosureError) -> String {
        guard case .string(let s)? = v else { throw .malformed(path: path, message: "expected a string") }
        return s
    }

    static func hex(_ v: JSONValue?, _ path: String, count: Int) throws(DisclosureError) -> [UInt8] {
        let s = try string(v, path)
        guard let b = TextRules.unhex(s), b.count == count else {
            throw .malformed(path: path, message: "expected \(2 * count) lower-case hex digits")
        }
        return b
    }

    /// Integer digits only (`-?(0|[1-9][0-9]*)`); StrictJSON has already checked the number grammar.
    private static func integerText(_ v: JSONValue?, _ path: String) throws(DisclosureError) -> String {
        guard case .number(let t)? = v else { throw .malformed(path: path, message: "expected an integer") }
        guard !t.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) else {
            throw .malformed(path: path, message: "\(t) is not an integer")
        }
        return t
    }

    static func int64(_ v: JSONValue?, _ path: String) throws(DisclosureError) -> Int64 {
        let t = try integerText(v, path)
        guard let x = Int64(t) else { throw .malformed(path: path, message: "\(t) is outside the signed 64-bit range") }
        return x
    }

    static func uint64(_ v: JSONValue?, _ path: String) throws(DisclosureError) -> UInt64 {
        let t = try integerText(v, path)
        guard let x = UInt64(t) else { throw .malformed(path: path, message: "\(t) is outside 0...2^64-1") }
        return x
    }

    static func int(_ v: JSONValue?, _ path: String, range: ClosedRange<Int>) throws(DisclosureError) -> Int {
        let x = try int64(v, path)
        guard x >= Int64(range.lowerBound), x <= Int64(range.upperBound) else {
            throw .malformed(path: path, message: "\(x) is outside \(range.lowerBound)...\(range.upperBound)")
        }
        return Int(x)
    }

    static func parse(_ bytes: [UInt8], maxBytes: Int) throws(DisclosureError) -> JSONValue {
        do { return try StrictJSON.parse(bytes, maxBytes: maxBytes, maxDepth: 16) } catch {
            throw .malformed(path: error.path.isEmpty ? "$" : error.path, message: error.message)
        }
    }
}

/// JSON form of a position record, shared by the openings and disclosure files.
enum RecordJSON {
    static let kindNames: [MemberKind: String] = [.instrument: "instrument", .collateral: "collateral", .auxiliary: "auxiliary"]

    static func write(_ r: PositionRecord, indent: String) -> String {
        let i2 = indent + "  "
        var s = "{\n"
        s += "\(i2)\"kind\": \(JSONWriter.quote(kindNames[r.kind] ?? "")),\n"
        s += "\(i2)\"id\": \(JSONWriter.quote(r.memberID)),\n"
        s += "\(i2)\"quantityUnits\": \(r.quantityUnits),\n"
        s += "\(i2)\"plus\": \(r.plus),\n"
        s += "\(i2)\"minus\": \(r.minus),\n"
        s += "\(i2)\"blindingPlus\": \"\(TextRules.hex(r.blindingPlus.bytes))\",\n"
        s += "\(i2)\"blindingMinus\": \"\(TextRules.hex(r.blindingMinus.bytes))\",\n"
        if r.details.isEmpty {
            s += "\(i2)\"details\": []\n"
        } else {
            s += "\(i2)\"details\": [\n"
            for (k, d) in r.details.enumerated() {
                s += "\(i2)  {\"venue\": \(JSONWriter.quote(d.venue)), \"account\": \(JSONWriter.quote(d.account)), "
                s += "\"entryPrice\": \(JSONWriter.quote(d.entryPrice)), \"quantityUnits\": \(d.quantityUnits)}"
                s += k + 1 < r.details.count ? ",\n" : "\n"
            }
            s += "\(i2)]\n"
        }
        return s + indent + "}"
    }

    static func read(_ v: JSONValue?, _ path: String) throws(DisclosureError) -> PositionRecord {
        guard let v else { throw .malformed(path: path, message: "missing record") }
        let o = try JSONReader.object(v, path, keys: ["kind", "id", "quantityUnits", "plus", "minus",
                                                      "blindingPlus", "blindingMinus", "details"])
        let kindName = try JSONReader.string(o["kind"], path + ".kind")
        guard let kind = kindNames.first(where: { $0.value == kindName })?.key else {
            throw .malformed(path: path + ".kind", message: "\"\(kindName)\" is not instrument, collateral or auxiliary")
        }
        let rp = try JSONReader.hex(o["blindingPlus"], path + ".blindingPlus", count: 32)
        let rm = try JSONReader.hex(o["blindingMinus"], path + ".blindingMinus", count: 32)
        guard let sp = try? Scalar(canonicalBytes: rp) else {
            throw .malformed(path: path + ".blindingPlus", message: "not a canonical scalar (must be < ℓ)")
        }
        guard let sm = try? Scalar(canonicalBytes: rm) else {
            throw .malformed(path: path + ".blindingMinus", message: "not a canonical scalar (must be < ℓ)")
        }
        let ds = try JSONReader.array(o["details"], path + ".details", max: PositionRecord.maxDetails)
        var details: [PositionDetail] = []
        for (k, dv) in ds.enumerated() {
            let p = "\(path).details[\(k)]"
            let d = try JSONReader.object(dv, p, keys: ["venue", "account", "entryPrice", "quantityUnits"])
            do {
                details.append(try PositionDetail(venue: try JSONReader.string(d["venue"], p + ".venue"),
                                                  account: try JSONReader.string(d["account"], p + ".account"),
                                                  entryPrice: try JSONReader.string(d["entryPrice"], p + ".entryPrice"),
                                                  quantityUnits: try JSONReader.int64(d["quantityUnits"], p + ".quantityUnits")))
            } catch let e as RecordError {
                throw .malformed(path: p, message: e.description)
            } catch let e as DisclosureError { throw e } catch { throw .malformed(path: p, message: "\(error)") }
        }
        do {
            return try PositionRecord(kind: kind, memberID: try JSONReader.string(o["id"], path + ".id"),
                                      quantityUnits: try JSONReader.int64(o["quantityUnits"], path + ".quantityUnits"),
                                      plus: try JSONReader.uint64(o["plus"], path + ".plus"),
                                      minus: try JSONReader.uint64(o["minus"], path + ".minus"),
                                      blindingPlus: sp, blindingMinus: sm, details: details)
        } catch let e as RecordError {
            throw .malformed(path: path, message: e.description)
        } catch let e as DisclosureError { throw e } catch { throw .malformed(path: path, message: "\(error)") }
    }
}

import Ristretto255
