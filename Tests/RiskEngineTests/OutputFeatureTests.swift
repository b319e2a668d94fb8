import XCTest
@testable import RiskEngine

/// The risk-desk output features (SPEC §6.9, §6.10, §7.1, §7.3): the price × vol stress matrix,
/// what-if trades, desk units and numbers printed as their decimal inputs. Expected numbers are
/// worked by hand; the matrix is checked against the engine's own stress table bit for bit.
final class OutputFeatureTests: XCTestCase {
    typealias F = MetricsFixture

    /// BTC at 100,000 and ETH at 4,000 (rate 0), options and futures on both, USD without haircut.
    private func market(scenarios: [Scenario] = []) -> MarketSnapshot {
        var m = F.market(underlyings: [("BTC", 100_000, 0), ("ETH", 4_000, 0)], instruments: [
            F.perp("BTC-PERP", "BTC", size: 1, mark: 100_000),
            F.perp("BTC-INV", "BTC", linear: false, size: 100, mark: 100_000),
            F.option("BTC-C", "BTC", .call, strike: 110_000, days: 30, iv: 0.5, mark: 1_500),
            F.option("BTC-P", "BTC", .put, strike: 90_000, days: 30, iv: 0.6, inverse: true, mark: 1_000),
            F.perp("ETH-PERP", "ETH", size: 1, mark: 4_000),
            F.option("ETH-C", "ETH", .call, strike: 4_400, days: 60, iv: 0.7, mark: 150),
        ], scenarios: scenarios)
        m.collateral[0].haircut = 0
        return m
    }

    private func book(_ mode: MarginMode = .cross) -> Portfolio {
        Portfolio(positions: [F.pos("BTC-PERP", 2, 99_000), F.pos("BTC-C", -3, 1_400), F.pos("BTC-P", 4, 0.012),
                              F.pos("ETH-PERP", -5, 4_100), F.pos("ETH-C", 10, 120)],
                  collateral: [F.bal("USD", 200_000), F.bal("BTC", 1)], marginMode: mode)
    }

    // MARK: stress matrix

    func testMatrixZeroCellIsExactlyZero() throws {
        let m = market(scenarios: F.grid(["BTC", "ETH"]))
        for mode in MarginMode.allCases {
            let sm = try StressMatrix.compute(portfolio: book(mode), market: m)
            XCTAssertEqual(sm.moves, StressMatrix.defaultMoves)
            XCTAssertEqual(sm.volShifts, StressMatrix.defaultVolShifts)
            XCTAssertEqual(sm.underlyings.map(\.underlying), ["BTC", "ETH"])
            for g in sm.underlyings {
                let i = try XCTUnwrap(sm.moves.firstIndex(of: 0)), j = try XCTUnwrap(sm.volShifts.firstIndex(of: 0))
                XCTAssertEqual(g.pnl[i][j].bitPattern, (0.0).bitPattern, "\(g.underlying) 0/0 cell is +0 exactly")
                XCTAssertEqual(g.pnl.count, 9); XCTAssertTrue(g.pnl.allSatisfy { $0.count == 5 })
            }
        }
    }

    /// Every cell is the stress-table P&L (U's share) of the same scenario written into a snapshot,
    /// bit for bit; for a book holding only BTC risk it is also the scenario's total P&L.
    func testMatrixCellEqualsStressTableOfEquivalentScenario() throws {
        let sm = try StressMatrix.compute(portfolio: book(), market: market())
        for (ui, u) in ["BTC", "ETH"].enumerated() {
            for (i, mv) in sm.moves.enumerated() {
                for (j, s) in sm.volShifts.enumerated() {
                    let snap = market(scenarios: [Scenario(name: "eq", priceMoves: [u: mv], volShock: .absolute(s), weight: 1)])
                    let r = try RiskEngine.analyze(portfolio: book(), market: snap)
                    XCTAssertEqual(sm.underlyings[ui].pnl[i][j].bitPattern, r.stress[0].pnlByUnderlying[ui].move.bitPattern,
                                   "\(u) move \(mv) shift \(s)")
                }
            }
        }
        // BTC-only book: the cell is the whole stress P&L.
        let btcOnly = Portfolio(positions: [F.pos("BTC-PERP", 2, 99_000), F.pos("BTC-C", -3, 1_400)],
                                collateral: [F.bal("USD", 200_000)], marginMode: .cross)
        let sm2 = try StressMatrix.compute(portfolio: btcOnly, market: market(), moves: [-0.15], volShifts: [0.1])
        let snap = market(scenarios: [Scenario(name: "eq", priceMoves: ["BTC": -0.15], volShock: .absolute(0.1), weight: 1)])
        let r = try RiskEngine.analyze(portfolio: btcOnly, market: snap)
        XCTAssertEqual(sm2.underlyings[0].pnl[0][0].bitPattern, r.stress[0].pnl.bitPattern)
        // Hand check of the linear part: the perpetual alone moves 2 · 100,000 · −0.15 = −30,000.
        let perpOnly = Portfolio(positions: [F.pos("BTC-PERP", 2, 99_000)], collateral: [], marginMode: .cross)
        let sm3 = try StressMatrix.compute(portfolio: perpOnly, market: market(), moves: [-0.15, 0.05], volShifts: [0])
        XCTAssertEqual(sm3.underlyings[0].pnl[0][0], -30_000, accuracy: 1e-9)
        XCTAssertEqual(sm3.underlyings[0].pnl[1][0], 10_000, accuracy: 1e-9)
        XCTAssertEqual(sm3.underlyings[1].pnl[0][0], 0)
    }

    func testMatrixGridIsValidated() {
        let m = market()
        func fails(_ moves: [Double], _ vols: [Double], _ path: String, _ text: String, line: UInt = #line) {
            XCTAssertThrowsError(try StressMatrix.compute(portfolio: book(), market: m, moves: moves, volShifts: vols), line: line) { e in
                let e = e as! InputError
                XCTAssertTrue(e.path.hasPrefix(path), e.description, line: line)
                XCTAssertTrue(e.message.contains(text), e.description, line: line)
            }
        }
        fails([-1], [0], "--matrix-moves[0]", "(-1, 10]")
        fails([0, 10.5], [0], "--matrix-moves[1]", "(-1, 10]")
        fails([0, 0], [0], "--matrix-moves[1]", "twice")
        fails([], [0], "--matrix-moves", "1 to 41")
        // The lowest IV is BTC-C's 0.5: a shift of −0.5 would make it 0 (SPEC §2.2: IV' > 0).
        fails([0], [-0.5], "--matrix-vols[0]", "BTC-C")
        fails([0], [Double.nan], "--matrix-vols[0]", "[-10, 10]")
        XCTAssertNoThrow(try StressMatrix.compute(portfolio: book(), market: m, moves: [9.5], volShifts: [-0.49]))
    }

    // MARK: what-if

    /// Closing a linear perpetual at 101,000 that was bought at 99,000: the realized 2,000 goes to
    /// the USD wallet and the position disappears. Equity 200,000 + (100,000 − 99,000) = 201,000
    /// before; 202,000 after (the trade was 1,000 above the mark).
    func testClosingAFutureBooksRealizedPnLIntoTheWallet() throws {
        let m = market()
        let before = Portfolio(positions: [F.pos("BTC-PERP", 1, 99_000)], collateral: [F.bal("USD", 200_000)], marginMode: .cross)
        let t = try TradeFile.parseAdd("BTC-PERP=-1@101000", market: m, path: "--add[0]")
        XCTAssertEqual(t.quantityUnits, -100_000_000)
        let after = try before.applying([t], market: m)
        XCTAssertTrue(after.positions.isEmpty)
        XCTAssertEqual(after.collateral, [CollateralBalance(asset: "USD", amount: 202_000, amountUnits: 20_200_000_000_000)])
        XCTAssertEqual(try RiskEngine.analyze(portfolio: before, market: m).totals.equity, 201_000)
        XCTAssertEqual(try RiskEngine.analyze(portfolio: after, market: m).totals.equity, 202_000)
        // At the mark (no price given) equity does not move.
        let atMark = try before.applying([try TradeFile.parseAdd("BTC-PERP=-1", market: m, path: "--add[0]")], market: m)
        XCTAssertEqual(try RiskEngine.analyze(portfolio: atMark, market: m).totals.equity, 201_000)
    }

    /// Adding: linear entries average by quantity, (1·99,000 + 1·101,000)/2 = 100,000; inverse
    /// entries harmonically (the coin cost), 20/(10/50,000 + 10/100,000) = 66,666.67. Flipping
    /// closes 1 at 101,000 (realized 2,000) and opens −2 at 101,000.
    func testNettingAveragesEntryLikeTheVenue() throws {
        let m = market()
        let lin = Portfolio(positions: [F.pos("BTC-PERP", 1, 99_000)], collateral: [F.bal("USD", 0)], marginMode: .cross)
        let added = try lin.applying([try TradeFile.parseAdd("BTC-PERP=1@101000", market: m, path: "x")], market: m)
        XCTAssertEqual(added.positions.count, 1)
        XCTAssertEqual(added.positions[0].quantity, 2)
        XCTAssertEqual(added.positions[0].quantityUnits, 200_000_000)
        XCTAssertEqual(added.positions[0].entryPrice, 100_000)
        XCTAssertEqual(added.collateral[0].amount, 0, "adding to a future moves no cash")

        let inv = Portfolio(positions: [F.pos("BTC-INV", 10, 50_000)], collateral: [], marginMode: .cross)
        let invAdded = try inv.applying([try TradeFile.parseAdd("BTC-INV=10@100000", market: m, path: "x")], market: m)
        XCTAssertEqual(invAdded.positions[0].entryPrice, 20.0 / (10.0 / 50_000 + 10.0 / 100_000), accuracy: 1e-9)
        XCTAssertEqual(invAdded.positions[0].entryPrice, 66_666.666_666_666_67, accuracy: 1e-6)
        // Closing the inverse perpetual at 100,000: coin P&L 10·100·(1/50,000 − 1/100,000) = 0.01 BTC.
        let invClosed = try inv.applying([try TradeFile.parseAdd("BTC-INV=-10@100000", market: m, path: "x")], market: m)
        XCTAssertTrue(invClosed.positions.isEmpty)
        XCTAssertEqual(invClosed.collateral.count, 1)
        XCTAssertEqual(invClosed.collateral[0].asset, "BTC")
        XCTAssertEqual(invClosed.collateral[0].amount, 0.01, accuracy: 1e-15)

        let flipped = try lin.applying([try TradeFile.parseAdd("BTC-PERP=-3@101000", market: m, path: "x")], market: m)
        XCTAssertEqual(flipped.positions[0].quantity, -2)
        XCTAssertEqual(flipped.positions[0].entryPrice, 101_000)
        XCTAssertEqual(flipped.collateral[0].amount, 2_000)
    }

    /// Buying 2 linear calls at 1,600 pays 3,200 from the USD wallet (SPEC §3.1: premiums are in
    /// the balances); the options add their mark value 2·1,500. Equity 200,000 → 196,800 + 3,000
    /// = 199,800. An inverse put bought at 0.012 BTC pays 4·0.012 = 0.048 BTC from the BTC wallet.
    func testOptionPremiumMovesTheWallet() throws {
        let m = market()
        let b = Portfolio(positions: [], collateral: [F.bal("USD", 200_000)], marginMode: .cross)
        let a = try b.applying([try TradeFile.parseAdd("BTC-C=2@1600", market: m, path: "x")], market: m)
        XCTAssertEqual(a.positions, [Position(instrument: "BTC-C", quantity: 2, quantityUnits: 200_000_000, entryPrice: 1_600,
                                              venue: nil, account: nil)])
        XCTAssertEqual(a.collateral[0].amount, 196_800)
        XCTAssertEqual(try RiskEngine.analyze(portfolio: a, market: m).totals.equity, 199_800)
        let inv = try b.applying([try TradeFile.parseAdd("BTC-P=4@0.012", market: m, path: "x")], market: m)
        XCTAssertEqual(inv.collateral.map(\.asset), ["USD", "BTC"])
        XCTAssertEqual(inv.collateral[1].amount, -0.048, accuracy: 1e-15)
        // Default price of an inverse option: its mark in coin, 1,000/100,000 = 0.01.
        let atMark = try b.applying([try TradeFile.parseAdd("BTC-P=4", market: m, path: "x")], market: m)
        XCTAssertEqual(atMark.positions[0].entryPrice, 0.01)
        // A quote premium where the coin quote belongs is refused as in a portfolio (§3.1).
        XCTAssertThrowsError(try b.applying([try TradeFile.parseAdd("BTC-P=4@1000", market: m, path: "--add[3]")], market: m)) {
            XCTAssertEqual(($0 as! InputError).path, "--add[3]")
        }
    }

    func testTradeFileIsStrict() throws {
        let m = market()
        let good = #"{"schema": "riskattest.trades/1", "trades": [{"instrument": "BTC-PERP", "quantity": -1.5, "price": 101000}, {"instrument": "ETH-C", "quantity": 2, "venue": "deribit"}]}"#
        let ts = try TradeFile.parse(Array(good.utf8), market: m)
        XCTAssertEqual(ts.count, 2)
        XCTAssertEqual(ts[0].quantityUnits, -150_000_000); XCTAssertEqual(ts[0].price, 101_000)
        XCTAssertNil(ts[1].price); XCTAssertEqual(ts[1].venue, "deribit"); XCTAssertEqual(ts[1].source, "trades[1]")
        for (json, path) in [
            (#"{"schema": "riskattest.trades/1", "trades": [{"instrument": "BTC-PERP", "quantity": 1, "fee": 2}]}"#, "trades[0]"),
            (#"{"schema": "riskattest.trades/2", "trades": []}"#, "schema"),
            (#"{"schema": "riskattest.trades/1", "trades": [{"instrument": "NOPE", "quantity": 1}]}"#, "trades[0].instrument"),
            (#"{"schema": "riskattest.trades/1", "trades": [{"instrument": "BTC-PERP", "quantity": 0}]}"#, "trades[0].quantity"),
            (#"{"schema": "riskattest.trades/1", "trades": [{"instrument": "BTC-PERP", "quantity": 1e-9}]}"#, "trades[0].quantity"),
            (#"{"schema": "riskattest.trades/1", "trades": [{"instrument": "BTC-PERP", "quantity": 1, "price": -1}]}"#, "trades[0].price"),
            (#"{"schema": "riskattest.trades/1"}"#, "trades"),
        ] {
            XCTAssertThrowsError(try TradeFile.parse(Array(json.utf8), market: m), json) { e in
                XCTAssertTrue((e as! InputError).path.hasPrefix(path), "\(json): \(e)")
            }
        }
        for bad in ["BTC-PERP", "=1", "BTC-PERP=abc", "BTC-PERP=1@x", "BTC-PERP=+1", "NOPE=1", "BTC-PERP=1@-5"] {
            XCTAssertThrowsError(try TradeFile.parseAdd(bad, market: m, path: "--add[2]"), bad) { e in
                XCTAssertTrue((e as! InputError).path.hasPrefix("--add[2]"), "\(bad): \(e)")
            }
        }
    }

    func testWhatIfSummaryComparesBeforeAndAfter() throws {
        let m = market(scenarios: F.grid(["BTC", "ETH"]))
        let b = book()
        let trades = [try TradeFile.parseAdd("BTC-PERP=-2", market: m, path: "x")]
        let before = try RiskEngine.analyze(portfolio: b, market: m)
        let after = try RiskEngine.analyze(portfolio: try b.applying(trades, market: m), market: m)
        let w = WhatIf.compare(trades: trades, market: m, before: before, after: after)
        XCTAssertEqual(w.trades, [TradeEcho(instrument: "BTC-PERP", venue: nil, account: nil, quantity: -2, price: 100_000, priceIsMark: true)])
        XCTAssertEqual(w.before.equity, before.totals.equity)
        XCTAssertEqual(w.after.equity, before.totals.equity - 2 * (100_000 - 99_000) + 2 * (100_000 - 99_000), "closed at the mark")
        // Selling 2 perpetuals of size 1 at the index: BTC total delta falls by exactly 2.
        XCTAssertEqual(w.after.totalDelta[0].totalDelta, w.before.totalDelta[0].totalDelta - 2, accuracy: 1e-12)
        XCTAssertEqual(w.after.totalDelta[1], w.before.totalDelta[1])
        XCTAssertEqual(w.before.worstScenarioPnl, before.stress.map(\.pnl).min())
        XCTAssertEqual(w.after.activeMaintenance, after.margin.active.maintenance)
    }

    // MARK: desk units, report JSON, decimal text

    func testDeskUnitsDivideOnceAndNameTheirUnits() throws {
        let m = market(scenarios: F.grid(["BTC", "ETH"]))
        let r = try RiskEngine.analyze(portfolio: book(), market: m)
        let d = r.inDeskUnits()
        XCTAssertEqual(d.schema, "riskattest.metrics/2")
        XCTAssertEqual(d.units?.theta, "USD per day (1/365 year)")
        XCTAssertEqual(d.totals.theta, r.totals.theta / 365)
        XCTAssertEqual(d.totals.vega, r.totals.vega / 100)
        XCTAssertEqual(d.totals.rho, r.totals.rho / 10_000)
        for (a, b) in zip(d.positions, r.positions) {
            XCTAssertEqual(a.greeks.theta, b.greeks.theta / 365)
            XCTAssertEqual(a.greeks.delta, b.greeks.delta)
            XCTAssertEqual(a.greeks.gamma, b.greeks.gamma)
        }
        XCTAssertEqual(d.underlyings[0].positions.greeks.vega, r.underlyings[0].positions.greeks.vega / 100)
        XCTAssertEqual(d.margin, r.margin); XCTAssertEqual(d.stress, r.stress)
        let json = String(decoding: try d.jsonBytes(), as: UTF8.self)
        XCTAssertTrue(json.contains("\"units\" : {"), json)
        XCTAssertTrue(json.contains("\"schema\" : \"riskattest.metrics/2\""))
        // The default report carries none of the optional members (its bytes are unchanged).
        let plain = String(decoding: try r.jsonBytes(), as: UTF8.self)
        for key in ["\"units\"", "\"stress_matrix\"", "\"what_if\""] { XCTAssertFalse(plain.contains(key), key) }
        XCTAssertEqual(try r.jsonBytes(), try r.foundationJSONBytes())
        var withAll = d
        withAll.stressMatrix = try StressMatrix.compute(portfolio: book(), market: m, moves: [-0.1, 0], volShifts: [0])
        XCTAssertEqual(try withAll.jsonBytes(), try withAll.foundationJSONBytes(), "the streaming writer handles the new members")
        XCTAssertTrue(String(decoding: try withAll.jsonBytes(), as: UTF8.self).contains("\"vol_shifts\""))
    }

    /// Stress rows carry the snapshot's move (−0.16), not `(1 + m) − 1` (−0.16000000000000003).
    func testStressMovesAreTheSnapshotsDecimals() throws {
        let m = market(scenarios: F.grid(["BTC", "ETH"]))
        let r = try RiskEngine.analyze(portfolio: book(), market: m)
        let row = try XCTUnwrap(r.stress.first { $0.scenario == "-16% up" })
        XCTAssertEqual(row.moves.map(\.move), [-0.16, -0.16])
        XCTAssertNotEqual((1 + -0.16) - 1, -0.16, "the artefact this avoids")
        XCTAssertTrue(String(decoding: try r.jsonBytes(), as: UTF8.self).contains("\"move\" : -0.16,\n"))
    }

    func testDecimalText() {
        XCTAssertEqual(DecimalText.shortest(-0.16), "-0.16")
        XCTAssertEqual(DecimalText.shortest(97_012.35), "97012.35")
        XCTAssertEqual(DecimalText.shortest(0), "0")
        XCTAssertEqual(DecimalText.shortest(1e21), "1000000000000000000000")
        XCTAssertEqual(DecimalText.shortest(1e-7), "0.0000001")
        XCTAssertEqual(DecimalText.shortest(0.03), "0.03")
        XCTAssertEqual(DecimalText.percent(-0.16), "-16%")
        XCTAssertEqual(DecimalText.percent(0.5), "+50%")
        XCTAssertEqual(DecimalText.percent(0), "0%")
        XCTAssertEqual(DecimalText.percent(0.07), "+7%", "not 7.000000000000001")
        XCTAssertEqual(DecimalText.scaled(0.075, byPowerOfTen: 2), "7.5")
        XCTAssertEqual(DecimalText.scaled(-0.66, byPowerOfTen: 2), "-66")
        XCTAssertEqual(DecimalText.scaled(5, byPowerOfTen: 2), "500")
        XCTAssertEqual(DecimalText.scaled(1e-5, byPowerOfTen: 2), "0.001")
        XCTAssertEqual(DecimalText.shortest(.nan), "n/a")
    }
}
