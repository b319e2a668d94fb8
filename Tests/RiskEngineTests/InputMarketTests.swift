import Foundation
import XCTest
@testable import RiskEngine

/// Shared helpers: the shipped examples and targeted edits of their text.
enum InputFixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static func text(_ name: String) -> String {
        (try? String(contentsOf: root.appendingPathComponent("Examples/\(name)"), encoding: .utf8)) ?? ""
    }
    static let market = text("market.json")
    static let portfolio = text("portfolio.json")

    /// `s` with the first occurrence of `old` replaced; fails the test if `old` is absent.
    static func edit(_ s: String, _ old: String, _ new: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        guard let r = s.range(of: old) else {
            XCTFail("fixture text not found: \(old)", file: file, line: line)
            return s
        }
        return s.replacingCharacters(in: r, with: new)
    }

    static func parsedMarket() throws -> MarketSnapshot {
        try MarketSnapshot.parse(Array(market.utf8))
    }
}

final class InputMarketTests: XCTestCase {
    private func expectError(_ text: String, path: String, _ fragments: String...,
                             file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try MarketSnapshot.parse(Array(text.utf8))
            XCTFail("accepted an invalid snapshot", file: file, line: line)
        } catch {
            XCTAssertEqual(error.path, path, "message: \(error.message)", file: file, line: line)
            for f in fragments {
                XCTAssertTrue(error.message.contains(f), "message \"\(error.message)\" lacks \"\(f)\"", file: file, line: line)
            }
        }
    }
    private func edit(_ old: String, _ new: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        InputFixtures.edit(InputFixtures.market, old, new, file: file, line: line)
    }

    // MARK: the shipped example

    func testExampleMarketParses() throws {
        let m = try InputFixtures.parsedMarket()
        XCTAssertEqual(m.snapshotID, "example-2026-11-24T0800Z")
        XCTAssertEqual(m.asOf.seconds, 1_795_507_200)   // 2026-11-24T08:00:00Z (Python calendar.timegm)
        XCTAssertEqual(m.quoteCurrency, "USD")
        XCTAssertEqual(m.maxPriceAgeSeconds, 300)
        XCTAssertEqual(m.underlyings.map(\.id), ["BTC", "ETH"])
        XCTAssertEqual(m.underlying("BTC")?.indexPrice, 97_012.35)
        XCTAssertEqual(m.instruments.count, 23)
        XCTAssertEqual(m.instruments.first?.id, "BTCUSDT-PERP")
        XCTAssertEqual(m.instrumentIndex("ETHUSDT-PERP"), 13)
        XCTAssertNil(m.instrumentIndex("DOGE-PERP"))
        XCTAssertEqual(m.collateral.map(\.id), ["USDC", "BTC", "ETH"])
        XCTAssertEqual(m.collateralIndex("ETH"), 2)
        XCTAssertEqual(m.collateral[1].underlying, "BTC")
        XCTAssertNil(m.collateral[0].underlying)

        guard let call = m.instrument("BTC-25DEC26-110000-C"), case .option(let spec) = call.kind else {
            return XCTFail("option missing")
        }
        XCTAssertEqual(spec.kind, .call)
        XCTAssertEqual(spec.strike, 110_000)
        XCTAssertEqual(spec.expiry.seconds, 1_798_185_600)   // 2026-12-25T08:00:00Z
        XCTAssertEqual(spec.markIV, 0.55)
        XCTAssertEqual(spec.settlement, .cash)
        XCTAssertEqual(call.margining, .linear)
        XCTAssertEqual(m.daysToExpiry(spec.expiry), 31)

        guard let inv = m.instrument("BTCUSD-PERP"), case .perpetual(let fr, let hours) = inv.kind else {
            return XCTFail("perpetual missing")
        }
        XCTAssertEqual(inv.margining, .inverse)
        XCTAssertEqual(inv.contractSize, 10)
        XCTAssertEqual(fr, 0.00008)
        XCTAssertEqual(hours, 8)

        // Every dated instrument expires after as_of.
        for i in m.instruments { if let e = i.expiry { XCTAssertGreaterThan(e, m.asOf) } }

        // Hand-worked recurrence cum_i = cum_{i-1} + max_{i-1}·(mmr_i − mmr_{i-1}) over the brackets
        // 300k@0.4%, 800k@0.5%, 3M@0.65%, 12M@1%, 70M@2%, 100M@2.5%, 230M@5%, ∞@10%:
        // 300k·0.1% = 300; +800k·0.15% = 1,500; +3M·0.35% = 12,000; +12M·1% = 132,000;
        // +70M·0.5% = 482,000; +100M·2.5% = 2,982,000; +230M·5% = 14,482,000.
        let btc = try XCTUnwrap(m.margin.tierTables["BTC-LINEAR"])
        XCTAssertEqual(btc.map(\.cumulativeDeduction), [0, 300, 1_500, 12_000, 132_000, 482_000, 2_982_000, 14_482_000])
        XCTAssertNil(btc.last?.maxNotional)
        XCTAssertEqual(m.margin.portfolioMaintenanceFraction, 0.5)
        XCTAssertEqual(m.margin.optionMargin.shortMaintenanceRate, 0.075)

        // Default grid: 9 moves × {vol up, vol down} + 8 weighted tails.
        XCTAssertEqual(m.scenarios.count, 26)
        XCTAssertEqual(m.scenarios[0].priceMoves, ["BTC": -0.16, "ETH": -0.16])
        XCTAssertEqual(m.scenarios[0].volShock, .termStructure(0.35))
        XCTAssertEqual(m.scenarios[1].volShock, .termStructure(-0.25))
        let tails = m.scenarios.filter { $0.weight < 1 }
        XCTAssertEqual(tails.compactMap { $0.priceMoves["BTC"] }, [-0.66, -0.33, 0.5, 1, 2, 3, 4, 5])
    }

    /// The instruments' option marks are Black–Scholes prices at their mark IV (generated
    /// independently with Python's math.erfc); spot-check put–call parity on one strike pair is not
    /// possible (no pair), so check intrinsic bounds instead: every option mark lies between its
    /// discounted intrinsic value and the spot (call) or discounted strike (put).
    func testExampleOptionMarksWithinNoArbitrageBounds() throws {
        let m = try InputFixtures.parsedMarket()
        for inst in m.instruments {
            guard case .option(let o) = inst.kind, let u = m.underlying(inst.underlying) else { continue }
            let t = Double(o.expiry.seconds - m.asOf.seconds) / (365 * 86_400)
            let df = 1 - u.rate * t   // lower bound of exp(-rT) is not needed: intrinsic uses a loose bound
            switch o.kind {
            case .call:
                XCTAssertGreaterThan(inst.markPrice, max(0, u.indexPrice - o.strike) * 0.99, inst.id)
                XCTAssertLessThan(inst.markPrice, u.indexPrice, inst.id)
            case .put:
                XCTAssertGreaterThan(inst.markPrice, max(0, o.strike * df - u.indexPrice), inst.id)
                XCTAssertLessThan(inst.markPrice, o.strike, inst.id)
            }
        }
    }

    // MARK: one test per malformed-input class

    func testSchemaTagAndUnknownFields() {
        expectError(edit(#""schema": "riskattest.market/1""#, #""schema": "riskattest.market/2""#),
                    path: "schema", "expected \"riskattest.market/1\"")
        expectError(edit(#""quote_currency": "USD","#, #""quote_currency": "USD", "colour": "blue","#),
                    path: "colour", "unknown field \"colour\"")
        expectError(edit(#""strike": 95000,"#, #""strik": 95000,"#), path: "instruments[4].strik", "unknown field")
        // A field that exists for another instrument type is unknown here.
        expectError(edit(#""funding_rate": 0.0001, "#, #""funding_rate": 0.0001, "strike": 1, "#),
                    path: "instruments[0].strike", "unknown field \"strike\" for a perpetual")
        expectError(edit(#""id": "BTC", "index_price""#, #""index_price""#),
                    path: "underlyings[0].id", "missing required field \"id\"")
    }

    func testUnknownReferences() {
        expectError(edit(#""id": "BTCUSDT-PERP", "underlying": "BTC""#, #""id": "BTCUSDT-PERP", "underlying": "SOL""#),
                    path: "instruments[0].underlying", "unknown underlying \"SOL\"")
        expectError(edit(#""tier_table": "BTC-LINEAR""#, #""tier_table": "BTC-LINEAR-X""#),
                    path: "instruments[0].tier_table", "unknown tier table \"BTC-LINEAR-X\"")
        expectError(edit(#""price_moves": {"BTC": -0.16, "ETH": -0.16}"#, #""price_moves": {"BTC": -0.16, "DOGE": -0.16}"#),
                    path: "scenarios[0].price_moves.DOGE", "unknown underlying \"DOGE\"")
        expectError(edit(#""underlying": "ETH"}"#, #""underlying": "XRP"}"#),
                    path: "collateral[2].underlying", "unknown underlying")
        expectError(edit(#""type": "future""#, #""type": "swap""#), path: "instruments[2].type", "not one of")
    }

    func testExpiredInstruments() {
        expectError(edit(#""expiry": "2026-11-27T08:00:00Z""#, #""expiry": "2026-11-24T08:00:00Z""#),
                    path: "instruments[4].expiry", "expired", "BTC-27NOV26-95000-P")
        expectError(edit(#""expiry": "2026-12-25T08:00:00Z""#, #""expiry": "2026-11-01T08:00:00Z""#),
                    path: "instruments[2].expiry", "future BTC-25DEC26 expired")
        expectError(edit(#""expiry": "2026-12-25T08:00:00Z""#, #""expiry": "2026-12-25""#),
                    path: "instruments[2].expiry", "not a valid UTC timestamp")
    }

    func testNonPositivePricesStrikesSizesAndVols() {
        expectError(edit(#""mark_price": 97031.8"#, #""mark_price": -97031.8"#),
                    path: "instruments[0].mark_price", "out of range (0, 1000000000000]", "positive")
        expectError(edit(#""index_price": 97012.35"#, #""index_price": 0"#), path: "underlyings[0].index_price", "out of range")
        expectError(edit(#""strike": 95000"#, #""strike": 0"#), path: "instruments[4].strike", "strikes must be positive")
        expectError(edit(#""contract_size": 10"#, #""contract_size": 0"#), path: "instruments[1].contract_size", "out of range")
        expectError(edit(#""mark_iv": 0.52"#, #""mark_iv": -0.52"#), path: "instruments[4].mark_iv", "implied vol")
        expectError(edit(#""mark_iv": 0.52"#, #""mark_iv": 52"#), path: "instruments[4].mark_iv", "out of range (0, 10]")
        expectError(edit(#""price": 1,"#, #""price": -1,"#), path: "collateral[0].price", "positive")
    }

    func testHaircutAndWeightRanges() {
        expectError(edit(#""haircut": 0.03"#, #""haircut": 1"#), path: "collateral[1].haircut", "[0, 1)")
        expectError(edit(#""haircut": 0.03"#, #""haircut": -0.01"#), path: "collateral[1].haircut", "[0, 1)")
        expectError(edit(#""weight": 0.4"#, #""weight": 1.5"#), path: "scenarios[18].weight", "(0, 1]")
        expectError(edit(#""weight": 0.4"#, #""weight": 0"#), path: "scenarios[18].weight", "(0, 1]")
    }

    func testDuplicateIDs() {
        expectError(edit(#""id": "BTCUSD-PERP""#, #""id": "BTCUSDT-PERP""#), path: "instruments[1].id",
                    "duplicate instrument id \"BTCUSDT-PERP\"")
        expectError(edit(#""id": "ETH", "index_price""#, #""id": "BTC", "index_price""#), path: "underlyings[1].id",
                    "duplicate underlying id")
        expectError(edit(#""id": "ETH", "price""#, #""id": "BTC", "price""#), path: "collateral[2].id", "duplicate collateral")
        expectError(edit(#""name": "-16% vol down""#, #""name": "-16% vol up""#), path: "scenarios[1].name",
                    "duplicate scenario name")
        expectError(edit(#""name": "ETH-LINEAR""#, #""name": "BTC-LINEAR""#), path: "margin.tier_tables[1].name",
                    "duplicate tier table")
    }

    func testStaleAndFuturePrices() {
        expectError(edit(#""price_time": "2026-11-24T07:59:45Z""#, #""price_time": "2026-11-24T07:54:59Z""#),
                    path: "underlyings[0].price_time", "stale price", "301 s", "max_price_age_seconds = 300")
        // Exactly max age old is still fresh.
        XCTAssertNoThrow(try MarketSnapshot.parse(Array(edit(#""price_time": "2026-11-24T07:59:45Z""#,
                                                              #""price_time": "2026-11-24T07:55:00Z""#).utf8)))
        expectError(edit(#""price_time": "2026-11-24T07:59:45Z""#, #""price_time": "2026-11-24T08:00:01Z""#),
                    path: "underlyings[0].price_time", "after the snapshot time")
        expectError(edit(#""haircut": 0}"#, #""haircut": 0, "price_time": "2026-11-23T08:00:00Z"}"#),
                    path: "collateral[0].price_time", "stale price")
    }

    func testNaNAndOutOfRangeNumbers() {
        expectError(edit(#""mark_price": 97031.8"#, #""mark_price": NaN"#), path: "@byte \(offset(of: "NaN", in: edit(#""mark_price": 97031.8"#, #""mark_price": NaN"#)))",
                    "NaN and Infinity are not JSON numbers")
        expectError(edit(#""mark_price": 97031.8"#, #""mark_price": "NaN""#), path: "instruments[0].mark_price",
                    "NaN and infinities are not allowed")
        expectError(edit(#""mark_price": 97031.8"#, #""mark_price": 1e400"#), path: "instruments[0].mark_price", "out of range")
        expectError(edit(#""rate": 0.04"#, #""rate": 4"#), path: "underlyings[0].rate", "out of range [-1, 1]")
        expectError(edit(#""max_price_age_seconds": 300"#, #""max_price_age_seconds": 300.5"#),
                    path: "max_price_age_seconds", "not an integer")
        expectError(edit(#""max_price_age_seconds": 300"#, #""max_price_age_seconds": 0"#),
                    path: "max_price_age_seconds", "out of range [1, 604800]")
        expectError(edit(#""funding_rate": 0.0001"#, #""funding_rate": 0.5"#), path: "instruments[0].funding_rate", "out of range")
        expectError(edit(#""mark_price": 97031.8"#, #""mark_price": "97031.8""#), path: "instruments[0].mark_price",
                    "expected a number, found a string")
    }

    private func offset(of needle: String, in text: String) -> Int {
        guard let r = text.range(of: needle) else { return -1 }
        return text.utf8.distance(from: text.startIndex, to: r.lowerBound)
    }

    func testScenarioMovesAndVolShocks() {
        expectError(edit(#""price_moves": {"BTC": -0.16"#, #""price_moves": {"BTC": -1"#),
                    path: "scenarios[0].price_moves.BTC", "must be > -1")
        expectError(edit(#""price_moves": {"BTC": -0.16"#, #""price_moves": {"BTC": -1.5"#),
                    path: "scenarios[0].price_moves.BTC", "out of range (-1, 10]")
        expectError(edit(#""shock": -0.25"#, #""shock": -0.5"#), path: "scenarios[1].vol_shock.shock", "[-0.35, 10]")
        // An absolute shift that would push the lowest mark IV (0.50) to zero.
        expectError(edit(#""vol_shock": {"type": "term_structure", "shock": -0.25}"#,
                         #""vol_shock": {"type": "absolute", "shift": -0.5}"#),
                    path: "scenarios[1].vol_shock.shift", "non-positive", "BTC-27NOV26-100000-C")
        expectError(edit(#""vol_shock": {"type": "term_structure", "shock": -0.25}"#,
                         #""vol_shock": {"type": "term_structure", "shift": -0.25}"#),
                    path: "scenarios[1].vol_shock.shift", "unknown field")
        expectError(edit(#""vol_shock": {"type": "term_structure""#, #""vol_shock": {"type": "relative""#),
                    path: "scenarios[0].vol_shock.type", "not one of")
    }

    func testAbsoluteAndNoVolShockDecode() throws {
        var t = edit(#""vol_shock": {"type": "term_structure", "shock": -0.25}"#, #""vol_shock": {"type": "absolute", "shift": -0.1}"#)
        t = InputFixtures.edit(t, #""vol_shock": {"type": "term_structure", "shock": 0.35}, "weight": 1"#, #""weight": 1"#)
        let m = try MarketSnapshot.parse(Array(t.utf8))
        XCTAssertEqual(m.scenarios[0].volShock, .none)
        XCTAssertEqual(m.scenarios[1].volShock, .absolute(-0.1))
    }

    func testTierTables() throws {
        expectError(edit(#""maintenance_rate": 0.005, "initial_rate": 0.01, "cumulative_deduction": 300"#,
                         #""maintenance_rate": 0.005, "initial_rate": 0.01, "cumulative_deduction": 250"#),
                    path: "margin.tier_tables[0].tiers[1].cumulative_deduction", "continuity formula", "= 300")
        expectError(edit(#""max_notional": 800000, "maintenance_rate": 0.005"#, #""max_notional": 300000, "maintenance_rate": 0.005"#),
                    path: "margin.tier_tables[0].tiers[1].max_notional", "strictly increasing")
        expectError(edit(#""max_notional": 800000, "maintenance_rate": 0.005, "initial_rate": 0.01, "cumulative_deduction": 300"#,
                         #""max_notional": 800000, "maintenance_rate": 0.004, "initial_rate": 0.01, "cumulative_deduction": 0"#),
                    path: "margin.tier_tables[0].tiers[1].maintenance_rate", "strictly increasing")
        expectError(edit(#""max_notional": null, "maintenance_rate": 0.1"#, #""max_notional": 1e9, "maintenance_rate": 0.1"#),
                    path: "margin.tier_tables[0].tiers[7].max_notional", "last tier must be unbounded")
        expectError(edit(#""max_notional": 300000, "maintenance_rate": 0.004, "initial_rate": 0.008"#,
                         #""max_notional": 300000, "maintenance_rate": 0.004, "initial_rate": 0.002"#),
                    path: "margin.tier_tables[0].tiers[0].initial_rate", "below the maintenance rate")
        // Omitted deductions are computed: Binance's value for tier 3 is 1,500.
        let t = edit(#""initial_rate": 0.0134, "cumulative_deduction": 1500}"#, #""initial_rate": 0.0134}"#)
        let m = try MarketSnapshot.parse(Array(t.utf8))
        XCTAssertEqual(m.margin.tierTables["BTC-LINEAR"]?[2].cumulativeDeduction, 1_500)
    }

    /// Replaces the whole value of the top-level member `key` (whose value starts at `key` and ends
    /// before the next top-level member `nextKey`).
    private func replaceMember(_ key: String, upTo nextKey: String?, with value: String) -> String {
        let m = InputFixtures.market
        guard let start = m.range(of: "\"\(key)\": ") else { XCTFail(key); return m }
        let tail: String
        if let nextKey, let end = m.range(of: "\"\(nextKey)\": ") {
            tail = ",\n  " + String(m[end.lowerBound...])
        } else {
            tail = "\n}\n"
        }
        return String(m[..<start.upperBound]) + value + tail
    }

    func testSizeLimits() {
        let instruments = "[" + Array(repeating: "{}", count: MarketLimits.maxInstruments + 1).joined(separator: ",") + "]"
        expectError(replaceMember("instruments", upTo: "collateral", with: instruments),
                    path: "instruments", "4097 entries, more than the limit of 4096")
        let scenarios = "[" + Array(repeating: "{}", count: MarketLimits.maxScenarios + 1).joined(separator: ",") + "]"
        expectError(replaceMember("scenarios", upTo: nil, with: scenarios),
                    path: "scenarios", "257 entries, more than the limit of 256")
        expectError(replaceMember("scenarios", upTo: nil, with: "[]"), path: "scenarios", "at least 1 entry")
        expectError(replaceMember("instruments", upTo: "collateral", with: #"{"a": 1}"#),
                    path: "instruments", "expected an array, found an object")
    }

    func testIdentifiersAndTypes() {
        expectError(edit(#""id": "BTCUSDT-PERP""#, #""id": "BTC USDT""#), path: "instruments[0].id", "not a valid identifier")
        expectError("[]", path: "$", "expected an object, found an array")
        expectError(edit(#""margining": "linear""#, #""margining": "quanto""#), path: "instruments[0].margining",
                    "\"quanto\" is not one of \"linear\", \"inverse\"")
    }

    func testErrorDescriptionNamesPath() {
        let e = InputError(path: "instruments[3].strike", message: "must be positive")
        XCTAssertEqual(e.description, "instruments[3].strike: must be positive")
    }
}

final class InputModelTests: XCTestCase {
    func testTimestampCodableUsesISOText() throws {
        let t = Timestamp(seconds: 1_798_185_600)
        let data = try JSONEncoder().encode([t])
        XCTAssertEqual(String(decoding: data, as: UTF8.self), #"["2026-12-25T08:00:00Z"]"#)
        XCTAssertEqual(try JSONDecoder().decode([Timestamp].self, from: data), [t])
        XCTAssertThrowsError(try JSONDecoder().decode([Timestamp].self, from: Data(#"["2026-12-25"]"#.utf8)))
        // Times before 1970 and extreme values format without trapping.
        XCTAssertEqual(Timestamp(seconds: -1).iso8601, "1969-12-31T23:59:59Z")
        XCTAssertFalse(Timestamp(seconds: .min).iso8601.isEmpty)
        XCTAssertFalse(Timestamp(seconds: .max).iso8601.isEmpty)
    }

    func testLookupsFollowMutation() throws {
        var m = try InputFixtures.parsedMarket()
        let removed = m.instruments.removeFirst()
        XCTAssertNil(m.instrumentIndex(removed.id))
        XCTAssertEqual(m.instrumentIndex("BTCUSD-PERP"), 0)
        m.collateral.reverse()
        XCTAssertEqual(m.collateralIndex("USDC"), 2)
        m.underlyings.append(Underlying(id: "SOL", indexPrice: 240, priceTime: m.asOf, rate: 0.04))
        XCTAssertEqual(m.underlying("SOL")?.indexPrice, 240)
    }
}
