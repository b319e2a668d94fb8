/// Bracketing root search for liquidation prices.
///
/// The liquidation condition is `g(r) = equity(S0·r) − maintenance(S0·r) ≤ 0`, r the index ratio.
/// With options re-priced, g is smooth but not monotone (a short straddle is liquidated on both
/// sides), so we never rely on monotonicity:
///
/// 1. If g(1) ≤ 0 the account is already at or below maintenance: no search.
/// 2. Scan outwards from r = 1 over a fixed ladder of ratios (below: 0.99 … 0.0001; above:
///    1.01 … 100; 22 rungs each, steps of 1–3 % within ±5 %, 3–7 % out to ±30 %). The first rung
///    with g ≤ 0 and its inner neighbour (g > 0) form a guaranteed bracket. No sign change on the
///    ladder = no liquidation price on that side (reported as nil). Two roots closer together than
///    one rung can be missed; the ladder is densest near the current price, where that matters most.
/// 3. Inside the bracket, the Illinois variant of regula falsi: each step keeps a sign-changing
///    bracket (so it cannot diverge) and halves the weight of a stale end, which gives superlinear
///    convergence; we stop when the bracket is narrower than 1e-13·r or after 200 steps, and return
///    the end with g ≤ 0 closest to the root, so the returned price is never on the safe side by
///    more than the tolerance.
enum LiquidationSearch {
    static let downLadder: [Double] = [0.99, 0.98, 0.97, 0.95, 0.93, 0.9, 0.87, 0.84, 0.8, 0.75, 0.7, 0.64, 0.57,
                                       0.5, 0.4, 0.3, 0.2, 0.1, 0.03, 0.01, 0.001, 0.0001]
    static let upLadder: [Double] = [1.01, 1.02, 1.03, 1.05, 1.07, 1.1, 1.13, 1.16, 1.2, 1.25, 1.3, 1.4, 1.5, 1.75,
                                     2, 2.5, 3, 4, 6, 10, 20, 100]

    /// ln of every rung, computed once with `DetMath.log` (so identical to computing it per call).
    static let downLadderLog: [Double] = downLadder.map { DetMath.log($0) }
    static let upLadderLog: [Double] = upLadder.map { DetMath.log($0) }

    /// The nearest ratio on the given ladder side where g crosses to ≤ 0; nil when none.
    /// `g1` is g(1) (> 0). Two optional shortcuts, each required to agree exactly with g:
    /// `atRung(j)` returns g(ladder[j]) (a caller can serve it from values cached per rung), and
    /// `isSafe(r)` returns `g(r) > 0` (cheaper because it only decides the sign; g is then evaluated
    /// only at the two rungs that bracket a root). Either way the result is the one g alone gives.
    static func nearestRoot(g: (Double) -> Double, g1: Double, ladder: [Double],
                            atRung: ((Int) -> Double)? = nil, isSafe: ((Double) -> Bool)? = nil) -> Double? {
        var safe = 1.0, gSafe = g1
        for (j, r) in ladder.enumerated() {
            if let isSafe {
                if isSafe(r) { safe = r; continue }
                let v = g(r)
                let gs = safe == 1 ? g1 : g(safe)
                return refine(g: g, safe: safe, gSafe: gs, bad: r, gBad: v.isNaN ? -1 : v)
            }
            let v = atRung?(j) ?? g(r)
            if !(v > 0) {       // NaN counts as a failure to stay safe: bracket it too
                return refine(g: g, safe: safe, gSafe: gSafe, bad: r, gBad: v.isNaN ? -1 : v)
            }
            safe = r; gSafe = v
        }
        return nil
    }

    /// Illinois regula falsi between `safe` (g > 0) and `bad` (g ≤ 0).
    static func refine(g: (Double) -> Double, safe s0: Double, gSafe: Double, bad b0: Double, gBad: Double) -> Double {
        var a = s0, fa = gSafe, b = b0, fb = gBad
        if fb == 0 { return b }
        var side = 0
        for _ in 0..<200 {
            if abs(a - b) <= 1e-13 * max(abs(a), abs(b)) { break }
            var c = (a * fb - b * fa) / (fb - fa)
            // Fall back to bisection when the secant leaves the bracket or is not finite.
            let lo = min(a, b), hi = max(a, b)
            if !(c > lo && c < hi) { c = 0.5 * (a + b) }
            let fc = g(c)
            if fc.isNaN || fc <= 0 {
                if fc == 0 { return c }
                b = c; fb = fc.isNaN ? -1 : fc
                if side == -1 { fa *= 0.5 }
                side = -1
            } else {
                a = c; fa = fc
                if side == 1 { fb *= 0.5 }
                side = 1
            }
        }
        return b
    }
}

/// Decides the sign of the portfolio-mode liquidation function
/// `g(r) = eq(r) − f·max(0, maxₛ wlₛ(r))`, or its maximum term, while evaluating as few scenarios
/// as it can.
///
/// Why this is exact: each weighted scenario loss is smooth in the ratio r, with
/// `pnlₛ(r) = othersₛ + T·r·(ρₛ − 1) + Σₙ qₙ·(vₙ(r·ρₛ) − vₙ(r))`. After scenario s has been
/// evaluated exactly at an anchor a (its loss and its slope in r), two bounds hold at any r:
///
/// - first order: `|wlₛ(r) − wlₛ(a)| ≤ Lₛ·|r − a|`, `Lₛ = |wₛ|·(|T| + Σₙ |qₙ|·slopeₙ)·(ρₛ + 1)`,
///   because every unit value's slope is bounded (`|∂v/∂r| ≤ size·df·F0` for an option, a Black-76
///   delta lying in [−df, df]; `size·mark` for a linear contract; 0 for an inverse one);
/// - second order: `|wlₛ(r) − wlₛ(a) − wlₛ′(a)·(r − a)| ≤ Rₛ(|r − a|, min(r, a))`, the caller's
///   `curvature` bound, from the Black-76 gamma `size·df·φ(d1)/(F·σ√T) ≤ size·df/(F·σ√T·√(2π))`
///   (each option term's remainder is also at most twice its slope bound times |r − a|, whichever
///   is smaller). Linear and inverse contracts are exactly linear in r: no remainder.
///
/// The computed losses and slopes differ from the exact ones by rounding (a few ulps per term, so
/// below 1e-12 of `Cₛ + Lₛ·r`, the scale of the terms summed); the bound adds 1e-9 of that scale at
/// both ends, far more than enough. A scenario is skipped when its bound shows it cannot decide
/// the answer. Because IEEE rounding is monotone, `eq − f·x` computed in floating point is
/// non-increasing in x, so the verdicts and the maximum are those of the full evaluation, bit for
/// bit, and the ladder finds the same bracket and the refinement the same iterates.
struct ScenarioScreen {
    /// Lₛ (weight included) and the constant part Cₛ of the rounding scale, per scenario.
    let lipschitz: [Double]
    let constant: [Double]
    /// Rₛ(d, rLow): a bound on the deviation of scenario s's weighted loss from its tangent at an
    /// anchor at distance d, all ratios in between being ≥ rLow. nil: first-order bounds only.
    let curvature: ((Int, Double, Double) -> Double)?
    /// The last exact evaluation of each scenario: (ratio, weighted loss, its slope in r); nil
    /// before the first or after a NaN (a NaN loss is ignored by the maximum, so it can never be
    /// skipped safely).
    private var anchors: [(r: Double, loss: Double, slope: Double)?]
    /// Scenario evaluations done and skipped (the tests check that the screen does skip).
    private(set) var evaluated = 0, skipped = 0

    init(lipschitz: [Double], constant: [Double], curvature: ((Int, Double, Double) -> Double)? = nil) {
        self.lipschitz = lipschitz
        self.constant = constant
        self.curvature = curvature
        anchors = Array(repeating: nil, count: lipschitz.count)
    }

    /// Exactly `max(0, maxₛ loss(s))` (NaN losses ignored, as the plain maximum does), evaluating
    /// scenarios in decreasing order of their bound and stopping once no remaining bound exceeds
    /// the largest loss found: those scenarios cannot change the maximum. Near a root, where the
    /// refinement moves r by tiny steps, this is usually one or two scenarios.
    mutating func worst(r: Double, loss: (Int) -> (value: Double, slope: Double)) -> Double {
        var order: [(bound: Double, s: Int)] = []
        order.reserveCapacity(anchors.count)
        for s in 0..<anchors.count { order.append((bound(s, at: r, secondOrder: true), s)) }
        order.sort { $0.bound > $1.bound || ($0.bound == $1.bound && $0.s < $1.s) }
        var worst = 0.0
        for (k, (b, s)) in order.enumerated() {
            if b <= worst { skipped += order.count - k; break }
            let wl = evaluate(s, at: r, loss)
            if wl > worst { worst = wl }
        }
        return worst
    }

    /// Exactly `equity − fraction·max(0, maxₛ loss(s)) > 0`, calling `loss` only where needed.
    mutating func isSafe(r: Double, equity eq: Double, fraction: Double,
                         loss: (Int) -> (value: Double, slope: Double)) -> Bool {
        var worst = 0.0
        for s in 0..<anchors.count {
            if anchors[s] != nil {
                // The cheap first-order bound first; the second-order one only when that fails.
                if eq - fraction * max(0, bound(s, at: r, secondOrder: false)) > 0
                    || eq - fraction * max(0, bound(s, at: r, secondOrder: true)) > 0 {
                    skipped += 1; continue
                }
            }
            let wl = evaluate(s, at: r, loss)
            if wl > worst { worst = wl }
        }
        return eq - fraction * worst > 0
    }

    /// Evaluates scenario s exactly, records it as the new anchor, and returns the loss.
    private mutating func evaluate(_ s: Int, at r: Double, _ loss: (Int) -> (value: Double, slope: Double)) -> Double {
        let (wl, slope) = loss(s)
        evaluated += 1
        anchors[s] = wl.isNaN || slope.isNaN ? nil : (r, wl, slope)
        return wl
    }

    /// An upper bound on scenario s's computed loss at r (+∞ without a usable anchor): the first-
    /// order bound, tightened by the second-order one when asked for and available.
    private func bound(_ s: Int, at r: Double, secondOrder: Bool) -> Double {
        guard let a = anchors[s] else { return .infinity }
        let d = abs(r - a.r)
        let slack = 1e-9 * (2 * constant[s] + lipschitz[s] * (r + a.r))
        var b = a.loss + lipschitz[s] * d + slack
        if secondOrder, let curvature {
            let t = a.loss + a.slope * (r - a.r) + curvature(s, d, min(r, a.r)) + slack
            if t < b { b = t }
        }
        return b.isNaN ? .infinity : b
    }
}

extension ScenarioScreen {
    /// The screen for one underlying's portfolio-mode search (see `Book.liquidationFor`): the
    /// instruments of that underlying with their net quantities, the quote value moving 1:1 with
    /// the index (T), the P&L of everything else per scenario, the scenario ratios ρₛ of this
    /// underlying, σ√T per scenario and instrument, and the scenario weights.
    init(models: [InstrumentModel], nets: [Double], linearTied: Double, othersPnl: [Double],
         ratios: [Double], scenarioSD: [[Double]], weights: [Double]) {
        let nS = ratios.count
        // Per instrument: the slope bound of one unit (|∂v/∂r| at most this) and the size of its
        // value away from that slope (for the rounding allowance).
        var slope = [Double](repeating: 0, count: models.count), level = [Double](repeating: 0, count: models.count)
        for (n, m) in models.enumerated() {
            switch m.form {
            case .linear: slope[n] = abs(m.size * m.mark)
            case .inverse: level[n] = 2 * abs(m.size * (m.spot / m.mark))
            case .option:
                // The mark anchor `markValue + (M − modelBase)` adds two constants to the terms
                // summed (not to the slope), so they join the rounding scale.
                slope[n] = abs(m.size * m.df * m.forward)
                level[n] = abs(m.size * m.df * m.strike) + abs(m.markValue) + abs(m.modelBase)
            }
        }
        let absWeights = weights.map { abs($0) }
        var lipschitz = [Double](repeating: 0, count: nS), constant = [Double](repeating: 0, count: nS)
        for s in 0..<nS {
            var l = abs(linearTied) * (abs(ratios[s]) + 1), c = abs(othersPnl[s])
            for n in 0..<models.count where nets[n] != 0 {
                l += abs(nets[n]) * slope[n] * (abs(ratios[s]) + 1)
                c += abs(nets[n]) * level[n]
            }
            lipschitz[s] = absWeights[s] * l
            constant[s] = absWeights[s] * c
        }
        // Second order, per option held: with S = |q|·size·df·F0, the term q·v(r·ρ) has
        // |∂²/∂r²| ≤ ρ·S/(r·σ√T·√(2π)) and slope ≤ ρ·S, so its deviation from the tangent over a
        // distance d (ratios ≥ rLow) is at most min(½·ρ·S·d²/(rLow·σ√T·√(2π)), 2·ρ·S·d); the same
        // with ρ = 1 and the snapshot σ√T for the term −q·v(r).
        var held: [Int] = []
        for n in 0..<models.count where nets[n] != 0 {
            if case .option = models[n].form { held.append(n) }
        }
        let invSqrt2Pi = 0.3989422804014327
        let baseS = held.map { abs(nets[$0]) * slope[$0] }
        let baseK = held.enumerated().map { k, n in
            models[n].baseSD > 0 ? baseS[k] * invSqrt2Pi / models[n].baseSD : .infinity
        }
        let scenS = (0..<nS).map { s in baseS.map { abs(ratios[s]) * $0 } }
        let scenK = (0..<nS).map { s in
            held.enumerated().map { k, n in scenarioSD[s][n] > 0 ? scenS[s][k] * invSqrt2Pi / scenarioSD[s][n] : .infinity }
        }
        self.init(lipschitz: lipschitz, constant: constant) { s, d, rLow in
            let h = 0.5 * d * d / rLow, d2 = 2 * d
            let sS = scenS[s], sK = scenK[s]
            var total = 0.0
            for k in 0..<held.count {
                total += min(sK[k] * h, sS[k] * d2) + min(baseK[k] * h, baseS[k] * d2)
            }
            return absWeights[s] * total
        }
    }
}
