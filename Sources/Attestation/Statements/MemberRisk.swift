import RiskEngine

/// Per-unit risk of every witness member, from the public snapshot alone.
///
/// This is the only place where engine numbers enter the proof system: every metric a circuit
/// can name is a linear form `Σ_k a_k·x_k (+ Σ_k g_k·(x_k⁺ + x_k⁻)) + c` over witness members,
/// with `a`, `g` built from these rows. Prover and verifier compute them with the same
/// deterministic engine, so they agree to the bit.
struct MemberRisk: Sendable {
    var value: Double = 0
    var scenarioValues: [Double]
    /// Value of −1 unit is −liabilityValue (a loan gets no haircut credit); = value otherwise.
    var liabilityValue: Double = 0
    var liabilityScenarioValues: [Double]
    var underlying: Int? = nil          // index into MarketSnapshot.underlyings
    var delta: Double = 0
    var gamma: Double = 0
    var vega: Double = 0
    var theta: Double = 0
    var bucket: ExpiryBucket? = nil
    var notional: Double = 0
    var funding: Double = 0
    var tierTable: Int? = nil           // index into WitnessLayout.tierTables (futures and perpetuals)
    var isInstrument = false
    var isOption = false
    /// Cross-margin requirement of one short contract (options only): `MarginRules.shortOption`
    /// with one contract, the same function the engine's cross margin calls.
    var shortOptionMM = 0.0
    var shortOptionIM = 0.0
    var isCollateral = false
    var isMarginWitness = false

    init(scenarios: Int) {
        scenarioValues = [Double](repeating: 0, count: scenarios)
        liabilityScenarioValues = scenarioValues
    }

    /// Builds the rows for `layout` over `market`.
    static func rows(layout: WitnessLayout, market: MarketSnapshot, units: UnitRiskTable) -> [MemberRisk] {
        let s = market.scenarios.count
        var underlyingIndex: [String: Int] = [:]
        for (u, und) in market.underlyings.enumerated() { underlyingIndex[und.id] = u }
        var tableIndex: [String: Int] = [:]
        for (k, name) in layout.tierTables.enumerated() { tableIndex[name] = k }
        var rows: [MemberRisk] = layout.roles.map { role in
            var row = MemberRisk(scenarios: s)
            switch role {
            case .instrument(let i):
                let ur = units.instruments[i]
                let inst = market.instruments[i]
                row.isInstrument = true
                row.value = ur.value
                row.scenarioValues = ur.scenarioValues
                row.liabilityValue = ur.liabilityValue
                row.liabilityScenarioValues = ur.liabilityScenarioValues
                row.underlying = underlyingIndex[inst.underlying]
                row.delta = ur.delta; row.gamma = ur.gamma; row.vega = ur.vega; row.theta = ur.theta
                row.bucket = ur.expiryBucket
                row.notional = ur.notional
                row.funding = ur.fundingPerInterval
                if case .option(let spec) = inst.kind {
                    row.isOption = true
                    let und = market.underlyings[underlyingIndex[inst.underlying]!]
                    let r = MarginRules.shortOption(contracts: 1, size: inst.contractSize, index: und.indexPrice,
                                                    optionValue: ur.value / inst.contractSize, kind: spec.kind,
                                                    strike: spec.strike, rates: market.margin.optionMargin)
                    row.shortOptionMM = r.mm; row.shortOptionIM = r.im
                } else {
                    row.tierTable = tableIndex[inst.tierTable]
                }
            case .collateral(let j):
                let ur = units.collateral[j]
                let asset = market.collateral[j]
                row.isCollateral = true
                row.value = ur.value
                row.scenarioValues = ur.scenarioValues
                row.liabilityValue = ur.liabilityValue
                row.liabilityScenarioValues = ur.liabilityScenarioValues
                // Delta per unit is the engine's price/index (a token worth 1/1000 coin is 1/1000).
                if let u = asset.underlying { row.underlying = underlyingIndex[u]; row.delta = ur.delta }
            case .quoteSettlement:
                row.value = 1
                row.scenarioValues = [Double](repeating: 1, count: s)
                row.liabilityValue = 1
                row.liabilityScenarioValues = row.scenarioValues
            case .coinSettlement(let u):
                let und = market.underlyings[u]
                row.underlying = u
                row.delta = 1
                row.value = und.indexPrice
                row.scenarioValues = market.scenarios.map { sc in
                    und.indexPrice * (1 + (sc.priceMoves[und.id] ?? 0))
                }
                row.liabilityValue = row.value
                row.liabilityScenarioValues = row.scenarioValues
            case .maintenanceMargin(let k), .initialMargin(let k):
                row.isMarginWitness = true
                row.tierTable = k
            case .wholeUnits:
                break                              // a copy of its base's row, below
            }
            return row
        }
        // A whole-unit companion is its base in another unit: the same per-unit row (the unit
        // digits, 0 instead of 8, scale its coefficients; SPEC §14.3 ties them together exactly).
        for (k, role) in layout.roles.enumerated() {
            if case .wholeUnits(let b) = role { rows[k] = rows[b] }
        }
        return rows
    }
}
