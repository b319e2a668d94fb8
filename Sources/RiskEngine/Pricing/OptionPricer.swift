/// European option kind.
public enum OptionKind: String, Sendable, Codable { case call, put }

/// Pricing model: Black–Scholes–Merton on spot, or Black-76 on a forward/futures price.
public enum PricingModel: String, Sendable, Codable { case bsm, black76 }

/// Price and sensitivities of one option on one unit of the underlying (SPEC.md §5).
///
/// Units: `price` in the currency of the strike; `delta` = ∂V/∂S (bsm) or ∂V/∂F (black76, so it
/// includes the discount factor); `gamma` the matching second derivative; `vega` = ∂V/∂σ per 1.00
/// of volatility; `theta` = −∂V/∂T per year (calendar time passing); `rho` = ∂V/∂r per 1.00 of rate
/// (bsm: S and q fixed; black76: F fixed); `vanna` = ∂²V/∂S∂σ (∂F∂σ for black76); `volga` = ∂²V/∂σ².
public struct Greeks: Sendable, Equatable, Codable {
    public var price, delta, gamma, vega, theta, rho, vanna, volga: Double

    public init(price: Double, delta: Double, gamma: Double, vega: Double, theta: Double,
                rho: Double, vanna: Double, volga: Double) {
        self.price = price; self.delta = delta; self.gamma = gamma; self.vega = vega
        self.theta = theta; self.rho = rho; self.vanna = vanna; self.volga = volga
    }
}

/// An input the pricer cannot price. `field` names the offending argument (`spot`, `forward`,
/// `strike`, `expiry`, `vol`, `rate`, `dividend`).
public enum PricingError: Error, Equatable, CustomStringConvertible {
    /// NaN or ±∞.
    case notFinite(field: String, value: Double)
    /// Must be strictly positive (prices and strikes).
    case notPositive(field: String, value: Double)
    /// Must be zero or positive (expiry, volatility).
    case negative(field: String, value: Double)
    /// Inputs are individually valid but the result overflows (e.g. e^((r−q)T) is infinite).
    case overflow(String)

    public var description: String {
        switch self {
        case .notFinite(let f, let v): return "\(f) must be a finite number, got \(v)"
        case .notPositive(let f, let v): return "\(f) must be greater than zero, got \(v)"
        case .negative(let f, let v): return "\(f) must not be negative, got \(v)"
        case .overflow(let what): return "result out of range: \(what)"
        }
    }
}

/// Closed-form European option prices and Greeks, on `DetMath` only (bit-identical everywhere).
///
/// Both models share one kernel on the forward: with Fwd the forward, DF = e^(−rT),
/// sd = σ√T, d1 = (ln(Fwd/K) + sd²/2)/sd, d2 = d1 − sd:
///     call = DF·(Fwd·Φ(d1) − K·Φ(d2)),   put = DF·(K·Φ(−d2) − Fwd·Φ(−d1)).
/// The put uses Φ(−d) directly (never 1 − Φ(d)), so deep out-of-the-money puts keep their
/// relative accuracy. Limits when sd = σ√T = 0 (T = 0 or σ = 0) are in SPEC.md §5.
public enum OptionPricer {

    static func check(_ field: String, _ v: Double, positive: Bool = false,
                      nonNegative: Bool = false) throws(PricingError) {
        guard v.isFinite else { throw .notFinite(field: field, value: v) }
        if positive && !(v > 0) { throw .notPositive(field: field, value: v) }
        if nonNegative && v < 0 { throw .negative(field: field, value: v) }
    }

    /// Black–Scholes–Merton on spot S with continuous dividend/carry yield q:
    /// Fwd = S·e^((r−q)T). Delta and gamma are with respect to S; rho moves r with S and q fixed
    /// (so the forward moves too).
    public static func bsm(kind: OptionKind, spot: Double, strike: Double, expiry: Double,
                           vol: Double, rate: Double, dividend: Double = 0) throws(PricingError) -> Greeks {
        try check("spot", spot, positive: true)
        try check("strike", strike, positive: true)
        try check("expiry", expiry, nonNegative: true)
        try check("vol", vol, nonNegative: true)
        try check("rate", rate)
        try check("dividend", dividend)
        let T = expiry, S = spot, K = strike, r = rate, q = dividend
        let df = DetMath.exp(-r * T)
        let dq = DetMath.exp(-q * T)
        guard df.isFinite, dq.isFinite, df > 0, dq > 0 else {
            throw .overflow("discount factors e^(-rT), e^(-qT)")
        }
        let sqrtT = T.squareRoot()
        let sd = vol * sqrtT
        let sign: Double = kind == .call ? 1 : -1
        let sdq = S * dq                               // S·e^(−qT) = DF·Fwd
        let kdf = K * df                               // K·e^(−rT)

        if !(sd > 0) {
            // Deterministic limit: the option pays DF·(±(Fwd − K))⁺ for sure. Φ(±d) tends to the
            // step function, with Φ(0) = 1/2 at the money, and every σ-derivative vanishes.
            let w = step(sign * (sdq - kdf))           // exercise weight: 1 ITM, 1/2 ATM, 0 OTM
            let price = w * sign * (sdq - kdf)
            return try finite(Greeks(price: price,
                                     delta: w * sign * dq,
                                     gamma: 0, vega: 0,
                                     theta: w * sign * (q * sdq - r * kdf),
                                     rho: w * sign * T * kdf,
                                     vanna: 0, volga: 0))
        }

        let lnFK = DetMath.logRatio(S, K) + (r - q) * T
        let d1 = lnFK / sd + 0.5 * sd
        let d2 = d1 - sd
        let nd1 = DetMath.normCDF(sign * d1)          // Φ(±d1)
        let nd2 = DetMath.normCDF(sign * d2)          // Φ(±d2)
        let pdf1 = DetMath.normPDF(d1)
        let price = sign * (sdq * nd1 - kdf * nd2)
        let delta = sign * dq * nd1
        // Once φ(d1) underflows to 0 every density term is 0 (the limit), even where d1 = ±∞.
        let dense = pdf1 > 0
        let gamma = dense ? dq * pdf1 / (S * sd) : 0
        let vega = sdq * pdf1 * sqrtT
        let theta = -sdq * pdf1 * vol / (2 * sqrtT) + sign * (q * sdq * nd1 - r * kdf * nd2)
        let rho = sign * T * kdf * nd2
        let vanna = dense ? -dq * pdf1 * d2 / vol : 0
        let volga = dense ? vega * d1 * d2 / vol : 0
        return try finite(Greeks(price: price, delta: delta, gamma: gamma, vega: vega, theta: theta,
                                 rho: rho, vanna: vanna, volga: volga))
    }

    /// Black-76 on a forward or futures price F, discounted at r: DF = e^(−rT). The forward is an
    /// input, so rho holds F fixed (rho = −T·price) and theta = r·price − DF·F·φ(d1)·σ/(2√T).
    /// Delta, gamma and vanna are with respect to F and include DF.
    public static func black76(kind: OptionKind, forward: Double, strike: Double, expiry: Double,
                               vol: Double, rate: Double) throws(PricingError) -> Greeks {
        try check("forward", forward, positive: true)
        try check("strike", strike, positive: true)
        try check("expiry", expiry, nonNegative: true)
        try check("vol", vol, nonNegative: true)
        try check("rate", rate)
        let T = expiry, F = forward, K = strike, r = rate
        let df = DetMath.exp(-r * T)
        guard df.isFinite, df > 0 else { throw .overflow("discount factor e^(-rT)") }
        let sqrtT = T.squareRoot()
        let sd = vol * sqrtT
        let sign: Double = kind == .call ? 1 : -1

        if !(sd > 0) {
            let w = step(sign * (F - K))
            let price = w * sign * df * (F - K)
            return try finite(Greeks(price: price, delta: w * sign * df, gamma: 0, vega: 0,
                                     theta: r * price, rho: -T * price, vanna: 0, volga: 0))
        }

        let d1 = DetMath.logRatio(F, K) / sd + 0.5 * sd
        let d2 = d1 - sd
        let nd1 = DetMath.normCDF(sign * d1)
        let nd2 = DetMath.normCDF(sign * d2)
        let pdf1 = DetMath.normPDF(d1)
        let price = sign * df * (F * nd1 - K * nd2)
        let delta = sign * df * nd1
        let dense = pdf1 > 0
        let gamma = dense ? df * pdf1 / (F * sd) : 0
        let vega = df * F * pdf1 * sqrtT
        let theta = r * price - df * F * pdf1 * vol / (2 * sqrtT)
        let rho = -T * price
        let vanna = dense ? -df * pdf1 * d2 / vol : 0
        let volga = dense ? vega * d1 * d2 / vol : 0
        return try finite(Greeks(price: price, delta: delta, gamma: gamma, vega: vega, theta: theta,
                                 rho: rho, vanna: vanna, volga: volga))
    }

    /// 1 for x > 0, 1/2 for x == 0, 0 for x < 0: the σ√T → 0 limit of Φ(d).
    static func step(_ x: Double) -> Double {
        x > 0 ? 1 : (x == 0 ? 0.5 : 0)
    }

    /// Valid inputs can still overflow (e.g. S near the largest double); report instead of
    /// returning ±∞ or NaN into JSON and fixed-point conversions. Also normalises −0 to +0.
    static func finite(_ g: Greeks) throws(PricingError) -> Greeks {
        guard g.price.isFinite, g.delta.isFinite, g.gamma.isFinite, g.vega.isFinite, g.theta.isFinite,
              g.rho.isFinite, g.vanna.isFinite, g.volga.isFinite else {
            throw .overflow("a price or Greek is not finite")
        }
        // x + 0 turns −0 into +0 (and changes nothing else), so sign-of-zero never differs
        // between otherwise equal results (w·ε products with w = 0 would give −0 for puts).
        return Greeks(price: g.price + 0, delta: g.delta + 0, gamma: g.gamma + 0, vega: g.vega + 0,
                      theta: g.theta + 0, rho: g.rho + 0, vanna: g.vanna + 0, volga: g.volga + 0)
    }
}
