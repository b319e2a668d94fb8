// The account at moved index levels, through the engine's own definitions (SPEC.md §19.3).
//
// Why a moved *snapshot*: the cascade needs equity, the active maintenance margin (isolated,
// cross or portfolio — the last re-running the whole scenario grid around the moved base) and
// the per-position isolated figures at arbitrary index levels of several underlyings at once,
// for a book that shrinks as it is liquidated. Rather than a second implementation of those
// metrics, the index move of §6.1 is applied to the snapshot itself and the unchanged engine
// (`RiskEngine.analyze`) evaluates the remaining book on it. Every figure of a cascade step is
// therefore exactly what `riskattest metrics` reports for that moved snapshot and book.

extension MarketSnapshot {
    /// The snapshot with underlying u's index moved by the ratio `ratios[u]` (snapshot order), as
    /// §6.1 moves it and as the liquidation search re-prices (`Book.liquidationFor`):
    ///
    /// - index `S0·r`; futures and perpetual marks `mark·r`; collateral tied to U `price·r`;
    /// - options: the mark becomes `V(r)/size` with `V(r) = size·mark + (M(r, IV·√T) − M(1, IV·√T))`,
    ///   the engine's `InstrumentModel.value` at ratio r and the mark IV (ln r by `DetMath.log`);
    ///   the moved table then values the option at `size·(V(r)/size)` = V(r) up to one rounding,
    ///   and moves it further from there with the same Black-76 model on the forward `S0·r·e^{rate·T}`.
    ///
    /// Times, vols, rates, tier tables and the scenario grid are unchanged. A ratio of exactly 1
    /// leaves its underlying's numbers bit for bit as they were. `table` must be this snapshot's.
    public func moved(ratios: [Double], table: UnitRiskTable) -> MarketSnapshot {
        precondition(ratios.count == underlyings.count, "one ratio per underlying")
        var m = self
        m.underlyings = underlyings.enumerated().map { u, und in
            var x = und
            if ratios[u] != 1 { x.indexPrice = und.indexPrice * ratios[u] }
            return x
        }
        m.instruments = instruments.enumerated().map { i, inst in
            let model = table.models[i]
            let r = ratios[model.underlyingIndex]
            guard r != 1 else { return inst }
            var x = inst
            switch model.form {
            case .linear, .inverse:
                x.markPrice = inst.markPrice * r
            case .option:
                x.markPrice = model.value(ratio: r, lnRatio: DetMath.log(r), sd: model.baseSD) / inst.contractSize
            }
            return x
        }
        m.collateral = collateral.enumerated().map { j, asset in
            guard let u = table.collateralUnderlying[j], ratios[u] != 1 else { return asset }
            var x = asset
            x.price = asset.price * ratios[u]
            return x
        }
        return m
    }
}

extension RiskEngine {
    /// The engine's report for `portfolio` on the snapshot moved by `ratios` (one per underlying,
    /// snapshot order; see `MarketSnapshot.moved`), without the account-level liquidation search.
    /// `report.margin.equity` and `report.margin.active.maintenance` are the cascade's equity
    /// (before realized cash) and maintenance margin; `g(r) = equity − maintenance` is the
    /// liquidation function of §6.6 evaluated at the moved index levels.
    public static func movedReport(portfolio: Portfolio, market: MarketSnapshot, table: UnitRiskTable,
                                   ratios: [Double]) throws(InputError) -> RiskReport {
        let moved = market.moved(ratios: ratios, table: table)
        return try analyze(portfolio: portfolio, market: moved, options: AnalysisOptions(liquidationPrices: false))
    }

    /// Equity and active maintenance margin of the book with one underlying moved to each of
    /// `ratios` (all else fixed): the two sides of §6.6's liquidation function
    /// `g(r) = equity(S0·r) − MM(S0·r)`, for a liquidation ladder chart.
    public static func liquidationLadder(portfolio: Portfolio, market: MarketSnapshot, underlying uid: String,
                                         ratios: [Double]) throws(InputError) -> [(ratio: Double, equity: Double, maintenance: Double)] {
        guard let u = market.underlyingIndex(uid) else {
            throw InputError(path: "underlying", message: "unknown underlying \"\(Read.printable(uid))\"")
        }
        let table = try UnitRiskTable(market: market)
        var out: [(ratio: Double, equity: Double, maintenance: Double)] = []
        for r in ratios {
            guard r.isFinite, r > 0 else { throw InputError(path: "ratio", message: "must be a positive finite number") }
            var rs = [Double](repeating: 1, count: market.underlyings.count)
            rs[u] = r
            let rep = try movedReport(portfolio: portfolio, market: market, table: table, ratios: rs)
            out.append((r, rep.margin.equity, rep.margin.active.maintenance))
        }
        return out
    }
}
