import Foundation
import XCTest

/// The risk-desk output issue, against the built binary: units in table headers, desk units,
/// `metrics --csv`, `--matrix`, what-if trades, one JSON style with a schema tag for every
/// `--json`, and `demo`'s re-signed tamper (SPEC §6.9, §6.10, §7.1–§7.4).
final class OutputCLITests: XCTestCase {
    var dir: URL!
    static let market = EndToEnd.root.appendingPathComponent("Examples/market.json").path
    static let portfolio = EndToEnd.root.appendingPathComponent("Examples/portfolio.json").path

    override func setUpWithError() throws {
        _ = try EndToEnd.binary()
        dir = try EndToEnd.tempDir()
    }
    override func tearDownWithError() throws { if let dir { try? FileManager.default.removeItem(at: dir) } }

    func tmp(_ name: String) -> String { dir.appendingPathComponent(name).path }

    struct Run { var status: Int32; var out: String; var err: String; var stdout: [UInt8] }
    @discardableResult
    func expect(_ status: Int32, _ args: [String], file: StaticString = #filePath, line: UInt = #line) throws -> Run {
        let p = Process()
        p.executableURL = try EndToEnd.binary()
        p.arguments = args
        p.currentDirectoryURL = EndToEnd.root
        let r = try EndToEnd.runToEnd(p)
        let run = Run(status: r.status, out: String(decoding: r.stdout, as: UTF8.self), err: String(decoding: r.stderr, as: UTF8.self),
                      stdout: r.stdout)
        XCTAssertEqual(r.status, status, "riskattest \(args.joined(separator: " "))\nstdout: \(run.out.prefix(2000))\nstderr: \(run.err)",
                       file: file, line: line)
        return run
    }
    func metrics(_ extra: [String]) -> [String] { ["metrics", "--portfolio", Self.portfolio, "--market", Self.market] + extra }
    func object(_ r: Run) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout)) as? [String: Any])
    }

    /// Every key of every object is snake_case (lowercase, digits, underscores).
    func assertSnakeCase(_ v: Any, path: String = "$", file: StaticString = #filePath, line: UInt = #line) {
        if let o = v as? [String: Any] {
            for (k, x) in o {
                XCTAssertTrue(k.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" },
                              "\(path).\(k) is not snake_case", file: file, line: line)
                assertSnakeCase(x, path: path + "." + k, file: file, line: line)
            }
        } else if let a = v as? [Any] {
            for (i, x) in a.enumerated() { assertSnakeCase(x, path: "\(path)[\(i)]", file: file, line: line) }
        }
    }

    // MARK: units and desk units

    func testTableHeadersCarryUnits() throws {
        let text = try expect(0, metrics([])).out
        for header in ["qty (contracts)", "entry (USD)", "notional (USD)", "uPnL (USD)", "delta (BTC)", "gamma (BTC/USD)",
                       "vega (USD/vol)", "theta (USD/yr)", "value (USD)", "haircut (fraction)", "maintenance (USD)",
                       "P&L (USD)", "move (%)", "dist (%)", "delta (ETH)"] {
            XCTAssertTrue(text.contains(header), "missing header \(header)")
        }
        // Moves and haircuts as the snapshot wrote them.
        XCTAssertTrue(text.contains("BTC -16%, ETH -16%"), text)
        XCTAssertFalse(text.contains("0000000000"), "no binary artefacts such as -0.16000000000000003")
        let desk = try expect(0, metrics(["--desk-units"])).out
        for header in ["vega (USD/vol pt)", "theta (USD/day)", "Desk units:"] { XCTAssertTrue(desk.contains(header), header) }
    }

    func testDeskUnitsJSON() throws {
        let plain = try object(try expect(0, metrics(["--json"])))
        let desk = try object(try expect(0, metrics(["--json", "--desk-units"])))
        XCTAssertEqual(plain["schema"] as? String, "riskattest.metrics/1")
        XCTAssertNil(plain["units"])
        XCTAssertEqual(desk["schema"] as? String, "riskattest.metrics/2")
        let units = try XCTUnwrap(desk["units"] as? [String: String])
        XCTAssertEqual(units["convention"], "desk")
        XCTAssertEqual(units["theta"], "USD per day (1/365 year)")
        XCTAssertEqual(units["vega"], "USD per vol point (0.01 of IV)")
        XCTAssertEqual(units["rho"], "USD per basis point (0.0001 of rate)")
        let t0 = try XCTUnwrap(plain["totals"] as? [String: Any]), t1 = try XCTUnwrap(desk["totals"] as? [String: Any])
        // (JSONSerialization on Linux can misread a double's last digit: compared relatively.)
        func close(_ a: Any?, _ b: Double?, line: UInt = #line) {
            guard let x = a as? Double, let y = b else { return XCTFail("missing", line: line) }
            XCTAssertEqual(x, y, accuracy: abs(y) * 1e-14, line: line)
        }
        close(t1["theta"], (t0["theta"] as? Double).map { $0 / 365 })
        close(t1["vega"], (t0["vega"] as? Double).map { $0 / 100 })
        close(t1["rho"], (t0["rho"] as? Double).map { $0 / 10_000 })
        XCTAssertEqual(t1["equity"] as? Double, t0["equity"] as? Double)
        // Stress moves are the snapshot's decimals.
        let stress = try XCTUnwrap(plain["stress"] as? [[String: Any]])
        let moves = try XCTUnwrap(stress.first?["moves"] as? [[String: Any]])
        XCTAssertEqual(moves.first?["move"] as? Double, -0.16)
        XCTAssertFalse(try expect(0, metrics(["--json"])).out.contains("0.16000000000000003"))
    }

    // MARK: CSV

    func testCSVWritesEveryTableWithUnitsAndFullPrecision() throws {
        let out = tmp("csv/nested")
        try expect(0, metrics(["--csv", out, "--matrix", "--json"]))
        let names = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
        XCTAssertEqual(names, ["collateral.csv", "expiry_buckets.csv", "hedges.csv", "isolated_positions.csv", "liquidation.csv",
                               "margin.csv", "positions.csv", "stress.csv", "stress_matrix.csv", "underlyings.csv"])
        let positions = try String(contentsOfFile: out + "/positions.csv", encoding: .utf8)
        XCTAssertTrue(positions.hasSuffix("\r\n"))
        let lines = positions.components(separatedBy: "\r\n").dropLast()
        let header = lines.first ?? ""
        XCTAssertTrue(header.hasPrefix("instrument,underlying,type,margining,venue,account,quantity (contracts),"), header)
        XCTAssertTrue(header.contains("theta (USD per year)") && header.contains("value (USD)"), header)
        // Full precision: the CSV value parses to the same double as the JSON's.
        let json = try object(try expect(0, metrics(["--json"])))
        let jp = try XCTUnwrap(json["positions"] as? [[String: Any]])
        let cols = header.components(separatedBy: ",")
        let vi = try XCTUnwrap(cols.firstIndex(of: "value (USD)"))
        let first = lines[1].components(separatedBy: ",")
        let jv = try XCTUnwrap(jp[0]["value"] as? Double), cv = try XCTUnwrap(Double(first[vi]))
        XCTAssertEqual(cv, jv, accuracy: abs(jv) * 1e-14)   // JSONSerialization may misread the last digit
        XCTAssertTrue(json.isEmpty == false)
        XCTAssertEqual(lines.count - 1, jp.count)
        let matrix = try String(contentsOfFile: out + "/stress_matrix.csv", encoding: .utf8)
        XCTAssertTrue(matrix.hasPrefix("underlying,index_price (USD),move (fraction),vol_shift (IV, absolute),pnl (USD)\r\n") ||
                      matrix.hasPrefix("underlying,index_price (USD),move (fraction),\"vol_shift (IV, absolute)\",pnl (USD)\r\n"), matrix)
        XCTAssertEqual(matrix.components(separatedBy: "\r\n").count - 2, 2 * 9 * 5)
        // Desk units reach the CSV headers.
        try expect(0, metrics(["--csv", tmp("desk"), "--desk-units"]))
        XCTAssertTrue(try String(contentsOfFile: tmp("desk") + "/positions.csv", encoding: .utf8).contains("theta (USD per day)"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp("desk") + "/stress_matrix.csv"), "only with --matrix")
    }

    func testCSVEscapesInputTextAndGuardsFormulas() throws {
        let original = try String(contentsOfFile: Self.portfolio, encoding: .utf8)
        let hostile = original.replacingOccurrences(of: "\"venue\": \"binance\"", with: #""venue": "=HYPERLINK(\"http://x\",\"a,b\")""#)
        XCTAssertNotEqual(hostile, original)
        try Data(hostile.utf8).write(to: URL(fileURLWithPath: tmp("p.json")))
        try expect(0, ["metrics", "--portfolio", tmp("p.json"), "--market", Self.market, "--csv", tmp("h")])
        let text = try String(contentsOfFile: tmp("h") + "/positions.csv", encoding: .utf8)
        XCTAssertTrue(text.contains(#","'=HYPERLINK(""http://x"",""a,b"")","#), text)
        XCTAssertFalse(text.contains(",=HYPERLINK"), "never a bare formula cell")
        // Negative numbers stay numbers.
        XCTAssertTrue(text.contains(",-"), "negative numbers are written as they are")
        XCTAssertFalse(text.contains(",'-"), "and never quoted as text")
    }

    func testCSVDirectoryErrors() throws {
        try Data("x".utf8).write(to: URL(fileURLWithPath: tmp("afile")))
        let r = try expect(2, metrics(["--csv", tmp("afile")]))
        XCTAssertTrue(r.err.contains("--csv") && r.err.contains("not a directory"), r.err)
        let r2 = try expect(2, metrics(["--csv", tmp("afile") + "/sub"]))
        XCTAssertTrue(r2.err.contains("--csv"), r2.err)
        XCTAssertTrue(r2.out.isEmpty, "no report on stdout when the CSV cannot be written")
    }

    // MARK: matrix

    func testMatrixInTextAndJSONAndItsValidation() throws {
        let text = try expect(0, metrics(["--matrix"])).out
        XCTAssertTrue(text.contains("== Price x vol stress matrix"), text)
        XCTAssertTrue(text.contains("IV -20 (USD)") && text.contains("IV +20 (USD)") && text.contains("-20%") && text.contains("+15%"), text)
        let json = try object(try expect(0, metrics(["--json", "--matrix-moves=-10%,0,0.1", "--matrix-vols=0,0.05"])))
        let sm = try XCTUnwrap(json["stress_matrix"] as? [String: Any])
        XCTAssertEqual(sm["moves"] as? [Double], [-0.1, 0, 0.1])
        XCTAssertEqual(sm["vol_shifts"] as? [Double], [0, 0.05])
        let grids = try XCTUnwrap(sm["underlyings"] as? [[String: Any]])
        XCTAssertEqual(grids.map { $0["underlying"] as? String }, ["BTC", "ETH"])
        let pnl = try XCTUnwrap(grids[0]["pnl"] as? [[Double]])
        XCTAssertEqual(pnl[1][0], 0, "the 0/0 cell")
        for (args, option) in [(["--matrix-moves=-1"], "--matrix-moves"), (["--matrix-moves", "abc"], "--matrix-moves"),
                               (["--matrix-moves", "0,11"], "--matrix-moves"), (["--matrix-vols=-0.5"], "--matrix-vols"),
                               (["--matrix-vols", "0,0"], "--matrix-vols")] {
            let r = try expect(2, metrics(args))
            XCTAssertTrue(r.err.contains(option), "\(args): \(r.err)")
            XCTAssertFalse(r.err.contains("Fatal"), r.err)
        }
    }

    // MARK: what-if

    func testWhatIfFromAddAndTradesFile() throws {
        let text = try expect(0, metrics(["--add", "BTCUSDT-PERP=-1", "--add", "ETHUSDT-PERP=2@3600"])).out
        XCTAssertTrue(text.contains("== What-if (2 trades applied"), text)
        XCTAssertTrue(text.contains("total delta BTC (BTC)") && text.contains("equity (USD)"), text)
        let json = try object(try expect(0, metrics(["--json", "--add", "BTCUSDT-PERP=-1"])))
        let w = try XCTUnwrap(json["what_if"] as? [String: Any])
        let before = try XCTUnwrap(w["before"] as? [String: Any]), after = try XCTUnwrap(w["after"] as? [String: Any])
        let db = try XCTUnwrap((before["total_delta"] as? [[String: Any]])?.first?["total_delta"] as? Double)
        let da = try XCTUnwrap((after["total_delta"] as? [[String: Any]])?.first?["total_delta"] as? Double)
        // One linear perpetual of size 0.001? No: the example's BTCUSDT-PERP has its own size; the
        // drop is size·mark/index (SPEC §6.8), checked against the hedge arithmetic.
        let hedges = try XCTUnwrap(json["hedges"] as? [[String: Any]])
        XCTAssertNotNil(hedges.first)
        XCTAssertLessThan(da, db)
        XCTAssertEqual(json["schema"] as? String, "riskattest.metrics/1")
        XCTAssertNotNil(before["active_maintenance"]); XCTAssertNotNil(after["worst_scenario"])
        let trades = try XCTUnwrap(w["trades"] as? [[String: Any]])
        XCTAssertEqual(trades.first?["price_is_mark"] as? Bool, true)

        let file = tmp("t.json")
        try Data(#"{"schema": "riskattest.trades/1", "trades": [{"instrument": "BTCUSDT-PERP", "quantity": -1}]}"#.utf8)
            .write(to: URL(fileURLWithPath: file))
        let viaFile = try object(try expect(0, metrics(["--json", "--trades", file])))
        XCTAssertEqual((viaFile["what_if"] as? [String: Any])?["after"] as? NSDictionary, w["after"] as? NSDictionary,
                       "the same trade from a file gives the same figures")

        try Data(#"{"schema": "riskattest.trades/1", "trades": [{"instrument": "BTCUSDT-PERP", "quantity": -1, "side": "sell"}]}"#.utf8)
            .write(to: URL(fileURLWithPath: file))
        let bad = try expect(2, metrics(["--trades", file]))
        XCTAssertTrue(bad.err.contains("trades:trades[0]") && bad.err.contains("side"), bad.err)
        for add in ["NOPE=1", "BTCUSDT-PERP", "BTCUSDT-PERP=1@abc", "BTCUSDT-PERP=0"] {
            let r = try expect(2, metrics(["--add", add]))
            XCTAssertTrue(r.err.contains("--add[0]"), "\(add): \(r.err)")
        }
        try expect(2, metrics(["--trades", tmp("missing.json")]))
    }

    // MARK: one JSON style

    func testEveryJSONOutputIsSnakeCaseWithASchemaTag() throws {
        var docs: [(String, [String: Any])] = []
        docs.append(("riskattest.metrics/1", try object(try expect(0, metrics(["--json", "--matrix", "--add", "BTCUSDT-PERP=1"])))))
        docs.append(("riskattest.metrics/2", try object(try expect(0, metrics(["--json", "--desk-units"])))))
        let price = try object(try expect(0, ["price", "--model", "bsm", "--type", "call", "--strike", "100", "--spot", "100",
                                              "--expiry", "1", "--vol", "0.5", "--rate", "0.01", "--json"]))
        docs.append(("riskattest.price/1", price))
        let deskPrice = try object(try expect(0, ["price", "--model", "bsm", "--type", "call", "--strike", "100", "--spot", "100",
                                                  "--expiry", "1", "--vol", "0.5", "--rate", "0.01", "--json", "--desk-units"]))
        XCTAssertEqual(try XCTUnwrap(deskPrice["theta"] as? Double), try XCTUnwrap(price["theta"] as? Double) / 365, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(deskPrice["vega"] as? Double), try XCTUnwrap(price["vega"] as? Double) / 100, accuracy: 1e-12)
        XCTAssertEqual((deskPrice["units"] as? [String: String])?["rho"], "per basis point (0.0001)")
        docs.append(("riskattest.iv/1", try object(try expect(0, ["iv", "--type", "put", "--strike", "3459.76", "--expiry", "0.049315068493150684",
                                                                  "--rate", "0", "--price", "1055.883912962749", "--forward", "2414.13", "--json"]))))

        try expect(0, ["keygen", "--out", tmp("firm")])
        let att = tmp("s.att")
        try expect(0, ["prove", "--portfolio", Self.portfolio, "--market", Self.market, "--circuit", "Circuits/solvency.circuit",
                       "--key", tmp("firm.key"), "--created-at", "2026-11-24T08:00:00Z", "--out", att, "--quiet"])
        let verify = try object(try expect(0, ["verify", "--json", "--attestation", att, "--market", Self.market, "--circuit",
                                               "Circuits/solvency.circuit", "--trust", tmp("firm.pub"), "--at", "2026-11-24T09:00:00Z"]))
        docs.append(("riskattest.verify/1", verify))
        let report = try XCTUnwrap((verify["results"] as? [[String: Any]])?.first?["report"] as? [String: Any])
        XCTAssertEqual(report["valid"] as? Bool, true)
        XCTAssertNotNil(report["snapshot_id"]); XCTAssertNotNil(report["verify_milliseconds"])
        let inspect = try object(try expect(0, ["inspect", "--json", att]))
        docs.append(("riskattest.inspect/1", inspect))
        XCTAssertEqual((inspect["circuit"] as? [String: Any])?["name"] as? String, "solvency")
        XCTAssertEqual(inspect["format_version"] as? Int, 3)
        try expect(0, ["disclose", "--attestation", att, "--openings", att + ".openings", "--instrument", "BTCUSDT-PERP", "--out", tmp("d.json")])
        let check = try object(try expect(0, ["check-disclosure", "--json", "--attestation", att, "--disclosure", tmp("d.json"),
                                              "--market", Self.market]))
        docs.append(("riskattest.check-disclosure/1", check))
        XCTAssertEqual(check["valid"] as? Bool, true)
        let member = try XCTUnwrap((check["members"] as? [[String: Any]])?.first)
        XCTAssertEqual(member["member_id"] as? String, "BTCUSDT-PERP")
        // A disclosure of another attestation is rejected, in JSON too, exit 1.
        let other = tmp("o.att")
        try expect(0, ["prove", "--portfolio", Self.portfolio, "--market", Self.market, "--circuit", "Circuits/solvency.circuit",
                       "--key", tmp("firm.key"), "--created-at", "2026-11-24T08:00:01Z", "--out", other, "--quiet"])
        let rejected = try object(try expect(1, ["check-disclosure", "--json", "--attestation", other, "--disclosure", tmp("d.json")]))
        XCTAssertEqual(rejected["valid"] as? Bool, false)
        XCTAssertNotNil(rejected["reason"] as? String)
        docs.append(("riskattest.check-disclosure/1", rejected))

        for (schema, doc) in docs {
            XCTAssertEqual(doc["schema"] as? String, schema)
            assertSnakeCase(doc, path: schema)
        }
    }

    // MARK: demo

    /// The demo states what each circuit proved and rejects a re-signed attestation whose
    /// committed balances were swapped, naming the reason (the signature itself is valid).
    func testDemoExplainsAndRejectsAResignedTamper() throws {
        let r = try expect(0, ["demo", "--out", tmp("demo")])
        XCTAssertTrue(r.out.contains("What each attestation proves"), r.out)
        XCTAssertTrue(r.out.contains("cross-margin solvency: proved equity - k*mm >= 0, and "), r.out)
        XCTAssertTrue(r.out.contains("re-signed with the prover key"), r.out)
        XCTAssertTrue(r.out.contains("signature valid; verifier: rejected — "), r.out)
        XCTAssertFalse(r.out.contains("ACCEPTED"), r.out)
    }
}
