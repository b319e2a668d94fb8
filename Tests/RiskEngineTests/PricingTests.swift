import XCTest
@testable import RiskEngine
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// OptionPricer against QuantLib 1.44 (Vectors/greeks-quantlib.json), mpmath closed forms for
/// deep out-of-the-money options, put–call parity, and central finite differences of our price.
final class PricingTests: XCTestCase {
    typealias S = DetMathTestSupport

    struct Case {
        var id: String, model: PricingModel, kind: OptionKind
        var underlying: Double, strike: Double, expiry: Double, vol: Double, rate: Double, dividend: Double
        var ref: [String: Double]
    }

    func loadQuantLib() throws -> [Case] {
        let root = try XCTUnwrap(S.vector("greeks-quantlib.json") as? [String: Any])
        let cases = try XCTUnwrap(root["cases"] as? [[String: Any]])
        return try cases.map { c in
            let model = try XCTUnwrap(PricingModel(rawValue: try XCTUnwrap(c["model"] as? String)))
            let kind = try XCTUnwrap(OptionKind(rawValue: try XCTUnwrap(c["type"] as? String)))
            func num(_ k: String) throws -> Double { try XCTUnwrap((c[k] as? NSNumber)?.doubleValue, k) }
            var ref: [String: Double] = [:]
            for k in ["price", "delta", "gamma", "vega", "theta", "rho"] { ref[k] = try num(k) }
            return Case(id: try XCTUnwrap(c["id"] as? String), model: model, kind: kind,
                        underlying: try num(model == .bsm ? "S" : "F"), strike: try num("K"),
                        expiry: try num("T"), vol: try num("sigma"), rate: try num("r"),
                        dividend: model == .bsm ? try num("q") : 0, ref: ref)
        }
    }

    func price(_ c: Case) throws -> Greeks {
        switch c.model {
        case .bsm:
            return try OptionPricer.bsm(kind: c.kind, spot: c.underlying, strike: c.strike, expiry: c.expiry,
                                        vol: c.vol, rate: c.rate, dividend: c.dividend)
        case .black76:
            return try OptionPricer.black76(kind: c.kind, forward: c.underlying, strike: c.strike,
                                            expiry: c.expiry, vol: c.vol, rate: c.rate)
        }
    }

    /// Every QuantLib case within the rule of /work/shared/vectors/README.md:
    /// |got − ref| ≤ 1e-9·|ref| or ≤ 1e-9·scale (scale S or F; 1 for delta; 1/S or 1/F for gamma).
    func testQuantLibVectors() throws {
        let cases = try loadQuantLib()
        XCTAssertEqual(cases.count, 60)
        var maxRel = 0.0, maxRelWhere = ""
        var maxAbsScaled = 0.0, maxAbsWhere = ""
        for c in cases {
            let g = try price(c)
            let got = ["price": g.price, "delta": g.delta, "gamma": g.gamma, "vega": g.vega,
                       "theta": g.theta, "rho": g.rho]
            for (field, ref) in c.ref {
                let value = try XCTUnwrap(got[field])
                let scale = field == "delta" ? 1 : (field == "gamma" ? 1 / c.underlying : c.underlying)
                let diff = abs(value - ref)
                let ok = diff <= 1e-9 * abs(ref) || diff <= 1e-9 * scale
                XCTAssertTrue(ok, "\(c.id) \(field): got \(value), QuantLib \(ref)")
                // Relative deviation only where the value is not tiny against its scale (README:
                // below ~1e-7·scale QuantLib's own values are reliable in absolute terms only).
                if abs(ref) > 1e-7 * scale {
                    let rel = diff / abs(ref)
                    if rel > maxRel { maxRel = rel; maxRelWhere = "\(c.id) \(field)" }
                }
                if diff / scale > maxAbsScaled { maxAbsScaled = diff / scale; maxAbsWhere = "\(c.id) \(field)" }
            }
        }
        print("QuantLib: max relative deviation \(maxRel) (\(maxRelWhere)); max |diff|/scale \(maxAbsScaled) (\(maxAbsWhere))")
    }

    /// Deep out-of-the-money prices (down to 1e-37) keep relative accuracy: against mpmath.
    func testDeepOutOfTheMoneyAgainstMpmath() throws {
        let root = try XCTUnwrap(S.vector("detmath-normal-mpmath.json") as? [String: Any])
        let rows = try XCTUnwrap(root["deep_otm_bsm"] as? [[String: Any]])
        XCTAssertEqual(rows.count, 5)
        var worst = 0.0
        for r in rows {
            func num(_ k: String) throws -> Double { try XCTUnwrap((r[k] as? NSNumber)?.doubleValue, k) }
            let kind = try XCTUnwrap(OptionKind(rawValue: try XCTUnwrap(r["type"] as? String)))
            let ref = S.double(hex: try XCTUnwrap(r["price"] as? String))
            let g = try OptionPricer.bsm(kind: kind, spot: try num("S"), strike: try num("K"),
                                         expiry: try num("T"), vol: try num("sigma"),
                                         rate: try num("r"), dividend: try num("q"))
            let rel = abs(g.price - ref) / ref
            worst = max(worst, rel)
            XCTAssertLessThan(rel, 1e-11, "\(r)")
        }
        print("deep OTM vs mpmath: max relative error \(worst)")
    }

    func testPutCallParity() throws {
        var rng = SplitMix64(seed: 11)
        for _ in 0..<2_000 {
            let s = exp(rng.uniform(log(50), log(100_000)))
            let k = s * exp(rng.uniform(-1, 1))
            let t = rng.uniform(1.0 / 365, 3)
            let v = rng.uniform(0.05, 2)
            let r = rng.uniform(-0.01, 0.1)
            let q = rng.uniform(0, 0.06)
            let c = try OptionPricer.bsm(kind: .call, spot: s, strike: k, expiry: t, vol: v, rate: r, dividend: q)
            let p = try OptionPricer.bsm(kind: .put, spot: s, strike: k, expiry: t, vol: v, rate: r, dividend: q)
            // C − P = S e^(−qT) − K e^(−rT)  (libm exp as the reference for the right side)
            let rhs = s * exp(-q * t) - k * exp(-r * t)
            XCTAssertEqual(c.price - p.price, rhs, accuracy: 1e-12 * (s + k))
            XCTAssertEqual(c.delta - p.delta, exp(-q * t), accuracy: 1e-14)
            XCTAssertEqual(c.gamma, p.gamma, accuracy: 1e-14 * abs(c.gamma))
            XCTAssertEqual(c.vega, p.vega, accuracy: 1e-14 * abs(c.vega))
            XCTAssertEqual(c.rho - p.rho, t * k * exp(-r * t), accuracy: 1e-12 * (s + k))

            let cf = try OptionPricer.black76(kind: .call, forward: s, strike: k, expiry: t, vol: v, rate: r)
            let pf = try OptionPricer.black76(kind: .put, forward: s, strike: k, expiry: t, vol: v, rate: r)
            XCTAssertEqual(cf.price - pf.price, exp(-r * t) * (s - k), accuracy: 1e-12 * (s + k))
            XCTAssertEqual(cf.delta - pf.delta, exp(-r * t), accuracy: 1e-14)
        }
    }

    /// Each analytic Greek against a central finite difference of our own price:
    /// f′ ≈ (f(x+h) − f(x−h))/2h, f″ ≈ (f(x+h) − 2f(x) + f(x−h))/h², mixed ∂²/∂x∂σ by the
    /// four-point stencil. Cases are chosen with values well above rounding noise.
    func testGreeksAgainstFiniteDifferences() throws {
        struct P { var model: PricingModel; var kind: OptionKind; var u, k, t, v, r, q: Double }
        var cases: [P] = []
        for model in [PricingModel.bsm, .black76] {
            for kind in [OptionKind.call, .put] {
                for (k, t, v) in [(100.0, 0.5, 0.3), (80, 1.0, 0.6), (125, 0.25, 0.9), (100, 2.0, 1.5), (95, 30.0 / 365, 0.5)] {
                    cases.append(P(model: model, kind: kind, u: 100, k: k, t: t, v: v, r: 0.04,
                                   q: model == .bsm ? 0.015 : 0))
                }
            }
        }
        func value(_ p: P, u: Double? = nil, t: Double? = nil, v: Double? = nil, r: Double? = nil) throws -> Double {
            switch p.model {
            case .bsm:
                return try OptionPricer.bsm(kind: p.kind, spot: u ?? p.u, strike: p.k, expiry: t ?? p.t,
                                            vol: v ?? p.v, rate: r ?? p.r, dividend: p.q).price
            case .black76:
                return try OptionPricer.black76(kind: p.kind, forward: u ?? p.u, strike: p.k, expiry: t ?? p.t,
                                                vol: v ?? p.v, rate: r ?? p.r).price
            }
        }
        func close(_ got: Double, _ fd: Double, _ scale: Double, _ what: String) {
            let ok = abs(got - fd) <= 1e-6 * abs(got) || abs(got - fd) <= 1e-9 * scale
            XCTAssertTrue(ok, "\(what): analytic \(got), finite difference \(fd)")
        }
        var worst = 0.0
        for p in cases {
            let g = try {
                switch p.model {
                case .bsm: return try OptionPricer.bsm(kind: p.kind, spot: p.u, strike: p.k, expiry: p.t,
                                                       vol: p.v, rate: p.r, dividend: p.q)
                case .black76: return try OptionPricer.black76(kind: p.kind, forward: p.u, strike: p.k,
                                                               expiry: p.t, vol: p.v, rate: p.r)
                }
            }()
            let tag = "\(p.model) \(p.kind) K=\(p.k) T=\(p.t) σ=\(p.v)"
            let hu = 1e-4 * p.u, hv = 1e-4, ht = 1e-5 * p.t, hr = 1e-5
            let v0 = try value(p)
            XCTAssertEqual(v0, g.price)
            let up = try value(p, u: p.u + hu), dn = try value(p, u: p.u - hu)
            let delta = (up - dn) / (2 * hu)
            let gamma = (up - 2 * v0 + dn) / (hu * hu)
            let vu = try value(p, v: p.v + hv), vd = try value(p, v: p.v - hv)
            let vega = (vu - vd) / (2 * hv)
            let theta = -(try value(p, t: p.t + ht) - value(p, t: p.t - ht)) / (2 * ht)
            let rho = (try value(p, r: p.r + hr) - value(p, r: p.r - hr)) / (2 * hr)
            // Second σ-derivatives need larger steps (rounding noise grows like ε·V/h²), so they use
            // Richardson extrapolation (4·D(h/2) − D(h))/3, which cancels the O(h²) truncation term.
            func volgaFD(_ h: Double) throws -> Double {
                (try value(p, v: p.v + h) - 2 * v0 + value(p, v: p.v - h)) / (h * h)
            }
            func vannaFD(_ hs: Double, _ hsig: Double) throws -> Double {
                (try value(p, u: p.u + hs, v: p.v + hsig) - value(p, u: p.u + hs, v: p.v - hsig)
                 - value(p, u: p.u - hs, v: p.v + hsig) + value(p, u: p.u - hs, v: p.v - hsig)) / (4 * hs * hsig)
            }
            let volga = (4 * (try volgaFD(1e-3)) - (try volgaFD(2e-3))) / 3
            let vanna = (4 * (try vannaFD(1e-3 * p.u, 1e-3)) - (try vannaFD(2e-3 * p.u, 2e-3))) / 3
            close(g.delta, delta, 1, "\(tag) delta")
            close(g.gamma, gamma, 1 / p.u, "\(tag) gamma")
            close(g.vega, vega, p.u, "\(tag) vega")
            close(g.theta, theta, p.u, "\(tag) theta")
            close(g.rho, rho, p.u, "\(tag) rho")
            close(g.vanna, vanna, 1, "\(tag) vanna")
            close(g.volga, volga, p.u, "\(tag) volga")
            for (a, f) in [(g.delta, delta), (g.gamma, gamma), (g.vega, vega), (g.theta, theta), (g.rho, rho),
                           (g.vanna, vanna), (g.volga, volga)] where abs(a) > 1e-6 {
                worst = max(worst, abs(a - f) / abs(a))
            }
        }
        print("Greeks vs central finite differences: max relative difference \(worst)")
    }

    /// σ√T = 0 limits (SPEC.md §5): intrinsic value, step-function delta, zero σ-Greeks.
    func testDegenerateLimits() throws {
        // T = 0: intrinsic.
        let c0 = try OptionPricer.bsm(kind: .call, spot: 110, strike: 100, expiry: 0, vol: 0.5, rate: 0.05, dividend: 0.01)
        XCTAssertEqual(c0.price, 10)
        XCTAssertEqual(c0.delta, 1)
        XCTAssertEqual(c0.gamma, 0); XCTAssertEqual(c0.vega, 0); XCTAssertEqual(c0.vanna, 0); XCTAssertEqual(c0.volga, 0)
        XCTAssertEqual(c0.theta, 0.01 * 110 - 0.05 * 100, accuracy: 1e-12)
        let p0 = try OptionPricer.bsm(kind: .put, spot: 110, strike: 100, expiry: 0, vol: 0.5, rate: 0.05)
        XCTAssertEqual(p0.price, 0); XCTAssertEqual(p0.delta, 0)
        let atm = try OptionPricer.black76(kind: .put, forward: 100, strike: 100, expiry: 0, vol: 0.5, rate: 0.05)
        XCTAssertEqual(atm.price, 0); XCTAssertEqual(atm.delta, -0.5)
        // σ = 0, T > 0: discounted forward intrinsic, matching the σ → 0 limit of the closed form.
        let t = 0.5, s = 100.0, k = 90.0, r = 0.03, q = 0.01
        let z = try OptionPricer.bsm(kind: .call, spot: s, strike: k, expiry: t, vol: 0, rate: r, dividend: q)
        XCTAssertEqual(z.price, s * exp(-q * t) - k * exp(-r * t), accuracy: 1e-12)
        let tiny = try OptionPricer.bsm(kind: .call, spot: s, strike: k, expiry: t, vol: 1e-6, rate: r, dividend: q)
        XCTAssertEqual(z.price, tiny.price, accuracy: 1e-9)
        XCTAssertEqual(z.delta, tiny.delta, accuracy: 1e-12)
        XCTAssertEqual(z.theta, tiny.theta, accuracy: 1e-9)
        XCTAssertEqual(z.rho, tiny.rho, accuracy: 1e-9)
        let zf = try OptionPricer.black76(kind: .put, forward: 80, strike: 100, expiry: 1, vol: 0, rate: 0.05)
        XCTAssertEqual(zf.price, 20 * exp(-0.05), accuracy: 1e-12)
        XCTAssertEqual(zf.delta, -exp(-0.05), accuracy: 1e-15)
        XCTAssertEqual(zf.rho, -zf.price)
        XCTAssertEqual(zf.theta, 0.05 * zf.price, accuracy: 1e-15)
        // Far from the money with a tiny σ√T, the density underflows: Greeks are the exact limits.
        let far = try OptionPricer.bsm(kind: .put, spot: 100, strike: 50, expiry: 1.0 / 365, vol: 0.2, rate: 0)
        XCTAssertEqual(far.price, 0); XCTAssertEqual(far.gamma, 0); XCTAssertEqual(far.vanna, 0)
    }

    func testInvalidInputsAreNamedErrors() {
        func expect(_ e: PricingError, _ body: () throws -> Greeks) {
            do {
                _ = try body()
                XCTFail("expected \(e)")
            } catch {
                XCTAssertEqual(error as? PricingError, e)
                XCTAssertFalse("\(error)".isEmpty)
            }
        }
        expect(.notPositive(field: "spot", value: 0)) {
            try OptionPricer.bsm(kind: .call, spot: 0, strike: 1, expiry: 1, vol: 0.5, rate: 0)
        }
        expect(.notPositive(field: "strike", value: -5)) {
            try OptionPricer.bsm(kind: .call, spot: 1, strike: -5, expiry: 1, vol: 0.5, rate: 0)
        }
        expect(.negative(field: "expiry", value: -1)) {
            try OptionPricer.black76(kind: .put, forward: 1, strike: 1, expiry: -1, vol: 0.5, rate: 0)
        }
        expect(.negative(field: "vol", value: -0.1)) {
            try OptionPricer.black76(kind: .put, forward: 1, strike: 1, expiry: 1, vol: -0.1, rate: 0)
        }
        expect(.notFinite(field: "forward", value: .infinity)) {
            try OptionPricer.black76(kind: .put, forward: .infinity, strike: 1, expiry: 1, vol: 0.5, rate: 0)
        }
        expect(.notFinite(field: "dividend", value: -.infinity)) {
            try OptionPricer.bsm(kind: .put, spot: 1, strike: 1, expiry: 1, vol: 0.5, rate: 0, dividend: -.infinity)
        }
        expect(.overflow("discount factor e^(-rT)")) {
            try OptionPricer.black76(kind: .call, forward: 1, strike: 1, expiry: 1e6, vol: 0.5, rate: -1)
        }
        // NaN compares unequal to itself, so check the case shape instead.
        do {
            _ = try OptionPricer.bsm(kind: .call, spot: 1, strike: 1, expiry: 1, vol: .nan, rate: 0)
            XCTFail("NaN vol accepted")
        } catch {
            guard case .notFinite(let field, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(field, "vol")
        }
    }
}
