import Foundation
import RiskEngine

/// Deterministic generator (SplitMix64) for the property-based attestation tests: the same seed
/// gives the same market and book on every machine, so a failure names a reproducible case.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }
    mutating func uniform(_ a: Double, _ b: Double) -> Double { a + (b - a) * unit() }
    mutating func chance(_ p: Double) -> Bool { unit() < p }
    mutating func pick<T>(_ xs: [T]) -> T { xs[Int(next() % UInt64(xs.count))] }
}

/// Random markets and books covering every instrument kind (linear and inverse perpetuals and
/// futures, calls and puts, linear and inverse options), contracts from 10⁻⁶ to 10 units of the
/// underlying, collateral priced from 10⁻⁶ to 10⁶ (some tied to an underlying, some borrowed).
enum RandomBooks {
    struct Case {
        var seed: UInt64
        var market: String
        var portfolio: String
    }

    /// Plain decimal text of x with up to `digits` decimals (no exponent: the JSON reader wants
    /// what venues print).
    static func num(_ x: Double, _ digits: Int) -> String {
        var s = String(format: "%.\(digits)f", x)
        if s.contains(".") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        return s == "-0" ? "0" : s
    }

    static func make(seed: UInt64, institutional: Bool = false) -> Case {
        var g = SplitMix64(seed: seed)
        let spots = ["BTC": 10 * pow(10, g.uniform(2, 4.3)), "ETH": pow(10, g.uniform(1.5, 3.8))]
        let tokenPrice = pow(10, g.uniform(-6, 6))
        let linSize = g.pick([1.0, 0.001, 0.000001, 0.1])
        var inst: [String] = []
        var ids: [(id: String, mark: Double, size: Double, isOption: Bool, coinEntry: Double?)] = []
        for u in ["BTC", "ETH"] {
            let s = spots[u]!
            // coinEntry: an inverse option's entry price is quoted in coin (SPEC §3.1): mark / S.
            func add(_ id: String, _ json: String, mark: Double, size: Double, option: Bool = false, coinEntry: Double? = nil) {
                inst.append(json); ids.append((id, mark, size, option, coinEntry))
            }
            let lp = s * g.uniform(0.998, 1.002), ip = s * g.uniform(0.998, 1.002)
            add("\(u)-LPERP", #"{"id": "\#(u)-LPERP", "underlying": "\#(u)", "type": "perpetual", "margining": "linear", "contract_size": \#(num(linSize, 6)), "mark_price": \#(num(lp, 2)), "funding_rate": \#(num(g.uniform(-0.0003, 0.0003), 6)), "funding_interval_hours": 8, "tier_table": "\#(u)-LIN"}"#, mark: lp, size: linSize)
            add("\(u)-IPERP", #"{"id": "\#(u)-IPERP", "underlying": "\#(u)", "type": "perpetual", "margining": "inverse", "contract_size": 10, "mark_price": \#(num(ip, 2)), "funding_rate": 0.0001, "funding_interval_hours": 8, "tier_table": "\#(u)-INV"}"#, mark: ip, size: 10)
            let lf = s * g.uniform(1.0, 1.03), ifu = s * g.uniform(1.0, 1.01)
            add("\(u)-LFUT", #"{"id": "\#(u)-LFUT", "underlying": "\#(u)", "type": "future", "margining": "linear", "contract_size": 1, "mark_price": \#(num(lf, 2)), "expiry": "2027-03-26T08:00:00Z", "tier_table": "\#(u)-LIN"}"#, mark: lf, size: 1)
            add("\(u)-IFUT", #"{"id": "\#(u)-IFUT", "underlying": "\#(u)", "type": "future", "margining": "inverse", "contract_size": 10, "mark_price": \#(num(ifu, 2)), "expiry": "2026-12-25T08:00:00Z", "tier_table": "\#(u)-INV"}"#, mark: ifu, size: 10)
            for (k, m) in [0.8, 1.0, 1.2].enumerated() {
                for call in [true, false] {
                    for (e, exp) in ["2026-11-27T08:00:00Z", "2027-03-26T08:00:00Z"].enumerated() {
                        let inverse = k == 1 && e == 1
                        let strike = (s * m).rounded()
                        let intrinsic = max(0, call ? s - strike : strike - s)
                        let mark = intrinsic + s * g.uniform(0.005, 0.08)
                        let id = "\(u)-O\(k)\(call ? "C" : "P")\(e)"
                        let size = e == 0 ? 1.0 : 0.1
                        add(id, #"{"id": "\#(id)", "underlying": "\#(u)", "type": "option", "margining": "\#(inverse ? "inverse" : "linear")", "contract_size": \#(num(size, 1)), "mark_price": \#(num(mark, 2)), "option_type": "\#(call ? "call" : "put")", "strike": \#(num(strike, 0)), "expiry": "\#(exp)", "mark_iv": \#(num(g.uniform(0.3, 1.1), 4)), "settlement": "cash", "tier_table": "\#(u)-OPT"}"#, mark: mark, size: size, option: true,
                            coinEntry: inverse ? mark / s : nil)
                    }
                }
            }
        }
        let scenarios = (0..<6).map { k -> String in
            let mv = [-0.3, -0.1, 0, 0.1, 0.3, 0.6][k]
            return #"{"name": "s\#(k)", "price_moves": {"BTC": \#(num(mv, 2)), "ETH": \#(num(mv * 1.2, 2))}, "vol_shock": {"type": "absolute", "shift": \#(num(k % 2 == 0 ? 0.1 : -0.05, 2))}, "weight": \#(num(k == 5 ? 0.5 : 1, 1))}"#
        }
        func tiers(_ name: String, _ rows: String) -> String { #"{"name": "\#(name)", "tiers": [\#(rows)]}"# }
        let lin = #"{"max_notional": 300000, "maintenance_rate": 0.004, "initial_rate": 0.008, "cumulative_deduction": 0}, {"max_notional": 800000, "maintenance_rate": 0.005, "initial_rate": 0.01, "cumulative_deduction": 300}, {"max_notional": null, "maintenance_rate": 0.0065, "initial_rate": 0.0134, "cumulative_deduction": 1500}"#
        let inv = #"{"max_notional": 2000000, "maintenance_rate": 0.005, "initial_rate": 0.008, "cumulative_deduction": 0}, {"max_notional": null, "maintenance_rate": 0.01, "initial_rate": 0.02, "cumulative_deduction": 10000}"#
        let opt = #"{"max_notional": null, "maintenance_rate": 0.075, "initial_rate": 0.15, "cumulative_deduction": 0}"#
        let market = """
        {"schema": "riskattest.market/1", "snapshot_id": "random-\(seed)", "as_of": "2026-11-24T08:00:00Z",
         "quote_currency": "USD", "max_price_age_seconds": 300,
         "underlyings": [
           {"id": "BTC", "index_price": \(num(spots["BTC"]!, 2)), "price_time": "2026-11-24T07:59:45Z", "rate": 0.04},
           {"id": "ETH", "index_price": \(num(spots["ETH"]!, 2)), "price_time": "2026-11-24T07:59:45Z", "rate": 0.03}],
         "instruments": [\(inst.joined(separator: ",\n"))],
         "collateral": [
           {"id": "USDC", "price": 1, "haircut": 0},
           {"id": "BTC", "price": \(num(spots["BTC"]!, 2)), "haircut": 0.05, "underlying": "BTC"},
           {"id": "TKN", "price": \(num(tokenPrice, 12)), "haircut": 0.1, "underlying": "BTC"},
           {"id": "DUST", "price": 0.000001, "haircut": 0}],
         "margin": {"portfolio_maintenance_fraction": 0.5,
           "option_margin": {"short_initial_rate": 0.15, "short_initial_floor_rate": 0.1, "short_maintenance_rate": 0.075},
           "tier_tables": [\(tiers("BTC-LIN", lin)), \(tiers("ETH-LIN", lin)), \(tiers("BTC-INV", inv)), \(tiers("ETH-INV", inv)),
                           \(tiers("BTC-OPT", opt)), \(tiers("ETH-OPT", opt))]},
         "scenarios": [\(scenarios.joined(separator: ",\n"))]}
        """
        var positions: [String] = []
        for c in ids where g.chance(0.45) {
            // Quantities in multiples of 10^-4 contract (the attestation's resolution).
            let maxQ = institutional ? 1e9 : (c.size < 0.01 ? 1e5 : (c.isOption ? 50 : 400))
            let q = (pow(10, g.uniform(-2, log10(maxQ))) * 1e4).rounded() / 1e4 * (g.chance(0.5) ? 1 : -1)
            guard q != 0 else { continue }
            let jitter = g.uniform(0.95, 1.05)
            let entry = c.coinEntry.map { num($0 * jitter, 8) } ?? num(c.mark * jitter, 2)
            positions.append(#"{"instrument": "\#(c.id)", "quantity": \#(num(q, 4)), "entry_price": \#(entry)}"#)
        }
        let usdc = institutional ? g.uniform(1e10, 9e10) : g.uniform(-2e5, 5e6)
        let collateral = [
            #"{"asset": "USDC", "amount": \#(num(usdc, 8))}"#,
            #"{"asset": "BTC", "amount": \#(num(g.uniform(-3, 40), 8))}"#,
            #"{"asset": "TKN", "amount": \#(num(g.uniform(-1, 1) * min(1e10, 1e5 / tokenPrice), 8))}"#,
            #"{"asset": "DUST", "amount": \#(num(g.uniform(0, 1e9), 8))}"#,
        ]
        let portfolio = """
        {"schema": "riskattest.portfolio/1", "margin_mode": "cross",
         "positions": [\(positions.joined(separator: ",\n"))],
         "collateral": [\(collateral.joined(separator: ", "))]}
        """
        return Case(seed: seed, market: market, portfolio: portfolio)
    }
}
