import Foundation
import XCTest

/// `riskattest metrics` text output is fixed byte for byte: Vectors/metrics/*.txt were written
/// by the tool before its number formatting and tables were rewritten for large books (BENCHMARKS.md,
/// "Large portfolios"), and must stay identical. (After the equity semantics of issue 11 changed
/// the report's content, they were rewritten by a build with the old formatting code and the new
/// semantics, and the new formatting code reproduced them byte for byte. The risk-desk output
/// issue then changed them on purpose and they were rewritten by the tool: units in every column
/// header, a `move (%)` column in the stress grid, haircuts and weights printed as the snapshot
/// wrote them — every number otherwise unchanged.) Covers all three margin modes, a 300-position
/// generated book and non-ASCII venue names (column widths count characters, not bytes).
final class MetricsCLITests: XCTestCase {
    func check(portfolio: String, golden: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let root = EndToEnd.root
        let p = Process()
        p.executableURL = try EndToEnd.binary()
        p.arguments = ["metrics", "--portfolio", portfolio, "--market", root.appendingPathComponent("Examples/market.json").path]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let got = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, file: file, line: line)
        let expected = try Data(contentsOf: root.appendingPathComponent("Vectors/metrics/" + golden))
        XCTAssertEqual(String(decoding: got, as: UTF8.self), String(decoding: expected, as: UTF8.self), golden, file: file, line: line)
    }

    func testTextOutputIsUnchanged() throws {
        let dir = try EndToEnd.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let example = try String(contentsOf: EndToEnd.root.appendingPathComponent("Examples/portfolio.json"), encoding: .utf8)
        for mode in ["portfolio", "cross", "isolated"] {
            let path = dir.appendingPathComponent("\(mode).json")
            let text = example.replacingOccurrences(of: "\"margin_mode\": \"portfolio\"", with: "\"margin_mode\": \"\(mode)\"")
            XCTAssertTrue(mode == "portfolio" || text != example)
            try text.write(to: path, atomically: true, encoding: .utf8)
            try check(portfolio: path.path, golden: "example-\(mode).txt")
        }
        try check(portfolio: EndToEnd.root.appendingPathComponent("Vectors/metrics/book-300.json").path, golden: "book-300.txt")
    }
}
