import Foundation
import XCTest

/// `riskattest cascade` and `metrics --chart` through the binary: outputs, the atomic chart
/// files, and malformed DEPTH/MAP files (exit 2, the file and JSON path named, no raw bytes).
final class CascadeCLITests: XCTestCase {
    let root = EndToEnd.root
    var market: String { root.appendingPathComponent("Examples/market.json").path }
    var depth: String { root.appendingPathComponent("Examples/depth.json").path }
    var map: String { root.appendingPathComponent("Examples/liquidation-map.json").path }

    /// The example book in cross mode (the shipped one is portfolio-margined).
    func crossBook(in dir: URL) throws -> String {
        let text = try EndToEnd.text("Examples/portfolio.json")
            .replacingOccurrences(of: "\"margin_mode\": \"portfolio\"", with: "\"margin_mode\": \"cross\"")
        let path = dir.appendingPathComponent("cross.json")
        try text.write(to: path, atomically: true, encoding: .utf8)
        return path.path
    }

    func cascade(_ extra: [String], portfolio: String) throws -> (status: Int32, out: String, err: String) {
        try EndToEnd.run(try EndToEnd.binary().path,
                         ["cascade", "--portfolio", portfolio, "--market", market, "--depth", depth] + extra)
    }

    func testJSONTextCSVAndChart() throws {
        let dir = try EndToEnd.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let book = try crossBook(in: dir)
        let chart = dir.appendingPathComponent("cascade.svg").path
        let j = try cascade(["--liquidation-map", map, "--shock", "BTC=-0.08", "--json", "--chart", chart], portfolio: book)
        XCTAssertEqual(j.status, 0, j.err)
        let obj = try JSONSerialization.jsonObject(with: Data(j.out.utf8)) as? [String: Any]
        XCTAssertEqual(obj?["schema"] as? String, "riskattest.cascade/1")
        let steps = obj?["steps"] as? [[String: Any]] ?? []
        XCTAssertGreaterThan(steps.count, 1)
        XCTAssertEqual(steps.first?["kind"] as? String, "shock")
        XCTAssertTrue(steps.contains { $0["kind"] as? String == "market_liquidations" })
        XCTAssertNotNil(obj?["summary"] as? [String: Any])
        let svg = try String(contentsOfFile: chart, encoding: .utf8)
        XCTAssertTrue(svg.hasPrefix("<?xml"))
        XCTAssertTrue(svg.contains("</svg>"))
        XCTAssertTrue(svg.contains("BTC index move"))
        // No temporary file is left beside the chart.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".tmp-") }, [])

        let t = try cascade(["--liquidation-map", map, "--shock", "BTC=-0.08"], portfolio: book)
        XCTAssertEqual(t.status, 0, t.err)
        XCTAssertTrue(t.out.contains("equity (USD)"))
        XCTAssertTrue(t.out.contains("impact (%)"))
        XCTAssertTrue(t.out.contains("status:"))

        let c = try cascade(["--liquidation-map", map, "--shock", "BTC=-0.08", "--csv"], portfolio: book)
        XCTAssertEqual(c.status, 0, c.err)
        let lines = c.out.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        XCTAssertEqual(lines.count, steps.count + 1)
        XCTAssertTrue(lines[0].hasPrefix("step,kind,instrument,side,"))
        let width = lines[0].split(separator: ",", omittingEmptySubsequences: false).count
        for l in lines { XCTAssertEqual(l.split(separator: ",", omittingEmptySubsequences: false).count, width, l) }

        let both = try cascade(["--json", "--csv"], portfolio: book)
        XCTAssertEqual(both.status, 2)
    }

    func testMalformedDepthAndMapFilesExit2WithThePath() throws {
        let dir = try EndToEnd.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let book = root.appendingPathComponent("Examples/portfolio.json").path
        let head = #"{"schema":"riskattest.depth/1","liquidation_fee":0.005,"underlyings":{"ETH":{"type":"square_root","coefficient":0.05,"daily_volume":1e10},"BTC":"#
        let cases: [(String, String, String)] = [
            ("unknown-member", head + #"{"type":"square_root","coefficient":0.05,"daily_volume":3e10,"spread":1}}}"#, "depth:underlyings.BTC.spread"),
            ("negative-depth", head + #"{"type":"square_root","coefficient":0.05,"daily_volume":-3e10}}}"#, "depth:underlyings.BTC.daily_volume"),
            ("non-monotone", head + #"{"type":"piecewise_linear","points":[[0,0],[2e6,0.002],[1e6,0.003]]}}}"#, "depth:underlyings.BTC.points[2][0]"),
            ("unknown-underlying", #"{"schema":"riskattest.depth/1","liquidation_fee":0.005,"underlyings":{"SOL":{"type":"square_root","coefficient":1,"daily_volume":1}}}"#,
             "depth:underlyings.SOL"),
            ("missing-model", #"{"schema":"riskattest.depth/1","liquidation_fee":0.005,"underlyings":{"BTC":{"type":"square_root","coefficient":1,"daily_volume":1e9}}}"#,
             "depth:underlyings"),
            ("syntax", #"{"schema":"riskattest.depth/1",}"#, "depth:@byte"),
        ]
        for (name, text, path) in cases {
            let file = dir.appendingPathComponent("\(name).json")
            try text.write(to: file, atomically: true, encoding: .utf8)
            let r = try EndToEnd.run(try EndToEnd.binary().path,
                                     ["cascade", "--portfolio", book, "--market", market, "--depth", file.path, "--shock", "BTC=-0.1"])
            XCTAssertEqual(r.status, 2, name)
            XCTAssertTrue(r.err.hasPrefix("error: " + path), "\(name): \(r.err)")
            XCTAssertEqual(r.out, "", name)
        }
        let mapCases: [(String, String, String)] = [
            ("map-unknown", #"{"schema":"riskattest.liquidation-map/1","underlyings":{"BTC":[{"price":90000,"long_liquidations":1,"short_liquidations":0,"when":"now"}]}}"#,
             "liquidation-map:underlyings.BTC[0].when"),
            ("map-negative", #"{"schema":"riskattest.liquidation-map/1","underlyings":{"BTC":[{"price":90000,"long_liquidations":-5,"short_liquidations":0}]}}"#,
             "liquidation-map:underlyings.BTC[0].long_liquidations"),
            ("map-underlying", #"{"schema":"riskattest.liquidation-map/1","underlyings":{"XRP":[]}}"#, "liquidation-map:underlyings.XRP"),
            // A control character and a bidi override in an unknown key are escaped, never printed raw.
            ("map-raw", "{\"schema\":\"riskattest.liquidation-map/1\",\"underlyings\":{\"B\\u001b[31m\\u202eTC\":[]}}", "liquidation-map:underlyings"),
        ]
        for (name, text, path) in mapCases {
            let file = dir.appendingPathComponent("\(name).json")
            try text.write(to: file, atomically: true, encoding: .utf8)
            let r = try EndToEnd.run(try EndToEnd.binary().path,
                                     ["cascade", "--portfolio", book, "--market", market, "--depth", depth, "--liquidation-map", file.path])
            XCTAssertEqual(r.status, 2, name)
            XCTAssertTrue(r.err.hasPrefix("error: " + path), "\(name): \(r.err)")
            XCTAssertFalse(r.err.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x202E }, "\(name): raw bytes reached the terminal")
        }
        let badShock = try cascade(["--shock", "BTC=-1.5"], portfolio: book)
        XCTAssertEqual(badShock.status, 2)
        XCTAssertTrue(badShock.err.contains("--shock"), badShock.err)
        let noFile = try cascade(["--liquidation-map", dir.appendingPathComponent("absent.json").path], portfolio: book)
        XCTAssertEqual(noFile.status, 2)
        XCTAssertTrue(noFile.err.contains("--liquidation-map"), noFile.err)
    }

    /// `metrics --chart` writes the SVG and leaves stdout byte for byte as without it.
    func testMetricsChart() throws {
        let dir = try EndToEnd.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let book = root.appendingPathComponent("Examples/portfolio.json").path
        let chart = dir.appendingPathComponent("metrics.svg").path
        let bin = try EndToEnd.binary().path
        let plain = try EndToEnd.run(bin, ["metrics", "--portfolio", book, "--market", market])
        let charted = try EndToEnd.run(bin, ["metrics", "--portfolio", book, "--market", market, "--chart", chart])
        XCTAssertEqual(charted.status, 0, charted.err)
        XCTAssertEqual(charted.out, plain.out)
        let svg = try String(contentsOfFile: chart, encoding: .utf8)
        XCTAssertTrue(svg.contains("Stress P&amp;L per scenario"))
        XCTAssertTrue(svg.contains("Liquidation ladder — BTC"))
        XCTAssertTrue(svg.contains("Liquidation ladder — ETH"))
        XCTAssertEqual(svg.components(separatedBy: "<rect").count - 1 >= 26, true)
        let unwritable = try EndToEnd.run(bin, ["metrics", "--portfolio", book, "--market", market, "--chart", "/nonexistent-dir/x.svg"])
        XCTAssertEqual(unwritable.status, 2)
        XCTAssertTrue(unwritable.err.contains("--chart"), unwritable.err)
    }
}
