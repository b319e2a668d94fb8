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
            return "line \(l): the fixed-point coefficient of \(m) is not finite or exceeds its bound (2^112 for members, 2^126 for whole-unit companions and the constant)"
        case .tooManyConstraints(let n, let limit): return "the circuit expands to \(n) constraints; the limit is \(limit)"
        }
    }
}

/// One constraint over the witness in integers: `Σ_k plus_k·x_k⁺ + minus_k·x_k⁻ + constant ≥ 0`,
/// all in slack units of 10⁻²⁴ (of the constraint's own dimension: quote currency, coin, ...).
/// Coefficients are below 2¹¹² and the constant below 2¹²⁶ in magnitude (SPEC §14.3).
public struct IntegerConstraint: Sendable, Equatable {
    public var plus: [Int128]
    public var minus: [Int128]
    public var constant: Int128
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
    /// |coefficient| bound (2¹²⁶ for whole-unit companions): with at most 2¹² halves below 2⁶⁴,
    /// every slack stays below 2¹²⁶·2⁶⁴·2¹² + 2¹²⁶ < 2²⁰³, far from the group order ℓ ≈ 2²⁵², so
    /// a slack can never wrap modulo ℓ; the range proof then pins it to [0, 2¹²⁸).
    public static let coefficientBound: Int128 = 1 << 112
    public static let constantBound: Int128 = 1 << 126
    /// Whole-unit companions carry their base's coefficient times 10⁸, below this bound.
    public static let companionBound: Int128 = 1 << 126

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

extension StatementSystem {
    /// The value of one metric atom's linear form (SPEC §14.2) on committed halves, in the atom's
    /// own unit: `Σ_k (a_k⁺·x_k⁺ + a_k⁻·x_k⁻)·10^(−d_k)` in double, before any integer rounding.
    /// On the honest witness an exact atom equals the engine's figure (up to double rounding) and
    /// an upper-bound atom is at least the engine's figure; the differential tests check exactly
    /// that. `mm`/`im` read the margin witnesses from the halves as given.
    public static func atomValue(_ atom: MetricAtom, market: MarketSnapshot, units: UnitRiskTable, scenario: Int?,
                                 plus: [UInt64], minus: [UInt64]) throws(StatementError) -> Double {
        let layout = WitnessLayout(market: market)
        let rows = MemberRisk.rows(layout: layout, market: market, units: units)
        var underlyingIndex: [String: Int] = [:]
        for (u, und) in market.underlyings.enumerated() { underlyingIndex[und.id] = u }
        var scenarioIndex: [String: Int] = [:]
        for (s, sc) in market.scenarios.enumerated() { scenarioIndex[sc.name] = s }
        let forms = FormBuilder(rows: rows, layout: layout, market: market, underlyingIndex: underlyingIndex)
        var f = RealForm(count: layout.count)
        try forms.add(atom, times: 1, scenario: scenario, scenarioIndex: scenarioIndex, line: 0, into: &f)
        var acc = f.constant
        for k in 0..<layout.count {
            var unit = 1.0
            for _ in 0..<layout.unitDigits(of: k) { unit /= 10 }
            acc += (f.plus[k] * Double(plus[k]) + f.minus[k] * Double(minus[k])) * unit
        }
        return acc
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

    /// Rounds to the integer constraint, then enforces inflation safety.
    ///
    /// **Conservative rounding.** Each coefficient is `⌊a_k·10^(24 − d_k)⌋` and the constant
    /// `⌊c·10²⁴⌋`, computed exactly from the doubles (`ExactScaling.floor`). Every half is ≥ 0,
    /// so rounding every coefficient toward −∞ can only lower the slack: the integer slack is at
    /// most 10²⁴ times the real one, and at least that minus (Σ_k x_k⁺ + x_k⁻ + 1) units of 10⁻²⁴.
    /// A coefficient thus loses less than 10⁻²⁴ of the constraint's unit per witness unit: for
    /// an instrument (10⁻⁴ contract) that is 10⁻²⁰ per contract, for a balance (10⁻⁸) 10⁻¹⁶ per
    /// asset unit — below 10⁻⁹ of the coefficient for any coefficient ≥ 10⁻¹¹ per contract or
    /// 10⁻⁷ per asset unit (an asset priced 10⁻⁶ with a 90 % haircut still clears it).
    ///
    /// **Inflation safety.** A prover may commit any halves with the same difference, adding δ to
    /// both; that changes the slack by δ·(plus_k + minus_k). Where that sum is positive the
    /// constraint could be faked, so minus_k is lowered to −plus_k: for the honest split this only
    /// lowers the slack of negative members (a conservative statement), and inflation no longer helps.
    func integer(layout: WitnessLayout, line: Int, text: String) throws(StatementError) -> IntegerConstraint {
        var p = [Int128](repeating: 0, count: layout.count)
        var m = [Int128](repeating: 0, count: layout.count)
        for k in 0..<layout.count {
            let digits = WitnessLayout.slackDigits - layout.unitDigits(of: k)
            p[k] = try Self.fixed(plus[k], digits: digits, bound: StatementSystem.coefficientBound, line: line, member: k)
            m[k] = try Self.fixed(minus[k], digits: digits, bound: StatementSystem.coefficientBound, line: line, member: k)
            if p[k] + m[k] > 0 { m[k] = -p[k] }
        }
        // A whole-unit companion takes its base's coefficients times 10⁸, exactly (not its own
        // rounding of a·10²⁴): the statement then depends on base and companion only through
        // base + 10⁸·companion, so no split of a balance between them can gain (SPEC §14.3).
        for k in 0..<layout.count {
            guard case .wholeUnits(let b) = layout.roles[k] else { continue }
            let scale: Int128 = 100_000_000
            let (pp, o1) = p[b].multipliedReportingOverflow(by: scale)
            let (mm, o2) = m[b].multipliedReportingOverflow(by: scale)
            guard !o1, !o2, pp.magnitude < StatementSystem.companionBound.magnitude,
                  mm.magnitude < StatementSystem.companionBound.magnitude else {
                throw .coefficientOutOfRange(line: line, member: "witness member \(b)")
            }
            p[k] = pp; m[k] = mm
        }
        let c = try Self.fixed(constant, digits: WitnessLayout.slackDigits, bound: StatementSystem.constantBound,
                               line: line, member: -1)
        return IntegerConstraint(plus: p, minus: m, constant: c, line: line, text: text)
    }

    private static func fixed(_ x: Double, digits: Int, bound: Int128, line: Int, member: Int) throws(StatementError) -> Int128 {
        guard let v = ExactScaling.floor(x, digits: digits, bound: bound) else {
            throw .coefficientOutOfRange(line: line, member: member < 0 ? "the constant term" : "witness member \(member)")
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
            // The engine's cross margin (SPEC §6.4): Σ over tier tables of the tiered requirement
            // of each future/perpetual's net notional, plus each short option's standard margin.
            // Tiered part: the committed witness M_k through its plus half only (M_k⁺ ≥ M_k⁺ − M_k⁻,
            // which the tier constraints bound from below, and M_k⁺ ≥ 0 covers the engine's floor
            // at zero). Options: the per-contract short requirement c_i times x_i⁻ ≥ max(0, −q_i),
            // exact on the honest split (a long option needs nothing).
            let initial: Bool
            if case .im = atom { initial = true } else { initial = false }
            for k in 0..<n {
                switch layout.roles[k] {
                case .maintenanceMargin where !initial, .initialMargin where initial:
                    f.plus[k] += m
                case .instrument where rows[k].isOption:
                    f.minus[k] += m * (initial ? rows[k].shortOptionIM : rows[k].shortOptionMM)
                default: break
                }
            }
        }
    }

    /// The tier constraints that make each committed margin witness M_k a sound upper bound of
    /// the engine's tiered requirement summed over the table's futures and perpetuals:
    /// `M_k − (a_t·G_k − b_t) ≥ 0` for every line t, with `G_k = Σ_{i∈k} notional_i·(x_i⁺ + x_i⁻)`
    /// (an upper bound of the table's gross notional).
    ///
    /// Why this is sound: let g(G) = max(0, max_t(a_t·G − b_t)). Every line has a_t ≥ 0 and
    /// b_t ≥ 0, so g is convex, non-decreasing and g(0) = 0, hence superadditive:
    /// Σ_i g(G_i) ≤ g(Σ_i G_i). Each line set below satisfies g ≥ the engine's per-instrument
    /// requirement on every notional, so Σ_i req(n_i) ≤ Σ_i g(n_i) ≤ g(Σ n_i) ≤ g(G_k) ≤ M_k⁺.
    ///
    /// - Maintenance: the snapshot's lines (mmr_t, cum_t); the engine's requirement is
    ///   max(0, n·mmr_t(n) − cum_t(n)) for the bracket t(n) of n, one of the lines.
    /// - Initial: the engine's requirement n·imr_t(n) jumps up at each bracket boundary, so no
    ///   convex function through the origin follows it; the lines are the chords through
    ///   P_{t−1} = (cap_{t−1}, imr_t·cap_{t−1}) and P_t = (cap_t, imr_{t+1}·cap_t) (cap_0 = 0), which
    ///   lie above n·imr_t on bracket t; the last chord covers the unbounded top bracket too
    ///   (`initialLines`). Tightness: on bracket t the bound is at most imr_{t+1}/imr_t times the
    ///   engine's figure (SPEC §14.2).
    func tierConstraints(initial: Bool) throws(StatementError) -> [IntegerConstraint] {
        var out: [IntegerConstraint] = []
        for (k, name) in layout.tierTables.enumerated() {
            guard let tiers = market.margin.tierTables[name] else { continue }
            let member = layout.roles.firstIndex {
                if initial, case .initialMargin(let j) = $0 { return j == k }
                if !initial, case .maintenanceMargin(let j) = $0 { return j == k }
                return false
            }!
            let lines = initial ? Self.initialLines(tiers) : Self.maintenanceLines(tiers)
            for (t, l) in lines.enumerated() {
                var f = RealForm(count: rows.count)
                f.addExact(member, 1)
                for i in 0..<rows.count where rows[i].isInstrument && rows[i].tierTable == k {
                    f.addGross(i, -(l.slope * rows[i].notional))
                }
                f.constant = l.intercept
                let what = initial ? "im" : "mm"
                out.append(try f.integer(layout: layout, line: 0,
                                         text: "\(what)[\(name)] >= \(l.slope) * gross[\(name)] - \(l.intercept)   [line \(t + 1)]"))
            }
        }
        return out
    }

    /// A line a·G − b of a tier bound.
    struct Line: Equatable { var slope: Double; var intercept: Double }

    /// The maintenance lines: (mmr_t, cum_t) as the snapshot gives them (the decoder checks
    /// cum_t ≥ 0 and rates increasing, so b_t ≥ 0 and a_t ≥ 0).
    static func maintenanceLines(_ tiers: [MarginTier]) -> [Line] {
        tiers.map { Line(slope: $0.maintenanceRate, intercept: max(0, $0.cumulativeDeduction)) }
    }

    /// The initial-margin chords. With caps c_1 < … < c_{T−1} (c_0 = 0) and rates r_1 ≤ … ≤ r_T:
    /// for t = 1…T−1, y_t = max(r_t, r_{t+1})·c_t and
    ///     a_t = (y_t − r_t·c_{t−1}) / (c_t − c_{t−1}),   b_t = (a_t − r_t)·c_{t−1}
    /// (in this order of operations). A single tier gives the line (r_1, 0).
    /// a_t ≥ r_t makes b_t ≥ 0; the chord meets n·r_t at c_{t−1} and lies on or above it at c_t,
    /// so it covers bracket t; a_{T−1} ≥ r_T and the chord's value r_T·c_{T−1} at c_{T−1} cover
    /// the top bracket.
    static func initialLines(_ tiers: [MarginTier]) -> [Line] {
        guard tiers.count > 1 else { return tiers.map { Line(slope: $0.initialRate, intercept: 0) } }
        var out: [Line] = []
        var prevCap = 0.0
        for t in 0..<(tiers.count - 1) {
            guard let cap = tiers[t].maxNotional else { break }
            let r = tiers[t].initialRate, next = tiers[t + 1].initialRate
            let y = max(r, next) * cap
            let a = (y - r * prevCap) / (cap - prevCap)
            out.append(Line(slope: a, intercept: (a - r) * prevCap))
            prevCap = cap
        }
        return out
    }
}

