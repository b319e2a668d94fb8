import RiskEngine

/// The public shape of an attestation's witness, derived from the market snapshot alone.
///
/// Every attestation over the same snapshot has the same layout, whatever the book holds: one
/// member per instrument of the universe (zero where the book holds none), one per collateral
/// asset, and the settlement balances that absorb entry costs. That is what hides *which*
/// instruments are held: the verifier sees the same number of commitments either way.
///
/// Each member's signed value `x` is committed as two halves `x = x⁺ − x⁻`, both range-proven,
/// so that `x⁺ + x⁻ ≥ |x|` is a sound upper bound for gross quantities and no linear combination
/// can wrap around the group order.
public struct WitnessLayout: Sendable, Equatable {
    /// What a witness member stands for.
    public enum Role: Sendable, Equatable {
        /// A universe instrument, by index into `MarketSnapshot.instruments`.
        case instrument(Int)
        /// A collateral asset, by index into `MarketSnapshot.collateral`.
        case collateral(Int)
        /// Quote-currency settlement cash: −Σ q·entry·size over linear perpetuals and futures.
        case quoteSettlement
        /// Coin settlement of an underlying (inverse contracts' cost basis, in coin), by index into
        /// `MarketSnapshot.underlyings`.
        case coinSettlement(Int)
        /// Auxiliary margin witness for a tier table: an upper bound the prover commits to and
        /// the circuit's tier constraints bound from below (`mm`, `im`). Index into `tierTables`.
        case maintenanceMargin(Int)
        case initialMargin(Int)
        /// The whole units (unit 10⁰) of a balance member (a collateral asset or a settlement
        /// balance), by the base member's index; the base member then holds the fraction below one
        /// unit (10⁻⁸). Splitting keeps every member value in 63 bits while balances reach 10¹²
        /// units and beyond (SPEC §14.1); the statement sees only their sum (§14.3).
        case wholeUnits(Int)
    }

    /// Witness members in canonical order.
    public let roles: [Role]
    /// Names of the tier tables used by at least one future or perpetual, in canonical (sorted
    /// byte) order: one maintenance and one initial margin witness each.
    public let tierTables: [String]
    /// Number of instruments (the first members); they use `instrumentBits`.
    public let instrumentCount: Int

    /// Decimal exponent of one witness unit, per role (a quantity of 1.5 contracts at exponent −4
    /// is the integer 15000). Instruments: 10⁻⁴ contract. Balances: 10⁻⁸ unit. Margin witnesses:
    /// 10⁻¹⁰ quote (the slack unit).
    public static let instrumentUnitDigits = 4
    public static let balanceUnitDigits = 8
    /// Margin witnesses: 10⁻⁴ quote (rounded up by the prover; 63 bits reach 9.2·10¹⁴ quote).
    public static let marginUnitDigits = 4
    /// Slack unit: every constraint is evaluated in units of 10⁻²⁴ of its own dimension, fine
    /// enough that rounding each coefficient down costs at most 10⁻⁹ of it (SPEC §14.3); slacks
    /// are proven below 2¹²⁸ (two 64-bit limbs).
    public static let slackDigits = 24

    public init(market: MarketSnapshot) {
        var roles: [Role] = []
        roles.reserveCapacity(market.instruments.count + market.collateral.count + market.underlyings.count + 1)
        for i in market.instruments.indices { roles.append(.instrument(i)) }
        for j in market.collateral.indices { roles.append(.collateral(j)) }
        roles.append(.quoteSettlement)
        for u in market.underlyings.indices { roles.append(.coinSettlement(u)) }
        // Margin witnesses exist for the tier tables that some future or perpetual uses: options
        // are margined by their own linear rule (SPEC §6.4), never by a tier table.
        var used = Set<String>()
        for inst in market.instruments {
            if case .option = inst.kind { continue }
            used.insert(inst.tierTable)
        }
        let tables = market.margin.tierTables.keys.filter { used.contains($0) }.sorted()
        for k in tables.indices { roles.append(.maintenanceMargin(k)) }
        for k in tables.indices { roles.append(.initialMargin(k)) }
        // Whole-unit companions, in the order of their bases: collateral, quote, coin settlements.
        let firstCollateral = market.instruments.count
        for j in market.collateral.indices { roles.append(.wholeUnits(firstCollateral + j)) }
        let quote = firstCollateral + market.collateral.count
        roles.append(.wholeUnits(quote))
        for u in market.underlyings.indices { roles.append(.wholeUnits(quote + 1 + u)) }
        self.roles = roles
        self.tierTables = tables
        self.instrumentCount = market.instruments.count
    }

    public var count: Int { roles.count }
    /// Number of committed halves (two per member).
    public var halfCount: Int { 2 * roles.count }
    /// Members after the instruments (balances and margin witnesses), proven at 64 bits.
    public var balanceCount: Int { roles.count - instrumentCount }

    /// Decimal digits of one witness unit of member `index` (see the static constants).
    public func unitDigits(of index: Int) -> Int {
        switch roles[index] {
        case .instrument: return Self.instrumentUnitDigits
        case .collateral, .quoteSettlement, .coinSettlement: return Self.balanceUnitDigits
        case .maintenanceMargin, .initialMargin: return Self.marginUnitDigits
        case .wholeUnits: return 0
        }
    }
}
