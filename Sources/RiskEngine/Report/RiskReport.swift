import Foundation   // JSONEncoder only (output); no maths from here.

/// Everything `riskattest metrics --json` prints. Field names are camelCase in Swift and
/// snake_case in JSON (`RiskReport.jsonBytes()`); SPEC.md §7 documents the schema. Money is in the
/// snapshot's quote currency unless a field says otherwise; deltas are in underlying units.
public struct RiskReport: Sendable, Codable, Equatable {
    public var schema: String = "riskattest.metrics/1"
    public var snapshotId: String
    public var asOf: String
    public var quoteCurrency: String
    public var marginMode: String
    public var totals: Totals
    public var positions: [PositionMetrics]
    public var collateral: [CollateralMetrics]
    public var underlyings: [UnderlyingMetrics]
    public var expiryBuckets: [BucketMetrics]
    public var margin: MarginSummary
    public var isolatedPositions: [IsolatedPositionMargin]
    public var liquidation: [LiquidationMetrics]
    public var stress: [StressRow]
    public var hedges: [HedgeSuggestion]
    public var topUp: TopUpSuggestion
    // Optional additions (SPEC.md §7), present only when asked for, so a default report's JSON is
    // byte for byte what it was before they existed.
    /// `metrics --desk-units`: the unit of each Greek (the report is then tagged `riskattest.metrics/2`).
    public var units: ReportUnits? = nil
    /// `metrics --matrix`: price × vol P&L grid per underlying (§6.9).
    public var stressMatrix: StressMatrix? = nil
    /// `metrics --add/--trades`: the book before and after hypothetical trades (§6.10).
    public var whatIf: WhatIf? = nil

    /// Pretty-printed JSON with sorted keys (deterministic byte output), trailing newline.
    /// The bytes are those of `JSONEncoder` with snake_case keys (`foundationJSONBytes()`),
    /// written by `SortedJSONWriter` in a fraction of the time and memory (ReportJSON.swift).
    public func jsonBytes() throws -> [UInt8] {
        let sink = JSONByteSink(chunkSize: 0, flush: nil)
        try SortedJSONWriter(out: sink).write(self)
        sink.append(0x0A)
        return sink.bytes
    }

    /// The same bytes as `jsonBytes()`, handed to `sink` in chunks of about `chunkSize` bytes as
    /// they are produced, so a report of 100,000 positions (~80 MB of JSON) never sits in memory whole.
    public func writeJSON(chunkSize: Int = 1 << 20, to sink: @escaping ([UInt8]) throws -> Void) throws {
        let out = JSONByteSink(chunkSize: max(1, chunkSize), flush: sink)
        try SortedJSONWriter(out: out).write(self)
        out.append(0x0A)
        try out.finish()
    }

    /// The reference encoding `jsonBytes()` reproduces (used by tests to compare bytes).
    func foundationJSONBytes() throws -> [UInt8] {
        let enc = JSONEncoder()
        enc.keyEncodingStrategy = .convertToSnakeCase
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Ids and names from the input files may hold C1 or bidi characters, which JSONEncoder
        // passes through raw: `jsonSafe` turns them into \u escapes (same JSON value).
        return UntrustedText.jsonSafe(Array(try enc.encode(self))) + [0x0A]
    }
}

/// Sensitivities (see UnitRisk for units). Additive across positions of one underlying; delta and
/// gamma are not additive across underlyings, the quote-valued ones (vega, theta, rho) are.
public struct GreekSet: Sendable, Codable, Equatable {
    public var delta: Double = 0
    public var gamma: Double = 0
    public var vega: Double = 0
    public var theta: Double = 0
    public var rho: Double = 0
    public var vanna: Double = 0
    public init() {}
    mutating func add(_ u: UnitRisk, times q: Double) {
        delta += q * u.delta; gamma += q * u.gamma; vega += q * u.vega
        theta += q * u.theta; rho += q * u.rho; vanna += q * u.vanna
    }
    mutating func add(_ g: GreekSet) {
        delta += g.delta; gamma += g.gamma; vega += g.vega; theta += g.theta; rho += g.rho; vanna += g.vanna
    }
}

public struct Totals: Sendable, Codable, Equatable {
    /// Collateral after haircuts (negative balances at full price) + Σ equity contributions:
    /// futures' and perpetuals' unrealized P&L and options' value (SPEC §6.3). Collateral amounts
    /// are wallet balances that already hold the options' premiums, so with options held this is
    /// not `collateralValue + unrealizedPnl`.
    public var equity: Double
    public var collateralValue: Double
    /// Σ reported unrealized P&L of every position (options against their entry premium).
    public var unrealizedPnl: Double
    public var grossNotional: Double
    /// Σ per underlying of delta·index (positions and collateral).
    public var netExposure: Double
    /// Σ of |position delta|·index plus |collateral delta|·index.
    public var grossExposure: Double
    public var vega: Double
    public var theta: Double
    public var rho: Double
    /// Sum of per-interval funding amounts (intervals may differ; compare the annualised figure).
    public var fundingPerInterval: Double
    public var fundingAnnualized: Double
}

public struct PositionMetrics: Sendable, Codable, Equatable {
    public var instrument: String
    public var underlying: String
    public var type: String                  // perpetual | future | option
    public var margining: String             // linear | inverse
    public var venue: String?
    public var account: String?
    public var quantity: Double
    /// As the venue quotes it: quote per underlying unit, except inverse options (coin per unit).
    public var entryPrice: Double
    public var markPrice: Double
    /// quantity × unit value (entry cost excluded).
    public var value: Double
    /// Today's quote value of the entry cost (`EntryCost`): linear contracts and linear options
    /// −q·size·entry; inverse futures/perpetuals the coin amount q·size/entry at the index;
    /// inverse options the coin premium −q·size·entry at the index. Options' entry values are
    /// reported only: their premiums are in the wallet balances, not added to equity.
    public var entryValue: Double
    public var unrealizedPnl: Double
    /// Inverse contracts only: the same P&L in the underlying coin.
    public var unrealizedPnlCoin: Double?
    public var notional: Double
    /// delta × index.
    public var deltaExposure: Double
    public var greeks: GreekSet
    /// Inverse (coin-settled) options: the premium-adjusted ("net transaction") delta Deribit
    /// reports beside the Black-Scholes one, `delta − value/S0` (the coin premium's own exposure
    /// taken off). nil for other instruments.
    public var premiumAdjustedDelta: Double? = nil
    /// Options: the forward the model prices on, and the listed future it is taken from (nil:
    /// `S0·e^{rate·T}`).
    public var forward: Double? = nil
    public var forwardFuture: String? = nil
    public var expiryBucket: String?
    public var fundingPerInterval: Double
    public var fundingAnnualized: Double
}

public struct CollateralMetrics: Sendable, Codable, Equatable {
    public var asset: String
    public var underlying: String?
    public var amount: Double
    public var price: Double
    public var haircut: Double
    /// amount·price·(1 − haircut) when amount ≥ 0, amount·price when negative.
    public var value: Double
    public var delta: Double
}

public struct ExposureFigures: Sendable, Codable, Equatable {
    public var positions: Int = 0
    public var grossNotional: Double = 0
    public var netExposure: Double = 0
    public var grossExposure: Double = 0
    public var value: Double = 0
    public var unrealizedPnl: Double = 0
    public var fundingPerInterval: Double = 0
    public var fundingAnnualized: Double = 0
    public var greeks = GreekSet()
    public init() {}
}

public struct UnderlyingMetrics: Sendable, Codable, Equatable {
    public var underlying: String
    public var indexPrice: Double
    /// Derivative positions only.
    public var positions: ExposureFigures
    /// Delta of collateral tied to this underlying (underlying units).
    public var collateralDelta: Double
    /// positions delta + collateral delta: what the hedge suggestion neutralises.
    public var totalDelta: Double
    /// With inverse options held: `totalDelta` with each such option's delta premium-adjusted
    /// (Deribit's view for coin P&L). nil otherwise.
    public var premiumAdjustedTotalDelta: Double? = nil
}

public struct BucketMetrics: Sendable, Codable, Equatable {
    public var underlying: String
    /// `<30d`, `30-90d`, `>90d`, or `perpetual`.
    public var bucket: String
    public var figures: ExposureFigures
}

public struct MarginFigures: Sendable, Codable, Equatable {
    public var maintenance: Double
    public var initial: Double
}

public struct MarginSummary: Sendable, Codable, Equatable {
    public var equity: Double
    public var isolated: MarginFigures
    public var cross: MarginFigures
    /// Portfolio margin: initial = max(0, largest weighted loss, minimum delta requirement),
    /// maintenance = fraction × initial.
    public var portfolio: MarginFigures
    public var portfolioWorstScenario: String?
    /// The scenario part of the portfolio requirement: max(0, largest weighted loss).
    public var portfolioScenarioRequirement: Double
    /// The minimum delta requirement (Paradex), when the snapshot sets its rates.
    public var portfolioMinDelta: MinDeltaSummary?
    /// The figures of the portfolio's own margin mode.
    public var active: MarginFigures
    /// maintenance / equity; nil when equity ≤ 0. Liquidation when ≥ 1.
    public var marginRatio: Double?
    /// initial / equity; nil when equity ≤ 0.
    public var initialMarginRatio: Double?
    /// equity − active initial margin.
    public var freeCollateral: Double
    /// equity ≤ active maintenance margin, where that margin is > 0 or equity < 0 (an account
    /// that needs no margin and owes nothing has nothing to liquidate).
    public var liquidatable: Bool
    /// Early warning: `liquidatable`; `warning` when the margin ratio is ≥ `warningMarginRatio`;
    /// `no_positions` for a book without positions that is not liquidatable; else `ok`.
    public var status: String
    public var warningMarginRatio: Double
}

/// One underlying's part of the minimum delta requirement (SPEC.md §6.5).
public struct MinDeltaFigure: Sendable, Codable, Equatable {
    public var underlying: String
    public var netDelta: Double
    public var grossDelta: Double
    /// (gross − |net|)/2: the delta that long and short members offset.
    public var hedgedDelta: Double
    public var requirement: Double
}

public struct MinDeltaSummary: Sendable, Codable, Equatable {
    public var netRate: Double
    public var hedgedRate: Double
    public var total: Double
    public var underlyings: [MinDeltaFigure]
}

public struct IsolatedPositionMargin: Sendable, Codable, Equatable {
    public var instrument: String
    public var venue: String?
    public var account: String?
    /// Isolated wallet in quote currency (an inverse contract's coin margin at the index): the
    /// position's `isolated_margin` when the portfolio gives it, else its initial margin at entry.
    public var wallet: Double
    /// `given` (the portfolio's `isolated_margin`) or `assumed_initial_margin`.
    public var walletSource: String
    public var maintenance: Double
    public var initial: Double
    public var equity: Double
    public var marginRatio: Double?
    public var liquidationPrice: Double?
    public var distancePercent: Double?
    /// `binance_closed_form` (linear futures/perpetuals) or `root_search`.
    public var method: String
}

public struct LiquidationMetrics: Sendable, Codable, Equatable {
    public var underlying: String
    public var indexPrice: Double
    /// `ok`, `at_or_below_maintenance`, or `none` (no liquidation price on the searched range).
    public var status: String
    public var below: Double?
    public var above: Double?
    public var distanceBelowPercent: Double?
    public var distanceAbovePercent: Double?
    /// The one closer to the index, and its signed distance in percent.
    public var nearest: Double?
    public var nearestDistancePercent: Double?
    /// Isolated mode: position-level liquidation of this underlying's positions, apart from the
    /// account-level figures above — how many positions, the nearest isolated liquidation prices
    /// below and above the index, and their status (`ok`, `at_or_below_maintenance`, `none`).
    /// `status` then combines both levels. nil outside isolated mode.
    public var isolatedPositions: Int? = nil
    public var isolatedStatus: String? = nil
    public var isolatedBelow: Double? = nil
    public var isolatedAbove: Double? = nil
    public var isolatedDistanceBelowPercent: Double? = nil
    public var isolatedDistanceAbovePercent: Double? = nil
}

public struct ScenarioMove: Sendable, Codable, Equatable {
    public var underlying: String
    public var move: Double
}

public struct StressRow: Sendable, Codable, Equatable {
    public var scenario: String
    public var weight: Double
    public var moves: [ScenarioMove]
    public var volShock: String
    public var equity: Double
    public var pnl: Double
    /// weight × (−pnl): positive is a loss.
    public var weightedLoss: Double
    /// Per underlying P&L contributions (they add up to pnl).
    public var pnlByUnderlying: [ScenarioMove]
}

public struct HedgeSuggestion: Sendable, Codable, Equatable {
    public var underlying: String
    public var currentDelta: Double
    public var targetDelta: Double
    /// The perpetual to trade (first linear perpetual of the underlying, else first inverse); nil if none.
    public var instrument: String?
    /// Contracts to buy (> 0) or sell (< 0).
    public var quantity: Double?
    public var note: String?
}

public struct TopUpSuggestion: Sendable, Codable, Equatable {
    public var targetMarginRatio: Double
    public var currentMarginRatio: Double?
    /// Quote value of equity to add (0 when already at or below the target ratio).
    public var quoteValue: Double
    /// The quote-currency collateral asset to deposit and how much of it (after its haircut).
    public var asset: String?
    public var amount: Double?
    public var note: String?
}
