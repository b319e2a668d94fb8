import Foundation
import SystemCrypto
import XCTest
@testable import Circuits

final class CircuitsTests: XCTestCase {
    static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    func shipped(_ name: String) throws -> String {
        try String(contentsOf: Self.root.appendingPathComponent("Circuits").appendingPathComponent(name + ".circuit"), encoding: .utf8)
    }

    func d(_ s: String) -> ExactDecimal { ExactDecimal(text: s)! }
    func t(_ c: String, _ f: [PublicFactor] = [], _ a: MetricAtom?) -> LinearTerm { LinearTerm(coefficient: d(c), factors: f, atom: a) }

    func compileError(_ src: String) -> CircuitError? {
        do { _ = try Circuit.compile(source: src); return nil } catch { return error }
    }

    // MARK: Shipped circuits

    func testShippedCircuitsCompileWithExpectedExpansion() throws {
        let expected: [String: (constraints: Int, perScenario: Int, params: [String])] = [
            "solvency": (1, 0, ["k"]),
            "portfolio-margin": (5, 1, ["buffer", "delta_rate", "gross_rate"]),
            "delta-band": (4, 0, ["btc_limit", "eth_limit"]),
            "leverage": (1, 0, ["L"]),
            "liquidation-buffer": (4, 0, ["move"]),
            "concentration": (2, 0, ["share", "leverage"]),
            "funding-carry": (1, 0, ["intervals", "fraction"]),
        ]
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.root.appendingPathComponent("Circuits").path)
            .filter { $0.hasSuffix(".circuit") }.map { String($0.dropLast(8)) }.sorted()
        XCTAssertEqual(files, expected.keys.sorted())
        var hashes = Set<[UInt8]>()
        for (name, e) in expected {
            let c = try Circuit.compile(source: try shipped(name))
            XCTAssertEqual(c.name, name)
            XCTAssertEqual(c.version, 1)
            XCTAssertEqual(c.constraints.count, e.constraints, name)
            XCTAssertEqual(c.constraints.filter(\.forEachScenario).count, e.perScenario, name)
            XCTAssertEqual(c.params.map { $0.name }, e.params, name)
            XCTAssertEqual(c.hash.count, 32)
            hashes.insert(c.hash)
            print("circuit \(name) v\(c.version): \(c.constraints.count) constraints, hash \(c.hash.map { String(format: "%02x", $0) }.joined())")
            // Soundness invariant: every upper-bound atom has a negative coefficient.
            for k in c.constraints { for term in k.terms where term.atom?.isUpperBoundOnly == true {
                XCTAssertTrue(term.coefficient.isNegative, "\(name): \(k.text)")
            } }
        }
        XCTAssertEqual(hashes.count, expected.count)
    }

    func testSolvencyExactForm() throws {
        let c = try Circuit.compile(source: try shipped("solvency"))
        XCTAssertEqual(c.params.first?.defaultValue, "1")
        XCTAssertEqual(c.constraints[0].terms, [t("1", [], .equity), t("-1", [.param("k")], .mm)])
        XCTAssertEqual(c.constraints[0].text, "equity - k*mm >= 0")
        XCTAssertEqual(c.constraints[0].line, 11)
    }

    func testLiquidationBufferPieces() throws {
        let c = try Circuit.compile(source: try shipped("liquidation-buffer"))
        // Hand-derived: equity ∓ move·S·δ (each underlying) + ½·move²·S²·Γ − mm, all four sign combinations.
        let gammaB = t("0.5", [.spot("BTC"), .spot("BTC"), .param("move"), .param("move")], .gamma("BTC"))
        let gammaE = t("0.5", [.spot("ETH"), .spot("ETH"), .param("move"), .param("move")], .gamma("ETH"))
        var seen = Set<[LinearTerm]>()
        for k in c.constraints {
            XCTAssertTrue(k.terms.contains(gammaB) && k.terms.contains(gammaE) && k.terms.contains(t("-1", [], .mm)))
            seen.insert(k.terms.filter { if case .delta = $0.atom { return true } else { return false } })
        }
        XCTAssertEqual(seen, Set([["-1", "-1"], ["-1", "1"], ["1", "-1"], ["1", "1"]].map { s in
            [t(s[0], [.spot("BTC"), .param("move")], .delta("BTC")), t(s[1], [.spot("ETH"), .param("move")], .delta("ETH"))]
        }))
    }

    // MARK: The issue's example

    func testIssueExample() throws {
        let src = """
        circuit example v1
        require equity >= max(1.2 * loss[s] for each scenario s, 0.015 * abs(delta[BTC]) * spot[BTC] + 0.005 * gross_delta[BTC] * spot[BTC])
        """
        let c = try Circuit.compile(source: src)
        XCTAssertEqual(c.constraints.count, 3)
        let btc: [PublicFactor] = [.spot("BTC")]
        XCTAssertEqual(c.constraints[0].terms, [t("1", [], .equity), t("-1.2", [], .loss(.bound))])
        XCTAssertTrue(c.constraints[0].forEachScenario)
        XCTAssertEqual(c.constraints[1].terms, [t("1", [], .equity), t("-0.015", btc, .delta("BTC")), t("-0.005", btc, .grossDelta("BTC"))])
        XCTAssertEqual(c.constraints[2].terms, [t("1", [], .equity), t("0.015", btc, .delta("BTC")), t("-0.005", btc, .grossDelta("BTC"))])
        XCTAssertFalse(c.constraints[1].forEachScenario || c.constraints[2].forEachScenario)
        XCTAssertEqual(c.constraints.map(\.line), [2, 2, 2])
        XCTAssertEqual(c.constraints[0].text, "equity - 1.2*loss[s] >= 0  (for each scenario s)")
        XCTAssertEqual(c.constraints[2].text, "equity + 0.015*spot[BTC]*delta[BTC] - 0.005*spot[BTC]*gross_delta[BTC] >= 0")
        // Instantiating the quantified constraint for one scenario.
        let crash = c.constraints[0].instantiated(scenario: "btc-20")
        XCTAssertEqual(crash.terms, [t("1", [], .equity), t("-1.2", [], .loss(.named("btc-20")))])
        XCTAssertFalse(crash.forEachScenario)
        XCTAssertEqual(crash.text, "equity - 1.2*loss[btc-20] >= 0")
        XCTAssertEqual(c.constraints[1].instantiated(scenario: "x"), c.constraints[1])
    }

    func testSmallerSideMinAndBuckets() throws {
        let c = try Circuit.compile(source: """
        circuit x v2
        param cap = 3
        require min(equity, collateral) - 2 >= cap * vega[BTC, <30d] + vega[ETH, >90d] - theta
        require value[crash] <= -(-funding) + 4 * (im - im)   # im cancels exactly
        """)
        XCTAssertEqual(c.constraints.count, 3)
        XCTAssertEqual(c.constraints[0].terms, [t("1", [], .equity), t("1", [], .theta),
                                                t("-1", [.param("cap")], .vegaBucket("BTC", "<30d")), t("-1", [], .vegaBucket("ETH", ">90d")), t("-2", [], nil)])
        XCTAssertEqual(c.constraints[1].terms.first, t("1", [], .collateral))
        XCTAssertEqual(c.constraints[2].terms, [t("1", [], .funding), t("-1", [], .value(scenario: .named("crash")))])
        XCTAssertEqual(c.constraints.map(\.line), [3, 3, 4])
    }

    // MARK: Errors

    func testErrorClassesNameTheLine() {
        let h = "circuit e v1\nparam p = 2\n"
        let cases: [(String, CircuitError)] = [
            ("require equity >= foo", .unknownIdentifier(line: 3, "foo")),
            ("require equity >= bar[BTC]", .unknownMetric(line: 3, "bar")),
            ("require equity >= q * mm", .unknownIdentifier(line: 3, "q")),
            ("require equity * delta[BTC] >= 1", .nonLinearProduct(line: 3, "both factors involve metrics; coefficients may only be constants, parameters and spot[U]")),
            ("require max(equity, 1) >= mm", .convexOnWrongSide(line: 3, "max(...)")),
            ("require abs(delta[BTC]) >= 1", .convexOnWrongSide(line: 3, "abs(...)")),
            ("require min(equity, 5) <= 3", .convexOnWrongSide(line: 3, "min(...)")),
            ("require equity <= min(mm, 5)", .upperBoundAtomOnWrongSide(line: 3, "mm")),
            ("require equity >= -2 * abs(delta[BTC])", .negativeCoefficientOnConvex(line: 3, "abs(...)")),
            ("require equity - max(mm, 1) <= 3", .negativeCoefficientOnConvex(line: 3, "max(...)")),
            ("require gross[BTC] <= 0.5 * gross", .upperBoundAtomOnWrongSide(line: 3, "gross")),
            ("require mm >= 1", .upperBoundAtomOnWrongSide(line: 3, "mm")),
            ("require equity >= loss[s]", .unboundScenarioVariable(line: 3, "s")),
            ("require equity >= max(loss[s] for each scenario s) for each scenario s", .multipleScenarioQuantifiers(line: 3)),
            ("require min(value[s] for each scenario s) >= max(loss[s] for each scenario s)", .multipleScenarioQuantifiers(line: 3)),
            ("require equity >= (spot[BTC] - 1) * abs(delta[BTC])", .unknownSign(line: 3, "the coefficient of max/min/abs must be a single product of a constant and public factors, so that its sign is known")),
            ("require equity >= abs(max(delta[BTC], 1))", .notAffine(line: 3, "abs(...) of a max/min expression is not supported; abs needs an affine argument")),
            ("require equity >= max(min(mm, 1), 2)", .notAffine(line: 3, "min(...) (or a negated max/abs) inside max(...) is neither convex nor concave")),
            ("require 1 >= 2 * p", .constantConstraint(line: 3)),
            ("require delta >= 1", .badIndex(line: 3, "delta needs an index: delta[...]")),
            ("require equity[BTC] >= 1", .badIndex(line: 3, "equity takes no index")),
            ("require vega[BTC, 2w] >= 1", .badIndex(line: 3, "vega[BTC, 2w]: the bucket must be one of <30d, 30-90d, >90d")),
            ("require equity >= 1.2.3", .invalidDecimal(line: 3, "1.2.3")),
            ("require equity >= 1 / 2", .syntax(line: 3, "unexpected character \"/\" (division is not supported; write a decimal constant)")),
            ("require equity > 1", .syntax(line: 3, "unexpected character \">\"")),
            ("require equity >= 2 mm", .syntax(line: 3, "unexpected \"mm\" after the requirement")),
            ("param p = 3", .duplicateParam(line: 3, "p")),
            ("param gross = 3", .reservedParamName(line: 3, "gross")),
            ("param z = -3", .negativeParam(line: 3, "z")),
            ("param z = 1e5", .syntax(line: 3, "unexpected \"1e\" (write a product with `*`)")),
            ("require equity >= 99999999999999999999", .invalidDecimal(line: 3, "99999999999999999999")),
            ("require equity >= 999999999999 * 999999999999 * mm", .coefficientOutOfRange(line: 3)),
        ]
        for (src, expected) in cases {
            XCTAssertEqual(compileError(h + src), expected, src)
            XCTAssertTrue(String(describing: expected).hasPrefix("line 3:"), String(describing: expected))
        }
        XCTAssertEqual(compileError("require equity >= 1"), .missingHeader)
        XCTAssertEqual(compileError("# only a comment\ncircuit x v1\n"), .noConstraints)
        XCTAssertEqual(compileError("circuit X v1\nrequire equity >= 1"), .syntax(line: 1, "circuit name must use lowercase letters, digits and '-'"))
        XCTAssertEqual(compileError("circuit x v0\nrequire equity >= 1"), .syntax(line: 1, "version must be v1, v2, ..."))
    }

    /// The check in testSmallerSideMinAndBuckets: gross[ETH] on the larger side is rejected.
    func testGrossOnLargerSideRejected() {
        XCTAssertEqual(compileError("circuit x v1\n\nrequire value[crash] <= funding + gross[ETH]"),
                       .upperBoundAtomOnWrongSide(line: 3, "gross[ETH]"))
        // The naive concentration statement is unsound and rejected.
        XCTAssertEqual(compileError("circuit x v1\nparam share = 0.5\nrequire gross[BTC] <= share * gross"),
                       .upperBoundAtomOnWrongSide(line: 3, "gross"))
    }

    func testExpansionCap() {
        // 13 abs terms → 2^13 = 8192 > 4096 pieces.
        let sum = (0..<13).map { "abs(delta[U\($0)])" }.joined(separator: " + ")
        XCTAssertEqual(compileError("circuit x v1\nrequire \(sum) <= equity"), .expansionTooLarge(line: 2, 8192))
        let ok = (0..<12).map { "abs(delta[U\($0)])" }.joined(separator: " + ")
        XCTAssertEqual(try Circuit.compile(source: "circuit x v1\nrequire \(ok) <= equity").constraints.count, 4096)
    }

    // MARK: Canonical encoding and hash

    /// Byte-exact encoding worked out by hand from SPEC §12.4.
    func testEncodingByHand() throws {
        let c = try Circuit.compile(source: "circuit t v1\nrequire equity >= 0.5 * mm\n")
        let expected: [UInt8] = [0x01] + [1, 0, 0, 0, 0x74] + [1, 0, 0, 0] + [0, 0, 0, 0] + [1, 0, 0, 0]
            + [0x00] + [2, 0, 0, 0]
            + [1, 0, 0, 0, 0, 0, 0, 0] + [0, 0, 0, 0] + [0, 0, 0, 0] + [0x01]
            + [0xfb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff] + [0xff, 0xff, 0xff, 0xff] + [0, 0, 0, 0] + [0x06]
        XCTAssertEqual(c.canonicalEncoding, expected)
        let domain: [UInt8] = [21, 0, 0, 0] + Array("riskattest/circuit/v1".utf8)
        XCTAssertEqual(c.hash, Digest.sha256.hash(domain + expected))
    }

    func testEncodingStableUnderFormatting() throws {
        let a = try Circuit.compile(source: """
        circuit pm v1
        param buffer = 1.2
        param floor = 0.015
        require equity >= max(buffer * loss[s] for each scenario s, floor * abs(delta[BTC]) * spot[BTC])
        """)
        let b = try Circuit.compile(source: """
        # a comment
        circuit   pm   v1
        param floor = 0.0150      # same value, other spelling; declared first
        \tparam buffer=1.20

        require max(loss[s]*buffer for each scenario s,spot[BTC]*(abs(delta[BTC])*floor)) <= equity   # flipped
        """)
        XCTAssertEqual(a.canonicalEncoding, b.canonicalEncoding)
        XCTAssertEqual(a.hash, b.hash)
        XCTAssertNotEqual(a.constraints[0].line, b.constraints[0].line)

        let semanticChanges = [
            a0.replacingOccurrences(of: "buffer = 1.2", with: "buffer = 1.25"),         // param default
            a0.replacingOccurrences(of: "1.2\n", with: "1.2\nparam extra = 1\n"),       // extra param
            a0.replacingOccurrences(of: "pm v1", with: "pm v2"),                        // version
            a0.replacingOccurrences(of: "pm v1", with: "pm2 v1"),                       // name
            a0.replacingOccurrences(of: "loss[s]", with: "weighted_loss[s]"),           // metric
            a0.replacingOccurrences(of: "delta[BTC]", with: "delta[ETH]"),              // underlying in atom
            a0.replacingOccurrences(of: "spot[BTC]", with: "spot[ETH]"),                // public factor
            a0.replacingOccurrences(of: "buffer * loss", with: "floor * loss"),         // which param
            a0.replacingOccurrences(of: "abs(delta[BTC])", with: "delta[BTC]"),         // expansion
            a0.replacingOccurrences(of: "loss[s] for each scenario s", with: "loss[crash]"), // quantifier
            a0 + "\nrequire equity >= 0",                                                 // extra constraint
        ]
        var hashes: Set<[UInt8]> = [a.hash]
        for src in semanticChanges {
            let c = try Circuit.compile(source: src)
            XCTAssertNotEqual(c.canonicalEncoding, a.canonicalEncoding, src)
            hashes.insert(c.hash)
            print("circuit \(name) v\(c.version): \(c.constraints.count) constraints, hash \(c.hash.map { String(format: "%02x", $0) }.joined())")
        }
        XCTAssertEqual(hashes.count, semanticChanges.count + 1)
    }

    let a0 = """
    circuit pm v1
    param buffer = 1.2
    param floor = 0.015
    require equity >= max(buffer * loss[s] for each scenario s, floor * abs(delta[BTC]) * spot[BTC])
    """

    func testParamDefaultChangesHashOnly() throws {
        let base = try Circuit.compile(source: try shipped("solvency"))
        let other = try Circuit.compile(source: try shipped("solvency").replacingOccurrences(of: "k = 1.0", with: "k = 1.1"))
        XCTAssertEqual(base.constraints, other.constraints)
        XCTAssertNotEqual(base.hash, other.hash)
    }

    func testResolvedParams() throws {
        let c = try Circuit.compile(source: try shipped("portfolio-margin"))
        let p = try c.resolvedParams(overrides: ["buffer": "1.5"])
        XCTAssertEqual(p, ["buffer": d("1.5"), "delta_rate": d("0.015"), "gross_rate": d("0.005")])
        XCTAssertThrowsError(try c.resolvedParams(overrides: ["nope": "1"])) { XCTAssertEqual($0 as? CircuitError, .unknownParam("nope")) }
        XCTAssertThrowsError(try c.resolvedParams(overrides: ["buffer": "-1"])) {
            XCTAssertEqual($0 as? CircuitError, .invalidParamValue(name: "buffer", value: "-1"))
        }
    }

    // MARK: Exact decimals and SHA-256

    func testExactDecimal() {
        XCTAssertEqual(d("1.20"), d("1.2"))
        XCTAssertEqual(d("1.20").mantissa, 12)
        XCTAssertEqual(d("1.20").exponent, -1)
        XCTAssertEqual(d("100").mantissa, 1)
        XCTAssertEqual(d("100").exponent, 2)
        XCTAssertEqual(d("0.000").description, "0")
        XCTAssertEqual(d("-0.015").description, "-0.015")
        XCTAssertEqual(d("1200").description, "1200")
        XCTAssertEqual(d("0.1").adding(d("0.2")), d("0.3"))
        XCTAssertEqual(d("1.2").multiplied(by: d("0.5")), d("0.6"))
        XCTAssertTrue(d("0.015") < d("0.1"))
        XCTAssertTrue(d("-2") < d("-1.5"))
        for bad in ["", ".5", "5.", "1e3", "+1", "1.2.3", "--1", "9223372036854775808"] { XCTAssertNil(ExactDecimal(text: bad), bad) }
        XCTAssertEqual(ExactDecimal(text: "9223372036854775807")?.mantissa, Int64.max)
        XCTAssertNil(d("9223372036854775807").multiplied(by: d("2")))
        XCTAssertEqual(d("1.2").doubleValue, 1.2)
        XCTAssertEqual(d("-0.015").doubleValue, -0.015)
        XCTAssertEqual(d("1200").doubleValue, 1200)
        XCTAssertEqual(d("0.1").doubleValue, 0.1)
    }

    func hex(_ s: String) -> [UInt8] {
        let c = Array(s.utf8)
        func v(_ x: UInt8) -> UInt8 { x <= 57 ? x - 48 : x - 87 }
        return stride(from: 0, to: c.count, by: 2).map { v(c[$0]) << 4 | v(c[$0 + 1]) }
    }
}

final class CircuitsRobustnessTests: XCTestCase {
    /// Hostile input gives an error, never a crash: deep nesting, huge sums, garbage bytes.
    func testHostileInput() {
        func err(_ s: String) -> CircuitError? { do { _ = try Circuit.compile(source: s); return nil } catch { return error } }
        let deep = "circuit x v1\nrequire equity >= " + String(repeating: "(", count: 10_000) + "1" + String(repeating: ")", count: 10_000)
        XCTAssertEqual(err(deep), .syntax(line: 2, "expression nested more than 32 levels deep"))
        let long = "circuit x v1\nrequire equity >= " + Array(repeating: "theta", count: 20_000).joined(separator: " + ")
        let c = try? Circuit.compile(source: long)
        XCTAssertEqual(c?.constraints.first?.terms, [LinearTerm(coefficient: .one, factors: [], atom: .equity),
                                                     LinearTerm(coefficient: ExactDecimal(normalising: -20_000, 0), factors: [], atom: .theta)])
        XCTAssertEqual(err(String(repeating: "#", count: (1 << 20) + 1)), .sourceTooLarge((1 << 20) + 1))
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("circuit require param v1 equity loss[s] max( min( abs( ) , + - * >= <= for each scenario s 1.5 spot[BTC] delta[BTC] gross mm \n #".utf8)
        for _ in 0..<2000 {
            let bytes = (0..<Int.random(in: 0..<120, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
            _ = err("circuit x v1\n" + String(decoding: bytes, as: UTF8.self))
        }
    }
}
