import ArgumentParser
import Foundation
import RiskEngine

/// `riskattest iv`: the Black-76 implied volatility of one European option's market price, on a
/// forward given directly or derived from spot as S·e^{rT} (the engine's forward, SPEC §6.2).
struct IVCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "iv",
        abstract: "Implied volatility of a European option price (Black-76; --spot uses the forward S·e^(rT)).",
        discussion: """
            Exit 0 with the volatility; 2 when the inputs are unusable or no volatility gives the \
            price (below the discounted intrinsic value, at or above the no-arbitrage bound, or \
            above 1000 %). SPEC.md §5.5.
            """)

    @Option(parsing: .unconditional, help: "Market price of one unit of the option (quote currency).") var price: Double
    @Option(name: .customLong("type"), help: "Option type: call or put.") var optionType: String
    @Option(parsing: .unconditional, help: "Strike price K (> 0).") var strike: Double
    @Option(parsing: .unconditional, help: "Time to expiry in years (> 0), e.g. days/365.") var expiry: Double
    @Option(parsing: .unconditional, help: "Spot (index) price S; the forward is S·e^(rT).") var spot: Double?
    @Option(parsing: .unconditional, help: "Forward or futures price F.") var forward: Double?
    @Option(parsing: .unconditional, help: "Continuously compounded risk-free rate as a decimal.") var rate: Double
    @Flag(help: "Print one JSON object (riskattest.iv/1).") var json = false

    func validate() throws {
        guard OptionKind(rawValue: optionType) != nil else {
            throw ValidationError("--type must be 'call' or 'put', got '\(optionType)'")
        }
        guard (spot == nil) != (forward == nil) else { throw ValidationError("give exactly one of --spot and --forward") }
    }

    func run() throws {
        guard let kind = OptionKind(rawValue: optionType) else { throw ValidationError("invalid --type") }
        let f: Double
        if let s = spot {
            guard s.isFinite, s > 0 else { throw PriceCommandError(message: "spot must be a finite number > 0, got \(s)") }
            f = s * DetMath.exp(rate * expiry)
        } else {
            f = forward ?? 0
        }
        let r: ImpliedVol.Result
        do { r = try ImpliedVol.black76(kind: kind, price: price, forward: f, strike: strike, expiry: expiry, rate: rate) }
        catch { throw PriceCommandError(message: error.description) }
        if json {
            // riskattest.iv/1 (SPEC §7.4).
            let fields: [(String, String)] = [("schema", "\"riskattest.iv/1\""), ("implied_vol", "\(r.vol)"), ("forward", "\(f)"), ("price", "\(price)"),
                                              ("repriced", "\(r.repriced)"), ("iterations", "\(r.iterations)")]
            print("{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}")
        } else {
            print("implied vol \(String(format: "%.10f", r.vol)) (\(String(format: "%.4f", r.vol * 100)) %)")
            print("  black76 \(kind.rawValue)  forward \(f)\(spot.map { " (spot \($0) · e^(rT))" } ?? "")  strike \(strike)  expiry \(expiry)y  rate \(rate)")
            print("  price \(price); repriced at that vol \(r.repriced) (difference \(r.repriced - price)); \(r.iterations) iterations")
        }
    }
}
