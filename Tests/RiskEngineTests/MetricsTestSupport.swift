import Foundation
@testable import RiskEngine

/// Small hand-built snapshots for the metrics tests: round numbers, so expected values can be
/// worked out by hand in each test.
enum MetricsFixture {
    static let asOf = Timestamp(seconds: 1_795_507_200)   // 2026-11-24T08:00:00Z
    static func days(_ d: Double) -> Timestamp { Timestamp(seconds: asOf.seconds + Int64(d * 86_400)) }

    /// Binance BTCUSDT brackets (first four), as in the example snapshot.
    static let linearTiers: [MarginTier] = [
        MarginTier(maxNotional: 300_000, maintenanceRate: 0.004, initialRate: 0.008, cumulativeDeduction: 0),
        MarginTier(maxNotional: 800_000, maintenanceRate: 0.005, initialRate: 0.01, cumulativeDeduction: 300),
        MarginTier(maxNotional: 3_000_000, maintenanceRate: 0.0065, initialRate: 0.0134, cumulativeDeduction: 1_500),
        MarginTier(maxNotional: nil, maintenanceRate: 0.01, initialRate: 0.02, cumulativeDeduction: 12_000),
    ]
    static let inverseTiers: [MarginTier] = [
        MarginTier(maxNotional: 1_000_000, maintenanceRate: 0.005, initialRate: 0.01, cumulativeDeduction: 0),
        MarginTier(maxNotional: nil, maintenanceRate: 0.01, initialRate: 0.02, cumulativeDeduction: 5_000),
    ]
    static let optionRates = OptionMarginRates(shortInitialRate: 0.15, shortInitialFloorRate: 0.1, shortMaintenanceRate: 0.075)

    static func perp(_ id: String, _ u: String, linear: Bool = true, size: Double, mark: Double, funding: Double = 0.0001) -> Instrument {
        Instrument(id: id, underlying: u, kind: .perpetual(fundingRate: funding, fundingIntervalHours: 8),
                   margining: linear ? .linear : .inverse, contractSize: size, markPrice: mark, tierTable: linear ? "L" : "I")
    }
    static func future(_ id: String, _ u: String, linear: Bool = true, size: Double, mark: Double, days d: Double) -> Instrument {
        Instrument(id: id, underlying: u, kind: .future(expiry: days(d)), margining: linear ? .linear : .inverse,
                   contractSize: size, markPrice: mark, tierTable: linear ? "L" : "I")
    }
    /// An option marked at `mark` (quote per underlying unit); without one, `market(...)` marks it
    /// at its Black-76 model price (so the mark anchor of SPEC §6.2 coincides with the model up to
    /// rounding, and the tests' hand-worked model values stay the values).
    static func option(_ id: String, _ u: String, _ kind: OptionKind, strike: Double, days d: Double, iv: Double,
                       size: Double = 1, inverse: Bool = false, mark: Double? = nil) -> Instrument {
        Instrument(id: id, underlying: u, kind: .option(OptionSpec(kind: kind, strike: strike, expiry: days(d), markIV: iv, settlement: .cash)),
                   margining: inverse ? .inverse : .linear, contractSize: size, markPrice: mark ?? .nan, tierTable: "L")
    }

    /// Black-76 price per underlying unit of an option of `m` at index `s` (the snapshot's rate,
    /// T from as_of): the model value the engine anchors at the mark.
    static func modelPrice(_ inst: Instrument, in m: MarketSnapshot, index s: Double) -> Double {
        guard case .option(let spec) = inst.kind, let u = m.underlying(inst.underlying) else { return inst.markPrice }
        let years = Double(spec.expiry.seconds - m.asOf.seconds) / (365.0 * 86_400)
        let fwd = s * DetMath.exp(u.rate * years)
        return (try? OptionPricer.black76(kind: spec.kind, forward: fwd, strike: spec.strike, expiry: years,
                                          vol: spec.markIV, rate: u.rate).price) ?? .nan
    }

    static func market(underlyings: [(String, Double, Double)], instruments: [Instrument],
                       scenarios: [Scenario] = [], fraction: Double = 0.5) -> MarketSnapshot {
        let unds = underlyings.map { Underlying(id: $0.0, indexPrice: $0.1, priceTime: asOf, rate: $0.2) }
        var coll = [CollateralAsset(id: "USD", price: 1, haircut: 0.02, underlying: nil)]
        for u in unds { coll.append(CollateralAsset(id: u.id, price: u.indexPrice, haircut: 0.05, underlying: u.id)) }
        let base = MarketSnapshot(snapshotID: "test", asOf: asOf, quoteCurrency: "USD", maxPriceAgeSeconds: 300,
                                  underlyings: unds, instruments: instruments, collateral: coll,
                                  margin: MarginParameters(tierTables: ["L": linearTiers, "I": inverseTiers],
                                                           portfolioMaintenanceFraction: fraction, optionMargin: optionRates),
                                  scenarios: scenarios)
        var m = base
        m.instruments = instruments.map { inst in
            guard inst.markPrice.isNaN, let u = base.underlying(inst.underlying) else { return inst }
            var x = inst
            x.markPrice = modelPrice(inst, in: base, index: u.indexPrice)
            return x
        }
        return m
    }

    /// The default grid's shape: ±16% in 4% steps × vol up/down plus weighted tails.
    static func grid(_ ids: [String]) -> [Scenario] {
        var out: [Scenario] = []
        for step in -4...4 {
            let m = Double(step) * 0.04
            for (n, s) in [("up", 0.35), ("down", -0.25)] {
                out.append(Scenario(name: "\(step * 4)% \(n)", priceMoves: Dictionary(uniqueKeysWithValues: ids.map { ($0, m) }),
                                    volShock: .termStructure(s), weight: 1))
            }
        }
        for (m, w) in [(-0.66, 0.4), (-0.33, 0.6), (0.5, 0.6), (1.0, 0.5), (5.0, 0.2)] {
            out.append(Scenario(name: "tail \(m)", priceMoves: Dictionary(uniqueKeysWithValues: ids.map { ($0, m) }),
                                volShock: .termStructure(0.35), weight: w))
        }
        return out
    }

    static func pos(_ id: String, _ q: Double, _ entry: Double) -> Position {
        Position(instrument: id, quantity: q, quantityUnits: Int64((q * 1e8).rounded()), entryPrice: entry, venue: nil, account: nil)
    }
    static func bal(_ asset: String, _ a: Double) -> CollateralBalance {
        CollateralBalance(asset: asset, amount: a, amountUnits: Int128((a * 1e8).rounded()))
    }

    /// The same snapshot with underlying `u` at `newIndex`: its index, every mark of its futures and
    /// perpetuals and the price of collateral tied to it scaled by newIndex/oldIndex (option IVs,
    /// times and everything else unchanged).
    static func moved(_ m: MarketSnapshot, underlying u: String, to newIndex: Double) -> MarketSnapshot {
        var out = m
        guard let ui = m.underlyingIndex(u) else { return m }
        let r = newIndex / m.underlyings[ui].indexPrice
        out.underlyings[ui].indexPrice = newIndex
        out.instruments = m.instruments.map { inst in
            var x = inst
            if inst.underlying == u, case .option = inst.kind {
                // The mark moves by the model's revaluation (SPEC §6.2).
                x.markPrice = inst.markPrice + (modelPrice(inst, in: m, index: newIndex) - modelPrice(inst, in: m, index: m.underlyings[ui].indexPrice))
            } else if inst.underlying == u { x.markPrice = inst.markPrice * r }
            return x
        }
        out.collateral = m.collateral.map { c in var x = c; if c.underlying == u { x.price = c.price * r }; return x }
        return out
    }

    static func rel(_ a: Double, _ b: Double) -> Double { abs(a - b) / max(abs(b), 1e-300) }
}
