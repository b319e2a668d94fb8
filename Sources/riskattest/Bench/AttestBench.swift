import Foundation
import Prover
import SystemCrypto
import Verifier

/// The end-to-end attestation benchmark (issue 4): a generated market of 256 instruments
/// (BTC and ETH; linear and inverse perpetuals and futures, calls and puts), three collateral
/// assets, the default 26-scenario grid, a generated book, and a ~40-constraint circuit.
///
/// Everything is built as snapshot / portfolio JSON text in memory, in the schemas of SPEC §2
/// and §3, so the timed `Prover.prove` call pays exactly what the CLI pays: strict parsing,
/// the unit-risk table, statement compilation, witnesses, commitments and the range proofs.
enum AttestBench {
    /// What one run measured, besides the timings.
    struct Summary: Codable, Sendable {
        var instruments: Int
        var positions: Int
        var collateral_assets: Int
        var scenarios: Int
        var constraints: Int
        var attestation_bytes: Int
        var proof_bytes: [String: Int]
        var market_bytes: Int
        var batch_count: Int
        /// Time of one batched verification of all `batch_count` attestations, divided by the count,
        /// over the time of one attestation verified alone (both medians). Below 1 means batching pays.
        var batch_per_attestation_over_single: Double
    }

    enum Failure: Error, CustomStringConvertible {
        case prove(String)
        case verify(String)
        var description: String {
            switch self {
            case .prove(let s): return "bench attest: proving failed: \(s)"
            case .verify(let s): return "bench attest: verification failed: \(s)"
            }
        }
    }

    /// 2026-11-24T08:00:00Z, the as-of time of Examples/market.json.
    static let asOf: Int64 = 1_795_507_200
    static let expiriesDays: [Int64] = [3, 10, 31, 59, 122, 213, 395]

    /// The circuit: the requirements of portfolio-margin, delta-band, leverage, solvency,
    /// concentration and funding-carry in one source (the lines of Circuits/*.circuit; only the
    /// header is shared). It compiles to 52 linear constraints in format version 2 (the scenario
    /// maxima, the delta floor's pieces, the maintenance lines of the four futures tier tables; 56
    /// in version 1, which also bounded the option tables), more than the issue's ~40.
    static let circuitSource = """
    circuit bench-combined v1
    param buffer = 1.2
    param delta_rate = 0.015
    param gross_rate = 0.005
    param btc_limit = 300
    param eth_limit = 4000
    param L = 10
    param k = 1.0
    param share = 0.6
    param leverage = 10
    param intervals = 21
    param fraction = 0.02
    require equity >= max(buffer * weighted_loss[s] for each scenario s, delta_rate * abs(delta[BTC]) * spot[BTC] + gross_rate * gross_delta[BTC] * spot[BTC] + delta_rate * abs(delta[ETH]) * spot[ETH] + gross_rate * gross_delta[ETH] * spot[ETH])
    require abs(delta[BTC]) <= btc_limit
    require abs(delta[ETH]) <= eth_limit
    require gross <= L * equity
    require equity >= k * mm
    require gross[BTC] <= share * leverage * equity
    require gross[ETH] <= share * leverage * equity
    require intervals * funding <= fraction * equity

    """

    /// xorshift64*, fixed seed: every run proves the same book.
    struct Rng {
        var s: UInt64 = 0x2545_F491_4F6C_DD1D
        mutating func next() -> UInt64 { s ^= s >> 12; s ^= s << 25; s ^= s >> 27; return s &* 0x2545_F491_4F6C_DD1D }
        mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    }

    static func timestamp(_ seconds: Int64) -> String {
        let f = ISO8601DateFormatter()
        f.timeZone = TimeZone(identifier: "UTC")
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }

    static func num(_ x: Double, _ decimals: Int) -> String { String(format: "%.\(decimals)f", x) }

    /// One generated instrument, remembered for building the book.
    struct Inst { var id: String; var underlying: String; var kind: String; var inverse: Bool }

    /// The snapshot JSON (SPEC §2.2) with `instruments` instruments split evenly over BTC and ETH:
    /// per underlying a linear and an inverse perpetual, linear and inverse futures at each of
    /// seven expiries, and calls and puts over a strike ladder at the same expiries.
    static func market(instruments n: Int) -> (json: String, instruments: [Inst]) {
        let unds: [(id: String, spot: Double, iv: Double)] = [("BTC", 97_012.35, 0.5), ("ETH", 3_604.18, 0.65)]
        var insts: [Inst] = []
        var rows: [String] = []
        for (ui, u) in unds.enumerated() {
            let perU = n / 2 + (ui == 0 ? n % 2 : 0)
            var made = 0
            func add(_ inst: Inst, _ json: String) { insts.append(inst); rows.append(json); made += 1 }
            add(Inst(id: "\(u.id)USDT-PERP", underlying: u.id, kind: "perpetual", inverse: false),
                #"{"id": "\#(u.id)USDT-PERP", "underlying": "\#(u.id)", "type": "perpetual", "margining": "linear", "contract_size": 1, "mark_price": \#(num(u.spot * 1.0002, 2)), "funding_rate": 0.0001, "funding_interval_hours": 8, "tier_table": "\#(u.id)-LINEAR"}"#)
            add(Inst(id: "\(u.id)USD-PERP", underlying: u.id, kind: "perpetual", inverse: true),
                #"{"id": "\#(u.id)USD-PERP", "underlying": "\#(u.id)", "type": "perpetual", "margining": "inverse", "contract_size": 10, "mark_price": \#(num(u.spot * 1.0001, 2)), "funding_rate": 0.00008, "funding_interval_hours": 8, "tier_table": "\#(u.id)-INVERSE"}"#)
            for d in expiriesDays where made + 1 < perU {
                let fwd = u.spot * (1 + 0.04 * Double(d) / 365)
                let exp = timestamp(asOf + d * 86_400)
                add(Inst(id: "\(u.id)USDT-F\(d)", underlying: u.id, kind: "future", inverse: false),
                    #"{"id": "\#(u.id)USDT-F\#(d)", "underlying": "\#(u.id)", "type": "future", "margining": "linear", "contract_size": 1, "mark_price": \#(num(fwd, 2)), "expiry": "\#(exp)", "tier_table": "\#(u.id)-LINEAR"}"#)
                add(Inst(id: "\(u.id)USD-F\(d)", underlying: u.id, kind: "future", inverse: true),
                    #"{"id": "\#(u.id)USD-F\#(d)", "underlying": "\#(u.id)", "type": "future", "margining": "inverse", "contract_size": 10, "mark_price": \#(num(fwd, 2)), "expiry": "\#(exp)", "tier_table": "\#(u.id)-INVERSE"}"#)
            }
            var j = 0
            while made < perU {
                let d = expiriesDays[j % expiriesDays.count]
                let ladder = j / expiriesDays.count                // 0, 1, 2, ...: alternate call/put, step strikes
                let call = ladder % 2 == 0
                let moneyness = 0.7 + Double((ladder / 2) % 13) * 0.05   // 70% .. 130%
                let strike = (u.spot * moneyness).rounded()
                let t = Double(d) / 365
                let intrinsic = call ? max(0, u.spot - strike) : max(0, strike - u.spot)
                let mark = intrinsic + 0.4 * u.iv * u.spot * t.squareRoot() * (1 - min(0.9, abs(moneyness - 1) * 2)) + 0.01
                let iv = u.iv + 0.3 * abs(moneyness - 1)
                let id = "\(u.id)-\(d)D-\(Int(strike))-\(call ? "C" : "P")"
                let inverse = j % 3 == 0
                add(Inst(id: id, underlying: u.id, kind: "option", inverse: inverse),
                    #"{"id": "\#(id)", "underlying": "\#(u.id)", "type": "option", "margining": "\#(inverse ? "inverse" : "linear")", "contract_size": 1, "mark_price": \#(num(mark, 2)), "option_type": "\#(call ? "call" : "put")", "strike": \#(num(strike, 0)), "expiry": "\#(timestamp(asOf + d * 86_400))", "mark_iv": \#(num(iv, 4)), "settlement": "cash", "tier_table": "\#(u.id)-OPTIONS"}"#)
                j += 1
            }
        }
        // The 26 scenarios of Examples/market.json: ±16 % in 4 % steps × term-structure vol +0.35 / −0.25,
        // then eight weighted tails.
        var scen: [String] = []
        for step in -4...4 {
            let mv = step * 4
            let label = mv > 0 ? "+\(mv)%" : "\(mv)%"
            for (tag, shock) in [("up", "0.35"), ("down", "-0.25")] {
                scen.append(#"{"name": "\#(label) vol \#(tag)", "price_moves": {"BTC": \#(num(Double(mv) / 100, 2)), "ETH": \#(num(Double(mv) / 100, 2))}, "vol_shock": {"type": "term_structure", "shock": \#(shock)}, "weight": 1}"#)
            }
        }
        for (pct, w) in [(-66, "0.4"), (-33, "0.6"), (50, "0.6"), (100, "0.5"), (200, "0.35"), (300, "0.3"), (400, "0.25"), (500, "0.2")] {
            let mv = num(Double(pct) / 100, 2)
            scen.append(#"{"name": "tail \#(pct > 0 ? "+" : "")\#(pct)% vol up", "price_moves": {"BTC": \#(mv), "ETH": \#(mv)}, "vol_shock": {"type": "term_structure", "shock": 0.35}, "weight": \#(w)}"#)
        }
        let priceTime = timestamp(asOf - 15)
        let json = """
        {
          "schema": "riskattest.market/1",
          "snapshot_id": "bench-\(n)-instruments",
          "as_of": "\(timestamp(asOf))",
          "quote_currency": "USD",
          "max_price_age_seconds": 300,
          "underlyings": [
            {"id": "BTC", "index_price": 97012.35, "price_time": "\(priceTime)", "rate": 0.04},
            {"id": "ETH", "index_price": 3604.18, "price_time": "\(priceTime)", "rate": 0.04}
          ],
          "instruments": [
            \(rows.joined(separator: ",\n    "))
          ],
          "collateral": [
            {"id": "USDC", "price": 1, "haircut": 0},
            {"id": "BTC", "price": 97012.35, "haircut": 0.03, "underlying": "BTC"},
            {"id": "ETH", "price": 3604.18, "haircut": 0.07, "underlying": "ETH"}
          ],
          "margin": {
            "portfolio_maintenance_fraction": 0.5,
            "option_margin": {"short_initial_rate": 0.15, "short_initial_floor_rate": 0.1, "short_maintenance_rate": 0.075},
            "tier_tables": [
              {"name": "BTC-LINEAR", "tiers": [
                {"max_notional": 300000, "maintenance_rate": 0.004, "initial_rate": 0.008, "cumulative_deduction": 0},
                {"max_notional": 800000, "maintenance_rate": 0.005, "initial_rate": 0.01, "cumulative_deduction": 300},
                {"max_notional": 3000000, "maintenance_rate": 0.0065, "initial_rate": 0.0134, "cumulative_deduction": 1500},
                {"max_notional": 12000000, "maintenance_rate": 0.01, "initial_rate": 0.02, "cumulative_deduction": 12000},
                {"max_notional": null, "maintenance_rate": 0.02, "initial_rate": 0.04, "cumulative_deduction": 132000}]},
              {"name": "ETH-LINEAR", "tiers": [
                {"max_notional": 300000, "maintenance_rate": 0.005, "initial_rate": 0.008, "cumulative_deduction": 0},
                {"max_notional": 800000, "maintenance_rate": 0.0065, "initial_rate": 0.01, "cumulative_deduction": 450},
                {"max_notional": 3000000, "maintenance_rate": 0.01, "initial_rate": 0.02, "cumulative_deduction": 3250},
                {"max_notional": null, "maintenance_rate": 0.02, "initial_rate": 0.04, "cumulative_deduction": 33250}]},
              {"name": "BTC-INVERSE", "tiers": [
                {"max_notional": 2000000, "maintenance_rate": 0.005, "initial_rate": 0.008, "cumulative_deduction": 0},
                {"max_notional": null, "maintenance_rate": 0.01, "initial_rate": 0.02, "cumulative_deduction": 10000}]},
              {"name": "ETH-INVERSE", "tiers": [
                {"max_notional": 1000000, "maintenance_rate": 0.0065, "initial_rate": 0.01, "cumulative_deduction": 0},
                {"max_notional": null, "maintenance_rate": 0.01, "initial_rate": 0.02, "cumulative_deduction": 3500}]},
              {"name": "BTC-OPTIONS", "tiers": [
                {"max_notional": 10000000, "maintenance_rate": 0.075, "initial_rate": 0.15, "cumulative_deduction": 0},
                {"max_notional": null, "maintenance_rate": 0.1, "initial_rate": 0.2, "cumulative_deduction": 250000}]},
              {"name": "ETH-OPTIONS", "tiers": [
                {"max_notional": 10000000, "maintenance_rate": 0.075, "initial_rate": 0.15, "cumulative_deduction": 0},
                {"max_notional": null, "maintenance_rate": 0.1, "initial_rate": 0.2, "cumulative_deduction": 250000}]}
            ]
          },
          "scenarios": [
            \(scen.joined(separator: ",\n    "))
          ]
        }

        """
        return (json, insts)
    }

    /// A book with one position in every instrument (portfolio margin), sized so that the
    /// circuit holds: small, sign-alternating futures and perpetuals, and options of random sign
    /// and size, with ample collateral in all three assets. Quantities have at most two decimals.
    static func portfolio(_ insts: [Inst]) -> String {
        var rng = Rng()
        var rows: [String] = []
        for (k, i) in insts.enumerated() {
            let btc = i.underlying == "BTC"
            let sign: Double = rng.next() % 2 == 0 ? 1 : -1
            let q: Double
            switch (i.kind, i.inverse) {
            case ("option", _): q = sign * (btc ? 0.1 + Double(rng.next() % 90) / 100 : 1 + Double(rng.next() % 900) / 100)
            case (_, true):     q = sign * Double(100 + rng.next() % 900)                  // 10 USD face each
            default:            q = sign * (btc ? 0.05 + Double(rng.next() % 45) / 100 : 0.5 + Double(rng.next() % 450) / 100)
            }
            let entry = btc ? 96_000 + 2_000 * rng.unit() : 3_550 + 100 * rng.unit()
            let premium = 100 + 900 * rng.unit()
            // An inverse option's entry price is the venue's coin quote (SPEC §3.1): the premium
            // in USD divided by the index, with 8 decimals.
            let entryText: String
            switch (i.kind, i.inverse) {
            case ("option", true): entryText = num(premium / (btc ? 97_012.35 : 3_604.18), 8)
            case ("option", false): entryText = num(premium, 2)
            default: entryText = num(entry, 2)
            }
            rows.append(#"{"instrument": "\#(i.id)", "quantity": \#(num(q, 2)), "entry_price": \#(entryText), "venue": "v\#(k % 3)", "account": "main"}"#)
        }
        return """
        {
          "schema": "riskattest.portfolio/1",
          "margin_mode": "portfolio",
          "positions": [
            \(rows.joined(separator: ",\n    "))
          ],
          "collateral": [
            {"asset": "USDC", "amount": 25000000},
            {"asset": "BTC", "amount": 150.5},
            {"asset": "ETH", "amount": 2400.25}
          ]
        }

        """
    }

    /// Runs the benchmark: `reps` timed proofs (after one warm-up), `reps` timed single
    /// verifications, and `reps` timed batch verifications of `batchCount` distinct attestations
    /// (fresh blindings each; the first ones are the timed proofs).
    static func run(reps: Int, batchCount: Int = 100, instruments: Int = 256,
                    progress: ((String) -> Void)? = nil) throws(Failure) -> (records: [BenchRecord], summary: Summary) {
        let reps = max(1, reps)
        let (marketJSON, insts) = market(instruments: instruments)
        let marketBytes = Array(marketJSON.utf8)
        let portfolioBytes = Array(portfolio(insts).utf8)
        let key = Ed25519PrivateKey.generate()
        let createdAt = asOf + 60
        let request = ProveRequest(marketBytes: marketBytes, portfolioBytes: portfolioBytes, circuitSource: circuitSource,
                                   key: key, createdAt: createdAt)
        func proveOnce() throws(Failure) -> ProveResult {
            do { return try Prover.prove(request) } catch { throw .prove("\(error)") }
        }
        var proven: [ProveResult] = []
        var proveError: Failure? = nil
        let proveRecord = benchMeasure(name: "attest.prove", count: instruments, reps: reps) {
            do throws(Failure) { proven.append(try proveOnce()) } catch { proveError = error }
        }
        if let e = proveError { throw e }
        progress?("proved \(proven.count) attestations; proving \(max(0, batchCount - proven.count)) more for the batch")
        while proven.count < batchCount { proven.append(try proveOnce()) }

        let encoded = proven.map { $0.attestation.encode() }
        let vreqs = encoded.map {
            VerificationRequest(attestationBytes: $0, marketBytes: marketBytes, circuitSource: circuitSource,
                                trustedKeys: [key.publicKey], now: createdAt + 10)
        }
        var lastReport: VerificationReport? = nil
        var verifyFailure: String? = nil
        let verifyRecord = benchMeasure(name: "attest.verify", count: 1, reps: reps) {
            let r = Verifier.verify(vreqs[0])
            if !r.valid { verifyFailure = r.reason ?? "invalid" }
            lastReport = r
        }
        if let f = verifyFailure { throw .verify(f) }
        progress?("verified one; batch-verifying \(vreqs.count)")
        let batchReps = max(1, min(reps, 5))
        let batchRecord = benchMeasure(name: "attest.verify_batch", count: vreqs.count, reps: batchReps) {
            let rs = Verifier.verifyBatch(vreqs)
            if let bad = rs.first(where: { !$0.valid }) { verifyFailure = bad.reason ?? "invalid" }
        }
        if let f = verifyFailure { throw .verify(f) }
        let perAttestation = batchRecord.perOperation(vreqs.count)
        var perRecord = perAttestation
        perRecord.name = "attest.verify_batch.per_attestation"

        let report = lastReport
        let summary = Summary(
            instruments: insts.count, positions: insts.count, collateral_assets: 3, scenarios: 26,
            constraints: proven.first?.statements.count ?? 0,
            attestation_bytes: encoded.first?.count ?? 0, proof_bytes: report?.proofBytes ?? [:],
            market_bytes: marketBytes.count, batch_count: vreqs.count,
            batch_per_attestation_over_single: perAttestation.median_ms / max(verifyRecord.median_ms, 1e-9))
        return ([proveRecord, verifyRecord, batchRecord, perRecord], summary)
    }
}
