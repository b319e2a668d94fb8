import XCTest
@testable import RiskEngine

final class MetricsTests: XCTestCase {
    typealias F = MetricsFixture

    /// Aggregated option Greeks equal the sum over positions of q × size × OptionPricer.bsm on the
    /// index (no dividend) — an independent path from the engine's Black-76-on-forward conversion.
    func testOptionGreeksAggregateEqualsSumOfPricer() throws {
        let specs: [(String, OptionKind, Double, Double, Double, Double, Double)] = [   // id, kind, K, days, iv, size, qty
            ("C1", .call, 105, 12, 0.8, 1, 3), ("P1", .put, 95, 40, 0.6, 0.5, -7),
            ("C2", .call, 130, 200, 0.5, 2, -1.5), ("P2", .put, 70, 300, 0.9, 1, 11)]
        let m = F.market(underlyings: [("SOL", 100, 0.03)],
                         instruments: specs.map { F.option($0.0, "SOL", $0.1, strike: $0.2, days: $0.3, iv: $0.4, size: $0.5) })
        let book = Portfolio(positions: specs.map { F.pos($0.0, $0.6, 5) }, collateral: [F.bal("USD", 10_000)], marginMode: .cross)
        let r = try RiskEngine.analyze(portfolio: book, market: m)
        var d = 0.0, g = 0.0, v = 0.0, th = 0.0, rh = 0.0
        for s in specs {
            let x = try OptionPricer.bsm(kind: s.1, spot: 100, strike: s.2, expiry: s.3 * 86_400 / (365 * 86_400), vol: s.4, rate: 0.03)
            d += s.6 * s.5 * x.delta; g += s.6 * s.5 * x.gamma; v += s.6 * s.5 * x.vega
            th += s.6 * s.5 * x.theta; rh += s.6 * s.5 * x.rho
        }
        let a = r.underlyings[0].positions.greeks
        XCTAssertEqual(a.delta, d, accuracy: 1e-9 * max(1, abs(d)))
        XCTAssertEqual(a.gamma, g, accuracy: 1e-9 * max(1e-3, abs(g)))
        XCTAssertEqual(a.vega, v, accuracy: 1e-9 * max(1, abs(v)))
        XCTAssertEqual(a.theta, th, accuracy: 1e-9 * max(1, abs(th)))
        XCTAssertEqual(a.rho, rh, accuracy: 1e-9 * max(1, abs(rh)))
        // Buckets: 12 d → <30d; 40 d → 30-90d; 200 and 300 d → >90d.
        XCTAssertEqual(r.expiryBuckets.map(\.bucket), ["<30d", "30-90d", ">90d"])
        XCTAssertEqual(r.expiryBuckets[2].figures.positions, 2)
    }

    /// Inverse perpetual: long 100 contracts of 10 USD at 50,000, index = mark = 55,000.
    /// Coin P&L = 1000·(1/50000 − 1/55000) = 1/550 BTC = 100 USD at 55,000; delta = 1000/50000 = 0.02.
    /// After −10 % (mark 49,500): 1000·(49500/50000 − 1) = −10 USD, so the scenario P&L is −110.
    func testInversePnLInCoin() throws {
        let m = F.market(underlyings: [("BTC", 55_000, 0)],
                         instruments: [F.perp("IP", "BTC", linear: false, size: 10, mark: 55_000, funding: 0)],
                         scenarios: [Scenario(name: "-10%", priceMoves: ["BTC": -0.1], volShock: .none, weight: 1)])
        let book = Portfolio(positions: [F.pos("IP", 100, 50_000)], collateral: [], marginMode: .cross)
        let r = try RiskEngine.analyze(portfolio: book, market: m)
        let p = r.positions[0]
        XCTAssertEqual(p.unrealizedPnl, 100, accuracy: 1e-9)
        XCTAssertEqual(p.unrealizedPnlCoin!, 1.0 / 550, accuracy: 1e-15)
        XCTAssertEqual(p.greeks.delta, 0.02, accuracy: 1e-15)
        XCTAssertEqual(p.notional, 1_000)
        XCTAssertEqual(r.stress[0].pnl, -110, accuracy: 1e-9)
        XCTAssertEqual(r.totals.equity, 100, accuracy: 1e-9)
    }

    /// Stress grid and portfolio margin on a book worked by hand: long 2 perps of size 1 at index =
    /// mark = 100 (entry 90), 1,000 USD (haircut 2 % → 980).
    /// P&L: −10 % → −20 (w 1: 20); −50 % → −100 (w 0.5: 50); +20 % → +40 (w 1: −40).
    /// Requirement = max weighted loss = 50 from "-50%"; maintenance = 0.5 × 50 = 25.
    func testStressWorstLossIsPortfolioMargin() throws {
        let sc = [Scenario(name: "-10%", priceMoves: ["X": -0.1], volShock: .none, weight: 1),
                  Scenario(name: "-50%", priceMoves: ["X": -0.5], volShock: .none, weight: 0.5),
                  Scenario(name: "+20%", priceMoves: ["X": 0.2], volShock: .absolute(0.05), weight: 1)]
        let m = F.market(underlyings: [("X", 100, 0)], instruments: [F.perp("XP", "X", size: 1, mark: 100)], scenarios: sc)
        let book = Portfolio(positions: [F.pos("XP", 2, 90)], collateral: [F.bal("USD", 1_000)], marginMode: .portfolio)
        let r = try RiskEngine.analyze(portfolio: book, market: m)
        XCTAssertEqual(r.totals.equity, 980 + 20, accuracy: 1e-9)
        XCTAssertEqual(r.stress.map(\.pnl)[0], -20, accuracy: 1e-9)
        XCTAssertEqual(r.stress.map(\.pnl)[1], -100, accuracy: 1e-9)
        XCTAssertEqual(r.stress.map(\.pnl)[2], 40, accuracy: 1e-9)
        XCTAssertEqual(r.stress.map(\.weightedLoss)[1], 50, accuracy: 1e-9)
        XCTAssertEqual(r.margin.portfolio.initial, 50, accuracy: 1e-9)
        XCTAssertEqual(r.margin.portfolio.maintenance, 25, accuracy: 1e-9)
        XCTAssertEqual(r.margin.portfolioWorstScenario, "-50%")
        XCTAssertEqual(r.margin.active, r.margin.portfolio)
        XCTAssertEqual(r.margin.marginRatio!, 25.0 / 1_000, accuracy: 1e-15)
        // worst weighted loss over the table = the requirement
        XCTAssertEqual(r.stress.map(\.weightedLoss).max()!, r.margin.portfolio.initial)
    }

    /// Cross margin: tiered maintenance with cumulative deduction and a short option's standard margin.
    func testCrossMarginHandWorked() throws {
        let m = F.market(underlyings: [("BTC", 50_000, 0)],
                         instruments: [F.perp("P", "BTC", size: 1, mark: 50_000),
                                       F.option("C", "BTC", .call, strike: 60_000, days: 30, iv: 0.5)])
        let book = Portfolio(positions: [F.pos("P", 20, 50_000), F.pos("C", -2, 100)], collateral: [F.bal("USD", 100_000)],
                             marginMode: .cross)
        let r = try RiskEngine.analyze(portfolio: book, market: m)
        let v = try OptionPricer.bsm(kind: .call, spot: 50_000, strike: 60_000, expiry: 30.0 / 365, vol: 0.5, rate: 0).price
        // Perp: notional 1,000,000 in bracket 3 (0.65 %, cum 1,500): MM = 6500 − 1500 = 5000; IM = 13,400.
        // Short call, OTM 10,000: MM = 2·(0.075·50000 + V); IM = 2·(max(0.15·50000 − 10000, 0.1·50000) + V).
        XCTAssertEqual(r.margin.cross.maintenance, 5_000 + 2 * (3_750 + v), accuracy: 1e-6)
        XCTAssertEqual(r.margin.cross.initial, 13_400 + 2 * (5_000 + v), accuracy: 1e-6)
        // Two positions in the same instrument are netted in cross mode but not in isolated mode.
        let split = Portfolio(positions: [F.pos("P", 10, 50_000), Position(instrument: "P", quantity: 10, quantityUnits: 1_000_000_000,
                                                                                 entryPrice: 50_000, venue: "b", account: nil)],
                              collateral: [F.bal("USD", 100_000)], marginMode: .isolated)
        let r2 = try RiskEngine.analyze(portfolio: split, market: m)
        XCTAssertEqual(r2.margin.cross.maintenance, 5_000, accuracy: 1e-6)
        XCTAssertEqual(r2.margin.isolated.maintenance, 2 * (500_000 * 0.005 - 300), accuracy: 1e-6)
        XCTAssertEqual(r2.margin.active, r2.margin.isolated)
    }

    /// The JSON output parses with the strict parser and has the documented top-level members.
    func testJSONOutputShape() throws {
        let m = F.market(underlyings: [("BTC", 50_000, 0.01)], instruments: [F.perp("P", "BTC", size: 1, mark: 50_000)],
                         scenarios: F.grid(["BTC"]))
        let r = try RiskEngine.analyze(portfolio: Portfolio(positions: [F.pos("P", 1, 49_000)], collateral: [F.bal("USD", 5_000)],
                                                            marginMode: .cross), market: m)
        let v = try StrictJSON.parse(try r.jsonBytes())
        guard case .object(let members) = v else { return XCTFail("not an object") }
        let keys = members.map(\.0)
        for k in ["schema", "snapshot_id", "as_of", "quote_currency", "margin_mode", "totals", "positions", "collateral",
                  "underlyings", "expiry_buckets", "margin", "isolated_positions", "liquidation", "stress", "hedges", "top_up"] {
            XCTAssertTrue(keys.contains(k), k)
        }
        guard case .object(let margin)? = members.first(where: { $0.0 == "margin" })?.1 else { return XCTFail("margin") }
        XCTAssertTrue(margin.contains { $0.0 == "margin_ratio" })
    }

    func testTargetMarginRatioOutOfRangeIsAnInputError() {
        let m = F.market(underlyings: [("BTC", 50_000, 0)], instruments: [F.perp("P", "BTC", size: 1, mark: 50_000)])
        let book = Portfolio(positions: [], collateral: [], marginMode: .cross)
        XCTAssertThrowsError(try RiskEngine.analyze(portfolio: book, market: m, options: AnalysisOptions(targetMarginRatio: 1.5))) {
            XCTAssertEqual(($0 as? InputError)?.path, "target_margin_ratio")
        }
        XCTAssertThrowsError(try RiskEngine.analyze(portfolio: book, market: m, options: AnalysisOptions(targetDelta: ["DOGE": 1]))) {
            XCTAssertEqual(($0 as? InputError)?.path, "target_delta.DOGE")
        }
    }
}
