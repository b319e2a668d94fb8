// Other participants' liquidations (SPEC.md §19.2, schema `riskattest.liquidation-map/1`).
//
// Public liquidation maps (open-interest heatmaps) estimate, per price level, how much leveraged
// long and short notional is liquidated when the index crosses that level. In a cascade those
// orders hit the same order book as the account's own liquidations: they go through the same
// depth model and deepen the move.

public enum LiquidationMapLimits {
    public static let schema = "riskattest.liquidation-map/1"
    public static let maxLevels = 1000
}

/// One price level of the map.
public struct LiquidationLevel: Sendable, Equatable {
    /// Index price of the level, quote currency.
    public var price: Double
    /// Long positions liquidated (sold) when the index falls to or below `price`, quote notional.
    public var longLiquidations: Double
    /// Short positions liquidated (bought back) when the index rises to or above `price`.
    public var shortLiquidations: Double
    public init(price: Double, longLiquidations: Double, shortLiquidations: Double) {
        self.price = price; self.longLiquidations = longLiquidations; self.shortLiquidations = shortLiquidations
    }
}

/// The contents of a `riskattest.liquidation-map/1` file: levels per underlying id, prices
/// strictly increasing.
public struct LiquidationMap: Sendable, Equatable {
    public var levels: [String: [LiquidationLevel]]
    public init(levels: [String: [LiquidationLevel]]) { self.levels = levels }

    public static func parse(_ bytes: [UInt8], market: MarketSnapshot) throws(InputError) -> LiquidationMap {
        let json = try StrictJSON.parse(bytes, maxBytes: 8 << 20, maxDepth: 8)
        let root = try ObjectReader(json, path: "$")
        try root.rejectUnknown(["schema", "underlyings"])
        let schema = try Read.string(root.required("schema"), "schema")
        guard schema == LiquidationMapLimits.schema else {
            throw InputError(path: "schema", message: "expected \"\(LiquidationMapLimits.schema)\", found \"\(Read.printable(schema))\"")
        }
        guard case .object(let members) = try root.required("underlyings") else {
            throw InputError(path: "underlyings", message: "expected an object from underlying id to an array of levels")
        }
        var out: [String: [LiquidationLevel]] = [:]
        for (uid, v) in members {
            let path = JSONPath.member("underlyings", uid)
            guard market.underlyingIndex(uid) != nil else {
                throw InputError(path: path, message: "unknown underlying \"\(Read.printable(uid))\" (not in the market snapshot)")
            }
            let arr = try Read.array(v, path, max: LiquidationMapLimits.maxLevels)
            var levels: [LiquidationLevel] = []
            for (j, e) in arr.enumerated() {
                let o = try ObjectReader(e, in: path, at: j)
                try o.rejectUnknown(["price", "long_liquidations", "short_liquidations"])
                let p = try Read.double(o.required("price"), o.child("price"),
                                        .positive(max: MarketLimits.maxPrice, hint: "; prices must be positive"))
                if let last = levels.last, !(p > last.price) {
                    throw InputError(path: o.child("price"), message: "level prices must strictly increase")
                }
                let hint = "; liquidation volumes (quote notional) must not be negative"
                let l = try Read.double(o.required("long_liquidations"), o.child("long_liquidations"),
                                        .closed(0, DepthLimits.maxNotional, hint: hint))
                let s = try Read.double(o.required("short_liquidations"), o.child("short_liquidations"),
                                        .closed(0, DepthLimits.maxNotional, hint: hint))
                levels.append(LiquidationLevel(price: p, longLiquidations: l, shortLiquidations: s))
            }
            out[uid] = levels
        }
        return LiquidationMap(levels: out)
    }
}
