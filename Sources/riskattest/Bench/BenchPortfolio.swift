import ArgumentParser
import Foundation
import RiskEngine

/// `riskattest bench portfolio`: writes a large, valid portfolio over a snapshot's instruments
/// (by default the 100,000-position limit of SPEC.md §3 over Examples/market.json) and times the
/// stages of `riskattest metrics` on it in-process, so a regression in parsing, decoding, the
/// analysis or the rendering of a big book shows up by stage. The file it writes is the input of
/// the end-to-end measurement (`/usr/bin/time -v riskattest metrics --portfolio FILE ...`).
struct BenchPortfolio: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "portfolio",
        abstract: "Generate a large portfolio over a snapshot's instruments and time metrics' stages on it.")

    @Option(name: .long, help: "Market snapshot whose instruments the book uses.") var market: String
    @Option(name: .long, help: "Number of positions (at most the portfolio limit, 100,000).") var positions: Int = PortfolioLimits.maxPositions
    @Option(name: .long, help: "Seed of the deterministic generator.") var seed: UInt64 = 1
    @Option(name: .long, help: "Where to write the generated portfolio.") var out: String
    @Option(name: .long, help: "Repetitions per stage (median reported); 0 only writes the file.") var reps: Int = 5

    func run() throws {
        guard (1...PortfolioLimits.maxPositions).contains(positions), reps >= 0 else {
            throw CLI.fail("--positions must be in 1...\(PortfolioLimits.maxPositions) and --reps >= 0", code: 2)
        }
        let marketBytes: [UInt8]
        let snapshot: MarketSnapshot
        do {
            marketBytes = try CLI.read(market, what: "market")
            snapshot = try MarketSnapshot.parse(marketBytes)
        } catch let e as CLI.Failure { throw CLI.fail(e.description, code: 2) }
        catch { throw CLI.fail("market \(market): \(error)", code: 2) }

        let text = Self.generate(market: snapshot, positions: positions, seed: seed)
        do { try AtomicFile.write(text, to: out, mode: 0o644) } catch { throw CLI.fail(error.description, code: 2) }
        print("wrote \(out): \(positions) positions over \(snapshot.instruments.count) instruments, \(text.count) bytes")
        guard reps > 0 else { return }

        print("load average before: \(benchLoadAverage())")
        var results: [BenchRecord] = []
        // Baseline in the same run: Foundation's (lenient, Double-converting) JSON parser on the same bytes.
        let data = Data(text)
        results.append(benchMeasure(name: "baseline.JSONSerialization", reps: reps) {
            benchBlackHole(try? JSONSerialization.jsonObject(with: data))
        })
        var parsed: JSONValue = .null
        results.append(benchMeasure(name: "StrictJSON.parse", reps: reps) { parsed = (try? StrictJSON.parse(text)) ?? .null })
        var book: Portfolio? = nil
        results.append(benchMeasure(name: "Portfolio.decode", reps: reps) { book = try? Portfolio.decode(parsed, market: snapshot) })
        guard let book else { throw CLI.fail("the generated portfolio does not decode (a generator bug)", code: 1) }
        var report: RiskReport? = nil
        results.append(benchMeasure(name: "RiskEngine.analyze", reps: reps) { report = try? RiskEngine.analyze(portfolio: book, market: snapshot) })
        guard let report else { throw CLI.fail("the generated portfolio cannot be analysed (a generator bug)", code: 1) }
        results.append(benchMeasure(name: "render.text", reps: reps) { benchBlackHole(MetricsText.render(report)) })
        // As `metrics --json` does it: streamed in 1 MB chunks (here discarded).
        results.append(benchMeasure(name: "render.json (streamed)", reps: reps) {
            try? report.writeJSON { benchBlackHole($0.count) }
        })
        print("stage                          median ms     min ms     max ms")
        for r in results {
            print(r.name.padding(toLength: 28, withPad: " ", startingAt: 0)
                  + String(format: " %11.1f %10.1f %10.1f", r.median_ms, r.min_ms, r.max_ms))
        }
        print("load average after: \(benchLoadAverage())")
    }

    /// Deterministic book text: position k holds instrument k mod n on one of four venues and
    /// account `acct-⌊k/4n⌋`, so (instrument, venue, account) never repeats; quantities have up to
    /// four decimals and either sign, entry prices lie within ±5 % of the mark.
    static func generate(market: MarketSnapshot, positions: Int, seed: UInt64) -> [UInt8] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        func next() -> UInt64 {   // xorshift64*: fast and reproducible everywhere
            state ^= state >> 12; state ^= state << 25; state ^= state >> 27
            return state &* 0x2545_F491_4F6C_DD1D
        }
        let venues = ["binance", "deribit", "okx", "bybit"]
        let n = market.instruments.count
        var s = "{\n  \"schema\": \"\(PortfolioLimits.schema)\",\n  \"margin_mode\": \"portfolio\",\n  \"positions\": [\n"
        s.reserveCapacity(positions * 110)
        for k in 0..<positions {
            let inst = market.instruments[k % n]
            let units = Int64(next() % 50_000) + 1                     // 0.0001 ... 5 in 10^-4 steps
            let sign = next() & 1 == 0 ? "" : "-"
            let q = "\(sign)\(units / 10_000).\(String(format: "%04lld", units % 10_000))"
            let move = Double(Int64(next() % 1001) - 500) / 10_000     // ±5 %
            let entry = String(format: "%.2f", max(0.01, inst.markPrice * (1 + move)))
            s += "    {\"instrument\": \"\(inst.id)\", \"quantity\": \(q), \"entry_price\": \(entry), "
            s += "\"venue\": \"\(venues[(k / n) % 4])\", \"account\": \"acct-\(k / (4 * n))\"}"
            s += k + 1 < positions ? ",\n" : "\n"
        }
        s += "  ],\n  \"collateral\": [\n"
        let balances = market.collateral.prefix(3).enumerated().map { j, c in
            "    {\"asset\": \"\(c.id)\", \"amount\": \(j == 0 ? "50000000" : "500")}"
        }
        s += balances.joined(separator: ",\n") + "\n  ]\n}\n"
        return Array(s.utf8)
    }
}
