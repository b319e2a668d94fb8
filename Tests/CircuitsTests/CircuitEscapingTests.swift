import XCTest
@testable import Circuits

/// The compiler's "unexpected character" message quotes the offending byte; a control byte from
/// a hostile circuit file must be shown escaped, never raw (issue 12).
final class CircuitEscapingTests: XCTestCase {
    func error(_ src: String) -> String? {
        do { _ = try Circuit.compile(source: src); return nil } catch { return String(describing: error) }
    }

    func testControlBytesInACircuitAreEchoedEscaped() throws {
        let header = "circuit t v1\nparam p = 1\n"
        for (byte, shown) in [("\u{1B}", "\\u{1B}"), ("\u{07}", "\\u{07}"), ("\u{7F}", "\\u{7F}"), ("\u{0B}", "\\u{0B}")] {
            let message = try XCTUnwrap(error(header + "require equity >= 1 \(byte)[2J\n"), "no error for \(shown)")
            XCTAssertTrue(message.contains("unexpected character \"\(shown)\""), message)
            XCTAssertFalse(message.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }, message.debugDescription)
        }
        // Non-ASCII characters are named exactly; bidi and C1 controls escaped, never raw.
        for (text, shown) in [("\u{202E}", "\\u{202E}"), ("\u{9B}", "\\u{9B}"), ("\u{2212}", "\u{2212}"), ("é", "é")] {
            let message = try XCTUnwrap(error(header + "require equity >= \(text)p\n"), shown)
            XCTAssertTrue(message.contains("unexpected non-ASCII character \"\(shown)\""), message)
            XCTAssertFalse(message.unicodeScalars.contains { $0.value == 0x202E || $0.value == 0x9B }, message)
        }
    }
}
