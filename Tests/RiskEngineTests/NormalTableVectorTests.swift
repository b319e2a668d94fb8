import Foundation
import XCTest
@testable import RiskEngine

/// The normal-CDF coefficient table is published in `Vectors/detmath-normal-table.json` so an
/// outside implementation can reproduce Φ bit for bit (SPEC §4.5); the code's table must hold
/// exactly those bits.
final class NormalTableVectorTests: XCTestCase {
    func testPublishedTableEqualsTheCodesBitForBit() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let data = try Data(contentsOf: root.appendingPathComponent("Vectors/detmath-normal-table.json"))
        let doc = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(doc["format"] as? String, "riskattest-normal-cdf-table")
        XCTAssertEqual(doc["degree"] as? Int, DetMath.millsDegree)
        let rows = try XCTUnwrap(doc["rows"] as? [[String]])
        XCTAssertEqual(rows.count, 32)
        let flat = rows.flatMap { $0 }
        XCTAssertEqual(flat.count, DetMath.millsTable.count)
        for (k, text) in flat.enumerated() {
            // Swift's Double(String) reads C99 hexadecimal literals exactly.
            let v = try XCTUnwrap(Double(text), text)
            XCTAssertEqual(v.bitPattern, DetMath.millsTable[k].bitPattern, "entry \(k): \(text)")
        }
    }
}
