import Attestation
import Foundation
import RiskEngine

/// Errors building the private witness from a book. Messages name the instrument or constraint
/// but never print private quantities beyond what the user's own book already shows them.
public enum WitnessError: Error, Equatable, CustomStringConvertible {
    case quantityResolution(instrument: String)
    case quantityTooLarge(instrument: String, bits: Int)
    case balanceOutOfRange(member: String)
    case constraintViolated(line: Int, text: String, shortfall: String)
    case slackOutOfRange(line: Int, text: String)
    case invalidEntryPrice(instrument: String, reason: String)

    /// Escaped with `UntrustedText` (RiskEngine): the message may quote text from an input file,
    /// which must not reach a terminal raw.
    public var description: String { UntrustedText.escape(unescapedDescription) }

    private var unescapedDescription: String {
        switch self {
        case .quantityResolution(let i):
            return "instrument \(i): the net quantity has more than 4 decimal places; attestation quantities are multiples of 0.0001 contract"
        case .quantityTooLarge(let i, let bits):
            return "instrument \(i): the net quantity does not fit the \(bits)-bit witness range (try --witness-bits 64)"
        case .balanceOutOfRange(let m): return "\(m): out of the attestation's range (balances and settlement below 9.2·10^18 units, margin witnesses below 9.2·10^14 quote)"
        case .constraintViolated(let line, let text, let shortfall):
            return "constraint violated (line \(line)): \(text) — short by \(shortfall)"
        case .slackOutOfRange(let line, let text):
            return "constraint (line \(line)) holds but its slack reaches 2^128·10^-24 ≈ 3.4·10^14 of its unit, the proof range: \(text)"
        case .invalidEntryPrice(let i, let reason): return "instrument \(i): entry_price \(reason)"
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
    /// settlement member (SPEC §14). Options carry none: their premiums are in the collateral
    /// balances (wallet balances, SPEC §3.1). Both come from `EntryCost.of`, the engine's.
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
            // Entry costs (SPEC §6.3, §14.1): the engine's one definition, so the attested equity
            // is the engine's. Only the part outside the wallet balances enters: futures and
            // perpetuals' cost; options' premiums are settled in the collateral already.
            let cost: EntryCost
            do { cost = try EntryCost.of(position: p, instrument: inst) } catch {
                throw .invalidEntryPrice(instrument: p.instrument, reason: error.message)
            }
            quoteCash += cost.equityQuote
            if let u = underlyingIndex[inst.underlying] { coinCash[u] += cost.equityCoin }
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
        // Balances (10⁻⁸ units, 128 bits) are held as a fraction below one unit in the base
        // member and whole units in its companion (SPEC §14.1): x = frac + 10⁸·whole, both with
        // the sign of x, each far inside 63 bits for any balance up to 9.2·10¹⁸ units.
        var companion = [Int: Int]()
        for (k, role) in layout.roles.enumerated() { if case .wholeUnits(let b) = role { companion[b] = k } }
        func put(_ total: Int128, at base: Int, _ what: String) throws(WitnessError) {
            let whole = total / 100_000_000, frac = total % 100_000_000      // truncation: same signs
            guard let w = Int64(exactly: whole), let c = companion[base] else { throw .balanceOutOfRange(member: what) }
            values[base] = Int64(frac)
            values[c] = w
        }
        for b in portfolio.collateral {
            guard let j = market.collateralIndex(b.asset) else { continue }
            try put(b.amountUnits, at: market.instruments.count + j, "collateral \(b.asset)")
        }
        // Settlement cash enters equity with a positive price (1 quote, or the coin's index), so
        // rounding it toward −∞ keeps the attested equity at or below the engine's; the exact
        // conversion has no 2⁵³ limit.
        let cashBound: Int128 = 1 << 126
        guard let q = ExactScaling.floor(quoteCash, digits: WitnessLayout.balanceUnitDigits, bound: cashBound) else {
            throw .balanceOutOfRange(member: "quote settlement")
        }
        try put(q, at: quoteSlot, "quote settlement")
        for (u, c) in coinCash.enumerated() {
            guard let v = ExactScaling.floor(c, digits: WitnessLayout.balanceUnitDigits, bound: cashBound) else {
                throw .balanceOutOfRange(member: "\(market.underlyings[u].id) settlement")
            }
            try put(v, at: quoteSlot + 1 + u, "\(market.underlyings[u].id) settlement")
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

    /// Sets the margin witnesses to the smallest values that satisfy their tier constraints,
    /// given every other member. A tier constraint is the only kind in which a margin member
    /// enters through its net value (plus = −minus > 0); circuit constraints use its plus half.
    mutating func fillMarginWitnesses(system: StatementSystem) throws(WitnessError) {
        for (k, role) in system.layout.roles.enumerated() {
            switch role {
            case .maintenanceMargin, .initialMargin: values[k] = 0
            default: continue
            }
        }
        split()
        let unit = WitnessLayout.slackDigits - WitnessLayout.marginUnitDigits   // M's coefficient is 10^unit
        for c in system.constraints {
            guard let k = c.plus.indices.first(where: { idx in
                switch system.layout.roles[idx] {
                case .maintenanceMargin, .initialMargin: return c.plus[idx] > 0 && c.minus[idx] == -c.plus[idx]
                default: return false
                }
            }) else { continue }
            // slack = 10^unit·M + rest ≥ 0  ⇔  M ≥ ⌈−rest / 10^unit⌉ (rest with M = 0, as set above).
            let rest = Self.evaluate(c, plus: plus, minus: minus)
            guard rest.isNegative else { continue }
            guard let need = rest.magnitudeCeilDividedByPowerOfTen(unit) else {
                throw .balanceOutOfRange(member: "margin witness (line \(c.line))")
            }
            values[k] = max(values[k], need)
        }
        split()
    }

    /// Exact slack `Σ plus_k·x_k⁺ + minus_k·x_k⁻ + constant` (below 2¹⁸⁹ in magnitude).
    static func evaluate(_ c: IntegerConstraint, plus: [UInt64], minus: [UInt64]) -> WideInt {
        var acc = WideInt(c.constant)
        for k in 0..<plus.count {
            acc.add(c.plus[k], times: plus[k])
            acc.add(c.minus[k], times: minus[k])
        }
        return acc
    }

    /// Every constraint's slack as two 64-bit limbs (low, high), or the first failure
    /// (violated, or at or above 2¹²⁸ units of 10⁻²⁴).
    public func slacks(system: StatementSystem) throws(WitnessError) -> [(low: UInt64, high: UInt64)] {
        var out: [(low: UInt64, high: UInt64)] = []
        out.reserveCapacity(system.constraints.count)
        for c in system.constraints {
            let s = Self.evaluate(c, plus: plus, minus: minus)
            if s.isNegative {
                throw .constraintViolated(line: c.line, text: c.text, shortfall: Self.formatSlack(-s.approximate))
            }
            guard let limbs = s.limbs128 else { throw .slackOutOfRange(line: c.line, text: c.text) }
            out.append(limbs)
        }
        return out
    }

    /// Each slack's low 128 bits whatever its sign or size: what a dishonest prover would
    /// have to prove for a false statement (tests only; see `Prover.prove(_:progress:skippingStatementCheck:)`).
    func truncatedSlacks(system: StatementSystem) -> [(low: UInt64, high: UInt64)] {
        system.constraints.map { c in Self.evaluate(c, plus: plus, minus: minus).truncatedLimbs }
    }

    /// A slack in units of 10⁻²⁴ as a decimal in the constraint's own unit (messages only).
    static func formatSlack(_ s: Double) -> String {
        let v = s / 1e24
        if v != 0 && abs(v) < 1e-6 { return String(format: "%.3e", v) }
        return String(format: "%.10g", v)
    }
}
