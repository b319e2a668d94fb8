import SystemCrypto
import RiskEngine
/// The compiled form of a circuit: a list of linear constraints `Σ terms ≥ 0` over metric atoms.
///
/// Every metric atom is linear in the committed position quantities (the attestation layer turns
/// it into public per-instrument coefficients computed from the snapshot), so each compiled
/// constraint is one linear inequality the prover shows with a range proof on its slack.

/// Which scenario a scenario-indexed metric refers to.
public enum ScenarioRef: Sendable, Hashable {
    /// The variable `s` of `for each scenario s`: the constraint is repeated for every snapshot scenario.
    case bound
    /// One scenario by its snapshot name.
    case named(String)
}

/// A metric of the book that is linear in the committed quantities.
///
/// `gross`, `gross[U]`, `gross_delta[U]`, `mm` and `im` are not linear in the signed quantities
/// (they involve |q|); they are computed from the committed x⁺/x⁻ split, which gives a value that is
/// only an upper bound of the true one (x⁺ + x⁻ ≥ |x⁺ − x⁻|). See `isUpperBoundOnly`.
public enum MetricAtom: Sendable, Hashable {
    case equity, collateral, funding, theta, gross, mm, im
    case value(scenario: ScenarioRef), loss(ScenarioRef), weightedLoss(ScenarioRef)
    case delta(String), grossDelta(String), gamma(String), vega(String), vegaBucket(String, String), grossUnderlying(String)

    /// True for atoms known to the verifier only as an upper bound: they may appear only where an
    /// upper bound suffices (negative coefficient in the normalised `Σ ≥ 0` form).
    public var isUpperBoundOnly: Bool {
        switch self {
        case .gross, .grossUnderlying, .grossDelta, .mm, .im: return true
        default: return false
        }
    }

    /// True when the atom refers to the bound scenario variable.
    public var usesBoundScenario: Bool {
        switch self {
        case .value(let s), .loss(let s), .weightedLoss(let s): return s == .bound
        default: return false
        }
    }

    /// Source spelling, with `s` for the bound scenario.
    public var text: String {
        func sc(_ s: ScenarioRef) -> String { if case .named(let n) = s { return n } else { return "s" } }
        switch self {
        case .equity: return "equity"
        case .collateral: return "collateral"
        case .funding: return "funding"
        case .theta: return "theta"
        case .gross: return "gross"
        case .mm: return "mm"
        case .im: return "im"
        case .value(let s): return "value[\(sc(s))]"
        case .loss(let s): return "loss[\(sc(s))]"
        case .weightedLoss(let s): return "weighted_loss[\(sc(s))]"
        case .delta(let u): return "delta[\(u)]"
        case .grossDelta(let u): return "gross_delta[\(u)]"
        case .gamma(let u): return "gamma[\(u)]"
        case .vega(let u): return "vega[\(u)]"
        case .vegaBucket(let u, let b): return "vega[\(u), \(b)]"
        case .grossUnderlying(let u): return "gross[\(u)]"
        }
    }
}

/// A public number the verifier knows: a snapshot value or a circuit parameter (non-negative).
public enum PublicFactor: Sendable, Hashable, Comparable {
    /// The snapshot index price of underlying U (positive).
    case spot(String)
    /// A circuit parameter (its default or the override bound into the attestation; never negative).
    case param(String)

    public var text: String {
        switch self {
        case .spot(let u): return "spot[\(u)]"
        case .param(let p): return p
        }
    }

    public static func < (a: PublicFactor, b: PublicFactor) -> Bool {
        switch (a, b) {
        case (.spot(let x), .spot(let y)), (.param(let x), .param(let y)): return Array(x.utf8).lexicographicallyPrecedes(Array(y.utf8))
        case (.spot, .param): return true
        case (.param, .spot): return false
        }
    }
}

/// `coefficient × Π factors × atom` (atom nil: a constant term).
public struct LinearTerm: Sendable, Hashable {
    public var coefficient: ExactDecimal
    /// Sorted (spot before param, then by name); a factor may repeat.
    public var factors: [PublicFactor]
    public var atom: MetricAtom?

    public init(coefficient: ExactDecimal, factors: [PublicFactor], atom: MetricAtom?) {
        self.coefficient = coefficient
        self.factors = factors.sorted()
        self.atom = atom
    }
}

/// One compiled constraint: Σ terms ≥ 0.
public struct CompiledConstraint: Sendable, Hashable {
    public var terms: [LinearTerm]
    /// When true the constraint stands for one inequality per snapshot scenario, with
    /// `ScenarioRef.bound` replaced by that scenario.
    public var forEachScenario: Bool
    /// 1-based source line of the `require` it came from.
    public var line: Int
    /// Readable normalised form, e.g. `equity - 1.2*loss[s] >= 0  (for each scenario s)`.
    public var text: String

    public init(terms: [LinearTerm], forEachScenario: Bool, line: Int, text: String) {
        self.terms = terms
        self.forEachScenario = forEachScenario
        self.line = line
        self.text = text
    }

    /// The instance of a quantified constraint for one snapshot scenario: every `ScenarioRef.bound`
    /// becomes `.named(scenario)`. A constraint that is not quantified is returned unchanged.
    /// Terms keep their order (the atom kind, not the scenario name, decides it).
    public func instantiated(scenario: String) -> CompiledConstraint {
        guard forEachScenario else { return self }
        func bind(_ a: MetricAtom?) -> MetricAtom? {
            switch a {
            case .value(.bound): return .value(scenario: .named(scenario))
            case .loss(.bound): return .loss(.named(scenario))
            case .weightedLoss(.bound): return .weightedLoss(.named(scenario))
            default: return a
            }
        }
        let bound = terms.map { LinearTerm(coefficient: $0.coefficient, factors: $0.factors, atom: bind($0.atom)) }
        return CompiledConstraint(terms: bound, forEachScenario: false, line: line, text: Evaluator.render(bound, false))
    }
}

/// Why a circuit does not compile, or a parameter override is unusable. Every compile error names
/// its 1-based source line.
public enum CircuitError: Error, Equatable, CustomStringConvertible {
    case syntax(line: Int, String)
    case missingHeader
    case noConstraints
    case invalidDecimal(line: Int, String)
    case duplicateParam(line: Int, String)
    case reservedParamName(line: Int, String)
    case negativeParam(line: Int, String)
    case unknownIdentifier(line: Int, String)
    case unknownMetric(line: Int, String)
    case badIndex(line: Int, String)
    case unboundScenarioVariable(line: Int, String)
    case multipleScenarioQuantifiers(line: Int)
    case nonLinearProduct(line: Int, String)
    case unknownSign(line: Int, String)
    case convexOnWrongSide(line: Int, String)
    case negativeCoefficientOnConvex(line: Int, String)
    case upperBoundAtomOnWrongSide(line: Int, String)
    case notAffine(line: Int, String)
    case constantConstraint(line: Int)
    case expansionTooLarge(line: Int, Int)
    case coefficientOutOfRange(line: Int)
    case sourceTooLarge(Int)
    case unknownParam(String)
    case invalidParamValue(name: String, value: String)

    /// Escaped with `UntrustedText` (RiskEngine): the message may quote text from an input file,
    /// which must not reach a terminal raw.
    public var description: String { UntrustedText.escape(unescapedDescription) }

    private var unescapedDescription: String {
        switch self {
        case .syntax(let l, let m): return "line \(l): syntax error: \(m)"
        case .missingHeader: return "line 1: the circuit must start with `circuit NAME vN`"
        case .noConstraints: return "the circuit has no `require` line"
        case .invalidDecimal(let l, let t): return "line \(l): \"\(t)\" is not a decimal number (digits with an optional fraction, at most 18 significant digits)"
        case .duplicateParam(let l, let n): return "line \(l): parameter \(n) is declared twice"
        case .reservedParamName(let l, let n): return "line \(l): \(n) is a metric or keyword and cannot be a parameter name"
        case .negativeParam(let l, let n): return "line \(l): parameter \(n) must be non-negative (signs of parameter coefficients must be known at compile time)"
        case .unknownIdentifier(let l, let n): return "line \(l): unknown metric or parameter \"\(n)\" (parameters must be declared with `param` before use)"
        case .unknownMetric(let l, let n): return "line \(l): unknown metric \"\(n)[...]\""
        case .badIndex(let l, let m): return "line \(l): \(m)"
        case .unboundScenarioVariable(let l, let n): return "line \(l): scenario variable \(n) is not bound; add `for each scenario \(n)`"
        case .multipleScenarioQuantifiers(let l): return "line \(l): at most one `for each scenario` may apply to one requirement (two independent scenario variables cannot be expressed)"
        case .nonLinearProduct(let l, let m): return "line \(l): non-linear product: \(m)"
        case .unknownSign(let l, let m): return "line \(l): \(m)"
        case .convexOnWrongSide(let l, let c): return "line \(l): \(c) cannot be compiled soundly here: max(...)/abs(...) only on the side that must be smaller (right of >=, left of <=), min(...) only on the side that must be larger"
        case .negativeCoefficientOnConvex(let l, let c): return "line \(l): \(c) has a negative coefficient, which turns it into the wrong kind of bound; only non-negative multiples of max/abs/min are sound"
        case .upperBoundAtomOnWrongSide(let l, let a): return "line \(l): \(a) is committed only as an upper bound (x⁺ + x⁻ split), so it may appear only on the side that must be smaller, with a non-negative coefficient"
        case .notAffine(let l, let m): return "line \(l): \(m)"
        case .constantConstraint(let l): return "line \(l): the requirement involves no metric (it is a constant comparison)"
        case .expansionTooLarge(let l, let n): return "line \(l): expands to \(n) or more linear constraints (limit \(Circuit.maxExpansion))"
        case .coefficientOutOfRange(let l): return "line \(l): a coefficient does not fit 18 significant decimal digits"
        case .sourceTooLarge(let n): return "circuit source of \(n) bytes exceeds the 1 MiB limit"
        case .unknownParam(let n): return "unknown parameter \"\(n)\" (not declared by the circuit)"
        case .invalidParamValue(let n, let v): return "parameter \(n): \"\(v)\" is not a non-negative decimal number"
        }
    }
}

/// A compiled circuit.
public struct Circuit: Sendable {
    public var name: String
    public var version: Int
    /// Declaration order; default values as canonical decimal text.
    public var params: [(name: String, defaultValue: String)]
    public var constraints: [CompiledConstraint]

    /// Upper limit on linear constraints one `require` line may expand to.
    public static let maxExpansion = 4096
    /// Domain separation for the circuit hash.
    public static let hashDomain = "riskattest/circuit/v1"
    /// Version byte at the start of `canonicalEncoding`.
    public static let encodingVersion: UInt8 = 1

    public init(name: String, version: Int, params: [(name: String, defaultValue: String)], constraints: [CompiledConstraint]) {
        self.name = name
        self.version = version
        self.params = params
        self.constraints = constraints
    }

    public static func compile(source: String) throws(CircuitError) -> Circuit {
        try CircuitCompiler.compile(source)
    }

    /// Parameter values for proving/verifying: defaults, replaced by `overrides` (NAME → decimal text).
    /// Every override must name a declared parameter and be a non-negative decimal.
    public func resolvedParams(overrides: [String: String] = [:]) throws(CircuitError) -> [String: ExactDecimal] {
        var out: [String: ExactDecimal] = [:]
        for p in params {
            guard let v = ExactDecimal(text: p.defaultValue) else { throw .invalidParamValue(name: p.name, value: p.defaultValue) }
            out[p.name] = v
        }
        for (name, text) in overrides {
            guard out[name] != nil else { throw .unknownParam(name) }
            guard let v = ExactDecimal(text: text), !v.isNegative else { throw .invalidParamValue(name: name, value: text) }
            out[name] = v
        }
        return out
    }

    // MARK: Canonical encoding (SPEC §12.4)

    /// Deterministic bytes of everything that gives the circuit its meaning: name, version,
    /// parameters with defaults (sorted by name), and the constraint list in order. Source lines and
    /// texts are excluded, so whitespace and comments do not change it.
    public var canonicalEncoding: [UInt8] {
        var w = ByteWriter()
        w.u8(Circuit.encodingVersion)
        w.string(name)
        w.u32(UInt32(truncatingIfNeeded: version))
        let sorted = params.sorted { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
        w.u32(UInt32(sorted.count))
        for p in sorted {
            w.string(p.name)
            w.decimal(ExactDecimal(text: p.defaultValue) ?? .zero)
        }
        w.u32(UInt32(constraints.count))
        for c in constraints {
            w.u8(c.forEachScenario ? 1 : 0)
            w.u32(UInt32(c.terms.count))
            for t in c.terms {
                w.decimal(t.coefficient)
                w.u32(UInt32(t.factors.count))
                for f in t.factors { w.factor(f) }
                w.atom(t.atom)
            }
        }
        return w.bytes
    }

    /// SHA-256( u32le(len(domain)) ‖ domain ‖ canonicalEncoding ) with domain "riskattest/circuit/v1".
    public var hash: [UInt8] {
        var w = ByteWriter()
        w.string(Circuit.hashDomain)
        return Digest.sha256.hash(w.bytes + canonicalEncoding)
    }
}

/// Little-endian (SPEC §1), length-prefixed field writer for the canonical encoding.
struct ByteWriter {
    var bytes: [UInt8] = []
    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u32(_ v: UInt32) { for s in [0, 8, 16, 24] { bytes.append(UInt8(truncatingIfNeeded: v >> UInt32(s))) } }
    mutating func i32(_ v: Int32) { u32(UInt32(bitPattern: v)) }
    mutating func i64(_ v: Int64) { let u = UInt64(bitPattern: v); for s in stride(from: 0, through: 56, by: 8) { bytes.append(UInt8(truncatingIfNeeded: u >> UInt64(s))) } }
    mutating func string(_ s: String) { let b = Array(s.utf8); u32(UInt32(b.count)); bytes += b }
    mutating func decimal(_ d: ExactDecimal) { i64(d.mantissa); i32(d.exponent) }
    mutating func factor(_ f: PublicFactor) {
        switch f {
        case .spot(let u): u8(1); string(u)
        case .param(let p): u8(2); string(p)
        }
    }
    mutating func scenario(_ s: ScenarioRef) {
        switch s {
        case .bound: u8(0)
        case .named(let n): u8(1); string(n)
        }
    }
    mutating func atom(_ a: MetricAtom?) {
        guard let a else { u8(0); return }
        switch a {
        case .equity: u8(1)
        case .collateral: u8(2)
        case .funding: u8(3)
        case .theta: u8(4)
        case .gross: u8(5)
        case .mm: u8(6)
        case .im: u8(7)
        case .value(let s): u8(8); scenario(s)
        case .loss(let s): u8(9); scenario(s)
        case .weightedLoss(let s): u8(10); scenario(s)
        case .delta(let u): u8(11); string(u)
        case .grossDelta(let u): u8(12); string(u)
        case .gamma(let u): u8(13); string(u)
        case .vega(let u): u8(14); string(u)
        case .vegaBucket(let u, let b): u8(15); string(u); string(b)
        case .grossUnderlying(let u): u8(16); string(u)
        }
    }
}
