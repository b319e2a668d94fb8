import XCTest
@testable import RiskEngine

/// The liquidation cascade (SPEC.md §19): hand-worked cases, the depth and map parsers, and an
/// independent re-implementation of the cascade loop from the SPEC text compared on random books.
final class CascadeTests: XCTestCase {
    typealias F = MetricsFixture

    // MARK: fixtures

    /// One BTC underlying at 100,000 (rate 0), a linear perpetual and a linear 90-day future,
    /// both marked at the index; USD collateral without haircut, so hand arithmetic stays exact-ish.
    static func btcMarket(index: Double = 100_000) -> MarketSnapshot {
        var m = F.market(underlyings: [("BTC", index, 0), ("ETH", 4_000, 0)],
                         instruments: [F.perp("P", "BTC", size: 1, mark: index),
                                       F.future("FUT", "BTC", size: 1, mark: index, days: 90),
                                       F.perp("EP", "ETH", size: 1, mark: 4_000)])
        m.collateral[0].haircut = 0
        return m
    }

    static func book(_ mode: MarginMode, _ positions: [Position], usd: Double) -> Portfolio {
        Portfolio(positions: positions, collateral: [F.bal("USD", usd)], marginMode: mode)
    }

    static func linearDepth(_ points: [(Double, Double)], fee: Double, partial: PartialLiquidation = .tiers) -> DepthBook {
        let model = DepthModel.piecewiseLinear(points: points.map { (notional: $0.0, impact: $0.1) })
        return DepthBook(models: ["BTC": model, "ETH": model], liquidationFee: fee, partialLiquidation: partial)
    }

    func close(_ a: Double?, _ b: Double, _ tol: Double = 1e-9, _ what: String = "", file: StaticString = #filePath, line: UInt = #line) {
        guard let a else { XCTFail("\(what): nil, expected \(b)", file: file, line: line); return }
        XCTAssertLessThanOrEqual(abs(a - b), tol * max(1, abs(b)), "\(what): \(a) vs \(b)", file: file, line: line)
    }

    // MARK: depth models by hand

    func testImpactCurvesByHand() {
        // Piecewise linear: points (0,0) (50k, 0.1%) (200k, 0.5%).
        let pl = DepthModel.piecewiseLinear(points: [(0, 0), (50_000, 0.001), (200_000, 0.005)])
        // Q = 99,000: segment 1, s = 0.004/150,000; I = 0.001 + s·49,000.
        let s = 0.004 / 150_000
        let i1 = 0.001 + s * 49_000
        let area1 = 50_000 * 0.001 * 0.5 + 49_000 * (0.001 + i1) * 0.5
        var (i, a) = pl.impact(notional: 99_000)
        close(i, i1, 1e-14, "I(99k)"); close(a, area1 / 99_000, 1e-14, "Ī(99k)")
        XCTAssertEqual(i1, 0.0023066666666666667, accuracy: 1e-15)
        // Past the last point: extrapolated with the last slope. Q = 300k: I = 0.005 + s·100,000.
        (i, a) = pl.impact(notional: 300_000)
        close(i, 0.005 + s * 100_000, 1e-14, "I(300k)")
        let area2 = 25.0 + 150_000 * 0.006 * 0.5 + 100_000 * (0.005 + (0.005 + s * 100_000)) * 0.5
        close(a, area2 / 300_000, 1e-14, "Ī(300k)")
        // Capped at 99 %.
        XCTAssertEqual(pl.impact(notional: 1e12).final, 0.99)
        XCTAssertEqual(pl.impact(notional: 0).final, 0)
        // Square root: I = k·√(Q/V) = 0.05·√(3e8/3e10) = 0.005, Ī = ⅔ of it.
        let sq = DepthModel.squareRoot(coefficient: 0.05, dailyVolume: 3e10)
        (i, a) = sq.impact(notional: 3e8)
        close(i, 0.005, 1e-15, "sqrt I"); close(a, 0.005 * 2 / 3, 1e-15, "sqrt Ī")
    }

    // MARK: hand-worked case 1: isolated linear perpetual

    /// Long 1 BTC perpetual at 100,000, isolated, wallet = IM at entry = 0.8 % · 100,000 = 800.
    /// Binance LP = (800 − 100,000)/(0.004 − 1) = 99,598.39: a −0.3 % shock (99,700) is safe,
    /// a −0.5 % shock (99,500) puts the position equity 800 − 500 = 300 below MM 0.4 %·99,500 = 398.
    /// Depth: (0,0)–(1M, 0.1 %), fee 0.2 %. The liquidation sells Q = 99,500:
    /// I = 0.001·99,500/10⁶ = 9.95e-5, Ī = I/2 = 4.975e-5; fills at 99,500·(1 − Ī) = 99,495.049875,
    /// realized −504.950125, fee 199, cash −703.950125 (within the 800 wallet: nothing beyond it);
    /// index after 99,500·(1 − I) = 99,490.09975; equity 10,000 − 703.950125 = 9,296.049875.
    func testHandWorkedIsolatedLinearPerpetual() throws {
        let m = Self.btcMarket()
        let pf = Self.book(.isolated, [F.pos("P", 1, 100_000)], usd: 10_000)
        let depth = Self.linearDepth([(0, 0), (1_000_000, 0.001)], fee: 0.002)

        let report = try RiskEngine.analyze(portfolio: pf, market: m)
        close(report.isolatedPositions[0].liquidationPrice, (800 - 100_000) / (0.004 - 1), 1e-12, "Binance LP")
        close(report.isolatedPositions[0].wallet, 800, 1e-12, "wallet")

        let safe = try Cascade.run(portfolio: pf, market: m, depth: depth, map: nil, shocks: ["BTC": -0.003])
        XCTAssertEqual(safe.status, "stable")
        XCTAssertEqual(safe.steps.count, 1)
        close(safe.steps[0].equity, 10_000 - 300, 1e-9, "equity after −0.3 %")

        let r = try Cascade.run(portfolio: pf, market: m, depth: depth, map: nil, shocks: ["BTC": -0.005])
        XCTAssertEqual(r.status, "stable")
        XCTAssertEqual(r.steps.map(\.kind), ["shock", "isolated_liquidation"])
        close(r.steps[0].equity, 9_500, 1e-9, "equity after the shock")
        close(r.steps[0].maintenance, 398, 1e-9, "MM after the shock")
        let s = r.steps[1]
        XCTAssertEqual(s.instrument, "P"); XCTAssertEqual(s.side, "sell")
        XCTAssertEqual(s.quantity, 1); XCTAssertEqual(s.fraction, 1)
        close(s.notional, 99_500, 1e-12, "Q")
        close(s.impactPercent, -9.95e-3, 1e-9, "impact %")
        close(s.indexBefore, 99_500, 1e-12, "index before")
        close(s.executionIndex, 99_495.049875, 1e-12, "execution")
        close(s.indexAfter, 99_490.09975, 1e-12, "index after")
        close(s.realizedValue, -504.950125, 1e-9, "realized")
        close(s.fee, 199, 1e-12, "fee")
        close(s.lossBeyondWallet, 0, 1e-12, "beyond wallet")
        close(s.equity, 9_296.049875, 1e-12, "equity after")
        XCTAssertEqual(s.maintenance, 0)
        XCTAssertEqual(r.summary.positionsRemaining, 0)
        close(r.summary.finalIndices[0].index, 99_490.09975, 1e-12, "final index")

        // A fee of 0.5 % takes the loss past the wallet: the account loses only the wallet.
        let capped = try Cascade.run(portfolio: pf, market: m, depth: Self.linearDepth([(0, 0), (1_000_000, 0.001)], fee: 0.005),
                                     map: nil, shocks: ["BTC": -0.005])
        let c = capped.steps[1]
        close(c.fee, 497.5, 1e-12, "fee 0.5 %")
        close(c.lossBeyondWallet, 504.950125 + 497.5 - 800, 1e-9, "loss beyond wallet")
        close(c.equity, 10_000 - 800, 1e-12, "equity: the wallet is lost")
    }

    // MARK: hand-worked case 2: cross account, the first liquidation triggers the second

    /// Cross: long 2 perpetuals and 1 future (both BTC, marked at the index) at 100,000, USD 12,000.
    /// MM = 0.4 % of 3·S (first bracket). Shock −3.7 %: S = 96,300, equity 12,000 − 3·3,700 = 900,
    /// MM 1,155.6: liquidatable. Depth I = 10⁻⁸·Q (1 % per 1M), fee 0.1 %.
    ///
    /// Step 1: the perpetual has the larger delta exposure (192,600 vs 96,300) and sits in the first
    /// bracket: closed. Q = 192,600, I = 0.001926, Ī = 0.000963; fill 96,300·(1 − Ī) = 96,207.2631,
    /// realized 2·(96,207.2631 − 100,000) = −7,585.4738, fee 192.6; S' = 96,300·(1 − I) = 96,114.5262;
    /// equity 12,000 − 7,778.0738 + (S' − 100,000) = 336.4524 ≤ MM 0.004·S' = 384.4581: the
    /// liquidation's own impact takes the future to maintenance.
    /// Step 2: the future, Q = S', I = 10⁻⁸·S', fill S'·(1 − I/2), fee 0.001·S'; then nothing is left.
    func testHandWorkedCrossSecondLiquidationTriggeredByTheFirst() throws {
        let m = Self.btcMarket()
        let pf = Self.book(.cross, [F.pos("P", 2, 100_000), F.pos("FUT", 1, 100_000)], usd: 12_000)
        let depth = Self.linearDepth([(0, 0), (1_000_000, 0.01)], fee: 0.001)
        let r = try Cascade.run(portfolio: pf, market: m, depth: depth, map: nil, shocks: ["BTC": -0.037])
        XCTAssertEqual(r.steps.map(\.kind), ["shock", "account_liquidation", "account_liquidation"])
        XCTAssertEqual(r.status, "stable")
        close(r.steps[0].equity, 900, 1e-9, "equity after the shock")
        close(r.steps[0].maintenance, 1_155.6, 1e-9, "MM after the shock")

        let s0 = 96_300.0
        let q1 = 2 * s0, i1 = 1e-8 * q1, a1 = i1 / 2
        let x1 = s0 * (1 - a1), s1 = s0 * (1 - i1)
        let cash1 = 2 * (x1 - 100_000) - 0.001 * q1
        let st1 = r.steps[1]
        XCTAssertEqual(st1.instrument, "P"); XCTAssertEqual(st1.fraction, 1)
        close(st1.notional, q1, 1e-12, "Q1")
        close(st1.executionIndex, x1, 1e-12, "fill 1"); close(x1, 96_207.2631, 1e-9)
        close(st1.indexAfter, s1, 1e-12, "S'"); close(s1, 96_114.5262, 1e-9)
        close(st1.realizedValue, 2 * (x1 - 100_000), 1e-9, "realized 1")
        close(st1.equity, 12_000 + cash1 + (s1 - 100_000), 1e-9, "equity 1"); close(st1.equity, 336.4524, 1e-7)
        close(st1.maintenance, 0.004 * s1, 1e-9, "MM 1")
        XCTAssertTrue(st1.liquidatable)

        let q2 = s1, i2 = 1e-8 * q2, x2 = s1 * (1 - i2 / 2), s2 = s1 * (1 - i2)
        let cash2 = cash1 + (x2 - 100_000) - 0.001 * q2
        let st2 = r.steps[2]
        XCTAssertEqual(st2.instrument, "FUT")
        close(st2.notional, q2, 1e-12, "Q2")
        close(st2.executionIndex, x2, 1e-12, "fill 2")
        close(st2.indexAfter, s2, 1e-12, "S''")
        close(st2.equity, 12_000 + cash2, 1e-9, "equity 2"); close(st2.equity, 194.1478, 1e-6)
        XCTAssertEqual(st2.maintenance, 0)
        XCTAssertEqual(r.summary.accountLiquidations, 2)
    }

    /// Tiers: a 5 BTC long (notional 5·S in the 300k–800k bracket) is cut to 300,000 of notional
    /// first (keep = 300,000/N), Binance style; `"full"` closes it at once.
    func testPartialLiquidationDownTheTiers() throws {
        let m = Self.btcMarket()
        let pf = Self.book(.cross, [F.pos("P", 5, 100_000)], usd: 12_000)
        let depth = Self.linearDepth([(0, 0), (1_000_000, 0.001)], fee: 0.0005)
        let r = try Cascade.run(portfolio: pf, market: m, depth: depth, map: nil, shocks: ["BTC": -0.02])
        let st = r.steps[1]
        XCTAssertEqual(st.kind, "account_liquidation")
        let n = 5 * 98_000.0
        close(st.fraction, 1 - 300_000 / n, 1e-12, "fraction")
        close(st.notional, n - 300_000, 1e-9, "Q: down to the bracket bound")
        close(st.quantity, 5 - 5 * (300_000 / n), 1e-9, "contracts closed")
        let full = try Cascade.run(portfolio: pf, market: m, depth: Self.linearDepth([(0, 0), (1_000_000, 0.001)], fee: 0.0005, partial: .full),
                                   map: nil, shocks: ["BTC": -0.02])
        XCTAssertEqual(full.steps[1].fraction, 1)
        close(full.steps[1].notional, n, 1e-12, "full Q")
    }

    // MARK: the map deepens the move; wipe-out

    /// Cross long 2 BTC at 100,000 with USD 4,000: MM = 0.8 %·S, liquidation where
    /// 4,000 + 2·(S − 100,000) = 0.008·S, S = 196,000/1.992 = 98,393.6. A −1 % shock (99,000) is
    /// safe on its own. With the map, other participants' long liquidations at 99,500 (8M notional,
    /// crossed by the shock) sell through the depth curve: I = 0.01·8M/10M = 0.8 %, index
    /// 99,000·0.992 = 98,208 — through the account's level, which is then liquidated. The 97,000
    /// level is never reached; the shorts' level above the index never fires.
    func testLiquidationMapDeepensTheMove() throws {
        let m = Self.btcMarket()
        let pf = Self.book(.cross, [F.pos("P", 2, 100_000)], usd: 4_000)
        let depth = Self.linearDepth([(0, 0), (10_000_000, 0.01), (100_000_000, 0.05)], fee: 0.001)
        let alone = try Cascade.run(portfolio: pf, market: m, depth: depth, map: nil, shocks: ["BTC": -0.01])
        XCTAssertEqual(alone.status, "stable")
        XCTAssertEqual(alone.summary.accountLiquidations, 0)

        let map = LiquidationMap(levels: ["BTC": [
            LiquidationLevel(price: 97_000, longLiquidations: 30_000_000, shortLiquidations: 0),
            LiquidationLevel(price: 99_500, longLiquidations: 8_000_000, shortLiquidations: 0),
            LiquidationLevel(price: 101_000, longLiquidations: 0, shortLiquidations: 50_000_000)]])
        let r = try Cascade.run(portfolio: pf, market: m, depth: depth, map: map, shocks: ["BTC": -0.01])
        XCTAssertEqual(r.steps.map(\.kind), ["shock", "market_liquidations", "account_liquidation"])
        XCTAssertEqual(r.status, "stable")
        let mk = r.steps[1]
        XCTAssertEqual(mk.levels, [99_500]); XCTAssertEqual(mk.side, "sell")
        close(mk.notional, 8_000_000, 1e-15, "map order")
        close(mk.indexAfter, 99_000 * (1 - 0.008), 1e-12, "index after the map step")
        close(mk.equity, 4_000 + 2 * (98_208 - 100_000), 1e-9, "equity after the map step")
        XCTAssertTrue(mk.liquidatable)
        XCTAssertLessThan(r.summary.finalIndices[0].index, alone.summary.finalIndices[0].index)
        XCTAssertLessThan(r.summary.finalEquity, alone.summary.finalEquity)
        close(r.summary.marketNotional, 8_000_000, 1e-15, "market notional")
    }

    /// Wiped out by the shock alone (equity 5,000 − 2·5,000 < 0: nothing is liquidated), and by the
    /// cascade: long 2 BTC, short 10 ETH, USD 12,000, shock −5.6 %: equity 800 ≤ MM 755.2 + 160;
    /// selling 2 BTC (Q = 188,800, I = 0.1888 %, fills 0.0944 % lower) costs about 178 of impact
    /// and 944 of fee (0.5 %): equity ≈ −322 after the first liquidation.
    func testWipeOut() throws {
        let m = Self.btcMarket()
        let depth = Self.linearDepth([(0, 0), (1_000_000, 0.01)], fee: 0.005)
        let atOnce = try Cascade.run(portfolio: Self.book(.cross, [F.pos("P", 2, 100_000), F.pos("EP", -10, 4_000)], usd: 5_000),
                                     market: m, depth: depth, map: nil, shocks: ["BTC": -0.05])
        XCTAssertEqual(atOnce.status, "wiped_out")
        XCTAssertEqual(atOnce.steps.count, 1)
        XCTAssertNil(atOnce.steps[0].marginRatio)

        let pf = Self.book(.cross, [F.pos("P", 2, 100_000), F.pos("EP", -10, 4_000)], usd: 12_000)
        let r = try Cascade.run(portfolio: pf, market: m, depth: depth, map: nil, shocks: ["BTC": -0.056])
        XCTAssertEqual(r.steps.map(\.kind), ["shock", "account_liquidation"])
        XCTAssertEqual(r.status, "wiped_out")
        close(r.steps[0].equity, 800, 1e-9, "equity after the shock")
        XCTAssertEqual(r.steps[1].instrument, "P")
        let s = 94_400.0, q = 2 * s, i = 1e-8 * q
        let expected = 12_000 + 2 * (s * (1 - i / 2) - 100_000) - 0.005 * q
        close(r.steps[1].equity, expected, 1e-9, "equity after the liquidation")
        XCTAssertLessThanOrEqual(r.summary.finalEquity, 0)
        XCTAssertNil(r.summary.finalMarginRatio)
    }

    /// The cascade's trigger is the engine's liquidation function: just above the reported cross
    /// liquidation price nothing happens, just below it the account is liquidated.
    func testTriggerAgreesWithTheEngineLiquidationPrice() throws {
        let m = F.market(underlyings: [("BTC", 97_000, 0.03), ("ETH", 3_600, 0.03)],
                         instruments: [F.perp("P", "BTC", size: 1, mark: 97_050),
                                       F.option("C", "BTC", .call, strike: 100_000, days: 30, iv: 0.6),
                                       F.perp("EP", "ETH", size: 1, mark: 3_601)],
                         scenarios: F.grid(["BTC", "ETH"]))
        var tested = 0
        for mode in [MarginMode.cross, .portfolio, .isolated] {
            let pf = Portfolio(positions: [F.pos("P", 10, 95_000), F.pos("C", -4, 2_000), F.pos("EP", -20, 3_500)],
                               collateral: [F.bal("USD", 140_000)], marginMode: mode)
            let report = try RiskEngine.analyze(portfolio: pf, market: m)
            // The moved snapshot at ratio 1 is the snapshot: the same report.
            let same = try RiskEngine.movedReport(portfolio: pf, market: m, table: UnitRiskTable(market: m), ratios: [1, 1])
            XCTAssertEqual(same.margin, report.margin, "\(mode)")
            guard mode != .isolated, let nearest = report.liquidation[0].nearest else { continue }
            tested += 1
            let depth = DepthBook(models: ["BTC": .squareRoot(coefficient: 0.01, dailyVolume: 1e10),
                                           "ETH": .squareRoot(coefficient: 0.01, dailyVolume: 1e10)], liquidationFee: 0.001)
            let move = nearest / 97_000 - 1
            let outward = move < 0 ? -1e-6 : 1e-6
            let above = try Cascade.run(portfolio: pf, market: m, depth: depth, map: nil, shocks: ["BTC": move - outward])
            XCTAssertEqual(above.steps.count, 1, "\(mode): just above the liquidation price")
            XCTAssertFalse(above.steps[0].liquidatable)
            let under = try Cascade.run(portfolio: pf, market: m, depth: depth, map: nil, shocks: ["BTC": move + outward])
            XCTAssertTrue(under.steps[0].liquidatable, "\(mode)")
            XCTAssertEqual(under.steps[1].kind, "account_liquidation", "\(mode)")
            // g at the liquidation price is ~0 on the ladder too.
            let ladder = try RiskEngine.liquidationLadder(portfolio: pf, market: m, underlying: "BTC", ratios: [nearest / 97_000])
            XCTAssertLessThan(abs(ladder[0].equity - ladder[0].maintenance), 1e-6 * ladder[0].equity, "\(mode)")
        }
        XCTAssertEqual(tested, 2, "cross and portfolio mode both have a liquidation price")
    }

    // MARK: parsers

    func parseDepth(_ s: String) -> InputError? {
        do { _ = try DepthBook.parse(Array(s.utf8), market: Self.btcMarket()); return nil } catch { return error }
    }
    func parseMap(_ s: String) -> InputError? {
        do { _ = try LiquidationMap.parse(Array(s.utf8), market: Self.btcMarket()); return nil } catch { return error }
    }

    func testDepthParser() throws {
        let ok = #"{"schema":"riskattest.depth/1","liquidation_fee":0.005,"underlyings":{"BTC":{"type":"square_root","coefficient":0.05,"daily_volume":3e10},"ETH":{"type":"piecewise_linear","points":[[0,0],[1e6,0.001],[1e7,0.004]]}}}"#
        let d = try DepthBook.parse(Array(ok.utf8), market: Self.btcMarket())
        XCTAssertEqual(d.models["BTC"], .squareRoot(coefficient: 0.05, dailyVolume: 3e10))
        XCTAssertEqual(d.partialLiquidation, .tiers); XCTAssertEqual(d.maxSteps, 1000)

        func bad(_ text: String, _ path: String, _ contains: String, line: UInt = #line) {
            guard let e = parseDepth(text) else { XCTFail("accepted", line: line); return }
            XCTAssertEqual(e.path, path, e.message, line: line)
            XCTAssertTrue(e.message.contains(contains), e.message, line: line)
        }
        let head = #"{"schema":"riskattest.depth/1","liquidation_fee":0.005,"underlyings":{"BTC":"#
        bad(head + #"{"type":"square_root","coefficient":0.05,"daily_volume":3e10,"depth":1}}}"#, "underlyings.BTC.depth", "unknown field")
        bad(head + #"{"type":"square_root","coefficient":0.05,"daily_volume":-3e10}}}"#, "underlyings.BTC.daily_volume", "must be positive")
        bad(head + #"{"type":"piecewise_linear","points":[[0,0],[1e6,0.002],[5e5,0.003]]}}}"#, "underlyings.BTC.points[2][0]", "not monotone")
        bad(head + #"{"type":"piecewise_linear","points":[[0,0],[1e6,0.002],[5e6,0.001]]}}}"#, "underlyings.BTC.points[2][1]", "not monotone")
        bad(head + #"{"type":"piecewise_linear","points":[[0,0],[-1e6,0.002]]}}}"#, "underlyings.BTC.points[1][0]", "must not be negative")
        bad(head + #"{"type":"piecewise_linear","points":[[1,0],[1e6,0.002]]}}}"#, "underlyings.BTC.points[0]", "[0, 0]")
        bad(head + #"{"type":"cubic"}}}"#, "underlyings.BTC.type", "not one of")
        bad(#"{"schema":"riskattest.depth/1","liquidation_fee":0.005,"underlyings":{"XRP":{"type":"square_root","coefficient":1,"daily_volume":1}}}"#,
            "underlyings.XRP", "unknown underlying")
        bad(#"{"schema":"riskattest.depth/1","liquidation_fee":0.5,"underlyings":{}}"#, "liquidation_fee", "out of range")
        bad(#"{"schema":"riskattest.depth/1","liquidation_fee":0.005,"underlyings":{},"extra":1}"#, "extra", "unknown field")
        bad(#"{"schema":"riskattest.depth/2","liquidation_fee":0.005,"underlyings":{}}"#, "schema", "expected")

        // An underlying the book trades needs a model.
        let none = DepthBook(models: [:], liquidationFee: 0)
        XCTAssertThrowsError(try Cascade.run(portfolio: Self.book(.cross, [F.pos("P", 1, 100_000)], usd: 1_000), market: Self.btcMarket(),
                                             depth: none, map: nil, shocks: [:])) { e in
            XCTAssertEqual((e as? InputError)?.path, "depth:underlyings")
        }
    }

    func testMapParser() throws {
        let ok = #"{"schema":"riskattest.liquidation-map/1","underlyings":{"BTC":[{"price":95000,"long_liquidations":1e7,"short_liquidations":0}]}}"#
        XCTAssertEqual(try LiquidationMap.parse(Array(ok.utf8), market: Self.btcMarket()).levels["BTC"]?.count, 1)
        func bad(_ text: String, _ path: String, _ contains: String, line: UInt = #line) {
            guard let e = parseMap(text) else { XCTFail("accepted", line: line); return }
            XCTAssertEqual(e.path, path, e.message, line: line)
            XCTAssertTrue(e.message.contains(contains), e.message, line: line)
        }
        let head = #"{"schema":"riskattest.liquidation-map/1","underlyings":{"BTC":["#
        bad(head + #"{"price":95000,"long_liquidations":-1,"short_liquidations":0}]}}"#, "underlyings.BTC[0].long_liquidations", "must not be negative")
        bad(head + #"{"price":95000,"long_liquidations":1,"short_liquidations":0,"x":1}]}}"#, "underlyings.BTC[0].x", "unknown field")
        bad(head + #"{"price":95000,"long_liquidations":1,"short_liquidations":0},{"price":94000,"long_liquidations":1,"short_liquidations":0}]}}"#,
            "underlyings.BTC[1].price", "strictly increase")
        bad(#"{"schema":"riskattest.liquidation-map/1","underlyings":{"DOGE":[]}}"#, "underlyings.DOGE", "unknown underlying")
    }

    // MARK: independent calculation

    /// A from-scratch implementation of §19 for books of linear perpetuals and futures marked at
    /// their index (cross and isolated), written from the SPEC text with plain arithmetic — no
    /// engine code beyond the depth curves (checked by hand above) — and compared step by step
    /// with `Cascade.run` on random books, shocks, fees, depth curves and maps.
    func testIndependentReimplementationOnRandomBooks() throws {
        var rng = SplitMix64(seed: 0xCA5CADE)
        let m = Self.btcMarket()
        let tiers = F.linearTiers
        let instruments = ["P": 0, "FUT": 0, "EP": 1]      // underlying index
        let s0 = [100_000.0, 4_000.0]
        func tier(_ n: Double) -> MarginTier { MarginRules.tier(for: n, in: tiers)! }
        func mm(_ n: Double) -> Double { n > 0 ? max(0, n * tier(n).maintenanceRate - tier(n).cumulativeDeduction) : 0 }
        var compared = 0, liquidations = 0, wiped = 0, marketSteps = 0

        for trial in 0..<200 {
            let mode: MarginMode = rng.next() % 2 == 0 ? .cross : .isolated
            var positions: [Position] = []
            for _ in 0..<(1 + Int(rng.next() % 3)) {
                let id = ["P", "FUT", "EP"][Int(rng.next() % 3)]
                let u = instruments[id]!
                let q = (rng.unit() * 6 - 3).rounded(toPlaces: 2)
                guard q != 0 else { continue }
                let entry = (s0[u] * (0.97 + 0.06 * rng.unit())).rounded(toPlaces: 1)
                var p = F.pos(id, q, entry)
                p.account = "a\(positions.count)"     // separate positions of one instrument
                positions.append(p)
            }
            guard !positions.isEmpty else { continue }
            let usd = (2_000 + rng.unit() * 20_000).rounded()
            let fee = [0.0, 0.0005, 0.002][Int(rng.next() % 3)]
            let points: [(Double, Double)] = rng.next() % 2 == 0
                ? [(0, 0), (200_000, 0.002 * rng.unit()), (1_000_000, 0.004 + 0.01 * rng.unit())]
                : [(0, 0), (1_000_000, 0.03 * rng.unit())]
            let partial: PartialLiquidation = rng.next() % 3 == 0 ? .full : .tiers
            let depth = Self.linearDepth(points, fee: fee, partial: partial)
            let shocks = ["BTC": -0.12 * rng.unit(), "ETH": 0.12 * rng.unit() - 0.06]
            var map: LiquidationMap? = nil
            if rng.next() % 2 == 0 {
                map = LiquidationMap(levels: ["BTC": [
                    LiquidationLevel(price: 90_000 + 8_000 * rng.unit(), longLiquidations: 3e5 * rng.unit(), shortLiquidations: 0),
                    LiquidationLevel(price: 99_000, longLiquidations: 2e5 * rng.unit(), shortLiquidations: 1e5)]])
            }
            let pf = Portfolio(positions: positions, collateral: [F.bal("USD", usd)], marginMode: mode)
            let engine = try Cascade.run(portfolio: pf, market: m, depth: depth, map: map, shocks: shocks)

            // ---- the reference, from SPEC §19 ----
            struct Ref { var kind: String; var index: [Double]; var equity: Double; var mm: Double }
            var r = [1 + shocks["BTC"]!, 1 + shocks["ETH"]!]
            var qs = positions.map(\.quantity)
            var alive = positions.map { _ in true }
            var cash = 0.0
            let uOf = positions.map { instruments[$0.instrument]! }
            func equity(_ qs: [Double], _ alive: [Bool], _ r: [Double]) -> Double {
                var e = usd + cash
                for k in positions.indices where alive[k] { e += qs[k] * (s0[uOf[k]] * r[uOf[k]] - positions[k].entryPrice) }
                return e
            }
            func nets(_ qs: [Double], _ alive: [Bool]) -> [String: Double] {
                var n: [String: Double] = [:]
                for k in positions.indices where alive[k] { n[positions[k].instrument, default: 0] += qs[k] }
                return n
            }
            func maintenance(_ qs: [Double], _ alive: [Bool], _ r: [Double]) -> Double {
                if mode == .isolated {
                    var t = 0.0
                    for k in positions.indices where alive[k] { t += mm(abs(qs[k]) * s0[uOf[k]] * r[uOf[k]]) }
                    return t
                }
                var t = 0.0
                for id in ["P", "FUT", "EP"] { if let q = nets(qs, alive)[id] { t += mm(abs(q) * s0[instruments[id]!] * r[instruments[id]!]) } }
                return t
            }
            func wallet(_ k: Int) -> Double {
                let n = abs(positions[k].quantity) * positions[k].entryPrice
                return n * tier(n).initialRate
            }
            func model(_ u: Int) -> DepthModel { depth.models[u == 0 ? "BTC" : "ETH"]! }
            let levels = map?.levels["BTC"] ?? []
            var longDone = levels.map { !($0.price < s0[0]) || $0.longLiquidations == 0 }
            var shortDone = levels.map { !($0.price > s0[0]) || $0.shortLiquidations == 0 }
            var ref: [Ref] = [Ref(kind: "shock", index: [s0[0] * r[0], s0[1] * r[1]], equity: equity(qs, alive, r), mm: maintenance(qs, alive, r))]
            var status = "stable"
            func order(_ ks: [Int], keep: Double, isolated: Bool) {
                let u = uOf[ks[0]]
                let net = ks.reduce(0.0) { $0 + qs[$1] }
                let n = abs(net) * s0[u] * r[u]
                let q = keep == 0 ? n : n - n * keep
                let d: Double = net > 0 ? -1 : 1
                let (i, a) = model(u).impact(notional: q)
                let x = s0[u] * r[u] * (1 + d * a)
                var change = -depth.liquidationFee * q
                for k in ks { change += qs[k] * (1 - keep) * (x - positions[k].entryPrice) }
                if isolated { change = max(change, -wallet(ks[0])) }
                cash += change
                for k in ks { if keep == 0 { alive[k] = false } else { qs[k] *= keep } }
                r[u] *= 1 + d * i
            }
            var steps = 0
            while true {
                let e = equity(qs, alive, r), mmv = maintenance(qs, alive, r)
                if e <= 0 { status = "wiped_out"; break }
                var kind: String? = nil
                let index = s0[0] * r[0]
                var fired = false, buys = 0.0, sells = 0.0
                for j in levels.indices {
                    if !longDone[j] && index <= levels[j].price { sells += levels[j].longLiquidations; fired = true }
                    if !shortDone[j] && index >= levels[j].price { buys += levels[j].shortLiquidations; fired = true }
                }
                var isoPick: Int? = nil
                var accountPick: ([Int], Double)? = nil
                if fired { kind = "market_liquidations" }
                else if mode == .isolated {
                    var best: (Int, Double)? = nil
                    for k in positions.indices where alive[k] {
                        let u = uOf[k], s = s0[u] * r[u]
                        let pe = wallet(k) + qs[k] * (s - positions[k].entryPrice), pm = mm(abs(qs[k]) * s)
                        if pe <= pm && (best == nil || pe - pm < best!.1) { best = (k, pe - pm) }
                    }
                    if let b = best { isoPick = b.0; kind = "isolated_liquidation" }
                } else if e <= mmv {
                    var best: (String, Double)? = nil
                    for id in ["P", "FUT", "EP"] {     // universe order
                        guard let q = nets(qs, alive)[id], q != 0 else { continue }
                        let u = instruments[id]!
                        let risk = abs(q * s0[u] * r[u])
                        if best == nil || risk > best!.1 { best = (id, risk) }
                    }
                    if let (id, _) = best {
                        let ks = positions.indices.filter { alive[$0] && positions[$0].instrument == id }
                        let u = instruments[id]!
                        let n = abs(nets(qs, alive)[id]!) * s0[u] * r[u]
                        var keep = 0.0
                        if partial == .tiers {
                            let b = tiers.firstIndex { $0.maxNotional == nil || n / (1 + 1e-12) <= $0.maxNotional! }!
                            if b > 0 { keep = tiers[b - 1].maxNotional! / n }
                        }
                        accountPick = (ks, keep); kind = "account_liquidation"
                    } else { status = "below_maintenance_nothing_to_liquidate"; break }
                }
                guard let k = kind else { break }
                if steps >= depth.maxSteps { status = "step_limit"; break }
                steps += 1
                if k == "market_liquidations" {
                    for j in levels.indices {
                        if index <= levels[j].price { longDone[j] = true }
                        if index >= levels[j].price { shortDone[j] = true }
                    }
                    let net = buys - sells
                    let (i, _) = model(0).impact(notional: abs(net))
                    r[0] *= 1 + (net > 0 ? 1 : -1) * i
                } else if let p = isoPick {
                    order([p], keep: 0, isolated: true)
                } else if let (ks, keep) = accountPick {
                    order(ks, keep: keep, isolated: false)
                }
                ref.append(Ref(kind: k, index: [s0[0] * r[0], s0[1] * r[1]], equity: equity(qs, alive, r), mm: maintenance(qs, alive, r)))
            }

            let label = "trial \(trial) \(mode) \(positions.map { "\($0.instrument) \($0.quantity)@\($0.entryPrice)" }) usd \(usd) shocks \(shocks)"
            XCTAssertEqual(engine.status, status, label)
            XCTAssertEqual(engine.steps.map(\.kind), ref.map(\.kind), label)
            for (a, b) in zip(engine.steps, ref) {
                for u in 0..<2 { close(a.indices[u].index, b.index[u], 1e-10, "\(label) step \(a.step) index \(u)") }
                XCTAssertLessThanOrEqual(abs(a.equity - b.equity), 1e-9 * (usd + 1e6), "\(label) step \(a.step) equity")
                XCTAssertLessThanOrEqual(abs(a.maintenance - b.mm), 1e-9 * 1e6, "\(label) step \(a.step) MM")
            }
            compared += 1
            liquidations += engine.summary.accountLiquidations
            marketSteps += engine.summary.marketSteps
            if status == "wiped_out" { wiped += 1 }
        }
        // The random books must exercise the interesting paths.
        XCTAssertGreaterThan(compared, 150)
        XCTAssertGreaterThan(liquidations, 40)
        XCTAssertGreaterThan(marketSteps, 5)
        XCTAssertGreaterThan(wiped, 0)
    }
}

extension SplitMix64 {
    mutating func unit() -> Double { uniform(0, 1) }
}

extension Double {
    func rounded(toPlaces n: Int) -> Double {
        var p = 1.0
        for _ in 0..<n { p *= 10 }
        return (self * p).rounded() / p
    }
}
