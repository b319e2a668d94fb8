/// The unit of each Greek of a report (`units` in `metrics --json`, SPEC.md §7.1).
///
/// Why in the document: desk units (`--desk-units`) rescale theta, vega and rho, and a number
/// without its unit is a factor-100 or factor-365 mistake waiting to happen; naming the unit next
/// to the numbers lets no reader misread them.
public struct ReportUnits: Sendable, Codable, Equatable {
    /// `desk` (theta per day, vega per vol point, rho per basis point) or `engine` (per year,
    /// per 1.00 of volatility, per 1.00 of rate).
    public var convention: String
    public var delta: String
    public var gamma: String
    public var vega: String
    public var theta: String
    public var rho: String
    public var vanna: String

    /// The units with quote currency `q`; deltas are in each position's underlying.
    public static func of(desk: Bool, quote q: String) -> ReportUnits {
        ReportUnits(convention: desk ? "desk" : "engine",
                    delta: "underlying units",
                    gamma: "underlying units per 1 \(q) of index",
                    vega: desk ? "\(q) per vol point (0.01 of IV)" : "\(q) per 1.00 of IV",
                    theta: desk ? "\(q) per day (1/365 year)" : "\(q) per year",
                    rho: desk ? "\(q) per basis point (0.0001 of rate)" : "\(q) per 1.00 of rate",
                    vanna: "underlying units per 1.00 of IV")
    }

    /// Divisors from the engine's units to desk units.
    public static let deskThetaDivisor = 365.0
    public static let deskVegaDivisor = 100.0
    public static let deskRhoDivisor = 10_000.0
}

extension GreekSet {
    /// theta/365, vega/100, rho/10 000; delta, gamma and vanna unchanged.
    func inDeskUnits() -> GreekSet {
        var g = self
        g.theta /= ReportUnits.deskThetaDivisor
        g.vega /= ReportUnits.deskVegaDivisor
        g.rho /= ReportUnits.deskRhoDivisor
        return g
    }
}

extension RiskReport {
    /// The same report with theta per day, vega per vol point and rho per basis point, tagged
    /// `riskattest.metrics/2` with its `units`. A presentation step: each figure is the engine's
    /// divided once, so no engine arithmetic changes and `--desk-units` never alters a P&L,
    /// margin or liquidation figure.
    public func inDeskUnits() -> RiskReport {
        var r = self
        r.schema = RiskReport.deskSchema
        r.units = ReportUnits.of(desk: true, quote: quoteCurrency)
        r.totals.vega /= ReportUnits.deskVegaDivisor
        r.totals.theta /= ReportUnits.deskThetaDivisor
        r.totals.rho /= ReportUnits.deskRhoDivisor
        for k in r.positions.indices { r.positions[k].greeks = r.positions[k].greeks.inDeskUnits() }
        for k in r.underlyings.indices { r.underlyings[k].positions.greeks = r.underlyings[k].positions.greeks.inDeskUnits() }
        for k in r.expiryBuckets.indices { r.expiryBuckets[k].figures.greeks = r.expiryBuckets[k].figures.greeks.inDeskUnits() }
        return r
    }

    public static let schemaV1 = "riskattest.metrics/1"
    /// The tag of a report whose `units` member is present (desk units): a reader of /1 that
    /// does not know `units` must not read its theta as per year.
    public static let deskSchema = "riskattest.metrics/2"
    /// Whether this report is in desk units.
    public var isDeskUnits: Bool { units?.convention == "desk" }
}
