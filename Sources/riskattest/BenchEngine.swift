import ArgumentParser
import Foundation
import RiskEngine

/// `riskattest bench engine`: times `RiskEngine.analyze` on a generated book of 10,000 positions
/// over 1,000 instruments (BTC and ETH; linear and inverse perpetuals and futures, calls and puts
/// over seven expiries) with the default 26-scenario grid of SPEC.md §2.6. Deterministic: the book
/// comes from a fixed-seed generator, so every run measures the same work.
struct BenchEngine: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "Benchmark the risk engine (analyze) on a generated 10,000-position book.")

    @Option(name: .long, help: "Repetitions per measurement (median reported).")
    var reps: Int = 15

    @Option(name: .long, help: "Number of positions.")
    var positions: Int = 10_000

    @Option(name: .long, help: "Number of instruments (split over BTC and ETH).")
    var instruments: Int = 1_000

    @Option(name: .long, help: "Only run measurements whose name starts with this (for profiling).")
    var only: String = ""

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func run() throws {
        let m = try measure()
        if json {
            let d = try JSONSerialization.data(withJSONObject: ["results": m.results], options: [.prettyPrinted, .sortedKeys])
            FileHandle.standardOutput.write(d + Data("\n".utf8))
        } else {
            print(Self.table(m))
        }
    }

    /// What `measure()` returns: JSON-ready result rows and a line per generated book.
    struct Measured { var results: [[String: Any]]; var books: [String]; var positions: Int; var instruments: Int; var scenarios: Int; var reps: Int }

    static func table(_ m: Measured) -> String {
        var lines = ["risk engine: \(m.positions) positions, \(m.instruments) instruments, \(m.scenarios) scenarios, \(m.reps) reps (release build expected)"]
        for b in m.books { lines.append("book " + b) }
        lines.append("name                       median ms   min ms   max ms   cpu median ms   cpu min ms")
        for r in m.results {
            let n = (r["name"] as? String) ?? ""
            lines.append(n.padding(toLength: 26, withPad: " ", startingAt: 0)
                  + String(format: " %10.2f %8.2f %8.2f %15.2f %12.2f", r["median_ms"] as? Double ?? 0, r["min_ms"] as? Double ?? 0,
                           r["max_ms"] as? Double ?? 0, r["cpu_median_ms"] as? Double ?? 0, r["cpu_min_ms"] as? Double ?? 0))
        }
        return lines.joined(separator: "\n")
    }

    func measure() throws -> Measured {
        guard reps >= 1, positions >= 1, instruments >= 20, instruments <= 4096 else {
            FileHandle.standardError.write(Data("error: need reps >= 1, positions >= 1, 20 <= instruments <= 4096\n".utf8))
            throw ExitCode(2)
        }
        let market = BenchBook.market(instruments: instruments)
        var results: [[String: Any]] = []
        // Wall time and this thread's CPU time (CLOCK_THREAD_CPUTIME_ID): on a shared, loaded machine
        // the CPU time is the honest "one core" figure, wall time includes waiting for a core.
        func cpuNanos() -> UInt64 {
            var ts = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
            return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
        }
        func median(_ xs: [Double]) -> Double {
            let t = xs.sorted()
            return t.count % 2 == 1 ? t[t.count / 2] : (t[t.count / 2 - 1] + t[t.count / 2]) / 2
        }
        func timed(_ name: String, _ body: () throws -> Void) rethrows -> Void {
            guard name.hasPrefix(only) else { return }
            var times: [Double] = [], cpu: [Double] = []
            try body() // warm-up
            for _ in 0..<reps {
                let c0 = cpuNanos()
                let t0 = DispatchTime.now().uptimeNanoseconds
                try body()
                let t1 = DispatchTime.now().uptimeNanoseconds
                let c1 = cpuNanos()
                times.append(Double(t1 - t0) / 1e6)
                cpu.append(Double(c1 - c0) / 1e6)
            }
            results.append(["name": name, "positions": positions, "instruments": instruments,
                            "scenarios": market.scenarios.count, "reps": reps,
                            "median_ms": median(times), "min_ms": times.min() ?? 0, "max_ms": times.max() ?? 0,
                            "cpu_median_ms": median(cpu), "cpu_min_ms": cpu.min() ?? 0])
        }
        try timed("unit_risk_table") { _ = try UnitRiskTable(market: market) }
        var books: [String] = []
        /// One line per book: its margin ratio and where its liquidation prices are.
        func describe(_ name: String, _ r: RiskReport) -> String {
            "\(name): margin ratio \(r.margin.marginRatio.map { String(format: "%.4f", $0) } ?? "n/a"), liquidation "
                + r.liquidation.map { "\($0.underlying) \($0.status) \($0.nearestDistancePercent.map { String(format: "%+.1f%%", $0) } ?? "-")" }
                    .joined(separator: ", ")
        }
        for mode in [MarginMode.cross, .isolated, .portfolio] {
            let book = BenchBook.portfolio(market: market, positions: positions, mode: mode)
            books.append(describe(mode.rawValue, try RiskEngine.analyze(portfolio: book, market: market)))
            try timed("analyze.\(mode.rawValue)") { _ = try RiskEngine.analyze(portfolio: book, market: market) }
            let noLiq = AnalysisOptions(liquidationPrices: false)
            try timed("analyze.\(mode.rawValue).noliq") {
                _ = try RiskEngine.analyze(portfolio: book, market: market, options: noLiq)
            }
        }
        // The generated book is very safe in portfolio mode (margin ratio ≈ 0.005), which is the
        // easy case for the liquidation ladder. The same positions with USD collateral cut so the
        // margin ratio is 0.6 are the hard one: liquidation prices close to the index.
        let loose = BenchBook.portfolio(market: market, positions: positions, mode: .portfolio)
        let before = try RiskEngine.analyze(portfolio: loose, market: market, options: AnalysisOptions(liquidationPrices: false))
        let cut = before.margin.equity - before.margin.active.maintenance / 0.6       // USD counts at 1, no haircut
        var tight = loose
        tight.collateral[0].amount -= cut.rounded(.down)
        tight.collateral[0].amountUnits = Int128(tight.collateral[0].amount * 1e8)
        books.append(describe("portfolio.tight", try RiskEngine.analyze(portfolio: tight, market: market)))
        try timed("analyze.portfolio.tight") { _ = try RiskEngine.analyze(portfolio: tight, market: market) }
        return Measured(results: results, books: books, positions: positions, instruments: instruments,
                        scenarios: market.scenarios.count, reps: reps)
    }
}

/// The deterministic generated book.
enum BenchBook {
    /// xorshift64*: small, fixed-seed, platform-independent.
    struct Rng {
        var s: UInt64 = 0x9E37_79B9_7F4A_7C15
        mutating func next() -> UInt64 { s ^= s >> 12; s ^= s << 25; s ^= s >> 27; return s &* 0x2545_F491_4F6C_DD1D }
        mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    }

    static let asOf = Timestamp(seconds: 1_795_507_200)   // 2026-11-24T08:00:00Z

    static func market(instruments n: Int) -> MarketSnapshot {
        let und = [Underlying(id: "BTC", indexPrice: 97_012.35, priceTime: asOf, rate: 0.04),
                   Underlying(id: "ETH", indexPrice: 3_604.18, priceTime: asOf, rate: 0.04)]
        let expiriesDays: [Int64] = [3, 10, 31, 59, 122, 213, 395]
        var insts: [Instrument] = []
        for (ui, u) in und.enumerated() {
            let s = u.indexPrice
            let perU = n / 2 + (ui == 0 ? n % 2 : 0)
            insts.append(Instrument(id: "\(u.id)-LPERP", underlying: u.id, kind: .perpetual(fundingRate: 0.0001, fundingIntervalHours: 8),
                                    margining: .linear, contractSize: ui == 0 ? 0.001 : 0.01, markPrice: s * 1.0002, tierTable: "LINEAR"))
            insts.append(Instrument(id: "\(u.id)-IPERP", underlying: u.id, kind: .perpetual(fundingRate: 0.00008, fundingIntervalHours: 8),
                                    margining: .inverse, contractSize: ui == 0 ? 100 : 10, markPrice: s * 1.0001, tierTable: "INVERSE"))
            var made = 2
            for (k, d) in expiriesDays.enumerated() where made < perU {
                let years = Double(d) / 365
                let fwd = s * (1 + 0.04 * years)
                insts.append(Instrument(id: "\(u.id)-F\(d)", underlying: u.id, kind: .future(expiry: Timestamp(seconds: asOf.seconds + d * 86_400)),
                                        margining: k % 2 == 0 ? .linear : .inverse, contractSize: k % 2 == 0 ? 0.01 : 10,
                                        markPrice: fwd, tierTable: k % 2 == 0 ? "LINEAR" : "INVERSE"))
                made += 1
            }
            var j = 0
            while made < perU {
                let d = expiriesDays[j % expiriesDays.count]
                let strikeStep = j / (2 * expiriesDays.count)
                let m = 0.5 + Double(strikeStep % 60) * 0.02      // 50% .. 168% moneyness
                let kind: OptionKind = (j / expiriesDays.count) % 2 == 0 ? .call : .put
                let spec = OptionSpec(kind: kind, strike: (s * m).rounded(), expiry: Timestamp(seconds: asOf.seconds + d * 86_400),
                                      markIV: 0.45 + 0.3 * abs(m - 1), settlement: .cash)
                insts.append(Instrument(id: "\(u.id)-O\(d)-\(Int(s * m))-\(kind == .call ? "C" : "P")-\(j)", underlying: u.id, kind: .option(spec),
                                        margining: j % 3 == 0 ? .inverse : .linear, contractSize: 1, markPrice: s * 0.05, tierTable: "LINEAR"))
                made += 1; j += 1
            }
        }
        let linear: [MarginTier] = [
            MarginTier(maxNotional: 300_000, maintenanceRate: 0.004, initialRate: 0.008, cumulativeDeduction: 0),
            MarginTier(maxNotional: 800_000, maintenanceRate: 0.005, initialRate: 0.01, cumulativeDeduction: 300),
            MarginTier(maxNotional: 3_000_000, maintenanceRate: 0.0065, initialRate: 0.0134, cumulativeDeduction: 1_500),
            MarginTier(maxNotional: 12_000_000, maintenanceRate: 0.01, initialRate: 0.02, cumulativeDeduction: 12_000),
            MarginTier(maxNotional: nil, maintenanceRate: 0.02, initialRate: 0.04, cumulativeDeduction: 132_000),
        ]
        let inverse: [MarginTier] = [
            MarginTier(maxNotional: 1_000_000, maintenanceRate: 0.005, initialRate: 0.01, cumulativeDeduction: 0),
            MarginTier(maxNotional: nil, maintenanceRate: 0.01, initialRate: 0.02, cumulativeDeduction: 5_000),
        ]
        var scenarios: [Scenario] = []
        for step in -4...4 {
            let mv = Double(step) * 0.04
            for (tag, shock) in [("up", 0.35), ("down", -0.25)] {
                scenarios.append(Scenario(name: "\(step * 4)% vol \(tag)", priceMoves: ["BTC": mv, "ETH": mv],
                                          volShock: .termStructure(shock), weight: 1))
            }
        }
        for (mv, w) in [(-0.66, 0.4), (-0.33, 0.6), (0.5, 0.6), (1.0, 0.5), (2.0, 0.35), (3.0, 0.3), (4.0, 0.25), (5.0, 0.2)] {
            scenarios.append(Scenario(name: "tail \(mv)", priceMoves: ["BTC": mv, "ETH": mv], volShock: .termStructure(0.35), weight: w))
        }
        return MarketSnapshot(
            snapshotID: "bench", asOf: asOf, quoteCurrency: "USD", maxPriceAgeSeconds: 300, underlyings: und, instruments: insts,
            collateral: [CollateralAsset(id: "USD", price: 1, haircut: 0, underlying: nil),
                         CollateralAsset(id: "BTC", price: und[0].indexPrice, haircut: 0.03, underlying: "BTC"),
                         CollateralAsset(id: "ETH", price: und[1].indexPrice, haircut: 0.07, underlying: "ETH")],
            margin: MarginParameters(tierTables: ["LINEAR": linear, "INVERSE": inverse], portfolioMaintenanceFraction: 0.5,
                                     optionMargin: OptionMarginRates(shortInitialRate: 0.15, shortInitialFloorRate: 0.1,
                                                                     shortMaintenanceRate: 0.075)),
            scenarios: scenarios)
    }

    static func portfolio(market: MarketSnapshot, positions n: Int, mode: MarginMode) -> Portfolio {
        var rng = Rng()
        var ps: [Position] = []
        ps.reserveCapacity(n)
        let nI = market.instruments.count
        for k in 0..<n {
            let i = k < nI ? k : Int(rng.next() % UInt64(nI))
            let inst = market.instruments[i]
            let units = Int64(rng.next() % 2_000_000_000) - 1_000_000_000       // ±10 contracts, 1e-8 steps
            let q = Double(units) / 1e8
            var entry = inst.markPrice * (0.9 + 0.2 * rng.unit())
            // An inverse option's entry price is in coin, as the venue quotes it (SPEC §3.1).
            if case .option = inst.kind, inst.margining == .inverse, let u = market.underlying(inst.underlying) {
                entry /= u.indexPrice
            }
            ps.append(Position(instrument: inst.id, quantity: q, quantityUnits: units, entryPrice: entry,
                               venue: "v\(k % 4)", account: "a\(k / 4)"))
        }
        return Portfolio(positions: ps,
                         collateral: [CollateralBalance(asset: "USD", amount: 400_000_000, amountUnits: 40_000_000_000_000_000),
                                      CollateralBalance(asset: "BTC", amount: 100, amountUnits: 10_000_000_000),
                                      CollateralBalance(asset: "ETH", amount: 1_000, amountUnits: 100_000_000_000)],
                         marginMode: mode)
    }
}
