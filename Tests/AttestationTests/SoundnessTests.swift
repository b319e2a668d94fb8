import Foundation
import XCTest
import Attestation
import Circuits
@testable import Prover
import RiskEngine
import SystemCrypto
import Verifier

/// Attestations checked against the **engine's** truth on random books, never only the prover
/// against its own verifier (issue 11): every atom's linear form on the honest witness against
/// `RiskEngine.analyze`, and a soundness sweep where a statement the engine calls false must be
/// refused by `prove` and, proved by force, rejected by `verify`.
final class SoundnessTests: XCTestCase {
    static let cases = Int(ProcessInfo.processInfo.environment["RISKATTEST_SWEEP_CASES"] ?? "") ?? 40

    struct Parsed {
        var market: MarketSnapshot
        var portfolio: Portfolio
        var units: UnitRiskTable
        var report: RiskReport
        var marketBytes: [UInt8]
        var portfolioBytes: [UInt8]
    }

    static func parse(_ c: RandomBooks.Case) throws -> Parsed {
        let mb = Array(c.market.utf8), pb = Array(c.portfolio.utf8)
        let market = try MarketSnapshot.parse(mb)
        let portfolio = try Portfolio.parse(pb, market: market)
        let units = try UnitRiskTable(market: market)
        let report = try RiskEngine.analyze(portfolio: portfolio, market: market, table: units,
                                            options: AnalysisOptions(liquidationPrices: false))
        return Parsed(market: market, portfolio: portfolio, units: units, report: report, marketBytes: mb, portfolioBytes: pb)
    }

    /// The honest witness with margin witnesses filled for a circuit naming mm and im.
    static func witness(_ p: Parsed, bits: Int = 64) throws -> Witness {
        let circuit = try Circuit.compile(source: "circuit margins v1\nrequire equity >= mm\nrequire equity >= im\n")
        let system = try StatementSystem(market: p.market, units: p.units, circuit: circuit, params: [:])
        var w = try Witness(portfolio: p.portfolio, market: p.market, layout: system.layout, instrumentBits: bits)
        try w.fillMarginWitnesses(system: system)
        return w
    }

    // MARK: Differential atom test

    func testEveryAtomMatchesTheEngineOnRandomBooks() throws {
        for seed in 1...UInt64(Self.cases) {
            // Every fifth book is institutional: positions up to 10^9 contracts, 10^10–9·10^10 USDC.
            let c = RandomBooks.make(seed: seed, institutional: seed % 5 == 0)
            let p = try Self.parse(c)
            let w = try Self.witness(p)
            let r = p.report
            func atom(_ a: MetricAtom, scenario: Int? = nil) throws -> Double {
                try StatementSystem.atomValue(a, market: p.market, units: p.units, scenario: scenario, plus: w.plus, minus: w.minus)
            }
            // Magnitude of the book's terms: the bound is stated relative to it (SPEC §14.3).
            let magnitude = r.totals.grossNotional + r.collateral.reduce(0) { $0 + abs($1.value) }
                + r.positions.reduce(0) { $0 + abs($1.entryValue) + abs($1.value) } + 1
            let tol = 1e-9 * magnitude + 1e-7
            func exact(_ name: String, _ got: Double, _ want: Double, tol t: Double = tol) {
                XCTAssert(abs(got - want) <= t, "seed \(seed) \(name): atom \(got) vs engine \(want) (tolerance \(t))")
            }
            func upper(_ name: String, _ got: Double, _ want: Double) {
                XCTAssert(got >= want - tol, "seed \(seed) \(name): upper-bound atom \(got) below engine \(want)")
            }
            exact("equity", try atom(.equity), r.margin.equity)
            exact("collateral", try atom(.collateral), r.totals.collateralValue)
            exact("funding", try atom(.funding), r.totals.fundingPerInterval)
            exact("theta", try atom(.theta), r.totals.theta)
            exact("gross", try atom(.gross), r.totals.grossNotional)
            upper("mm", try atom(.mm), r.margin.cross.maintenance)
            upper("im", try atom(.im), r.margin.cross.initial)
            for (s, row) in r.stress.enumerated() {
                exact("value[\(row.scenario)]", try atom(.value(scenario: .bound), scenario: s), row.equity, tol: 4 * tol)
                exact("loss[\(row.scenario)]", try atom(.loss(.bound), scenario: s), -row.pnl, tol: 4 * tol)
                exact("weighted_loss[\(row.scenario)]", try atom(.weightedLoss(.bound), scenario: s), row.weightedLoss, tol: 4 * tol)
            }
            for u in r.underlyings {
                let dmag = u.positions.greeks.delta.magnitude + abs(u.collateralDelta)
                    + r.positions.filter { $0.underlying == u.underlying }.reduce(0) { $0 + abs($1.greeks.delta) } + 1
                exact("delta[\(u.underlying)]", try atom(.delta(u.underlying)), u.totalDelta, tol: 1e-9 * dmag + 1e-7)
                upper("gross_delta[\(u.underlying)]", try atom(.grossDelta(u.underlying)), abs(u.totalDelta))
                exact("gamma[\(u.underlying)]", try atom(.gamma(u.underlying)), u.positions.greeks.gamma,
                      tol: 1e-9 * (abs(u.positions.greeks.gamma) + 1))
                exact("vega[\(u.underlying)]", try atom(.vega(u.underlying)), u.positions.greeks.vega,
                      tol: 1e-9 * (abs(u.positions.greeks.vega) + 1))
                exact("gross[\(u.underlying)]", try atom(.grossUnderlying(u.underlying)), u.positions.grossNotional)
            }
        }
    }

    // MARK: Soundness sweep

    /// A statement family: the circuit for a parameter value and the engine's slack for it.
    struct Family: Sendable {
        var name: String
        /// The circuit; its parameter `k` is set per case.
        var circuit: String
        /// The parameter at which the engine's slack is zero (nil when no boundary exists).
        var threshold: @Sendable (RiskReport) -> Double?
        /// The engine's slack at parameter value v (true ⇔ ≥ 0).
        var slack: @Sendable (RiskReport, Double) -> Double
        /// Whether the atoms are exact on the honest witness (then a true statement must prove).
        var exact: Bool
    }

    static let families: [Family] = [
        Family(name: "solvency", circuit: "circuit s v1\nparam k = 1\nrequire equity >= k * mm\n",
               threshold: { r in r.margin.cross.maintenance > 0 ? r.margin.equity / r.margin.cross.maintenance : nil },
               slack: { r, k in r.margin.equity - k * r.margin.cross.maintenance }, exact: false),
        Family(name: "initial", circuit: "circuit i v1\nparam k = 1\nrequire equity >= k * im\n",
               threshold: { r in r.margin.cross.initial > 0 ? r.margin.equity / r.margin.cross.initial : nil },
               slack: { r, k in r.margin.equity - k * r.margin.cross.initial }, exact: false),
        Family(name: "delta-band", circuit: "circuit d v1\nparam k = 1\nrequire abs(delta[BTC]) <= k\n",
               threshold: { r in abs(r.underlyings[0].totalDelta) },
               slack: { r, k in k - abs(r.underlyings[0].totalDelta) }, exact: true),
        Family(name: "leverage", circuit: "circuit l v1\nparam k = 1\nrequire gross <= k * equity\n",
               threshold: { r in r.margin.equity > 0 ? r.totals.grossNotional / r.margin.equity : nil },
               slack: { r, k in k * r.margin.equity - r.totals.grossNotional }, exact: true),
        Family(name: "scenario-buffer", circuit: "circuit p v1\nparam k = 1\nrequire equity >= k * weighted_loss[s] for each scenario s\n",
               threshold: { r in
                   let worst = r.stress.map(\.weightedLoss).max() ?? 0
                   return worst > 0 ? r.margin.equity / worst : nil },
               slack: { r, k in r.margin.equity - k * (r.stress.map(\.weightedLoss).max() ?? 0) }, exact: true),
    ]

    /// Where a statement weighs a scenario's value more than today's (k·w > 1 in
    /// `equity >= k·weighted_loss[s]`), a borrowed asset with a haircut makes the form's two halves
    /// add up positive, and inflation safety (SPEC §14.3) values the loan conservatively: such a
    /// true statement may be refused (never the other way round), so completeness is not asserted.
    static func inflationSafetyBites(_ fam: Family, _ r: RiskReport, _ k: Double) -> Bool {
        guard fam.name == "scenario-buffer", r.stress.contains(where: { k * $0.weight > 1 }) else { return false }
        return r.collateral.contains { $0.amount < 0 && $0.haircut > 0 }
    }

    func testFalseStatementsAreRefusedAndTrueOnesHold() throws {
        var refused = 0, checkedTrue = 0
        let relative = [-0.5, -0.05, -1e-3, -1e-5, 1e-5, 1e-3, 0.05, 0.5]
        for seed in 1...UInt64(4 * Self.cases) {
            let c = RandomBooks.make(seed: 1000 + seed)
            let p = try Self.parse(c)
            var g = SplitMix64(seed: seed)
            let fam = g.pick(Self.families)
            guard let t = fam.threshold(p.report), t.isFinite, t > 1e-6, t < 1e6 else { continue }
            let v = t * (1 + g.pick(relative))
            let text = RandomBooks.num(v, 9)
            guard let value = Double(text), value >= 0 else { continue }
            let truth = fam.slack(p.report, value)
            let req = ProveRequest(marketBytes: p.marketBytes, portfolioBytes: p.portfolioBytes, circuitSource: fam.circuit,
                                   key: EndToEnd.goldenKey, parameters: ["k": text], createdAt: EndToEnd.createdAt,
                                   validForSeconds: 7200, instrumentBits: 64)
            // The statement's own scale: the bound of SPEC §14.3 is relative to it.
            let scale = abs(truth) / max(1e-300, abs(value - t) / t)
            if truth < -1e-9 * scale {
                // False by more than the stated bound: the honest prover must refuse …
                XCTAssertThrowsError(try Prover.prove(req), "seed \(seed) \(fam.name) k=\(text): engine slack \(truth) yet proved") { e in
                    guard case ProverError.witness(.constraintViolated) = e else {
                        return XCTFail("seed \(seed) \(fam.name): refused for the wrong reason: \(e)")
                    }
                }
                refused += 1
            } else if truth > 1e-9 * scale && fam.exact && !Self.inflationSafetyBites(fam, p.report, value) {
                // True by more than the bound, with exact atoms: it must prove (completeness).
                XCTAssertNoThrow(try Prover.prove(req), "seed \(seed) \(fam.name) k=\(text): engine slack \(truth) but refused")
                checkedTrue += 1
            }
        }
        print("soundness sweep: \(refused) false statements refused, \(checkedTrue) true ones proved (\(4 * Self.cases) cases)")
        XCTAssertGreaterThan(refused, Self.cases / 2, "the sweep must exercise false statements")
        XCTAssertGreaterThan(checkedTrue, Self.cases / 4, "the sweep must exercise true statements")
    }

    /// A prover forced past its own check (test-only path) cannot make `verify` accept a statement
    /// the engine calls false; and a true one, proved honestly, verifies.
    ///
    /// The verification service verifies differently from a one-shot `verify`: a long-lived
    /// `VerifierContext` (cached statement systems, prepared generators, fixed-base tables) and
    /// batches whose joint check isolates the bad members. So every attestation is also verified
    /// that way — through one shared context, alone and finally all together in one batch — and
    /// must get the engine's verdict there too.
    func testForcedFalseStatementsAreRejectedByTheVerifier() throws {
        var forced = 0
        let service = VerifierContext(memoryBudget: 256 << 20, fixedBaseTables: true)
        var batch: [(request: VerificationRequest, engineTrue: Bool, label: String)] = []
        for seed in 1...UInt64(max(6, Self.cases / 7)) {
            let c = RandomBooks.make(seed: 5000 + seed)
            let p = try Self.parse(c)
            for fam in Self.families {
                guard let t = fam.threshold(p.report), t.isFinite, t > 1e-6, t < 1e6 else { continue }
                for rel in [1.01, 0.99] {
                    let text = RandomBooks.num(t * rel, 9)
                    guard let value = Double(text) else { continue }
                    let truth = fam.slack(p.report, value)
                    let req = ProveRequest(marketBytes: p.marketBytes, portfolioBytes: p.portfolioBytes,
                                           circuitSource: fam.circuit, key: EndToEnd.goldenKey, parameters: ["k": text],
                                           createdAt: EndToEnd.createdAt, validForSeconds: 7200, instrumentBits: 64)
                    let policy = VerificationPolicy(parameters: ["k": text])
                    func verify(_ r: ProveResult) -> VerificationReport {
                        let request = VerificationRequest(attestationBytes: r.attestation.encode(), marketBytes: p.marketBytes,
                                                          circuitSource: fam.circuit, trustedKeys: [EndToEnd.goldenKey.publicKey],
                                                          now: EndToEnd.verifyAt, policy: policy)
                        let oneShot = Verifier.verify(request)
                        let warm = Verifier.verify(request, context: service)
                        XCTAssertEqual(warm.valid, oneShot.valid, "seed \(seed) \(fam.name) k=\(text): warm context disagrees")
                        batch.append((request, truth >= 0, "seed \(seed) \(fam.name) k=\(text)"))
                        return oneShot
                    }
                    if truth < 0 {
                        let r = try Prover.prove(req, progress: nil, skippingStatementCheck: true)
                        let rep = verify(r)
                        XCTAssertFalse(rep.valid, "seed \(seed) \(fam.name) k=\(text): engine slack \(truth) but VALID")
                        forced += 1
                    } else if rel == 0.99 {
                        if let r = try? Prover.prove(req) {
                            let rep = verify(r)
                            XCTAssertTrue(rep.valid, "seed \(seed) \(fam.name): honest proof rejected: \(rep.reason ?? "")")
                        } else if fam.exact && !Self.inflationSafetyBites(fam, p.report, value) {
                            XCTFail("seed \(seed) \(fam.name) k=\(text): true by 1% yet refused")
                        }
                    }
                }
            }
        }
        let reports = Verifier.verifyBatch(batch.map(\.request), context: service)
        for (item, report) in zip(batch, reports) {
            XCTAssertEqual(report.valid, item.engineTrue, "\(item.label): in a batch of \(batch.count), the engine says \(item.engineTrue ? "true" : "false")")
        }
        XCTAssertTrue(batch.contains { $0.engineTrue } && batch.contains { !$0.engineTrue }, "the batch mixes true and false statements")
        print("forced prover: \(forced) false statements proved by force, all rejected by verify (one-shot, warm context, one batch of \(batch.count))")
        XCTAssertGreaterThan(forced, 6)
    }
}
