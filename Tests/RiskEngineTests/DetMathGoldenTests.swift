import XCTest
@testable import RiskEngine

/// Vectors/detmath-golden.json pins the exact bit patterns that DetMath, FixedPoint.round and
/// OptionPricer produce on a spread of inputs. These are *our own* outputs: they do not show that
/// the values are right (the libm, mpmath and QuantLib comparisons do that); they show that every
/// platform and every later version computes the same bits, which prover and verifier rely on.
///
/// Regenerate only on purpose (a deliberate change of the arithmetic is a format change):
/// `RISKATTEST_REGEN_GOLDEN=1 swift test --filter DetMathGoldenTests`.
final class DetMathGoldenTests: XCTestCase {
    typealias S = DetMathTestSupport

    static var unaryInputs: [Double] {
        var xs: [Double] = [0, -0.0, 1e-300, -1e-300, .leastNonzeroMagnitude, 1e-10, 0.1, 0.5, 1, 1.5, 2, 2.5, 3, 5, 7.99, 8, 10,
                            20, 37.5, 38.4, 100, 500, 700, 709.78, -0.1, -0.5, -1, -2, -3, -5, -7.99, -8, -8.01,
                            -10, -20, -37.5, -38.4, -100, -700, -745, 0.6931471805599453, 1e300, 123456.789]
        var rng = SplitMix64(seed: 99)
        for _ in 0..<40 { xs.append(rng.uniform(-40, 40)) }
        return xs
    }

    static var powInputs: [(Double, Double)] {
        var out: [(Double, Double)] = [(2, 10), (10, -3), (0.5, 0.5), (30.0 / 7, 0.3), (30.0 / 200, 0.13),
                                       (1.0001, 10000), (1e-5, 2.5), (123.4, -1.7), (0.999, -500)]
        var rng = SplitMix64(seed: 98)
        for _ in 0..<20 { out.append((rng.uniform(0, 50), rng.uniform(-5, 5))) }
        return out
    }

    static var roundInputs: [(Double, Int)] {
        var out: [(Double, Int)] = [(0.5, 0), (1.5, 0), (2.5, 0), (-0.5, 0), (-1.5, 0), (-2.5, 0), (0.125, 2),
                                    (-0.375, 2), (2.675, 2), (0.285, 2), (1.005, 2), (0.1, 8), (-1234.56789012, 8),
                                    (0x1p53, 0), (1e-9, 8), (-6e-9, 8), (42.4242, 4), (3.0e7, 8)]
        var rng = SplitMix64(seed: 97)
        for _ in 0..<20 { out.append((rng.uniform(-1e6, 1e6), Int(rng.next() % 9))) }
        return out
    }

    struct OptionInput { var model: PricingModel; var kind: OptionKind; var u, k, t, v, r, q: Double }
    static var optionInputs: [OptionInput] {
        [OptionInput(model: .bsm, kind: .call, u: 100, k: 100, t: 0.5, v: 0.3, r: 0.04, q: 0.01),
         OptionInput(model: .bsm, kind: .put, u: 60000, k: 20000, t: 7.0 / 365, v: 0.6, r: 0, q: 0),
         OptionInput(model: .bsm, kind: .put, u: 3100, k: 2900, t: 30.0 / 365, v: 0.75, r: 0.05, q: 0.02),
         OptionInput(model: .black76, kind: .call, u: 97000, k: 120000, t: 90.0 / 365, v: 0.55, r: 0, q: 0),
         OptionInput(model: .black76, kind: .put, u: 97000, k: 80000, t: 1.0 / 365, v: 1.5, r: 0.05, q: 0),
         OptionInput(model: .black76, kind: .call, u: 2500, k: 2500, t: 2, v: 0.2, r: 0.08, q: 0)]
    }

    static func price(_ o: OptionInput) throws -> Greeks {
        o.model == .bsm
            ? try OptionPricer.bsm(kind: o.kind, spot: o.u, strike: o.k, expiry: o.t, vol: o.v, rate: o.r, dividend: o.q)
            : try OptionPricer.black76(kind: o.kind, forward: o.u, strike: o.k, expiry: o.t, vol: o.v, rate: o.r)
    }

    static func generate() throws -> [String: Any] {
        let h = S.hex
        func unary(_ f: (Double) -> Double, _ xs: [Double]) -> [[String]] { xs.map { [h($0), h(f($0))] } }
        let xs = unaryInputs
        return [
            "description": "Bit patterns (IEEE-754 binary64, big-endian hex of the 64-bit word) of riskattest's own "
                + "DetMath, FixedPoint.round and OptionPricer outputs. A conforming implementation reproduces every "
                + "output exactly. Correctness is established separately (libm, mpmath, QuantLib).",
            "exp": unary(DetMath.exp, xs),
            "log": unary(DetMath.log, xs.filter { $0 > 0 }),
            "normCDF": unary(DetMath.normCDF, xs),
            "normPDF": unary(DetMath.normPDF, xs),
            "pow": powInputs.map { [h($0.0), h($0.1), h(DetMath.pow($0.0, $0.1))] },
            "fixedPointRound": try roundInputs.map { [h($0.0), String($0.1), String(try FixedPoint.round($0.0, digits: $0.1))] },
            "options": try optionInputs.map { o -> [String: Any] in
                let g = try price(o)
                return ["model": o.model.rawValue, "type": o.kind.rawValue, "underlying": h(o.u), "strike": h(o.k),
                        "expiry": h(o.t), "vol": h(o.v), "rate": h(o.r), "dividend": h(o.q),
                        "greeks": [g.price, g.delta, g.gamma, g.vega, g.theta, g.rho, g.vanna, g.volga].map(h)]
            },
        ]
    }

    /// JSON with one vector per line, keys sorted, so diffs of the file stay readable.
    static func render(_ root: [String: Any]) throws -> String {
        func compact(_ v: Any) throws -> String {
            String(decoding: try JSONSerialization.data(withJSONObject: v, options: [.sortedKeys, .fragmentsAllowed]),
                   as: UTF8.self)
        }
        var out = "{\n"
        let keys = root.keys.sorted()
        for (i, key) in keys.enumerated() {
            out += "  " + (try compact(key)) + ": "
            if let rows = root[key] as? [Any] {
                out += "[\n" + (try rows.map { "    " + (try compact($0)) }.joined(separator: ",\n")) + "\n  ]"
            } else {
                out += try compact(root[key] ?? "")
            }
            out += i == keys.count - 1 ? "\n" : ",\n"
        }
        return out + "}\n"
    }

    func testGoldenVectors() throws {
        let url = S.packageRoot.appendingPathComponent("Vectors/detmath-golden.json")
        if ProcessInfo.processInfo.environment["RISKATTEST_REGEN_GOLDEN"] == "1" {
            try Data(Self.render(try Self.generate()).utf8).write(to: url, options: .atomic)
            throw XCTSkip("regenerated \(url.path)")
        }
        let root = try XCTUnwrap(S.vector("detmath-golden.json") as? [String: Any])
        let d = S.double(hex:)
        var checked = 0
        let unaries: [(String, (Double) -> Double)] = [("exp", DetMath.exp), ("log", DetMath.log),
                                                      ("normCDF", DetMath.normCDF), ("normPDF", DetMath.normPDF)]
        for (name, f) in unaries {
            let rows = try XCTUnwrap(root[name] as? [[String]], name)
            XCTAssertGreaterThan(rows.count, 40)
            for row in rows {
                XCTAssertEqual(S.hex(f(d(row[0]))), row[1], "\(name)(\(d(row[0])))")
                checked += 1
            }
        }
        for row in try XCTUnwrap(root["pow"] as? [[String]]) {
            XCTAssertEqual(S.hex(DetMath.pow(d(row[0]), d(row[1]))), row[2], "pow(\(d(row[0])), \(d(row[1])))")
            checked += 1
        }
        for row in try XCTUnwrap(root["fixedPointRound"] as? [[String]]) {
            let digits = try XCTUnwrap(Int(row[1]))
            XCTAssertEqual(String(try FixedPoint.round(d(row[0]), digits: digits)), row[2])
            checked += 1
        }
        for o in try XCTUnwrap(root["options"] as? [[String: Any]]) {
            func v(_ k: String) throws -> Double { d(try XCTUnwrap(o[k] as? String)) }
            let input = OptionInput(model: try XCTUnwrap(PricingModel(rawValue: try XCTUnwrap(o["model"] as? String))),
                                    kind: try XCTUnwrap(OptionKind(rawValue: try XCTUnwrap(o["type"] as? String))),
                                    u: try v("underlying"), k: try v("strike"), t: try v("expiry"), v: try v("vol"),
                                    r: try v("rate"), q: try v("dividend"))
            let g = try Self.price(input)
            XCTAssertEqual([g.price, g.delta, g.gamma, g.vega, g.theta, g.rho, g.vanna, g.volga].map(S.hex),
                           try XCTUnwrap(o["greeks"] as? [String]))
            checked += 1
        }
        XCTAssertGreaterThan(checked, 350)
    }
}
