/// Suggested actions: the perpetual delta hedge and the collateral top-up.
public enum Actions {
    /// The perpetual used to hedge underlying `ui` (the first linear perpetual of that underlying in
    /// universe order, else the first inverse one) and the delta one contract adds.
    ///
    /// A new linear contract adds its unit delta `size·mark/S`. A new inverse contract opened at the
    /// mark adds the coin amount `size/mark` (its unit value is delta-free, see `UnitRisk`), i.e. a
    /// delta of `size/mark` coins.
    public static func hedgePerpetual(market: MarketSnapshot, table: UnitRiskTable, underlying ui: Int) -> (instrument: Int, deltaPerContract: Double)? {
        var inverse: (Int, Double)? = nil
        for (i, m) in table.models.enumerated() where m.underlyingIndex == ui && m.isPerpetual {
            switch m.form {
            case .linear:
                let d = table.instruments[i].delta
                if d != 0 { return (i, d) }
            case .inverse:
                if inverse == nil { inverse = (i, m.size / m.mark) }
            case .option: break
            }
        }
        return inverse.map { (instrument: $0.0, deltaPerContract: $0.1) }
    }

    /// Collateral to deposit so that `maintenance / equity` falls to `target`.
    ///
    /// Needed equity is `maintenance / target`; the shortfall `max(0, maintenance/target − equity)`
    /// is deposited in the quote-currency collateral asset (the one whose id is the quote currency,
    /// else the first asset not tied to an underlying). A deposit does not change any maintenance
    /// figure (quote collateral does not move in scenarios and carries no margin), so this restores
    /// the target exactly. When the portfolio holds a negative balance of that asset, the first part
    /// of a deposit repays the loan at full price and only the rest is haircut.
    static func topUp(market: MarketSnapshot, portfolio: Portfolio, equity: Double, maintenance: Double,
                      target: Double, currentRatio: Double?) -> TopUpSuggestion {
        let need = max(0, maintenance / target - equity)
        var out = TopUpSuggestion(targetMarginRatio: target, currentMarginRatio: currentRatio, quoteValue: need,
                                  asset: nil, amount: nil, note: nil)
        let j = market.collateralIndex(market.quoteCurrency).flatMap { market.collateral[$0].underlying == nil ? $0 : nil }
            ?? market.collateral.firstIndex { $0.underlying == nil }
        guard let j else {
            out.note = "the snapshot has no quote-currency collateral asset"
            return out
        }
        let a = market.collateral[j]
        out.asset = a.id
        let keep = 1 - a.haircut
        let balance = portfolio.collateral.first { $0.asset == a.id }?.amount ?? 0
        // Repaying a loan of L = −balance units is worth L·price; beyond it each unit is worth price·keep.
        let loan = max(0, -balance)
        if need <= loan * a.price {
            out.amount = need / a.price
        } else {
            out.amount = loan + (need - loan * a.price) / (a.price * keep)
        }
        return out
    }
}
