import Attestation
import RiskEngine

/// Errors building the private witness from a book. Messages name the instrument or constraint
/// but never print private quantities beyond what the user's own book already shows them.
public enum WitnessError: Error, Equatable, CustomStringConvertible {
    case quantityResolution(instrument: String)
    case quantityTooLarge(instrument: String, bits: Int)
    case balanceOutOfRange(member: String)
    case constraintViolated(line: Int, text: String, shortfall: String)
    case slackOutOfRange(line: Int, text: String)

    /// Escaped with `UntrustedText` (RiskEngine): the message may quote text from an input file,
    /// which must not reach a terminal raw.
    public var description: String { UntrustedText.escape(unescapedDescription) }

    private var unescapedDescription: String {
        switch self {
        case .quantityResolution(let i):
            return "instrument \(i): the net quantity has more than 4 decimal places; attestation quantities are multiples of 0.0001 contract"
        case .quantityTooLarge(let i, let bits):
            return "instrument \(i): the net quantity does not fit the \(bits)-bit witness range (try --witness-bits 64)"
        case .balanceOutOfRange(let m): return "\(m): balance out of the 63-bit fixed-point range"
        case .constraintViolated(let line, let text, let shortfall):
            return "constraint violated (line \(line)): \(text) — short by \(shortfall)"
        case .slackOutOfRange(let line, let text):
            return "constraint (line \(line)) holds but its slack exceeds the 64-bit proof range: \(text)"
        }
    }
}

/// The prover's private witness: one signed fixed-point value per witness member, split into
/// halves `x = x⁺ − x⁻` with `x⁺, x⁻ ≥ 0`.
public struct Witness: Sendable {
    public var values: [Int64]
    public var plus: [UInt64]
    public var minus: [UInt64]

    /// Net quantities per instrument, balances per asset, and settlement cash, from the book.
    ///
    /// Entry costs leave the per-unit values: a linear contract's value per unit is
    /// `mark·size`, and its cost `−q·entry·size` is carried in the quote settlement member; an
    /// inverse contract's coin cost basis `q·size/entry` is carried in its underlying's coin
    /// settlement member (SPEC §14).
    public init(portfolio: Portfolio, market: MarketSnapshot, layout: WitnessLayout,
                instrumentBits: Int) throws(WitnessError) {
        var values = [Int64](repeating: 0, count: layout.count)
        var index: [String: Int] = [:]
        for (i, inst) in market.instruments.enumerated() { index[inst.id] = i }
        var underlyingIndex: [String: Int] = [:]
        for (u, und) in market.underlyings.enumerated() { underlyingIndex[und.id] = u }
        let quoteSlot = layout.roles.firstIndex(of: .quoteSettlement)!

        var units8 = [Int64](repeating: 0, count: market.instruments.count)
        var quoteCash = 0.0
        var coinCash = [Double](repeating: 0, count: market.underlyings.count)
        for p in portfolio.positions {
            guard let i = index[p.instrument] else { continue }   // Portfolio.parse already rejects unknown ids
            let (sum, overflow) = units8[i].addingReportingOverflow(p.quantityUnits)
            guard !overflow else { throw .quantityTooLarge(instrument: p.instrument, bits: 63) }
            units8[i] = sum
            let inst = market.instruments[i]
            // Entry costs (SPEC §6, §14.1): inverse futures/perpetuals carry a coin amount
            // q·size/entry; every other position (linear contracts and all options, whose
            // premiums are quoted in quote currency) carries quote cash −q·size·entry.
            switch (inst.kind, inst.margining) {
            case (.perpetual, .inverse), (.future, .inverse):
                if let u = underlyingIndex[inst.underlying] { coinCash[u] += p.quantity * inst.contractSize / p.entryPrice }
            default:
                quoteCash -= p.quantity * inst.contractSize * p.entryPrice
            }
        }
        let scale = Int64(10_000)   // 10^-8 → 10^-4
        for (i, u) in units8.enumerated() {
            guard u % scale == 0 else { throw .quantityResolution(instrument: market.instruments[i].id) }
            let q = u / scale
            if instrumentBits < 64 {
                let limit = Int64(1) << Int64(instrumentBits)
                guard q > -limit, q < limit else {
                    throw .quantityTooLarge(instrument: market.instruments[i].id, bits: instrumentBits)
                }
            }
            values[i] = q
        }
        for b in portfolio.collateral {
            guard let j = market.collateralIndex(b.asset) else { continue }
            values[market.instruments.count + j] = b.amountUnits
        }
        guard let q = try? FixedPoint.round(quoteCash, digits: WitnessLayout.balanceUnitDigits) else {
            throw .balanceOutOfRange(member: "quote settlement")
        }
        values[quoteSlot] = q
        for (u, c) in coinCash.enumerated() {
            guard let v = try? FixedPoint.round(c, digits: WitnessLayout.balanceUnitDigits) else {
                throw .balanceOutOfRange(member: "\(market.underlyings[u].id) settlement")
            }
            values[quoteSlot + 1 + u] = v
        }
        self.values = values
        self.plus = []; self.minus = []
        split()
    }

    /// Splits each value into halves without branching on it: with `mask = x >> 63` (all ones
    /// for negative x), `x⁺ = x & ~mask` and `x⁻ = (−x) & mask`.
    mutating func split() {
        plus = values.map { x in UInt64(bitPattern: x & ~(x >> 63)) }
        minus = values.map { x in UInt64(bitPattern: (0 &- x) & (x >> 63)) }
    }

    /// Sets the margin witnesses to the smallest values that satisfy their tier constraints
    /// (the constraints' texts start with "mm[" / "im["), given every other member.
    mutating func fillMarginWitnesses(system: StatementSystem) {
        for (k, role) in system.layout.roles.enumerated() {
            switch role {
            case .maintenanceMargin, .initialMargin: values[k] = 0
            default: continue
            }
        }
        split()
        for c in system.constraints {
            guard let k = c.plus.indices.first(where: { idx in
                switch system.layout.roles[idx] {
                case .maintenanceMargin, .initialMargin: return c.plus[idx] == 1 && c.minus[idx] == -1
                default: return false
                }
            }) else { continue }
            // slack = M_k + rest ≥ 0  ⇒  M_k ≥ −rest (rest evaluated with M_k = 0 as set above).
            if let rest = Self.evaluate(c, plus: plus, minus: minus), rest < 0, -rest <= Int128(Int64.max) {
                values[k] = max(values[k], Int64(-rest))
            }
        }
        split()
    }

    /// Exact slack `Σ plus_k·x_k⁺ + minus_k·x_k⁻ + constant` in 128-bit arithmetic; nil on overflow
    /// (which only a slack far outside the 64-bit proof range can cause).
    static func evaluate(_ c: IntegerConstraint, plus: [UInt64], minus: [UInt64]) -> Int128? {
        var acc = Int128(c.constant)
        for k in 0..<plus.count {
            for (coef, h) in [(c.plus[k], plus[k]), (c.minus[k], minus[k])] where coef != 0 && h != 0 {
                let (p, o1) = Int128(coef).multipliedReportingOverflow(by: Int128(h))
                let (s, o2) = acc.addingReportingOverflow(p)
                if o1 || o2 { return nil }
                acc = s
            }
        }
        return acc
    }

    /// Every constraint's slack as a u64, or the first failure (violated, or out of range).
    public func slacks(system: StatementSystem) throws(WitnessError) -> [UInt64] {
        var out: [UInt64] = []
        out.reserveCapacity(system.constraints.count)
        for c in system.constraints {
            guard let s = Self.evaluate(c, plus: plus, minus: minus) else {
                throw .slackOutOfRange(line: c.line, text: c.text)
            }
            if s < 0 {
                throw .constraintViolated(line: c.line, text: c.text, shortfall: Self.formatSlack(-s))
            }
            guard s <= Int128(UInt64.max) else { throw .slackOutOfRange(line: c.line, text: c.text) }
            out.append(UInt64(s))
        }
        return out
    }

    /// A slack in units of 10⁻¹⁰ as a decimal string in the constraint's own unit.
    static func formatSlack(_ s: Int128) -> String {
        let scale = Int128(10_000_000_000)
        let whole = s / scale, frac = s % scale
        var f = String(frac)
        f = String(repeating: "0", count: 10 - f.count) + f
        while f.hasSuffix("0") && f.count > 2 { f.removeLast() }
        return "\(whole).\(f)"
    }
}
