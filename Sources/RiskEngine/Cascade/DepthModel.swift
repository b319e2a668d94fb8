// Market-depth models for the liquidation cascade (SPEC.md §19.1, schema `riskattest.depth/1`).
//
// A liquidation is a market order. How far it moves the index is the depth model's job: the
// impact fraction I(Q) of an order of quote notional Q. Sells move the index down by I, buys up.
// The order fills along the way, so it executes at the *average* impact over the walk,
//     Ī(Q) = (1/Q)·∫₀^Q I(x) dx,
// not at the final price: a 1 % final impact with a square-root curve fills 0.67 % away.

/// Limits of the depth schema.
public enum DepthLimits {
    public static let schema = "riskattest.depth/1"
    /// No order moves the index by more than this fraction (keeps a sold-down index positive).
    public static let maxImpact = 0.99
    public static let maxPoints = 64
    public static let maxNotional = 1e15
    public static let maxFee = 0.1
    public static let maxCoefficient = 100.0
    public static let defaultMaxSteps = 1000
    public static let maxSteps = 10_000
}

/// The impact curve of one underlying.
public enum DepthModel: Sendable, Equatable {
    /// `I(Q) = coefficient·√(Q/dailyVolume)` (the "square-root law" of market impact).
    case squareRoot(coefficient: Double, dailyVolume: Double)
    /// Linear interpolation between `(notional, impact)` points starting at (0, 0), notionals
    /// strictly increasing and impacts non-decreasing; beyond the last point extended with the
    /// last segment's slope (a bigger order keeps walking a book as thin as its last slice).
    case piecewiseLinear(points: [(notional: Double, impact: Double)])

    public static func == (a: DepthModel, b: DepthModel) -> Bool {
        switch (a, b) {
        case let (.squareRoot(k1, v1), .squareRoot(k2, v2)): return k1 == k2 && v1 == v2
        case let (.piecewiseLinear(p1), .piecewiseLinear(p2)):
            return p1.count == p2.count && zip(p1, p2).allSatisfy { $0.notional == $1.notional && $0.impact == $1.impact }
        default: return false
        }
    }

    /// `(I(Q), Ī(Q))`, the final and the average impact of an order of notional `q ≥ 0`, both
    /// capped at `DepthLimits.maxImpact`, Ī also at I. Floating-point order (SPEC.md §19.1):
    ///
    /// - square root: `I = k·sqrt(Q/V)` (the quotient, IEEE sqrt, one product), `Ī = (I·2)/3`
    ///   (∫₀^Q k√(x/V)dx = ⅔·Q·I);
    /// - piecewise linear, Q in segment j (x_j ≤ Q ≤ x_{j+1}, or past the last point with the last
    ///   segment): `s = (y_{j+1} − y_j)/(x_{j+1} − x_j)`, `I = y_j + s·(Q − x_j)`; the area is the sum
    ///   in point order of the full segments' trapezoids `(x_{j+1} − x_j)·(y_j + y_{j+1})·0.5`, then
    ///   `(Q − x_j)·(y_j + I)·0.5`, and `Ī = area/Q`.
    public func impact(notional q: Double) -> (final: Double, average: Double) {
        guard q > 0 else { return (0, 0) }
        var i: Double, avg: Double
        switch self {
        case let .squareRoot(k, v):
            i = k * (q / v).squareRoot()
            avg = i * 2 / 3
        case let .piecewiseLinear(p):
            // The segment holding q (the last one past the end).
            var j = 0
            while j + 2 < p.count && q > p[j + 1].notional { j += 1 }
            var area = 0.0
            for m in 0..<j {
                area += (p[m + 1].notional - p[m].notional) * (p[m].impact + p[m + 1].impact) * 0.5
            }
            let s = (p[j + 1].impact - p[j].impact) / (p[j + 1].notional - p[j].notional)
            i = p[j].impact + s * (q - p[j].notional)
            area += (q - p[j].notional) * (p[j].impact + i) * 0.5
            avg = area / q
        }
        if !(i <= DepthLimits.maxImpact) { i = DepthLimits.maxImpact }   // also NaN
        if !(avg <= i) { avg = i }
        return (i, avg)
    }
}

/// How the cross/portfolio account is reduced once it is at or below maintenance.
public enum PartialLiquidation: String, Sendable, Equatable, CaseIterable {
    /// Binance-style: a tiered position above its first bracket is cut to the upper bound of the
    /// next lower bracket; a position in its first bracket (and any option) is closed.
    case tiers
    /// Every liquidation closes the chosen position completely.
    case full
}

/// The contents of a `riskattest.depth/1` file.
public struct DepthBook: Sendable, Equatable {
    /// Per underlying id.
    public var models: [String: DepthModel]
    /// Fraction of the liquidated notional charged to the account (the venue's liquidation fee).
    public var liquidationFee: Double
    public var partialLiquidation: PartialLiquidation
    public var maxSteps: Int

    public init(models: [String: DepthModel], liquidationFee: Double, partialLiquidation: PartialLiquidation = .tiers,
                maxSteps: Int = DepthLimits.defaultMaxSteps) {
        self.models = models; self.liquidationFee = liquidationFee
        self.partialLiquidation = partialLiquidation; self.maxSteps = maxSteps
    }

    /// Parses and validates a depth file against the snapshot (underlying ids must exist).
    /// Error paths are JSON paths within the depth file (`underlyings.BTC.points[2]`).
    public static func parse(_ bytes: [UInt8], market: MarketSnapshot) throws(InputError) -> DepthBook {
        let json = try StrictJSON.parse(bytes, maxBytes: 1 << 20, maxDepth: 8)
        let root = try ObjectReader(json, path: "$")
        try root.rejectUnknown(["schema", "liquidation_fee", "partial_liquidation", "max_steps", "underlyings"])
        let schema = try Read.string(root.required("schema"), "schema")
        guard schema == DepthLimits.schema else {
            throw InputError(path: "schema", message: "expected \"\(DepthLimits.schema)\", found \"\(Read.printable(schema))\"")
        }
        let fee = try Read.double(root.required("liquidation_fee"), "liquidation_fee",
                                  .closed(0, DepthLimits.maxFee, hint: " (a fraction of the liquidated notional, 0.005 = 0.5%)"))
        var partial = PartialLiquidation.tiers
        if let v = root.optional("partial_liquidation") {
            partial = try Read.choice(v, "partial_liquidation", PartialLiquidation.self)
        }
        var maxSteps = DepthLimits.defaultMaxSteps
        if let v = root.optional("max_steps") {
            maxSteps = Int(try Read.int64(v, "max_steps", min: 1, max: Int64(DepthLimits.maxSteps)))
        }
        guard case .object(let members) = try root.required("underlyings") else {
            throw InputError(path: "underlyings", message: "expected an object from underlying id to depth model")
        }
        guard members.count <= MarketLimits.maxUnderlyings else {
            throw InputError(path: "underlyings", message: "has \(members.count) entries, more than the limit of \(MarketLimits.maxUnderlyings)")
        }
        var models: [String: DepthModel] = [:]
        for (uid, v) in members {
            let path = JSONPath.member("underlyings", uid)
            guard market.underlyingIndex(uid) != nil else {
                throw InputError(path: path, message: "unknown underlying \"\(Read.printable(uid))\" (not in the market snapshot)")
            }
            models[uid] = try decodeModel(v, path: path)
        }
        return DepthBook(models: models, liquidationFee: fee, partialLiquidation: partial, maxSteps: maxSteps)
    }

    static func decodeModel(_ v: JSONValue, path: String) throws(InputError) -> DepthModel {
        let o = try ObjectReader(v, path: path)
        let type = try Read.string(o.required("type"), o.child("type"))
        switch type {
        case "square_root":
            try o.rejectUnknown(["type", "coefficient", "daily_volume"], context: " for type \"square_root\"")
            let k = try Read.double(o.required("coefficient"), o.child("coefficient"),
                                    .positive(max: DepthLimits.maxCoefficient, hint: "; the impact coefficient must be positive"))
            let vol = try Read.double(o.required("daily_volume"), o.child("daily_volume"),
                                      .positive(max: DepthLimits.maxNotional, hint: "; depth (daily volume, quote currency) must be positive"))
            return .squareRoot(coefficient: k, dailyVolume: vol)
        case "piecewise_linear":
            try o.rejectUnknown(["type", "points"], context: " for type \"piecewise_linear\"")
            let pPath = o.child("points")
            let arr = try Read.array(o.required("points"), pPath, max: DepthLimits.maxPoints, min: 2)
            var pts: [(notional: Double, impact: Double)] = []
            for (j, e) in arr.enumerated() {
                let ePath = JSONPath.element(pPath, j)
                let pair = try Read.array(e, ePath, max: 2, min: 2)
                let x = try Read.double(pair[0], ePath + "[0]",
                                        .closed(0, DepthLimits.maxNotional, hint: "; notionals (quote currency) must not be negative"))
                let y = try Read.double(pair[1], ePath + "[1]",
                                        .closed(0, 1, hint: "; an impact is a fraction of the index, 0.01 = 1%"))
                if j == 0 {
                    guard x == 0, y == 0 else { throw InputError(path: ePath, message: "the first point must be [0, 0]") }
                } else {
                    guard x > pts[j - 1].notional else {
                        throw InputError(path: ePath + "[0]", message: "notionals must strictly increase (not monotone)")
                    }
                    guard y >= pts[j - 1].impact else {
                        throw InputError(path: ePath + "[1]", message: "impacts must not decrease (not monotone)")
                    }
                }
                pts.append((x, y))
            }
            return .piecewiseLinear(points: pts)
        default:
            throw InputError(path: o.child("type"), message: "\"\(Read.printable(type))\" is not one of \"square_root\", \"piecewise_linear\"")
        }
    }
}
