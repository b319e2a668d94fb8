import XCTest
@testable import RiskEngine

final class ActionTests: XCTestCase {
    typealias F = MetricsFixture

    func book(_ extra: [Position] = [], usd: Double = 40_000, mode: MarginMode = .cross) -> Portfolio {
        Portfolio(positions: [F.pos("P", 3_000, 49_500), F.pos("C", -4, 1_200), F.pos("IF", 500, 49_000), F.pos("E", 30, 3_000)] + extra,
                  collateral: [F.bal("USD", usd), F.bal("BTC", 1.5)], marginMode: mode)
    }
    let market = MetricsFixture.market(
        underlyings: [("BTC", 50_000, 0.02), ("ETH", 3_000, 0.02)],
        instruments: [MetricsFixture.perp("P", "BTC", size: 0.001, mark: 50_020),
                      MetricsFixture.option("C", "BTC", .call, strike: 52_000, days: 25, iv: 0.55),
                      MetricsFixture.future("IF", "BTC", linear: false, size: 100, mark: 50_400, days: 120),
                      MetricsFixture.perp("IE", "ETH", linear: false, size: 10, mark: 3_001),
                      MetricsFixture.perp("E", "ETH", linear: false, size: 10, mark: 3_002)],
        scenarios: MetricsFixture.grid(["BTC", "ETH"]))

    /// Trading the suggested perpetual quantity at the mark brings each underlying's delta to target.
    func testHedgeZeroesDelta() throws {
        for target in [0.0, 2.5] {
            let r = try RiskEngine.analyze(portfolio: book(), market: market,
                                           options: AnalysisOptions(targetDelta: ["BTC": target, "ETH": -target]))
            var extra: [Position] = []
            for h in r.hedges {
                let id = try XCTUnwrap(h.instrument), q = try XCTUnwrap(h.quantity)
                extra.append(Position(instrument: id, quantity: q, quantityUnits: 0, entryPrice: market.instrument(id)!.markPrice,
                                      venue: "hedge", account: nil))
            }
            XCTAssertEqual(r.hedges[0].instrument, "P")    // linear perpetual preferred
            XCTAssertEqual(r.hedges[1].instrument, "IE")   // ETH has only inverse ones: the first
            let after = try RiskEngine.analyze(portfolio: book(extra), market: market)
            XCTAssertEqual(after.underlyings[0].totalDelta, target, accuracy: 1e-9)
            XCTAssertEqual(after.underlyings[1].totalDelta, -target, accuracy: 1e-9)
        }
    }

    /// Depositing the suggested amount restores the target margin ratio, in each margin mode, also
    /// when the quote balance starts negative (the loan is repaid first, at full price).
    func testTopUpRestoresTargetRatio() throws {
        for mode in [MarginMode.cross, .isolated, .portfolio] {
            for usd in [20_000.0, -2_000.0] {
                let r = try RiskEngine.analyze(portfolio: book(usd: usd, mode: mode), market: market,
                                               options: AnalysisOptions(targetMarginRatio: 0.2))
                XCTAssertGreaterThan(r.margin.marginRatio ?? 2, 0.2, "\(mode) \(usd): fixture must need a top-up")
                let add = try XCTUnwrap(r.topUp.amount)
                XCTAssertEqual(r.topUp.asset, "USD")
                let after = try RiskEngine.analyze(portfolio: book(usd: usd + add, mode: mode), market: market)
                XCTAssertEqual(after.margin.marginRatio!, 0.2, accuracy: 1e-12, "\(mode) \(usd)")
            }
        }
    }

    func testNoTopUpWhenAlreadyBelowTarget() throws {
        let r = try RiskEngine.analyze(portfolio: book(usd: 5_000_000), market: market, options: AnalysisOptions(targetMarginRatio: 0.5))
        XCTAssertEqual(r.topUp.quoteValue, 0)
        XCTAssertEqual(r.topUp.amount, 0)
    }
}
