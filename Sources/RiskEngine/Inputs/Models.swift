// Typed model of the two inputs: the public market snapshot and the private portfolio.
//
// These are plain value types. `MarketSnapshot.parse` and `Portfolio.parse` (InputDecoding.swift)
// are the only ways untrusted bytes become these values; they validate everything SPEC.md §2 and
// §3 state, so code downstream can rely on the invariants documented on each field.

/// An input problem: where (a JSON path such as `instruments[3].strike`, or `$` / `@byte 17` for
/// syntax errors) and what.
public struct InputError: Error, CustomStringConvertible, Equatable, Sendable {
    public var path: String
    public var message: String
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }
    /// Escaped (`UntrustedText`): paths and messages name ids and quote values from the input file.
    public var description: String { UntrustedText.escape("\(path): \(message)") }
}

/// A point in time, whole seconds since 1970-01-01T00:00:00Z (UTC, no leap seconds, proleptic
/// Gregorian calendar). In JSON it is the exact text `YYYY-MM-DDTHH:MM:SSZ`.
///
/// Whole seconds are enough for margining and keep the value an integer, so prover and verifier
/// derive identical times to expiry.
public struct Timestamp: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var seconds: Int64
    public init(seconds: Int64) { self.seconds = seconds }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.seconds < b.seconds }

    /// Parses `YYYY-MM-DDTHH:MM:SSZ` exactly (years 1970...9999); nil for anything else.
    public init?(iso8601 text: String) {
        guard let s = ISO8601UTC.parse(Array(text.utf8)) else { return nil }
        self.seconds = s
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`.
    public var iso8601: String { ISO8601UTC.format(seconds) }
    public var description: String { iso8601 }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        let text = try c.decode(String.self)
        guard let t = Timestamp(iso8601: text) else {
            throw DecodingError.dataCorruptedError(
                in: c, debugDescription: "expected a UTC timestamp YYYY-MM-DDTHH:MM:SSZ, got \"\(text)\"")
        }
        self = t
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(iso8601)
    }
}

/// An underlying asset (BTC, ETH): its index price, when that price was observed, and the
/// continuously compounded annual risk-free rate used for discounting and forwards.
public struct Underlying: Sendable, Equatable {
    public var id: String
    public var indexPrice: Double        // quote currency per unit, > 0
    public var priceTime: Timestamp
    public var rate: Double              // per year, 1.00 = 100%
    public init(id: String, indexPrice: Double, priceTime: Timestamp, rate: Double) {
        self.id = id; self.indexPrice = indexPrice; self.priceTime = priceTime; self.rate = rate
    }
}

/// How a contract is margined and settled.
/// - `linear`: USD(quote)-margined; contract size in underlying units; P&L in quote currency
///   `q·size·(F − entry)`.
/// - `inverse`: coin-margined; for futures and perpetuals the contract size is a face value in quote
///   currency and P&L is in coin, `q·size·(1/entry − 1/F)`; for options it records that premium and
///   settlement are in the underlying coin (Deribit style), while size stays in underlying units and
///   prices stay in quote currency (the engine values linear and inverse options alike, SPEC §6.3).
public enum Margining: String, Sendable, Equatable, CaseIterable { case linear, inverse }

/// Option settlement style at expiry.
public enum Settlement: String, Sendable, Equatable, CaseIterable { case cash, physical }

/// A European option's terms and its mark implied volatility.
public struct OptionSpec: Sendable, Equatable {
    public var kind: OptionKind
    public var strike: Double            // quote currency, > 0
    public var expiry: Timestamp         // > snapshot asOf
    public var markIV: Double            // annualised, 1.00 = 100%, > 0
    public var settlement: Settlement
    public init(kind: OptionKind, strike: Double, expiry: Timestamp, markIV: Double, settlement: Settlement) {
        self.kind = kind; self.strike = strike; self.expiry = expiry; self.markIV = markIV; self.settlement = settlement
    }
}

/// What kind of contract an instrument is.
/// `fundingRate` is the rate per funding interval (0.0001 = 0.01% per interval); a long pays
/// `rate × notional` per interval when positive.
public enum InstrumentKind: Sendable, Equatable {
    case perpetual(fundingRate: Double, fundingIntervalHours: Double)
    case future(expiry: Timestamp)
    case option(OptionSpec)
}

/// One member of the instrument universe.
public struct Instrument: Sendable, Equatable {
    public var id: String
    public var underlying: String        // an `Underlying.id` of the same snapshot
    public var kind: InstrumentKind
    public var margining: Margining
    /// linear and all options: underlying units per contract; inverse futures/perpetuals: quote
    /// currency face value per contract. > 0.
    public var contractSize: Double
    /// Quote currency per unit of underlying (futures/perpetual mark price, or option premium per
    /// one underlying unit), > 0. Options are marked in quote currency even when inverse.
    public var markPrice: Double
    public var tierTable: String         // a key of `MarginParameters.tierTables`
    public init(id: String, underlying: String, kind: InstrumentKind, margining: Margining,
                contractSize: Double, markPrice: Double, tierTable: String) {
        self.id = id; self.underlying = underlying; self.kind = kind; self.margining = margining
        self.contractSize = contractSize; self.markPrice = markPrice; self.tierTable = tierTable
    }

    /// The expiry of a future or option; nil for a perpetual.
    public var expiry: Timestamp? {
        switch kind {
        case .perpetual: return nil
        case .future(let e): return e
        case .option(let o): return o.expiry
        }
    }
}

/// A collateral asset: its quote price and haircut (value counted = amount·price·(1 − haircut)).
/// `underlying`, when set, names the underlying whose scenario moves also move this asset's price
/// (BTC held as collateral falls with BTC in a stress scenario).
public struct CollateralAsset: Sendable, Equatable {
    public var id: String
    public var price: Double             // quote currency per unit, > 0
    public var haircut: Double           // in [0, 1)
    public var underlying: String?
    public init(id: String, price: Double, haircut: Double, underlying: String?) {
        self.id = id; self.price = price; self.haircut = haircut; self.underlying = underlying
    }
}

/// One bracket of a Binance-style tiered margin table. A position whose notional N lies in this
/// bracket needs maintenance margin `N·maintenanceRate − cumulativeDeduction`, where the
/// deduction makes the requirement continuous at the bracket boundaries:
/// `cum_0 = 0`, `cum_i = cum_{i−1} + maxNotional_{i−1}·(mmr_i − mmr_{i−1})`.
public struct MarginTier: Sendable, Equatable {
    public var maxNotional: Double?      // quote currency, upper bound (inclusive); nil = unbounded last tier
    public var maintenanceRate: Double
    public var initialRate: Double       // >= maintenanceRate
    public var cumulativeDeduction: Double
    public init(maxNotional: Double?, maintenanceRate: Double, initialRate: Double, cumulativeDeduction: Double) {
        self.maxNotional = maxNotional; self.maintenanceRate = maintenanceRate
        self.initialRate = initialRate; self.cumulativeDeduction = cumulativeDeduction
    }
}

/// Deribit-style standard-margin rates for short options, as fractions of the underlying index
/// value of one option (`size·index`): initial = max(shortInitialRate − OTM/index, shortInitialFloorRate)
/// + mark, maintenance = shortMaintenanceRate + mark. Long options need only their premium.
public struct OptionMarginRates: Sendable, Equatable {
    public var shortInitialRate: Double
    public var shortInitialFloorRate: Double
    public var shortMaintenanceRate: Double
    public init(shortInitialRate: Double, shortInitialFloorRate: Double, shortMaintenanceRate: Double) {
        self.shortInitialRate = shortInitialRate; self.shortInitialFloorRate = shortInitialFloorRate
        self.shortMaintenanceRate = shortMaintenanceRate
    }
}

/// Paradex's minimum delta requirement of portfolio margin (SPEC.md §6.5), per underlying U:
/// `(netRate·|netΔ_U| + hedgedRate·hedgedΔ_U)·S_U`, with `hedgedΔ = (grossΔ − |netΔ|)/2` the delta
/// that offsets (long and short legs matched). The portfolio's initial requirement is the larger of
/// the scenario requirement and the sum of these over underlyings. Paradex publishes 2 % and 1 %.
public struct MinDeltaRates: Sendable, Equatable {
    public var netRate: Double
    public var hedgedRate: Double
    public init(netRate: Double, hedgedRate: Double) { self.netRate = netRate; self.hedgedRate = hedgedRate }
}

/// Margin parameters of the snapshot.
public struct MarginParameters: Sendable, Equatable {
    /// Tier tables by name; each strictly increasing in maxNotional and maintenance rate, last tier unbounded.
    public var tierTables: [String: [MarginTier]]
    /// Portfolio margin: maintenance margin = fraction × initial margin (the scenario requirement). In (0, 1].
    public var portfolioMaintenanceFraction: Double
    /// Short-option rates for isolated/cross (standard) margin.
    public var optionMargin: OptionMarginRates
    /// Portfolio margin's minimum delta requirement; nil = none (the scenario requirement alone).
    public var portfolioMinDelta: MinDeltaRates?
    public init(tierTables: [String: [MarginTier]], portfolioMaintenanceFraction: Double,
                optionMargin: OptionMarginRates, portfolioMinDelta: MinDeltaRates? = nil) {
        self.tierTables = tierTables; self.portfolioMaintenanceFraction = portfolioMaintenanceFraction
        self.optionMargin = optionMargin; self.portfolioMinDelta = portfolioMinDelta
    }
}

/// A scenario's implied-volatility shock.
/// - `absolute(s)`: IV' = IV + s (s in vol units, 0.10 = ten vol points).
/// - `termStructure(s)`: IV' = IV·(1 + s·(30/max(1, DTE))^p), p = 0.30 if DTE < 30 else 0.13,
///   DTE = days to expiry at the snapshot time; short-dated options move more.
public enum VolShock: Sendable, Equatable {
    case none
    case absolute(Double)
    case termStructure(Double)
}

/// One stress scenario: a joint move of underlyings (fraction, −0.16 = −16%; unlisted underlyings
/// do not move), a vol shock, and the weight its loss counts with (tail scenarios < 1).
public struct Scenario: Sendable, Equatable {
    public var name: String
    public var priceMoves: [String: Double]
    public var volShock: VolShock
    public var weight: Double            // in (0, 1]
    public init(name: String, priceMoves: [String: Double], volShock: VolShock, weight: Double) {
        self.name = name; self.priceMoves = priceMoves; self.volShock = volShock; self.weight = weight
    }
}

/// The public market snapshot: the instrument universe (file order is the canonical attestation
/// order) with marks, collateral, margin parameters and the scenario grid.
public struct MarketSnapshot: Sendable {
    public var snapshotID: String
    public var asOf: Timestamp
    public var quoteCurrency: String
    public var maxPriceAgeSeconds: Int64
    public var underlyings: [Underlying] { didSet { underlyingIndexByID = Self.index(underlyings.map(\.id)) } }
    public var instruments: [Instrument] { didSet { instrumentIndexByID = Self.index(instruments.map(\.id)) } }
    public var collateral: [CollateralAsset] { didSet { collateralIndexByID = Self.index(collateral.map(\.id)) } }
    public var margin: MarginParameters
    public var scenarios: [Scenario]

    // Lookup tables kept in step with the arrays (first occurrence wins; parse rejects duplicates).
    private var underlyingIndexByID: [String: Int]
    private var instrumentIndexByID: [String: Int]
    private var collateralIndexByID: [String: Int]

    public init(snapshotID: String, asOf: Timestamp, quoteCurrency: String, maxPriceAgeSeconds: Int64,
                underlyings: [Underlying], instruments: [Instrument], collateral: [CollateralAsset],
                margin: MarginParameters, scenarios: [Scenario]) {
        self.snapshotID = snapshotID; self.asOf = asOf; self.quoteCurrency = quoteCurrency
        self.maxPriceAgeSeconds = maxPriceAgeSeconds
        self.underlyings = underlyings; self.instruments = instruments; self.collateral = collateral
        self.margin = margin; self.scenarios = scenarios
        self.underlyingIndexByID = Self.index(underlyings.map(\.id))
        self.instrumentIndexByID = Self.index(instruments.map(\.id))
        self.collateralIndexByID = Self.index(collateral.map(\.id))
    }

    private static func index(_ ids: [String]) -> [String: Int] {
        var d: [String: Int] = [:]
        d.reserveCapacity(ids.count)
        for (i, id) in ids.enumerated() where d[id] == nil { d[id] = i }
        return d
    }

    public func underlying(_ id: String) -> Underlying? {
        underlyingIndexByID[id].map { underlyings[$0] }
    }
    public func instrument(_ id: String) -> Instrument? {
        instrumentIndexByID[id].map { instruments[$0] }
    }
    public func instrumentIndex(_ id: String) -> Int? { instrumentIndexByID[id] }
    public func collateralIndex(_ id: String) -> Int? { collateralIndexByID[id] }
    public func underlyingIndex(_ id: String) -> Int? { underlyingIndexByID[id] }

    /// Days to expiry at the snapshot time, (expiry − asOf)/86400, as used by the term-structure vol shock.
    public func daysToExpiry(_ expiry: Timestamp) -> Double {
        Double(expiry.seconds - asOf.seconds) / 86_400
    }
}

/// How a portfolio is margined.
public enum MarginMode: String, Sendable, Equatable, CaseIterable { case isolated, cross, portfolio }

/// A position in one instrument. `quantity` is in contracts, signed (long > 0, short < 0);
/// `quantityUnits` is the same number exactly, in units of 10^-8 contract, parsed from the JSON text
/// (the attestation witness; `quantity == Double(quantityUnits)/1e8` up to double rounding).
public struct Position: Sendable, Equatable {
    public var instrument: String
    public var quantity: Double
    public var quantityUnits: Int64
    public var entryPrice: Double        // quote currency per underlying unit (premium for options), >= 0
    public var venue: String?
    public var account: String?
    /// Isolated mode only: the margin the venue actually holds for this futures or perpetual
    /// position, in the contract's settlement asset (quote currency for linear contracts, coin for
    /// inverse ones). nil = not given: the engine assumes the initial margin at entry (maximum
    /// leverage), SPEC.md §6.5.
    public var isolatedMargin: Double?
    public init(instrument: String, quantity: Double, quantityUnits: Int64, entryPrice: Double,
                venue: String?, account: String?, isolatedMargin: Double? = nil) {
        self.instrument = instrument; self.quantity = quantity; self.quantityUnits = quantityUnits
        self.entryPrice = entryPrice; self.venue = venue; self.account = account
        self.isolatedMargin = isolatedMargin
    }
}

/// A collateral balance (negative = borrowed), with its exact 10^-8 copy (128 bits: balances
/// reach 10^12 units, 10^20 at 10^-8).
public struct CollateralBalance: Sendable, Equatable {
    public var asset: String
    public var amount: Double
    public var amountUnits: Int128
    public init(asset: String, amount: Double, amountUnits: Int128) {
        self.asset = asset; self.amount = amount; self.amountUnits = amountUnits
    }
}

/// The private book.
public struct Portfolio: Sendable, Equatable {
    public var positions: [Position]
    public var collateral: [CollateralBalance]
    public var marginMode: MarginMode
    public init(positions: [Position], collateral: [CollateralBalance], marginMode: MarginMode) {
        self.positions = positions; self.collateral = collateral; self.marginMode = marginMode
    }
}

/// Strict `YYYY-MM-DDTHH:MM:SSZ` conversion via the days-from-civil algorithm (proleptic Gregorian).
enum ISO8601UTC {
    /// Days since 1970-01-01 of a civil date (H. Hinnant's algorithm; exact for all years here).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    static func parse(_ b: [UInt8]) -> Int64? {
        // 0123456789012345678 9
        // YYYY-MM-DDTHH:MM:SSZ
        guard b.count == 20, b[4] == 0x2D, b[7] == 0x2D, b[10] == 0x54, b[13] == 0x3A, b[16] == 0x3A,
              b[19] == 0x5A else { return nil }
        func num(_ r: Range<Int>) -> Int64? {
            var v: Int64 = 0
            for i in r {
                let c = b[i]
                guard c >= 0x30, c <= 0x39 else { return nil }
                v = v * 10 + Int64(c - 0x30)
            }
            return v
        }
        guard let y = num(0..<4), let mo = num(5..<7), let d = num(8..<10),
              let h = num(11..<13), let mi = num(14..<16), let s = num(17..<19) else { return nil }
        guard y >= 1970, (1...12).contains(mo), d >= 1, h <= 23, mi <= 59, s <= 59 else { return nil }
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
        let monthDays: [Int64] = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard d <= monthDays[Int(mo - 1)] else { return nil }
        return daysFromCivil(year: y, month: mo, day: d) * 86_400 + h * 3600 + mi * 60 + s
    }

    static func format(_ seconds: Int64) -> String {
        var days = seconds / 86_400        // truncating; fixed below so that 0 <= rem < 86400
        var rem = seconds % 86_400
        if rem < 0 { days -= 1; rem += 86_400 }
        let (y, m, d) = civilFromDays(days)
        func pad(_ v: Int64, _ w: Int) -> String {
            let s = String(v)
            return s.count >= w ? s : String(repeating: "0", count: w - s.count) + s
        }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(rem / 3600, 2)):\(pad(rem % 3600 / 60, 2)):\(pad(rem % 60, 2))Z"
    }
}
