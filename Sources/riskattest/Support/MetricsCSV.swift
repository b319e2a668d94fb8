import Foundation
import RiskEngine

/// RFC 4180 CSV cells and rows.
///
/// Why the formula guard: a CSV opened in a spreadsheet evaluates a cell starting with `=`, `+`,
/// `-` or `@` (and, in some, tab or CR) as a formula — `=HYPERLINK(...)` in a venue label from a
/// portfolio file would run on the risk desk's machine (CSV injection). Such a cell that is not a
/// number gets a leading `'`, which spreadsheets show as text and drop from the value; numbers,
/// including negative ones, are written as they are.
enum CSV {
    /// One cell: the guard above, then quoted when it holds `,`, `"`, CR or LF (quotes doubled).
    static func cell(_ raw: String) -> String {
        var s = raw
        if let first = s.unicodeScalars.first, ["=", "+", "-", "@", "\t", "\r"].contains(first), !isNumber(s) {
            s = "'" + s
        }
        if s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return s
    }

    /// A plain decimal number as written by `number` (digits, one point, an exponent).
    static func isNumber(_ s: String) -> Bool {
        guard !s.isEmpty, s.utf8.allSatisfy({ (0x30...0x39).contains($0) || $0 == 0x2E || $0 == 0x2D || $0 == 0x2B || $0 == 0x65 || $0 == 0x45 }) else {
            return false
        }
        return Double(s) != nil
    }

    /// Full precision: the shortest text that reads back as the same double (`Double.description`);
    /// empty for an absent value.
    static func number(_ x: Double?) -> String {
        guard let x else { return "" }
        return x.isFinite ? x.description : ""
    }

    /// Rows joined with CRLF (RFC 4180), ending with one.
    static func document(_ header: [String], _ rows: [[String]]) -> [UInt8] {
        var out = ""
        for r in [header] + rows { out += r.map(cell).joined(separator: ",") + "\r\n" }
        return Array(out.utf8)
    }
}

/// `metrics --csv DIR`: one file per table of the report (SPEC.md §7.2).
enum MetricsCSV {
    /// Writes every table into `dir` (created if missing), each file atomically (`AtomicFile`).
    /// A `dir` that is a file, or that cannot be created or written, is an input error naming
    /// `--csv` (exit 2).
    static func write(_ r: RiskReport, to dir: String) throws(InputError) {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: dir, isDirectory: &isDir) {
            guard isDir.boolValue else { throw InputError(path: "--csv", message: "\"\(dir)\" exists and is not a directory") }
        } else {
            do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
                throw InputError(path: "--csv", message: "cannot create directory \"\(dir)\": \(error.localizedDescription)")
            }
        }
        for (name, bytes) in files(r) {
            let path = (dir as NSString).appendingPathComponent(name)
            do { try AtomicFile.write(bytes, to: path, mode: 0o644) } catch {
                throw InputError(path: "--csv", message: error.description)
            }
        }
    }

    /// File name and contents of each table, in report order.
    static func files(_ r: RiskReport) -> [(String, [UInt8])] {
        let n = CSV.number
        let q = r.quoteCurrency
        let desk = r.isDeskUnits
        let vega = desk ? "\(q) per vol point" : "\(q) per 1.00 vol"
        let theta = desk ? "\(q) per day" : "\(q) per year"
        let rho = desk ? "\(q) per basis point" : "\(q) per 1.00 rate"
        func h(_ name: String, _ unit: String) -> String { "\(name) (\(unit))" }
        let greekHeader = [h("delta", "underlying units"), h("gamma", "underlying units per \(q)"), h("vega", vega),
                           h("theta", theta), h("rho", rho), h("vanna", "underlying units per 1.00 vol")]
        func greeks(_ g: GreekSet) -> [String] { [n(g.delta), n(g.gamma), n(g.vega), n(g.theta), n(g.rho), n(g.vanna)] }
        let figuresHeader = ["positions", h("gross_notional", q), h("net_exposure", q), h("gross_exposure", q), h("value", q),
                             h("unrealized_pnl", q), h("funding_per_interval", q), h("funding_annualized", q)] + greekHeader
        func figures(_ f: ExposureFigures) -> [String] {
            [String(f.positions), n(f.grossNotional), n(f.netExposure), n(f.grossExposure), n(f.value), n(f.unrealizedPnl),
             n(f.fundingPerInterval), n(f.fundingAnnualized)] + greeks(f.greeks)
        }
        var out: [(String, [UInt8])] = []
        out.append(("positions.csv", CSV.document(
            ["instrument", "underlying", "type", "margining", "venue", "account", h("quantity", "contracts"),
             h("entry_price", "\(q) per underlying unit; inverse options: coin"), h("mark_price", q), h("value", q), h("entry_value", q),
             h("unrealized_pnl", q), h("unrealized_pnl_coin", "underlying units"), h("notional", q), h("delta_exposure", q)]
                + greekHeader + ["expiry_bucket", h("funding_per_interval", q), h("funding_annualized", q)],
            r.positions.map { p in
                [p.instrument, p.underlying, p.type, p.margining, p.venue ?? "", p.account ?? "", n(p.quantity), n(p.entryPrice),
                 n(p.markPrice), n(p.value), n(p.entryValue), n(p.unrealizedPnl), n(p.unrealizedPnlCoin), n(p.notional),
                 n(p.deltaExposure)] + greeks(p.greeks) + [p.expiryBucket ?? "", n(p.fundingPerInterval), n(p.fundingAnnualized)]
            })))
        out.append(("collateral.csv", CSV.document(
            ["asset", "underlying", h("amount", "asset units"), h("price", q), h("haircut", "fraction"), h("value", q),
             h("delta", "underlying units")],
            r.collateral.map { [$0.asset, $0.underlying ?? "", n($0.amount), n($0.price), n($0.haircut), n($0.value), n($0.delta)] })))
        out.append(("underlyings.csv", CSV.document(
            ["underlying", h("index_price", q)] + figuresHeader + [h("collateral_delta", "underlying units"), h("total_delta", "underlying units")],
            r.underlyings.map { [$0.underlying, n($0.indexPrice)] + figures($0.positions) + [n($0.collateralDelta), n($0.totalDelta)] })))
        out.append(("expiry_buckets.csv", CSV.document(
            ["underlying", "bucket"] + figuresHeader,
            r.expiryBuckets.map { [$0.underlying, $0.bucket] + figures($0.figures) })))
        let m = r.margin
        out.append(("margin.csv", CSV.document(
            ["mode", h("maintenance", q), h("initial", q), "active", h("equity", q), h("margin_ratio", "maintenance/equity"),
             h("initial_margin_ratio", "initial/equity"), h("free_collateral", q), "liquidatable", "portfolio_worst_scenario"],
            [("isolated", m.isolated), ("cross", m.cross), ("portfolio", m.portfolio)].map { mode, f in
                let active = mode == r.marginMode
                return [mode, n(f.maintenance), n(f.initial), active ? "true" : "false", n(m.equity),
                        active ? n(m.marginRatio) : "", active ? n(m.initialMarginRatio) : "", active ? n(m.freeCollateral) : "",
                        active ? (m.liquidatable ? "true" : "false") : "",
                        mode == "portfolio" ? (m.portfolioWorstScenario ?? "") : ""]
            })))
        out.append(("isolated_positions.csv", CSV.document(
            ["instrument", "venue", "account", h("wallet", q), h("maintenance", q), h("initial", q), h("equity", q),
             h("margin_ratio", "maintenance/equity"), h("liquidation_price", "\(q) index"), h("distance", "%"), "method"],
            r.isolatedPositions.map { [$0.instrument, $0.venue ?? "", $0.account ?? "", n($0.wallet), n($0.maintenance), n($0.initial),
                                       n($0.equity), n($0.marginRatio), n($0.liquidationPrice), n($0.distancePercent), $0.method] })))
        out.append(("liquidation.csv", CSV.document(
            ["underlying", h("index_price", q), "status", h("below", "\(q) index"), h("distance_below", "%"), h("above", "\(q) index"),
             h("distance_above", "%"), h("nearest", "\(q) index"), h("nearest_distance", "%")],
            r.liquidation.map { [$0.underlying, n($0.indexPrice), $0.status, n($0.below), n($0.distanceBelowPercent), n($0.above),
                                 n($0.distanceAbovePercent), n($0.nearest), n($0.nearestDistancePercent)] })))
        // Stress: one column per underlying for the move and one for its P&L share.
        let unds = r.underlyings.map(\.underlying)
        out.append(("stress.csv", CSV.document(
            ["scenario", h("weight", "fraction"), "vol_shock"] + unds.map { h("move " + $0, "fraction") }
                + [h("equity", q), h("pnl", q), h("weighted_loss", q)] + unds.map { h("pnl " + $0, q) },
            r.stress.map { s in
                [s.scenario, n(s.weight), s.volShock] + unds.map { u in n(s.moves.first { $0.underlying == u }?.move) }
                    + [n(s.equity), n(s.pnl), n(s.weightedLoss)] + unds.map { u in n(s.pnlByUnderlying.first { $0.underlying == u }?.move) }
            })))
        out.append(("hedges.csv", CSV.document(
            ["underlying", h("current_delta", "underlying units"), h("target_delta", "underlying units"), "instrument",
             h("quantity", "contracts, + buy / - sell"), "note"],
            r.hedges.map { [$0.underlying, n($0.currentDelta), n($0.targetDelta), $0.instrument ?? "", n($0.quantity), $0.note ?? ""] })))
        if let sm = r.stressMatrix {
            // Long form: one row per cell, so a pivot table or a chart reads it directly.
            var rows: [[String]] = []
            for g in sm.underlyings {
                for (i, mv) in sm.moves.enumerated() {
                    for (j, v) in sm.volShifts.enumerated() { rows.append([g.underlying, n(g.indexPrice), n(mv), n(v), n(g.pnl[i][j])]) }
                }
            }
            out.append(("stress_matrix.csv", CSV.document(
                ["underlying", h("index_price", q), h("move", "fraction"), h("vol_shift", "IV, absolute"), h("pnl", q)], rows)))
        }
        return out
    }
}
