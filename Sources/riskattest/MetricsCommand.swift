import ArgumentParser
import CFixedFormat
import Foundation
import RiskEngine

/// `riskattest metrics`: risk metrics, margin, liquidation, stress and suggested actions of a book.
struct Metrics: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Risk metrics, margin, liquidation prices, stress grid, hedge and top-up of a portfolio.",
        discussion: "Input errors print the offending field path and exit with code 2. SPEC.md §6 defines the metrics, §7 the --json schema.")

    @Option(name: .long, help: "Portfolio JSON (riskattest.portfolio/1).")
    var portfolio: String

    @Option(name: .long, help: "Market snapshot JSON (riskattest.market/1).")
    var market: String

    @Flag(name: .long, help: "Print the full result as JSON (schema in SPEC.md §7).")
    var json = false

    @Option(name: .long, parsing: .singleValue,
            help: "Target delta for the hedge suggestion, UNDERLYING=VALUE in underlying units (repeatable; default 0).")
    var targetDelta: [String] = []

    @Option(name: .long, help: "Target margin ratio (maintenance/equity) for the top-up suggestion, in (0, 1].")
    var targetMarginRatio: Double = 0.5

    @Option(name: .long, help: "Early-warning margin ratio (maintenance/equity) in (0, 1]: at or above it the status is 'warning' (1 = liquidation).")
    var warnRatio: Double = 0.8

    @Option(name: .long, help: "Write an SVG chart (stress P&L per scenario, liquidation ladder per underlying) to this file.")
    var chart: String?

    func run() throws {
        do {
            let report = try Self.compute(portfolioPath: portfolio, marketPath: market, targetDelta: targetDelta,
                                          targetMarginRatio: targetMarginRatio, warningMarginRatio: warnRatio)
            if let chart {
                // The stdout output is unchanged by --chart (its bytes are pinned by MetricsCLITests).
                let (snapshot, book) = try Self.load(portfolioPath: portfolio, marketPath: market)
                let svg = try MetricsChart.svg(report, portfolio: book, market: snapshot)
                do throws(AtomicFileError) { try AtomicFile.write(Array(svg.utf8), to: chart) } catch {
                    throw InputError(path: "--chart", message: error.description)
                }
            }
            if json {
                // Streamed: a 100,000-position report is ~80 MB of JSON.
                try report.writeJSON { FileHandle.standardOutput.write(Data($0)) }
            } else {
                print(MetricsText.render(report), terminator: "")
            }
        } catch let e as InputError {
            Terminal.error(e.description)
            throw ExitCode(2)
        }
    }

    static func compute(portfolioPath: String, marketPath: String, targetDelta: [String],
                        targetMarginRatio: Double, warningMarginRatio: Double = 0.8) throws(InputError) -> RiskReport {
        let (snapshot, book) = try load(portfolioPath: portfolioPath, marketPath: marketPath)
        var targets: [String: Double] = [:]
        for t in targetDelta {
            let parts = t.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, let v = Double(parts[1]), v.isFinite else {
                throw InputError(path: "--target-delta", message: "expected UNDERLYING=NUMBER, got \"\(t)\"")
            }
            guard targets[parts[0]] == nil else {
                throw InputError(path: "--target-delta", message: "underlying \"\(parts[0])\" given twice")
            }
            targets[parts[0]] = v
        }
        do {
            return try RiskEngine.analyze(portfolio: book, market: snapshot,
                                          options: AnalysisOptions(targetDelta: targets, targetMarginRatio: targetMarginRatio,
                                                                   warningMarginRatio: warningMarginRatio))
        } catch {
            let p = error.path == "warning_margin_ratio" ? "warn_ratio" : error.path
            throw InputError(path: p.hasPrefix("target") || p == "warn_ratio" ? "--" + p.replacingOccurrences(of: "_", with: "-") : p,
                             message: error.message)
        }
    }

    /// Reads and decodes the snapshot and the portfolio; error paths are prefixed `market:` or
    /// `portfolio:`.
    static func load(portfolioPath: String, marketPath: String) throws(InputError) -> (MarketSnapshot, Portfolio) {
        let marketBytes = try readFile(marketPath, what: "market")
        let portfolioBytes = try readFile(portfolioPath, what: "portfolio")
        let snapshot: MarketSnapshot
        do { snapshot = try MarketSnapshot.parse(marketBytes) } catch {
            throw InputError(path: "market:" + error.path, message: error.message)
        }
        let book: Portfolio
        do { book = try Portfolio.parse(portfolioBytes, market: snapshot) } catch {
            throw InputError(path: "portfolio:" + error.path, message: error.message)
        }
        return (snapshot, book)
    }

    static func readFile(_ path: String, what: String) throws(InputError) -> [UInt8] {
        guard let d = FileManager.default.contents(atPath: path) else {
            throw InputError(path: "--\(what)", message: "cannot read file \"\(path)\"")
        }
        return [UInt8](d)
    }
}

/// The human-readable rendering of a RiskReport.
enum MetricsText {
    /// `x` with `digits` decimals and thousands separators ("-1,234,567.89"), "n/a" if not finite.
    ///
    /// Formats with snprintf("%.*f") (CFixedFormat) into a stack buffer and groups the bytes in place: the same
    /// text as `String(format:)` (which hands `%f` to the C library's printf as well), but a
    /// 100,000-position report calls this 1.2 million times, and `String(format:)` through
    /// Foundation's CFString formatter made it the largest cost of `metrics` (~60 % of the run).
    static func num(_ x: Double, _ digits: Int = 2) -> String {
        guard x.isFinite else { return "n/a" }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 384) { buf -> String in
            guard let base = buf.baseAddress else { return String(format: "%.\(digits)f", x) }
            // 308 integer digits + sign + point + up to 17 decimals fit in 330 bytes.
            let n = Int(riskattest_format_fixed(base, 330, Int32(digits), x))
            guard n > 0, n < 330 else { return String(format: "%.\(digits)f", x) }
            var out = [UInt8]()
            out.reserveCapacity(n + n / 3 + 1)
            var i = 0
            if base[0] == 0x2D { out.append(0x2D); i = 1 }          // "-"
            var intEnd = i
            while intEnd < n, base[intEnd] != 0x2E { intEnd += 1 }  // "."
            let intDigits = intEnd - i
            for k in 0..<intDigits {
                if k > 0, (intDigits - k) % 3 == 0 { out.append(0x2C) }   // ","
                out.append(UInt8(bitPattern: base[i + k]))
            }
            for k in intEnd..<n { out.append(UInt8(bitPattern: base[k])) }
            return String(decoding: out, as: UTF8.self)
        }
    }
    static func opt(_ x: Double?, _ digits: Int = 2) -> String { x.map { num($0, digits) } ?? "-" }
    static func pct(_ x: Double?) -> String { x.map { String(format: "%+.2f%%", $0) } ?? "-" }

    /// Display width of a cell: its character count (ASCII cells, nearly all of them, by bytes).
    static func width(_ s: String) -> Int {
        var ascii = true
        for b in s.utf8 where b >= 0x80 { ascii = false; break }
        return ascii ? s.utf8.count : s.count
    }

    /// A table with the first column left-aligned and the others right-aligned, two spaces apart.
    /// Cells hold ids and names from the portfolio and snapshot: each is escaped
    /// (`UntrustedText`), which also keeps a bidi override from reordering the columns.
    static func table(_ header: [String], _ rawRows: [[String]]) -> String {
        let rows = rawRows.map { $0.map(UntrustedText.escape) }
        var w = header.map(width)
        for r in rows { for (i, c) in r.enumerated() where i < w.count { w[i] = max(w[i], width(c)) } }
        var out = ""
        func line(_ r: [String]) {
            for (i, c) in r.enumerated() {
                if i > 0 { out += "  " }
                let pad = w[i] - width(c)
                if i == 0 { out += c }
                if pad > 0 { out += String(repeating: " ", count: pad) }
                if i > 0 { out += c }
            }
            out += "\n"
        }
        line(header)
        out += w.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
        for r in rows { line(r) }
        return out
    }

    /// Outside the tables, every string taken from the inputs is escaped with `e` (UntrustedText).
    static func render(_ r: RiskReport) -> String {
        let e = UntrustedText.escape
        let q = e(r.quoteCurrency)
        var out = "Risk report — snapshot \(e(r.snapshotId)) as of \(e(r.asOf)), quote \(q), margin mode \(e(r.marginMode))\n\n"
        let t = r.totals
        // SPEC §6.3: collateral are wallet balances holding the option premiums, so equity adds the
        // futures' unrealized P&L and the options' value; the reported P&L (options against their
        // premium) is shown apart, as it does not add up to equity when options are held.
        out += "Equity \(num(t.equity)) \(q) = collateral \(num(t.collateralValue)) + positions \(num(t.equity - t.collateralValue)) (futures' unrealized P&L, options' value)\n"
        out += "Unrealized P&L \(num(t.unrealizedPnl)) (options against their entry premium, already in the balances)\n"
        out += "Gross notional \(num(t.grossNotional)), net exposure \(num(t.netExposure)), gross exposure \(num(t.grossExposure))\n"
        out += "Vega \(num(t.vega)) per vol, theta \(num(t.theta)) per year, rho \(num(t.rho)) per 1.00 rate\n"
        out += "Funding \(num(t.fundingPerInterval)) per interval, \(num(t.fundingAnnualized)) per year (positive = paid)\n\n"

        for u in r.underlyings {
            let ps = r.positions.filter { $0.underlying == u.underlying }
            out += "== \(e(u.underlying)) (index \(num(u.indexPrice))) ==\n"
            if !ps.isEmpty {
                out += table(["instrument", "venue", "qty", "entry", "mark", "notional", "uPnL", "delta", "gamma", "vega", "theta", "funding/yr"],
                             ps.map { p in [p.instrument, p.venue ?? "-", num(p.quantity, 4),
                                            // inverse options: the venue's coin quote (SPEC §3.1)
                                            p.type == "option" && p.margining == "inverse" ? num(p.entryPrice, 6) + " " + p.underlying : num(p.entryPrice),
                                            num(p.markPrice),
                                            num(p.notional), num(p.unrealizedPnl), num(p.greeks.delta, 4), num(p.greeks.gamma, 6),
                                            num(p.greeks.vega), num(p.greeks.theta), num(p.fundingAnnualized)] })
            }
            let f = u.positions
            out += "delta \(num(f.greeks.delta, 4)) (+ collateral \(num(u.collateralDelta, 4)) = \(num(u.totalDelta, 4))), gamma \(num(f.greeks.gamma, 6)), vega \(num(f.greeks.vega)), theta \(num(f.greeks.theta)), rho \(num(f.greeks.rho))\n"
            if let pa = u.premiumAdjustedTotalDelta {
                out += "premium-adjusted delta \(num(pa, 4)) (inverse options' deltas net of their coin premium, as Deribit reports them)\n"
            }
            out += "gross notional \(num(f.grossNotional)), net exposure \(num(f.netExposure)), gross exposure \(num(f.grossExposure)), uPnL \(num(f.unrealizedPnl))\n"
            let bs = r.expiryBuckets.filter { $0.underlying == u.underlying }
            if !bs.isEmpty {
                out += table(["bucket", "positions", "notional", "net exposure", "delta", "gamma", "vega", "theta"],
                             bs.map { b in [b.bucket, String(b.figures.positions), num(b.figures.grossNotional), num(b.figures.netExposure),
                                            num(b.figures.greeks.delta, 4), num(b.figures.greeks.gamma, 6), num(b.figures.greeks.vega),
                                            num(b.figures.greeks.theta)] })
            }
            out += "\n"
        }

        if !r.collateral.isEmpty {
            out += "== Collateral ==\n"
            out += table(["asset", "amount", "price", "haircut", "value"],
                         r.collateral.map { [$0.asset, num($0.amount, 4), num($0.price), num($0.haircut, 3), num($0.value)] }) + "\n"
        }

        let m = r.margin
        out += "== Margin ==\n"
        out += table(["mode", "maintenance", "initial"],
                     [["isolated", num(m.isolated.maintenance), num(m.isolated.initial)],
                      ["cross", num(m.cross.maintenance), num(m.cross.initial)],
                      ["portfolio", num(m.portfolio.maintenance), num(m.portfolio.initial)]])
        if let w = m.portfolioWorstScenario { out += "portfolio scenario requirement \(num(m.portfolioScenarioRequirement)) from scenario \"\(e(w))\"\n" }
        if let md = m.portfolioMinDelta {
            out += "portfolio minimum delta requirement \(num(md.total)) = Σ (\(num(md.netRate, 4))·|net delta| + \(num(md.hedgedRate, 4))·hedged delta)·index:"
            out += md.underlyings.map { " \(e($0.underlying)) \(num($0.requirement)) (net \(num($0.netDelta, 4)), hedged \(num($0.hedgedDelta, 4)))" }.joined(separator: ",") + "\n"
        }
        out += "active (\(e(r.marginMode))): maintenance \(num(m.active.maintenance)), initial \(num(m.active.initial)), "
        out += "margin ratio \(m.marginRatio.map { String(format: "%.4f", $0) } ?? "n/a (equity <= 0)") (1 = liquidation), "
        out += "free collateral \(num(m.freeCollateral))\n"
        switch m.status {
        case "liquidatable": out += "status: ** LIQUIDATABLE ** (equity at or below maintenance)\n\n"
        case "warning": out += "status: WARNING: margin ratio at or above the warning level \(num(m.warningMarginRatio, 2))\n\n"
        case "no_positions": out += "status: no positions\n\n"
        default: out += "status: ok (warning at margin ratio \(num(m.warningMarginRatio, 2)), liquidation at 1)\n\n"
        }

        out += "== Liquidation (index level of one underlying, others fixed, options re-priced) ==\n"
        out += table(["underlying", "index", "status", "below", "dist", "above", "dist"],
                     r.liquidation.map { [$0.underlying, num($0.indexPrice), $0.status, opt($0.below), pct($0.distanceBelowPercent),
                                          opt($0.above), pct($0.distanceAbovePercent)] })
        if !r.isolatedPositions.isEmpty {
            out += "account level above (the whole wallet against every isolated maintenance); position level, isolated:\n"
            out += table(["underlying", "positions", "status", "nearest below", "dist", "nearest above", "dist"],
                         r.liquidation.compactMap { l in l.isolatedPositions.map { [l.underlying, String($0), l.isolatedStatus ?? "-",
                                                    opt(l.isolatedBelow), pct(l.isolatedDistanceBelowPercent),
                                                    opt(l.isolatedAbove), pct(l.isolatedDistanceAbovePercent)] } })
            out += "isolated positions:\n"
            out += table(["instrument", "venue", "wallet", "wallet source", "maintenance", "equity", "ratio", "liq. price", "dist", "method"],
                         r.isolatedPositions.map { [$0.instrument, $0.venue ?? "-", num($0.wallet),
                                                    $0.walletSource == "given" ? "given" : "assumed",
                                                    num($0.maintenance), num($0.equity),
                                                    $0.marginRatio.map { String(format: "%.4f", $0) } ?? "n/a", opt($0.liquidationPrice),
                                                    pct($0.distancePercent), $0.method] })
        }
        out += "\n== Stress grid ==\n"
        out += table(["scenario", "weight", "vol shock", "P&L", "equity", "weighted loss"],
                     r.stress.map { [$0.scenario, num($0.weight, 2), $0.volShock, num($0.pnl), num($0.equity), num($0.weightedLoss)] })
        out += "\n== Suggested actions ==\n"
        for h in r.hedges {
            if let i = h.instrument, let qty = h.quantity {
                out += "hedge \(e(h.underlying)): delta \(num(h.currentDelta, 4)) -> \(num(h.targetDelta, 4)): \(qty >= 0 ? "buy" : "sell") \(num(abs(qty), 4)) \(e(i))\n"
            } else {
                out += "hedge \(e(h.underlying)): \(e(h.note ?? "none"))\n"
            }
        }
        let tu = r.topUp
        if tu.quoteValue > 0 {
            out += "top-up to margin ratio \(num(tu.targetMarginRatio, 4)): deposit \(opt(tu.amount, 4)) \(tu.asset.map(e) ?? q) (\(num(tu.quoteValue)) \(q) of equity)\n"
        } else {
            out += "top-up: none needed for margin ratio \(num(tu.targetMarginRatio, 4))\n"
        }
        return out
    }
}
