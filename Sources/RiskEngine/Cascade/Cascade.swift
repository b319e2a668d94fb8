import Foundation   // JSONEncoder for the cascade's small JSON document (no math).

// Liquidation cascade simulation (SPEC.md §19).
//
// The feedback loop risk desks fear: a move takes the account to maintenance, its liquidation
// is a market order that moves the index further, which takes more positions (and other
// participants, via the public liquidation map) to maintenance. The simulation is a
// deterministic sequence of discrete steps; each step is one market order (one liquidation of
// the account, or the other participants' liquidations at the map levels crossed so far), its
// impact on the index from the depth model, and the account re-valued by the engine on the
// snapshot moved to the new index levels (`MarketSnapshot.moved`, `RiskEngine.movedReport`).

/// Index level of one underlying after a step.
public struct CascadeIndex: Sendable, Codable, Equatable {
    public var underlying: String
    public var index: Double
    /// `(index/S0 − 1)·100`, the cumulative move from the snapshot.
    public var movePercent: Double
}

/// One row of the step table. Optional members are absent where they do not apply (the shock
/// step has no order; a market step closes no position of the account).
public struct CascadeStep: Sendable, Codable, Equatable {
    public var step: Int
    /// `shock`, `isolated_liquidation`, `account_liquidation`, `market_liquidations`.
    public var kind: String
    public var underlying: String?
    public var instrument: String?
    public var venue: String?
    public var account: String?
    /// Order side: `sell` (pushes the index down) or `buy`.
    public var side: String?
    /// Contracts closed, signed like the position (+ a long closed).
    public var quantity: Double?
    /// Fraction of the position (cross: of the net instrument position) closed, (0, 1].
    public var fraction: Double?
    /// Order notional Q, quote currency (§19.4).
    public var notional: Double?
    /// This order's final impact on the index, percent (negative for sells).
    public var impactPercent: Double?
    public var indexBefore: Double?
    /// Average fill, in index terms: `S·(1 ± Ī)`.
    public var executionIndex: Double?
    public var indexAfter: Double?
    /// The closed part's equity contribution at the execution level (futures: its P&L;
    /// options: its value), which becomes cash.
    public var realizedValue: Double?
    public var fee: Double?
    /// Isolated only: the loss beyond the position's wallet, absorbed by the venue.
    public var lossBeyondWallet: Double?
    /// Market steps: the map level prices that fired.
    public var levels: [Double]?
    public var indices: [CascadeIndex]
    /// Account equity after the step (engine equity of the remaining book + realized cash).
    public var equity: Double
    /// Active maintenance margin after the step.
    public var maintenance: Double
    /// maintenance / equity; absent when equity ≤ 0.
    public var marginRatio: Double?
    public var liquidatable: Bool
}

public struct CascadeMove: Sendable, Codable, Equatable {
    public var underlying: String
    public var move: Double
}

public struct CascadeSummary: Sendable, Codable, Equatable {
    public var accountLiquidations: Int
    public var marketSteps: Int
    public var liquidatedNotional: Double
    public var marketNotional: Double
    public var fees: Double
    public var lossBeyondWallet: Double
    public var initialEquity: Double
    public var finalEquity: Double
    public var equityChange: Double
    public var finalMaintenance: Double
    public var finalMarginRatio: Double?
    public var positionsRemaining: Int
    public var finalIndices: [CascadeIndex]
}

/// The result of `Cascade.run` (JSON schema `riskattest.cascade/1`, SPEC.md §19.6).
public struct CascadeResult: Sendable, Codable, Equatable {
    public var schema: String
    public var snapshotId: String
    public var asOf: String
    public var quoteCurrency: String
    public var marginMode: String
    public var liquidationFee: Double
    public var partialLiquidation: String
    public var maxSteps: Int
    public var liquidationMap: Bool
    public var shocks: [CascadeMove]
    /// Equity and maintenance before the shock.
    public var initialEquity: Double
    public var initialMaintenance: Double
    public var steps: [CascadeStep]
    /// `stable`, `wiped_out`, `step_limit`, `below_maintenance_nothing_to_liquidate`.
    public var status: String
    public var summary: CascadeSummary

    /// One JSON object: snake_case keys, sorted, pretty-printed, trailing newline.
    public func jsonBytes() throws -> [UInt8] {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        enc.keyEncodingStrategy = .convertToSnakeCase
        return Array(try enc.encode(self)) + [0x0A]
    }
}

public enum Cascade {
    public static let schema = "riskattest.cascade/1"

    /// Runs the cascade of SPEC.md §19.5. Errors name their input: paths start with `depth:`,
    /// `liquidation-map:` or `--shock` for problems found here (e.g. an underlying the book holds
    /// without a depth model); the inputs themselves are parsed and validated by their decoders.
    public static func run(portfolio: Portfolio, market: MarketSnapshot, depth: DepthBook, map: LiquidationMap?,
                           shocks: [String: Double]) throws(InputError) -> CascadeResult {
        let table = try UnitRiskTable(market: market)
        let nU = market.underlyings.count
        let s0 = market.underlyings.map(\.indexPrice)

        // The shock (§19.5 step 0).
        var ratios = [Double](repeating: 1, count: nU)
        var shockList: [CascadeMove] = []
        for (uid, move) in shocks.sorted(by: { (market.underlyingIndex($0.key) ?? 0) < (market.underlyingIndex($1.key) ?? 0) }) {
            guard let u = market.underlyingIndex(uid) else {
                throw InputError(path: "--shock", message: "unknown underlying \"\(Read.printable(uid))\"")
            }
            guard move.isFinite, move > -1, move <= MarketLimits.maxMove else {
                throw InputError(path: "--shock", message: "move of \(uid) must be in (-1, 10]")
            }
            ratios[u] = 1 + move
            shockList.append(CascadeMove(underlying: uid, move: move))
        }

        // Every underlying that can trade needs a depth model.
        var needed = [Bool](repeating: false, count: nU)
        for p in portfolio.positions {
            guard let i = market.instrumentIndex(p.instrument) else {
                throw InputError(path: "portfolio:positions", message: "unknown instrument \"\(Read.printable(p.instrument))\"")
            }
            needed[table.models[i].underlyingIndex] = true
        }
        for (uid, levels) in map?.levels ?? [:] where !levels.isEmpty {
            if let u = market.underlyingIndex(uid) { needed[u] = true }
        }
        for u in 0..<nU where needed[u] && depth.models[market.underlyings[u].id] == nil {
            throw InputError(path: "depth:underlyings", message:
                "no depth model for underlying \"\(market.underlyings[u].id)\", which the portfolio or the liquidation map trades")
        }

        // Isolated wallets are fixed at the snapshot (§6.5), so they come from the unmoved book.
        let baseBook = try Book(portfolio: portfolio, market: market, table: table)
        var sim = try Simulation(market: market, table: table, depth: depth, baseBook: baseBook, book: portfolio,
                             original: Array(portfolio.positions.indices), ratios: ratios, s0: s0)
        let initial = try RiskEngine.movedReport(portfolio: portfolio, market: market, table: table,
                                                 ratios: [Double](repeating: 1, count: nU))
        sim.steps.append(sim.row(step: 0, kind: "shock"))

        // Map levels that can fire: longs below the snapshot index, shorts above it (§19.2).
        var mapState: [(u: Int, levels: [LiquidationLevel], longFired: [Bool], shortFired: [Bool])] = []
        if let map {
            for (u, und) in market.underlyings.enumerated() {
                guard let lv = map.levels[und.id], !lv.isEmpty else { continue }
                mapState.append((u, lv, lv.map { !($0.price < s0[u]) || $0.longLiquidations == 0 },
                                 lv.map { !($0.price > s0[u]) || $0.shortLiquidations == 0 }))
            }
        }

        var status = "stable"
        var stepNo = 0
        while true {
            if sim.equity <= 0 { status = "wiped_out"; break }
            var action: CascadeAction? = nil
            // 1. Other participants' liquidations at the map levels crossed so far (first
            //    underlying in snapshot order that has any).
            for k in mapState.indices where action == nil {
                let u = mapState[k].u
                let index = s0[u] * sim.ratios[u]
                var sells = 0.0, buys = 0.0, fired: [Double] = []
                for (j, l) in mapState[k].levels.enumerated() {
                    if !mapState[k].longFired[j] && index <= l.price { sells += l.longLiquidations; fired.append(l.price) }
                    if !mapState[k].shortFired[j] && index >= l.price { buys += l.shortLiquidations; fired.append(l.price) }
                }
                if !fired.isEmpty { action = .market(slot: k, underlying: u, index: index, buys: buys, sells: sells, levels: fired) }
            }
            // 2. Isolated positions at or below their own maintenance, smallest buffer first.
            if action == nil, portfolio.marginMode == .isolated, let j = sim.isolatedCandidate() {
                action = .isolated(position: j)
            }
            // 3. The cross/portfolio account at or below maintenance: one partial step.
            if action == nil, portfolio.marginMode != .isolated, sim.equity <= sim.maintenance {
                guard let (positions, keep) = sim.accountCandidate() else {
                    status = "below_maintenance_nothing_to_liquidate"; break
                }
                action = .account(positions: positions, keep: keep)
            }
            guard let act = action else { break }
            if stepNo >= depth.maxSteps { status = "step_limit"; break }
            stepNo += 1
            switch act {
            case let .market(k, u, index, buys, sells, levels):
                for (j, l) in mapState[k].levels.enumerated() {
                    if index <= l.price { mapState[k].longFired[j] = true }
                    if index >= l.price { mapState[k].shortFired[j] = true }
                }
                try sim.marketStep(underlying: u, buys: buys, sells: sells, levels: levels, step: stepNo)
            case let .isolated(j):
                try sim.liquidate(positions: [j], keep: 0, step: stepNo, isolated: true)
            case let .account(positions, keep):
                try sim.liquidate(positions: positions, keep: keep, step: stepNo, isolated: false)
            }
        }

        let last = sim.steps[sim.steps.count - 1]
        let liq = sim.steps.filter { $0.kind == "isolated_liquidation" || $0.kind == "account_liquidation" }
        let mkt = sim.steps.filter { $0.kind == "market_liquidations" }
        let initialEquity = initial.margin.equity
        let summary = CascadeSummary(
            accountLiquidations: liq.count, marketSteps: mkt.count,
            liquidatedNotional: liq.reduce(0) { $0 + ($1.notional ?? 0) },
            marketNotional: mkt.reduce(0) { $0 + ($1.notional ?? 0) },
            fees: liq.reduce(0) { $0 + ($1.fee ?? 0) },
            lossBeyondWallet: liq.reduce(0) { $0 + ($1.lossBeyondWallet ?? 0) },
            initialEquity: initialEquity, finalEquity: last.equity, equityChange: last.equity - initialEquity,
            finalMaintenance: last.maintenance, finalMarginRatio: last.marginRatio,
            positionsRemaining: sim.book.positions.count, finalIndices: last.indices)
        return CascadeResult(schema: schema, snapshotId: market.snapshotID, asOf: market.asOf.iso8601,
                             quoteCurrency: market.quoteCurrency, marginMode: portfolio.marginMode.rawValue,
                             liquidationFee: depth.liquidationFee, partialLiquidation: depth.partialLiquidation.rawValue,
                             maxSteps: depth.maxSteps, liquidationMap: map != nil, shocks: shockList,
                             initialEquity: initialEquity, initialMaintenance: initial.margin.active.maintenance,
                             steps: sim.steps, status: status, summary: summary)
    }
}

/// What the next step does (§19.5, in this priority).
private enum CascadeAction {
    case market(slot: Int, underlying: Int, index: Double, buys: Double, sells: Double, levels: [Double])
    case isolated(position: Int)
    case account(positions: [Int], keep: Double)
}

/// The mutable state of one run: the remaining book, realized cash, index ratios, the last
/// engine report, and the step table so far.
private struct Simulation {
    let market: MarketSnapshot
    let table: UnitRiskTable
    let depth: DepthBook
    let baseBook: Book
    var book: Portfolio
    /// For each remaining position, its index in the input portfolio (isolated wallets).
    var original: [Int]
    var ratios: [Double]
    let s0: [Double]
    var cash = 0.0
    var report: RiskReport
    var steps: [CascadeStep] = []

    init(market: MarketSnapshot, table: UnitRiskTable, depth: DepthBook, baseBook: Book, book: Portfolio,
         original: [Int], ratios: [Double], s0: [Double]) throws(InputError) {
        self.market = market; self.table = table; self.depth = depth; self.baseBook = baseBook
        self.book = book; self.original = original; self.ratios = ratios; self.s0 = s0
        report = try RiskEngine.movedReport(portfolio: book, market: market, table: table, ratios: ratios)
    }

    var equity: Double { report.margin.equity + cash }
    var maintenance: Double { report.margin.active.maintenance }

    func evaluate(_ pf: Portfolio, _ r: [Double]) throws(InputError) -> RiskReport {
        try RiskEngine.movedReport(portfolio: pf, market: market, table: table, ratios: r)
    }

    func indices() -> [CascadeIndex] {
        market.underlyings.enumerated().map { u, und in
            CascadeIndex(underlying: und.id, index: s0[u] * ratios[u], movePercent: (ratios[u] - 1) * 100)
        }
    }

    func row(step: Int, kind: String) -> CascadeStep {
        let eq = equity, mm = maintenance
        return CascadeStep(step: step, kind: kind, indices: indices(), equity: eq, maintenance: mm,
                           marginRatio: eq > 0 ? mm / eq : nil, liquidatable: eq <= mm)
    }

    func underlyingOf(position j: Int) -> Int {
        table.models[market.instrumentIndex(book.positions[j].instrument)!].underlyingIndex
    }

    /// The isolated position to liquidate next: position equity `wallet + unrealized P&L` at or
    /// below its maintenance, the smallest `equity − maintenance` first (ties: portfolio order).
    /// Long options are never liquidated (their equity is their value, ≥ their zero margin).
    func isolatedCandidate() -> Int? {
        var best: (k: Int, buffer: Double)? = nil
        for (j, p) in book.positions.enumerated() where p.quantity != 0 {
            let i = market.instrumentIndex(p.instrument)!
            if case .option = market.instruments[i].kind, p.quantity > 0 { continue }
            let wallet = baseBook.isolatedWallet(position: original[j], ratio: ratios[table.models[i].underlyingIndex])
            let eq = wallet + report.positions[j].unrealizedPnl
            let mm = report.isolatedPositions[j].maintenance
            guard eq <= mm else { continue }
            let buffer = eq - mm
            if best == nil || buffer < best!.buffer { best = (j, buffer) }
        }
        return best?.k
    }

    /// The account's next partial liquidation (§19.5): the instrument with the largest
    /// |net delta exposure| among futures, perpetuals and net-short options (ties: universe
    /// order), and the fraction of it to keep (tiers: down to the next lower bracket's bound).
    func accountCandidate() -> (positions: [Int], keep: Double)? {
        var byInstrument: [Int: [Int]] = [:]
        for (j, p) in book.positions.enumerated() {
            byInstrument[market.instrumentIndex(p.instrument)!, default: []].append(j)
        }
        var best: (i: Int, risk: Double)? = nil
        for i in byInstrument.keys.sorted() {
            let js = byInstrument[i]!
            let net = js.reduce(0.0) { $0 + book.positions[$1].quantity }
            guard net != 0 else { continue }
            if case .option = market.instruments[i].kind, net > 0 { continue }
            let risk = abs(js.reduce(0.0) { $0 + report.positions[$1].deltaExposure })
            if best == nil || risk > best!.risk { best = (i, risk) }
        }
        guard let (i, _) = best else { return nil }
        let js = byInstrument[i]!
        var keep = 0.0
        var isOption = false
        if case .option = market.instruments[i].kind { isOption = true }
        if depth.partialLiquidation == .tiers && !isOption {
            // Tier notional of the net position (linear |q|·size·mark, inverse |q|·size face value).
            let n = abs(js.reduce(0.0) { $0 + (book.positions[$1].quantity > 0 ? 1 : -1) * report.positions[$1].notional })
            let tiers = market.margin.tierTables[market.instruments[i].tierTable] ?? []
            // A notional within 1e-12 (relative) above a bound counts as on it, so the rounding of a
            // previous cut cannot leave a sliver that is cut again and again.
            let probe = n / (1 + 1e-12)
            var b = tiers.count - 1
            for (t, tier) in tiers.enumerated() {
                guard let cap = tier.maxNotional else { b = t; break }
                if probe <= cap { b = t; break }
            }
            if b > 0, let bound = tiers[b - 1].maxNotional, n > 0 { keep = bound / n }
        }
        return (js, keep)
    }

    /// Liquidates `positions` down to `keep` of their quantity (0: closes them) as one market
    /// order (§19.4): order notional, impact, execution at the average fill, fee, realized value
    /// moved into cash, index moved to the final impact, the account re-valued.
    mutating func liquidate(positions js: [Int], keep: Double, step: Int, isolated: Bool) throws(InputError) {
        let i = market.instrumentIndex(book.positions[js[0]].instrument)!
        let inst = market.instruments[i]
        let u = table.models[i].underlyingIndex
        let isOption: Bool
        if case .option = inst.kind { isOption = true } else { isOption = false }
        let fraction = 1 - keep
        // Order notional Q and side: futures and perpetuals trade their tier notional; an option's
        // liquidation reaches the index through its delta, so it counts its delta exposure.
        let net = js.reduce(0.0) { $0 + book.positions[$1].quantity }
        let exposure = js.reduce(0.0) { $0 + report.positions[$1].deltaExposure }
        let q: Double
        let side: Double      // +1 buy, −1 sell
        if isOption {
            q = abs(exposure)
            side = exposure > 0 ? -1 : 1
        } else {
            let n = abs(js.reduce(0.0) { $0 + (book.positions[$1].quantity > 0 ? 1 : -1) * report.positions[$1].notional })
            q = keep == 0 ? n : n - n * keep
            side = net > 0 ? -1 : 1
        }
        let model = depth.models[market.underlyings[u].id]!
        let (impact, average) = model.impact(notional: q)
        let before = ratios[u]
        var exec = ratios
        exec[u] = before * (1 + side * average)
        var after = ratios
        after[u] = before * (1 + side * impact)

        // The remaining book.
        var remaining = book
        var remainingOriginal = original
        var closedQuantity = 0.0
        for j in js.sorted(by: >) {
            let p = book.positions[j]
            if keep == 0 {
                closedQuantity += p.quantity
                remaining.positions.remove(at: j)
                remainingOriginal.remove(at: j)
            } else {
                let nq = p.quantity * keep
                closedQuantity += p.quantity - nq
                remaining.positions[j].quantity = nq
                remaining.positions[j].quantityUnits = Int64((nq * 1e8).rounded())
            }
        }
        // Realized value: what the closed part adds to equity at the execution level, i.e. the
        // engine's equity of the book before minus after the cut, both at that level.
        let realized = try evaluate(book, exec).margin.equity - evaluate(remaining, exec).margin.equity
        let fee = depth.liquidationFee * q
        var change = realized - fee
        var beyond: Double? = nil
        if isolated {
            let wallet = baseBook.isolatedWallet(position: original[js[0]], ratio: exec[u])
            if change < -wallet { beyond = -wallet - change; change = -wallet } else { beyond = 0 }
        }
        let p0 = book.positions[js[0]]
        book = remaining
        original = remainingOriginal
        cash += change
        ratios = after
        report = try evaluate(book, ratios)
        var r = row(step: step, kind: isolated ? "isolated_liquidation" : "account_liquidation")
        r.underlying = market.underlyings[u].id
        r.instrument = inst.id
        if isolated || js.count == 1 { r.venue = p0.venue; r.account = p0.account }
        r.side = side > 0 ? "buy" : "sell"
        r.quantity = closedQuantity
        r.fraction = fraction
        r.notional = q
        r.impactPercent = side * impact * 100
        r.indexBefore = s0[u] * before
        r.executionIndex = s0[u] * exec[u]
        r.indexAfter = s0[u] * after[u]
        r.realizedValue = realized
        r.fee = fee
        r.lossBeyondWallet = beyond
        steps.append(r)
    }

    /// Other participants' liquidations at the crossed map levels of underlying u, netted into
    /// one order (buys − sells) through u's depth model (§19.2). The account is only re-valued.
    mutating func marketStep(underlying u: Int, buys: Double, sells: Double, levels: [Double], step: Int) throws(InputError) {
        let net = buys - sells
        let q = abs(net)
        let side: Double = net > 0 ? 1 : -1
        let (impact, _) = q > 0 ? depth.models[market.underlyings[u].id]!.impact(notional: q) : (0, 0)
        let before = ratios[u]
        ratios[u] = before * (1 + side * impact)
        report = try evaluate(book, ratios)
        var r = row(step: step, kind: "market_liquidations")
        r.underlying = market.underlyings[u].id
        r.side = q > 0 ? (side > 0 ? "buy" : "sell") : nil
        r.notional = q
        r.impactPercent = side * impact * 100
        r.indexBefore = s0[u] * before
        r.indexAfter = s0[u] * ratios[u]
        r.levels = levels.sorted()
        steps.append(r)
    }
}
