// What-if trades (SPEC.md §6.10): hypothetical trades applied to a book before it is analysed,
// from `metrics --add INSTRUMENT=QTY[@PRICE]` or a `riskattest.trades/1` file.

/// One hypothetical trade: `quantity` contracts (signed: + buys, − sells) of `instrument` at
/// `price` (nil: the mark), netted into the position with the same instrument, venue and account.
public struct Trade: Sendable, Equatable {
    public var instrument: String
    public var quantity: Double
    /// The quantity exactly, in 10⁻⁸ contracts (as `Position.quantityUnits`).
    public var quantityUnits: Int64
    /// In the unit of a position's `entry_price` (SPEC §3.1): quote per underlying unit, except
    /// inverse options (coin per underlying unit). nil = the mark (an inverse option's mark in
    /// coin is `mark / index`).
    public var price: Double?
    public var venue: String?
    public var account: String?
    /// Where the trade came from (`--add[0]`, `trades[2]`), for error messages.
    public var source: String

    public init(instrument: String, quantity: Double, quantityUnits: Int64, price: Double?, venue: String? = nil,
                account: String? = nil, source: String) {
        self.instrument = instrument; self.quantity = quantity; self.quantityUnits = quantityUnits
        self.price = price; self.venue = venue; self.account = account; self.source = source
    }
}

/// The `riskattest.trades/1` file and the `--add` syntax, decoded with the strict parser (§2.1).
public enum TradeFile {
    public static let schema = "riskattest.trades/1"
    public static let maxTrades = 10_000

    /// `{"schema": "riskattest.trades/1", "trades": [{"instrument", "quantity", "price"?, "venue"?, "account"?}]}`;
    /// unknown members are errors naming their path.
    public static func parse(_ bytes: [UInt8], market: MarketSnapshot) throws(InputError) -> [Trade] {
        let root = try ObjectReader(try StrictJSON.parse(bytes), path: "$")
        try root.rejectUnknown(["schema", "trades"])
        let schema = try Read.string(root.required("schema"), "schema")
        guard schema == Self.schema else {
            throw InputError(path: "schema", message: "expected \"\(Self.schema)\", found \"\(Read.printable(schema))\"")
        }
        let arr = try Read.array(root.required("trades"), "trades", max: maxTrades)
        var out: [Trade] = []
        for (i, v) in arr.enumerated() {
            let o = try ObjectReader(v, in: "trades", at: i)
            try o.rejectUnknown(["instrument", "quantity", "price", "venue", "account"])
            let inst = try Read.identifier(o.required("instrument"), o.child("instrument"))
            guard market.instrumentIndex(inst) != nil else {
                throw InputError(path: o.child("instrument"), message: "unknown instrument \"\(inst)\" (not in market snapshot \(market.snapshotID))")
            }
            let (q, units) = try Read.exactAmount(o.required("quantity"), o.child("quantity"), maxMagnitude: PortfolioLimits.maxMagnitude)
            guard units != 0 else { throw InputError(path: o.child("quantity"), message: "a trade quantity must not be 0") }
            // `optional` treats an explicit null as absent.
            let price = try o.optional("price").map { (v) throws(InputError) -> Double in
                try Read.double(v, o.child("price"), .closed(0, MarketLimits.maxPrice, hint: "; prices must not be negative"))
            }
            let venue = try o.optional("venue").map { (v) throws(InputError) -> String in
                try Read.string(v, o.child("venue"), maxLength: PortfolioLimits.maxLabelLength)
            }
            let account = try o.optional("account").map { (v) throws(InputError) -> String in
                try Read.string(v, o.child("account"), maxLength: PortfolioLimits.maxLabelLength)
            }
            out.append(Trade(instrument: inst, quantity: q, quantityUnits: units, price: price, venue: venue,
                             account: account, source: o.path))
        }
        return out
    }

    /// `INSTRUMENT=QTY[@PRICE]` as typed on the command line; QTY and PRICE follow the JSON number
    /// grammar and limits of a portfolio quantity and entry price. `path` names the option.
    public static func parseAdd(_ text: String, market: MarketSnapshot, path: String) throws(InputError) -> Trade {
        let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty else {
            throw InputError(path: path, message: "expected INSTRUMENT=QUANTITY[@PRICE], got \"\(Read.printable(text))\"")
        }
        let inst = parts[0]
        guard market.instrumentIndex(inst) != nil else {
            throw InputError(path: path, message: "unknown instrument \"\(Read.printable(inst))\" (not in market snapshot \(market.snapshotID))")
        }
        let qp = parts[1].split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        func number(_ t: String, _ what: String) throws(InputError) -> JSONValue {
            guard let v = try? StrictJSON.parse(Array(t.utf8)), case .number = v else {
                throw InputError(path: path, message: "\(what) \"\(Read.printable(t))\" is not a number (e.g. -1.5 or 2e3)")
            }
            return v
        }
        let (q, units) = try Read.exactAmount(number(qp[0], "quantity"), path + " quantity", maxMagnitude: PortfolioLimits.maxMagnitude)
        guard units != 0 else { throw InputError(path: path, message: "a trade quantity must not be 0") }
        var price: Double? = nil
        if qp.count == 2 {
            price = try Read.double(number(qp[1], "price"), path + " price", .closed(0, MarketLimits.maxPrice, hint: "; prices must not be negative"))
        }
        return Trade(instrument: inst, quantity: q, quantityUnits: units, price: price, source: path)
    }
}

extension Portfolio {
    /// The book after `trades`, applied in order (SPEC.md §6.10):
    ///
    /// - A trade nets into the position with the same instrument, venue and account, or opens one.
    ///   Adding in the same direction averages the entry price as the venues do: quantity-weighted
    ///   for linear contracts and options, harmonic (`Σq / Σ(q/E)`, the coin cost) for inverse
    ///   futures and perpetuals. Reducing keeps the entry price; flipping opens the remainder at the
    ///   trade price; a position netted to 0 is removed.
    /// - Collateral amounts are wallet balances (§3.1), so what a venue settles at the trade goes
    ///   into them: an option's premium (`−q·size·P`, quote for linear, coin for inverse options)
    ///   on every option trade, and the realized P&L of the closed part of a future or perpetual
    ///   (`EntryCost` at the old entry minus at the trade price: `c·size·(P − E)` quote, inverse
    ///   `c·size·(1/E − 1/P)` coin). Quote amounts go to the quote-currency asset (as the top-up),
    ///   coin amounts to the first snapshot collateral asset tied to the underlying; a balance
    ///   is added when the book has none.
    ///
    /// So a trade at the mark leaves equity unchanged up to rounding (the position's value
    /// replaces the cash), and what moves is margin, delta and the stress P&L. The result is for
    /// metrics only: the 10⁻⁸ copies of changed balances are rounded, not exact (§3.2).
    public func applying(_ trades: [Trade], market: MarketSnapshot) throws(InputError) -> Portfolio {
        var book = self
        for t in trades {
            guard let i = market.instrumentIndex(t.instrument) else {
                throw InputError(path: t.source, message: "unknown instrument \"\(t.instrument)\"")
            }
            let inst = market.instruments[i]
            guard let und = market.underlying(inst.underlying) else {
                throw InputError(path: t.source, message: "unknown underlying \"\(inst.underlying)\"")
            }
            let isOption: Bool, inverse = inst.margining == .inverse
            if case .option = inst.kind { isOption = true } else { isOption = false }
            let price = t.price ?? (isOption && inverse ? inst.markPrice / und.indexPrice : inst.markPrice)
            let tradeCost: EntryCost
            do { tradeCost = try EntryCost.of(quantity: t.quantity, entryPrice: price, instrument: inst) } catch {
                throw InputError(path: t.source, message: "price: \(error.message)")
            }
            var quoteFlow = 0.0, coinFlow = 0.0
            if isOption { quoteFlow += tradeCost.quote; coinFlow += tradeCost.coin }

            if let k = book.positions.firstIndex(where: { $0.instrument == t.instrument && $0.venue == t.venue && $0.account == t.account }) {
                let old = book.positions[k]
                let (newUnits, overflow) = old.quantityUnits.addingReportingOverflow(t.quantityUnits)
                guard !overflow, newUnits.magnitude <= UInt64(PortfolioLimits.maxMagnitude) * 100_000_000 else {
                    throw InputError(path: t.source, message: "the position's quantity would exceed \(PortfolioLimits.maxMagnitude) contracts")
                }
                let sameSide = (old.quantity > 0) == (t.quantity > 0)
                var entry = old.entryPrice
                if sameSide {
                    let a = abs(old.quantity), b = abs(t.quantity)
                    entry = inverse && !isOption ? (a + b) / (a / old.entryPrice + b / price) : (a * old.entryPrice + b * price) / (a + b)
                } else {
                    // The closed part: at most the old quantity, with its sign.
                    let closedUnits = t.quantityUnits.magnitude >= old.quantityUnits.magnitude ? old.quantityUnits : -t.quantityUnits
                    let closed = Self.quantity(units: closedUnits)
                    if !isOption {
                        do {
                            let atEntry = try EntryCost.of(quantity: closed, entryPrice: old.entryPrice, instrument: inst)
                            let atTrade = try EntryCost.of(quantity: closed, entryPrice: price, instrument: inst)
                            quoteFlow += atEntry.quote - atTrade.quote
                            coinFlow += atEntry.coin - atTrade.coin
                        } catch { throw InputError(path: t.source, message: "price: \(error.message)") }
                    }
                    if t.quantityUnits.magnitude > old.quantityUnits.magnitude { entry = price }
                }
                if newUnits == 0 {
                    book.positions.remove(at: k)
                } else {
                    book.positions[k].quantityUnits = newUnits
                    book.positions[k].quantity = Self.quantity(units: newUnits)
                    book.positions[k].entryPrice = entry
                }
            } else {
                book.positions.append(Position(instrument: t.instrument, quantity: t.quantity, quantityUnits: t.quantityUnits,
                                               entryPrice: price, venue: t.venue, account: t.account))
            }
            if quoteFlow != 0 {
                guard let j = market.collateralIndex(market.quoteCurrency).flatMap({ market.collateral[$0].underlying == nil ? $0 : nil })
                        ?? market.collateral.firstIndex(where: { $0.underlying == nil }) else {
                    throw InputError(path: t.source, message: "the snapshot has no quote-currency collateral asset to settle the trade in")
                }
                book.credit(market.collateral[j].id, quoteFlow)
            }
            if coinFlow != 0 {
                guard let a = market.collateral.first(where: { $0.underlying == inst.underlying }) else {
                    throw InputError(path: t.source, message: "the snapshot has no collateral asset of \(inst.underlying) to settle the trade's coin amount in")
                }
                book.credit(a.id, coinFlow)
            }
        }
        return book
    }

    /// The correctly rounded double of `units`·10⁻⁸ (as the decoder's, from the decimal text).
    static func quantity(units: Int64) -> Double {
        let digits = String(units.magnitude)
        let padded = String(repeating: "0", count: max(0, 9 - digits.count)) + digits
        let text = (units < 0 ? "-" : "") + padded.dropLast(8) + "." + padded.suffix(8)
        return Double(text) ?? Double(units) / 1e8
    }

    private mutating func credit(_ asset: String, _ amount: Double) {
        if let k = collateral.firstIndex(where: { $0.asset == asset }) {
            collateral[k].amount += amount
            collateral[k].amountUnits = Int128(exactly: (collateral[k].amount * 1e8).rounded()) ?? 0
        } else {
            collateral.append(CollateralBalance(asset: asset, amount: amount, amountUnits: Int128(exactly: (amount * 1e8).rounded()) ?? 0))
        }
    }
}

/// Before and after figures of a what-if (`metrics --add/--trades`), in the report's `what_if`.
public struct WhatIf: Sendable, Codable, Equatable {
    public var trades: [TradeEcho]
    public var before: WhatIfSummary
    public var after: WhatIfSummary
    public init(trades: [TradeEcho], before: WhatIfSummary, after: WhatIfSummary) {
        self.trades = trades; self.before = before; self.after = after
    }
}

/// A trade as applied (price resolved: the mark when none was given).
public struct TradeEcho: Sendable, Codable, Equatable {
    public var instrument: String
    public var venue: String?
    public var account: String?
    public var quantity: Double
    public var price: Double
    public var priceIsMark: Bool
}

public struct UnderlyingDelta: Sendable, Codable, Equatable {
    public var underlying: String
    public var totalDelta: Double
}

public struct WhatIfSummary: Sendable, Codable, Equatable {
    public var equity: Double
    public var activeMaintenance: Double
    public var activeInitial: Double
    public var marginRatio: Double?
    public var totalDelta: [UnderlyingDelta]
    /// The stress scenario with the lowest P&L, and that P&L.
    public var worstScenario: String?
    public var worstScenarioPnl: Double?

    public init(_ r: RiskReport) {
        equity = r.margin.equity
        activeMaintenance = r.margin.active.maintenance
        activeInitial = r.margin.active.initial
        marginRatio = r.margin.marginRatio
        totalDelta = r.underlyings.map { UnderlyingDelta(underlying: $0.underlying, totalDelta: $0.totalDelta) }
        let worst = r.stress.min { $0.pnl < $1.pnl }
        worstScenario = worst?.scenario
        worstScenarioPnl = worst?.pnl
    }
}

extension WhatIf {
    /// The trades as applied to `market` (prices resolved) with the two reports' summaries.
    public static func compare(trades: [Trade], market: MarketSnapshot, before: RiskReport, after: RiskReport) -> WhatIf {
        let echoes = trades.map { t -> TradeEcho in
            let inst = market.instrument(t.instrument)
            var mark = inst?.markPrice ?? .nan
            if let inst, case .option = inst.kind, inst.margining == .inverse, let u = market.underlying(inst.underlying) {
                mark = inst.markPrice / u.indexPrice
            }
            return TradeEcho(instrument: t.instrument, venue: t.venue, account: t.account, quantity: t.quantity,
                             price: t.price ?? mark, priceIsMark: t.price == nil)
        }
        return WhatIf(trades: echoes, before: WhatIfSummary(before), after: WhatIfSummary(after))
    }
}
