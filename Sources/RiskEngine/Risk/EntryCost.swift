/// What a position paid at entry, and the part of it that equity still has to count
/// (SPEC.md §6.3). This is the one definition: the engine's `Book` and the attestation witness
/// (`Prover.Witness`) both call `EntryCost.of`, so an attested `equity` is the engine's equity.
///
/// Why two views. A unit value (`UnitRisk.value`) is what one contract is worth now; the entry
/// cost is a per-position constant. Collateral balances are the venue's *wallet balances*
/// (SPEC.md §3.1), and what a wallet balance already contains decides what equity adds:
///
/// - futures and perpetuals: the wallet does not contain the unrealized P&L, so equity adds
///   `q·value + cost` with the cost below (linear: quote cash `−q·size·E`; inverse: the coin
///   amount `+q·size/E`, valued at the index, so `q·value + coin·S = q·size·(S/E − S/mark)`, the
///   coin P&L `q·size·(1/E − 1/mark)` converted at S);
/// - options: the premium settled into the wallet at the trade (paid from it by a buyer,
///   credited to a seller), so equity adds the position's value `q·value` alone. Counting the
///   cost as well would count the premium twice. The cost is still reported (entry value,
///   unrealized P&L, the premium an isolated long paid), never added to equity.
///
/// Entry prices are in the unit the venue quotes them in: quote currency per underlying unit for
/// linear contracts and linear options, quote per coin for inverse futures/perpetuals (they are
/// prices of the coin), and **coin per underlying unit** for inverse (coin-settled) options,
/// which venues such as Deribit quote in the coin (0.0525 BTC). Such an option's cost is the coin
/// amount `−q·size·E`, worth `−q·size·E·S` at the index.
public struct EntryCost: Sendable, Equatable {
    /// Quote cash of the cost (`−q·size·E` for linear contracts and linear options; else 0).
    public var quote: Double
    /// Coin amount of the cost, in the underlying's coin, valued at the index S: `+q·size/E` for
    /// inverse futures/perpetuals, `−q·size·E` for inverse options; else 0.
    public var coin: Double
    /// True for options: the venue settled the premium into the wallet balance at the trade, so
    /// the cost is in the collateral balances already and does not enter equity.
    public var settledInBalance: Bool

    public init(quote: Double, coin: Double, settledInBalance: Bool) {
        self.quote = quote; self.coin = coin; self.settledInBalance = settledInBalance
    }

    /// The quote cash that equity adds for this position (0 when settled in the balance).
    public var equityQuote: Double { settledInBalance ? 0 : quote }
    /// The coin amount that equity adds for this position (0 when settled in the balance).
    public var equityCoin: Double { settledInBalance ? 0 : coin }

    /// The reported entry value in quote at index S: `quote + coin·S` (one product, one sum).
    public func entryValue(index s: Double) -> Double { quote + coin * s }

    /// Largest plausible entry price of an inverse (coin-settled) option, in coin per underlying
    /// unit. A coin-settled call pays `max(S_T − K, 0)/S_T < 1` coin per underlying unit, so its
    /// premium is below 1 coin; a put pays `max(K − S_T, 0)/S_T`, which exceeds 10 coin only when
    /// the strike is above 11 times the index at the trade, far outside any listed strike. A
    /// larger number is almost surely a quote-currency premium (BTC options cost hundreds to
    /// thousands of USD) written where the venue's coin quote belongs.
    public static let maxInverseCallEntryCoin = 1.0
    public static let maxInversePutEntryCoin = 10.0

    /// The entry cost of `quantity` contracts of `instrument` bought (sold, if negative) at
    /// `entryPrice`, or an `InputError` at path `entry_price` for a price that cannot be
    /// meant: not finite or negative, zero for an inverse future/perpetual (its cost `size/E`
    /// would be infinite), or above the plausibility bound of an inverse option.
    ///
    /// Floating-point order (SPEC.md §6.3): `((−q)·size)·E` for quote cash and inverse options,
    /// `(q·size)/E` for inverse futures/perpetuals — i.e. `-quantity * size * entryPrice` and
    /// `quantity * size / entryPrice` evaluated left to right (negation is exact, so this is also
    /// `−((q·size)·E)` bit for bit).
    public static func of(quantity: Double, entryPrice: Double, instrument: Instrument) throws(InputError) -> EntryCost {
        guard quantity.isFinite, entryPrice.isFinite, entryPrice >= 0 else {
            throw InputError(path: "entry_price", message: "quantity and entry_price must be finite, entry_price >= 0")
        }
        let size = instrument.contractSize
        switch (instrument.kind, instrument.margining) {
        case (.perpetual, .linear), (.future, .linear):
            return EntryCost(quote: -quantity * size * entryPrice, coin: 0, settledInBalance: false)
        case (.perpetual, .inverse), (.future, .inverse):
            guard entryPrice > 0 else {
                throw InputError(path: "entry_price", message: "must be > 0 for an inverse contract")
            }
            return EntryCost(quote: 0, coin: quantity * size / entryPrice, settledInBalance: false)
        case (.option, .linear):
            return EntryCost(quote: -quantity * size * entryPrice, coin: 0, settledInBalance: true)
        case (.option(let spec), .inverse):
            let bound = spec.kind == .call ? maxInverseCallEntryCoin : maxInversePutEntryCoin
            guard entryPrice <= bound else {
                throw InputError(path: "entry_price", message:
                    "\(entryPrice) is not a plausible premium for the inverse \(spec.kind == .call ? "call" : "put") "
                    + "\(instrument.id): an inverse option's entry price is in \(instrument.underlying) per underlying "
                    + "unit, as the venue quotes it (e.g. 0.0525), at most \(bound) for a \(spec.kind == .call ? "call" : "put"); "
                    + "a quote-currency premium must be converted (divide by the index at the trade)")
            }
            return EntryCost(quote: 0, coin: -quantity * size * entryPrice, settledInBalance: true)
        }
    }

    /// `of(quantity:entryPrice:instrument:)` for a position of the book.
    public static func of(position p: Position, instrument: Instrument) throws(InputError) -> EntryCost {
        try of(quantity: p.quantity, entryPrice: p.entryPrice, instrument: instrument)
    }
}
