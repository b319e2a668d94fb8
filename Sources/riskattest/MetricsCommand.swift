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

    @Flag(name: .long, help: "Desk units: theta per day (/365), vega per vol point (/100), rho per basis point (/10000), in text, CSV and JSON (JSON tagged riskattest.metrics/2 with a units object).")
    var deskUnits = false

    @Option(name: .long, help: "Also write one CSV file per table into this directory (created if missing; RFC 4180, full precision).")
    var csv: String?

    @Flag(name: .long, help: "Add the price x vol stress matrix per underlying (SPEC.md §6.9).")
    var matrix = false

    @Option(name: .long, help: "Index moves of the matrix rows, comma-separated decimals or percentages (default -20%,-15%,...,+20%); implies --matrix.")
    var matrixMoves: String?

    @Option(name: .long, help: "Absolute IV shifts of the matrix columns, comma-separated (default -0.2,-0.1,0,0.1,0.2; 10% = 0.1); implies --matrix.")
    var matrixVols: String?

    @Option(name: .long, parsing: .singleValue,
            help: "What-if trade INSTRUMENT=QTY[@PRICE] applied before computing (repeatable; QTY signed, PRICE defaults to the mark).")
    var add: [String] = []

    @Option(name: .long, help: "What-if trades file (JSON riskattest.trades/1), applied before --add.")
    var trades: String?

    func run() throws {
        do {
            var request = Request(portfolioPath: portfolio, marketPath: market, targetDelta: targetDelta,
                                  targetMarginRatio: targetMarginRatio)
            request.deskUnits = deskUnits
            request.matrix = matrix || matrixMoves != nil || matrixVols != nil
            request.matrixMoves = matrixMoves
            request.matrixVols = matrixVols
            request.add = add
            request.tradesPath = trades
            request.warningMarginRatio = warnRatio
            let report = try Self.compute(request)
            if let chart {
                // The stdout output is unchanged by --chart (its bytes are pinned by MetricsCLITests).
                let (snapshot, book) = try Self.load(portfolioPath: portfolio, marketPath: market)
                let svg = try MetricsChart.svg(report, portfolio: book, market: snapshot)
                do throws(AtomicFileError) { try AtomicFile.write(Array(svg.utf8), to: chart) } catch {
                    throw InputError(path: "--chart", message: error.description)
                }
            }
            if let dir = csv { try MetricsCSV.write(report, to: dir) }
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

    /// Everything `metrics` computes from, as given on the command line.
    struct Request {
        var portfolioPath: String
        var marketPath: String
        var targetDelta: [String]
        var targetMarginRatio: Double
        var deskUnits = false
        var matrix = false
        var matrixMoves: String? = nil
        var matrixVols: String? = nil
        var add: [String] = []
        var tradesPath: String? = nil
        var warningMarginRatio = 0.8
    }

    static func compute(portfolioPath: String, marketPath: String, targetDelta: [String],
                        targetMarginRatio: Double, warningMarginRatio: Double = 0.8) throws(InputError) -> RiskReport {
        var req = Request(portfolioPath: portfolioPath, marketPath: marketPath, targetDelta: targetDelta,
                          targetMarginRatio: targetMarginRatio)
        req.warningMarginRatio = warningMarginRatio
        return try compute(req)
    }

    static func compute(_ req: Request) throws(InputError) -> RiskReport {
        let (snapshot, book) = try load(portfolioPath: req.portfolioPath, marketPath: req.marketPath)
        var targets: [String: Double] = [:]
        for t in req.targetDelta {
            let parts = t.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, let v = Double(parts[1]), v.isFinite else {
                throw InputError(path: "--target-delta", message: "expected UNDERLYING=NUMBER, got \"\(t)\"")
            }
            guard targets[parts[0]] == nil else {
                throw InputError(path: "--target-delta", message: "underlying \"\(parts[0])\" given twice")
            }
            targets[parts[0]] = v
        }
        // What-if trades: the file's first, then each --add, in order.
        var trades: [Trade] = []
        if let path = req.tradesPath {
            let bytes = try readFile(path, what: "trades")
            do { trades = try TradeFile.parse(bytes, market: snapshot) } catch {
                throw InputError(path: "trades:" + error.path, message: error.message)
            }
        }
        for (k, a) in req.add.enumerated() {
            trades.append(try TradeFile.parseAdd(a, market: snapshot, path: "--add[\(k)]"))
        }
        let after = try trades.isEmpty ? book : book.applying(trades, market: snapshot)
        let options = AnalysisOptions(targetDelta: targets, targetMarginRatio: req.targetMarginRatio,
                                      warningMarginRatio: req.warningMarginRatio)
        var report = try analyze(after, snapshot, options)
        if !trades.isEmpty {
            let before = try analyze(book, snapshot, options)
            report.whatIf = WhatIf.compare(trades: trades, market: snapshot, before: before, after: report)
        }
        if req.matrix {
            let moves = try req.matrixMoves.map { (t) throws(InputError) in try list(t, option: "--matrix-moves") } ?? StressMatrix.defaultMoves
            let vols = try req.matrixVols.map { (t) throws(InputError) in try list(t, option: "--matrix-vols") } ?? StressMatrix.defaultVolShifts
            report.stressMatrix = try StressMatrix.compute(portfolio: after, market: snapshot, moves: moves, volShifts: vols)
        }
        return req.deskUnits ? report.inDeskUnits() : report
    }

    private static func analyze(_ book: Portfolio, _ snapshot: MarketSnapshot, _ options: AnalysisOptions) throws(InputError) -> RiskReport {
        do {
            return try RiskEngine.analyze(portfolio: book, market: snapshot, options: options)
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

    /// A comma-separated list of decimals or percentages ("-0.2,0,0.2" or "-20%,0%,20%").
    static func list(_ text: String, option: String) throws(InputError) -> [Double] {
        var out: [Double] = []
        for (k, item) in text.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
            do { out.append(try DeskInputs.decimalOrPercent(String(item), option: "\(option)[\(k)]")) } catch {
                throw InputError(path: option, message: error.description)
            }
        }
        return out
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

    /// Column-header units of a report (SPEC.md §7.1): quote currency `q`, and the Greeks in the
    /// report's convention (engine or desk units).
    struct Units {
        let q: String
        let desk: Bool
        var vega: String { desk ? "\(q)/vol pt" : "\(q)/vol" }
        var theta: String { desk ? "\(q)/day" : "\(q)/yr" }
        var rho: String { desk ? "\(q)/bp" : "\(q)/rate" }
        func delta(_ u: String) -> String { u }
        func gamma(_ u: String) -> String { "\(u)/\(q)" }
        /// "name (unit)".
        static func h(_ name: String, _ unit: String) -> String { "\(name) (\(unit))" }
    }

    /// Outside the tables, every string taken from the inputs is escaped with `e` (UntrustedText).
    static func render(_ r: RiskReport) -> String {
        let e = UntrustedText.escape
        let q = e(r.quoteCurrency)
        let un = Units(q: q, desk: r.isDeskUnits)
        let h = Units.h
        var out = "Risk report — snapshot \(e(r.snapshotId)) as of \(e(r.asOf)), quote \(q), margin mode \(e(r.marginMode))\n"
        if r.isDeskUnits { out += "Desk units: theta per day, vega per vol point (0.01), rho per basis point (0.0001)\n" }
        out += "\n"
        let t = r.totals
        // SPEC §6.3: collateral are wallet balances holding the option premiums, so equity adds the
        // futures' unrealized P&L and the options' value; the reported P&L (options against their
        // premium) is shown apart, as it does not add up to equity when options are held.
        out += "Equity \(num(t.equity)) \(q) = collateral \(num(t.collateralValue)) + positions \(num(t.equity - t.collateralValue)) (futures' unrealized P&L, options' value)\n"
        out += "Unrealized P&L \(num(t.unrealizedPnl)) \(q) (options against their entry premium, already in the balances)\n"
        out += "Gross notional \(num(t.grossNotional)) \(q), net exposure \(num(t.netExposure)) \(q), gross exposure \(num(t.grossExposure)) \(q)\n"
        if r.isDeskUnits {
            out += "Vega \(num(t.vega)) \(q) per vol point, theta \(num(t.theta)) \(q) per day, rho \(num(t.rho)) \(q) per basis point\n"
        } else {
            out += "Vega \(num(t.vega)) \(q) per 1.00 vol, theta \(num(t.theta)) \(q) per year, rho \(num(t.rho)) \(q) per 1.00 rate\n"
        }
        out += "Funding \(num(t.fundingPerInterval)) \(q) per interval, \(num(t.fundingAnnualized)) \(q) per year (positive = paid)\n\n"

        for u in r.underlyings {
            let ps = r.positions.filter { $0.underlying == u.underlying }
            let U = e(u.underlying)
            out += "== \(U) (index \(num(u.indexPrice)) \(q)) ==\n"
            if !ps.isEmpty {
                out += table(["instrument", "venue", h("qty", "contracts"), h("entry", q), h("mark", q), h("notional", q), h("uPnL", q),
                              h("delta", un.delta(U)), h("gamma", un.gamma(U)), h("vega", un.vega), h("theta", un.theta), h("funding/yr", q)],
                             ps.map { p in [p.instrument, p.venue ?? "-", num(p.quantity, 4),
                                            // inverse options: the venue's coin quote (SPEC §3.1)
                                            p.type == "option" && p.margining == "inverse" ? num(p.entryPrice, 6) + " " + p.underlying : num(p.entryPrice),
                                            num(p.markPrice),
                                            num(p.notional), num(p.unrealizedPnl), num(p.greeks.delta, 4), num(p.greeks.gamma, 6),
                                            num(p.greeks.vega), num(p.greeks.theta), num(p.fundingAnnualized)] })
            }
            let f = u.positions
            out += "delta \(num(f.greeks.delta, 4)) \(U) (+ collateral \(num(u.collateralDelta, 4)) = \(num(u.totalDelta, 4)) \(U)), gamma \(num(f.greeks.gamma, 6)) \(un.gamma(U)), vega \(num(f.greeks.vega)) \(un.vega), theta \(num(f.greeks.theta)) \(un.theta), rho \(num(f.greeks.rho)) \(un.rho)\n"
            out += "gross notional \(num(f.grossNotional)) \(q), net exposure \(num(f.netExposure)) \(q), gross exposure \(num(f.grossExposure)) \(q), uPnL \(num(f.unrealizedPnl)) \(q)\n"
            if let pa = u.premiumAdjustedTotalDelta {
                out += "premium-adjusted delta \(num(pa, 4)) \(U) (inverse options' deltas net of their coin premium, as Deribit reports them)\n"
            }
            let bs = r.expiryBuckets.filter { $0.underlying == u.underlying }
            if !bs.isEmpty {
                out += table(["bucket", "positions", h("notional", q), h("net exposure", q), h("delta", un.delta(U)), h("gamma", un.gamma(U)),
                              h("vega", un.vega), h("theta", un.theta)],
                             bs.map { b in [b.bucket, String(b.figures.positions), num(b.figures.grossNotional), num(b.figures.netExposure),
                                            num(b.figures.greeks.delta, 4), num(b.figures.greeks.gamma, 6), num(b.figures.greeks.vega),
                                            num(b.figures.greeks.theta)] })
            }
            out += "\n"
        }

        if !r.collateral.isEmpty {
            out += "== Collateral ==\n"
            // Price and haircut as the snapshot wrote them (SPEC §7.3).
            out += table(["asset", h("amount", "units"), h("price", q), h("haircut", "fraction"), h("value", q)],
                         r.collateral.map { [$0.asset, num($0.amount, 4), num($0.price), DecimalText.shortest($0.haircut), num($0.value)] }) + "\n"
        }

        let m = r.margin
        out += "== Margin ==\n"
        out += table(["mode", h("maintenance", q), h("initial", q)],
                     [["isolated", num(m.isolated.maintenance), num(m.isolated.initial)],
                      ["cross", num(m.cross.maintenance), num(m.cross.initial)],
                      ["portfolio", num(m.portfolio.maintenance), num(m.portfolio.initial)]])
        if let w = m.portfolioWorstScenario { out += "portfolio scenario requirement \(num(m.portfolioScenarioRequirement)) from scenario \"\(e(w))\"\n" }
        if let md = m.portfolioMinDelta {
            out += "portfolio minimum delta requirement \(num(md.total)) = Σ (\(num(md.netRate, 4))·|net delta| + \(num(md.hedgedRate, 4))·hedged delta)·index:"
            out += md.underlyings.map { " \(e($0.underlying)) \(num($0.requirement)) (net \(num($0.netDelta, 4)), hedged \(num($0.hedgedDelta, 4)))" }.joined(separator: ",") + "\n"
        }
        out += "active (\(e(r.marginMode))): maintenance \(num(m.active.maintenance)) \(q), initial \(num(m.active.initial)) \(q), "
        out += "margin ratio \(m.marginRatio.map { String(format: "%.4f", $0) } ?? "n/a (equity <= 0)") (1 = liquidation), "
        out += "free collateral \(num(m.freeCollateral)) \(q)\n"
        switch m.status {
        case "liquidatable": out += "status: ** LIQUIDATABLE ** (equity at or below maintenance)\n\n"
        case "warning": out += "status: WARNING: margin ratio at or above the warning level \(num(m.warningMarginRatio, 2))\n\n"
        case "no_positions": out += "status: no positions\n\n"
        default: out += "status: ok (warning at margin ratio \(num(m.warningMarginRatio, 2)), liquidation at 1)\n\n"
        }

        out += "== Liquidation (index level of one underlying, others fixed, options re-priced) ==\n"
        out += table(["underlying", h("index", q), "status", h("below", q), h("dist", "%"), h("above", q), h("dist", "%")],
                     r.liquidation.map { [$0.underlying, num($0.indexPrice), $0.status, opt($0.below), pct($0.distanceBelowPercent),
                                          opt($0.above), pct($0.distanceAbovePercent)] })
        if !r.isolatedPositions.isEmpty {
            out += "account level above (the whole wallet against every isolated maintenance); position level, isolated:\n"
            out += table(["underlying", "positions", "status", "nearest below", "dist", "nearest above", "dist"],
                         r.liquidation.compactMap { l in l.isolatedPositions.map { [l.underlying, String($0), l.isolatedStatus ?? "-",
                                                    opt(l.isolatedBelow), pct(l.isolatedDistanceBelowPercent),
                                                    opt(l.isolatedAbove), pct(l.isolatedDistanceAbovePercent)] } })
            out += "isolated positions:\n"
            out += table(["instrument", "venue", h("wallet", q), "wallet source", h("maintenance", q), h("equity", q), "ratio", h("liq. price", q), h("dist", "%"), "method"],
                         r.isolatedPositions.map { [$0.instrument, $0.venue ?? "-", num($0.wallet),
                                                    $0.walletSource == "given" ? "given" : "assumed",
                                                    num($0.maintenance), num($0.equity),
                                                    $0.marginRatio.map { String(format: "%.4f", $0) } ?? "n/a", opt($0.liquidationPrice),
                                                    pct($0.distancePercent), $0.method] })
        }
        out += "\n== Stress grid ==\n"
        // Moves and weights as the snapshot wrote them (SPEC §7.3).
        out += table(["scenario", h("move", "%"), "weight", "vol shock", h("P&L", q), h("equity", q), h("weighted loss", q)],
                     r.stress.map { [$0.scenario, moves($0.moves), DecimalText.shortest($0.weight), $0.volShock, num($0.pnl),
                                     num($0.equity), num($0.weightedLoss)] })
        if let sm = r.stressMatrix { out += "\n" + matrix(sm, quote: q) }
        if let w = r.whatIf { out += "\n" + whatIf(w, quote: q) }
        out += "\n== Suggested actions ==\n"
        for h in r.hedges {
            if let i = h.instrument, let qty = h.quantity {
                out += "hedge \(e(h.underlying)): delta \(num(h.currentDelta, 4)) -> \(num(h.targetDelta, 4)) \(e(h.underlying)): \(qty >= 0 ? "buy" : "sell") \(num(abs(qty), 4)) \(e(i))\n"
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

    /// A scenario's moves, "BTC -16%, ETH -16%", from the snapshot's decimals; "-" when none.
    static func moves(_ ms: [ScenarioMove]) -> String {
        ms.isEmpty ? "-" : ms.map { "\($0.underlying) \(DecimalText.percent($0.move))" }.joined(separator: ", ")
    }

    /// The price × vol grids: rows are index moves, columns absolute IV shifts (vol points).
    static func matrix(_ sm: StressMatrix, quote q: String) -> String {
        var out = "== Price x vol stress matrix (P&L in \(q); rows: index move, columns: IV shift in vol points; other underlyings fixed) ==\n"
        let cols = sm.volShifts.map { "IV " + ($0 > 0 ? "+" : "") + DecimalText.scaled($0, byPowerOfTen: 2) }
        for g in sm.underlyings {
            out += "\(UntrustedText.escape(g.underlying)) (index \(num(g.indexPrice)) \(q)):\n"
            out += table(["move (%)"] + cols.map { Units.h($0, q) },
                         zip(sm.moves, g.pnl).map { m, row in [DecimalText.percent(m)] + row.map { num($0) } })
        }
        return out
    }

    /// The what-if comparison: trades, then before → after of the headline figures.
    static func whatIf(_ w: WhatIf, quote q: String) -> String {
        var out = "== What-if (\(w.trades.count) trade\(w.trades.count == 1 ? "" : "s") applied; this report is the book after them) ==\n"
        out += table(["instrument", "venue", h2("qty", "contracts"), h2("price", "venue quote"), "at"],
                     w.trades.map { [$0.instrument, $0.venue ?? "-", DecimalText.shortest($0.quantity), DecimalText.shortest($0.price),
                                     $0.priceIsMark ? "mark" : "given"] })
        func ratio(_ x: Double?) -> String { x.map { String(format: "%.4f", $0) } ?? "n/a" }
        var rows: [[String]] = [
            [h2("equity", q), num(w.before.equity), num(w.after.equity), num(w.after.equity - w.before.equity)],
            [h2("active maintenance margin", q), num(w.before.activeMaintenance), num(w.after.activeMaintenance),
             num(w.after.activeMaintenance - w.before.activeMaintenance)],
            [h2("active initial margin", q), num(w.before.activeInitial), num(w.after.activeInitial),
             num(w.after.activeInitial - w.before.activeInitial)],
            ["margin ratio", ratio(w.before.marginRatio), ratio(w.after.marginRatio),
             w.before.marginRatio.flatMap { b in w.after.marginRatio.map { String(format: "%+.4f", $0 - b) } } ?? "-"],
        ]
        for (b, a) in zip(w.before.totalDelta, w.after.totalDelta) {
            rows.append([h2("total delta " + b.underlying, b.underlying), num(b.totalDelta, 4), num(a.totalDelta, 4), num(a.totalDelta - b.totalDelta, 4)])
        }
        rows.append([h2("worst stress P&L", q), opt(w.before.worstScenarioPnl), opt(w.after.worstScenarioPnl),
                     w.before.worstScenarioPnl.flatMap { b in w.after.worstScenarioPnl.map { num($0 - b) } } ?? "-"])
        rows.append(["worst scenario", w.before.worstScenario ?? "-", w.after.worstScenario ?? "-", ""])
        out += table(["figure", "before", "after", "change"], rows)
        return out
    }
    private static func h2(_ name: String, _ unit: String) -> String { Units.h(name, unit) }
}
