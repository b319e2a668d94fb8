import RiskEngine

/// `metrics --chart`: the stress grid as bars (P&L per scenario) and, per underlying the book is
/// exposed to, the liquidation ladder — equity and the active maintenance margin as that index
/// moves, all else fixed: the two sides of §6.6's g(r), evaluated by the engine on the moved
/// snapshot (`RiskEngine.liquidationLadder`). Where the lines cross is the liquidation price the
/// report prints (drawn as a dashed marker from the report itself, so a disagreement would show).
enum MetricsChart {
    static func svg(_ r: RiskReport, portfolio: Portfolio, market: MarketSnapshot) throws(InputError) -> String {
        let q = r.quoteCurrency
        var stress = SVGChart.Panel(title: "Stress P&L per scenario (\(q))", xLabel: "", yLabel: "P&L (\(q))")
        stress.bars = r.stress.map { SVGChart.Bar(label: $0.scenario, value: $0.pnl) }
        stress.height = 300
        var panels = [stress]
        for u in r.underlyings where u.positions.positions > 0 || u.collateralDelta != 0 {
            let s0 = u.indexPrice
            let liq = r.liquidation.first { $0.underlying == u.underlying }
            var lo = 0.5, hi = 1.5
            if let b = liq?.below { lo = max(0.05, min(lo, b / s0 - 0.05)) }
            if let a = liq?.above { hi = min(3, max(hi, a / s0 + 0.05)) }
            let n = 60
            let ratios = (0...n).map { lo + (hi - lo) * Double($0) / Double(n) }
            let ladder = try RiskEngine.liquidationLadder(portfolio: portfolio, market: market, underlying: u.underlying, ratios: ratios)
            var p = SVGChart.Panel(title: "Liquidation ladder — \(u.underlying) (others fixed, options re-priced)",
                                   xLabel: "\(u.underlying) index (\(q))", yLabel: q)
            p.series.append(SVGChart.Series(name: "equity", points: ladder.map { ($0.ratio * s0, $0.equity) }, color: "#2e7d32"))
            p.series.append(SVGChart.Series(name: "maintenance (\(r.marginMode))", points: ladder.map { ($0.ratio * s0, $0.maintenance) },
                                            color: "#c62828", dashed: true))
            p.vlines.append(SVGChart.VLine(x: s0, label: "index \(MetricsText.num(s0))", color: "#555555"))
            if let b = liq?.below { p.vlines.append(SVGChart.VLine(x: b, label: "liq. \(MetricsText.num(b))", color: "#c62828")) }
            if let a = liq?.above { p.vlines.append(SVGChart.VLine(x: a, label: "liq. \(MetricsText.num(a))", color: "#c62828")) }
            panels.append(p)
        }
        return SVGChart(title: "Risk report — \(r.snapshotId), \(r.marginMode) margin", panels: panels).render()
    }
}
