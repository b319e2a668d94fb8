import ArgumentParser
import Foundation
import RiskEngine

/// `riskattest cascade`: liquidation cascade simulation (SPEC.md §19).
struct CascadeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cascade",
        abstract: "Simulate a liquidation cascade: shock, liquidations, their price impact, the next liquidations.",
        discussion: """
            From an initial shock, liquidates the book step by step as the venue would (isolated positions \
            alone; the cross/portfolio account in partial steps down the tier brackets), moves the index by \
            each order's impact from the depth model (and by other participants' liquidations from an optional \
            liquidation map) and re-values the account after every step, until the cascade stops, the account \
            is wiped out (equity <= 0) or the step limit is reached. SPEC.md §19 defines every rule, the DEPTH \
            and MAP formats and the --json schema. --csv prints the step table as CSV on stdout. Input errors \
            print the file and JSON path and exit with code 2.
            """)

    @Option(name: .long, help: "Portfolio JSON (riskattest.portfolio/1).")
    var portfolio: String

    @Option(name: .long, help: "Market snapshot JSON (riskattest.market/1).")
    var market: String

    @Option(name: .long, help: "Market depth JSON (riskattest.depth/1): impact curve per underlying, liquidation fee.")
    var depth: String

    @Option(name: .long, help: "Liquidation map JSON (riskattest.liquidation-map/1): other participants' liquidations by price level.")
    var liquidationMap: String?

    @Option(name: .long, parsing: .singleValue,
            help: "Initial shock UNDERLYING=MOVE as a fraction in (-1, 10] (e.g. BTC=-0.10; repeatable; default none).")
    var shock: [String] = []

    @Flag(name: .long, help: "Print the result as one JSON object (schema riskattest.cascade/1).")
    var json = false

    @Flag(name: .long, help: "Print the step table as CSV on stdout.")
    var csv = false

    @Option(name: .long, help: "Write an SVG chart of the index path, liquidations and equity to this file.")
    var chart: String?

    func run() throws {
        do {
            guard !(json && csv) else { throw InputError(path: "--csv", message: "cannot be combined with --json") }
            let result = try Self.compute(portfolioPath: portfolio, marketPath: market, depthPath: depth,
                                          mapPath: liquidationMap, shocks: shock)
            if let chart {
                do throws(AtomicFileError) { try AtomicFile.write(Array(CascadeChart.svg(result).utf8), to: chart) } catch {
                    throw InputError(path: "--chart", message: error.description)
                }
            }
            if json {
                let bytes: [UInt8]
                do { bytes = try result.jsonBytes() } catch {
                    throw InputError(path: "result", message: "not representable as JSON (a figure is not finite)")
                }
                FileHandle.standardOutput.write(Data(bytes))
            } else if csv {
                FileHandle.standardOutput.write(Data(CascadeText.csv(result).utf8))
            } else {
                print(CascadeText.render(result), terminator: "")
            }
        } catch let e as InputError {
            Terminal.error(e.description)
            throw ExitCode(2)
        }
    }

    static func compute(portfolioPath: String, marketPath: String, depthPath: String, mapPath: String?,
                        shocks: [String]) throws(InputError) -> CascadeResult {
        let (snapshot, book) = try Metrics.load(portfolioPath: portfolioPath, marketPath: marketPath)
        let depthBytes = try Metrics.readFile(depthPath, what: "depth")
        let depthBook: DepthBook
        do { depthBook = try DepthBook.parse(depthBytes, market: snapshot) } catch {
            throw InputError(path: "depth:" + error.path, message: error.message)
        }
        var map: LiquidationMap? = nil
        if let mapPath {
            let mapBytes = try Metrics.readFile(mapPath, what: "liquidation-map")
            do { map = try LiquidationMap.parse(mapBytes, market: snapshot) } catch {
                throw InputError(path: "liquidation-map:" + error.path, message: error.message)
            }
        }
        var moves: [String: Double] = [:]
        for t in shocks {
            let parts = t.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, let v = Double(parts[1]), v.isFinite else {
                throw InputError(path: "--shock", message: "expected UNDERLYING=MOVE (a fraction, e.g. BTC=-0.10), got \"\(t)\"")
            }
            guard moves[parts[0]] == nil else {
                throw InputError(path: "--shock", message: "underlying \"\(parts[0])\" given twice")
            }
            moves[parts[0]] = v
        }
        return try Cascade.run(portfolio: book, market: snapshot, depth: depthBook, map: map, shocks: moves)
    }
}

/// Text and CSV renderings of a cascade.
enum CascadeText {
    typealias T = MetricsText

    static let kindNames = ["shock": "shock", "isolated_liquidation": "isolated liq.",
                            "account_liquidation": "account liq.", "market_liquidations": "market (map)"]

    /// Column headers with units, and each step's cells (numbers formatted by `format`).
    static func columns(_ r: CascadeResult, format: (Double?, Int) -> String) -> (header: [String], rows: [[String]]) {
        let q = r.quoteCurrency
        var header = ["step", "kind", "instrument", "side", "qty (contracts)", "notional (\(q))", "impact (%)"]
        let unds = r.steps.first?.indices.map(\.underlying) ?? []
        header += unds.map { "\($0) index (\(q))" }
        header += ["fee (\(q))", "realized (\(q))", "equity (\(q))", "maintenance (\(q))", "margin ratio (%)"]
        let rows = r.steps.map { s -> [String] in
            var row = [String(s.step), kindNames[s.kind] ?? s.kind,
                       s.instrument ?? (s.kind == "market_liquidations" ? (s.underlying ?? "-") + " levels" : "-"),
                       s.side ?? "-", format(s.quantity, 4), format(s.notional, 2), format(s.impactPercent, 3)]
            row += s.indices.map { format($0.index, 2) }
            row += [format(s.fee, 2), format(s.realizedValue, 2), format(s.equity, 2), format(s.maintenance, 2),
                    format(s.marginRatio.map { $0 * 100 }, 2)]
            return row
        }
        return (header, rows)
    }

    static func render(_ r: CascadeResult) -> String {
        let e = UntrustedText.escape
        let q = e(r.quoteCurrency)
        var out = "Liquidation cascade — snapshot \(e(r.snapshotId)) as of \(e(r.asOf)), quote \(q), margin mode \(e(r.marginMode))\n"
        let shocks = r.shocks.isEmpty ? "none" : r.shocks.map { "\(e($0.underlying)) \(String(format: "%+.2f%%", $0.move * 100))" }.joined(separator: ", ")
        out += "shock: \(shocks); liquidation fee \(T.num(r.liquidationFee * 100, 3))% of notional; partial liquidation: \(e(r.partialLiquidation)); liquidation map: \(r.liquidationMap ? "yes" : "no")\n"
        out += "before the shock: equity \(T.num(r.initialEquity)) \(q), maintenance \(T.num(r.initialMaintenance)) \(q)\n\n"
        let (header, rows) = columns(r) { x, d in x.map { T.num($0, d) } ?? "-" }
        out += T.table(header, rows)
        let s = r.summary
        let statusText: String
        switch r.status {
        case "stable": statusText = "the cascade stopped: nothing more is at or below maintenance"
        case "wiped_out": statusText = "WIPED OUT: equity <= 0"
        case "step_limit": statusText = "stopped at the step limit (\(r.maxSteps)) with liquidations still pending"
        case "below_maintenance_nothing_to_liquidate": statusText = "below maintenance with nothing left to liquidate"
        default: statusText = e(r.status)
        }
        out += "\nstatus: \(statusText)\n"
        out += "account liquidations \(s.accountLiquidations) (notional \(T.num(s.liquidatedNotional)) \(q), fees \(T.num(s.fees)) \(q)"
        out += s.lossBeyondWallet > 0 ? ", loss beyond isolated wallets \(T.num(s.lossBeyondWallet)) \(q))" : ")"
        out += "; market steps \(s.marketSteps) (notional \(T.num(s.marketNotional)) \(q))\n"
        out += "equity \(T.num(s.initialEquity)) -> \(T.num(s.finalEquity)) \(q) (\(T.num(s.equityChange)) \(q)); maintenance \(T.num(s.finalMaintenance)) \(q)"
        out += s.finalMarginRatio.map { ", margin ratio \(T.num($0 * 100))%" } ?? ""
        out += "; positions remaining \(s.positionsRemaining)\n"
        out += "final index: " + s.finalIndices.map { "\(e($0.underlying)) \(T.num($0.index)) (\(String(format: "%+.2f%%", $0.movePercent)))" }.joined(separator: ", ") + "\n"
        return out
    }

    /// RFC 4180 CSV of the step table: full-precision numbers (shortest round-trip text), empty
    /// cells where a figure does not apply; text cells escaped and quoted when needed.
    static func csv(_ r: CascadeResult) -> String {
        let (header, rows) = columns(r) { x, _ in x.map { "\($0)" } ?? "" }
        func cell(_ s: String) -> String {
            let t = UntrustedText.escape(s)
            guard t.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return t }
            return "\"" + t.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        var out = header.map(cell).joined(separator: ",") + "\r\n"
        for row in rows {
            var row = row
            if row[4] == "-" { row[4] = "" }
            out += row.map { $0 == "-" ? "" : cell($0) }.joined(separator: ",") + "\r\n"
        }
        return out
    }
}

/// The cascade chart: index path per underlying (cumulative move from the snapshot, %) with the
/// liquidations marked where they happened, and equity against maintenance margin.
enum CascadeChart {
    static let palette = ["#1565c0", "#ef6c00", "#6a1b9a", "#00838f", "#ad1457", "#558b2f"]

    static func svg(_ r: CascadeResult) -> String {
        let unds = r.steps.first?.indices.map(\.underlying) ?? []
        var path = SVGChart.Panel(title: "Index path (cumulative move from the snapshot)", xLabel: "step",
                                  yLabel: "index move (%)")
        path.integerX = true
        path.vlines.append(SVGChart.VLine(x: -0.5, label: "snapshot", color: "#777777"))
        for (k, u) in unds.enumerated() {
            // The snapshot (before the shock) at x = -0.5, so the shock shows as the first segment.
            var pts: [(x: Double, y: Double)] = [(-0.5, 0)]
            for s in r.steps {
                if let m = s.indices.first(where: { $0.underlying == u }) { pts.append((Double(s.step), m.movePercent)) }
            }
            path.series.append(SVGChart.Series(name: "\(u) index move", points: pts, color: palette[k % palette.count], dots: true))
        }
        var usedShapes: Set<String> = []
        for s in r.steps where s.kind != "shock" {
            guard let u = s.underlying, let m = s.indices.first(where: { $0.underlying == u }) else { continue }
            let shape: SVGChart.Shape
            let color: String
            switch s.kind {
            case "isolated_liquidation": shape = .circle; color = "#d32f2f"
            case "account_liquidation": shape = .square; color = "#d32f2f"
            default: shape = s.side == "buy" ? .triangleUp : .triangleDown; color = "#9e9e9e"
            }
            usedShapes.insert(s.kind + (s.kind == "market_liquidations" ? (s.side ?? "") : ""))
            path.markers.append(SVGChart.Marker(x: Double(s.step), y: m.movePercent, shape: shape, color: color))
        }
        if usedShapes.contains("isolated_liquidation") { path.markerLegend.append((.circle, "#d32f2f", "isolated liquidation")) }
        if usedShapes.contains("account_liquidation") { path.markerLegend.append((.square, "#d32f2f", "account liquidation")) }
        if usedShapes.contains("market_liquidationssell") { path.markerLegend.append((.triangleDown, "#9e9e9e", "market liquidations (sells)")) }
        if usedShapes.contains("market_liquidationsbuy") { path.markerLegend.append((.triangleUp, "#9e9e9e", "market liquidations (buys)")) }

        var eq = SVGChart.Panel(title: "Equity and maintenance margin after each step", xLabel: "step",
                                yLabel: "\(r.quoteCurrency)")
        eq.integerX = true
        eq.vlines.append(SVGChart.VLine(x: -0.5, label: "snapshot", color: "#777777"))
        eq.series.append(SVGChart.Series(name: "equity", points: [(-0.5, r.initialEquity)] + r.steps.map { (Double($0.step), $0.equity) },
                                         color: "#2e7d32", dots: true))
        eq.series.append(SVGChart.Series(name: "maintenance margin", points: [(-0.5, r.initialMaintenance)] + r.steps.map { (Double($0.step), $0.maintenance) },
                                         color: "#c62828", dashed: true))
        let shocks = r.shocks.isEmpty ? "no shock" : r.shocks.map { "\($0.underlying) \(String(format: "%+.1f%%", $0.move * 100))" }.joined(separator: ", ")
        let title = "Liquidation cascade — \(r.snapshotId), \(r.marginMode) margin, \(shocks): \(r.status.replacingOccurrences(of: "_", with: " "))"
        return SVGChart(title: title, panels: [path, eq]).render()
    }
}
