/// Per-unit risk of every universe member, computed from the public snapshot alone.
///
/// Why per unit: every metric that is linear in the book (value, scenario values, Greeks, notional
/// of a signed-and-split quantity, funding) is `Σ quantity × unit figure`. The prover evaluates it on
/// the private quantities; the verifier only needs the unit figures, which it recomputes from the
/// snapshot with this same deterministic code. It is also what makes `RiskEngine.analyze` cheap: the
/// expensive part (option repricing under every scenario) is done once per instrument, never per
/// position, so the cost is O(instruments × scenarios + positions).
///
/// Units and conventions (SPEC.md §6):
/// - `value`: quote currency, one contract (or one collateral unit) at the snapshot.
/// - Price moves: scenario s moves underlying U to `S·(1 + m_sU)`; every mark of U (futures,
///   perpetuals, option forwards, collateral tied to U) moves by the same factor, so bases are kept.
/// - Greeks are with respect to the underlying *index* S: delta in underlying units (coins), gamma in
///   coins per quote unit, vega per 1.00 vol, theta per year (−∂V/∂t with S fixed), rho per 1.00 rate.

/// Time-to-expiry bucket of a dated instrument, measured from the snapshot time.
public enum ExpiryBucket: String, Sendable, Codable, CaseIterable {
    case under30d = "<30d", from30to90d = "30-90d", over90d = ">90d"

    /// `<30d` when DTE < 30, `30-90d` when 30 ≤ DTE ≤ 90, `>90d` when DTE > 90 (DTE in days, real).
    public init(daysToExpiry dte: Double) {
        if dte < 30 { self = .under30d } else if dte <= 90 { self = .from30to90d } else { self = .over90d }
    }
}

/// Per-unit risk of one universe member (see the file comment for units).
public struct UnitRisk: Sendable, Equatable {
    /// The underlying this member moves with; nil for quote-currency collateral.
    public var underlying: String?
    /// Quote value of +1 unit at the snapshot. Entry cost is excluded (it is a per-position constant,
    /// see `RiskEngine` and SPEC.md §6); collateral is counted after its haircut.
    public var value: Double
    /// `value` under each snapshot scenario, in snapshot order.
    public var scenarioValues: [Double]
    /// Value of −1 unit is `−liabilityValue`: a negative collateral balance (a loan) earns no
    /// haircut credit, so its unit value is the full price. Equal to `value` for instruments.
    public var liabilityValue: Double
    /// `liabilityValue` under each scenario.
    public var liabilityScenarioValues: [Double]
    public var delta: Double
    public var gamma: Double
    public var vega: Double
    public var theta: Double
    public var rho: Double
    public var vanna: Double
    /// nil for perpetuals and collateral.
    public var expiryBucket: ExpiryBucket?
    /// Quote notional of +1 unit (≥ 0): linear futures/perpetuals `size·mark`, inverse ones their
    /// face value `size`, options `size·S` (underlying value), collateral 0 (collateral is not leverage).
    public var notional: Double
    /// Quote cash paid by +1 unit per funding interval (received when negative): `rate·notional`.
    public var fundingPerInterval: Double
    /// `fundingPerInterval × (365·24 / interval hours)`.
    public var fundingAnnualized: Double
    /// Options: the forward F0 the model prices on, and the listed future it comes from (nil when
    /// it is `S0·e^{rate·T}`, no future of the option's underlying and expiry being listed).
    public var forward: Double? = nil
    public var forwardFuture: String? = nil
}

/// The internal pricing model of one instrument: everything needed to revalue it at a moved index
/// and a shocked volatility.
struct InstrumentModel: Sendable {
    enum Form: Sendable {
        case linear                     // linear perpetual or future
        case inverse                    // inverse perpetual or future
        case option(kind: OptionKind, strike: Double, years: Double, iv: Double, dte: Double)
    }
    var form: Form
    var underlyingIndex: Int
    var size: Double
    var mark: Double
    var spot: Double                    // the underlying's index price S0
    var rate: Double
    var forward: Double                 // options: S0·exp(rT); others: mark
    var isInverse: Bool
    var isPerpetual: Bool

    // Option constants, precomputed once: discount factor e^{−rT}, ln(F0/K), √T, call/put sign.
    var df = 1.0, lnFK = 0.0, sqrtT = 0.0, sign = 1.0, strike = 0.0
    /// Options: the venue's value of one contract, `size·mark_price` (SPEC.md §6.2), and the
    /// model's value of one contract at the snapshot, `M(1)` = `size·Black76(F0, K, T, IV)`.
    /// Every option value is anchored at the mark and moved by the model:
    /// `V(r, σ) = markValue + (M(r, σ) − modelBase)`, so `V(1, IV) = markValue` exactly (the
    /// difference is +0) and every P&L is the model's revaluation. Both 0 for other forms.
    var markValue = 0.0, modelBase = 0.0

    /// Quote value of +1 contract when the index is `S0·ratio` and the option vol is `vol`.
    ///
    /// - linear: `size·mark·ratio` (the mark moves with the index).
    /// - inverse: the market-dependent part of the coin P&L is `−size/mark'` coins, worth
    ///   `−size·S'/mark'` in quote; with `mark' = mark·ratio`, `S' = S0·ratio` this is the constant
    ///   `−size·S0/mark`. All price risk of an inverse contract sits in its entry coin amount
    ///   `size/entry` (a coin balance; see `RiskEngine`).
    /// - option: `size·mark + (size·Black76(F0·ratio, K, T, vol, r) − size·Black76(F0, K, T, IV, r))`:
    ///   the snapshot's mark, moved by the model's revaluation (see `markValue`).
    func value(ratio: Double, vol: Double) -> Double {
        value(ratio: ratio, lnRatio: DetMath.log(ratio), sd: vol * sqrtT)
    }

    /// The same with ln(ratio) and σ√T supplied: the hot path of the stress grid and the liquidation
    /// searches, where ln(ratio) is shared by every instrument of an underlying and σ√T by every
    /// trial price. Black-76 price only:
    /// `sign·df·(F·Φ(sign·d1) − K·Φ(sign·d2))`, `d1 = (ln(F0/K) + ln ratio)/(σ√T) + σ√T/2`,
    /// `d2 = d1 − σ√T` — the same formula as `OptionPricer.black76`, with ln(F/K) split as
    /// ln(F0/K) + ln(ratio) (equal up to rounding; the unit tests pin the agreement).
    /// (One formula serves both: this is `valueAndSlope(…).value`, the unused slope being a pure
    /// product the optimiser drops.)
    @inline(__always)
    func value(ratio: Double, lnRatio: Double, sd: Double) -> Double {
        valueAndSlope(ratio: ratio, lnRatio: lnRatio, sd: sd).value
    }

    /// `value(ratio:lnRatio:sd:)` and its derivative in the ratio, which the liquidation screen
    /// needs: `size·mark` (linear), 0 (inverse), and for options `size·sign·df·F0·Φ(sign·d1)`
    /// (Black-76 delta times F0; the intrinsic slope when σ√T = 0). An option's value is
    /// `markValue + (M − modelBase)` with M the model value below, in exactly that order (the
    /// bracket first): the constant offset leaves the slope the model's.
    @inline(__always)
    func valueAndSlope(ratio: Double, lnRatio: Double, sd: Double) -> (value: Double, slope: Double) {
        switch form {
        case .linear: return (size * mark * ratio, size * mark)
        case .inverse: return (-size * (spot / mark), 0)
        case .option:
            let (m, slope) = modelValueAndSlope(ratio: ratio, lnRatio: lnRatio, sd: sd)
            return (markValue + (m - modelBase), slope)
        }
    }

    /// An option's pure model value M (Black-76, price only) and its slope in the ratio; not
    /// anchored at the mark. Used for `modelBase` and by `valueAndSlope`.
    @inline(__always)
    func modelValueAndSlope(ratio: Double, lnRatio: Double, sd: Double) -> (value: Double, slope: Double) {
        let f = forward * ratio
        guard sd > 0 else {
            let x = sign * (f - strike)
            return x > 0 ? (size * df * x, size * sign * df * forward) : (0, 0)
        }
        let d1 = (lnFK + lnRatio) / sd + 0.5 * sd
        let d2 = d1 - sd
        let n1 = DetMath.normCDF(sign * d1)
        return (size * sign * df * (f * n1 - strike * DetMath.normCDF(sign * d2)), size * sign * df * forward * n1)
    }

    /// The instrument's implied vol under a scenario's shock (options only; 0 otherwise).
    func shockedVol(_ shock: VolShock) -> Double {
        guard case .option(_, _, _, let iv, let dte) = form else { return 0 }
        return UnitRiskTable.shockedVol(iv: iv, dte: dte, shock: shock)
    }

    /// σ√T at the snapshot's mark IV (0 for non-options).
    var baseSD: Double {
        if case .option(_, _, _, let iv, _) = form { return iv * sqrtT }
        return 0
    }
}

/// Per-unit risk of the whole universe and all collateral assets of one snapshot.
public struct UnitRiskTable: Sendable {
    public var instruments: [UnitRisk]
    public var collateral: [UnitRisk]

    // Kept for the metrics engine (repricing at other index levels).
    var models: [InstrumentModel]
    /// `ratios[s][u]` = 1 + move of underlying u in scenario s.
    var scenarioRatios: [[Double]]
    /// `ln(scenarioRatios[s][u])`.
    var scenarioLnRatios: [[Double]]
    /// σ√T of instrument i under scenario s's vol shock: `scenarioSD[s][i]` (0 for non-options).
    var scenarioSD: [[Double]]
    /// Underlying index (into `market.underlyings`) of each collateral asset; nil for quote collateral.
    var collateralUnderlying: [Int?]

    /// Implied vol after a scenario shock (SPEC.md §2.2 / §6):
    /// absolute `IV + s`; term structure `IV·(1 + s·(30/max(1, DTE))^p)`, p = 0.30 if DTE < 30
    /// else 0.13. The result is floored at 1e-4 so a pathological shock cannot make the pricer
    /// fail (the snapshot decoder already rejects shocks that would make any IV non-positive).
    public static func shockedVol(iv: Double, dte: Double, shock: VolShock) -> Double {
        let v: Double
        switch shock {
        case .none: v = iv
        case .absolute(let s): v = iv + s
        case .termStructure(let s):
            let p = dte < 30 ? 0.30 : 0.13
            let factor = DetMath.pow(30 / max(1, dte), p)
            v = iv * (1 + s * factor)
        }
        return v > 1e-4 ? v : 1e-4
    }

    public init(market: MarketSnapshot) throws(InputError) {
        let secondsPerYear = 365.0 * 86_400
        var models: [InstrumentModel] = []
        models.reserveCapacity(market.instruments.count)
        var units: [UnitRisk] = []
        units.reserveCapacity(market.instruments.count)

        // Option forwards (SPEC.md §6.2): the first future in universe order with the option's
        // underlying and exact expiry supplies F0 = its mark; otherwise F0 = S0·e^{rate·T}.
        var listedFuture: [String: Int] = [:]
        for (i, inst) in market.instruments.enumerated() {
            if case .future(let e) = inst.kind {
                let key = inst.underlying + "\u{0}" + String(e.seconds)
                if listedFuture[key] == nil { listedFuture[key] = i }
            }
        }

        var ratios: [[Double]] = []
        ratios.reserveCapacity(market.scenarios.count)
        for (k, sc) in market.scenarios.enumerated() {
            var row = [Double](repeating: 1, count: market.underlyings.count)
            for (uid, move) in sc.priceMoves {
                guard let u = market.underlyingIndex(uid) else {
                    throw InputError(path: "scenarios[\(k)].price_moves.\(uid)", message: "unknown underlying \"\(uid)\"")
                }
                guard move.isFinite, move > -1 else {
                    throw InputError(path: "scenarios[\(k)].price_moves.\(uid)", message: "move must be a finite number > -1")
                }
                row[u] = 1 + move
            }
            ratios.append(row)
        }
        let lnRatios = ratios.map { $0.map { DetMath.log($0) } }

        for (i, inst) in market.instruments.enumerated() {
            let path = "instruments[\(i)]"
            guard let u = market.underlyingIndex(inst.underlying) else {
                throw InputError(path: path + ".underlying", message: "unknown underlying \"\(inst.underlying)\"")
            }
            let und = market.underlyings[u]
            let s0 = und.indexPrice
            var form: InstrumentModel.Form
            var bucket: ExpiryBucket? = nil
            var forward = inst.markPrice
            var perInterval = 0.0, annualized = 0.0
            var isPerp = false
            var forwardFuture: String? = nil
            switch inst.kind {
            case .perpetual(let rate, let hours):
                form = inst.margining == .linear ? .linear : .inverse
                isPerp = true
                let notional = inst.margining == .linear ? inst.contractSize * inst.markPrice : inst.contractSize
                perInterval = rate * notional
                annualized = hours > 0 ? perInterval * (365 * 24 / hours) : 0
            case .future(let expiry):
                form = inst.margining == .linear ? .linear : .inverse
                bucket = ExpiryBucket(daysToExpiry: market.daysToExpiry(expiry))
            case .option(let spec):
                let dte = market.daysToExpiry(spec.expiry)
                let years = Double(spec.expiry.seconds - market.asOf.seconds) / secondsPerYear
                guard years > 0 else { throw InputError(path: path + ".expiry", message: "option has expired") }
                form = .option(kind: spec.kind, strike: spec.strike, years: years, iv: spec.markIV, dte: dte)
                if let f = listedFuture[inst.underlying + "\u{0}" + String(spec.expiry.seconds)] {
                    forward = market.instruments[f].markPrice
                    forwardFuture = market.instruments[f].id
                } else {
                    forward = s0 * DetMath.exp(und.rate * years)
                }
                bucket = ExpiryBucket(daysToExpiry: dte)
            }
            var model = InstrumentModel(form: form, underlyingIndex: u, size: inst.contractSize, mark: inst.markPrice,
                                        spot: s0, rate: und.rate, forward: forward,
                                        isInverse: inst.margining == .inverse, isPerpetual: isPerp)
            if case .option(let kind, let strike, let years, _, _) = form {
                model.df = DetMath.exp(-und.rate * years)
                model.lnFK = DetMath.logRatio(forward, strike)
                model.sqrtT = years.squareRoot()
                model.sign = kind == .call ? 1 : -1
                model.strike = strike
                guard model.df.isFinite, model.df > 0, model.lnFK.isFinite else {
                    throw InputError(path: path, message: "cannot be priced: discount factor or ln(F/K) not finite")
                }
                // Anchor at the venue's mark (SPEC.md §6.2): the model only moves the value.
                model.markValue = inst.contractSize * inst.markPrice
                model.modelBase = model.modelValueAndSlope(ratio: 1, lnRatio: 0, sd: model.baseSD).value
            }
            models.append(model)

            var unit = UnitRisk(underlying: inst.underlying, value: 0, scenarioValues: [], liabilityValue: 0,
                                liabilityScenarioValues: [], delta: 0, gamma: 0, vega: 0, theta: 0, rho: 0, vanna: 0,
                                expiryBucket: bucket, notional: 0, fundingPerInterval: perInterval,
                                fundingAnnualized: annualized)
            do {
                switch form {
                case .linear:
                    unit.value = model.value(ratio: 1, lnRatio: 0, sd: 0)
                    // d(size·mark·S/S0)/dS: exactly `size` when the mark equals the index.
                    unit.delta = inst.contractSize * (inst.markPrice / s0)
                    unit.notional = inst.contractSize * inst.markPrice
                case .inverse:
                    unit.value = model.value(ratio: 1, lnRatio: 0, sd: 0)
                    unit.notional = inst.contractSize
                case .option(let kind, let strike, let years, let iv, _):
                    // Black-76 on F0; Greeks converted to the index S. The forward moves with the
                    // index in proportion (§6.1), so ∂F/∂S = F0/S0 either way. With F0 = S0·e^{rT}
                    // the carry also gives ∂F/∂T|S = rF and ∂F/∂r|S = TF; a listed future's mark is
                    // an observed price, held fixed in time and rate, so theta and rho are then
                    // Black-76's own (the venue's convention: Deribit's Greeks are on its forward).
                    let g = try OptionPricer.black76(kind: kind, forward: forward, strike: strike, expiry: years,
                                                     vol: iv, rate: und.rate)
                    let e = forward / s0
                    let size = inst.contractSize
                    unit.value = model.value(ratio: 1, lnRatio: 0, sd: iv * model.sqrtT)
                    unit.delta = size * g.delta * e
                    unit.gamma = size * g.gamma * e * e
                    unit.vega = size * g.vega
                    if forwardFuture == nil {
                        unit.theta = size * (g.theta - g.delta * und.rate * forward)
                        unit.rho = size * (g.rho + g.delta * forward * years)
                    } else {
                        unit.theta = size * g.theta
                        unit.rho = size * g.rho
                    }
                    unit.forward = forward
                    unit.forwardFuture = forwardFuture
                    unit.vanna = size * g.vanna * e
                    unit.notional = size * s0
                }
                var sv = [Double](repeating: 0, count: market.scenarios.count)
                for (k, sc) in market.scenarios.enumerated() {
                    sv[k] = model.value(ratio: ratios[k][u], lnRatio: lnRatios[k][u],
                                        sd: model.shockedVol(sc.volShock) * model.sqrtT)
                }
                unit.scenarioValues = sv
            } catch {
                throw InputError(path: path, message: "cannot be priced: \(error)")
            }
            guard unit.value.isFinite, unit.delta.isFinite, unit.gamma.isFinite, unit.vega.isFinite,
                  unit.theta.isFinite, unit.rho.isFinite, unit.scenarioValues.allSatisfy(\.isFinite) else {
                throw InputError(path: path, message: "risk figures are not finite (inputs out of range)")
            }
            unit.liabilityValue = unit.value
            unit.liabilityScenarioValues = unit.scenarioValues
            units.append(unit)
        }

        var vols: [[Double]] = []
        vols.reserveCapacity(market.scenarios.count)
        for sc in market.scenarios { vols.append(models.map { $0.shockedVol(sc.volShock) * $0.sqrtT }) }

        var coll: [UnitRisk] = []
        var collU: [Int?] = []
        for (j, asset) in market.collateral.enumerated() {
            var uIndex: Int? = nil
            var delta = 0.0
            if let uid = asset.underlying {
                guard let u = market.underlyingIndex(uid) else {
                    throw InputError(path: "collateral[\(j)].underlying", message: "unknown underlying \"\(uid)\"")
                }
                uIndex = u
                // Economic exposure in underlying units (1 per coin when the price is the index).
                delta = asset.price / market.underlyings[u].indexPrice
            }
            let keep = 1 - asset.haircut
            var sv: [Double] = [], lv: [Double] = []
            sv.reserveCapacity(market.scenarios.count); lv.reserveCapacity(market.scenarios.count)
            for k in 0..<market.scenarios.count {
                let p = uIndex.map { asset.price * ratios[k][$0] } ?? asset.price
                sv.append(p * keep); lv.append(p)
            }
            coll.append(UnitRisk(underlying: asset.underlying, value: asset.price * keep, scenarioValues: sv,
                                 liabilityValue: asset.price, liabilityScenarioValues: lv, delta: delta, gamma: 0,
                                 vega: 0, theta: 0, rho: 0, vanna: 0, expiryBucket: nil, notional: 0,
                                 fundingPerInterval: 0, fundingAnnualized: 0))
            collU.append(uIndex)
        }

        self.instruments = units
        self.collateral = coll
        self.models = models
        self.scenarioRatios = ratios
        self.scenarioLnRatios = lnRatios
        self.scenarioSD = vols
        self.collateralUnderlying = collU
    }
}
