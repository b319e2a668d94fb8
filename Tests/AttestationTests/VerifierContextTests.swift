import Foundation
import XCTest
import Attestation
import Prover
import Verifier
import SystemCrypto

/// A long-lived `VerifierContext` must never change a report: valid and tampered attestations,
/// wrong public data and unusable inputs get the same report with a warm context, a cold one, a
/// context too small to keep anything, and from many threads at once.
final class VerifierContextTests: XCTestCase {

    /// The report without its timing (the only field allowed to differ).
    private func untimed(_ r: VerificationReport) -> VerificationReport {
        var r = r
        r.verifyMilliseconds = 0
        return r
    }

    /// Valid and invalid requests over two circuits, each failing at a different step.
    private func requests() throws -> [(name: String, request: VerificationRequest)] {
        let solvency = try EndToEnd.proved("solvency").attestation
        let pm = try EndToEnd.proved("portfolio-margin").attestation
        var out: [(String, VerificationRequest)] = []
        out.append(("solvency valid", try EndToEnd.verification(solvency.encode(), circuit: "solvency")))
        out.append(("portfolio-margin valid", try EndToEnd.verification(pm.encode(), circuit: "portfolio-margin")))
        var flipped = solvency.encode()
        flipped[flipped.count - 1] ^= 1
        out.append(("bad signature", try EndToEnd.verification(flipped, circuit: "solvency")))
        out.append(("proof byte flipped, re-signed",
                    try EndToEnd.verification(try EndToEnd.proofByteFlipped(solvency, proofIndex: 0, offset: 40).encode(),
                                              circuit: "solvency")))
        out.append(("slack proof byte flipped, re-signed",
                    try EndToEnd.verification(try EndToEnd.proofByteFlipped(pm, proofIndex: pm.rangeProofs.count - 1, offset: 100).encode(),
                                              circuit: "portfolio-margin")))
        out.append(("other snapshot", try EndToEnd.verification(solvency.encode(), circuit: "solvency",
                                                                market: try EndToEnd.marketOneDigitChanged())))
        out.append(("other circuit", try EndToEnd.verification(solvency.encode(), circuit: "portfolio-margin")))
        out.append(("untrusted key", try EndToEnd.verification(pm.encode(), circuit: "portfolio-margin",
                                                               trusted: [EndToEnd.otherKey.publicKey])))
        let changed = try EndToEnd.resigned(solvency, parameters: [try AttestationParameter(name: "k", value: "1.01")])
        out.append(("parameter changed, re-signed", try EndToEnd.verification(changed.encode(), circuit: "solvency")))
        var asked = try EndToEnd.verification(changed.encode(), circuit: "solvency")
        asked.policy = VerificationPolicy(parameters: ["k": "1.01"])
        out.append(("parameter changed, policy asks for it", asked))
        var undeclared = try EndToEnd.verification(solvency.encode(), circuit: "solvency")
        undeclared.policy = VerificationPolicy(parameters: ["nope": "1"])
        out.append(("policy names an undeclared parameter", undeclared))
        out.append(("unusable market", try EndToEnd.verification(solvency.encode(), circuit: "solvency",
                                                                 market: Array("{\"schema\": 1".utf8))))
        out.append(("truncated", try EndToEnd.verification(Array(solvency.encode().dropLast(100)), circuit: "solvency")))
        out.append(("expired", try EndToEnd.verification(solvency.encode(), circuit: "solvency",
                                                         now: solvency.expiresAt)))
        return out
    }

    /// One expected report per request, each from `Verifier.verify` without a context.
    private func expected(_ reqs: [(name: String, request: VerificationRequest)]) -> [VerificationReport] {
        reqs.map { untimed(Verifier.verify($0.request)) }
    }

    func testSameReportsWithAndWithoutContext() throws {
        let reqs = try requests()
        let want = expected(reqs)
        XCTAssertEqual(want.filter(\.valid).count, 2, "\(want.map { $0.reason ?? "valid" })")
        XCTAssertEqual(want.filter(\.unusableInput).count, 2)
        // Prepared generator points (what a per-call context keeps) and fixed-base tables.
        let lean = VerifierContext(fixedBaseTables: false)
        for (k, (name, req)) in reqs.enumerated() {
            XCTAssertEqual(untimed(Verifier.verify(req, context: lean)), want[k], "\(name), without tables")
        }
        let context = VerifierContext()
        // Twice: the first pass fills the context, the second is answered from it.
        for pass in 0..<2 {
            for (k, (name, req)) in reqs.enumerated() {
                XCTAssertEqual(untimed(Verifier.verify(req, context: context)), want[k], "\(name), pass \(pass)")
            }
        }
        XCTAssertGreaterThan(context.stats.hits, 0)
        XCTAssertGreaterThan(context.stats.estimatedBytes, lean.stats.estimatedBytes, "tables are larger than prepared points")
        // All at once, as one batch (the joint check fails, each is re-checked alone).
        let (batch, isolated) = Verifier.verifyBatchDetailed(reqs.map(\.request), context: context)
        XCTAssertTrue(isolated)
        XCTAssertEqual(batch.map(untimed), want)
        XCTAssertEqual(Verifier.verifyBatch(reqs.map(\.request)).map(untimed), want)
        // Only the valid ones: one joint check passes.
        let valid = reqs.indices.filter { want[$0].valid }
        let (good, isolated2) = Verifier.verifyBatchDetailed(valid.map { reqs[$0].request }, context: context)
        XCTAssertFalse(isolated2)
        XCTAssertEqual(good.map(untimed), valid.map { want[$0] })
    }

    /// A context whose entries keep being evicted, or that can keep nothing at all, still gives
    /// every verdict right.
    func testEvictionUnderTinyBudgetKeepsVerdicts() throws {
        let reqs = try requests()
        let want = expected(reqs)
        for budget in [0, 100_000] {
            let context = VerifierContext(memoryBudget: budget)
            for pass in 0..<2 {
                for (k, (name, req)) in reqs.enumerated() {
                    XCTAssertEqual(untimed(Verifier.verify(req, context: context)), want[k], "\(name), budget \(budget), pass \(pass)")
                    XCTAssertLessThanOrEqual(context.stats.estimatedBytes, budget)
                }
            }
            let s = context.stats
            if budget == 0 {
                XCTAssertEqual(s.entries, 0)
                XCTAssertEqual(s.hits, 0)
            } else {
                XCTAssertGreaterThan(s.evictions, 0, "\(s)")
                XCTAssertGreaterThan(s.entries, 0, "\(s)")
            }
        }
    }

    /// Many threads verifying through one context (and through one that keeps evicting) get the
    /// reports of a fresh verifier.
    func testConcurrentUseIsSafe() throws {
        let reqs = try requests()
        let want = expected(reqs)
        for context in [VerifierContext(), VerifierContext(memoryBudget: 100_000)] {
            final class Failures: @unchecked Sendable {
                let lock = NSLock()
                var list: [String] = []
                func add(_ s: String) { lock.lock(); list.append(s); lock.unlock() }
            }
            let failures = Failures()
            let all = reqs.map(\.request), names = reqs.map(\.name)
            let expectedReports = want
            DispatchQueue.concurrentPerform(iterations: 6) { worker in
                // Each worker walks the requests from its own starting point, so threads miss,
                // build and insert the same entries at the same time.
                for step in 0..<all.count {
                    let k = (worker * 5 + step) % all.count
                    var r = Verifier.verify(all[k], context: context)
                    r.verifyMilliseconds = 0
                    if r != expectedReports[k] { failures.add("\(names[k]) on worker \(worker): \(r.reason ?? "valid")") }
                }
            }
            XCTAssertEqual(failures.list, [])
            XCTAssertLessThanOrEqual(context.stats.estimatedBytes, context.memoryBudget)
        }
    }

    /// After `warm`, the first attestation is answered entirely from the context: no misses.
    func testWarmPrebuildsEverything() throws {
        let bytes = try EndToEnd.proved("portfolio-margin").attestation.encode()
        let req = try EndToEnd.verification(bytes, circuit: "portfolio-margin")
        let context = VerifierContext()
        try context.warm(marketBytes: req.marketBytes, circuitSource: req.circuitSource, policy: req.policy)
        let warmed = context.stats
        XCTAssertEqual(warmed.entries, 5, "\(warmed)")   // snapshot, circuit, unit risk, statement system, generators
        XCTAssertGreaterThan(warmed.estimatedBytes, 0)
        let r = Verifier.verify(req, context: context)
        XCTAssertTrue(r.valid, r.reason ?? "")
        let after = context.stats
        XCTAssertEqual(after.misses, warmed.misses, "\(after)")
        XCTAssertGreaterThan(after.hits, warmed.hits)
        XCTAssertEqual(untimed(r), untimed(Verifier.verify(req)))
        // Warming again builds nothing new.
        try context.warm(marketBytes: req.marketBytes, circuitSource: req.circuitSource, policy: req.policy)
        XCTAssertEqual(context.stats.misses, warmed.misses)
        XCTAssertEqual(context.stats.entries, 5)
        context.removeAll()
        XCTAssertEqual(context.stats.entries, 0)
        XCTAssertEqual(context.stats.estimatedBytes, 0)
        XCTAssertTrue(Verifier.verify(req, context: context).valid)
    }

    /// `warm` refuses what verification would call unusable, with the same failure.
    func testWarmReportsUnusableInputs() throws {
        let context = VerifierContext()
        let market = try EndToEnd.market(), circuit = try EndToEnd.circuit("solvency")
        XCTAssertThrowsError(try context.warm(marketBytes: Array("{".utf8), circuitSource: circuit)) { e in
            XCTAssertTrue((e as? VerificationFailure)?.isUnusableInput ?? false, "\(e)")
        }
        XCTAssertThrowsError(try context.warm(marketBytes: market, circuitSource: "circuit x v1\nrequire")) { e in
            XCTAssertEqual((e as? VerificationFailure)?.code, "unusable_circuit", "\(e)")
        }
        XCTAssertThrowsError(try context.warm(marketBytes: market, circuitSource: circuit,
                                              policy: VerificationPolicy(parameters: ["nope": "1"]))) { e in
            XCTAssertEqual((e as? VerificationFailure)?.code, "unusable_policy", "\(e)")
        }
        // Failures are not cached: the good inputs still warm, and nothing bad was kept.
        try context.warm(marketBytes: market, circuitSource: circuit)
        XCTAssertEqual(context.stats.entries, 5, "\(context.stats)")
    }

    /// Keys tell apart what changes a report: the policy's parameters, the snapshot bytes, and
    /// the circuit source (a comment moves the statements' source lines, which reports quote).
    func testKeysSeparateParametersSnapshotsAndSources() throws {
        let a = try EndToEnd.proved("solvency").attestation
        let context = VerifierContext()
        let plain = try EndToEnd.verification(a.encode(), circuit: "solvency")
        XCTAssertTrue(Verifier.verify(plain, context: context).valid)
        var stricter = plain
        stricter.policy = VerificationPolicy(parameters: ["k": "1.5"])
        let r = Verifier.verify(stricter, context: context)
        XCTAssertEqual(r.failureCode, "parameter_mismatch", r.reason ?? "")
        XCTAssertTrue(Verifier.verify(plain, context: context).valid)
        let other = try EndToEnd.verification(a.encode(), circuit: "solvency", market: try EndToEnd.marketOneDigitChanged())
        XCTAssertEqual(Verifier.verify(other, context: context).failureCode, "snapshot_mismatch")

        var commented = plain
        commented.circuitSource = "# a comment line moves every statement down one line\n" + plain.circuitSource
        let fresh = untimed(Verifier.verify(commented))
        XCTAssertEqual(untimed(Verifier.verify(commented, context: context)), fresh)
        XCTAssertEqual(fresh.valid, true, fresh.reason ?? "")
    }
}
