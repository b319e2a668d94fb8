import Foundation
import XCTest
@testable import RiskEngine

/// `UntrustedText`: every character class that could drive a terminal or reorder text is escaped,
/// everything else passes through, escaping is idempotent, and `jsonSafe` keeps JSON valid.
final class UntrustedTextTests: XCTestCase {
    /// The escaped output must hold none of the dangerous scalars (and only printable ASCII where
    /// an escape was made).
    func assertInert(_ s: String, file: StaticString = #filePath, line: UInt = #line) {
        for u in s.unicodeScalars {
            XCTAssertFalse(UntrustedText.mustEscape(u), "U+\(String(u.value, radix: 16)) left raw in \(s.debugDescription)",
                           file: file, line: line)
        }
    }

    func scalarString(_ v: UInt32) -> String { String(Unicode.Scalar(v)!) }

    func testC0ControlsAreEscaped() {
        XCTAssertEqual(UntrustedText.escape("a\u{1B}b"), "a\\u{1B}b")
        XCTAssertEqual(UntrustedText.escape("\u{07}"), "\\u{07}")
        XCTAssertEqual(UntrustedText.escape("\u{00}"), "\\u{00}")
        XCTAssertEqual(UntrustedText.escape("x\ny\rz\tw"), "x\\ny\\rz\\tw")
        for v in UInt32(0)...0x1F {
            let out = UntrustedText.escape("<" + scalarString(v) + ">")
            assertInert(out)
            XCTAssertTrue(out.hasPrefix("<\\") && out.hasSuffix(">"), out)
        }
    }

    func testDELAndC1AreEscaped() {
        XCTAssertEqual(UntrustedText.escape("\u{7F}"), "\\u{7F}")
        XCTAssertEqual(UntrustedText.escape("\u{9B}2J"), "\\u{9B}2J")   // C1 CSI
        XCTAssertEqual(UntrustedText.escape("\u{85}"), "\\u{85}")       // NEL
        for v in UInt32(0x80)...0x9F {
            let out = UntrustedText.escape(scalarString(v))
            assertInert(out)
            XCTAssertEqual(out, "\\u{\(String(v, radix: 16, uppercase: true))}")
        }
        // The first scalars after C1 are ordinary text.
        XCTAssertEqual(UntrustedText.escape("\u{A0}é"), "\u{A0}é")
    }

    func testBidiControlsAreEscaped() {
        let bidi: [UInt32] = [0x061C, 0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E,
                              0x2066, 0x2067, 0x2068, 0x2069]
        for v in bidi {
            let out = UntrustedText.escape("id" + scalarString(v) + "x")
            assertInert(out)
            XCTAssertEqual(out, "id\\u{\(String(v, radix: 16, uppercase: true))}x")
        }
        // Trojan-source style: "VALID" shown reversed by RLO stays in byte order, marked.
        XCTAssertEqual(UntrustedText.escape("\u{202E}DILAV\u{202C}"), "\\u{202E}DILAV\\u{202C}")
        // Line and paragraph separators.
        XCTAssertEqual(UntrustedText.escape("a\u{2028}b\u{2029}"), "a\\u{2028}b\\u{2029}")
        // Neighbours are not escaped: ordinary punctuation and zero-width joiner.
        XCTAssertEqual(UntrustedText.escape("\u{2010}\u{200D}\u{2030}\u{2065}\u{206A}"), "\u{2010}\u{200D}\u{2030}\u{2065}\u{206A}")
    }

    func testInvalidUTF8BytesAreShownAsHex() {
        XCTAssertEqual(UntrustedText.escape(bytes: [0x61, 0xFF, 0x62]), "a\\xFFb")
        XCTAssertEqual(UntrustedText.escape(bytes: [0xC0, 0xAF]), "\\xC0\\xAF")          // overlong '/'
        XCTAssertEqual(UntrustedText.escape(bytes: [0xED, 0xA0, 0x80]), "\\xED\\xA0\\x80")  // UTF-16 surrogate
        XCTAssertEqual(UntrustedText.escape(bytes: [0x78, 0xE2, 0x80]), "x\\xE2\\x80")     // truncated sequence
        XCTAssertEqual(UntrustedText.escape(bytes: [0xC2, 0x9B, 0x1B]), "\\u{9B}\\u{1B}")  // valid C1 and ESC
        XCTAssertEqual(UntrustedText.escape(bytes: Array("é中🙂".utf8)), "é中🙂")
        XCTAssertEqual(UntrustedText.escape(bytes: [UInt8]()), "")
        let all = (0...255).map { UInt8($0) }
        let out = UntrustedText.escape(bytes: all)
        assertInert(out)
        XCTAssertFalse(out.unicodeScalars.contains("\u{FFFD}"), "invalid bytes must be named, not replaced")
    }

    func testOrdinaryTextIsUnchangedAndEscapingIsIdempotent() {
        for s in ["BTC-27DEC26-70000-C", "deribit-2026-11-24T08:00Z", "Zürich 東京 🙂", "back\\slash \\u{1B}", ""] {
            XCTAssertEqual(UntrustedText.escape(s), s)
        }
        let hostile = "\u{1B}]0;title\u{07}\u{1B}[2J\u{1B}[31mVALID\u{9B}\u{202E}\r\n\u{7F}"
        let once = UntrustedText.escape(hostile)
        assertInert(once)
        XCTAssertEqual(UntrustedText.escape(once), once)
        XCTAssertEqual(once, "\\u{1B}]0;title\\u{07}\\u{1B}[2J\\u{1B}[31mVALID\\u{9B}\\u{202E}\\r\\n\\u{7F}")
    }

    func testJSONSafeKeepsJSONValidAndEscapesC1BidiAndDEL() throws {
        let value = "id\u{1B}[2J\u{9B}\u{202E}\u{2066}\u{061C}\u{7F}\u{2028}é中\n"
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        let raw = Array(try enc.encode(["k": value, "plain": "x"]))
        let safe = UntrustedText.jsonSafe(raw)
        let text = String(decoding: safe, as: UTF8.self)
        assertInertExceptJSONWhitespace(text)
        for esc in ["\\u009b", "\\u202e", "\\u2066", "\\u061c", "\\u007f", "\\u2028"] {
            XCTAssertTrue(text.contains(esc), "\(esc) missing in \(text)")
        }
        XCTAssertTrue(text.contains("é中"))
        // Still valid JSON, same value.
        let back = try JSONSerialization.jsonObject(with: Data(safe)) as? [String: String]
        XCTAssertEqual(back?["k"], value)
        XCTAssertEqual(back?["plain"], "x")
        // Pretty-printing whitespace is untouched; pure ASCII comes back unchanged.
        XCTAssertTrue(text.contains("\n  \""))
        let ascii = Array("{\n  \"a\": \"b\"\n}".utf8)
        XCTAssertEqual(UntrustedText.jsonSafe(ascii), ascii)
    }

    func assertInertExceptJSONWhitespace(_ s: String, file: StaticString = #filePath, line: UInt = #line) {
        for u in s.unicodeScalars where u != "\n" && u != " " {
            XCTAssertFalse(UntrustedText.mustEscape(u), "U+\(String(u.value, radix: 16)) left raw", file: file, line: line)
        }
    }

    func testInputErrorDescriptionIsEscaped() {
        let e = InputError(path: "positions[0].instrument", message: "unknown instrument \"X\u{1B}[2J\u{202E}\"")
        XCTAssertEqual(e.description, "positions[0].instrument: unknown instrument \"X\\u{1B}[2J\\u{202E}\"")
    }
}
