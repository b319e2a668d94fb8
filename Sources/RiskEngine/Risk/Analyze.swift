/// Options of an analysis: action targets.
public struct AnalysisOptions: Sendable, Equatable {
    /// Target delta per underlying (underlying units); underlyings not listed target 0.
    public var targetDelta: [String: Double]
    /// Target maintenance/equity ratio for the top-up suggestion, in (0, 1].
    public var targetMarginRatio: Double
    /// Whether to search account-level liquidation prices (the costly part in portfolio mode, where
    /// every trial price re-runs the grid). When false, `RiskReport.liquidation` is empty.
    public var liquidationPrices: Bool
    /// Whether the portfolio-mode liquidation ladder may skip scenarios that provably cannot decide
    /// the sign of g (`ScenarioScreen`). Results are identical either way; the tests switch it off
    /// to check exactly that.
    var scenarioScreening = true
    /// Early warning: a margin ratio (maintenance/equity) at or above this, and below 1, reports
    /// the account as `warning` (SPEC.md §6.5). In (0, 1]; default 0.8.
    public var warningMarginRatio: Double
    public init(targetDelta: [String: Double] = [:], targetMarginRatio: Double = 0.5, liquidationPrices: Bool = true,
                warningMarginRatio: Double = 0.8) {
        self.targetDelta = targetDelta; self.targetMarginRatio = targetMarginRatio
        self.liquidationPrices = liquidationPrices; self.warningMarginRatio = warningMarginRatio
    }
}

public enum RiskEngine {
    public static func analyze(portfolio: Portfolio, market: MarketSnapshot) throws(InputError) -> RiskReport {
        try analyze(portfolio: portfolio, market: market, options: AnalysisOptions())
    }

    public static func analyze(portfolio: Portfolio, market: MarketSnapshot,
                               options: AnalysisOptions) throws(InputError) -> RiskReport {
        let table = try UnitRiskTable(market: market)
        return try analyze(portfolio: portfolio, market: market, table: table, options: options)
    }

    /// The same with a precomputed table (it must come from the same snapshot).
    public static func analyze(portfolio: Portfolio, market: MarketSnapshot, table: UnitRiskTable,
                               options: AnalysisOptions) throws(InputError) -> RiskReport {
        var book = try Book(portfolio: portfolio, market: market, table: table)
        return try book.report(options: options)
    }
}

/// The book reduced to what every metric needs: net quantity per instrument, the entry-cost
/// constants (quote cash and coin amounts per underlying), collateral values.
///
/// Entry costs (SPEC.md §6.3, `EntryCost`, the one definition shared with the attestation
/// witness). `UnitRisk.value` excludes them; each position has one constant cost:
/// - linear future/perpetual and linear option: quote cash `−q·size·E`;
/// - inverse future/perpetual: the coin amount `+q·size/E`, valued at the (moved) index;
/// - inverse option: the coin amount `−q·size·E` (E in coin, as the venue quotes it).
/// The reported unrealized P&L of a position is `q·value + cash + coin·S`, e.g. an inverse
/// future's `q·size·(S/E − S/mark)` = its coin P&L `q·size·(1/E − 1/mark)` converted at S.
///
/// Equity counts a cost only where the collateral (a venue wallet balance) does not already hold
/// it: futures and perpetuals add `q·value + cash + coin·S`, options only `q·value` (their premium
/// settled into the wallet at the trade). `cash`, `coin` and `posEquityCoin` are the equity
/// parts; `posCash`/`posCoin` the reported ones.
struct Book {
    let market: MarketSnapshot
    let table: UnitRiskTable
    let portfolio: Portfolio
    var netQ: [Double]
    var cash = 0.0                       // Σ equity quote cash (futures/perpetuals only)
    var coin: [Double]                   // Σ equity coin amounts, per underlying
    var posIndex: [Int] = []             // instrument index of each position
    var posCash: [Double] = []           // reported entry cost, quote cash
    var posCoin: [Double] = []           // reported entry cost, coin amount
    var posEquityCash: [Double] = []     // the part equity adds (0 for options)
    var posEquityCoin: [Double] = []
    var collValue: [Double] = []         // per portfolio balance, signed
    var collScen: [[Double]] = []        // per balance, per scenario
    var collByU: [Double]                // signed collateral value per underlying
    var collQuote = 0.0
    /// Σ equity coin amounts per instrument (inverse futures and perpetuals): each instrument's
    /// delta member in the minimum delta requirement (`minDelta`).
    var coinByInstrument: [Double]
    /// Delta (coins) of each portfolio collateral balance tied to an underlying: (underlying, amount·price/S0).
    var collDeltaMembers: [(underlying: Int, delta: Double)] = []
    /// Each instrument's tier table, looked up once: the margin helpers run inside root searches,
    /// where hashing the table name on every trial price showed up in profiles.
    let tiers: [[MarginTier]]

    init(portfolio: Portfolio, market: MarketSnapshot, table: UnitRiskTable) throws(InputError) {
        self.market = market; self.table = table; self.portfolio = portfolio
        tiers = market.instruments.map { market.margin.tierTables[$0.tierTable] ?? [] }
        let nU = market.underlyings.count
        netQ = [Double](repeating: 0, count: market.instruments.count)
        coinByInstrument = netQ
        coin = [Double](repeating: 0, count: nU)
        collByU = [Double](repeating: 0, count: nU)
        posIndex.reserveCapacity(portfolio.positions.count)
        posCash.reserveCapacity(portfolio.positions.count)
        posCoin.reserveCapacity(portfolio.positions.count)
        posEquityCash.reserveCapacity(portfolio.positions.count)
        posEquityCoin.reserveCapacity(portfolio.positions.count)
        for (k, p) in portfolio.positions.enumerated() {
            guard let i = market.instrumentIndex(p.instrument) else {
                throw InputError(path: "positions[\(k)].instrument", message: "unknown instrument \"\(p.instrument)\"")
            }
            let m = table.models[i]
            let cost: EntryCost
            do { cost = try EntryCost.of(position: p, instrument: market.instruments[i]) } catch {
                throw InputError(path: "positions[\(k)].\(error.path)", message: error.message)
            }
            netQ[i] += p.quantity
            cash += cost.equityQuote
            coin[m.underlyingIndex] += cost.equityCoin
            coinByInstrument[i] += cost.equityCoin
            posIndex.append(i); posCash.append(cost.quote); posCoin.append(cost.coin)
            posEquityCash.append(cost.equityQuote); posEquityCoin.append(cost.equityCoin)
        }
        for (k, b) in portfolio.collateral.enumerated() {
            guard let j = market.collateralIndex(b.asset) else {
                throw InputError(path: "collateral[\(k)].asset", message: "unknown collateral asset \"\(b.asset)\"")
            }
            guard b.amount.isFinite else { throw InputError(path: "collateral[\(k)].amount", message: "must be finite") }
            let u = table.collateral[j]
            let v = b.amount >= 0 ? b.amount * u.value : b.amount * u.liabilityValue
            let sv = b.amount >= 0 ? u.scenarioValues.map { b.amount * $0 } : u.liabilityScenarioValues.map { b.amount * $0 }
            collValue.append(v); collScen.append(sv)
            if let ui = table.collateralUnderlying[j] {
                collByU[ui] += v
                collDeltaMembers.append((ui, b.amount * u.delta))
            } else { collQuote += v }
        }
    }

    // MARK: valuation helpers

    /// Reported unrealized P&L of position k: `q·value + cash + coin·S` (its whole entry cost).
    func unrealized(position k: Int) -> Double {
        let p = portfolio.positions[k], i = posIndex[k]
        let s = table.models[i].spot
        return p.quantity * table.instruments[i].value + posCash[k] + posCoin[k] * s
    }

    /// What position k adds to equity: `q·value + equityCash + equityCoin·S`, the same
    /// expression as `unrealized` with the equity parts of its cost (so bit-identical to it for
    /// futures and perpetuals, and `q·value` for options).
    func equityContribution(position k: Int) -> Double {
        let p = portfolio.positions[k], i = posIndex[k]
        let s = table.models[i].spot
        return p.quantity * table.instruments[i].value + posEquityCash[k] + posEquityCoin[k] * s
    }

    /// Maintenance and initial margin of `q` contracts of instrument i at index ratio r, given the
    /// instrument's value per contract at that ratio (options).
    func standardMargin(instrument i: Int, quantity q: Double, ratio r: Double, unitValue: Double) -> (mm: Double, im: Double) {
        guard q != 0 else { return (0, 0) }
        let m = table.models[i]
        switch m.form {
        case .linear:
            return MarginRules.tiered(notional: abs(q) * m.size * m.mark * r, table: tiers[i])
        case .inverse:
            return MarginRules.tiered(notional: abs(q) * m.size, table: tiers[i])
        case .option(let kind, let strike, _, _, _):
            guard q < 0 else { return (0, 0) }
            return MarginRules.shortOption(contracts: -q, size: m.size, index: m.spot * r,
                                           optionValue: unitValue / m.size, kind: kind, strike: strike,
                                           rates: market.margin.optionMargin)
        }
    }

    /// Assumed isolated wallet of position k, in quote at ratio r: its initial margin at entry
    /// (futures/perpetuals: notional at the entry price; inverse: face value, held as coin
    /// `IM/entry` and so worth `IM·S/entry`; options: initial margin at the snapshot).
    /// Only the inverse wallet moves with r, and linearly: `isolatedWallet(k, r) =
    /// isolatedWallet(k, 1)·r` there, bit for bit (the product is formed last).
    ///
    /// A position that states its `isolated_margin` uses that instead: quote currency for a linear
    /// contract; coins for an inverse one, worth `margin·S0·r` (the same product order).
    func isolatedWallet(position k: Int, ratio r: Double) -> Double {
        let quantity = portfolio.positions[k].quantity, entry = portfolio.positions[k].entryPrice
        let given = portfolio.positions[k].isolatedMargin
        let i = posIndex[k], m = table.models[i]
        switch m.form {
        case .linear:
            if let given { return given }
            return MarginRules.tiered(notional: abs(quantity) * m.size * entry, table: tiers[i]).im
        case .inverse:
            if let given { return given * m.spot * r }
            let im = MarginRules.tiered(notional: abs(quantity) * m.size, table: tiers[i]).im
            return im / entry * m.spot * r
        case .option:
            // Short: the initial margin at the snapshot (the premium received is in the P&L);
            // long: the premium paid, −(entry value) = q·size·E (inverse: q·size·E·S, E in coin),
            // so the position's equity is its value, never below its (zero) margin.
            if quantity > 0 { return -(posCash[k] + posCoin[k] * m.spot) }
            return standardMargin(instrument: i, quantity: quantity, ratio: 1, unitValue: table.instruments[i].value).im
        }
    }


    /// Paradex's minimum delta requirement of underlying `ui` (SPEC.md §6.5), with the index at
    /// `S0·r` and `unitDelta(i)` the delta of one contract of instrument i there. Members, in this
    /// order: each instrument of `instruments` (universe order) `netQ·unitDelta + coin amount`, then
    /// each collateral balance of ui (portfolio order) `amount·price/S0`; net = Σ members, gross =
    /// Σ |member|, hedged = max(0, (gross − |net|)/2), requirement =
    /// `(netRate·|net| + hedgedRate·hedged)·(S0·r)`.
    func minDelta(underlying ui: Int, instruments: [Int], ratio r: Double, rates: MinDeltaRates,
                  unitDelta: (Int) -> Double) -> MinDeltaFigure {
        var net = 0.0, gross = 0.0
        for i in instruments {
            let x = netQ[i] * unitDelta(i) + coinByInstrument[i]
            net += x; gross += abs(x)
        }
        for c in collDeltaMembers where c.underlying == ui {
            net += c.delta; gross += abs(c.delta)
        }
        let hedged = max(0, (gross - abs(net)) / 2)
        let requirement = (rates.netRate * abs(net) + rates.hedgedRate * hedged) * (market.underlyings[ui].indexPrice * r)
        return MinDeltaFigure(underlying: market.underlyings[ui].id, netDelta: net, grossDelta: gross,
                              hedgedDelta: hedged, requirement: requirement)
    }

    /// The instruments of underlying ui that the book holds a position in, in universe order.
    func heldInstruments(underlying ui: Int) -> [Int] {
        var held = [Bool](repeating: false, count: netQ.count)
        for i in posIndex where table.models[i].underlyingIndex == ui { held[i] = true }
        return (0..<netQ.count).filter { held[$0] }
    }

    // MARK: report

    mutating func report(options: AnalysisOptions) throws(InputError) -> RiskReport {
        guard options.targetMarginRatio.isFinite, options.targetMarginRatio > 0, options.targetMarginRatio <= 1 else {
            throw InputError(path: "target_margin_ratio", message: "must be in (0, 1]")
        }
        guard options.warningMarginRatio.isFinite, options.warningMarginRatio > 0, options.warningMarginRatio <= 1 else {
            throw InputError(path: "warning_margin_ratio", message: "must be in (0, 1]")
        }
        for (uid, d) in options.targetDelta {
            guard market.underlyingIndex(uid) != nil else {
                throw InputError(path: "target_delta.\(uid)", message: "unknown underlying \"\(uid)\"")
            }
            guard d.isFinite else { throw InputError(path: "target_delta.\(uid)", message: "must be finite") }
        }
        let nU = market.underlyings.count
        let nS = market.scenarios.count
        let insts = market.instruments

        // Positions.
        var positions: [PositionMetrics] = []
        positions.reserveCapacity(portfolio.positions.count)
        var byU = [ExposureFigures](repeating: ExposureFigures(), count: nU)
        var bucketKeys: [String: Int] = [:]
        var buckets: [BucketMetrics] = []
        var totals = Totals(equity: 0, collateralValue: 0, unrealizedPnl: 0, grossNotional: 0, netExposure: 0,
                            grossExposure: 0, vega: 0, theta: 0, rho: 0, fundingPerInterval: 0, fundingAnnualized: 0)
        // Σ equity contributions in position order (SPEC.md §6.3): equals Σ unrealized P&L
        // for a book without options.
        var positionsEquity = 0.0
        // Premium-adjusted delta of inverse options, per underlying: the difference to the BS delta.
        var paAdjust = [Double](repeating: 0, count: nU)
        var paHeld = [Bool](repeating: false, count: nU)
        for (k, p) in portfolio.positions.enumerated() {
            let i = posIndex[k], inst = insts[i], u = table.instruments[i], m = table.models[i]
            let q = p.quantity
            var g = GreekSet(); g.add(u, times: q)
            g.delta += posEquityCoin[k]           // entry coin amounts outside the wallet are coin exposure
            let upnl = unrealized(position: k)
            let typeName: String
            switch inst.kind { case .perpetual: typeName = "perpetual"; case .future: typeName = "future"; case .option: typeName = "option" }
            let pm = PositionMetrics(
                instrument: inst.id, underlying: inst.underlying, type: typeName, margining: inst.margining.rawValue,
                venue: p.venue, account: p.account, quantity: q, entryPrice: p.entryPrice, markPrice: inst.markPrice,
                value: q * u.value, entryValue: posCash[k] + posCoin[k] * m.spot, unrealizedPnl: upnl,
                unrealizedPnlCoin: m.isInverse ? upnl / m.spot : nil, notional: abs(q) * u.notional,
                deltaExposure: g.delta * m.spot, greeks: g, expiryBucket: u.expiryBucket?.rawValue,
                fundingPerInterval: q * u.fundingPerInterval, fundingAnnualized: q * u.fundingAnnualized)
            var pmOut = pm
            if case .option = inst.kind {
                pmOut.forward = u.forward; pmOut.forwardFuture = u.forwardFuture
                if m.isInverse {
                    // Deribit's net transaction delta: BS delta minus the mark in coin, per contract.
                    let adjusted = g.delta - (q * u.value) / m.spot
                    pmOut.premiumAdjustedDelta = adjusted
                    paAdjust[m.underlyingIndex] += adjusted - g.delta
                    paHeld[m.underlyingIndex] = true
                }
            }
            positions.append(pmOut)
            func accumulate(_ f: inout ExposureFigures) {
                f.positions += 1
                f.grossNotional += pm.notional
                f.netExposure += pm.deltaExposure
                f.grossExposure += abs(pm.deltaExposure)
                f.value += pm.value
                f.unrealizedPnl += upnl
                f.fundingPerInterval += pm.fundingPerInterval
                f.fundingAnnualized += pm.fundingAnnualized
                f.greeks.add(g)
            }
            accumulate(&byU[m.underlyingIndex])
            let bname = u.expiryBucket?.rawValue ?? "perpetual"
            let key = inst.underlying + "\u{0}" + bname
            if let bi = bucketKeys[key] { accumulate(&buckets[bi].figures) } else {
                var f = ExposureFigures(); accumulate(&f)
                bucketKeys[key] = buckets.count
                buckets.append(BucketMetrics(underlying: inst.underlying, bucket: bname, figures: f))
            }
            totals.unrealizedPnl += upnl
            positionsEquity += equityContribution(position: k)
        }
        // Stable, readable bucket order: underlying (snapshot order), then perpetual, <30d, 30-90d, >90d.
        let bucketRank: [String: Int] = ["perpetual": 0, "<30d": 1, "30-90d": 2, ">90d": 3]
        buckets.sort {
            let ua = market.underlyingIndex($0.underlying) ?? 0, ub = market.underlyingIndex($1.underlying) ?? 0
            if ua != ub { return ua < ub }
            return (bucketRank[$0.bucket] ?? 9) < (bucketRank[$1.bucket] ?? 9)
        }

        // Collateral.
        var collateral: [CollateralMetrics] = []
        var collDelta = [Double](repeating: 0, count: nU)
        for (k, b) in portfolio.collateral.enumerated() {
            guard let j = market.collateralIndex(b.asset) else { continue }
            let a = market.collateral[j], u = table.collateral[j]
            collateral.append(CollateralMetrics(asset: a.id, underlying: a.underlying, amount: b.amount, price: a.price,
                                                haircut: a.haircut, value: collValue[k], delta: b.amount * u.delta))
            if let ui = table.collateralUnderlying[j] { collDelta[ui] += b.amount * u.delta }
            totals.collateralValue += collValue[k]
        }
        totals.equity = totals.collateralValue + positionsEquity

        var underlyings: [UnderlyingMetrics] = []
        for (ui, und) in market.underlyings.enumerated() {
            let f = byU[ui]
            var um = UnderlyingMetrics(underlying: und.id, indexPrice: und.indexPrice, positions: f,
                                       collateralDelta: collDelta[ui], totalDelta: f.greeks.delta + collDelta[ui])
            if paHeld[ui] { um.premiumAdjustedTotalDelta = um.totalDelta + paAdjust[ui] }
            underlyings.append(um)
            totals.grossNotional += f.grossNotional
            totals.netExposure += (f.greeks.delta + collDelta[ui]) * und.indexPrice
            totals.grossExposure += f.grossExposure + abs(collDelta[ui]) * und.indexPrice
            totals.vega += f.greeks.vega; totals.theta += f.greeks.theta; totals.rho += f.greeks.rho
            totals.fundingPerInterval += f.fundingPerInterval; totals.fundingAnnualized += f.fundingAnnualized
        }
        let equity = totals.equity

        // Stress grid: P&L per scenario, decomposed by underlying.
        var pnlByU = [[Double]](repeating: [Double](repeating: 0, count: nU), count: nS)
        for i in 0..<insts.count where netQ[i] != 0 {
            let u = table.instruments[i], ui = table.models[i].underlyingIndex
            for s in 0..<nS { pnlByU[s][ui] += netQ[i] * (u.scenarioValues[s] - u.value) }
        }
        for ui in 0..<nU where coin[ui] != 0 {
            let s0 = market.underlyings[ui].indexPrice
            for s in 0..<nS { pnlByU[s][ui] += coin[ui] * s0 * (table.scenarioRatios[s][ui] - 1) }
        }
        var stressQuote = [Double](repeating: 0, count: nS)
        for (k, b) in portfolio.collateral.enumerated() {
            guard let j = market.collateralIndex(b.asset) else { continue }
            for s in 0..<nS {
                let d = collScen[k][s] - collValue[k]
                if let ui = table.collateralUnderlying[j] { pnlByU[s][ui] += d } else { stressQuote[s] += d }
            }
        }
        var stress: [StressRow] = []
        var pmInitial = 0.0
        var worst: String? = nil
        for (s, sc) in market.scenarios.enumerated() {
            var pnl = stressQuote[s]
            for ui in 0..<nU { pnl += pnlByU[s][ui] }
            let wl = sc.weight * -pnl
            if wl > pmInitial { pmInitial = wl; worst = sc.name }
            let moves = market.underlyings.enumerated().compactMap { (_, und) -> ScenarioMove? in
                // The snapshot's own move (its decimal's double), not `ratio − 1`, which reads
                // -0.16000000000000003 for -0.16 (SPEC §7.3); the engine still uses the ratio.
                sc.priceMoves[und.id].map { ScenarioMove(underlying: und.id, move: $0) }
            }
            stress.append(StressRow(scenario: sc.name, weight: sc.weight, moves: moves, volShock: Self.describe(sc.volShock),
                                    equity: equity + pnl, pnl: pnl, weightedLoss: wl,
                                    pnlByUnderlying: market.underlyings.enumerated().map {
                                        ScenarioMove(underlying: $0.element.id, move: pnlByU[s][$0.offset]) }))
        }
        // Portfolio margin: the larger of the scenario requirement and, when the snapshot sets
        // its rates, Paradex's minimum delta requirement summed over underlyings (§6.5).
        let scanRequirement = pmInitial
        var minDeltaSummary: MinDeltaSummary? = nil
        if let rates = market.margin.portfolioMinDelta {
            var figs: [MinDeltaFigure] = []
            var total = 0.0
            for ui in 0..<nU {
                let f = minDelta(underlying: ui, instruments: heldInstruments(underlying: ui), ratio: 1, rates: rates) {
                    table.instruments[$0].delta
                }
                figs.append(f); total += f.requirement
            }
            minDeltaSummary = MinDeltaSummary(netRate: rates.netRate, hedgedRate: rates.hedgedRate, total: total,
                                              underlyings: figs)
            if total > pmInitial { pmInitial = total }
        }
        let pmFraction = market.margin.portfolioMaintenanceFraction
        let portfolioFig = MarginFigures(maintenance: pmFraction * pmInitial, initial: pmInitial)

        // Cross (standard) margin on net positions per instrument.
        var crossMM = [Double](repeating: 0, count: insts.count), crossIM = crossMM
        for i in 0..<insts.count where netQ[i] != 0 {
            let r = standardMargin(instrument: i, quantity: netQ[i], ratio: 1, unitValue: table.instruments[i].value)
            crossMM[i] = r.mm; crossIM[i] = r.im
        }
        let crossFig = MarginFigures(maintenance: crossMM.reduce(0, +), initial: crossIM.reduce(0, +))

        // Isolated: each position on its own.
        var isolated: [IsolatedPositionMargin] = []
        var isoMM = 0.0, isoIM = 0.0
        var isoMMByPos = [Double](repeating: 0, count: portfolio.positions.count)
        // Unit values of each instrument at every ladder rung, filled on first use: the positions of
        // one instrument share them in their isolated root searches.
        var rungValues = [RungValues?](repeating: nil, count: market.instruments.count)
        for (k, p) in portfolio.positions.enumerated() {
            let i = posIndex[k]
            let r = standardMargin(instrument: i, quantity: p.quantity, ratio: 1, unitValue: table.instruments[i].value)
            isoMM += r.mm; isoIM += r.im; isoMMByPos[k] = r.mm
            if portfolio.marginMode == .isolated {
                isolated.append(isolatedPosition(k, mm: r.mm, im: r.im, rungValues: &rungValues))
            }
        }
        let isolatedFig = MarginFigures(maintenance: isoMM, initial: isoIM)

        let active: MarginFigures
        switch portfolio.marginMode {
        case .isolated: active = isolatedFig
        case .cross: active = crossFig
        case .portfolio: active = portfolioFig
        }
        let ratio: Double? = equity > 0 ? active.maintenance / equity : nil
        // Liquidatable: equity at or below a maintenance requirement, or negative. An account that
        // needs no margin and has equity ≥ 0 (an empty book, long options only) has nothing to
        // liquidate, even at equity 0 (§6.5).
        let liquidatable = equity <= active.maintenance && (active.maintenance > 0 || equity < 0)
        let status: String
        if portfolio.positions.isEmpty && !liquidatable { status = "no_positions" }
        else if liquidatable { status = "liquidatable" }
        else if let r = ratio, r >= options.warningMarginRatio { status = "warning" }
        else { status = "ok" }
        let margin = MarginSummary(equity: equity, isolated: isolatedFig, cross: crossFig, portfolio: portfolioFig,
                                   portfolioWorstScenario: worst, portfolioScenarioRequirement: scanRequirement,
                                   portfolioMinDelta: minDeltaSummary, active: active, marginRatio: ratio,
                                   initialMarginRatio: equity > 0 ? active.initial / equity : nil,
                                   freeCollateral: equity - active.initial, liquidatable: liquidatable,
                                   status: status, warningMarginRatio: options.warningMarginRatio)

        // Liquidation per underlying.
        var liquidation: [LiquidationMetrics] = []
        for ui in 0..<nU where options.liquidationPrices {
            var l = liquidationFor(underlying: ui, equity: equity, crossMM: crossMM, isoMMByPos: isoMMByPos,
                                   pnlByU: pnlByU, stressQuote: stressQuote, activeMM: active.maintenance,
                                   minDelta: minDeltaSummary, screening: options.scenarioScreening)
            if portfolio.marginMode == .isolated { Self.addIsolated(&l, positions: isolated, underlying: ui, book: self) }
            liquidation.append(l)
        }

        // Actions.
        var hedges: [HedgeSuggestion] = []
        for (ui, und) in market.underlyings.enumerated() {
            let current = underlyings[ui].totalDelta
            let target = options.targetDelta[und.id] ?? 0
            var h = HedgeSuggestion(underlying: und.id, currentDelta: current, targetDelta: target, instrument: nil,
                                    quantity: nil, note: nil)
            if let (i, perUnit) = Actions.hedgePerpetual(market: market, table: table, underlying: ui) {
                h.instrument = insts[i].id
                h.quantity = (target - current) / perUnit
            } else {
                h.note = "no perpetual on \(und.id) in the snapshot"
            }
            hedges.append(h)
        }
        let topUp = Actions.topUp(market: market, portfolio: portfolio, equity: equity, maintenance: active.maintenance,
                                  target: options.targetMarginRatio, currentRatio: ratio)

        return RiskReport(snapshotId: market.snapshotID, asOf: market.asOf.iso8601, quoteCurrency: market.quoteCurrency,
                          marginMode: portfolio.marginMode.rawValue, totals: totals, positions: positions,
                          collateral: collateral, underlyings: underlyings, expiryBuckets: buckets, margin: margin,
                          isolatedPositions: isolated, liquidation: liquidation, stress: stress, hedges: hedges,
                          topUp: topUp)
    }

    static func describe(_ v: VolShock) -> String {
        switch v {
        case .none: return "none"
        case .absolute(let s): return "absolute \(s)"
        case .termStructure(let s): return "term_structure \(s)"
        }
    }

    // MARK: isolated positions

    /// An instrument's unit values at the liquidation ladder's rungs (below, above).
    struct RungValues { var down: [Double]; var up: [Double] }

    func isolatedPosition(_ k: Int, mm: Double, im: Double, rungValues: inout [RungValues?]) -> IsolatedPositionMargin {
        let p = portfolio.positions[k], i = posIndex[k], m = table.models[i]
        let inst = market.instruments[i]
        let wallet = isolatedWallet(position: k, ratio: 1)
        let eq = wallet + unrealized(position: k)
        var lp: Double? = nil
        let method: String
        if case .linear = m.form {
            method = "binance_closed_form"
            // Binance's formula is in terms of the mark; our index-based notional and the mark moving
            // with the index mean the mark at liquidation is LP_mark, the index LP_mark·S0/mark.
            if let lpMark = MarginRules.binanceIsolatedLiquidationPrice(wallet: wallet, quantity: p.quantity * m.size,
                                                                        entry: p.entryPrice, table: tiers[i]) {
                lp = lpMark * (m.spot / m.mark)
            }
        } else if case .option = m.form, p.quantity > 0 {
            method = "long_option_never_liquidated"
        } else {
            method = "root_search"
            // The wallet at r is `wallet` (options) or `wallet·r` (inverse): see `isolatedWallet`.
            let walletMoves: Bool
            if case .inverse = m.form { walletMoves = true } else { walletMoves = false }
            let q = p.quantity, cashK = posCash[k], coinK = posCoin[k]
            let gAt: (Double, Double) -> Double = { r, v in
                let upnl = q * v + cashK + coinK * m.spot * r
                let mmr = self.standardMargin(instrument: i, quantity: q, ratio: r, unitValue: v).mm
                return (walletMoves ? wallet * r : wallet) + upnl - mmr
            }
            let g: (Double) -> Double = { r in gAt(r, m.value(ratio: r, lnRatio: DetMath.log(r), sd: m.baseSD)) }
            let g1 = eq - mm
            if g1 > 0 {
                typealias L = LiquidationSearch
                if rungValues[i] == nil {
                    let sd = m.baseSD
                    rungValues[i] = RungValues(
                        down: zip(L.downLadder, L.downLadderLog).map { m.value(ratio: $0, lnRatio: $1, sd: sd) },
                        up: zip(L.upLadder, L.upLadderLog).map { m.value(ratio: $0, lnRatio: $1, sd: sd) })
                }
                let cached = rungValues[i]!
                let down = L.nearestRoot(g: g, g1: g1, ladder: L.downLadder, atRung: { gAt(L.downLadder[$0], cached.down[$0]) })
                let up = L.nearestRoot(g: g, g1: g1, ladder: L.upLadder, atRung: { gAt(L.upLadder[$0], cached.up[$0]) })
                let pick: Double?
                switch (down, up) {
                case let (d?, u?): pick = (1 - d) <= (u - 1) ? d : u
                case let (d?, nil): pick = d
                case let (nil, u?): pick = u
                default: pick = nil
                }
                lp = pick.map { $0 * m.spot }
            } else {
                lp = m.spot
            }
        }
        return IsolatedPositionMargin(instrument: inst.id, venue: p.venue, account: p.account, wallet: wallet,
                                      walletSource: p.isolatedMargin == nil ? "assumed_initial_margin" : "given",
                                      maintenance: mm, initial: im, equity: eq, marginRatio: eq > 0 ? mm / eq : nil,
                                      liquidationPrice: lp, distancePercent: lp.map { ($0 / m.spot - 1) * 100 },
                                      method: method)
    }

    /// Position-level liquidation in isolated mode (§6.6): the nearest isolated liquidation prices
    /// of the underlying's positions on each side of the index, their status, and the combined
    /// `status` — `none` only when neither the account nor any isolated position of the underlying
    /// has a liquidation price.
    static func addIsolated(_ l: inout LiquidationMetrics, positions iso: [IsolatedPositionMargin], underlying ui: Int,
                            book: Book) {
        let s0 = l.indexPrice
        var below: Double? = nil, above: Double? = nil
        var atOrBelow = false, count = 0
        for (k, p) in iso.enumerated() where book.table.models[book.posIndex[k]].underlyingIndex == ui {
            count += 1
            if p.maintenance > 0 && p.equity <= p.maintenance { atOrBelow = true; continue }
            guard let lp = p.liquidationPrice else { continue }
            if lp < s0 { below = max(below ?? lp, lp) } else if lp > s0 { above = min(above ?? lp, lp) } else { atOrBelow = true }
        }
        guard count > 0 else { return }
        l.isolatedPositions = count
        l.isolatedBelow = below; l.isolatedAbove = above
        l.isolatedDistanceBelowPercent = below.map { ($0 / s0 - 1) * 100 }
        l.isolatedDistanceAbovePercent = above.map { ($0 / s0 - 1) * 100 }
        let isoStatus = atOrBelow ? "at_or_below_maintenance" : (below != nil || above != nil ? "ok" : "none")
        l.isolatedStatus = isoStatus
        if isoStatus == "at_or_below_maintenance" { l.status = isoStatus }
        else if l.status == "none" && isoStatus == "ok" { l.status = "ok" }
    }

    // MARK: account liquidation per underlying

    /// The index level of underlying `ui` (all else fixed, options re-priced at unchanged vol) at
    /// which equity meets the maintenance margin of the portfolio's mode.
    func liquidationFor(underlying ui: Int, equity: Double, crossMM: [Double], isoMMByPos: [Double],
                        pnlByU: [[Double]], stressQuote: [Double], activeMM: Double, minDelta minDeltaSummary: MinDeltaSummary?,
                        screening: Bool) -> LiquidationMetrics {
        let und = market.underlyings[ui]
        let s0 = und.indexPrice
        // Instruments of this underlying that the book touches (net or, for isolated, any position).
        let mine = heldInstruments(underlying: ui)
        var slot = [Int](repeating: -1, count: netQ.count)
        for (n, i) in mine.enumerated() { slot[i] = n }
        let baseValues = mine.map { table.instruments[$0].value }
        let models = mine.map { table.models[$0] }
        let nets = mine.map { netQ[$0] }
        let linearTied = coin[ui] * s0 + collByU[ui]   // quote value moving 1:1 with the index
        let mode = portfolio.marginMode
        let nS = market.scenarios.count

        // Everything that does not depend on this underlying.
        var mmOthers = 0.0
        var myPositions: [Int] = []
        switch mode {
        case .cross:
            mmOthers = activeMM - mine.reduce(0) { $0 + crossMM[$1] }
        case .isolated:
            for k in 0..<portfolio.positions.count {
                if table.models[posIndex[k]].underlyingIndex == ui { myPositions.append(k) } else { mmOthers += isoMMByPos[k] }
            }
        case .portfolio:
            break
        }
        var othersPnl = [Double](repeating: 0, count: nS)
        var lnRs = [Double](repeating: 0, count: nS)
        var sds = [[Double]](repeating: [], count: nS)
        if mode == .portfolio {
            for s in 0..<nS {
                var x = stressQuote[s]
                for u2 in 0..<market.underlyings.count where u2 != ui { x += pnlByU[s][u2] }
                othersPnl[s] = x
                lnRs[s] = table.scenarioLnRatios[s][ui]
                sds[s] = mine.map { table.scenarioSD[s][$0] }
            }
        }
        let fraction = market.margin.portfolioMaintenanceFraction
        let weights = market.scenarios.map(\.weight)
        let ratiosU = table.scenarioRatios.map { $0[ui] }

        /// Equity at ratio r and the re-priced unit values it used (shared by g and the screen), with
        /// their slopes in r in portfolio mode (the scenario losses and the screen need them; the
        /// values are the same bits either way).
        let withSlopes = mode == .portfolio
        let base: (Double) -> (lnr: Double, values: [Double], slopes: [Double], eq: Double) = { r in
            let lnr = DetMath.log(r)
            var eq = equity + linearTied * (r - 1)
            var values = [Double](repeating: 0, count: mine.count)
            var slopes = [Double](repeating: 0, count: withSlopes ? mine.count : 0)
            for n in 0..<mine.count {
                let (v, dv) = models[n].valueAndSlope(ratio: r, lnRatio: lnr, sd: models[n].baseSD)
                values[n] = v
                if withSlopes { slopes[n] = dv }
                eq += nets[n] * (v - baseValues[n])
            }
            return (lnr, values, slopes, eq)
        }
        /// Portfolio mode: the weighted loss of scenario s around the moved base r, and its slope in r.
        let scenarioLoss: (Int, Double, Double, [Double], [Double]) -> (value: Double, slope: Double) = { s, r, lnr, values, slopes in
            let rs = ratiosU[s], lnrs = lnr + lnRs[s], sd = sds[s]
            var pnl = othersPnl[s] + linearTied * r * (rs - 1)
            var dpnl = linearTied * (rs - 1)
            for n in 0..<mine.count where nets[n] != 0 {
                let (v, dv) = models[n].valueAndSlope(ratio: r * rs, lnRatio: lnrs, sd: sd[n])
                pnl += nets[n] * (v - values[n])
                dpnl += nets[n] * (rs * dv - slopes[n])
            }
            return (weights[s] * -pnl, weights[s] * -dpnl)
        }
        // Portfolio mode: most scenarios are nowhere near deciding g's sign (on the ladder) or its
        // maximum (in the refinement), so a screen of rigorous bounds skips them (`ScenarioScreen`).
        // The values of g and the verdicts are exactly those of the full evaluation.
        var screen: ScenarioScreen? = nil
        if mode == .portfolio && screening {
            screen = ScenarioScreen(models: models, nets: nets, linearTied: linearTied, othersPnl: othersPnl,
                                    ratios: ratiosU, scenarioSD: sds, weights: weights)
        }
        // Portfolio mode with a minimum delta requirement: the requirement summed over underlyings
        // (snapshot order) with this underlying's member deltas re-taken at the moved index — an
        // option's delta per contract is its value's slope in r divided by S0 (∂V/∂S = ∂V/∂r / S0).
        var minDeltaAt: ((Double, [Double]) -> Double)? = nil
        if mode == .portfolio, let summary = minDeltaSummary, let rates = market.margin.portfolioMinDelta {
            minDeltaAt = { r, slopes in
                var total = 0.0
                for (u2, f) in summary.underlyings.enumerated() {
                    if u2 != ui { total += f.requirement; continue }
                    total += self.minDelta(underlying: ui, instruments: mine, ratio: r, rates: rates) { i in
                        if case .option = self.table.models[i].form { return slopes[slot[i]] / s0 }
                        return self.table.instruments[i].delta
                    }.requirement
                }
                return total
            }
        }
        let g: (Double) -> Double = { r in
            let (lnr, values, slopes, eq) = base(r)
            var mm = mmOthers
            switch mode {
            case .cross:
                for (n, i) in mine.enumerated() where nets[n] != 0 {
                    mm += self.standardMargin(instrument: i, quantity: nets[n], ratio: r, unitValue: values[n]).mm
                }
            case .isolated:
                for k in myPositions {
                    let i = self.posIndex[k]
                    mm += self.standardMargin(instrument: i, quantity: self.portfolio.positions[k].quantity, ratio: r,
                                              unitValue: values[slot[i]]).mm
                }
            case .portfolio:
                var worst = 0.0
                if screen != nil {
                    worst = screen!.worst(r: r) { s in scenarioLoss(s, r, lnr, values, slopes) }
                } else {
                    for s in 0..<nS {
                        let wl = scenarioLoss(s, r, lnr, values, slopes).value
                        if wl > worst { worst = wl }
                    }
                }
                if let md = minDeltaAt?(r, slopes), md > worst { worst = md }
                mm = fraction * worst
            }
            return eq - mm
        }
        let isSafe: ((Double) -> Bool)? = screen == nil ? nil : { r in
            let (lnr, values, slopes, eq) = base(r)
            if let md = minDeltaAt?(r, slopes), !(eq - fraction * md > 0) { return false }
            return screen!.isSafe(r: r, equity: eq, fraction: fraction) { s in scenarioLoss(s, r, lnr, values, slopes) }
        }
        let g1 = equity - activeMM
        var out = LiquidationMetrics(underlying: und.id, indexPrice: s0, status: "ok", below: nil, above: nil,
                                     distanceBelowPercent: nil, distanceAbovePercent: nil, nearest: nil,
                                     nearestDistancePercent: nil)
        // Nothing required and nothing owed (an empty book, or one needing no margin at equity 0):
        // there is nothing to liquidate (§6.6), not an account "at or below maintenance".
        if g1 <= 0 && activeMM <= 0 && equity >= 0 { out.status = "none"; return out }
        guard g1 > 0 else { out.status = "at_or_below_maintenance"; return out }
        if let d = LiquidationSearch.nearestRoot(g: g, g1: g1, ladder: LiquidationSearch.downLadder, isSafe: isSafe) {
            out.below = d * s0; out.distanceBelowPercent = (d - 1) * 100
        }
        if let u = LiquidationSearch.nearestRoot(g: g, g1: g1, ladder: LiquidationSearch.upLadder, isSafe: isSafe) {
            out.above = u * s0; out.distanceAbovePercent = (u - 1) * 100
        }
        switch (out.distanceBelowPercent, out.distanceAbovePercent) {
        case let (d?, u?):
            if -d <= u { out.nearest = out.below; out.nearestDistancePercent = d } else { out.nearest = out.above; out.nearestDistancePercent = u }
        case let (d?, nil): out.nearest = out.below; out.nearestDistancePercent = d
        case let (nil, u?): out.nearest = out.above; out.nearestDistancePercent = u
        default: out.status = "none"
        }
        return out
    }
}
