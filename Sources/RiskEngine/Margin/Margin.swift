/// Standard (isolated / cross) margin rules and Binance's isolated liquidation price.
///
/// Futures and perpetuals use Binance-style tier tables (SPEC.md §2.5): a net position of quote
/// notional N in bracket i needs maintenance `MM = N·mmr_i − cum_i` and initial `IM = N·imr_i`.
/// Short options use Deribit-style standard margin (SPEC.md §2.2 `option_margin`); long options need
/// nothing beyond their premium, which is already out of the wallet.
public enum MarginRules {
    /// The bracket containing notional `n` (upper bounds inclusive; the last tier is unbounded).
    public static func tier(for n: Double, in table: [MarginTier]) -> MarginTier? {
        for t in table {
            guard let cap = t.maxNotional else { return t }
            if n <= cap { return t }
        }
        return table.last
    }

    /// `(maintenance, initial)` of a futures/perpetual position of quote notional `n ≥ 0`.
    /// Maintenance is floored at zero (a zero position needs nothing).
    public static func tiered(notional n: Double, table: [MarginTier]) -> (mm: Double, im: Double) {
        guard n > 0, let t = tier(for: n, in: table) else { return (0, 0) }
        return (max(0, n * t.maintenanceRate - t.cumulativeDeduction), n * t.initialRate)
    }

    /// `(maintenance, initial)` of `contracts` short option contracts (pass |q| of a short; longs need 0).
    ///
    /// Per contract of size c, index S, option value V per underlying unit, out-of-the-money amount
    /// OTM (call: max(K − S, 0); put: max(S − K, 0)):
    /// `IM = c·(max(initialRate·S − OTM, floorRate·S) + V)`, `MM = c·(maintenanceRate·S + V)`.
    public static func shortOption(contracts: Double, size: Double, index s: Double, optionValue v: Double,
                                   kind: OptionKind, strike: Double, rates: OptionMarginRates) -> (mm: Double, im: Double) {
        guard contracts > 0 else { return (0, 0) }
        let otm = kind == .call ? max(strike - s, 0) : max(s - strike, 0)
        let im = contracts * size * (max(rates.shortInitialRate * s - otm, rates.shortInitialFloorRate * s) + v)
        let mm = contracts * size * (rates.shortMaintenanceRate * s + v)
        return (mm, im)
    }

    /// Binance's isolated-margin liquidation price of one linear (USDⓈ-M) position, one-way mode
    /// (Binance FAQ "How to Calculate Liquidation Price of USDⓈ-M Futures Contracts", with TMM = 0 and
    /// UPNL = 0 as the FAQ prescribes for isolated mode):
    ///
    ///     LP = (WB + cum − side·Q·EP) / (Q·MMR − side·Q)
    ///
    /// WB the isolated wallet balance, Q the absolute position in underlying units (|q|·size), EP the
    /// entry price, side +1 long / −1 short, MMR and cum from the tier. Binance notes that when the
    /// position's bracket at LP differs from the one used, LP must be re-solved with the bracket of
    /// the notional at LP; we do exactly that, walking the brackets until LP·Q falls in the bracket
    /// used (or, at a boundary, the two neighbouring solutions straddle it, where the continuous
    /// maintenance function makes the boundary itself the answer).
    ///
    /// Here the notional is taken at the index (`Q·LP`), the mark is assumed to move with the index.
    /// Returns nil when there is no positive liquidation price (e.g. an over-collateralised long).
    public static func binanceIsolatedLiquidationPrice(wallet wb: Double, quantity q: Double, entry ep: Double,
                                                       table: [MarginTier]) -> Double? {
        guard q != 0, !table.isEmpty else { return nil }
        let side: Double = q > 0 ? 1 : -1
        let qa = abs(q)
        func solve(_ t: MarginTier) -> Double? {
            let den = qa * t.maintenanceRate - side * qa
            guard den != 0 else { return nil }
            return (wb + t.cumulativeDeduction - side * qa * ep) / den
        }
        func index(of n: Double) -> Int {
            for (i, t) in table.enumerated() {
                guard let cap = t.maxNotional else { return i }
                if n <= cap { return i }
            }
            return table.count - 1
        }
        // Start from the bracket of the entry notional and walk.
        var i = index(of: qa * ep)
        var visited = Set<Int>()
        while true {
            guard let lp = solve(table[i]) else { return nil }
            guard lp > 0 else { return nil }
            let j = index(of: qa * lp)
            if j == i { return lp }
            if visited.contains(j) {
                // Oscillation between neighbours: the solution sits on the shared boundary.
                let lo = min(i, j)
                return table[lo].maxNotional.map { $0 / qa } ?? lp
            }
            visited.insert(i)
            i = j
        }
    }
}
