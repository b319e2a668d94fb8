import Foundation
import XCTest
@testable import RiskEngine

/// Implied volatility against QuantLib 1.44's prices (Vectors/greeks-quantlib.json): each
/// reference price, inverted on the case's forward, gives back the case's σ.
final class ImpliedVolTests: XCTestCase {
    typealias S = DetMathTestSupport

    func testRecoversQuantLibVolatilities() throws {
        let root = try XCTUnwrap(S.vector("greeks-quantlib.json") as? [String: Any])
        let cases = try XCTUnwrap(root["cases"] as? [[String: Any]])
        var checked = 0, worst = 0.0
        for c in cases {
            func num(_ k: String) throws -> Double { try XCTUnwrap((c[k] as? NSNumber)?.doubleValue, k) }
            let kind = try XCTUnwrap(OptionKind(rawValue: try XCTUnwrap(c["type"] as? String)))
            let model = try XCTUnwrap(c["model"] as? String)
            let (k, t, sigma, r, price, vega) = (try num("K"), try num("T"), try num("sigma"), try num("r"),
                                                  try num("price"), try num("vega"))
            // BSM cases: the forward S·e^((r−q)T); Black-76 cases give F.
            let f = model == "bsm" ? try num("S") * DetMath.exp((r - (try num("q"))) * t) : try num("F")
            // Where vega is tiny the price barely moves with σ and σ is ill-determined by a price
            // quoted to 16 digits: only cases whose price pins σ to 1e-7 are checked.
            guard vega > 0, price * 1e-9 / vega < 1e-7 else { continue }
            let res = try ImpliedVol.black76(kind: kind, price: price, forward: f, strike: k, expiry: t, rate: r)
            let err = abs(res.vol - sigma)
            XCTAssertLessThan(err, 1e-7, "\(c["id"] ?? "?"): implied \(res.vol) vs σ \(sigma)")
            XCTAssertLessThan(res.iterations, ImpliedVol.maxIterations)   // converged, not stopped
            worst = max(worst, err)
            checked += 1
        }
        XCTAssertGreaterThan(checked, 40)
        print("implied vol: \(checked) QuantLib cases, worst |σ − σ_ref| \(worst)")
    }

    func testRoundTripOnOurOwnPrices() throws {
        for kind in [OptionKind.call, .put] {
            for vol in [0.05, 0.3, 0.8, 2.5, 7.0] {
                for (f, k) in [(100.0, 100.0), (100, 60), (100, 160), (97_012.35, 110_000)] {
                    let p = try OptionPricer.black76(kind: kind, forward: f, strike: k, expiry: 0.25, vol: vol, rate: 0.04).price
                    guard let r = try? ImpliedVol.black76(kind: kind, price: p, forward: f, strike: k, expiry: 0.25, rate: 0.04) else {
                        continue   // prices at the intrinsic value's rounding: no σ is determined
                    }
                    XCTAssertEqual(r.repriced, p, accuracy: 8 * Double.ulpOfOne * max(p, f))
                }
            }
        }
    }

    func testNoVolatilityGivesTheseClearErrors() throws {
        // Below the discounted intrinsic value (a put 1,045.63 in the money).
        XCTAssertThrowsError(try ImpliedVol.black76(kind: .put, price: 1_000, forward: 2_414.13, strike: 3_459.76, expiry: 0.05, rate: 0)) {
            guard case .belowIntrinsic? = $0 as? ImpliedVolError else { return XCTFail("\($0)") }
        }
        // At the no-arbitrage bound (a call worth the discounted forward).
        XCTAssertThrowsError(try ImpliedVol.black76(kind: .call, price: 3_000, forward: 3_000, strike: 100, expiry: 0.5, rate: 0)) {
            guard case .atOrAboveBound? = $0 as? ImpliedVolError else { return XCTFail("\($0)") }
        }
        // Needs more than 1000 %.
        let almost = try OptionPricer.black76(kind: .call, forward: 100, strike: 100, expiry: 1, vol: 12, rate: 0).price
        XCTAssertThrowsError(try ImpliedVol.black76(kind: .call, price: almost, forward: 100, strike: 100, expiry: 1, rate: 0)) {
            guard case .aboveMaxVol? = $0 as? ImpliedVolError else { return XCTFail("\($0)") }
        }
        for (p, f, k, t) in [(-1.0, 100.0, 100.0, 1.0), (.nan, 100, 100, 1), (5, 0, 100, 1), (5, 100, -1, 1), (5, 100, 100, 0)] {
            XCTAssertThrowsError(try ImpliedVol.black76(kind: .call, price: p, forward: f, strike: k, expiry: t, rate: 0)) {
                guard case .invalidInput? = $0 as? ImpliedVolError else { return XCTFail("\($0)") }
            }
        }
        // Exactly the intrinsic value: zero volatility.
        let intrinsic = try OptionPricer.black76(kind: .put, forward: 90, strike: 100, expiry: 1, vol: 0, rate: 0.02).price
        XCTAssertEqual(try ImpliedVol.black76(kind: .put, price: intrinsic, forward: 90, strike: 100, expiry: 1, rate: 0.02).vol, 0)
    }
}
