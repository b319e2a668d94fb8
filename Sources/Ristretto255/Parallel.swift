#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch

/// Data parallelism for the large public computations: multiscalar multiplications, the
/// inner-product prover's generator folding, generator derivation.
///
/// Why only those: they work on public data (generators, challenges, proof points), so spreading
/// them over threads changes timing only, never what an observer could learn about secrets; and
/// they are the whole cost of proving and verifying a large attestation (a 512-value aggregated
/// range proof is ~95 % MSM and folding). Results are identical for every thread count: each
/// chunk's result is combined in chunk order, and group addition is exact.
///
/// The thread count is the number of online processors, or `RISKATTEST_THREADS` (1…64) when set,
/// so benchmarks can report single-core figures (`RISKATTEST_THREADS=1`).
public enum Parallel {
    /// Worker count used by `map`.
    public static let threads: Int = {
        if let s = getenv("RISKATTEST_THREADS"), let v = Int(String(cString: s)), v >= 1 {
            return min(v, 64)
        }
        let n = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        return max(1, min(n, 64))
    }()

    /// Splits `0..<count` into at most `threads` contiguous chunks of at least `minChunk` items,
    /// runs `body` on each (concurrently when there is more than one) and returns the results in
    /// chunk order. With one chunk, `body` runs on the calling thread.
    public static func map<T: Sendable>(count: Int, minChunk: Int,
                                        _ body: @Sendable (Range<Int>) -> T) -> [T] {
        let parts = max(1, min(threads, count / max(1, minChunk)))
        if parts == 1 { return [body(0..<count)] }
        let slots = Slots<T>(parts)
        DispatchQueue.concurrentPerform(iterations: parts) { k in
            let lo = count * k / parts, hi = count * (k + 1) / parts
            slots.set(k, body(lo..<hi))
        }
        return slots.take()
    }

    /// One result slot per chunk. Each slot is written by exactly one worker and read only after
    /// `concurrentPerform` has returned (which orders the writes before the reads).
    private final class Slots<T>: @unchecked Sendable {
        private let base: UnsafeMutablePointer<T?>
        private let count: Int
        init(_ n: Int) {
            count = n
            base = .allocate(capacity: n)
            base.initialize(repeating: nil, count: n)
        }
        func set(_ k: Int, _ v: T) { base[k] = v }
        func take() -> [T] { (0..<count).map { base[$0]! } }
        deinit {
            base.deinitialize(count: count)
            base.deallocate()
        }
    }
}
