import XCTest
@testable import RiskEngine

/// StrictJSON against the RFC 8259 grammar (and RFC 3629 for UTF-8): each case is a hand-written
/// input whose acceptance or rejection the RFC decides.
final class InputJSONTests: XCTestCase {
    private func parse(_ s: String) throws(InputError) -> JSONValue {
        try StrictJSON.parse(Array(s.utf8))
    }

    private func assertRejects(_ bytes: [UInt8], _ fragment: String, path: String? = nil,
                               file: StaticString = #filePath, line: UInt = #line) {
        do {
            let v = try StrictJSON.parse(bytes)
            XCTFail("accepted \(v)", file: file, line: line)
        } catch {
            XCTAssertTrue(error.message.contains(fragment), "message \"\(error.message)\" lacks \"\(fragment)\"",
                          file: file, line: line)
            if let path { XCTAssertEqual(error.path, path, file: file, line: line) }
        }
    }

    private func assertRejects(_ s: String, _ fragment: String, path: String? = nil,
                               file: StaticString = #filePath, line: UInt = #line) {
        assertRejects(Array(s.utf8), fragment, path: path, file: file, line: line)
    }

    func testParsesValuesAndKeepsNumberText() throws {
        let v = try parse(#" { "a" : [1.50, -0, 1E+2, 0.0e-0, true, false, null, "x"], "b": {} , "c": [] } "#)
        XCTAssertEqual(v, .object([
            ("a", .array([.number("1.50"), .number("-0"), .number("1E+2"), .number("0.0e-0"),
                          .bool(true), .bool(false), .null, .string("x")])),
            ("b", .object([])), ("c", .array([])),
        ]))
        // Member order is kept, not sorted.
        guard case .object(let m) = try parse(#"{"z":1,"a":2}"#) else { return XCTFail() }
        XCTAssertEqual(m.map(\.0), ["z", "a"])
        XCTAssertEqual(try parse("  42\n"), .number("42"))
    }

    func testEscapesAndUnicode() throws {
        XCTAssertEqual(try parse(#""\"\\\/\b\f\n\r\t""#), .string("\"\\/\u{8}\u{C}\n\r\t"))
        XCTAssertEqual(try parse(#""\u00e9\u00E9""#), .string("éé"))
        // U+1F600 as a UTF-16 surrogate pair (RFC 8259 §7) and as raw UTF-8.
        XCTAssertEqual(try parse(#""\ud83d\ude00""#), .string("😀"))
        XCTAssertEqual(try StrictJSON.parse([0x22, 0xF0, 0x9F, 0x98, 0x80, 0x22]), .string("😀"))
        XCTAssertEqual(try parse("\"€\""), .string("€"))
    }

    func testDuplicateKeysRejectedWithPath() {
        assertRejects(#"{"a":1,"a":2}"#, "duplicate object key \"a\"", path: "a")
        // Equal after unescaping is still a duplicate.
        assertRejects(#"{"a":1,"\u0061":2}"#, "duplicate object key", path: "a")
        assertRejects(#"{"x":[{"k":1},{"k":1,"k":2}]}"#, "duplicate", path: "x[1].k")
    }

    func testTrailingCommasAndTrailingData() {
        assertRejects("[1,2,]", "trailing comma", path: "@byte 5")
        assertRejects(#"{"a":1,}"#, "trailing comma")
        assertRejects("{} x", "trailing data", path: "@byte 3")
        assertRejects("1 2", "trailing data")
        assertRejects("", "unexpected end of input")
        assertRejects("   ", "unexpected end of input")
        assertRejects("[1 2]", "expected ',' or ']'")
        assertRejects(#"{"a" 1}"#, "expected ':'")
        assertRejects("{'a':1}", "expected an object key")
        assertRejects("[1] // comment", "trailing data")
        assertRejects([0xEF, 0xBB, 0xBF] + Array("{}".utf8), "unexpected byte 0xEF")   // BOM
    }

    func testNumbersGrammar() {
        assertRejects(#"{"a":01}"#, "leading zero", path: "@byte 5")
        assertRejects("-01", "leading zero")
        assertRejects("1.", "digit after '.'")
        assertRejects(".5", "expected a value")
        assertRejects("+1", "expected a value")
        assertRejects("1e", "exponent")
        assertRejects("1e+", "exponent")
        assertRejects("-", "digit after '-'")
        assertRejects("NaN", "NaN and Infinity")
        assertRejects("Infinity", "NaN and Infinity")
        assertRejects("-Infinity", "Infinity is not a JSON number")
        assertRejects("0x10", "trailing data")
        // Huge but grammatical numbers keep their text; range checks happen when a field reads them.
        XCTAssertEqual(try parse("1e999999"), .number("1e999999"))
        XCTAssertEqual(try parse("123456789012345678901234567890"), .number("123456789012345678901234567890"))
        assertRejects(String(repeating: "9", count: 129), "longer than 128")
    }

    func testStringErrors() {
        assertRejects("\"a\nb\"", "unescaped control character")
        assertRejects("\"a\u{1}b\"", "unescaped control character")
        assertRejects(#""\x""#, #"invalid escape '\x'"#)
        assertRejects(#""\u12G4""#, "invalid hex digit")
        assertRejects(#""\u12""#, "truncated")
        assertRejects(#""\ud83d""#, "unpaired high surrogate")
        assertRejects(#""\ud83dx""#, "unpaired high surrogate")
        assertRejects(#""\ud83d\u0041""#, "not followed by a low surrogate")
        assertRejects(#""\ude00""#, "unpaired low surrogate")
        assertRejects("\"abc", "unterminated string")
    }

    func testInvalidUTF8() {
        let q: UInt8 = 0x22
        assertRejects([q, 0xC0, 0x80, q], "invalid UTF-8 byte 0xC0")           // overlong NUL
        assertRejects([q, 0xE0, 0x80, 0xAF, q], "invalid UTF-8 sequence")       // overlong '/'
        assertRejects([q, 0xED, 0xA0, 0x80, q], "invalid UTF-8 sequence")       // encoded surrogate D800
        assertRejects([q, 0xF4, 0x90, 0x80, 0x80, q], "invalid UTF-8 sequence") // > U+10FFFF
        assertRejects([q, 0xF5, 0x80, 0x80, 0x80, q], "invalid UTF-8 byte 0xF5")
        assertRejects([q, 0xE2, 0x82, q], "invalid UTF-8 sequence")             // truncated €
        assertRejects([q, 0x80, q], "invalid UTF-8 byte 0x80")                  // lone continuation
        assertRejects([q, 0xE2, 0x82], "truncated UTF-8")
    }

    func testDepthAndSizeLimits() throws {
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        XCTAssertNoThrow(try parse(ok))
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        assertRejects(deep, "nesting deeper than 64")
        // A deep attack far beyond the limit fails fast instead of overflowing the stack.
        assertRejects(String(repeating: "[", count: 100_000), "nesting deeper than 64")
        assertRejects(String(repeating: #"{"a":"#, count: 70) + "1" + String(repeating: "}", count: 70),
                      "nesting deeper", path: String(repeating: "a.", count: 63) + "a")
        do {
            _ = try StrictJSON.parse(Array("[1,2,3]".utf8), maxBytes: 6)
            XCTFail("size limit not enforced")
        } catch {
            XCTAssertEqual(error.path, "$")
            XCTAssertTrue(error.message.contains("more than the limit of 6"))
        }
    }

    func testLiterals() {
        assertRejects("tru", "expected true")
        assertRejects("nul", "expected null")
        assertRejects("True", "expected a value")
        XCTAssertEqual(try parse("[null]"), .array([.null]))
    }

    /// Exact decimal → 10^-8 units (FixedPoint.parseDecimal, as the portfolio decoder uses it)
    /// against hand-computed integers, on the number forms JSON allows.
    func testExactDecimalUnits() {
        func u(_ s: String) -> Int64? { try? FixedPoint.parseDecimal(s, digits: 8) }
        XCTAssertEqual(u("0.12345678"), 12_345_678)
        XCTAssertEqual(u("-30.5"), -3_050_000_000)
        XCTAssertEqual(u("1e-8"), 1)
        XCTAssertEqual(u("1.5E+3"), 150_000_000_000)
        XCTAssertEqual(u("0.100000000000"), 10_000_000)       // trailing zeros beyond 8 places are exact
        XCTAssertEqual(u("-0"), 0)
        XCTAssertEqual(u("0e999999"), 0)
        XCTAssertEqual(u("92233720368.54775807"), Int64.max)
        XCTAssertNil(u("92233720368.54775808"))                // overflow
        XCTAssertNil(u("0.123456789"))                         // ninth decimal
        XCTAssertNil(u("1e-9"))
        XCTAssertNil(u("1e30"))
    }

    /// The exact decimals used for tier arithmetic: smallest exact scale, exact +, −, ×.
    func testExactDecimalValue() throws {
        let a = try XCTUnwrap(ExactDecimalValue(text: "800000"))
        let b = try XCTUnwrap(ExactDecimalValue(text: "0.0065"))
        let c = try XCTUnwrap(ExactDecimalValue(text: "5e-3"))
        let step = try XCTUnwrap((b - c).flatMap { a * $0 })
        XCTAssertEqual(step.description, "1200")            // 800000 × 0.0015, exactly
        XCTAssertEqual(ExactDecimalValue(text: "1.2300")?.description, "1.23")
        XCTAssertEqual(ExactDecimalValue(text: "-0.000000000000000001")?.description, "-0.000000000000000001")
        XCTAssertNil(ExactDecimalValue(text: "1e-19"))      // more than 18 decimals
        XCTAssertEqual(try XCTUnwrap(ExactDecimalValue(text: "0.1")).double, 0.1)
        // Overflow is reported, not trapped.
        let big = try XCTUnwrap(ExactDecimalValue(text: "9000000000000000000"))
        XCTAssertNil(big + big)
        XCTAssertNil(big * big)
    }

    func testTimestampParsing() {
        XCTAssertEqual(Timestamp(iso8601: "1970-01-01T00:00:00Z")?.seconds, 0)
        // References from Python's calendar.timegm.
        XCTAssertEqual(Timestamp(iso8601: "2000-02-29T12:34:56Z")?.seconds, 951_827_696)
        XCTAssertEqual(Timestamp(iso8601: "2026-11-24T08:00:00Z")?.seconds, 1_795_507_200)
        XCTAssertEqual(Timestamp(iso8601: "9999-12-31T23:59:59Z")?.seconds, 253_402_300_799)
        XCTAssertEqual(Timestamp(seconds: 951_827_696).iso8601, "2000-02-29T12:34:56Z")
        XCTAssertEqual(Timestamp(seconds: 1_806_048_000).description, "2027-03-26T08:00:00Z")
        for bad in ["2026-02-29T00:00:00Z", "2100-02-29T00:00:00Z", "2026-11-24T08:00:00+00:00", "2026-11-24 08:00:00Z",
                    "2026-13-01T00:00:00Z", "2026-11-31T00:00:00Z", "2026-11-24T24:00:00Z", "2026-11-24T08:00:60Z",
                    "2026-11-24T08:00:00.5Z", "1969-12-31T23:59:59Z", "2026-11-24t08:00:00z", "+026-11-24T08:00:00Z"] {
            XCTAssertNil(Timestamp(iso8601: bad), bad)
        }
    }

    /// A proper prefix of a JSON object text is never a JSON text (its closing brace is missing),
    /// so every truncation of the examples must be rejected, never crash, and report an offset.
    func testTruncatedExamplesRejected() throws {
        let portfolio = Array(InputFixtures.portfolio.utf8)
        let market = Array(InputFixtures.market.utf8)
        XCTAssertGreaterThan(portfolio.count, 1000)
        // Prefix lengths up to and including the index of the final '}' (which they then lack).
        let pEnd = try XCTUnwrap(portfolio.lastIndex(of: UInt8(ascii: "}")))
        let mEnd = try XCTUnwrap(market.lastIndex(of: UInt8(ascii: "}")))
        let cuts = (0...pEnd).map { (portfolio, $0) } + stride(from: 0, through: mEnd, by: 37).map { (market, $0) } + [(market, mEnd)]
        for (doc, n) in cuts {
            let prefix = Array(doc[..<n])
            do {
                _ = try StrictJSON.parse(prefix)
                XCTFail("prefix of length \(n) accepted")
            } catch {
                XCTAssertTrue(error.path.hasPrefix("@byte "), "\(n): \(error)")
            }
        }
    }

    /// Single-byte corruptions (seeded, reproducible) either parse or fail with an error; the
    /// decoders then either accept or name a path. Nothing traps.
    func testCorruptedBytesNeverCrash() throws {
        let market = try InputFixtures.parsedMarket()
        var doc = Array(InputFixtures.portfolio.utf8)
        var rng = SplitMix64(seed: 0x5EED)   // shared test generator (DetMathTestSupport.swift)
        let replacements: [UInt8] = Array("{}[],:\"\\0123456789-.eE ntfxA".utf8) + [0x00, 0x1F, 0x80, 0xC3, 0xFF]
        var rejected = 0
        for _ in 0..<3000 {
            let i = Int(rng.next() % UInt64(doc.count))
            let saved = doc[i]
            doc[i] = replacements[Int(rng.next() % UInt64(replacements.count))]
            do { _ = try Portfolio.parse(doc, market: market) } catch {
                rejected += 1
                XCTAssertFalse(error.path.isEmpty)
                XCTAssertFalse(error.message.isEmpty)
            }
            doc[i] = saved
        }
        XCTAssertGreaterThan(rejected, 1000)
    }
}
