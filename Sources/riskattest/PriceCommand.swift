import ArgumentParser
import Foundation
import RiskEngine

/// A pricing failure on valid syntax (e.g. a negative strike): reported without the usage text,
/// exit status 2 like every other unusable input (main.swift maps it; 1 is reserved for a check
/// that came out negative, which pricing never does).
struct PriceCommandError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// `riskattest price`: one European option's price and Greeks (SPEC.md §5 conventions).
struct PriceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "price",
        abstract: "Price one European option and its Greeks (BSM on spot or Black-76 on a forward).",
        discussion: """
            Units: vega per 1.00 of volatility, theta per year as -dV/dT, rho per 1.00 of rate. \
            bsm takes --spot (and optionally --dividend); black76 takes --forward and reports \
            delta/gamma/vanna with respect to the forward, discounted.
            """)

    @Option(help: "Pricing model: bsm or black76.")
    var model: String

    @Option(name: .customLong("type"), help: "Option type: call or put.")
    var optionType: String

    @Option(parsing: .unconditional, help: "Strike price K (> 0).")
    var strike: Double

    @Option(parsing: .unconditional, help: "Time to expiry: years (0.25), days (30d) or a date (2026-12-26, from now).")
    var expiry: String

    @Option(parsing: .unconditional, help: "Annualised lognormal volatility: a decimal (0.8) or a percentage (80%).")
    var vol: String

    @Option(parsing: .unconditional, help: "Continuously compounded risk-free rate: a decimal (0.04) or a percentage (4%).")
    var rate: String

    @Option(parsing: .unconditional, help: "Spot price S (bsm only).")
    var spot: Double?

    @Option(parsing: .unconditional, help: "Continuous dividend / carry yield q (bsm only; default 0).")
    var dividend: Double?

    @Option(parsing: .unconditional, help: "Forward or futures price F (black76 only).")
    var forward: Double?

    @Flag(help: "Print one JSON object (riskattest.price/1): price, delta, gamma, vega, theta, rho, vanna, volga and their units.")
    var json = false

    @Flag(name: .long, help: "Desk units: theta per day (/365), vega per vol point (/100), rho per basis point (/10000).")
    var deskUnits = false

    func validate() throws {
        guard let m = PricingModel(rawValue: model) else {
            throw ValidationError("--model must be 'bsm' or 'black76', got '\(model)'")
        }
        guard OptionKind(rawValue: optionType) != nil else {
            throw ValidationError("--type must be 'call' or 'put', got '\(optionType)'")
        }
        switch m {
        case .bsm:
            if forward != nil { throw ValidationError("--forward is for black76; bsm takes --spot") }
            if spot == nil { throw ValidationError("bsm requires --spot") }
        case .black76:
            if spot != nil { throw ValidationError("--spot is for bsm; black76 takes --forward") }
            if dividend != nil { throw ValidationError("--dividend applies to bsm only") }
            if forward == nil { throw ValidationError("black76 requires --forward") }
        }
    }

    func run() throws {
        // validate() has established that these parse and that the model's inputs are present.
        guard let m = PricingModel(rawValue: model), let kind = OptionKind(rawValue: optionType) else {
            throw ValidationError("invalid --model or --type")
        }
        let expiry: Double, vol: Double, rate: Double
        do {
            expiry = try DeskInputs.expiry(self.expiry, now: Int64(Date().timeIntervalSince1970))
            vol = try DeskInputs.volatility(self.vol)
            rate = try DeskInputs.rate(self.rate)
        } catch { throw PriceCommandError(message: error.description) }
        let greeks: Greeks
        do {
            switch m {
            case .bsm:
                guard let s = spot else { throw ValidationError("bsm requires --spot") }
                greeks = try OptionPricer.bsm(kind: kind, spot: s, strike: strike, expiry: expiry,
                                              vol: vol, rate: rate, dividend: dividend ?? 0)
            case .black76:
                guard let f = forward else { throw ValidationError("black76 requires --forward") }
                greeks = try OptionPricer.black76(kind: kind, forward: f, strike: strike, expiry: expiry,
                                                  vol: vol, rate: rate)
            }
        } catch let e as PricingError {
            throw PriceCommandError(message: e.description)
        }
        // Desk units (SPEC §5.2, §7.4): a presentation step on the pricer's figures.
        let d = deskUnits
        let fields: [(String, Double)] = [
            ("price", greeks.price), ("delta", greeks.delta), ("gamma", greeks.gamma),
            ("vega", d ? greeks.vega / 100 : greeks.vega), ("theta", d ? greeks.theta / 365 : greeks.theta),
            ("rho", d ? greeks.rho / 10_000 : greeks.rho),
            ("vanna", greeks.vanna), ("volga", greeks.volga),
        ]
        let underlying = m == .bsm ? "spot" : "forward"
        let units: [String: String] = [
            "price": "quote currency per unit", "delta": "per 1 \(underlying)",
            "gamma": "per 1 \(underlying)^2", "vega": d ? "per vol point (0.01)" : "per 1.00 vol",
            "theta": d ? "per day (-dV/dT / 365)" : "per year (-dV/dT)", "rho": d ? "per basis point (0.0001)" : "per 1.00 rate",
            "vanna": "d2V/d\(underlying) dvol", "volga": "d2V/dvol^2"]
        if json {
            // riskattest.price/1 (SPEC §7.4). Swift's Double description is the shortest round-trip
            // text and valid JSON for finite values (the pricer never returns non-finite Greeks).
            var members = ["\"schema\": \"riskattest.price/1\"", "\"model\": \"\(m.rawValue)\"", "\"type\": \"\(kind.rawValue)\"",
                           "\"convention\": \"\(d ? "desk" : "engine")\""]
            members += fields.map { "\"\($0.0)\": \($0.1)" }
            members.append("\"units\": {" + fields.map { "\"\($0.0)\": \"\(units[$0.0] ?? "")\"" }.joined(separator: ", ") + "}")
            print("{" + members.joined(separator: ", ") + "}")
        } else {
            print("\(m.rawValue) \(kind.rawValue)  \(underlying) \(m == .bsm ? spot ?? 0 : forward ?? 0)  "
                  + "strike \(strike)  expiry \(expiry)y  vol \(vol)  rate \(rate)"
                  + (m == .bsm ? "  dividend \(dividend ?? 0)" : ""))
            print("  greek    " + String(repeating: " ", count: 17) + "value   unit")
            for (name, value) in fields {
                let padded = name + String(repeating: " ", count: max(0, 7 - name.count))
                let num = "\(value)"
                let pad = String(repeating: " ", count: max(1, 24 - num.count))
                print("  \(padded)\(pad)\(num)   \(units[name] ?? "")")
            }
        }
    }
}
