import Circuits
import RiskEngine

/// Errors turning a circuit and a snapshot into integer constraints. Each names what failed.
public enum StatementError: Error, Equatable, CustomStringConvertible {
    case unknownParameter(String)
    case invalidParameterValue(name: String, value: String)
    case unknownUnderlying(name: String, line: Int)
    case unknownScenario(name: String, line: Int)
    case noScenarios(line: Int)
    case coefficientOutOfRange(line: Int, member: String)
    case tooManyConstraints(Int, limit: Int)

    /// Escaped with `UntrustedText` (RiskEngine): the message may quote text from an input file,
    /// which must not reach a terminal raw.
    public var description: String { UntrustedText.escape(unescapedDescription) }

    private var unescapedDescription: String {
        switch self {
        case .unknownParameter(let n): return "parameter '\(n)' is not declared by the circuit"
        case .invalidParameterValue(let n, let v): return "parameter '\(n)': '\(v)' is not a valid decimal"
        case .unknownUnderlying(let n, let l): return "line \(l): underlying '\(n)' is not in the market snapshot"
        case .unknownScenario(let n, let l): return "line \(l): scenario '\(n)' is not in the snapshot's grid"
        case .noScenarios(let l): return "line \(l): 'for each scenario' but the snapshot has no scenarios"
        case .coefficientOutOfRange(let l, let m):
            return "line \(l): the fixed-point coefficient of \(m) exceeds the soundness bound 2^62"
        case .tooManyConstraints(let n, let limit): return "the circuit expands to \(n) constraints; the limit is \(limit)"
        }
    }
}

/// One constraint over the witness in integers: `Σ_k plus_k·x_k⁺ + minus_k·x_k⁻ + constant ≥ 0`,
/// all in slack units of 10⁻¹⁰ (of the constraint's own dimension: quote currency, coin, ...).
public struct IntegerConstraint: Sendable, Equatable {
    public var plus: [Int64]
    public var minus: [Int64]
    public var constant: Int64
    /// Source line in the circuit and the readable statement (with the scenario, when expanded).
    public var line: Int
    public var text: String
}

/// The public statement of an attestation: witness layout plus integer constraints, computed from
/// the snapshot, the compiled circuit and the parameter values alone.
///
/// ## Coefficients
/// A constraint's real-valued form is accumulated in IEEE double in term order: for term
/// `c · f₁ · … · f_j · atom`, the real multiplier is `Double(c) · f₁ · … · f_j` (public factors
/// `spot[U]` = the underlying's index price, parameters = their decimal values), and the atom's
/// per-member row (see SPEC §14) is added times that multiplier. The coefficient of half `x_k^±`
/// is then `FixedPoint.round(a_k ± … , digits: 10 − unitDigits(k))` — one rounding, the engine's
/// rule — so the verifier reproduces it bit for bit. Constants use `digits: 10`.
public struct StatementSystem: Sendable {
    public static let maxConstraints = 4096
    /// |coefficient| bound; with ≤ 2^12 members and halves < 2^64 every slack stays below 2^140,
    /// far from the group order ℓ ≈ 2^252, so a slack can never wrap modulo ℓ.
    public static let coefficientBound: Int64 = 1 << 62

    public let layout: WitnessLayout
    public let constraints: [IntegerConstraint]
    /// Parameter values actually used (declared defaults overridden by `params`), sorted by name.
    public let parameters: [(name: String, value: String)]

    public init(market: MarketSnapshot, units: UnitRiskTable, circuit: Circuit,
                params overrides: [String: String]) throws(StatementError) {
        let layout = WitnessLayout(market: market)
        let rows = MemberRisk.rows(layout: layout, market: market, units: units)
        self.layout = layout

        // Parameters: declared defaults, then overrides (declared names only, exact
        // non-negative decimals: the compiler's sign reasoning assumes parameters ≥ 0).
        let resolved: [String: ExactDecimal]
        do { resolved = try circuit.resolvedParams(overrides: overrides) } catch {
            switch error {
            case .unknownParam(let n): throw .unknownParameter(n)
            case .invalidParamValue(let n, let v): throw .invalidParameterValue(name: n, value: v)
            default: throw .invalidParameterValue(name: "?", value: "\(error)")
            }
        }
        var values: [String: (text: String, value: Double)] = [:]
        for (name, v) in resolved { values[name] = (v.description, v.doubleValue) }
        parameters = values.keys.sorted().map { ($0, values[$0]!.text) }

        var underlyingIndex: [String: Int] = [:]
        for (u, und) in market.underlyings.enumerated() { underlyingIndex[und.id] = u }
        var scenarioIndex: [String: Int] = [:]
        for (s, sc) in market.scenarios.enumerated() { scenarioIndex[sc.name] = s }

        let forms = FormBuilder(rows: rows, layout: layout, market: market, underlyingIndex: underlyingIndex)
        var out: [IntegerConstraint] = []
        var usesMargin = (mm: false, im: false)

        for c in circuit.constraints {
            let instances: [Int?]
            if c.forEachScenario {
                guard !market.scenarios.isEmpty else { throw .noScenarios(line: c.line) }
                instances = Array(market.scenarios.indices)
            } else {
                instances = [nil]
            }
            for s in instances {
                var form = RealForm(count: layout.count)
                for term in c.terms {
                    var mult = term.coefficient.doubleValue
                    for f in term.factors {
                        switch f {
                        case .spot(let u):
                            guard let ui = underlyingIndex[u] else { throw .unknownUnderlying(name: u, line: c.line) }
                            mult *= market.underlyings[ui].indexPrice
                        case .param(let p):
                            guard let v = values[p] else { throw .unknownParameter(p) }
                            mult *= v.value
                        }
                    }
                    guard let atom = term.atom else { form.constant += mult; continue }
                    if case .mm = atom { usesMargin.mm = true }
                    if case .im = atom { usesMargin.im = true }
                    try forms.add(atom, times: mult, scenario: s, scenarioIndex: scenarioIndex, line: c.line, into: &form)
                }
                let text = s.map { "\(c.text)   [scenario \(market.scenarios[$0].name)]" } ?? c.text
                out.append(try form.integer(layout: layout, line: c.line, text: text))
            }
        }
        // Tier constraints that make the committed margin witnesses sound upper bounds.
        if usesMargin.mm { out += try forms.tierConstraints(initial: false) }
        if usesMargin.im { out += try forms.tierConstraints(initial: true) }
        guard out.count <= Self.maxConstraints else { throw .tooManyConstraints(out.count, limit: Self.maxConstraints) }
        constraints = out
    }
}

/// A real-valued linear form over the halves: `Σ plus_k·x_k⁺ + minus_k·x_k⁻ + constant`.
///
/// An exact atom with per-unit value a contributes `+a` to plus and `−a` to minus (so it reads
/// `a·x`); a collateral value whose loans carry no haircut credit contributes `+value` and
/// `−liabilityValue`; an upper-bound atom g contributes `+g` to both (it reads `g·(x⁺ + x⁻)`).
struct RealForm {
    var plus: [Double]
    var minus: [Double]
    var constant: Double = 0
    init(count: Int) {
        plus = [Double](repeating: 0, count: count)
        minus = [Double](repeating: 0, count: count)
    }

    mutating func addExact(_ k: Int, _ a: Double) { plus[k] += a; minus[k] -= a }
    mutating func addSplit(_ k: Int, positive: Double, negative: Double) { plus[k] += positive; minus[k] -= negative }
    mutating func addGross(_ k: Int, _ g: Double) { plus[k] += g; minus[k] += g }

    /// Rounds to the integer constraint (see `StatementSystem` for the rule), then enforces
    /// **inflation safety**: a prover may commit any halves with the same difference, adding δ to
    /// both; that changes the slack by δ·(plus_k + minus_k). Where that sum is positive the
    /// constraint could be faked, so minus_k is lowered to −plus_k: for the honest split this only
    /// lowers the slack of negative members (a conservative statement), and inflation no longer helps.
    func integer(layout: WitnessLayout, line: Int, text: String) throws(StatementError) -> IntegerConstraint {
        var p = [Int64](repeating: 0, count: layout.count)
        var m = [Int64](repeating: 0, count: layout.count)
        for k in 0..<layout.count {
            let digits = WitnessLayout.slackDigits - layout.unitDigits(of: k)
            p[k] = try Self.fixed(plus[k], digits: digits, line: line, member: k)
            m[k] = try Self.fixed(minus[k], digits: digits, line: line, member: k)
            if p[k] + m[k] > 0 { m[k] = -p[k] }
        }
        let c = try Self.fixed(constant, digits: WitnessLayout.slackDigits, line: line, member: -1)
        return IntegerConstraint(plus: p, minus: m, constant: c, line: line, text: text)
    }

    /// `FixedPoint.round` (q = x·10^digits in IEEE double, then half-to-even) where |q| < 2⁵³;
    /// beyond, q is already an integer in double and converts exactly. Coefficients above 2⁵³
    /// (e.g. a constant of 10⁶ quote at the 10⁻¹⁰ slack unit) are legitimate here: only the
    /// soundness bound 2⁶² applies.
    private static func fixed(_ x: Double, digits: Int, line: Int, member: Int) throws(StatementError) -> Int64 {
        let name = member < 0 ? "the constant term" : "witness member \(member)"
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }            // exact: 10^digits < 2^53 for digits ≤ 15
        let q = x * scale
        let v: Int64
        if let r = try? FixedPoint.round(x, digits: digits) {
            v = r
        } else if q.isFinite, abs(q) < 0x1p62 {
            v = Int64(q)                               // |q| ≥ 2^53: an integer already
        } else {
            throw .coefficientOutOfRange(line: line, member: name)
        }
        guard v > -StatementSystem.coefficientBound, v < StatementSystem.coefficientBound else {
            throw .coefficientOutOfRange(line: line, member: name)
        }
        return v
    }
}

/// Adds metric atoms (SPEC §14 table) to real forms.
struct FormBuilder {
    let rows: [MemberRisk]
    let layout: WitnessLayout
    let market: MarketSnapshot
    let underlyingIndex: [String: Int]

    func add(_ atom: MetricAtom, times m: Double, scenario s: Int?, scenarioIndex: [String: Int],
             line: Int, into f: inout RealForm) throws(StatementError) {
        func scen(_ ref: ScenarioRef) throws(StatementError) -> Int {
            switch ref {
            case .bound:
                guard let s else { throw .noScenarios(line: line) }
                return s
            case .named(let n):
                guard let i = scenarioIndex[n] else { throw .unknownScenario(name: n, line: line) }
                return i
            }
        }
        func und(_ name: String) throws(StatementError) -> Int {
            guard let u = underlyingIndex[name] else { throw .unknownUnderlying(name: name, line: line) }
            return u
        }
        let n = rows.count
        switch atom {
        case .equity:
            for k in 0..<n where !rows[k].isMarginWitness { f.addSplit(k, positive: m * rows[k].value, negative: m * rows[k].liabilityValue) }
        case .collateral:
            for k in 0..<n where rows[k].isCollateral { f.addSplit(k, positive: m * rows[k].value, negative: m * rows[k].liabilityValue) }
        case .funding:
            for k in 0..<n where rows[k].isInstrument { f.addExact(k, m * rows[k].funding) }
        case .theta:
            for k in 0..<n where rows[k].isInstrument { f.addExact(k, m * rows[k].theta) }
        case .gross:
            for k in 0..<n where rows[k].isInstrument { f.addGross(k, m * rows[k].notional) }
        case .grossUnderlying(let name):
            let u = try und(name)
            for k in 0..<n where rows[k].isInstrument && rows[k].underlying == u { f.addGross(k, m * rows[k].notional) }
        case .delta(let name):
            let u = try und(name)
            for k in 0..<n where rows[k].underlying == u { f.addExact(k, m * rows[k].delta) }
        case .grossDelta(let name):
            let u = try und(name)
            for k in 0..<n where rows[k].underlying == u { f.addGross(k, m * abs(rows[k].delta)) }
        case .gamma(let name):
            let u = try und(name)
            for k in 0..<n where rows[k].isInstrument && rows[k].underlying == u { f.addExact(k, m * rows[k].gamma) }
        case .vega(let name):
            let u = try und(name)
            for k in 0..<n where rows[k].isInstrument && rows[k].underlying == u { f.addExact(k, m * rows[k].vega) }
        case .vegaBucket(let name, let bucket):
            let u = try und(name)
            for k in 0..<n where rows[k].isInstrument && rows[k].underlying == u && rows[k].bucket?.rawValue == bucket {
                f.addExact(k, m * rows[k].vega)
            }
        case .value(let ref):
            let si = try scen(ref)
            for k in 0..<n where !rows[k].isMarginWitness {
                f.addSplit(k, positive: m * rows[k].scenarioValues[si], negative: m * rows[k].liabilityScenarioValues[si])
            }
        case .loss(let ref):
            let si = try scen(ref)
            for k in 0..<n where !rows[k].isMarginWitness {
                let r = rows[k]
                f.addSplit(k, positive: m * (r.value - r.scenarioValues[si]),
                           negative: m * (r.liabilityValue - r.liabilityScenarioValues[si]))
            }
        case .weightedLoss(let ref):
            let si = try scen(ref)
            let w = market.scenarios[si].weight
            for k in 0..<n where !rows[k].isMarginWitness {
                let r = rows[k]
                f.addSplit(k, positive: m * w * (r.value - r.scenarioValues[si]),
                           negative: m * w * (r.liabilityValue - r.liabilityScenarioValues[si]))
            }
        case .mm, .im:
            let wantInitial: Bool
            if case .im = atom { wantInitial = true } else { wantInitial = false }
            for k in 0..<n {
                switch layout.roles[k] {
                case .maintenanceMargin where !wantInitial, .initialMargin where wantInitial:
                    f.addExact(k, m)   // witness unit is already the slack unit: coefficient 10^0
                default: break
                }
            }
        }
    }

    /// For every tier table k and tier t: `M_k − (rate_t·G_k − deduction_t) ≥ 0`, where
    /// `G_k = Σ_{i∈k} notional_i·(x_i⁺ + x_i⁻)` upper-bounds the table's gross notional. Since the
    /// tiered requirement `max_t(rate_t·G − deduction_t)` is convex and increasing in G, and
    /// superadditive (so tiering the table's aggregate is at least the sum of per-instrument
    /// tiering), a committed `M_k` passing all of them is a sound upper bound on the requirement.
    func tierConstraints(initial: Bool) throws(StatementError) -> [IntegerConstraint] {
        var out: [IntegerConstraint] = []
        for (k, name) in layout.tierTables.enumerated() {
            guard let tiers = market.margin.tierTables[name] else { continue }
            let member = layout.roles.firstIndex {
                if initial, case .initialMargin(let j) = $0 { return j == k }
                if !initial, case .maintenanceMargin(let j) = $0 { return j == k }
                return false
            }!
            let deductions = initial ? Self.initialDeductions(tiers) : tiers.map(\.cumulativeDeduction)
            for (t, tier) in tiers.enumerated() {
                let rate = initial ? tier.initialRate : tier.maintenanceRate
                var f = RealForm(count: rows.count)
                f.addExact(member, 1)
                for i in 0..<rows.count where rows[i].isInstrument && rows[i].tierTable == k {
                    f.addGross(i, -rate * rows[i].notional)
                }
                f.constant = deductions[t]
                let what = initial ? "im" : "mm"
                out.append(try f.integer(layout: layout, line: 0,
                                         text: "\(what)[\(name)] >= \(rate) * gross[\(name)] - \(deductions[t])   [tier \(t + 1)]"))
            }
        }
        return out
    }

    /// Cumulative deductions for initial-margin rates, by the same rule as maintenance:
    /// d₁ = 0, d_t = d_{t−1} + cap_{t−1}·(rate_t − rate_{t−1}), which keeps the tiered
    /// requirement continuous at every tier boundary.
    static func initialDeductions(_ tiers: [MarginTier]) -> [Double] {
        var d: [Double] = []
        for (t, tier) in tiers.enumerated() {
            if t == 0 { d.append(0); continue }
            let cap = tiers[t - 1].maxNotional ?? 0
            d.append(d[t - 1] + cap * (tier.initialRate - tiers[t - 1].initialRate))
        }
        return d
    }
}
