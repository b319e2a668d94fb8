/// Price × vol stress matrix (SPEC.md §6.9), as the venues' position builders show it (Deribit's
/// "position builder" grid): per underlying, the book's P&L over a grid of index moves × absolute
/// IV shifts, the other underlyings fixed.
///
/// Why scenarios and not a separate valuation: every cell is a stress scenario of §6.7 —
/// `price_moves {U: m}`, `vol_shock {absolute, s}`, weight 1 — run through the engine's own
/// scenario path (`UnitRiskTable` scenario values, `RiskEngine.analyze`'s stress table). So a cell
/// is, bit for bit, what the stress table would show for the same scenario written into a
/// snapshot, and a change to the engine's valuation can never make the matrix disagree with it.
///
/// A cell is that scenario's P&L attributed to U (`pnl_by_underlying`: U's instruments, coin
/// amounts and collateral). The engine's vol shock is global (it shifts every option of the
/// snapshot), so the total P&L would also hold the vega P&L of the *other* underlyings' options;
/// "other underlyings fixed" means their prices and vols do not move, and U's share is exactly the
/// whole book's P&L in that case (quote collateral never moves).
public struct StressMatrix: Sendable, Codable, Equatable {
    /// Index moves, fractions (−0.2 = −20 %): the rows.
    public var moves: [Double]
    /// Absolute IV shifts in vol units (0.1 = ten vol points): the columns.
    public var volShifts: [Double]
    /// One grid per underlying of the snapshot, snapshot order.
    public var underlyings: [StressMatrixGrid]

    public init(moves: [Double], volShifts: [Double], underlyings: [StressMatrixGrid]) {
        self.moves = moves; self.volShifts = volShifts; self.underlyings = underlyings
    }

    /// Deribit's position builder default: −20 % … +20 % by 5 %.
    public static let defaultMoves: [Double] = [-0.2, -0.15, -0.1, -0.05, 0, 0.05, 0.1, 0.15, 0.2]
    /// −20, −10, 0, +10, +20 vol points.
    public static let defaultVolShifts: [Double] = [-0.2, -0.1, 0, 0.1, 0.2]
    /// Grid limits: enough for any screen, and a bound on the scenarios built (moves × shifts ×
    /// underlyings, each repricing every option once).
    public static let maxMoves = 41
    public static let maxVolShifts = 21
}

/// The grid of one underlying: `pnl[i][j]` is the P&L (quote currency) at `moves[i]`, `volShifts[j]`.
public struct StressMatrixGrid: Sendable, Codable, Equatable {
    public var underlying: String
    public var indexPrice: Double
    public var pnl: [[Double]]
}

extension StressMatrix {
    /// Checks a grid against the snapshot. `movesOption`/`volsOption` name the source in errors.
    ///
    /// Moves are in (−1, 10] as a snapshot scenario's (§2.2). Every shift must keep every option
    /// of the snapshot at a positive IV (`mark_iv + s > 0`, §2.2): the cells are then exactly
    /// scenarios a valid snapshot could hold, never relying on the engine's 1e-4 vol floor.
    public static func validate(moves: [Double], volShifts: [Double], market: MarketSnapshot,
                                movesOption: String = "--matrix-moves",
                                volsOption: String = "--matrix-vols") throws(InputError) {
        guard !moves.isEmpty, moves.count <= maxMoves else {
            throw InputError(path: movesOption, message: "give 1 to \(maxMoves) moves, got \(moves.count)")
        }
        guard !volShifts.isEmpty, volShifts.count <= maxVolShifts else {
            throw InputError(path: volsOption, message: "give 1 to \(maxVolShifts) vol shifts, got \(volShifts.count)")
        }
        for (k, m) in moves.enumerated() {
            guard m.isFinite, m > -1, m <= 10 else {
                throw InputError(path: "\(movesOption)[\(k)]", message: "a move must be in (-1, 10] (-0.2 = -20%), got \(m)")
            }
            guard !moves[..<k].contains(m) else {
                throw InputError(path: "\(movesOption)[\(k)]", message: "move \(m) given twice")
            }
        }
        var lowest: (iv: Double, id: String)? = nil
        for inst in market.instruments {
            if case .option(let spec) = inst.kind, lowest.map({ spec.markIV < $0.iv }) ?? true { lowest = (spec.markIV, inst.id) }
        }
        for (k, s) in volShifts.enumerated() {
            guard s.isFinite, s >= -10, s <= 10 else {
                throw InputError(path: "\(volsOption)[\(k)]", message: "a vol shift must be in [-10, 10] vol units (0.1 = 10 vol points), got \(s)")
            }
            guard !volShifts[..<k].contains(s) else {
                throw InputError(path: "\(volsOption)[\(k)]", message: "vol shift \(s) given twice")
            }
            if let low = lowest, !(low.iv + s > 0) {
                throw InputError(path: "\(volsOption)[\(k)]",
                                 message: "shift \(s) makes the IV of option \"\(low.id)\" (mark_iv \(low.iv)) non-positive; "
                                    + "every shocked IV must stay > 0 (SPEC §2.2)")
            }
        }
    }

    /// The scenarios of underlying `u`'s grid, row-major (move, then shift), named for errors only.
    static func scenarios(underlying u: String, moves: [Double], volShifts: [Double]) -> [Scenario] {
        var out: [Scenario] = []
        out.reserveCapacity(moves.count * volShifts.count)
        for (i, m) in moves.enumerated() {
            for (j, s) in volShifts.enumerated() {
                out.append(Scenario(name: "matrix \(u) \(i) \(j)", priceMoves: [u: m], volShock: .absolute(s), weight: 1))
            }
        }
        return out
    }

    /// The matrix of `portfolio` against `market`: the snapshot's scenario grid is replaced by the
    /// matrix scenarios of every underlying and the book is analysed (liquidation search off) by
    /// `RiskEngine.analyze`; each cell is read from its stress row.
    public static func compute(portfolio: Portfolio, market: MarketSnapshot, moves: [Double] = defaultMoves,
                               volShifts: [Double] = defaultVolShifts) throws(InputError) -> StressMatrix {
        try validate(moves: moves, volShifts: volShifts, market: market)
        var grid = market
        grid.scenarios = market.underlyings.flatMap { scenarios(underlying: $0.id, moves: moves, volShifts: volShifts) }
        let report = try RiskEngine.analyze(portfolio: portfolio, market: grid,
                                            options: AnalysisOptions(liquidationPrices: false))
        let perGrid = moves.count * volShifts.count
        var grids: [StressMatrixGrid] = []
        for (ui, und) in market.underlyings.enumerated() {
            var pnl: [[Double]] = []
            for i in 0..<moves.count {
                pnl.append((0..<volShifts.count).map { j in
                    report.stress[ui * perGrid + i * volShifts.count + j].pnlByUnderlying[ui].move
                })
            }
            grids.append(StressMatrixGrid(underlying: und.id, indexPrice: und.indexPrice, pnl: pnl))
        }
        return StressMatrix(moves: moves, volShifts: volShifts, underlyings: grids)
    }
}
