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

    /// The nearest ratio on the given ladder side where g crosses to ≤ 0; nil when none.
    /// `g1` is g(1) (> 0).
    static func nearestRoot(g: (Double) -> Double, g1: Double, ladder: [Double]) -> Double? {
        var safe = 1.0, gSafe = g1
        for r in ladder {
            let v = g(r)
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
