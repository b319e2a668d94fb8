import XCTest
@testable import RiskEngine

/// Equity as a venue means it (SPEC §3.1, §6.2, §6.3): collateral amounts are wallet balances that
/// already contain option premiums, options are valued at the snapshot's mark and moved by the
/// model, and an inverse option's entry price is in coin. Every expected number is worked by hand.
final class EquityTests: XCTestCase {
    typealias F = MetricsFixture

    /// BTC at 100,000, rate 0; a 30-day 95k put marked 1,200, a 30-day 110k call marked 2,500
    /// (marks deliberately away from the model), a linear 60-day future marked 100,500; quote
    /// collateral without haircut, so a USD wallet balance counts at face value.
    private func deribitMarket(putInverse: Bool = false, scenarios: [Scenario] = []) -> MarketSnapshot {
        var m = F.market(underlyings: [("BTC", 100_000, 0)], instruments: [
            F.option("P", "BTC", .put, strike: 95_000, days: 30, iv: 0.5, inverse: putInverse, mark: 1_200),
            F.option("C", "BTC", .call, strike: 110_000, days: 30, iv: 0.5, mark: 2_500),
            F.future("F", "BTC", size: 1, mark: 100_500, days: 60)], scenarios: scenarios)
        m.collateral[0].haircut = 0
        return m
    }

    /// The SPEC §6.3 worked example. Wallet 50,000 USD after buying 2 puts at 1,500 (paid 3,000)
    /// and selling 1 call at 2,000 (received 2,000); 1 future bought at 99,000.
    /// Equity = 50,000 + 2·1,200 − 1·2,500 + (100,500 − 99,000) = 51,400, every step exact in
    /// binary. Counting the premiums again (the old rule) would give 51,400 − 3,000 + 2,000 = 50,400.
    func testDeribitStyleBookCountsPremiumsOnce() throws {
        let m = deribitMarket()
        let book = Portfolio(positions: [F.pos("P", 2, 1_500), F.pos("C", -1, 2_000), F.pos("F", 1, 99_000)],
                             collateral: [F.bal("USD", 50_000)], marginMode: .cross)
        let r = try RiskEngine.analyze(portfolio: book, market: m)
        XCTAssertEqual(r.totals.collateralValue, 50_000)
        XCTAssertEqual(r.totals.equity, 51_400)
        XCTAssertEqual(r.margin.equity, 51_400)
        // Options: value at the mark; the premium is reported, never added to equity.
        XCTAssertEqual(r.positions[0].value, 2_400)
        XCTAssertEqual(r.positions[0].entryValue, -3_000)
        XCTAssertEqual(r.positions[0].unrealizedPnl, -600)
        XCTAssertEqual(r.positions[1].value, -2_500)
        XCTAssertEqual(r.positions[1].entryValue, 2_000)
        XCTAssertEqual(r.positions[1].unrealizedPnl, -500)
        // The future keeps its entry cost: value 100,500, cost −99,000, P&L 1,500.
        XCTAssertEqual(r.positions[2].value, 100_500)
        XCTAssertEqual(r.positions[2].entryValue, -99_000)
        XCTAssertEqual(r.positions[2].unrealizedPnl, 1_500)
        // Σ reported P&L = −600 − 500 + 1,500 = 400; equity is not collateral + that (50,400).
        XCTAssertEqual(r.totals.unrealizedPnl, 400)
        XCTAssertNotEqual(r.totals.equity, r.totals.collateralValue + r.totals.unrealizedPnl)
        // Stress rows start from the same equity.
        let sr = try RiskEngine.analyze(portfolio: book, market: deribitMarket(scenarios: [
            Scenario(name: "flat", priceMoves: [:], volShock: .none, weight: 1)]))
        XCTAssertEqual(sr.stress[0].equity, 51_400)
        XCTAssertEqual(sr.stress[0].pnl, 0)
    }

    /// A book of futures and perpetuals only: equity = collateral + Σ unrealized P&L, as before.
    func testFuturesBookEquityIsCollateralPlusUnrealized() throws {
        let m = F.market(underlyings: [("BTC", 50_000, 0)], instruments: [
            F.perp("P", "BTC", size: 1, mark: 50_000), F.perp("IP", "BTC", linear: false, size: 100, mark: 50_000)])
        let book = Portfolio(positions: [F.pos("P", 2, 48_000), F.pos("IP", -1_000, 40_000)],
                             collateral: [F.bal("USD", 10_000)], marginMode: .cross)
        let r = try RiskEngine.analyze(portfolio: book, market: m)
        // Linear: 2·50,000 − 96,000 = 4,000. Inverse short: −1000·100·(S/E − S/mark)
        // = −100,000·(1.25 − 1) = −25,000. Collateral 10,000·0.98 = 9,800.
        XCTAssertEqual(r.positions[0].unrealizedPnl, 4_000)
        XCTAssertEqual(r.positions[1].unrealizedPnl, -25_000, accuracy: 1e-9)
        XCTAssertEqual(r.totals.equity, r.totals.collateralValue + r.totals.unrealizedPnl)
        XCTAssertEqual(r.totals.equity, 9_800 + 4_000 - 25_000, accuracy: 1e-9)
    }

    /// An inverse put bought at 0.015 BTC (Deribit's quote): entry value −2·0.015·100,000 = −3,000
    /// USD at the snapshot's index; value 2·1,200 = 2,400 at the (quote) mark; P&L −600, also
    /// −0.006 BTC. The premium was paid from a BTC wallet balance (not part of this book), so
    /// equity adds 2,400 only (to a 1,000 USD wallet: 3,400) and the position's delta has no coin
    /// amount (the coin paid is in that balance and its delta).
    func testInverseOptionEntryIsInCoin() throws {
        let m = deribitMarket(putInverse: true)
        let t = try UnitRiskTable(market: m)
        let book = Portfolio(positions: [F.pos("P", 2, 0.015)], collateral: [F.bal("USD", 1_000)], marginMode: .cross)
        let r = try RiskEngine.analyze(portfolio: book, market: m)
        let p = r.positions[0]
        XCTAssertEqual(p.value, 2_400)
        XCTAssertEqual(p.entryValue, -3_000, accuracy: 1e-9)
        XCTAssertEqual(p.unrealizedPnl, -600, accuracy: 1e-9)
        XCTAssertEqual(p.unrealizedPnlCoin!, -0.006, accuracy: 1e-15)
        XCTAssertEqual(p.greeks.delta, 2 * t.instruments[0].delta)
        XCTAssertEqual(r.totals.equity, 1_000 + 2_400)   // USD without haircut here

        let cost = try EntryCost.of(quantity: 2, entryPrice: 0.015, instrument: m.instruments[0])
        XCTAssertEqual(cost, EntryCost(quote: 0, coin: -0.03, settledInBalance: true))
        XCTAssertEqual(cost.equityQuote, 0); XCTAssertEqual(cost.equityCoin, 0)
    }

    /// Isolated margin: a long inverse option's wallet is the premium paid, converted at the
    /// index (2·0.015·100,000 = 3,000), so its isolated equity is its value 2,400 (SPEC §6.5).
    func testIsolatedLongInverseOptionWalletIsPremiumPaid() throws {
        let m = deribitMarket(putInverse: true)
        let book = Portfolio(positions: [F.pos("P", 2, 0.015)], collateral: [F.bal("USD", 1_000)], marginMode: .isolated)
        let iso = try RiskEngine.analyze(portfolio: book, market: m).isolatedPositions[0]
        XCTAssertEqual(iso.wallet, 3_000, accuracy: 1e-9)
        XCTAssertEqual(iso.equity, 2_400, accuracy: 1e-9)
        XCTAssertEqual(iso.method, "long_option_never_liquidated")
    }

    /// The one definition: each kind's cost in the SPEC §6.3 order.
    func testEntryCostTable() throws {
        let m = F.market(underlyings: [("BTC", 100_000, 0)], instruments: [
            F.perp("L", "BTC", size: 0.5, mark: 100_000), F.future("I", "BTC", linear: false, size: 10, mark: 100_000, days: 30),
            F.option("O", "BTC", .call, strike: 100_000, days: 30, iv: 0.5, size: 0.1, mark: 2_000)])
        XCTAssertEqual(try EntryCost.of(quantity: -3, entryPrice: 98_000, instrument: m.instruments[0]),
                       EntryCost(quote: 147_000, coin: 0, settledInBalance: false))
        XCTAssertEqual(try EntryCost.of(quantity: 40, entryPrice: 80_000, instrument: m.instruments[1]),
                       EntryCost(quote: 0, coin: 0.005, settledInBalance: false))   // 400/80,000
        let o = try EntryCost.of(quantity: 5, entryPrice: 1_800, instrument: m.instruments[2])
        XCTAssertEqual(o, EntryCost(quote: -900, coin: 0, settledInBalance: true))    // 5·0.1·1,800
        XCTAssertEqual(o.entryValue(index: 100_000), -900)
        XCTAssertEqual(o.equityQuote, 0)
        XCTAssertThrowsError(try EntryCost.of(quantity: 1, entryPrice: 0, instrument: m.instruments[1]))
    }

    /// Implausible inverse-option entry prices: a call above 1 coin, a put above 10 coin (both
    /// look like a USD premium); at the bounds they are accepted. The error names the field.
    func testImplausibleInverseOptionEntryIsRejected() throws {
        let m = F.market(underlyings: [("BTC", 100_000, 0)], instruments: [
            F.option("IC", "BTC", .call, strike: 100_000, days: 30, iv: 0.5, inverse: true, mark: 4_000),
            F.option("IPUT", "BTC", .put, strike: 100_000, days: 30, iv: 0.5, inverse: true, mark: 4_000)])
        XCTAssertNoThrow(try EntryCost.of(quantity: 1, entryPrice: 1, instrument: m.instruments[0]))
        XCTAssertNoThrow(try EntryCost.of(quantity: 1, entryPrice: 10, instrument: m.instruments[1]))
        for (i, e) in [(0, 1.0000001), (0, 4_000.0), (1, 10.5), (1, 4_000.0)] {
            XCTAssertThrowsError(try EntryCost.of(quantity: 1, entryPrice: e, instrument: m.instruments[i])) { error in
                let err = error as? InputError
                XCTAssertEqual(err?.path, "entry_price")
                XCTAssertTrue(err?.message.contains("per underlying unit, as the venue quotes it") ?? false, "\(error)")
            }
        }
        // The engine reports the position's path.
        let book = Portfolio(positions: [F.pos("IC", 1, 0.04), F.pos("IPUT", -1, 3_950)], collateral: [], marginMode: .cross)
        XCTAssertThrowsError(try RiskEngine.analyze(portfolio: book, market: m)) { error in
            XCTAssertEqual((error as? InputError)?.path, "positions[1].entry_price")
        }
    }

    /// Parsing rejects a USD premium on an inverse option: the example book's 95k put flipped to
    /// inverse (its entry 1,105 USD is then read as 1,105 BTC).
    func testPortfolioParseRejectsQuotePremiumOnInverseOption() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var market = try String(contentsOf: root.appendingPathComponent("Examples/market.json"), encoding: .utf8)
        let linearPut = #""id": "BTC-27NOV26-95000-P", "underlying": "BTC", "type": "option", "margining": "linear""#
        XCTAssertTrue(market.contains(linearPut))
        market = market.replacingOccurrences(of: linearPut, with: linearPut.replacingOccurrences(of: "linear", with: "inverse"))
        let snapshot = try MarketSnapshot.parse(Array(market.utf8))
        let portfolio = try String(contentsOf: root.appendingPathComponent("Examples/portfolio.json"), encoding: .utf8)
        XCTAssertThrowsError(try Portfolio.parse(Array(portfolio.utf8), market: snapshot)) { error in
            let err = error as? InputError
            XCTAssertEqual(err?.path, "positions[7].entry_price")
            XCTAssertTrue(err?.message.contains("1105.0 is not a plausible premium for the inverse put") ?? false, "\(error)")
        }
        // The venue's coin quote (1,105 USD at an index of 97,012.35 ≈ 0.01139 BTC) parses.
        let fixed = portfolio.replacingOccurrences(of: #""entry_price": 1105,"#, with: #""entry_price": 0.01139,"#)
        XCTAssertNoThrow(try Portfolio.parse(Array(fixed.utf8), market: snapshot))
    }

    /// An option is worth its mark at the snapshot, bit for bit, and moves by the model:
    /// V_s = size·mark + (M(r_s, σ_s) − M(1, IV)) in that order (SPEC §6.2). The Greeks are the
    /// model's, whatever the mark.
    func testOptionValuedAtMarkAndMovedByModel() throws {
        let scen = [Scenario(name: "-10%", priceMoves: ["BTC": -0.1], volShock: .none, weight: 1),
                    Scenario(name: "+5% vol up", priceMoves: ["BTC": 0.05], volShock: .absolute(0.1), weight: 1)]
        func table(mark: Double?) throws -> UnitRiskTable {
            try UnitRiskTable(market: F.market(underlyings: [("BTC", 60_000, 0.04)], instruments: [
                F.option("C", "BTC", .call, strike: 62_000, days: 73, iv: 0.55, size: 2, mark: mark)], scenarios: scen))
        }
        let t = try table(mark: 1_000)              // far below the model's ≈ 5,400 per unit
        let u = t.instruments[0], model = t.models[0]
        XCTAssertEqual(u.value, 2_000)
        XCTAssertEqual(u.liabilityValue, 2_000)
        for (s, (ratio, vol)) in [(0.9, 0.55), (1.05, 0.65)].enumerated() {
            let m = model.modelValueAndSlope(ratio: ratio, lnRatio: DetMath.log(ratio), sd: vol * model.sqrtT).value
            XCTAssertEqual(u.scenarioValues[s], 2_000 + (m - model.modelBase))   // the exact SPEC order
            // The move is the Black-76 revaluation (BSM on the index with no dividend).
            let T = 73.0 / 365
            let base = try OptionPricer.bsm(kind: .call, spot: 60_000, strike: 62_000, expiry: T, vol: 0.55, rate: 0.04)
            let moved = try OptionPricer.bsm(kind: .call, spot: 60_000 * ratio, strike: 62_000, expiry: T, vol: vol, rate: 0.04)
            XCTAssertEqual(u.scenarioValues[s] - 2_000, 2 * (moved.price - base.price), accuracy: 1e-8 * base.price)
        }
        // Greeks do not depend on the mark.
        let atModel = try table(mark: nil).instruments[0]
        XCTAssertEqual(u.delta, atModel.delta); XCTAssertEqual(u.gamma, atModel.gamma)
        XCTAssertEqual(u.vega, atModel.vega); XCTAssertEqual(u.theta, atModel.theta)
        XCTAssertEqual(u.rho, atModel.rho); XCTAssertEqual(u.vanna, atModel.vanna)
        // Short-option margin uses the mark as the option value: MM = size·(0.075·S + V/size).
        let m = F.market(underlyings: [("BTC", 60_000, 0.04)], instruments: [
            F.option("C", "BTC", .call, strike: 62_000, days: 73, iv: 0.55, size: 2, mark: 1_000)], scenarios: scen)
        let r = try RiskEngine.analyze(portfolio: Portfolio(positions: [F.pos("C", -1, 900)], collateral: [F.bal("USD", 100_000)],
                                                            marginMode: .cross), market: m)
        XCTAssertEqual(r.margin.cross.maintenance, 2 * (0.075 * 60_000 + 1_000), accuracy: 1e-9)
        // Equity: 98,000 of collateral − 2,000 of short call value (the 1,800 received is in the wallet).
        XCTAssertEqual(r.totals.equity, 96_000, accuracy: 1e-9)
    }

    /// Liquidation re-pricing moves the mark by the model: a short call in cross margin, moved to
    /// its computed liquidation price (marks moved by the model's revaluation), has equity equal
    /// to maintenance — with the mark far from the model, so a model-valued search would miss it.
    func testLiquidationRepricesFromTheMark() throws {
        let m = F.market(underlyings: [("BTC", 60_000, 0)], instruments: [
            F.option("C", "BTC", .call, strike: 66_000, days: 40, iv: 0.6, size: 1, mark: 3_500)])
        let book = Portfolio(positions: [F.pos("C", -10, 3_000)], collateral: [F.bal("USD", 200_000)], marginMode: .cross)
        let r = try RiskEngine.analyze(portfolio: book, market: m)
        // 196,000 of collateral − 10·3,500 at the mark; MM = 10·(0.075·60,000 + 3,500) = 80,000.
        XCTAssertEqual(r.totals.equity, 161_000, accuracy: 1e-9)
        XCTAssertEqual(r.margin.cross.maintenance, 80_000, accuracy: 1e-9)
        guard let above = r.liquidation[0].above else { return XCTFail("no liquidation price above: \(r.liquidation[0])") }
        let at = try RiskEngine.analyze(portfolio: book, market: F.moved(m, underlying: "BTC", to: above))
        XCTAssertEqual(at.margin.equity, at.margin.active.maintenance, accuracy: 1e-6 * at.margin.active.maintenance)
    }
}
