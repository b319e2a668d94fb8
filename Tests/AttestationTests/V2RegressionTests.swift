import Foundation
import XCTest
import Attestation
import Circuits
@testable import Prover
import RiskEngine
import SystemCrypto
import Verifier

/// One named regression test per soundness case of issue 11 ("Attestations v2"): each was an
/// honest `prove` that the landed verifier accepted while `metrics` called the statement false.
final class V2RegressionTests: XCTestCase {
    /// The example market with two extra collateral assets: a token worth 1/1000 BTC (tied to BTC)
    /// and a penny asset priced 0.004.
    static func market(extraCollateral: Bool = true) throws -> [UInt8] {
        var s = String(decoding: try EndToEnd.market(), as: UTF8.self)
        if extraCollateral {
            let anchor = #"{"id": "ETH", "price": 3604.18, "haircut": 0.07, "underlying": "ETH"}"#
            precondition(s.contains(anchor))
            s = s.replacingOccurrences(of: anchor, with: anchor + ",\n" +
                #"    {"id": "MBTC", "price": 97.01235, "haircut": 0, "underlying": "BTC"},"# + "\n" +
                #"    {"id": "PEN", "price": 0.004, "haircut": 0}"#)
        }
        return Array(s.utf8)
    }

    static func portfolio(_ positions: [String], _ collateral: [String], mode: String = "cross") -> [UInt8] {
        Array("""
        {"schema": "riskattest.portfolio/1", "margin_mode": "\(mode)",
         "positions": [\(positions.joined(separator: ", "))], "collateral": [\(collateral.joined(separator: ", "))]}
        """.utf8)
    }

    static func report(_ market: [UInt8], _ portfolio: [UInt8]) throws -> RiskReport {
        let m = try MarketSnapshot.parse(market)
        return try RiskEngine.analyze(portfolio: try Portfolio.parse(portfolio, market: m), market: m,
                                      options: AnalysisOptions(liquidationPrices: false))
    }

    static func request(_ market: [UInt8], _ portfolio: [UInt8], _ circuit: String, _ params: [String: String] = [:],
                        createdAt: Int64 = EndToEnd.createdAt, validFor: Int64 = 7_200, bits: Int = 32) -> ProveRequest {
        ProveRequest(marketBytes: market, portfolioBytes: portfolio, circuitSource: circuit, key: EndToEnd.goldenKey,
                     parameters: params, createdAt: createdAt, validForSeconds: validFor, instrumentBits: bits)
    }

    static func verify(_ r: ProveResult, _ market: [UInt8], _ circuit: String, policy: VerificationPolicy = VerificationPolicy(),
                       now: Int64 = EndToEnd.verifyAt) -> VerificationReport {
        Verifier.verify(VerificationRequest(attestationBytes: r.attestation.encode(), marketBytes: market, circuitSource: circuit,
                                            trustedKeys: [EndToEnd.goldenKey.publicKey], now: now, policy: policy))
    }

    /// Asserts that the honest prover refuses (a violated constraint), and that a prover forced
    /// past that check produces an attestation the verifier rejects.
    func assertRefusedAndRejected(_ req: ProveRequest, policy: VerificationPolicy, _ what: String,
                                  file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertThrowsError(try Prover.prove(req), what, file: file, line: line) { e in
            guard case ProverError.witness(.constraintViolated) = e else {
                return XCTFail("\(what): refused for the wrong reason: \(e)", file: file, line: line)
            }
        }
        let forced = try Prover.prove(req, progress: nil, skippingStatementCheck: true)
        let rep = Self.verify(forced, req.marketBytes, req.circuitSource, policy: policy)
        XCTAssertFalse(rep.valid, "\(what): forced attestation verified", file: file, line: line)
    }

    static let solvency = "circuit solvency v1\nparam k = 1.0\nrequire equity >= k * mm\n"

    // Case 1: the prover chose the requirement (k = 0 verified).
    func testRegressionCase1ProverCannotChooseTheRequirement() throws {
        let market = try EndToEnd.market()
        let r = try Prover.prove(Self.request(market, try EndToEnd.portfolio(), Self.solvency, ["k": "0"]))
        let rep = Self.verify(r, market, Self.solvency)
        XCTAssertFalse(rep.valid)
        XCTAssertEqual(rep.reason, VerificationFailure.parameterMismatch(name: "k", attested: "0", required: "1").description)
        XCTAssertTrue(rep.reason?.contains("k = 0") == true && rep.reason?.contains("k = 1") == true)
        // A relying party that really asks for k = 0 gets it.
        XCTAssertTrue(Self.verify(r, market, Self.solvency, policy: VerificationPolicy(parameters: ["k": "0"])).valid)
        // A policy naming an undeclared parameter is the verifier's own unusable input.
        let bad = Self.verify(r, market, Self.solvency, policy: VerificationPolicy(parameters: ["kk": "1"]))
        XCTAssertFalse(bad.valid); XCTAssertTrue(bad.unusableInput)
    }

    // Case 2a: a short option's maintenance is size·(rate·S + V), not the tier rate on notional.
    func testRegressionCase2ShortOptionMarginIsTheEngines() throws {
        let market = try EndToEnd.market()
        let book = Self.portfolio([#"{"instrument": "BTC-25DEC26-100000-C", "quantity": -20, "entry_price": 4596.42}"#],
                                  [#"{"asset": "USDC", "amount": 0}"#])
        let eq0 = try Self.report(market, book)
        // Choose collateral so that equity = 1.2 × the engine's cross maintenance.
        let usdc = 1.2 * eq0.margin.cross.maintenance - eq0.margin.equity
        let funded = Self.portfolio([#"{"instrument": "BTC-25DEC26-100000-C", "quantity": -20, "entry_price": 4596.42}"#],
                                    [#"{"asset": "USDC", "amount": \#(RandomBooks.num(usdc, 2))}"#])
        let rep = try Self.report(market, funded)
        let ratio = rep.margin.equity / rep.margin.cross.maintenance
        XCTAssert(abs(ratio - 1.2) < 1e-3, "set-up: ratio \(ratio)")
        try assertRefusedAndRejected(Self.request(market, funded, Self.solvency, ["k": "1.3"]),
                                     policy: VerificationPolicy(parameters: ["k": "1.3"]), "short option, k = 1.3 at ratio 1.2")
        // And the true statement proves and verifies.
        let ok = try Prover.prove(Self.request(market, funded, Self.solvency, ["k": "1.1"]))
        XCTAssertTrue(Self.verify(ok, market, Self.solvency, policy: VerificationPolicy(parameters: ["k": "1.1"])).valid)
    }

    // Case 2b: futures above the first bracket: initial margin has no deduction in the engine.
    func testRegressionCase2FuturesInitialMarginAboveTheFirstBracket() throws {
        let market = try EndToEnd.market()
        let pos = #"{"instrument": "BTCUSDT-PERP", "quantity": 6, "entry_price": 97031.8}"#   // ≈ 582k: bracket 2
        let r0 = try Self.report(market, Self.portfolio([pos], [#"{"asset": "USDC", "amount": 0}"#]))
        XCTAssertEqual(r0.margin.cross.initial, 6 * 97031.8 * 0.01, accuracy: 1e-6)
        // Equity 97 % of the engine's IM: negative free collateral.
        let usdc = 0.97 * r0.margin.cross.initial - r0.margin.equity
        let book = Self.portfolio([pos], [#"{"asset": "USDC", "amount": \#(RandomBooks.num(usdc, 2))}"#])
        XCTAssertLessThan(try Self.report(market, book).margin.freeCollateral, 0)
        let circuit = "circuit initial v1\nrequire equity >= im\n"
        try assertRefusedAndRejected(Self.request(market, book, circuit), policy: VerificationPolicy(), "equity >= im with free collateral < 0")
    }

    // Case 3: coefficients were rounded to whole slack units (k = 2.5 proved as 2).
    func testRegressionCase3FractionalFactorsAreKept() throws {
        let market = try EndToEnd.market()
        let pos = #"{"instrument": "BTCUSDT-PERP", "quantity": 2, "entry_price": 97031.8}"#
        let r0 = try Self.report(market, Self.portfolio([pos], [#"{"asset": "USDC", "amount": 0}"#]))
        let usdc = 2.2 * r0.margin.cross.maintenance - r0.margin.equity
        let book = Self.portfolio([pos], [#"{"asset": "USDC", "amount": \#(RandomBooks.num(usdc, 2))}"#])
        for (k, holds) in [("2.5", false), ("2.21", false), ("2.19", true), ("1.4", true), ("0.5", true)] {
            let req = Self.request(market, book, Self.solvency, ["k": k])
            if holds {
                let r = try Prover.prove(req)
                XCTAssertTrue(Self.verify(r, market, Self.solvency, policy: VerificationPolicy(parameters: ["k": k])).valid, "k = \(k)")
            } else {
                try assertRefusedAndRejected(req, policy: VerificationPolicy(parameters: ["k": k]), "k = \(k) at ratio 2.2")
            }
        }
    }

    // Case 3b: an asset priced 0.004 counted zero, so a huge borrow of it disappeared.
    func testRegressionCase3PennyAssetBorrowCounts() throws {
        let market = try Self.market()
        // 1000 USDC, borrowed 2,000,000 PEN = −8000: equity −7000.
        let book = Self.portfolio([], [#"{"asset": "USDC", "amount": 1000}"#, #"{"asset": "PEN", "amount": -2000000}"#])
        let rep = try Self.report(market, book)
        XCTAssertEqual(rep.margin.equity, -7000, accuracy: 1e-9)
        let circuit = "circuit pos v1\nparam floor = 0\nrequire equity >= floor\n"
        try assertRefusedAndRejected(Self.request(market, book, circuit), policy: VerificationPolicy(), "equity >= 0 at −7000")
        // An asset priced 0.0051 is not counted almost double: 10^6 units = 5100, not 10^4.
        let m2 = Array(String(decoding: market, as: UTF8.self).replacingOccurrences(of: #""price": 0.004"#, with: #""price": 0.0051"#).utf8)
        let b2 = Self.portfolio([], [#"{"asset": "PEN", "amount": 1000000}"#])
        let c2 = "circuit cap v1\nparam x = 5100.0001\nrequire collateral <= x\n"
        XCTAssertNoThrow(try Prover.prove(Self.request(m2, b2, c2)))
        let c3 = "circuit cap v1\nparam x = 5099.9999\nrequire collateral <= x\n"
        try assertRefusedAndRejected(Self.request(m2, b2, c3), policy: VerificationPolicy(), "collateral 5100 <= 5099.9999")
    }

    // Case 4: collateral delta counted 1 per unit; the engine uses price/index.
    func testRegressionCase4CollateralDeltaIsPriceOverIndex() throws {
        let market = try Self.market()
        // Short 500 BTC of perps against 400 MBTC (0.4 BTC of delta): net −499.6.
        let book = Self.portfolio([#"{"instrument": "BTCUSDT-PERP", "quantity": -500, "entry_price": 97031.8}"#],
                                  [#"{"asset": "USDC", "amount": 50000000}"#, #"{"asset": "MBTC", "amount": 400}"#])
        let rep = try Self.report(market, book)
        XCTAssertEqual(rep.underlyings[0].totalDelta, -500 * 97031.8 / 97012.35 + 0.4, accuracy: 1e-9)
        let circuit = "circuit band v1\nparam L = 50\nrequire abs(delta[BTC]) <= L\n"
        try assertRefusedAndRejected(Self.request(market, book, circuit), policy: VerificationPolicy(), "|delta| <= 50 at −499.6")
    }

    // Case 5: institutional sizes (settlement cash above 9·10^7; slack above 1.8·10^9; balances
    // and settlement cash of 10^12 quote).
    func testRegressionCase5InstitutionalSizesAttest() throws {
        let market = try EndToEnd.market()
        let circuit = "circuit pos v1\nparam floor = 0\nrequire equity >= floor\n"
        // 2,000,000 BTC of perps at ~97k: settlement cash ≈ −1.9·10^11 (v1 failed above 9·10^7);
        // USDC 10^12 (v1's portfolio limit was 10^10), so excess equity ≈ 10^12 (v1: ≤ 1.8·10^9).
        let book = Self.portfolio([#"{"instrument": "BTCUSDT-PERP", "quantity": 2000000, "entry_price": 97031.8}"#],
                                  [#"{"asset": "USDC", "amount": 1000000000000}"#, #"{"asset": "BTC", "amount": 0.12345678}"#])
        let report = try Self.report(market, book)
        XCTAssertGreaterThan(report.margin.equity, 9.9e11)
        let solvency = "circuit s v1\nparam k = 1\nrequire equity >= k * mm\n"
        for c in [circuit, solvency] {
            let r = try Prover.prove(Self.request(market, book, c, bits: 64))
            XCTAssertTrue(Self.verify(r, market, c).valid, c)
            // The 10^12 USDC balance is committed as whole units plus a fraction; disclosed
            // together they give the balance back exactly.
            let usdc = try r.openings.memberIndices(forID: "USDC")
            XCTAssertEqual(usdc.count, 2, "a collateral balance is disclosed with its whole-unit companion")
            let members = try checkDisclosure(attestation: r.attestation,
                                              disclosure: try r.openings.disclosure(of: usdc, attestation: r.attestation)).members
            XCTAssertEqual(members.map(\.witnessValue), [0, 1_000_000_000_000])
            XCTAssertEqual(try checkDisclosure(attestation: r.attestation,
                                               disclosure: try r.openings.disclosure(of: try r.openings.memberIndices(forID: "BTC"),
                                                                                     attestation: r.attestation))
                .members.map(\.witnessValue), [12_345_678, 0])
            XCTAssertEqual(try r.openings.memberIndices(forID: "BTCUSDT-PERP").count, 1)
        }
        // The statement is still exact at that size: 10^12 + 1 quote of equity is refused.
        let tooMuch = "circuit pos v1\nparam floor = \(RandomBooks.num(report.margin.equity + 1, 2))\nrequire equity >= floor\n"
        try assertRefusedAndRejected(Self.request(market, book, tooMuch, bits: 64), policy: VerificationPolicy(),
                                     "equity >= engine equity + 1 at 10^12")
        // One past the balance limit: a clear input error, never a wrap.
        let past = Self.portfolio([], [#"{"asset": "USDC", "amount": 1000000000000.00000001}"#])
        XCTAssertThrowsError(try Prover.prove(Self.request(market, past, circuit))) { e in
            XCTAssertTrue("\(e)".contains("out of range"), "\(e)")
        }
    }

    /// SPEC §14.1's limits, each at the limit and one past it: a clear error, never a wrap.
    func testLimitsAtAndPastEachBound() throws {
        let market = try EndToEnd.market()
        let floor0 = "circuit pos v1\nparam floor = 0\nrequire equity >= floor\n"
        func prove(_ positions: [String], _ collateral: [String], bits: Int = 64, circuit: String? = nil) throws -> ProveResult {
            try Prover.prove(Self.request(market, Self.portfolio(positions, collateral), circuit ?? floor0, bits: bits))
        }
        let cash = #"{"asset": "USDC", "amount": 1000000000000}"#
        // Instrument halves at 32 bits: |q| < 2^32·10^-4 = 429,496.7296 contracts.
        XCTAssertNoThrow(try prove([#"{"instrument": "ETHUSDT-PERP", "quantity": 429496.7295, "entry_price": 3605.02}"#], [cash], bits: 32))
        XCTAssertThrowsError(try prove([#"{"instrument": "ETHUSDT-PERP", "quantity": 429496.7296, "entry_price": 3605.02}"#], [cash], bits: 32)) { e in
            XCTAssertTrue("\(e)".contains("does not fit the 32-bit witness range"), "\(e)")
        }
        // Positions of 10^9 contracts (64-bit halves; settlement cash ≈ 3.6·10^12 quote).
        let big = try prove([#"{"instrument": "ETHUSDT-PERP", "quantity": 1000000000, "entry_price": 3605.02}"#], [cash])
        XCTAssertTrue(Self.verify(big, market, floor0).valid)
        // Constraint slack below 2^128·10^-24 ≈ 3.4·10^14: 3·10^9 BTC of collateral (≈ 2.8·10^14
        // quote) attests `equity >= 0`; 4·10^9 BTC (≈ 3.8·10^14) is a clear range error.
        XCTAssertTrue(Self.verify(try prove([], [#"{"asset": "BTC", "amount": 3000000000}"#]), market, floor0).valid)
        XCTAssertThrowsError(try prove([], [#"{"asset": "BTC", "amount": 4000000000}"#])) { e in
            guard case ProverError.witness(.slackOutOfRange) = e else { return XCTFail("\(e)") }
            XCTAssertTrue("\(e)".contains("2^128·10^-24"), "\(e)")
        }
        // Collateral amount: the portfolio schema's 10^12 (at the limit above; one past in case 5).
    }

    /// A snapshot at its limits (64 underlyings, 64 collateral assets, 64 tier tables each used by
    /// a perpetual) gives 1 + 64 + 2·64 + 64 + 1 + 64 = 322 auxiliary members: within format v2's
    /// 512, so such an attestation encodes, proves and verifies.
    func testSnapshotAtItsLimitsAttests() throws {
        var unds: [String] = [], insts: [String] = [], colls: [String] = [], tables: [String] = []
        for k in 0..<64 {
            let u = "U\(k)"
            unds.append(#"{"id": "\#(u)", "index_price": 100, "price_time": "2026-11-24T07:59:45Z", "rate": 0.01}"#)
            insts.append(#"{"id": "\#(u)-PERP", "underlying": "\#(u)", "type": "perpetual", "margining": "linear", "contract_size": 1, "mark_price": 100, "funding_rate": 0.0001, "funding_interval_hours": 8, "tier_table": "T\#(k)"}"#)
            colls.append(#"{"id": "C\#(k)", "price": 1, "haircut": 0}"#)
            tables.append(#"{"name": "T\#(k)", "tiers": [{"max_notional": null, "maintenance_rate": 0.01, "initial_rate": 0.02, "cumulative_deduction": 0}]}"#)
        }
        let market = Array("""
        {"schema": "riskattest.market/1", "snapshot_id": "limits", "as_of": "2026-11-24T08:00:00Z", "quote_currency": "USD",
         "max_price_age_seconds": 300, "underlyings": [\(unds.joined(separator: ","))], "instruments": [\(insts.joined(separator: ","))],
         "collateral": [\(colls.joined(separator: ","))],
         "margin": {"portfolio_maintenance_fraction": 0.5,
           "option_margin": {"short_initial_rate": 0.15, "short_initial_floor_rate": 0.1, "short_maintenance_rate": 0.075},
           "tier_tables": [\(tables.joined(separator: ","))]},
         "scenarios": [{"name": "down", "price_moves": {"U0": -0.1}, "vol_shock": {"type": "none"}, "weight": 1}]}
        """.utf8)
        let book = Self.portfolio([#"{"instrument": "U0-PERP", "quantity": 10, "entry_price": 100}"#], [#"{"asset": "C0", "amount": 1000}"#])
        let circuit = "circuit s v1\nparam k = 1\nrequire equity >= k * mm\nrequire equity >= k * im\n"
        let r = try Prover.prove(Self.request(market, book, circuit))
        XCTAssertEqual(r.attestation.auxiliaryMembers.count, 322)
        XCTAssertTrue(Self.verify(r, market, circuit).valid)
        XCTAssertEqual(try AttestationV1.decode(r.attestation.encode()), r.attestation)
    }

    // Case 6: created_at / expires_at were free.
    func testRegressionCase6TimeIsTiedToTheSnapshot() throws {
        let market = try EndToEnd.market(), book = try EndToEnd.portfolio()
        let asOf = EndToEnd.createdAt
        // Created in 2020 (before the snapshot): the honest prover refuses; signed anyway (the
        // key holder can sign any body), the verifier rejects it before looking at the proofs.
        XCTAssertThrowsError(try Prover.prove(Self.request(market, book, Self.solvency, createdAt: 1_577_836_800))) { e in
            XCTAssertTrue("\(e)".contains("before the snapshot's as_of"), "\(e)")
        }
        let honest = try Prover.prove(Self.request(market, book, Self.solvency))
        let forged2020 = try EndToEnd.resigned(honest.attestation, createdAt: 1_577_836_800, expiresAt: 1_577_836_800 + 366 * 86_400 * 7)
        let rep2020 = Verifier.verify(VerificationRequest(attestationBytes: forged2020.encode(), marketBytes: market,
                                                          circuitSource: Self.solvency, trustedKeys: [EndToEnd.goldenKey.publicKey],
                                                          now: asOf + 60))
        XCTAssertFalse(rep2020.valid)
        XCTAssertTrue(rep2020.reason?.contains("before the snapshot's as_of") == true, rep2020.reason ?? "")
        // Created in 2028 is not yet valid in 2026, and far too late for the snapshot anyway.
        let r2028 = try Prover.prove(Self.request(market, book, Self.solvency, createdAt: 1_830_297_600))
        XCTAssertFalse(Self.verify(r2028, market, Self.solvency, now: 1_830_297_600 + 10).valid)
        XCTAssertTrue(Self.verify(r2028, market, Self.solvency, now: 1_830_297_600 + 10).reason?.contains("old at creation") == true)
        // Valid 366 days: longer than the default 24 h window.
        let rLong = try Prover.prove(Self.request(market, book, Self.solvency, createdAt: asOf + 60, validFor: 366 * 86_400))
        let repLong = Self.verify(rLong, market, Self.solvency, now: asOf + 120)
        XCTAssertFalse(repLong.valid)
        XCTAssertTrue(repLong.reason?.contains("valid for 366 d") == true, repLong.reason ?? "")
        // A relying party may accept a longer window explicitly.
        XCTAssertTrue(Self.verify(rLong, market, Self.solvency, policy: VerificationPolicy(maxValiditySeconds: 400 * 86_400),
                                  now: asOf + 120).valid)
        // A nonce requirement is the relying party's.
        let noNonce = Self.verify(rLong, market, Self.solvency, policy: VerificationPolicy(maxValiditySeconds: 400 * 86_400, requireNonce: true),
                                  now: asOf + 120)
        XCTAssertFalse(noNonce.valid)
        XCTAssertEqual(noNonce.reason, VerificationFailure.nonceMissing.description)
    }

    // Format: version 2 files (options priced off S·e^{rT} even where a future of their expiry is
    // listed; issue 14) are refused by name: their coefficients are not this engine's.
    func testVersionTwoIsRejected() throws {
        var bytes = try EndToEnd.proved("solvency").attestation.encode()
        bytes[4] = 2; bytes[5] = 0
        XCTAssertThrowsError(try AttestationV1.decode(bytes)) { e in
            XCTAssertTrue("\(e)".contains("unsupported attestation format version 2"), "\(e)")
            XCTAssertTrue("\(e)".contains("future of their expiry is listed"), "\(e)")
        }
    }

    // Format: version 1 files are refused by name.
    func testVersionOneIsRejected() throws {
        var bytes = try EndToEnd.proved("solvency").attestation.encode()
        bytes[4] = 1; bytes[5] = 0
        XCTAssertThrowsError(try AttestationV1.decode(bytes)) { e in
            XCTAssertTrue("\(e)".contains("unsupported attestation format version 1"), "\(e)")
        }
    }

    // Exact scaling: the conversion used for every coefficient floors the double's exact value.
    func testExactScalingFloorsTheExactValue() {
        let big: Int128 = 1 << 126
        XCTAssertEqual(ExactScaling.floor(1.4, digits: 24, bound: big), Int128(1_399_999_999_999_999_911_182_158))   // 1.4 = 1.399999999999999911182158029987…
        XCTAssertEqual(ExactScaling.floor(-1.4, digits: 24, bound: big), -Int128(1_399_999_999_999_999_911_182_159))
        XCTAssertEqual(ExactScaling.floor(0.5, digits: 0, bound: big), 0)
        XCTAssertEqual(ExactScaling.floor(-0.5, digits: 0, bound: big), -1)
        XCTAssertEqual(ExactScaling.floor(1e-300, digits: 24, bound: big), 0)
        XCTAssertEqual(ExactScaling.floor(-1e-300, digits: 24, bound: big), -1)
        XCTAssertEqual(ExactScaling.floor(3, digits: 24, bound: big), 3 * Int128(1_000_000_000_000_000_000_000_000))
        XCTAssertNil(ExactScaling.floor(1e20, digits: 24, bound: big))           // 10^44 ≥ 2^126
        XCTAssertNil(ExactScaling.floor(.infinity, digits: 0, bound: big))
        XCTAssertNil(ExactScaling.floor(.nan, digits: 0, bound: big))
    }
}
