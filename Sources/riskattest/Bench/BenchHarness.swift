import Foundation

/// One benchmark result, in the shape `riskattest bench ... --json` prints.
struct BenchRecord: Codable, Sendable {
    var name: String
    var n: Int?
    var m: Int?
    var count: Int?
    var median_ms: Double
    var min_ms: Double
    var max_ms: Double
    var reps: Int
}

/// Keeps a value alive so the optimiser cannot delete the work that produced it.
/// `@_optimize(none)` stops dead-argument elimination from seeing through the call.
@inline(never) @_optimize(none)
func benchBlackHole<T>(_ x: T) { withExtendedLifetime(x) {} }

/// The `--only` selection of `bench crypto`: comma-separated name prefixes (e.g.
/// `scalarmult,libsodium.scalarmult` runs ours and the baseline in one interleaved run); nil
/// selects everything.
func benchSelects(_ only: String?, _ name: String) -> Bool {
    guard let only else { return true }
    return only.split(separator: ",").contains { name.hasPrefix($0) }
}

/// Whether a selection can match anything in the group of names starting with `group` (to skip
/// a group's setup when nothing in it was asked for).
func benchSelectsGroup(_ only: String?, _ group: String) -> Bool {
    guard let only else { return true }
    return only.split(separator: ",").contains { group.hasPrefix($0) || $0.hasPrefix(group) }
}

/// Times `body` `reps` times on the monotonic clock after one untimed warm-up run (page faults,
/// lazy statics and caches are paid there), and reports median, min and max in milliseconds.
/// The median is the headline figure: on this shared machine it is far more stable than the mean.
func benchMeasure(name: String, n: Int? = nil, m: Int? = nil, count: Int? = nil, reps: Int,
                  _ body: () -> Void) -> BenchRecord {
    let reps = max(1, reps)
    body()
    var times = [Double]()
    times.reserveCapacity(reps)
    let clock = ContinuousClock()
    for _ in 0..<reps {
        let start = clock.now
        body()
        let elapsed = clock.now - start
        let (s, atto) = elapsed.components
        times.append(Double(s) * 1e3 + Double(atto) * 1e-15)
    }
    times.sort()
    let median = reps % 2 == 1 ? times[reps / 2] : (times[reps / 2 - 1] + times[reps / 2]) / 2
    return BenchRecord(name: name, n: n, m: m, count: count, median_ms: median,
                       min_ms: times[0], max_ms: times[reps - 1], reps: reps)
}

/// Like `benchMeasure` for several bodies, but interleaved: each repetition times every body once,
/// in turn, so a burst of load on this shared machine hits all of them alike and their ratios
/// (e.g. ours against libsodium) stay meaningful.
func benchMeasureInterleaved(_ items: [(name: String, body: () -> Void)], reps: Int) -> [BenchRecord] {
    let reps = max(1, reps)
    for item in items { item.body() }
    var times = [[Double]](repeating: [], count: items.count)
    let clock = ContinuousClock()
    for _ in 0..<reps {
        for (k, item) in items.enumerated() {
            let start = clock.now
            item.body()
            let (s, atto) = (clock.now - start).components
            times[k].append(Double(s) * 1e3 + Double(atto) * 1e-15)
        }
    }
    return items.enumerated().map { k, item in
        let t = times[k].sorted()
        let median = reps % 2 == 1 ? t[reps / 2] : (t[reps / 2 - 1] + t[reps / 2]) / 2
        return BenchRecord(name: item.name, n: nil, m: nil, count: nil, median_ms: median,
                           min_ms: t[0], max_ms: t[reps - 1], reps: reps)
    }
}

extension BenchRecord {
    /// The same record with every time divided by `ops` (for per-operation figures measured in
    /// batches too short to time one by one).
    func perOperation(_ ops: Int) -> BenchRecord {
        var r = self
        let d = Double(max(1, ops))
        r.median_ms /= d; r.min_ms /= d; r.max_ms /= d
        return r
    }
}

/// Renders records as the `{"results": [...]}` JSON document (keys sorted for stable diffs).
func benchJSON(_ records: [BenchRecord]) -> String {
    struct Doc: Codable { var results: [BenchRecord] }
    let enc = JSONEncoder()
    enc.outputFormatting = [.prettyPrinted, .sortedKeys]
    guard let data = try? enc.encode(Doc(results: records)), let s = String(data: data, encoding: .utf8) else {
        return "{\"results\": []}"
    }
    return s
}

/// A readable table of records.
func benchTable(_ records: [BenchRecord]) -> String {
    func f(_ x: Double) -> String { String(format: "%12.6f", x) }
    var lines = ["name                               n      m  count   median_ms     min_ms     max_ms  reps"]
    for r in records {
        let name = r.name.padding(toLength: 32, withPad: " ", startingAt: 0)
        let n = r.n.map { String($0) } ?? "-", m = r.m.map { String($0) } ?? "-", c = r.count.map { String($0) } ?? "-"
        lines.append("\(name) \(n.leftPad(5)) \(m.leftPad(6)) \(c.leftPad(6))  \(f(r.median_ms)) \(f(r.min_ms)) \(f(r.max_ms)) \(String(r.reps).leftPad(5))")
    }
    return lines.joined(separator: "\n")
}

private extension String {
    func leftPad(_ w: Int) -> String { count >= w ? self : String(repeating: " ", count: w - count) + self }
}
