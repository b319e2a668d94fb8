import XCTest
@testable import RiskEngine

/// Unit risk against hand-worked values.
final class UnitRiskTests: XCTestCase {
    typealias F = MetricsFixture

    func testLinearPerpetualAndFutureAreExactlyContractSize() throws {
        let scen = [Scenario(name: "-10%", priceMoves: ["BTC": -0.1], volShock: .absolute(0.1), weight: 1),
                    Scenario(name: "+25%", priceMoves: ["BTC": 0.25], volShock: .none, weight: 0.5)]
        let m = F.market(underlyings: [("BTC", 80_000, 0.05)],
                         instruments: [F.perp("P", "BTC", size: 0.001, mark: 80_000, funding: 0.0001),
                                       F.future("F", "BTC", size: 0.5, mark: 80_000, days: 45)], scenarios: scen)
        let t = try UnitRiskTable(market: m)
        let p = t.instruments[0], f = t.instruments[1]
        XCTAssertEqual(p.delta, 0.001)           // exactly the contract size when mark = index
        XCTAssertEqual(f.delta, 0.5)
        XCTAssertEqual(p.value, 80.0)
        XCTAssertEqual(f.value, 40_000.0)
        XCTAssertEqual(p.gamma, 0); XCTAssertEqual(p.vega, 0); XCTAssertEqual(p.theta, 0)
        XCTAssertEqual(p.scenarioValues[0], 72.0, accuracy: 1e-12)
        XCTAssertEqual(p.scenarioValues[1], 100.0, accuracy: 1e-12)
        XCTAssertEqual(f.scenarioValues[0], 36_000.0, accuracy: 1e-9)
        XCTAssertEqual(p.notional, 80.0)
        // 0.01 % of 80 per 8 h interval; 1095 intervals a year.
        XCTAssertEqual(p.fundingPerInterval, 0.008, accuracy: 1e-15)
        XCTAssertEqual(p.fundingAnnualized, 0.008 * 1095, accuracy: 1e-12)
        XCTAssertNil(p.expiryBucket)
        XCTAssertEqual(f.expiryBucket, .from30to90d)
        XCTAssertEqual(f.fundingPerInterval, 0)
    }

    func testInverseContractValueIsDeltaFree() throws {
        let m = F.market(underlyings: [("BTC", 50_000, 0)],
                         instruments: [F.perp("IP", "BTC", linear: false, size: 100, mark: 50_000, funding: 0.0002)],
                         scenarios: [Scenario(name: "-30%", priceMoves: ["BTC": -0.3], volShock: .none, weight: 1)])
        let u = try UnitRiskTable(market: m).instruments[0]
        // −size/mark coins worth −size·S/mark = −100 quote, at any index (mark moves with it).
        XCTAssertEqual(u.value, -100)
        XCTAssertEqual(u.scenarioValues[0], -100)
        XCTAssertEqual(u.delta, 0)
        XCTAssertEqual(u.notional, 100)
        XCTAssertEqual(u.fundingPerInterval, 0.02, accuracy: 1e-15)
    }

    func testCollateralHaircutAndLiability() throws {
        let m = F.market(underlyings: [("ETH", 2_000, 0)], instruments: [F.perp("E", "ETH", size: 1, mark: 2_000)],
                         scenarios: [Scenario(name: "-50%", priceMoves: ["ETH": -0.5], volShock: .none, weight: 1)])
        let t = try UnitRiskTable(market: m)
        let usd = t.collateral[0], eth = t.collateral[1]
        XCTAssertNil(usd.underlying)
        XCTAssertEqual(usd.value, 0.98); XCTAssertEqual(usd.scenarioValues[0], 0.98); XCTAssertEqual(usd.liabilityValue, 1)
        XCTAssertEqual(eth.value, 1_900, accuracy: 1e-12)          // 2000 × (1 − 0.05)
        XCTAssertEqual(eth.scenarioValues[0], 950, accuracy: 1e-12)
        XCTAssertEqual(eth.liabilityScenarioValues[0], 1_000, accuracy: 1e-12)
        XCTAssertEqual(eth.delta, 1)
        XCTAssertEqual(eth.notional, 0)
    }

    func testExpiryBuckets() {
        XCTAssertEqual(ExpiryBucket(daysToExpiry: 29.999), .under30d)
        XCTAssertEqual(ExpiryBucket(daysToExpiry: 30), .from30to90d)
        XCTAssertEqual(ExpiryBucket(daysToExpiry: 90), .from30to90d)
        XCTAssertEqual(ExpiryBucket(daysToExpiry: 90.001), .over90d)
    }

    func testTermStructureVolShock() {
        // DTE 10 < 30: p = 0.30, factor 3^0.3 = 1.3903891703159093 (high-precision reference).
        XCTAssertEqual(UnitRiskTable.shockedVol(iv: 0.5, dte: 10, shock: .termStructure(0.2)),
                       0.5 * (1 + 0.2 * 1.3903891703159093), accuracy: 1e-14)
        // DTE 100: p = 0.13, factor 0.3^0.13 = 0.8551174384526052.
        XCTAssertEqual(UnitRiskTable.shockedVol(iv: 0.8, dte: 100, shock: .termStructure(-0.25)),
                       0.8 * (1 - 0.25 * 0.8551174384526052), accuracy: 1e-14)
        // DTE below one day uses max(1, DTE): factor 30^0.3.
        XCTAssertEqual(UnitRiskTable.shockedVol(iv: 0.5, dte: 0.5, shock: .termStructure(0.1)),
                       UnitRiskTable.shockedVol(iv: 0.5, dte: 1, shock: .termStructure(0.1)))
        XCTAssertEqual(UnitRiskTable.shockedVol(iv: 0.5, dte: 10, shock: .absolute(-0.1)), 0.4, accuracy: 1e-15)
    }

    /// An option's scenario value is Black-76 at the shocked forward and vol (here checked against
    /// BSM on the shocked spot with no dividend, the same price by F = S·e^{rT}).
    func testOptionScenarioValueIsRepricedAtShockedSpotAndVol() throws {
        let sc = Scenario(name: "-8% up", priceMoves: ["BTC": -0.08], volShock: .absolute(0.1), weight: 1)
        let m = F.market(underlyings: [("BTC", 60_000, 0.04)],
                         instruments: [F.option("C", "BTC", .call, strike: 62_000, days: 73, iv: 0.55, size: 2)], scenarios: [sc])
        let u = try UnitRiskTable(market: m).instruments[0]
        let T = 73.0 / 365
        let base = try OptionPricer.bsm(kind: .call, spot: 60_000, strike: 62_000, expiry: T, vol: 0.55, rate: 0.04)
        let shocked = try OptionPricer.bsm(kind: .call, spot: 55_200, strike: 62_000, expiry: T, vol: 0.65, rate: 0.04)
        XCTAssertEqual(u.value, 2 * base.price, accuracy: 1e-9 * base.price)
        XCTAssertEqual(u.scenarioValues[0], 2 * shocked.price, accuracy: 1e-9 * base.price)
        XCTAssertEqual(u.notional, 120_000)
        XCTAssertEqual(u.expiryBucket, .from30to90d)
    }
}

/// The stress-grid kernel (price only, ln F/K split as ln F0/K + ln ratio) against the full pricer.
final class UnitRiskKernelTests: XCTestCase {
    func testKernelMatchesOptionPricer() throws {
        let m = MetricsFixture.market(underlyings: [("BTC", 61_234.5, 0.045)], instruments: [
            MetricsFixture.option("C", "BTC", .call, strike: 70_000, days: 9, iv: 0.7, size: 0.1),
            MetricsFixture.option("P", "BTC", .put, strike: 40_000, days: 250, iv: 1.1, size: 3)])
        let t = try UnitRiskTable(market: m)
        for (i, (kind, k, d, iv, size)) in [(OptionKind.call, 70_000.0, 9.0, 0.7, 0.1), (.put, 40_000, 250, 1.1, 3)].enumerated() {
            let years = d / 365, fwd = 61_234.5 * DetMath.exp(0.045 * years)
            for ratio in [0.05, 0.34, 0.84, 1, 1.16, 2, 6] {
                for vol in [0.05, iv, 2.5] {
                    let ref = try OptionPricer.black76(kind: kind, forward: fwd * ratio, strike: k, expiry: years, vol: vol, rate: 0.045)
                    let got = t.models[i].value(ratio: ratio, vol: vol)
                    XCTAssertEqual(got, size * ref.price, accuracy: 1e-12 * fwd * ratio * size, "\(kind) r=\(ratio) v=\(vol)")
                }
            }
        }
    }
}
