import RiskEngine

/// The circuit compiler: lexer, recursive-descent parser and a sound piecewise-linear evaluator.
///
/// Soundness argument (SPEC §12.3). Every expression is evaluated to a difference-of-convex form
///
///     e = max(P₁, …, Pₘ) + min(Q₁, …, Qₙ)          (Pᵢ, Qⱼ affine in the metric atoms)
///
/// which is closed under +, scaling by a public monomial c (c ≥ 0 keeps P and Q; c < 0 swaps them),
/// max of convex arguments (union of P lists), min of concave arguments (union of Q lists), and
/// abs(a) = max(a, −a) for affine a. A requirement `L >= R` becomes F = L − R ≥ 0. When F's max part
/// is a single affine piece p, F = min_j (p + Qⱼ), and F ≥ 0 ⇔ p + Qⱼ ≥ 0 for every j: an exact
/// conjunction of linear constraints. A non-trivial max part would need a disjunction, which a
/// conjunction of range proofs cannot express: that is the compile error "on the wrong side".
/// Atoms known only as upper bounds (gross, mm, ...) are sound exactly when their coefficient in
/// every expanded constraint is ≤ 0: replacing them by something larger can only make the
/// proven inequality harder.
enum CircuitCompiler {
    /// Circuits are small hand-written files; a bound keeps hostile input cheap to reject.
    static let maxSourceBytes = 1 << 20
    static func compile(_ source: String) throws(CircuitError) -> Circuit {
        var name: String? = nil
        var version = 0
        var params: [(name: String, defaultValue: String)] = []
        var paramNames = Set<String>()
        var constraints: [CompiledConstraint] = []
        guard source.utf8.count <= maxSourceBytes else { throw .sourceTooLarge(source.utf8.count) }
        let lines = Array(source.utf8).split(separator: 10, omittingEmptySubsequences: false)
        for (i, raw) in lines.enumerated() {
            let lineNo = i + 1
            var text = String(decoding: raw.last == 13 ? raw.dropLast() : raw, as: UTF8.self)
            if let hash = text.firstIndex(of: "#") { text = String(text[..<hash]) }
            let tokens = try Lexer.tokenize(text, line: lineNo)
            guard let first = tokens.first else { continue }
            guard case .ident(let keyword) = first else { throw .syntax(line: lineNo, "expected `circuit`, `param` or `require`") }
            switch keyword {
            case "circuit":
                guard name == nil else { throw .syntax(line: lineNo, "second `circuit` header") }
                guard constraints.isEmpty, params.isEmpty else { throw .missingHeader }
                // circuit NAME vN: NAME is [a-z0-9-]+ (lexed as ident/minus sequence), re-read from text.
                let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" })
                guard words.count == 3 else { throw .syntax(line: lineNo, "expected `circuit NAME vN`") }
                let n = String(words[1])
                guard !n.isEmpty, n.utf8.allSatisfy({ ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 }),
                      n.first != "-" else {
                    throw .syntax(line: lineNo, "circuit name must use lowercase letters, digits and '-'")
                }
                let v = words[2]
                guard v.first == "v", let num = Int(v.dropFirst()), num >= 1, num < 1 << 31,
                      v.dropFirst().allSatisfy({ $0.isASCII && $0.isNumber }), v.dropFirst().first != "0" else {
                    throw .syntax(line: lineNo, "version must be v1, v2, ...")
                }
                name = n
                version = num
            case "param":
                guard name != nil else { throw .missingHeader }
                guard tokens.count == 4, case .ident(let pname) = tokens[1], tokens[2] == .equals else {
                    if tokens.count == 5, tokens[3] == .minus { throw .negativeParam(line: lineNo, tokens[1].text) }
                    throw .syntax(line: lineNo, "expected `param NAME = DECIMAL`")
                }
                guard case .number(let t) = tokens[3] else { throw .syntax(line: lineNo, "expected `param NAME = DECIMAL`") }
                guard let value = ExactDecimal(text: t) else { throw .invalidDecimal(line: lineNo, t) }
                guard !Names.reserved.contains(pname) else { throw .reservedParamName(line: lineNo, pname) }
                guard !paramNames.contains(pname) else { throw .duplicateParam(line: lineNo, pname) }
                paramNames.insert(pname)
                params.append((pname, value.description))
            case "require":
                guard name != nil else { throw .missingHeader }
                var parser = Parser(tokens: Array(tokens.dropFirst()), line: lineNo)
                let req = try parser.parseRequire()
                let evaluator = Evaluator(line: lineNo, params: paramNames)
                let compiled = try evaluator.compile(req)
                constraints += compiled
            default:
                throw .syntax(line: lineNo, "expected `circuit`, `param` or `require`, found \"\(keyword)\"")
            }
        }
        guard let name else { throw .missingHeader }
        guard !constraints.isEmpty else { throw .noConstraints }
        return Circuit(name: name, version: version, params: params, constraints: constraints)
    }
}

enum Names {
    /// Metrics without an index.
    static let plain: [String: MetricAtom] = ["equity": .equity, "collateral": .collateral, "funding": .funding,
                                              "theta": .theta, "gross": .gross, "mm": .mm, "im": .im]
    static let indexed: Set<String> = ["value", "loss", "weighted_loss", "delta", "gross_delta", "gamma", "vega", "gross", "spot"]
    static let functions: Set<String> = ["max", "min", "abs"]
    static let keywords: Set<String> = ["circuit", "param", "require", "for", "each", "scenario"]
    static var reserved: Set<String> { Set(plain.keys).union(indexed).union(functions).union(keywords) }
    /// Expiry bucket spellings, identical to RiskEngine's `ExpiryBucket` raw values.
    static let buckets: Set<String> = ["<30d", "30-90d", ">90d"]
}

// MARK: - Lexer

enum Token: Equatable {
    case ident(String), number(String), index([String])
    case plus, minus, star, lparen, rparen, comma, ge, le, equals

    var text: String {
        switch self {
        case .ident(let s), .number(let s): return s
        case .index(let parts): return "[" + parts.joined(separator: ", ") + "]"
        case .plus: return "+"
        case .minus: return "-"
        case .star: return "*"
        case .lparen: return "("
        case .rparen: return ")"
        case .comma: return ","
        case .ge: return ">="
        case .le: return "<="
        case .equals: return "="
        }
    }
}

enum Lexer {
    static func tokenize(_ text: String, line: Int) throws(CircuitError) -> [Token] {
        let c = Array(text.utf8)
        var i = 0
        var out: [Token] = []
        func isIdentStart(_ b: UInt8) -> Bool { (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 95 }
        func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }
        while i < c.count {
            let b = c[i]
            if b == 32 || b == 9 { i += 1; continue }
            if isIdentStart(b) {
                var j = i
                while j < c.count, isIdentStart(c[j]) || isDigit(c[j]) { j += 1 }
                out.append(.ident(String(decoding: c[i..<j], as: UTF8.self)))
                i = j
            } else if isDigit(b) {
                var j = i
                while j < c.count, isDigit(c[j]) || c[j] == 46 { j += 1 }
                if j < c.count, isIdentStart(c[j]) {
                    throw .syntax(line: line, "unexpected \"\(String(decoding: c[i...j], as: UTF8.self))\" (write a product with `*`)")
                }
                out.append(.number(String(decoding: c[i..<j], as: UTF8.self)))
                i = j
            } else if b == 91 { // '[' : raw index list up to ']'
                guard let close = c[i...].firstIndex(of: 93) else { throw .syntax(line: line, "missing `]`") }
                let inner = String(decoding: c[(i + 1)..<close], as: UTF8.self)
                let parts = inner.split(separator: ",", omittingEmptySubsequences: false).map {
                    String($0.drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
                }
                for p in parts {
                    guard !p.isEmpty, p.utf8.allSatisfy({ isIdentStart($0) || isDigit($0) || $0 == 45 || $0 == 46 || $0 == 60 || $0 == 62 }) else {
                        throw .badIndex(line: line, "invalid index \"\(p)\" in [\(inner)]")
                    }
                }
                out.append(.index(parts))
                i = close + 1
            } else {
                let next: UInt8? = i + 1 < c.count ? c[i + 1] : nil
                switch b {
                case 43: out.append(.plus)
                case 45: out.append(.minus)
                case 42: out.append(.star)
                case 40: out.append(.lparen)
                case 41: out.append(.rparen)
                case 44: out.append(.comma)
                case 61: out.append(.equals)
                case 62 where next == 61: out.append(.ge); i += 1
                case 60 where next == 61: out.append(.le); i += 1
                default:
                    // The offending character is named exactly (a look-alike such as U+2212 MINUS
                    // SIGN is a common typo) but escaped: the circuit file may come from someone
                    // else, and this message goes to a terminal, so ESC shows as \u{1B}, an RLO
                    // as \u{202E}, and a byte outside valid UTF-8 as \xNN.
                    var scalarBytes = c[i...].makeIterator()
                    var parser = Unicode.UTF8.ForwardParser()
                    let length: Int
                    switch parser.parseScalar(from: &scalarBytes) {
                    case .valid(let encoded): length = encoded.count
                    case .error(let n): length = n
                    case .emptyInput: length = 1
                    }
                    let ch = UntrustedText.escape(bytes: c[i..<min(c.count, i + length)])
                    throw .syntax(line: line, "unexpected \(b < 128 ? "" : "non-ASCII ")character \"\(ch)\"" +
                                  (b == 47 ? " (division is not supported; write a decimal constant)" : ""))
                }
                i += 1
            }
        }
        return out
    }
}

// MARK: - Parser

indirect enum Expr {
    case number(ExactDecimal)
    case name(String)
    case indexed(String, [String])
    case call(String, [Arg])
    case neg(Expr)
    /// Σ ± terms, kept flat so that evaluation depth depends on nesting, not on the number of terms.
    case sum([(negated: Bool, term: Expr)])
    /// Π factors, flat for the same reason.
    case product([Expr])
}

struct Arg { var expr: Expr; var scenarioVariable: String? }

struct Requirement {
    var larger: Expr       // the side bounded below
    var smaller: Expr      // the side bounded above
    var scenarioVariable: String?
}

struct Parser {
    let tokens: [Token]
    let line: Int
    var pos = 0
    var depth = 0
    /// Bounds recursion on untrusted input (parentheses and function calls).
    static let maxDepth = 32

    init(tokens: [Token], line: Int) { self.tokens = tokens; self.line = line }

    var peek: Token? { pos < tokens.count ? tokens[pos] : nil }

    mutating func parseRequire() throws(CircuitError) -> Requirement {
        let lhs = try parseExpr()
        guard let cmp = peek, cmp == .ge || cmp == .le else {
            throw .syntax(line: line, peek.map { "expected >= or <=, found \"\($0.text)\"" } ?? "expected >= or <=")
        }
        pos += 1
        let rhs = try parseExpr()
        let variable = try parseQuantifier()
        guard pos == tokens.count else { throw .syntax(line: line, "unexpected \"\(tokens[pos].text)\" after the requirement") }
        return cmp == .ge ? Requirement(larger: lhs, smaller: rhs, scenarioVariable: variable)
                          : Requirement(larger: rhs, smaller: lhs, scenarioVariable: variable)
    }

    /// `for each scenario IDENT`, if present.
    mutating func parseQuantifier() throws(CircuitError) -> String? {
        guard peek == .ident("for") else { return nil }
        guard pos + 3 < tokens.count, tokens[pos + 1] == .ident("each"), tokens[pos + 2] == .ident("scenario"),
              case .ident(let v) = tokens[pos + 3], !Names.reserved.contains(v) else {
            throw .syntax(line: line, "expected `for each scenario NAME`")
        }
        pos += 4
        return v
    }

    mutating func parseExpr() throws(CircuitError) -> Expr {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Parser.maxDepth else { throw .syntax(line: line, "expression nested more than \(Parser.maxDepth) levels deep") }
        var terms: [(negated: Bool, term: Expr)] = [(false, try parseTerm())]
        while let t = peek, t == .plus || t == .minus {
            pos += 1
            terms.append((t == .minus, try parseTerm()))
        }
        return terms.count == 1 && !terms[0].negated ? terms[0].term : .sum(terms)
    }

    mutating func parseTerm() throws(CircuitError) -> Expr {
        var factors = [try parseUnary()]
        while peek == .star {
            pos += 1
            factors.append(try parseUnary())
        }
        return factors.count == 1 ? factors[0] : .product(factors)
    }

    mutating func parseUnary() throws(CircuitError) -> Expr {
        var negations = 0
        while peek == .minus { pos += 1; negations += 1 }
        let e = try parsePrimary()
        return negations % 2 == 1 ? .neg(e) : e
    }

    mutating func parsePrimary() throws(CircuitError) -> Expr {
        guard let t = peek else { throw .syntax(line: line, "expression ends early") }
        pos += 1
        switch t {
        case .number(let text):
            guard let d = ExactDecimal(text: text) else { throw .invalidDecimal(line: line, text) }
            return .number(d)
        case .lparen:
            let e = try parseExpr()
            guard peek == .rparen else { throw .syntax(line: line, "missing `)`") }
            pos += 1
            return e
        case .ident(let name):
            if Names.functions.contains(name) {
                guard peek == .lparen else { throw .syntax(line: line, "\(name) needs arguments: \(name)(...)") }
                pos += 1
                var args: [Arg] = []
                while true {
                    let e = try parseExpr()
                    let v = try parseQuantifier()
                    args.append(Arg(expr: e, scenarioVariable: v))
                    if peek == .comma { pos += 1; continue }
                    guard peek == .rparen else { throw .syntax(line: line, "expected `,` or `)` in \(name)(...)") }
                    pos += 1
                    break
                }
                return .call(name, args)
            }
            if case .index(let parts) = peek {
                pos += 1
                return .indexed(name, parts)
            }
            return .name(name)
        default:
            throw .syntax(line: line, "unexpected \"\(t.text)\"")
        }
    }
}

// MARK: - Evaluation to difference-of-convex form

/// Key of a monomial: sorted public factors and an optional atom.
struct TermKey: Hashable {
    var factors: [PublicFactor]
    var atom: MetricAtom?
}

/// One affine piece: Σ coefficient × key.
struct Piece {
    var terms: [TermKey: ExactDecimal] = [:]
    /// True when the piece came from a scenario comprehension (or the line's quantifier).
    var perScenario = false
    var isPublic: Bool { terms.keys.allSatisfy { $0.atom == nil } && !perScenario }
}

/// Which construct made a max/min part non-trivial, and whether it has been negated since.
struct Origin { var construct: String; var negated: Bool }

/// e = max(upper) + min(lower).
struct DCValue {
    var upper: [Piece]
    var lower: [Piece]
    var upperOrigin: Origin?
    var lowerOrigin: Origin?

    static func affine(_ p: Piece) -> DCValue { DCValue(upper: [p], lower: [Piece()], upperOrigin: nil, lowerOrigin: nil) }
    var isAffine: Bool { upper.count == 1 && lower.count == 1 }
}

struct Evaluator {
    let line: Int
    let params: Set<String>

    func compile(_ req: Requirement) throws(CircuitError) -> [CompiledConstraint] {
        let lineVar = req.scenarioVariable
        let larger = try eval(req.larger, scenario: lineVar, inComprehension: false)
        let smaller = try eval(req.smaller, scenario: lineVar, inComprehension: false)
        // The larger side may only be bounded below: its max part must be affine.
        if larger.upper.count > 1, let o = larger.upperOrigin { throw originError(o) }
        if smaller.lower.count > 1, let o = smaller.lowerOrigin { throw originError(o) }
        let f = try add(larger, try scale(smaller, by: ExactDecimal(normalising: -1, 0), factors: []))
        guard f.upper.count == 1 else { throw .syntax(line: line, "internal: non-affine upper part") }
        let p = f.upper[0]
        var out: [CompiledConstraint] = []
        for q in f.lower {
            let piece = try sum(p, q)
            var terms: [LinearTerm] = []
            for (k, c) in piece.terms where !c.isZero {
                terms.append(LinearTerm(coefficient: c, factors: k.factors, atom: k.atom))
            }
            terms.sort(by: Evaluator.termOrder)
            for term in terms {
                if let a = term.atom, a.isUpperBoundOnly, !term.coefficient.isNegative { throw .upperBoundAtomOnWrongSide(line: line, a.text) }
            }
            guard terms.contains(where: { $0.atom != nil }) else { throw .constantConstraint(line: line) }
            let each = lineVar != nil || piece.perScenario || terms.contains { $0.atom?.usesBoundScenario == true }
            out.append(CompiledConstraint(terms: terms, forEachScenario: each, line: line, text: Evaluator.render(terms, each)))
        }
        return out
    }

    func originError(_ o: Origin) -> CircuitError {
        o.negated ? .negativeCoefficientOnConvex(line: line, o.construct) : .convexOnWrongSide(line: line, o.construct)
    }

    /// Canonical term order: atoms by their encoding, constants last; then factors.
    static func termOrder(_ a: LinearTerm, _ b: LinearTerm) -> Bool {
        func key(_ t: LinearTerm) -> [UInt8] {
            var w = ByteWriter()
            w.u8(t.atom == nil ? 1 : 0)
            w.atom(t.atom)
            w.u32(UInt32(t.factors.count))
            for f in t.factors { w.factor(f) }
            return w.bytes
        }
        return key(a).lexicographicallyPrecedes(key(b))
    }

    static func render(_ terms: [LinearTerm], _ each: Bool) -> String {
        var s = ""
        for (i, t) in terms.enumerated() {
            let neg = t.coefficient.isNegative
            let mag = (neg ? t.coefficient.negated : t.coefficient) ?? t.coefficient
            var parts: [String] = []
            if mag != .one || (t.atom == nil && t.factors.isEmpty) { parts.append(mag.description) }
            parts += t.factors.map(\.text)
            if let a = t.atom { parts.append(a.text) }
            let body = parts.joined(separator: "*")
            if i == 0 { s = (neg ? "-" : "") + body } else { s += (neg ? " - " : " + ") + body }
        }
        return s + " >= 0" + (each ? "  (for each scenario s)" : "")
    }

    // MARK: Pieces

    func sum(_ a: Piece, _ b: Piece) throws(CircuitError) -> Piece {
        if a.perScenario && b.perScenario { throw .multipleScenarioQuantifiers(line: line) }
        var r = a
        r.perScenario = a.perScenario || b.perScenario
        for (k, c) in b.terms {
            guard let s = (r.terms[k] ?? .zero).adding(c) else { throw .coefficientOutOfRange(line: line) }
            r.terms[k] = s
        }
        return r
    }

    func scalePiece(_ p: Piece, by c: ExactDecimal, factors: [PublicFactor]) throws(CircuitError) -> Piece {
        var r = Piece()
        r.perScenario = p.perScenario
        for (k, v) in p.terms {
            guard let m = v.multiplied(by: c) else { throw .coefficientOutOfRange(line: line) }
            let key = TermKey(factors: (k.factors + factors).sorted(), atom: k.atom)
            guard let s = (r.terms[key] ?? .zero).adding(m) else { throw .coefficientOutOfRange(line: line) }
            r.terms[key] = s
        }
        return r
    }

    func cross(_ a: [Piece], _ b: [Piece]) throws(CircuitError) -> [Piece] {
        guard a.count * b.count <= Circuit.maxExpansion else { throw .expansionTooLarge(line: line, a.count * b.count) }
        var out: [Piece] = []
        for x in a { for y in b { out.append(try sum(x, y)) } }
        return out
    }

    func add(_ a: DCValue, _ b: DCValue) throws(CircuitError) -> DCValue {
        DCValue(upper: try cross(a.upper, b.upper), lower: try cross(a.lower, b.lower),
                upperOrigin: a.upperOrigin ?? b.upperOrigin, lowerOrigin: a.lowerOrigin ?? b.lowerOrigin)
    }

    func scale(_ v: DCValue, by c: ExactDecimal, factors: [PublicFactor]) throws(CircuitError) -> DCValue {
        var up: [Piece] = [], lo: [Piece] = []
        for p in v.upper { up.append(try scalePiece(p, by: c, factors: factors)) }
        for p in v.lower { lo.append(try scalePiece(p, by: c, factors: factors)) }
        if c.isNegative {
            func flip(_ o: Origin?) -> Origin? { o.map { Origin(construct: $0.construct, negated: !$0.negated) } }
            return DCValue(upper: lo, lower: up, upperOrigin: flip(v.lowerOrigin), lowerOrigin: flip(v.upperOrigin))
        }
        return DCValue(upper: up, lower: lo, upperOrigin: v.upperOrigin, lowerOrigin: v.lowerOrigin)
    }

    // MARK: Expressions

    func eval(_ e: Expr, scenario: String?, inComprehension: Bool) throws(CircuitError) -> DCValue {
        switch e {
        case .number(let d):
            var p = Piece(); p.terms[TermKey(factors: [], atom: nil)] = d
            return .affine(p)
        case .name(let n):
            var p = Piece()
            if let a = Names.plain[n] {
                p.terms[TermKey(factors: [], atom: a)] = .one
            } else if params.contains(n) {
                p.terms[TermKey(factors: [.param(n)], atom: nil)] = .one
            } else if Names.indexed.contains(n) {
                throw .badIndex(line: line, "\(n) needs an index: \(n)[...]")
            } else {
                throw .unknownIdentifier(line: line, n)
            }
            return .affine(p)
        case .indexed(let n, let idx):
            var p = Piece()
            if n == "spot" {
                guard idx.count == 1 else { throw .badIndex(line: line, "spot takes one underlying: spot[U]") }
                p.terms[TermKey(factors: [.spot(idx[0])], atom: nil)] = .one
            } else {
                p.terms[TermKey(factors: [], atom: try atom(n, idx, scenario: scenario))] = .one
            }
            return .affine(p)
        case .neg(let x):
            return try scale(try eval(x, scenario: scenario, inComprehension: inComprehension), by: ExactDecimal(normalising: -1, 0), factors: [])
        case .sum(let terms):
            var acc = DCValue.affine(Piece())
            for (negated, term) in terms {
                var v = try eval(term, scenario: scenario, inComprehension: inComprehension)
                if negated { v = try scale(v, by: ExactDecimal(normalising: -1, 0), factors: []) }
                acc = try add(acc, v)
            }
            return acc
        case .product(let factors):
            var acc = try eval(factors[0], scenario: scenario, inComprehension: inComprehension)
            for f in factors.dropFirst() {
                acc = try multiply(acc, try eval(f, scenario: scenario, inComprehension: inComprehension))
            }
            return acc
        case .call(let f, let args):
            return try call(f, args, scenario: scenario, inComprehension: inComprehension)
        }
    }

    func isPublic(_ v: DCValue) -> Bool { v.isAffine && v.upper[0].isPublic && v.lower[0].isPublic }

    /// The public polynomial of a public value (upper + lower pieces summed).
    func publicPiece(_ v: DCValue) throws(CircuitError) -> Piece { try sum(v.upper[0], v.lower[0]) }

    func multiply(_ x: DCValue, _ y: DCValue) throws(CircuitError) -> DCValue {
        let (pub, other): (DCValue, DCValue)
        if isPublic(x) { (pub, other) = (x, y) } else if isPublic(y) { (pub, other) = (y, x) } else {
            throw .nonLinearProduct(line: line, "both factors involve metrics; coefficients may only be constants, parameters and spot[U]")
        }
        let poly = try publicPiece(pub).terms.filter { !$0.value.isZero }
        if other.isAffine {
            // Distribute a public polynomial over an affine value: stays affine.
            let a = try sum(other.upper[0], other.lower[0])
            var result = Piece()
            result.perScenario = a.perScenario
            for (k, c) in poly {
                for (key, v) in try scalePiece(a, by: c, factors: k.factors).terms {
                    guard let t = (result.terms[key] ?? .zero).adding(v) else { throw .coefficientOutOfRange(line: line) }
                    result.terms[key] = t
                }
            }
            return .affine(result)
        }
        // A convex/concave operand needs a coefficient of known sign: one monomial c × factors.
        guard poly.count <= 1 else {
            throw .unknownSign(line: line, "the coefficient of max/min/abs must be a single product of a constant and public factors, so that its sign is known")
        }
        guard let (k, c) = poly.first else { return .affine(Piece()) }
        return try scale(other, by: c, factors: k.factors)
    }

    func call(_ f: String, _ args: [Arg], scenario: String?, inComprehension: Bool) throws(CircuitError) -> DCValue {
        if f == "abs" {
            guard args.count == 1, args[0].scenarioVariable == nil else { throw .syntax(line: line, "abs takes one argument") }
            let v = try eval(args[0].expr, scenario: scenario, inComprehension: inComprehension)
            guard v.isAffine else { throw .notAffine(line: line, "abs(...) of a max/min expression is not supported; abs needs an affine argument") }
            let a = try sum(v.upper[0], v.lower[0])
            let minusA = try scalePiece(a, by: ExactDecimal(normalising: -1, 0), factors: [])
            return DCValue(upper: [a, minusA], lower: [Piece()], upperOrigin: Origin(construct: "abs(...)", negated: false), lowerOrigin: nil)
        }
        let isMax = f == "max"
        guard !args.isEmpty else { throw .syntax(line: line, "\(f) needs at least one argument") }
        var pieces: [Piece] = []
        for a in args {
            var sc = scenario
            if let v = a.scenarioVariable {
                if scenario != nil || inComprehension { throw .multipleScenarioQuantifiers(line: line) }
                sc = v
            }
            var value = try eval(a.expr, scenario: sc, inComprehension: inComprehension || a.scenarioVariable != nil)
            // A max needs convex arguments (trivial min part), a min concave ones.
            if isMax {
                guard value.lower.count == 1 else { throw .notAffine(line: line, "min(...) (or a negated max/abs) inside max(...) is neither convex nor concave") }
                let base = value.lower[0]
                var ps: [Piece] = []
                for p in value.upper { ps.append(try sum(p, base)) }
                value.upper = ps
                if a.scenarioVariable != nil { for i in value.upper.indices { value.upper[i].perScenario = true } }
                pieces += value.upper
            } else {
                guard value.upper.count == 1 else { throw .notAffine(line: line, "max(...)/abs(...) (or a negated min) inside min(...) is neither convex nor concave") }
                let base = value.upper[0]
                var ps: [Piece] = []
                for p in value.lower { ps.append(try sum(p, base)) }
                if a.scenarioVariable != nil { for i in ps.indices { ps[i].perScenario = true } }
                pieces += ps
            }
            guard pieces.count <= Circuit.maxExpansion else { throw .expansionTooLarge(line: line, pieces.count) }
        }
        let origin = Origin(construct: "\(f)(...)", negated: false)
        return isMax ? DCValue(upper: pieces, lower: [Piece()], upperOrigin: origin, lowerOrigin: nil)
                     : DCValue(upper: [Piece()], lower: pieces, upperOrigin: nil, lowerOrigin: origin)
    }

    func atom(_ n: String, _ idx: [String], scenario: String?) throws(CircuitError) -> MetricAtom {
        func one() throws(CircuitError) -> String {
            guard idx.count == 1 else { throw .badIndex(line: line, "\(n) takes one index: \(n)[...]") }
            return idx[0]
        }
        func scen() throws(CircuitError) -> ScenarioRef {
            let s = try one()
            if s == scenario { return .bound }
            if s.count == 1, s.first?.isLowercase == true { throw .unboundScenarioVariable(line: line, s) }
            return .named(s)
        }
        func underlying() throws(CircuitError) -> String {
            let u = try one()
            guard !Names.buckets.contains(u), u != scenario else { throw .badIndex(line: line, "\(n)[\(u)]: expected an underlying such as BTC") }
            return u
        }
        switch n {
        case "value": return .value(scenario: try scen())
        case "loss": return .loss(try scen())
        case "weighted_loss": return .weightedLoss(try scen())
        case "delta": return .delta(try underlying())
        case "gross_delta": return .grossDelta(try underlying())
        case "gamma": return .gamma(try underlying())
        case "gross": return .grossUnderlying(try underlying())
        case "vega":
            if idx.count == 2 {
                guard Names.buckets.contains(idx[1]) else {
                    throw .badIndex(line: line, "vega[\(idx[0]), \(idx[1])]: the bucket must be one of <30d, 30-90d, >90d")
                }
                return .vegaBucket(idx[0], idx[1])
            }
            return .vega(try underlying())
        default:
            if Names.plain[n] != nil { throw .badIndex(line: line, "\(n) takes no index") }
            throw .unknownMetric(line: line, n)
        }
    }
}
