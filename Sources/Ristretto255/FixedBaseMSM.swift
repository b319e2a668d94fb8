/// Variable-time multiscalar multiplication over a fixed list of points (e.g. the Bulletproofs
/// generators G, H, B, B̃) with *window-shifted* precomputed tables: Pippenger's bucket method
/// with a single set of buckets for all windows.
///
/// Why: plain Pippenger with window c splits each scalar into K = ⌈256/c⌉ signed digits and runs
/// one bucket pass per digit column,
///
///   Σᵢ sᵢ·Pᵢ = Σ_k 2^(c·k) · Σᵢ d_(i,k)·Pᵢ,
///
/// paying for K bucket reductions (≈ 2^c additions each) and ≈ 256 doublings to weigh the
/// columns. When the points are fixed we can store Q_(i,k) = 2^(c·k)·Pᵢ once, so that
///
///   Σᵢ sᵢ·Pᵢ = Σᵢ Σ_k d_(i,k)·Q_(i,k)
///
/// is a single bucket pass over n·K affine points: one bucket reduction and no doublings at all.
/// That makes a much wider window affordable (c = 10–13 instead of 7–9), so each term costs
/// ≈ 256/c mixed additions (7M each) instead of ≈ 256/c + 2^c·K/n. For the 1,026 fixed points of
/// a 64-bit range proof over 8 values that is ~27,000 additions instead of ~45,000.
///
/// The price is memory and a one-time build: n·K affine Niels points of 120 bytes (1,026 points
/// at c = 10: 3.2 MB) and ~253 doublings per point (≈ 25 ms for 1,026 points on one core of the
/// project machine). Callers therefore build these tables only for point sets they use
/// repeatedly (`GeneratorCache` in Bulletproofs builds one at the second use of a statement shape).
///
/// Variable time: digits, branches and bucket indices depend on the scalars, so this is for public
/// data only (verification equations). The Bulletproofs prover, whose scalars are secret, uses
/// `ConstantTimePointTables` instead.
public struct VartimeFixedBaseMSM: StaticPointsMSM {
    /// Digit width c.
    public let window: Int
    /// Digits per scalar, K = `Scalar.radix2wDigitCount(window)`.
    let columns: Int
    /// Point-major: `tables[i·K + k]` = 2^(c·k)·Pᵢ in affine Niels form.
    let tables: [AffineNielsPoint]
    /// Number of fixed points.
    public let pointCount: Int

    /// The window that minimises the estimated cost for `terms` non-zero static scalars: n·K(c)
    /// mixed additions plus ≈ 2^c·9/7 for the bucket reduction (2^(c−1) buckets, two full additions
    /// each, counted in mixed-addition units).
    public static func bestWindow(forTerms terms: Int) -> Int {
        var best = 4, bestCost = Int.max
        for c in 4...16 {
            let cost = 7 * max(1, terms) * Scalar.radix2wDigitCount(c) + 9 * (1 << c)
            if cost < bestCost { bestCost = cost; best = c }
        }
        return best
    }

    /// Builds the tables (on every core: the points are public).
    /// - Parameter window: digit width 4...16; by default `bestWindow(forTerms: points.count)`.
    public init(points: [RistrettoPoint], window: Int? = nil) {
        let c = min(16, max(4, window ?? VartimeFixedBaseMSM.bestWindow(forTerms: points.count)))
        let k = Scalar.radix2wDigitCount(c)
        self.window = c
        self.columns = k
        self.pointCount = points.count
        // Each chunk converts its own rows with one batched inversion; rows are independent.
        let chunks = Parallel.map(count: points.count, minChunk: 32) { r -> [AffineNielsPoint] in
            var ext = [EdwardsPoint]()
            ext.reserveCapacity(r.count * k)
            for i in r {
                var acc = points[i].ep
                ext.append(acc)
                for _ in 1..<k {
                    acc = acc.mulByPow2(c)
                    ext.append(acc)
                }
            }
            return batchAffineNiels(ext)
        }
        tables = chunks.flatMap { $0 }
    }

    /// Bytes per table entry (an affine Niels point: three field elements).
    public static let entryBytes = MemoryLayout<AffineNielsPoint>.stride

    /// Memory held by the tables, in bytes.
    public var tableBytes: Int { tables.count * MemoryLayout<AffineNielsPoint>.stride }

    /// Σ staticScalars[i]·Pᵢ + Σ dynamicScalars[j]·dynamicPoints[j].
    ///
    /// `staticScalars` may be shorter than the point list (the rest count as zero); zero scalars
    /// cost nothing. Extra entries and unmatched dynamic scalars or points are ignored. Large
    /// static parts are split over `Parallel.threads` workers, each with its own buckets (results
    /// combined in chunk order; group addition is exact, so the result never depends on it).
    public func mul(staticScalars: [Scalar], dynamicScalars: [Scalar],
                    dynamicPoints: [RistrettoPoint]) -> RistrettoPoint {
        let ns = min(staticScalars.count, pointCount)
        let nd = min(dynamicScalars.count, dynamicPoints.count)
        var acc = EdwardsPoint.identity
        if ns > 0 {
            // Each worker pays its own bucket reduction (≈ 2^c·9/7 additions) on top of K per
            // term, so a chunk needs a few times 2^c/K terms before a second core pays off.
            let parts = Parallel.map(count: ns, minChunk: max(64, (4 << window) / columns)) { r in
                self.bucketSum(staticScalars, r)
            }
            acc = parts[0]
            for p in parts.dropFirst() { acc = acc + p }
        }
        if nd > 0 {
            let d = RistrettoPoint.multiscalarMulVartime(Array(dynamicScalars.prefix(nd)), Array(dynamicPoints.prefix(nd)))
            acc = acc + d.ep
        }
        return RistrettoPoint(acc)
    }

    /// Σ_{i ∈ range} scalars[i]·Pᵢ with one set of 2^(c−1) buckets: bucket b collects the
    /// Q_(i,k) whose digit is ±(b+1), and Σ_b (b+1)·bucket_b is taken by running sums.
    func bucketSum(_ scalars: [Scalar], _ range: Range<Int>) -> EdwardsPoint {
        let c = window, k = columns
        let bucketCount = 1 << (c - 1)
        var buckets = [EdwardsPoint](repeating: .identity, count: bucketCount)
        var used = false
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: k) { digits in
            let dg = digits.baseAddress!
            scalars.withUnsafeBufferPointer { sc in
                tables.withUnsafeBufferPointer { tb in
                    buckets.withUnsafeMutableBufferPointer { bk in
                        for i in range {
                            let s = sc[i]
                            if s.isZero { continue }
                            used = true
                            s.writeRadix2wDigits(c, into: dg)
                            let row = tb.baseAddress! + i * k
                            for j in 0..<k { Buckets.add(bk, Int(dg[j]), row[j]) }
                        }
                    }
                }
            }
        }
        if !used { return .identity }
        return buckets.withUnsafeBufferPointer { Buckets.weightedSum($0) }
    }
}
