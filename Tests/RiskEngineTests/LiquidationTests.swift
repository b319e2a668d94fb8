import XCTest
@testable import RiskEngine

/// Liquidation prices against Binance's published USDⓈ-M formula, worked by hand:
/// LP = (WB + cum − side·Q·EP) / (Q·MMR − side·Q), re-solved with the bracket of the notional at LP.
final class LiquidationTests: XCTestCase {
    typealias F = MetricsFixture
    let tiers = MetricsFixture.linearTiers

    func testClosedFormLongFirstTier() {
        // Long 1 BTC at 50,000, wallet 5,000: bracket 1 (0.4 %, cum 0).
        // LP = (5000 − 50000)/(0.004 − 1) = 45000/0.996; notional at LP 45,181 ≤ 300,000 stays in bracket 1.
        let lp = MarginRules.binanceIsolatedLiquidationPrice(wallet: 5_000, quantity: 1, entry: 50_000, table: tiers)
        XCTAssertEqual(lp!, 45_000 / 0.996, accuracy: 1e-9)
    }

    func testClosedFormShortFirstTier() {
        // Short 2 BTC at 50,000, wallet 10,000: LP = (10000 + 100000)/(0.008 + 2) = 110000/2.008.
        let lp = MarginRules.binanceIsolatedLiquidationPrice(wallet: 10_000, quantity: -2, entry: 50_000, table: tiers)
        XCTAssertEqual(lp!, 110_000 / 2.008, accuracy: 1e-9)
    }

    func testClosedFormLongTierChangesDown() {
        // Long 10 BTC at 40,000 (notional 400,000: bracket 2, 0.5 %, cum 300), wallet 120,000.
        // Bracket 2: (120000 + 300 − 400000)/(0.05 − 10) = 279700/9.95 = 28,110.55 → notional 281,106,
        // which is bracket 1. Re-solved with bracket 1: (120000 − 400000)/(0.04 − 10) = 280000/9.96
        // = 28,112.45, notional 281,124 ≤ 300,000: consistent.
        let lp = MarginRules.binanceIsolatedLiquidationPrice(wallet: 120_000, quantity: 10, entry: 40_000, table: tiers)
        XCTAssertEqual(lp!, 280_000 / 9.96, accuracy: 1e-9)
        XCTAssertNotEqual(lp!, 279_700 / 9.95, accuracy: 1e-3)
    }

    func testClosedFormShortTierChangesUp() {
        // Short 5 BTC at 58,000 (290,000: bracket 1), wallet 40,000.
        // Bracket 1: (40000 + 290000)/(0.02 + 5) = 65,737.05 → notional 328,685: bracket 2.
        // Bracket 2: (40000 + 300 + 290000)/(0.025 + 5) = 330300/5.025 = 65,731.34 → 328,657: consistent.
        let lp = MarginRules.binanceIsolatedLiquidationPrice(wallet: 40_000, quantity: -5, entry: 58_000, table: tiers)
        XCTAssertEqual(lp!, 330_300 / 5.025, accuracy: 1e-9)
    }

    func testOverCollateralisedLongHasNoLiquidationPrice() {
        // Wallet above the position value: numerator (60000 − 50000) > 0 over a negative denominator.
        XCTAssertNil(MarginRules.binanceIsolatedLiquidationPrice(wallet: 60_000, quantity: 1, entry: 50_000, table: tiers))
    }

    /// The engine's isolated mode: wallet = initial margin at entry. Long 10 BTC perp at 40,000 with
    /// mark = index = 40,000: wallet = 400,000 × 1 % = 4,000; LP = (4000 + 300 − 400000)/(0.05 − 10)
    /// = 395700/9.95 (notional 397,688: bracket 2).
    func testEngineIsolatedPositionUsesClosedForm() throws {
        let m = F.market(underlyings: [("BTC", 40_000, 0)], instruments: [F.perp("P", "BTC", size: 1, mark: 40_000)])
        let book = Portfolio(positions: [F.pos("P", 10, 40_000)], collateral: [F.bal("USD", 50_000)], marginMode: .isolated)
        let r = try RiskEngine.analyze(portfolio: book, market: m)
        XCTAssertEqual(r.isolatedPositions.count, 1)
        XCTAssertEqual(r.isolatedPositions[0].wallet, 4_000, accuracy: 1e-9)
        XCTAssertEqual(r.isolatedPositions[0].method, "binance_closed_form")
        XCTAssertEqual(r.isolatedPositions[0].liquidationPrice!, 395_700 / 9.95, accuracy: 1e-8)
        // Bracket 2 maintenance of 400,000 notional: 400000·0.005 − 300 = 1,700.
        XCTAssertEqual(r.isolatedPositions[0].maintenance, 1_700, accuracy: 1e-9)
    }

    /// The cross-margin root search on a one-position book must land on Binance's closed form with
    /// WB = the account's collateral (tier change included: 280000/9.96 from the case above).
    func testCrossRootSearchMatchesClosedFormAcrossTierChange() throws {
        let m = F.market(underlyings: [("BTC", 40_000, 0)], instruments: [F.perp("P", "BTC", size: 1, mark: 40_000)])
        // USD haircut is 2 %: deposit 120000/0.98 so the counted wallet is exactly 120,000.
        let book = Portfolio(positions: [F.pos("P", 10, 40_000)], collateral: [F.bal("USD", 120_000 / 0.98)], marginMode: .cross)
        let r = try RiskEngine.analyze(portfolio: book, market: m)
        XCTAssertEqual(r.liquidation[0].status, "ok")
        XCTAssertEqual(r.liquidation[0].below!, 280_000 / 9.96, accuracy: 1e-6)
        XCTAssertNil(r.liquidation[0].above)
        XCTAssertEqual(r.liquidation[0].distanceBelowPercent!, (280_000 / 9.96 / 40_000 - 1) * 100, accuracy: 1e-8)
    }

    /// A book with options, futures, an inverse perpetual and coin collateral, moved exactly to its
    /// computed liquidation price, has margin ratio 1 (cross and portfolio modes, both sides).
    func testPortfolioAtLiquidationPriceHasMarginRatioOne() throws {
        let insts = [F.perp("P", "BTC", size: 0.001, mark: 50_010), F.perp("IP", "BTC", linear: false, size: 100, mark: 50_005),
                     F.future("F", "BTC", size: 0.01, mark: 50_300, days: 60),
                     F.option("C", "BTC", .call, strike: 55_000, days: 20, iv: 0.6),
                     F.option("PUT", "BTC", .put, strike: 45_000, days: 100, iv: 0.7, inverse: true),
                     F.perp("E", "ETH", size: 0.01, mark: 3_000)]
        let market = F.market(underlyings: [("BTC", 50_000, 0.03), ("ETH", 3_000, 0.03)], instruments: insts,
                              scenarios: F.grid(["BTC", "ETH"]))
        let positions = [F.pos("P", 4_000, 49_000), F.pos("IP", -300, 51_000), F.pos("F", 100, 50_100),
                         // The inverse put's entry is in BTC, as the venue quotes it: 1,500 USD at 50,000 (SPEC §3.1).
                         F.pos("C", -3, 900), F.pos("PUT", 2, 0.03), F.pos("E", -50, 3_100)]
        for mode in [MarginMode.cross, .portfolio] {
            let book = Portfolio(positions: positions, collateral: [F.bal("USD", 30_000), F.bal("BTC", 0.2)], marginMode: mode)
            let r = try RiskEngine.analyze(portfolio: book, market: market)
            let liq = r.liquidation[0]
            XCTAssertEqual(liq.status, "ok", "\(mode)")
            var checked = 0
            for price in [liq.below, liq.above].compactMap({ $0 }) {
                let at = try RiskEngine.analyze(portfolio: book, market: F.moved(market, underlying: "BTC", to: price))
                XCTAssertEqual(at.margin.marginRatio!, 1, accuracy: 1e-9, "\(mode) at \(price)")
                checked += 1
            }
            XCTAssertGreaterThan(checked, 0, "\(mode): no liquidation price found")
            XCTAssertLessThan(r.margin.marginRatio!, 1)
        }
    }

    func testAlreadyBelowMaintenance() throws {
        let m = F.market(underlyings: [("BTC", 40_000, 0)], instruments: [F.perp("P", "BTC", size: 1, mark: 40_000)])
        let book = Portfolio(positions: [F.pos("P", 10, 45_000)], collateral: [F.bal("USD", 50_000)], marginMode: .cross)
        let r = try RiskEngine.analyze(portfolio: book, market: m)
        // equity = 49,000 − 50,000 = −1,000 ≤ maintenance: no ratio, liquidatable.
        XCTAssertNil(r.margin.marginRatio)
        XCTAssertTrue(r.margin.liquidatable)
        XCTAssertEqual(r.liquidation[0].status, "at_or_below_maintenance")
    }
}

final class LiquidationIsolatedOptionTests: XCTestCase {
    typealias F = MetricsFixture
    /// In isolated mode a long option's wallet is its premium: it is never liquidated. A short
    /// option is, at a price where its own equity meets its maintenance margin.
    func testIsolatedOptions() throws {
        let m = F.market(underlyings: [("BTC", 50_000, 0)], instruments: [F.option("C", "BTC", .call, strike: 55_000, days: 20, iv: 0.6)])
        let book = Portfolio(positions: [F.pos("C", 2, 700), Position(instrument: "C", quantity: -2, quantityUnits: -200_000_000,
                                                                       entryPrice: 700, venue: "x", account: nil)],
                             collateral: [F.bal("USD", 10_000)], marginMode: .isolated)
        let r = try RiskEngine.analyze(portfolio: book, market: m)
        XCTAssertEqual(r.isolatedPositions[0].method, "long_option_never_liquidated")
        XCTAssertNil(r.isolatedPositions[0].liquidationPrice)
        XCTAssertEqual(r.isolatedPositions[0].wallet, 1_400, accuracy: 1e-9)
        let short = r.isolatedPositions[1]
        XCTAssertEqual(short.method, "root_search")
        let lp = try XCTUnwrap(short.liquidationPrice)
        XCTAssertGreaterThan(lp, 50_000)
        // At the liquidation index: wallet + 2·(700 − V) = 2·(0.075·S + V), V by the independent pricer.
        let v = try OptionPricer.bsm(kind: .call, spot: lp, strike: 55_000, expiry: 20.0 / 365, vol: 0.6, rate: 0).price
        XCTAssertEqual(short.wallet + 2 * (700 - v), 2 * (0.075 * lp + v), accuracy: 1e-6)
    }
}

/// The portfolio-mode ladder skips scenarios by a Lipschitz bound (`ScenarioScreen`); these tests
/// hold it to its promise: the same verdicts and the same liquidation prices, bit for bit, as the
/// full evaluation of every scenario at every rung.
final class ScenarioScreenTests: XCTestCase {
    typealias F = MetricsFixture

    /// xorshift64*, fixed seed: the same books on every run.
    struct Rng {
        var s: UInt64
        mutating func unit() -> Double {
            s ^= s >> 12; s ^= s << 25; s ^= s >> 27
            return Double((s &* 0x2545_F491_4F6C_DD1D) >> 11) / Double(1 << 53)
        }
    }

    /// The option chain both screened-ladder tests use: BTC calls and puts (some inverse) over five
    /// strikes and three expiries, and ETH calls.
    static func screenOptions() -> [Instrument] {
        var insts: [Instrument] = []
        for (k, strike) in [35_000.0, 45_000, 50_000, 55_000, 70_000].enumerated() {
            for (d, days) in [7.0, 45, 200].enumerated() {
                insts.append(F.option("BC\(k)\(d)", "BTC", .call, strike: strike, days: days, iv: 0.5 + 0.05 * Double(k)))
                insts.append(F.option("BPU\(k)\(d)", "BTC", .put, strike: strike, days: days, iv: 0.55 + 0.04 * Double(d),
                                      inverse: d == 2))
            }
            insts.append(F.option("EC\(k)", "ETH", .call, strike: strike / 16, days: 30, iv: 0.7))
        }
        return insts
    }

    func testScreenedLadderGivesIdenticalLiquidationPrices() throws {
        var insts = [F.perp("BP", "BTC", size: 0.001, mark: 50_010), F.perp("BIP", "BTC", linear: false, size: 100, mark: 50_005),
                     F.future("BF", "BTC", size: 0.01, mark: 50_300, days: 60), F.perp("EP", "ETH", size: 0.01, mark: 3_001)]
        insts += Self.screenOptions()
        let market = F.market(underlyings: [("BTC", 50_000, 0.03), ("ETH", 3_000, 0.03)], instruments: insts,
                              scenarios: F.grid(["BTC", "ETH"]))
        try checkScreenedLadder(market: market, insts: insts)
    }

    /// The same with option marks far from the model (×0.5 … ×1.5): the mark anchor of SPEC §6.2
    /// adds constants to every option value, which the screen's rounding scale must cover.
    func testScreenedLadderGivesIdenticalLiquidationPricesWithMarksOffModel() throws {
        var insts = [F.perp("BP", "BTC", size: 0.001, mark: 50_010), F.perp("EP", "ETH", size: 0.01, mark: 3_001)]
        insts += Self.screenOptions()
        var market = F.market(underlyings: [("BTC", 50_000, 0.03), ("ETH", 3_000, 0.03)], instruments: insts,
                              scenarios: F.grid(["BTC", "ETH"]))
        var rng = Rng(s: 0x0FF_0DE1)
        market.instruments = market.instruments.map { inst in
            var x = inst
            if case .option = inst.kind { x.markPrice = inst.markPrice * (0.5 + rng.unit()) }
            return x
        }
        try checkScreenedLadder(market: market, insts: market.instruments)
    }

    private func checkScreenedLadder(market: MarketSnapshot, insts: [Instrument]) throws {
        var rng = Rng(s: 0x5EED_0F_5C12_EE17)
        var found = 0, none = 0
        for book in 0..<24 {
            var positions: [Position] = []
            for inst in insts where rng.unit() < 0.6 {
                let q = ((rng.unit() - 0.5) * 40).rounded()
                if q != 0 { positions.append(F.pos(inst.id, q, 1)) }
            }
            // Collateral from thin to ample, so some books have roots near the index and some none.
            let usd = 2_000 * pow(2, Double(book % 8)) * (0.5 + rng.unit())
            let portfolio = Portfolio(positions: positions, collateral: [F.bal("USD", usd), F.bal("BTC", rng.unit())],
                                      marginMode: .portfolio)
            let screened = try RiskEngine.analyze(portfolio: portfolio, market: market)
            var full = AnalysisOptions()
            full.scenarioScreening = false
            let plain = try RiskEngine.analyze(portfolio: portfolio, market: market, options: full)
            XCTAssertEqual(screened.liquidation, plain.liquidation, "book \(book)")
            for l in plain.liquidation {
                if l.status == "ok" { found += 1 } else { none += 1 }
            }
        }
        // The comparison only means something if both kinds of outcome occur.
        XCTAssertGreaterThan(found, 5)
        XCTAssertGreaterThan(none, 0)
    }

    /// The screen on synthetic Lipschitz losses: its verdict equals the full one at every ratio, and
    /// it does skip work.
    func testVerdictMatchesFullEvaluationAndSkips() {
        var rng = Rng(s: 42)
        let n = 20
        let a = (0..<n).map { _ in (rng.unit() - 0.7) * 100 }
        let b = (0..<n).map { _ in (rng.unit() - 0.5) * 40 }
        let c = (0..<n).map { _ in rng.unit() * 30 }
        let k = (0..<n).map { _ in 1 + rng.unit() * 5 }
        func loss(_ s: Int, _ r: Double) -> Double { a[s] + b[s] * (r - 1) + c[s] * sin(k[s] * r) }
        func lossAndSlope(_ s: Int, _ r: Double) -> (value: Double, slope: Double) {
            (loss(s, r), b[s] + c[s] * k[s] * cos(k[s] * r))
        }
        // |loss − tangent| ≤ ½·|c|·k²·d² (the sine's second derivative), or 2·|c|·k·d.
        let curvature: (Int, Double, Double) -> Double = { s, d, _ in
            min(0.5 * abs(c[s]) * k[s] * k[s] * d * d, 2 * abs(c[s]) * k[s] * d)
        }
        func eq(_ r: Double) -> Double { 15 + 12 * (r - 1) }
        for curve in [nil, curvature] {
            var screen = ScenarioScreen(lipschitz: (0..<n).map { abs(b[$0]) + abs(c[$0] * k[$0]) },
                                        constant: (0..<n).map { abs(a[$0]) + abs(b[$0]) + abs(c[$0]) }, curvature: curve)
            var safeCount = 0, unsafeCount = 0
            for step in 0..<400 {
                let r = 0.2 + Double(step) * 0.01
                let full = eq(r) - 0.5 * max(0, (0..<n).map { loss($0, r) }.max()!) > 0
                let got = screen.isSafe(r: r, equity: eq(r), fraction: 0.5) { lossAndSlope($0, r) }
                XCTAssertEqual(got, full, "r = \(r)")
                if full { safeCount += 1 } else { unsafeCount += 1 }
            }
            XCTAssertGreaterThan(safeCount, 20)
            XCTAssertGreaterThan(unsafeCount, 20)
            print("screen (\(curve == nil ? "first order" : "second order")): \(safeCount) safe, \(unsafeCount) unsafe ratios; \(screen.evaluated) scenario evaluations, \(screen.skipped) skipped")
            XCTAssertGreaterThan(screen.skipped, screen.evaluated / 2)
        }

        // The exact maximum, on a coarse walk and then on the small steps a refinement takes.
        var maxScreen = ScenarioScreen(lipschitz: (0..<n).map { abs(b[$0]) + abs(c[$0] * k[$0]) },
                                       constant: (0..<n).map { abs(a[$0]) + abs(b[$0]) + abs(c[$0]) },
                                       curvature: curvature)
        var ratios = (0..<100).map { 0.2 + Double($0) * 0.04 }
        var x = 1.7, width = 0.05
        for _ in 0..<40 { ratios.append(x); width *= 0.6; x += width * (rng.unit() - 0.5) }
        for r in ratios {
            let full = max(0, (0..<n).map { loss($0, r) }.max()!)
            XCTAssertEqual(maxScreen.worst(r: r) { lossAndSlope($0, r) }, full, "r = \(r)")
        }
        XCTAssertGreaterThan(maxScreen.skipped, maxScreen.evaluated)
    }
}
