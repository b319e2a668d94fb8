/// Why no implied volatility exists for the inputs, in words a trader can act on.
public enum ImpliedVolError: Error, Equatable, CustomStringConvertible {
    case invalidInput(String)
    /// The price is below the option's value at zero volatility (its discounted intrinsic value).
    case belowIntrinsic(price: Double, intrinsic: Double)
    /// The price reaches the no-arbitrage bound (discounted forward for a call, strike for a put).
    case atOrAboveBound(price: Double, bound: Double)
    /// The price needs a volatility above `ImpliedVol.maxVol`.
    case aboveMaxVol(price: Double, priceAtMax: Double)

    public var description: String {
        switch self {
        case .invalidInput(let m): return m
        case .belowIntrinsic(let p, let i):
            return "price \(p) is below the option's discounted intrinsic value \(i): no volatility gives it"
        case .atOrAboveBound(let p, let b):
            return "price \(p) is at or above the no-arbitrage bound \(b) (discounted forward for a call, discounted strike for a put)"
        case .aboveMaxVol(let p, let m):
            return "price \(p) needs a volatility above \(ImpliedVol.maxVol) (the price there is \(m))"
        }
    }
}

/// Black-76 implied volatility: the σ at which `OptionPricer.black76` gives a market price.
///
/// Why this method: the Black-76 price is strictly increasing in σ (vega > 0 for T > 0), from the
/// discounted intrinsic value at σ = 0 to the no-arbitrage bound as σ → ∞, so every price strictly
/// between has exactly one σ. We keep a bracket [lo, hi] that always contains it and take Newton
/// steps σ − (V(σ) − P)/vega from inside it; a step that leaves the bracket, or a vanishing vega
/// (deep in or out of the money), is replaced by bisection. Convergence is quadratic near the root
/// and never worse than bisection, and the result is deterministic because the pricer is (SPEC §4).
/// The start is the Brenner–Subrahmanyam at-the-money estimate σ₀ = √(2π/T)·P/(df·F), clamped into
/// the bracket.
public enum ImpliedVol {
    /// Largest volatility searched (1000 %).
    public static let maxVol = 10.0
    public static let maxIterations = 200

    public struct Result: Sendable, Equatable {
        public var vol: Double
        /// The Black-76 price at `vol` (equal to the input up to the stopping rule).
        public var repriced: Double
        public var iterations: Int
    }

    public static func black76(kind: OptionKind, price: Double, forward: Double, strike: Double, expiry: Double,
                               rate: Double) throws(ImpliedVolError) -> Result {
        guard price.isFinite, price >= 0 else { throw .invalidInput("price must be a finite number >= 0, got \(price)") }
        guard forward.isFinite, forward > 0 else { throw .invalidInput("forward must be a finite number > 0, got \(forward)") }
        guard strike.isFinite, strike > 0 else { throw .invalidInput("strike must be a finite number > 0, got \(strike)") }
        guard expiry.isFinite, expiry > 0 else {
            throw .invalidInput("expiry must be > 0 years (at expiry the price is intrinsic and implies no volatility), got \(expiry)")
        }
        guard rate.isFinite else { throw .invalidInput("rate must be finite, got \(rate)") }
        func value(_ vol: Double) throws(ImpliedVolError) -> Greeks {
            do { return try OptionPricer.black76(kind: kind, forward: forward, strike: strike, expiry: expiry, vol: vol, rate: rate) }
            catch { throw .invalidInput("cannot price at vol \(vol): \(error)") }
        }
        let zero = try value(0)
        let df = DetMath.exp(-rate * expiry)
        let bound = kind == .call ? df * forward : df * strike
        // Tolerances: a few ulps of the price itself (deep out-of-the-money prices of 1e-23 are
        // legitimate and have a well-defined σ), of the bound for the upper check.
        let tol = 4 * Double.ulpOfOne * max(price, zero.price)
        guard price >= zero.price - tol else { throw .belowIntrinsic(price: price, intrinsic: zero.price) }
        guard price < bound - 4 * Double.ulpOfOne * bound else { throw .atOrAboveBound(price: price, bound: bound) }
        if price <= zero.price + tol { return Result(vol: 0, repriced: zero.price, iterations: 0) }
        let top = try value(maxVol)
        guard top.price >= price else { throw .aboveMaxVol(price: price, priceAtMax: top.price) }

        var lo = 0.0, hi = maxVol
        var vol = min(max((2 * Double.pi / expiry).squareRoot() * price / (df * forward), 1e-4), maxVol)
        for k in 1...maxIterations {
            let g = try value(vol)
            let f = g.price - price
            if abs(f) <= tol { return Result(vol: vol, repriced: g.price, iterations: k) }
            if f < 0 { lo = vol } else { hi = vol }
            if hi - lo <= 2 * Double.ulpOfOne * hi { return Result(vol: vol, repriced: g.price, iterations: k) }
            let newton = g.vega > 0 ? vol - f / g.vega : .nan
            vol = newton.isFinite && newton > lo && newton < hi ? newton : 0.5 * (lo + hi)
        }
        let g = try value(vol)
        return Result(vol: vol, repriced: g.price, iterations: maxIterations)
    }
}
