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
        // Bidi override inside an identifier: the message (whatever it says) carries no raw U+202E.
        let message = try XCTUnwrap(error(header + "require equity >= \u{202E}p\n"))
        XCTAssertFalse(message.unicodeScalars.contains("\u{202E}"), message)
    }
}
