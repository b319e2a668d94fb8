// Decoding and validation of the private portfolio (schema `riskattest.portfolio/1`, SPEC.md §3).

public enum PortfolioLimits {
    public static let schema = "riskattest.portfolio/1"
    public static let maxPositions = 100_000
    public static let maxCollateralBalances = 64
    /// |quantity| bound: 10^10 contracts, so the 10^-8 copy stays below 10^18 < 2^63.
    public static let maxMagnitude: Int64 = 10_000_000_000
    /// |amount| bound of a collateral balance: 10^12 units (institutional balances; the 10^-8
    /// copy is a 128-bit integer, and an attestation holds it as whole units plus a fraction,
    /// SPEC §14.1).
    public static let maxAmountMagnitude: Int64 = 1_000_000_000_000
    public static let maxLabelLength = 64
}

extension Portfolio {
    /// Parses and validates a portfolio against the snapshot it is priced with: every instrument
    /// and collateral asset must exist in `market`.
    public static func parse(_ bytes: [UInt8], market: MarketSnapshot) throws(InputError) -> Portfolio {
        let json = try StrictJSON.parse(bytes)
        return try decode(json, market: market)
    }

    public static func decode(_ json: JSONValue, market: MarketSnapshot) throws(InputError) -> Portfolio {
        let root = try ObjectReader(json, path: "$")
        try root.rejectUnknown(["schema", "margin_mode", "positions", "collateral"])
        let schema = try Read.string(root.required("schema"), "schema")
        guard schema == PortfolioLimits.schema else {
            throw InputError(path: "schema", message: "expected \"\(PortfolioLimits.schema)\", found \"\(Read.printable(schema))\"")
        }
        let mode = try Read.choice(root.required("margin_mode"), "margin_mode", MarginMode.self)

        var positions: [Position] = []
        var seen: [PositionKey: Int] = [:]
        let pArr = try Read.array(root.required("positions"), "positions", max: PortfolioLimits.maxPositions)
        positions.reserveCapacity(pArr.count)
        for (i, v) in pArr.enumerated() {
            let o = try ObjectReader(v, in: "positions", at: i)
            try o.rejectUnknown(Self.positionFields)
            let inst = try Read.identifier(o.required("instrument"), o.child("instrument"))
            guard market.instrumentIndex(inst) != nil else {
                throw InputError(path: o.child("instrument"), message:
                    "unknown instrument \"\(inst)\" (not in market snapshot \(market.snapshotID))")
            }
            let (q, units) = try Read.exactAmount(o.required("quantity"), o.child("quantity"),
                                                  maxMagnitude: PortfolioLimits.maxMagnitude)
            let entry = try Read.double(o.required("entry_price"), o.child("entry_price"),
                                        .closed(0, MarketLimits.maxPrice, hint: "; entry prices must not be negative"))
            // The entry price in the unit the venue quotes (coin for inverse options) and
            // plausible for it: the same check the engine and the witness make (`EntryCost`).
            if let instrument = market.instrument(inst) {
                do { _ = try EntryCost.of(quantity: q, entryPrice: entry, instrument: instrument) } catch {
                    throw InputError(path: o.child(error.path), message: error.message)
                }
            }
            let venue = try o.optional("venue").map { (v) throws(InputError) in
                try Read.string(v, o.child("venue"), maxLength: PortfolioLimits.maxLabelLength) }
            let account = try o.optional("account").map { (v) throws(InputError) in
                try Read.string(v, o.child("account"), maxLength: PortfolioLimits.maxLabelLength) }
            var isolatedMargin: Double? = nil
            if let mv = o.optional("isolated_margin") {
                guard mode == .isolated else {
                    throw InputError(path: o.child("isolated_margin"), message:
                        "isolated_margin is only meaningful when margin_mode is \"isolated\" (this book is \(mode.rawValue))")
                }
                let instrument = market.instrument(inst)
                if case .option = instrument?.kind {
                    throw InputError(path: o.child("isolated_margin"), message:
                        "isolated margin applies to futures and perpetuals; an option's margin is its premium (long) or its standard margin (short)")
                }
                let unit = instrument?.margining == .inverse ? "coin (an inverse contract's margin is held in the coin)"
                                                             : "quote currency"
                isolatedMargin = try Read.double(mv, o.child("isolated_margin"),
                                                 .closed(0, MarketLimits.maxNotional, hint: "; the margin allocated to the position, in \(unit)"))
            }
            let key = PositionKey(instrument: inst, venue: venue, account: account)
            if let first = seen[key] {
                throw InputError(path: o.path, message:
                    "duplicate position: instrument \"\(inst)\" with the same venue and account as positions[\(first)]")
            }
            seen[key] = i
            positions.append(Position(instrument: inst, quantity: q, quantityUnits: units, entryPrice: entry,
                                      venue: venue, account: account, isolatedMargin: isolatedMargin))
        }

        var balances: [CollateralBalance] = []
        var assets = Set<String>()
        let cArr = try Read.array(root.required("collateral"), "collateral", max: PortfolioLimits.maxCollateralBalances)
        for (i, v) in cArr.enumerated() {
            let o = try ObjectReader(v, in: "collateral", at: i)
            try o.rejectUnknown(Self.balanceFields)
            let asset = try Read.identifier(o.required("asset"), o.child("asset"))
            guard market.collateralIndex(asset) != nil else {
                throw InputError(path: o.child("asset"), message:
                    "unknown collateral asset \"\(asset)\" (not in market snapshot \(market.snapshotID))")
            }
            guard assets.insert(asset).inserted else {
                throw InputError(path: o.child("asset"), message: "duplicate collateral balance for \"\(asset)\"")
            }
            let (a, units) = try Read.exactWideAmount(o.required("amount"), o.child("amount"),
                                                      maxMagnitude: PortfolioLimits.maxAmountMagnitude)
            balances.append(CollateralBalance(asset: asset, amount: a, amountUnits: units))
        }
        return Portfolio(positions: positions, collateral: balances, marginMode: mode)
    }

    private static let positionFields: Set<String> = ["instrument", "quantity", "entry_price", "venue", "account",
                                                      "isolated_margin"]
    private static let balanceFields: Set<String> = ["asset", "amount"]

    private struct PositionKey: Hashable {
        var instrument: String
        var venue: String?
        var account: String?
    }
}
