/// Constant-time multiscalar multiplication Σ sᵢ·Pᵢ for *secret* scalars sᵢ and public points Pᵢ
/// (a Bulletproofs prover's bit vectors, blinding vectors and folded witness vectors).
///
/// "Constant time" here means: the sequence of instructions, branches and memory addresses is a
/// function of the number of terms (and, for `ConstantTimePointTables`, of the public term
/// indices) only, never of the scalar values. The variable-time methods in MSM.swift and
/// FixedBaseMSM.swift break that in three ways, all of which are avoided here:
/// - Pippenger adds a point to bucket number |digit|, a secret memory address;
/// - NAF recoding and Straus skip zero digits (secret branch, secret count of additions);
/// - both skip zero scalars and stop at the scalar's top non-zero bit.
///
/// The method is interleaved Straus with signed digits; with radix 16 (per-call tables; the
/// precomputed tables use radix 32 the same way, see `ConstantTimePointTables`): every scalar is recoded as
/// s = Σ_{i<64} dᵢ·16^i with dᵢ ∈ [−8, 8] (`radix16Digits`, branch-free), so
///
///   Σ_j s_j·P_j = Σ_i 16^i · Σ_j d_(j,i)·P_j
///               = (…((Σ_j d_(j,63)·P_j)·16 + Σ_j d_(j,62)·P_j)·16 + …)·16 + Σ_j d_(j,0)·P_j,
///
/// one chain of 4·63 = 252 doublings shared by all terms, and 64 additions per term. Each
/// d·P_j is read from a table [P_j, 2P_j, …, 8P_j] by scanning all eight entries with masks
/// (TableScan.swift) and negating by masked swap, so the digit chooses neither a branch nor an
/// address; a zero digit selects the identity and is added like any other entry.
///
/// Blocking: the terms are processed in blocks of `blockSize`, each block with its own doubling
/// chain, and the block sums are added. Group addition is exact, so the result does not depend on
/// the blocking. With one chain over all n terms, every digit position would sweep all n tables
/// (n·1,280 bytes projective, n·1,536 bytes for `ConstantTimePointTables`) — 50 MB per sweep for
/// the 32,770 generators of a 16,384-bit statement, which runs at memory speed. A block of 256
/// keeps its tables (≤ 384 KiB) in L2 for all digit positions and costs ~252 doublings per 256
/// terms against 52–64 additions per term (≈ 1.5 %).
public enum ConstantTimeMSM {
    /// Terms per doubling chain (see the type's comment).
    public static let blockSize = 256
    /// Entries per table: the magnitudes 1…8 of a signed radix-16 digit.
    static let entries = 8
    /// Digits per scalar (4·64 = 256 bits cover a canonical scalar and the final carry).
    static let digitCount = 64

    /// Σ over the terms 0..<count, in blocks of `blockSize` (so each block's tables stay in
    /// cache), the blocks spread over worker threads: `blockSum(block)` evaluates one block. Which
    /// blocks exist depends on `count` only, never on a scalar.
    static func blockedSum(count n: Int, _ blockSum: @escaping @Sendable (Range<Int>) -> EdwardsPoint) -> RistrettoPoint {
        if n == 0 { return .identity }
        let parts = Parallel.map(count: n, minChunk: blockSize) { r -> EdwardsPoint in
            var acc = EdwardsPoint.identity
            var lo = r.lowerBound
            while lo < r.upperBound {
                let block = lo..<min(lo + blockSize, r.upperBound)
                acc = (acc + blockSum(block).niels).extended
                lo = block.upperBound
            }
            return acc
        }
        var acc = parts[0]
        for p in parts.dropFirst() { acc = (acc + p.niels).extended }
        return RistrettoPoint(acc)
    }

    /// Writes the 64 signed radix-16 digits of each scalar in `range` to `out` (term-major).
    @inline(__always)
    static func writeDigits(_ scalars: UnsafeBufferPointer<Scalar>, _ range: Range<Int>,
                            into out: UnsafeMutablePointer<Int8>) {
        var k = 0
        for j in range {
            let d = scalars[j].radix16Digits()
            for i in 0..<digitCount { out[k + i] = d[i] }
            k += digitCount
        }
    }
}

extension RistrettoPoint {
    /// Σ scalars[i]·points[i] in constant time with respect to the scalars (see
    /// `ConstantTimeMSM`). Tables [P, 2P, …, 8P] are built per call in projective Niels form
    /// (7 additions per point), which suits points that are used once, such as the prover's folded
    /// generators; for a fixed point list use `ConstantTimePointTables`. The points are treated as
    /// public (only their count affects timing). Extra entries of the longer array are ignored.
    public static func multiscalarMul(_ scalars: [Scalar], _ points: [RistrettoPoint]) -> RistrettoPoint {
        let n = min(scalars.count, points.count)
        return ConstantTimeMSM.blockedSum(count: n) { projectiveBlockSum(scalars, points, $0) }
    }

    /// One block of `multiscalarMul`: per-point projective Niels tables, then the shared chain.
    static func projectiveBlockSum(_ scalars: [Scalar], _ points: [RistrettoPoint], _ block: Range<Int>) -> EdwardsPoint {
        let count = block.count, e = ConstantTimeMSM.entries, dc = ConstantTimeMSM.digitCount
        return withUnsafeTemporaryAllocation(of: PackedProjectiveNiels.self, capacity: e * count) { tb in
            withUnsafeTemporaryAllocation(of: Int8.self, capacity: dc * count) { dg in
                let tables = tb.baseAddress!, digits = dg.baseAddress!
                for (t, j) in block.enumerated() {
                    let p = points[j].ep
                    let pn = p.niels
                    var acc = p
                    (tables + e * t).initialize(to: PackedProjectiveNiels(pn))
                    for k in 1..<e {
                        acc = (acc + pn).extended
                        (tables + e * t + k).initialize(to: PackedProjectiveNiels(acc.niels))
                    }
                }
                scalars.withUnsafeBufferPointer { ConstantTimeMSM.writeDigits($0, block, into: digits) }
                var r = EdwardsPoint.identity
                var i = dc - 1
                while i >= 0 {
                    if i != dc - 1 { r = r.mulByPow2(4) }
                    for t in 0..<count {
                        r = (r + constantTimeSelect(tables + e * t, digits[dc * t + i])).extended
                    }
                    i -= 1
                }
                return r
            }
        }
    }

    /// Returns `b` when `choice` is 1 and `a` when it is 0, without branching on `choice`
    /// (for selecting between points by a secret bit). `choice` must be 0 or 1.
    public static func conditionalSelect(_ a: RistrettoPoint, _ b: RistrettoPoint, choice: UInt64) -> RistrettoPoint {
        let mask = 0 &- (choice & 1)
        return RistrettoPoint(EdwardsPoint.select(a.ep, b.ep, mask))
    }
}

/// Precomputed constant-time tables for a fixed list of public points (the Bulletproofs
/// generators G, H), for multiscalar multiplications with secret scalars.
///
/// Each point P gets [P, 2P, …, 16P] as packed affine Niels entries (96 bytes each, 1,536 bytes
/// per point), built once (batched inversions, 256 points at a time), and the scalars are
/// recoded in signed radix 32 (s = Σ_{i<52} dᵢ·32^i, dᵢ ∈ [−16, 16), `radix32Digits`). The secret-scalar
/// arithmetic is the blocked Straus of `ConstantTimeMSM` with 5 doublings between digit
/// positions: every lookup reads all 16 entries of the point's table.
///
/// Why radix 32 with precomputed affine entries, against the per-call radix-16 projective
/// tables of `RistrettoPoint.multiscalarMul`: no table build per call (7 additions per point
/// there), every addition a mixed one (7M instead of 8M, 12 words per entry to scan instead of
/// 20), and 52 additions per term instead of 64. The price is a scan of 16 entries instead of 8
/// per addition. Measured (callgrind, BENCHMARKS.md 2026-12-01): a term costs ≈ 124,000
/// instructions, 52 additions of ≈ 1,790 and 52 scans of ≈ 430; the same tables in radix 16
/// took 6 % more instructions per (64, 8) proof and verification. Radix 64 would scan 32
/// entries (≈ 860) to save 9 additions (≈ 16,000): about even, at twice the memory.
///
/// The terms to include are chosen by *public* indices (`mul(secretScalars:indices:)`), which is
/// how the prover's inner-product rounds skip the half of the generators whose coefficient is
/// structurally zero in that round without ever looking at a scalar's value.
public struct ConstantTimePointTables: Sendable {
    /// pointCount × `entries` entries, point-major.
    let tables: [PackedAffineNiels]
    /// Number of points.
    public let pointCount: Int

    /// Entries per table: the magnitudes 1…16 of a signed radix-32 digit.
    static let entries = 16
    /// Radix-32 digits per scalar (52·5 = 260 bits cover a canonical scalar and the final carry).
    static let digitCount = 52

    /// Bytes per point (16 packed affine Niels entries).
    public static let bytesPerPoint = entries * MemoryLayout<PackedAffineNiels>.stride

    /// Memory held by the tables, in bytes.
    public var tableBytes: Int { tables.count * MemoryLayout<PackedAffineNiels>.stride }

    /// Builds the tables (on every core: the points are public). Each worker converts its points
    /// 256 at a time (one batched inversion per 4,096 entries), so the extended-coordinate
    /// intermediates (160 bytes per entry, more than the 96 of the result) never exist for more
    /// than one batch at once.
    public init(points: [RistrettoPoint]) {
        pointCount = points.count
        let e = Self.entries
        let chunks = Parallel.map(count: points.count, minChunk: 256) { r -> [PackedAffineNiels] in
            var out = [PackedAffineNiels]()
            out.reserveCapacity(r.count * e)
            var ext = [EdwardsPoint]()
            ext.reserveCapacity(256 * e)
            var lo = r.lowerBound
            while lo < r.upperBound {
                ext.removeAll(keepingCapacity: true)
                for i in lo..<min(lo + 256, r.upperBound) {
                    let p = points[i].ep
                    let pn = p.niels
                    var acc = p
                    ext.append(acc)
                    for _ in 1..<e {
                        acc = (acc + pn).extended
                        ext.append(acc)
                    }
                }
                for a in batchAffineNiels(ext) { out.append(PackedAffineNiels(a)) }
                lo += 256
            }
            return out
        }
        tables = chunks.count == 1 ? chunks[0] : chunks.flatMap { $0 }
    }

    /// Σ_j secretScalars[j]·P_j over the first `min(secretScalars.count, pointCount)` points,
    /// constant time in the scalars.
    public func mul(secretScalars: [Scalar]) -> RistrettoPoint {
        let n = min(secretScalars.count, pointCount)
        return sum(secretScalars, indices: nil, count: n)
    }

    /// Σ_j secretScalars[j]·P_(indices[j]), constant time in the scalars. The indices are
    /// public: they decide which tables are read, and must be < `pointCount`.
    public func mul(secretScalars: [Scalar], indices: [Int32]) -> RistrettoPoint {
        precondition(indices.count == secretScalars.count, "one index per scalar")
        for i in indices { precondition(i >= 0 && Int(i) < pointCount, "point index out of range") }
        return sum(secretScalars, indices: indices, count: indices.count)
    }

    private func sum(_ scalars: [Scalar], indices: [Int32]?, count n: Int) -> RistrettoPoint {
        ConstantTimeMSM.blockedSum(count: n) { self.blockSum(scalars, indices, $0) }
    }

    /// One block: digits of the block's scalars, then the shared chain over the block's tables.
    private func blockSum(_ scalars: [Scalar], _ indices: [Int32]?, _ block: Range<Int>) -> EdwardsPoint {
        let count = block.count, e = Self.entries, dc = Self.digitCount
        return withUnsafeTemporaryAllocation(of: UnsafePointer<PackedAffineNiels>.self, capacity: count) { rows in
            withUnsafeTemporaryAllocation(of: Int8.self, capacity: dc * count) { dg in
                tables.withUnsafeBufferPointer { tb in
                    let base = tb.baseAddress!, digits = dg.baseAddress!
                    for (t, j) in block.enumerated() {
                        let p = indices.map { Int($0[j]) } ?? j
                        rows.initializeElement(at: t, to: base + e * p)
                    }
                    scalars.withUnsafeBufferPointer { sc in
                        var k = 0
                        for j in block {
                            let d = sc[j].radix32Digits()
                            for i in 0..<dc { digits[k + i] = d[i] }
                            k += dc
                        }
                    }
                    var r = EdwardsPoint.identity
                    var i = dc - 1
                    while i >= 0 {
                        if i != dc - 1 { r = r.mulByPow2(5) }
                        for t in 0..<count {
                            r = (r + constantTimeSelect(rows[t], digits[dc * t + i], entries: e)).extended
                        }
                        i -= 1
                    }
                    return r
                }
            }
        }
    }
}

extension Scalar {
    /// Returns `b` when `choice` is 1 and `a` when it is 0, without branching (constant time).
    public static func conditionalSelect(_ a: Scalar, _ b: Scalar, choice: UInt64) -> Scalar {
        let m = 0 &- (choice & 1)
        return Scalar(words: a.w0 ^ ((a.w0 ^ b.w0) & m), a.w1 ^ ((a.w1 ^ b.w1) & m),
                      a.w2 ^ ((a.w2 ^ b.w2) & m), a.w3 ^ ((a.w3 ^ b.w3) & m))
    }
}
