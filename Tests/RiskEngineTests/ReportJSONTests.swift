import Foundation
import XCTest
@testable import RiskEngine

/// `RiskReport.jsonBytes()` and `writeJSON` (SortedJSONWriter) must produce exactly the bytes of
/// the JSONEncoder configuration they replace, on real reports and on values exercising every
/// path of the writer (escapes, empty containers, nil optionals, nested and deferred containers).
final class ReportJSONTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func report(marginMode: String, positions: Int? = nil) throws -> RiskReport {
        let market = try MarketSnapshot.parse([UInt8](try Data(contentsOf: Self.root.appendingPathComponent("Examples/market.json"))))
        var text = try String(contentsOf: Self.root.appendingPathComponent("Examples/portfolio.json"), encoding: .utf8)
        text = text.replacingOccurrences(of: "\"margin_mode\": \"portfolio\"", with: "\"margin_mode\": \"\(marginMode)\"")
        if let positions {
            // Many positions with escaped venue/account text: one per instrument and account.
            var rows: [String] = []
            for k in 0..<positions {
                let inst = market.instruments[k % market.instruments.count]
                rows.append("{\"instrument\": \"\(inst.id)\", \"quantity\": \(k % 2 == 0 ? "" : "-")\(1 + k % 7).25, \"entry_price\": \(inst.markPrice), "
                            + "\"venue\": \"v/\\\"\\u00e9\\\\\", \"account\": \"a\(k / market.instruments.count)\"}")
            }
            let start = text.range(of: "\"positions\": [")!.upperBound
            let end = text.range(of: "],\n  \"collateral\"")!.lowerBound
            text.replaceSubrange(start..<end, with: rows.joined(separator: ",\n"))
        }
        let book = try Portfolio.parse(Array(text.utf8), market: market)
        return try RiskEngine.analyze(portfolio: book, market: market)
    }

    func testReportBytesEqualJSONEncoder() throws {
        for mode in ["portfolio", "cross", "isolated"] {
            for n in [nil, 500] as [Int?] {
                let r = try report(marginMode: mode, positions: n)
                let expected = try r.foundationJSONBytes()
                let got = try r.jsonBytes()
                XCTAssertEqual(got.count, expected.count, "\(mode) \(n ?? 0)")
                XCTAssertTrue(got == expected, "\(mode) \(n ?? 0): first difference at byte \(zip(got, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(got.count, expected.count))")
                // Streaming in small chunks gives the same bytes, in chunks of about the size asked.
                var streamed: [UInt8] = []
                var chunks = 0
                try r.writeJSON(chunkSize: 4096) { streamed += $0; chunks += 1 }
                XCTAssertTrue(streamed == expected, "\(mode) \(n ?? 0) streamed")
                XCTAssertGreaterThan(chunks, expected.count / 65_536)
            }
        }
    }

    struct Odd: Encodable {
        struct Inner: Encodable { var zValue: Int; var aValue: [Double]; var none: String? }
        var someURLValue = "a/b\"c\\d\u{1}\u{1f}\n\r\t\u{8}\u{c}é😀"
        var emptyArray: [Int] = []
        var emptyInner: [Inner] = []
        var numbers: [Double] = [0, -0.0, 1, 1.5, 1e-7, 1e21, 123456789012345680000, -2.5e-308, .pi]
        var ints: [Int64] = [Int64.min, 0, Int64.max]
        var flags = [true, false]
        var optional: Double? = nil
        var inner = [Inner(zValue: 1, aValue: [], none: nil), Inner(zValue: 2, aValue: [3], none: "x")]
        var nested: [[Inner]] = [[], [Inner(zValue: 3, aValue: [1, 2], none: nil)]]
        var a1: Int = 1
        var a: Int = 2
        var aB: Int = 3
        var _underscored_: Int = 4
    }

    struct Manual: Encodable {
        enum K: String, CodingKey { case first, secondKey, third }
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: K.self)
            try c.encodeNil(forKey: .third)
            var n = c.nestedContainer(keyedBy: K.self, forKey: .secondKey)
            try n.encode("x", forKey: .first)
            var u = c.nestedUnkeyedContainer(forKey: .first)
            try u.encode(1)
            var uu = u.nestedUnkeyedContainer()
            try uu.encode("y")
            var uk = u.nestedContainer(keyedBy: K.self)
            try uk.encode(true, forKey: .third)
        }
    }

    struct TopArray: Encodable {
        func encode(to encoder: Encoder) throws {
            var u = encoder.unkeyedContainer()
            try u.encode(1.0)
            var k = u.nestedContainer(keyedBy: Manual.K.self)
            try k.encode(2, forKey: .secondKey)
            try u.encode(Manual())
            try u.encodeNil()
        }
    }

    func reference<T: Encodable>(_ v: T) throws -> [UInt8] {
        let enc = JSONEncoder()
        enc.keyEncodingStrategy = .convertToSnakeCase
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return Array(try enc.encode(v))
    }

    func ours<T: Encodable>(_ v: T) throws -> [UInt8] {
        let sink = JSONByteSink(chunkSize: 0, flush: nil)
        try SortedJSONWriter(out: sink).write(v)
        return sink.bytes
    }

    func testWriterMatchesJSONEncoderOnEveryPath() throws {
        for (name, got, expected) in [("odd", try ours(Odd()), try reference(Odd())),
                                      ("manual", try ours(Manual()), try reference(Manual())),
                                      ("array", try ours(TopArray()), try reference(TopArray())),
                                      ("scalar", try ours(2.0), try reference(2.0)),
                                      ("empty", try ours([String: Int]()), try reference([String: Int]()))] {
            XCTAssertEqual(String(decoding: got, as: UTF8.self), String(decoding: expected, as: UTF8.self), name)
        }
        // Non-finite numbers are refused, as JSONEncoder refuses them.
        XCTAssertThrowsError(try ours([Double.nan]))
        XCTAssertThrowsError(try reference([Double.nan]))
    }
}
