import XCTest
@testable import RiskEngine

/// Issue 14 ("the risk desk's tool"), venue-faithful inputs and margins: scenario presets pinned
/// against the venues' published tables, Paradex's minimum delta requirement, option forwards
/// from listed futures, isolated margin as an input, early warning, coin-marked inverse options.
/// Expected values are worked by hand from the venues' documents, not from the engine.
final class DeskSemanticsTests: XCTestCase {
    typealias F = MetricsFixture

    // MARK: scenario presets

    /// Paradex's table as published (https://docs.paradex.trade/risk/portfolio-margin, "Full
    /// scenario table"), copied here row by row: spot shock %, vol shock %, weight %.
    static let paradexPublished: [(String, String, String)] = [
        ("+16", "+40", "100"), ("+12", "+40", "100"), ("+12", "-22", "100"), ("+8", "+40", "100"), ("+8", "-22", "100"),
        ("+4", "+40", "100"), ("+4", "-22", "100"), ("0", "+40", "100"), ("0", "-22", "100"), ("-4", "+40", "100"),
        ("-4", "-22", "100"), ("-8", "+40", "100"), ("-8", "-22", "100"), ("-12", "+40", "100"), ("-12", "-22", "100"),
        ("-16", "+40", "100"), ("-66", "+40", "24"), ("-33", "+40", "48"), ("+50", "+40", "32"), ("+100", "+40", "16"),
        ("+200", "+40", "8"), ("+300", "+40", "5.33"), ("+400", "+40", "4"), ("+500", "+40", "3.20"),
    ]

    /// A percentage text as the fraction the snapshot would write ("5.33" → 0.0533), via exact
    /// decimal text, not by dividing doubles.
    static func fraction(_ percent: String) -> Double {
        var t = percent.hasPrefix("+") ? String(percent.dropFirst()) : percent
        let negative = t.hasPrefix("-")
        if negative { t.removeFirst() }
        let parts = t.split(separator: ".", maxSplits: 1).map(String.init)
        let intPart = parts[0], frac = parts.count > 1 ? parts[1] : ""
        // percent/100: move the decimal point two places left.
        let digits = intPart + frac
        let pointAt = intPart.count - 2
        let text: String
        if pointAt > 0 { text = String(digits.prefix(pointAt)) + "." + digits.dropFirst(pointAt) }
        else { text = "0." + String(repeating: "0", count: -pointAt) + digits }
        return (negative ? -1 : 1) * Double(text)!
    }

    func testParadexPresetReproducesThePublishedTable() throws {
        let rows = ScenarioPreset.paradex.scenarios(underlyings: ["BTC", "ETH"])
        XCTAssertEqual(rows.count, 24)
        for (k, (move, vol, weight)) in Self.paradexPublished.enumerated() {
            let s = rows[k]
            XCTAssertEqual(s.priceMoves, ["BTC": Self.fraction(move), "ETH": Self.fraction(move)], "row \(k + 1)")
            XCTAssertEqual(s.volShock, .termStructure(Self.fraction(vol)), "row \(k + 1)")
            XCTAssertEqual(s.weight, Self.fraction(weight), "row \(k + 1)")
            XCTAssertTrue(s.name.hasPrefix(String(format: "paradex-%02d ", k + 1)), s.name)
        }
    }

    func testDeribitPresetsReproduceThePublishedParameters() throws {
        // price_range 0.16 in 9 evenly spaced buckets including 0; vol up 0.5, same, down 0.25.
        let standard = ScenarioPreset.deribitStandard.scenarios(underlyings: ["BTC"])
        XCTAssertEqual(standard.count, 27)
        for b in 0..<9 {
            let move = Self.fraction(String(-16 + 4 * b))
            XCTAssertEqual(standard[3 * b].priceMoves["BTC"], move)
            XCTAssertEqual(standard[3 * b].volShock, .termStructure(0.5))
            XCTAssertEqual(standard[3 * b + 1].volShock, VolShock.none)
            XCTAssertEqual(standard[3 * b + 2].volShock, .termStructure(-0.25))
            XCTAssertTrue(standard[(3 * b)..<(3 * b + 3)].allSatisfy { $0.weight == 1 && $0.priceMoves["BTC"] == move })
        }
        let full = ScenarioPreset.deribit.scenarios(underlyings: ["BTC"])
        XCTAssertEqual(full.count, 35)
        XCTAssertEqual(Array(full.prefix(27)).map(\.priceMoves), standard.map(\.priceMoves))
        let extended = ["-66", "-33", "+50", "+100", "+200", "+300", "+400", "+500"].map(Self.fraction)
        XCTAssertEqual(full.suffix(8).map { $0.priceMoves["BTC"]! }, extended)
        XCTAssertTrue(full.suffix(8).allSatisfy { $0.volShock == .termStructure(0.5) && $0.weight == 1 })
    }

    /// The example snapshot with its `scenarios` member replaced.
    func exampleMarket(scenarios: String, margin: String? = nil) throws -> [UInt8] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Examples/market.json")
        var text = try String(contentsOf: url, encoding: .utf8)
        guard let r = text.range(of: "\"scenarios\"") else { throw XCTSkip("no scenarios member") }
        // The example ends with the scenarios array: replace from its key to the closing brace.
        text = String(text[..<r.lowerBound]) + "\"scenarios\": " + scenarios + "\n}\n"
        if let margin {
            text = text.replacingOccurrences(of: "\"portfolio_maintenance_fraction\": 0.5,",
                                             with: "\"portfolio_maintenance_fraction\": 0.5, \(margin),")
        }
        return Array(text.utf8)
    }

    func testPresetsExpandInTheSnapshot() throws {
        let m = try MarketSnapshot.parse(exampleMarket(scenarios:
            #"[{"name": "flat", "price_moves": {}, "weight": 1}, {"preset": "paradex"}, {"preset": "deribit"}]"#))
        XCTAssertEqual(m.scenarios.count, 1 + 24 + 35)
        XCTAssertEqual(m.scenarios[1].name, "paradex-01 +16% vol +40%")
        XCTAssertEqual(m.scenarios[25].priceMoves, ["BTC": -0.16, "ETH": -0.16])
        // The expanded grid prices like the same rows written out.
        let table = try UnitRiskTable(market: m)
        XCTAssertEqual(table.instruments[0].scenarioValues.count, 60)

        for (scenarios, fragment) in [
            (#"[{"preset": "cme"}]"#, "unknown scenario preset"),
            (#"[{"preset": "paradex", "weight": 1}]"#, "unknown field \"weight\""),
            (#"[{"preset": "paradex"}, {"preset": "paradex"}]"#, "duplicate scenario name"),
            ("[" + Array(repeating: #"{"preset": "deribit"}"#, count: 1).joined() + "," +
             (0..<230).map { #"{"name": "s\#($0)", "price_moves": {}, "weight": 1}"# }.joined(separator: ",") + "]",
             "more than 256 scenarios"),
        ] {
            XCTAssertThrowsError(try MarketSnapshot.parse(exampleMarket(scenarios: scenarios))) { e in
                XCTAssertTrue("\(e)".contains(fragment), "\(e)")
            }
        }
    }

    // MARK: minimum delta requirement

    /// Paradex's worked example in exact numbers: long 1 (delta +1) and short 0.5 (delta −0.5) of
    /// two linear contracts marked at the index, spot 70 000: net 0.5, gross 1.5, hedged
    /// (1.5 − 0.5)/2 = 0.5, D = (0.02·0.5 + 0.01·0.5)·70 000 = 1 050 — above a flat grid's 0.
    func testMinimumDeltaRequirement() throws {
        var m = F.market(underlyings: [("BTC", 70_000, 0)],
                         instruments: [F.perp("P", "BTC", size: 1, mark: 70_000), F.future("FUT", "BTC", size: 1, mark: 70_000, days: 60)],
                         scenarios: [Scenario(name: "flat", priceMoves: [:], volShock: .none, weight: 1)])
        m.margin.portfolioMinDelta = MinDeltaRates(netRate: 0.02, hedgedRate: 0.01)
        let book = Portfolio(positions: [F.pos("P", 1, 70_000), F.pos("FUT", -0.5, 70_000)],
                             collateral: [F.bal("USD", 10_000)], marginMode: .portfolio)
        let r = try RiskEngine.analyze(portfolio: book, market: m)
        let md = try XCTUnwrap(r.margin.portfolioMinDelta)
        XCTAssertEqual(md.underlyings[0].netDelta, 0.5)
        XCTAssertEqual(md.underlyings[0].grossDelta, 1.5)
        XCTAssertEqual(md.underlyings[0].hedgedDelta, 0.5)
        XCTAssertEqual(md.total, 1_050, accuracy: 1e-9)
        XCTAssertEqual(r.margin.portfolioScenarioRequirement, 0)
        XCTAssertEqual(r.margin.portfolio.initial, md.total)
        XCTAssertEqual(r.margin.portfolio.maintenance, 525, accuracy: 1e-9)

        // Liquidation: equity(r) = 10 000·0.98 + 0.5·70 000·(r − 1); MM(r) = 0.5·D·r with
        // D = 1 050 (the deltas of linear contracts do not move). Root: 9 800 + 35 000·(r − 1)
        // = 525·r → r = 25 200/34 475.
        let liq = try XCTUnwrap(r.liquidation.first)
        let expected = 70_000 * (25_200.0 / 34_475)
        XCTAssertEqual(try XCTUnwrap(liq.below), expected, accuracy: expected * 1e-12)
        XCTAssertNil(liq.above)

        // Without the rates the requirement is the grid's alone.
        m.margin.portfolioMinDelta = nil
        let plain = try RiskEngine.analyze(portfolio: book, market: m)
        XCTAssertNil(plain.margin.portfolioMinDelta)
        XCTAssertEqual(plain.margin.portfolio.initial, 0)
    }

    /// With options, the minimum delta re-taken at the moved index in the liquidation search:
    /// screened and unscreened searches agree bit for bit, and at the reported price g is ~0 when
    /// recomputed from a snapshot actually moved there.
    func testMinimumDeltaInTheLiquidationSearchWithOptions() throws {
        var m = F.market(underlyings: [("BTC", 100_000, 0.03)],
                         instruments: [F.perp("P", "BTC", size: 1, mark: 100_000),
                                       F.option("C", "BTC", .call, strike: 110_000, days: 20, iv: 0.6)],
                         scenarios: F.grid(["BTC"]))
        m.margin.portfolioMinDelta = MinDeltaRates(netRate: 0.02, hedgedRate: 0.01)
        let book = Portfolio(positions: [F.pos("P", 3, 100_000), F.pos("C", -10, 2_000)],
                             collateral: [F.bal("USD", 60_000)], marginMode: .portfolio)
        var screened = AnalysisOptions(); screened.scenarioScreening = true
        var full = AnalysisOptions(); full.scenarioScreening = false
        let a = try RiskEngine.analyze(portfolio: book, market: m, options: screened)
        let b = try RiskEngine.analyze(portfolio: book, market: m, options: full)
        XCTAssertEqual(a.liquidation, b.liquidation)
        XCTAssertGreaterThan(try XCTUnwrap(a.margin.portfolioMinDelta).total, 0)
        for price in [a.liquidation[0].below, a.liquidation[0].above].compactMap({ $0 }) {
            let moved = F.moved(m, underlying: "BTC", to: price)
            let at = try RiskEngine.analyze(portfolio: book, market: moved, options: AnalysisOptions(liquidationPrices: false))
            let g = at.margin.equity - at.margin.portfolio.maintenance
            XCTAssertLessThan(abs(g), 1e-6 * at.margin.equity, "g at \(price) = \(g)")
        }
    }

    // MARK: option forwards from listed futures

    func testOptionForwardComesFromTheListedFutureOfItsExpiry() throws {
        // A future of the option's expiry marked 2% over the index: F0 = its mark, not S·e^{rT}.
        let m = F.market(underlyings: [("BTC", 100_000, 0.05)],
                         instruments: [F.future("F30", "BTC", linear: false, size: 10, mark: 102_000, days: 30),
                                       F.option("C30", "BTC", .call, strike: 105_000, days: 30, iv: 0.5, mark: 3_000),
                                       F.option("C31", "BTC", .call, strike: 105_000, days: 31, iv: 0.5, mark: 3_000)])
        let t = try UnitRiskTable(market: m)
        let years = 30.0 / 365
        let listed = try OptionPricer.black76(kind: .call, forward: 102_000, strike: 105_000, expiry: years, vol: 0.5, rate: 0.05)
        XCTAssertEqual(t.instruments[1].forward, 102_000)
        XCTAssertEqual(t.instruments[1].forwardFuture, "F30")
        XCTAssertEqual(t.instruments[1].delta, listed.delta * (102_000.0 / 100_000), accuracy: 1e-15)
        XCTAssertEqual(t.instruments[1].theta, listed.theta)   // the forward is an observed price: no carry term
        XCTAssertEqual(t.instruments[1].rho, listed.rho)
        XCTAssertEqual(t.instruments[1].value, 3_000)          // still valued at its mark
        // No future expires with the 31-day option: S·e^{rT}.
        let years31 = 31.0 / 365
        let f31 = 100_000 * DetMath.exp(0.05 * years31)
        XCTAssertNil(t.instruments[2].forwardFuture)
        XCTAssertEqual(t.instruments[2].forward, f31)
        let carry = try OptionPricer.black76(kind: .call, forward: f31, strike: 105_000, expiry: years31, vol: 0.5, rate: 0.05)
        XCTAssertEqual(t.instruments[2].theta, carry.theta - carry.delta * 0.05 * f31, accuracy: 1e-9)
    }

    // MARK: isolated margin as an input

    func testGivenIsolatedMarginDrivesTheBinanceLiquidationPrice() throws {
        let m = F.market(underlyings: [("BTC", 100_000, 0)], instruments: [F.perp("P", "BTC", size: 1, mark: 100_000)])
        var p = F.pos("P", 2, 100_000)
        p.isolatedMargin = 20_000
        let book = Portfolio(positions: [p], collateral: [F.bal("USD", 50_000)], marginMode: .isolated)
        let r = try RiskEngine.analyze(portfolio: book, market: m)
        let iso = try XCTUnwrap(r.isolatedPositions.first)
        XCTAssertEqual(iso.wallet, 20_000)
        XCTAssertEqual(iso.walletSource, "given")
        // Binance, one-way long, Q = 2, EP = 100 000, bracket 1 (notional ≤ 300 000): MMR 0.004,
        // cum 0: LP = (20 000 + 0 − 200 000)/(2·0.004 − 2) = 90 361.4457…; notional 180 723 stays
        // in bracket 1.
        let lp = (20_000.0 - 200_000) / (2 * 0.004 - 2)
        XCTAssertEqual(try XCTUnwrap(iso.liquidationPrice), lp, accuracy: 1e-6)

        // Assumed: the initial margin at entry, 200 000·0.008 = 1 600.
        let assumed = try RiskEngine.analyze(portfolio: Portfolio(positions: [F.pos("P", 2, 100_000)], collateral: book.collateral,
                                                                  marginMode: .isolated), market: m)
        XCTAssertEqual(assumed.isolatedPositions[0].wallet, 1_600)
        XCTAssertEqual(assumed.isolatedPositions[0].walletSource, "assumed_initial_margin")
    }

    /// The account (whole wallet) never reaches the summed isolated maintenance, but the isolated
    /// position does liquidate: the underlying's status must say so, never "none".
    func testIsolatedPositionLiquidationIsNeverReportedAsNone() throws {
        let m = F.market(underlyings: [("BTC", 100_000, 0)], instruments: [F.perp("P", "BTC", size: 1, mark: 100_000)])
        let book = Portfolio(positions: [F.pos("P", 1, 100_000)], collateral: [F.bal("USD", 1_000_000)], marginMode: .isolated)
        let r = try RiskEngine.analyze(portfolio: book, market: m)
        let l = try XCTUnwrap(r.liquidation.first)
        XCTAssertNil(l.below, "the account-level search finds nothing within the ladder")
        XCTAssertEqual(l.isolatedPositions, 1)
        XCTAssertEqual(l.isolatedStatus, "ok")
        XCTAssertEqual(l.status, "ok")
        XCTAssertEqual(try XCTUnwrap(l.isolatedBelow), try XCTUnwrap(r.isolatedPositions[0].liquidationPrice))
        XCTAssertLessThan(try XCTUnwrap(l.isolatedDistanceBelowPercent), 0)
    }

    func testIsolatedMarginInputErrors() throws {
        let market = try MarketSnapshot.parse(exampleMarket(scenarios: #"[{"preset": "paradex"}]"#))
        let perp = market.instruments.first { if case .perpetual = $0.kind { return true }; return false }!.id
        let option = market.instruments.first { if case .option = $0.kind { return true }; return false }!.id
        for (mode, inst, fragment) in [("cross", perp, "only meaningful when margin_mode is \"isolated\""),
                                       ("isolated", option, "applies to futures and perpetuals")] {
            let text = #"{"schema": "riskattest.portfolio/1", "margin_mode": "\#(mode)", "collateral": [], "positions": [{"instrument": "\#(inst)", "quantity": -1, "entry_price": 100, "isolated_margin": 50}]}"#
            XCTAssertThrowsError(try Portfolio.parse(Array(text.utf8), market: market)) { e in
                XCTAssertTrue("\(e)".contains("positions[0].isolated_margin"), "\(e)")
                XCTAssertTrue("\(e)".contains(fragment), "\(e)")
            }
        }
    }

    // MARK: early warning

    func testEmptyBookIsNotAtOrBelowMaintenance() throws {
        let m = F.market(underlyings: [("BTC", 100_000, 0)], instruments: [F.perp("P", "BTC", size: 1, mark: 100_000)])
        for mode in MarginMode.allCases {
            let r = try RiskEngine.analyze(portfolio: Portfolio(positions: [], collateral: [], marginMode: mode), market: m)
            XCTAssertFalse(r.margin.liquidatable, "\(mode)")
            XCTAssertEqual(r.margin.status, "no_positions")
            XCTAssertEqual(r.liquidation.map(\.status), ["none"], "\(mode)")
        }
        // A debt with nothing to liquidate is still insolvent.
        let owed = try RiskEngine.analyze(portfolio: Portfolio(positions: [], collateral: [F.bal("USD", -10)], marginMode: .cross), market: m)
        XCTAssertTrue(owed.margin.liquidatable)
        XCTAssertEqual(owed.margin.status, "liquidatable")
    }

    func testWarningThreshold() throws {
        let m = F.market(underlyings: [("BTC", 100_000, 0)], instruments: [F.perp("P", "BTC", size: 1, mark: 100_000)])
        // 10 BTC long: notional 1 000 000, bracket 3: MM = 1 000 000·0.0065 − 1 500 = 5 000.
        func status(collateral: Double, warn: Double = 0.8) throws -> (String, Double?) {
            let r = try RiskEngine.analyze(portfolio: Portfolio(positions: [F.pos("P", 10, 100_000)],
                                                                collateral: [F.bal("USD", collateral)], marginMode: .cross),
                                           market: m, options: AnalysisOptions(warningMarginRatio: warn))
            return (r.margin.status, r.margin.marginRatio)
        }
        // Equity = 0.98·collateral. Ratio 5 000/(0.98·c).
        XCTAssertEqual(try status(collateral: 10_000).0, "ok")                 // 0.51
        XCTAssertEqual(try status(collateral: 6_000).0, "warning")             // 0.85
        XCTAssertEqual(try status(collateral: 6_000, warn: 0.9).0, "ok")
        XCTAssertEqual(try status(collateral: 5_000).0, "liquidatable")        // 1.02
        XCTAssertThrowsError(try status(collateral: 6_000, warn: 1.5))
    }

    // MARK: coin-settled options

    func testCoinMarksAndPremiumAdjustedDelta() throws {
        // The example's first option made coin-settled (Deribit style).
        let linear = try MarketSnapshot.parse(exampleMarket(scenarios: #"[{"preset": "deribit-standard"}]"#))
        let k = try XCTUnwrap(linear.instruments.firstIndex { if case .option = $0.kind { return true }; return false })
        var baseText = String(decoding: try exampleMarket(scenarios: #"[{"preset": "deribit-standard"}]"#), as: UTF8.self)
        let idAt = try XCTUnwrap(baseText.range(of: "\"id\": \"\(linear.instruments[k].id)\""))
        let marginingAt = try XCTUnwrap(baseText.range(of: "\"margining\": \"linear\"", range: idAt.upperBound..<baseText.endIndex))
        baseText.replaceSubrange(marginingAt, with: "\"margining\": \"inverse\"")
        let base = Array(baseText.utf8)
        let market = try MarketSnapshot.parse(base)
        let inst = market.instruments[k]
        XCTAssertEqual(inst.margining, .inverse)
        let s = try XCTUnwrap(market.underlying(inst.underlying)).indexPrice
        // The same snapshot with that option's mark given in coin.
        let text = try Self.replacingMark(of: inst.id, in: String(decoding: base, as: UTF8.self), with: "\"mark_price_coin\": 0.0525")
        let coin = try MarketSnapshot.parse(Array(text.utf8))
        XCTAssertEqual(coin.instruments[k].markPrice, 0.0525 * s)

        let book = Portfolio(positions: [F.pos(inst.id, -2, 0.05)], collateral: [F.bal(inst.underlying, 1)], marginMode: .cross)
        let r = try RiskEngine.analyze(portfolio: book, market: coin)
        let p = r.positions[0]
        let u = try UnitRiskTable(market: coin).instruments[k]
        // Deribit's net transaction delta: BS delta − mark in coin, per contract, times q.
        XCTAssertEqual(try XCTUnwrap(p.premiumAdjustedDelta), p.greeks.delta - (-2 * u.value) / s)
        XCTAssertEqual(try XCTUnwrap(p.premiumAdjustedDelta), -2 * (u.delta - inst.contractSize * 0.0525), accuracy: 1e-12)
        let und = try XCTUnwrap(r.underlyings.first { $0.underlying == inst.underlying })
        XCTAssertEqual(try XCTUnwrap(und.premiumAdjustedTotalDelta), und.totalDelta + (p.premiumAdjustedDelta! - p.greeks.delta),
                       accuracy: 1e-12)

        for (replacement, fragment) in [("\"mark_price_coin\": 0.0525, \"mark_price\": 1", "not both"),
                                        ("\"mark_price_coin\": 12", "coin premium")] {
            let bad = try Self.replacingMark(of: inst.id, in: String(decoding: base, as: UTF8.self), with: replacement)
            XCTAssertThrowsError(try MarketSnapshot.parse(Array(bad.utf8))) { e in
                XCTAssertTrue("\(e)".contains(fragment), "\(e)")
            }
        }
    }

    /// The snapshot text with the `"mark_price": N` member of instrument `id` replaced.
    static func replacingMark(of id: String, in text: String, with replacement: String) throws -> String {
        var text = text
        let idRange = try XCTUnwrap(text.range(of: "\"id\": \"\(id)\""))
        let start = try XCTUnwrap(text.range(of: "\"mark_price\":", range: idRange.upperBound..<text.endIndex))
        var end = start.upperBound
        while end < text.endIndex, text[end] != ",", text[end] != "}" { end = text.index(after: end) }
        text.replaceSubrange(start.lowerBound..<end, with: replacement)
        return text
    }
}
