extension RistrettoPoint {
    /// Σ scalars[i]·points[i], variable time: for public data only (verifiers).
    ///
    /// Small inputs use Straus' interleaved width-5 NAF method (one shared chain of 256 doublings,
    /// ~256/6 additions per point); large ones use Pippenger's bucket method, whose cost per point is
    /// ~256/w additions for window w plus 2^w bucket additions per window, shared by all points.
    /// The crossover and the window sizes were chosen by measurement (BENCHMARKS.md).
    /// Extra scalars or points beyond the shorter array are ignored (callers pass equal lengths).
    public static func multiscalarMulVartime(_ scalars: [Scalar], _ points: [RistrettoPoint]) -> RistrettoPoint {
        let n = min(scalars.count, points.count)
        if n == 0 { return .identity }
        if n < MSM.pippengerThreshold {
            return RistrettoPoint(MSM.straus(scalars, points, n))
        }
        if n >= MSM.parallelThreshold && Parallel.threads > 1 {
            // Σ over chunks of Σ within a chunk: each worker runs its own Pippenger on a
            // contiguous share of the terms (the per-term cost barely grows as a chunk shrinks,
            // while the bucket sums are paid once per chunk: cheap next to ≥ 512 terms each).
            let parts = Parallel.map(count: n, minChunk: MSM.parallelThreshold / 2) { r -> EdwardsPoint in
                let sc = Array(scalars[r]), pt = Array(points[r])
                return r.count < MSM.pippengerThreshold ? MSM.straus(sc, pt, r.count) : MSM.pippenger(sc, pt, r.count)
            }
            var acc = parts[0]
            for p in parts.dropFirst() { acc = (acc + p.niels).extended }
            return RistrettoPoint(acc)
        }
        return RistrettoPoint(MSM.pippenger(scalars, points, n))
    }
}

/// A variable-time multiscalar multiplication over a fixed list of points with precomputed tables,
/// plus optional per-call ("dynamic") points. Two implementations with different trade-offs:
/// `VartimePrecomputedMSM` (interleaved NAF over small odd-multiple tables; cheap to build, best
/// for a few hundred points) and `VartimeFixedBaseMSM` (window-shifted tables, one bucket pass;
/// costly to build, best from ~500 points on).
public protocol StaticPointsMSM: Sendable {
    /// Σ staticScalars[i]·Pᵢ + Σ dynamicScalars[j]·dynamicPoints[j]; `staticScalars` may be
    /// shorter than the point list (the rest count as zero).
    func mul(staticScalars: [Scalar], dynamicScalars: [Scalar], dynamicPoints: [RistrettoPoint]) -> RistrettoPoint
}

extension StaticPointsMSM {
    public func mul(staticScalars: [Scalar]) -> RistrettoPoint {
        mul(staticScalars: staticScalars, dynamicScalars: [], dynamicPoints: [])
    }
}

/// A fixed list of points (e.g. the Bulletproofs generators G, H, B, B̃) with precomputed
/// tables, for repeated variable-time multi-scalar multiplications that also take some
/// per-call ("dynamic") points.
///
/// Each static point gets the odd multiples P, 3P, …, (2^(w−1)−1)·P in affine Niels form
/// (width-w NAF, w = 8 by default: 64 points, ~7.5 KiB per static point), so a static term costs
/// ~256/(w+1) mixed additions instead of ~256/6 projective ones, and no per-call table building.
/// Variable time: public data only.
public struct VartimePrecomputedMSM: StaticPointsMSM {
    let width: Int
    let tableSize: Int
    let tables: [AffineNielsPoint]       // count × tableSize, row-major
    public let points: [RistrettoPoint]

    /// - Parameter width: NAF width for the static points, 5...8 (clamped).
    public init(points: [RistrettoPoint], width: Int = 8) {
        let w = min(8, max(5, width))
        self.width = w
        self.tableSize = 1 << (w - 2)
        self.points = points
        var all = [EdwardsPoint]()
        all.reserveCapacity(points.count * tableSize)
        for p in points {
            let p2 = p.ep.doubled().niels
            var acc = p.ep
            all.append(acc)
            for _ in 1..<tableSize {
                acc = (acc + p2).extended
                all.append(acc)
            }
        }
        tables = batchAffineNiels(all)
    }

    /// Σ staticScalars[i]·points[i] + Σ dynamicScalars[j]·dynamicPoints[j].
    /// `staticScalars` may be shorter than `points` (the rest count as zero); extra entries and
    /// unmatched dynamic scalars/points are ignored.
    public func mul(staticScalars: [Scalar], dynamicScalars: [Scalar],
                    dynamicPoints: [RistrettoPoint]) -> RistrettoPoint {
        let ns = min(staticScalars.count, points.count)
        let nd = min(dynamicScalars.count, dynamicPoints.count)
        if ns + nd == 0 { return .identity }
        return RistrettoPoint(MSM.strausCore(dynamicScalars: dynamicScalars, dynamicPoints: dynamicPoints, nd: nd,
                                             staticScalars: staticScalars, staticTables: tables, ns: ns,
                                             staticWidth: width, staticTableSize: tableSize))
    }
}

enum MSM {
    /// Crossover from Straus to Pippenger (chosen by measurement, see BENCHMARKS.md).
    static let pippengerThreshold = 190
    /// From this many terms on, Pippenger is split over `Parallel.threads` workers (a 1024-term
    /// MSM takes ~10 ms, far above the cost of waking a thread).
    static let parallelThreshold = 1024

    static func straus(_ scalars: [Scalar], _ points: [RistrettoPoint], _ n: Int) -> EdwardsPoint {
        strausCore(dynamicScalars: scalars, dynamicPoints: points, nd: n,
                   staticScalars: [], staticTables: [], ns: 0, staticWidth: 8, staticTableSize: 64)
    }

    /// Interleaved (Straus) NAF multi-scalar multiplication over dynamic points (width 5, tables
    /// built here in projective Niels form) and static points (precomputed affine Niels tables).
    static func strausCore(dynamicScalars: [Scalar], dynamicPoints: [RistrettoPoint], nd: Int,
                           staticScalars: [Scalar], staticTables: [AffineNielsPoint], ns: Int,
                           staticWidth: Int, staticTableSize: Int) -> EdwardsPoint {
        var dynNaf = [Int8](repeating: 0, count: nd * 256)
        var dynTables = [ProjectiveNielsPoint](repeating: .identity, count: nd * 8)
        var statNaf = [Int8](repeating: 0, count: ns * 256)
        var top = -1
        dynNaf.withUnsafeMutableBufferPointer { naf in
            dynTables.withUnsafeMutableBufferPointer { tb in
                for j in 0..<nd {
                    let t = writeNAF(dynamicScalars[j], width: 5, into: naf.baseAddress! + 256 * j)
                    if t > top { top = t }
                    let p = dynamicPoints[j].ep
                    let p2 = p.doubled().niels
                    var acc = p
                    tb[8 * j] = acc.niels
                    for k in 1..<8 {
                        acc = (acc + p2).extended
                        tb[8 * j + k] = acc.niels
                    }
                }
            }
        }
        statNaf.withUnsafeMutableBufferPointer { naf in
            for j in 0..<ns {
                let t = writeNAF(staticScalars[j], width: staticWidth, into: naf.baseAddress! + 256 * j)
                if t > top { top = t }
            }
        }
        if top < 0 { return .identity }
        return dynNaf.withUnsafeBufferPointer { dn in
            dynTables.withUnsafeBufferPointer { dt in
                statNaf.withUnsafeBufferPointer { sn in
                    staticTables.withUnsafeBufferPointer { st in
                        var r = ProjectivePoint.identity
                        var i = top
                        while true {
                            var t = r.doubled()
                            var j = 0
                            while j < nd {
                                let d = dn[256 * j + i]
                                if d > 0 {
                                    t = t.extended + dt[8 * j + Int(d) >> 1]
                                } else if d < 0 {
                                    t = t.extended - dt[8 * j + Int(-d) >> 1]
                                }
                                j += 1
                            }
                            j = 0
                            while j < ns {
                                let d = sn[256 * j + i]
                                if d > 0 {
                                    t = t.extended + st[staticTableSize * j + Int(d) >> 1]
                                } else if d < 0 {
                                    t = t.extended - st[staticTableSize * j + Int(-d) >> 1]
                                }
                                j += 1
                            }
                            if i == 0 { return t.extended }
                            r = t.projective
                            i -= 1
                        }
                    }
                }
            }
        }
    }

    /// Writes the width-w NAF of s (256 digits) and returns the index of the top nonzero digit
    /// (−1 for zero).
    static func writeNAF(_ s: Scalar, width w: Int, into out: UnsafeMutablePointer<Int8>) -> Int {
        let width: UInt64 = 1 << UInt64(w)
        let windowMask = width - 1
        var pos = 0
        var carry: UInt64 = 0
        var top = -1
        while pos < 256 {
            let idx = pos >> 6, bit = UInt64(pos & 63)
            var bitBuf = s.word(idx) >> bit
            if bit > 64 - UInt64(w) { bitBuf |= s.word(idx + 1) << (64 - bit) }
            let window = carry &+ (bitBuf & windowMask)
            if window & 1 == 0 {
                // Skip the run of zero digits at once. The pending carry stays what it was: with
                // carry 0 the skipped raw bits are zeros; with carry 1 they are ones that the
                // carry ripples through (window = 2^w, all w bits, leaves carry 1 as well).
                pos += min(window.trailingZeroBitCount, w)
                continue
            }
            if window < width / 2 {
                carry = 0
                out[pos] = Int8(truncatingIfNeeded: window)
            } else {
                carry = 1
                out[pos] = Int8(truncatingIfNeeded: Int64(window) - Int64(width))
            }
            top = pos
            pos += w
        }
        return top
    }

    static func windowFor(_ n: Int) -> Int {
        if n < 500 { return 6 }
        if n < 800 { return 7 }
        if n < 3000 { return 8 }
        if n < 10000 { return 9 }
        if n < 20000 { return 10 }
        if n < 50000 { return 11 }
        return 12
    }

    static func pippenger(_ scalars: [Scalar], _ points: [RistrettoPoint], _ n: Int, window: Int? = nil) -> EdwardsPoint {
        // Affine Niels inputs: one shared inversion (≈ 7 multiplications per point) makes every one
        // of the ~256/w bucket additions per point a 7M mixed addition instead of an 8M one.
        var eps = [EdwardsPoint]()
        eps.reserveCapacity(n)
        for i in 0..<n { eps.append(points[i].ep) }
        return pippenger(Segment(scalars: scalars, niels: batchAffineNiels(eps), range: 0..<n), window: window)
    }

    /// Terms `scalars[i]·niels[i]` for i in `range`: a share of a multiscalar multiplication whose
    /// points are already in affine Niels form (converted per call, or once and kept:
    /// `VartimePreparedPoints`). Holding the arrays, not pointers, keeps it `Sendable` for
    /// `Parallel.map`.
    struct Segment: Sendable {
        var scalars: [Scalar]
        var niels: [AffineNielsPoint]
        var range: Range<Int>
        static let empty = Segment(scalars: [], niels: [], range: 0..<0)
    }

    /// Pippenger's bucket method over the terms of one or two segments (e.g. prepared generators
    /// and a proof's own points), as if they were one list.
    static func pippenger(_ a: Segment, _ b: Segment = .empty, window: Int? = nil) -> EdwardsPoint {
        let na = a.range.count, nb = b.range.count, n = na + nb
        if n == 0 { return .identity }
        let w = window ?? windowFor(n)
        let bucketCount = 1 << (w - 1)
        let columns = Scalar.radix2wDigitCount(w)
        // digits[col * n + i]: column-major so the inner loop walks memory linearly.
        var digits = [Int32](repeating: 0, count: columns * n)
        digits.withUnsafeMutableBufferPointer { dg in
            withUnsafeTemporaryAllocation(of: Int32.self, capacity: columns) { tmp in
                let t = tmp.baseAddress!
                for (seg, offset) in [(a, 0), (b, na)] where !seg.range.isEmpty {
                    seg.scalars.withUnsafeBufferPointer { sc in
                        for i in 0..<seg.range.count {
                            sc[seg.range.lowerBound + i].writeRadix2wDigits(w, into: t)
                            for c in 0..<columns { dg[c * n + offset + i] = t[c] }
                        }
                    }
                }
            }
        }
        // Columns above the highest non-zero digit contribute nothing; skipping them makes short
        // scalars (e.g. the 64-bit coefficients of slack commitments) proportionally cheaper.
        var topColumn = -1
        digits.withUnsafeBufferPointer { dg in
            var c = columns - 1
            while c >= 0 && topColumn < 0 {
                for i in 0..<n where dg[c * n + i] != 0 { topColumn = c; break }
                c -= 1
            }
        }
        if topColumn < 0 { return .identity }
        var buckets = [EdwardsPoint](repeating: .identity, count: bucketCount)
        var total = EdwardsPoint.identity
        digits.withUnsafeBufferPointer { dg in
            a.niels.withUnsafeBufferPointer { pa in
                b.niels.withUnsafeBufferPointer { pb in
                    buckets.withUnsafeMutableBufferPointer { bk in
                        var col = topColumn
                        while col >= 0 {
                            for k in 0..<bucketCount { bk[k] = .identity }
                            let row = dg.baseAddress! + col * n
                            if na > 0 {
                                let pts = pa.baseAddress! + a.range.lowerBound
                                for i in 0..<na { Buckets.add(bk, Int(row[i]), pts[i]) }
                            }
                            if nb > 0 {
                                let pts = pb.baseAddress! + b.range.lowerBound, rowB = row + na
                                for i in 0..<nb { Buckets.add(bk, Int(rowB[i]), pts[i]) }
                            }
                            let sum = Buckets.weightedSum(UnsafeBufferPointer(bk))
                            if col == topColumn {
                                total = sum
                            } else {
                                total = (total.mulByPow2(w) + sum.niels).extended
                            }
                            col -= 1
                        }
                    }
                }
            }
        }
        return total
    }
}

/// Points converted once into the affine Niels form that every bucket addition of Pippenger's
/// method reads, for repeated variable-time multiscalar multiplications over the same points (a
/// long-running verifier's Bulletproofs generators).
///
/// Why: `multiscalarMulVartime` converts its points on every call (a shared field inversion plus
/// ~7 multiplications per point). A verification service multiplies the same generators for every
/// attestation of a statement shape, so converting them once saves that share of each call, for
/// 120 bytes per point (4.9 MB for the 40,962 generators of the 256-instrument benchmark
/// attestation). Unlike `VartimeFixedBaseMSM` it keeps no shifted copies: no more memory than the
/// points themselves, nothing to build beyond the conversion a single call would have made anyway.
///
/// Variable time: public points and scalars only.
public struct VartimePreparedPoints: Sendable {
    let niels: [AffineNielsPoint]

    /// Converts `points` (on every core: they are public).
    public init(_ points: [RistrettoPoint]) {
        niels = Parallel.map(count: points.count, minChunk: 1024) { r in
            batchAffineNiels(r.map { points[$0].ep })
        }.flatMap { $0 }
    }

    public var count: Int { niels.count }
    /// Bytes per prepared point.
    public static let bytesPerPoint = MemoryLayout<AffineNielsPoint>.stride
    /// Memory the prepared points hold.
    public var byteCount: Int { niels.count * Self.bytesPerPoint }
}

extension RistrettoPoint {
    /// Σ scalars[i]·prepared[i] + Σ dynamicScalars[j]·dynamicPoints[j], variable time (public data
    /// only), by Pippenger's method over both lists at once — the same sum, and the same cost less
    /// the conversion of the prepared points, as `multiscalarMulVartime` over the concatenation.
    /// `scalars` may be shorter than `prepared` (the rest count as zero); extra entries and
    /// unmatched dynamic scalars or points are ignored. Large inputs are split over
    /// `Parallel.threads` workers like `multiscalarMulVartime`.
    public static func multiscalarMulVartime(_ scalars: [Scalar], prepared: VartimePreparedPoints,
                                             dynamicScalars: [Scalar] = [],
                                             dynamicPoints: [RistrettoPoint] = []) -> RistrettoPoint {
        let ns = min(scalars.count, prepared.count)
        let nd = min(dynamicScalars.count, dynamicPoints.count)
        let n = ns + nd
        if n == 0 { return .identity }
        let dynamic = MSM.Segment(scalars: dynamicScalars, niels: batchAffineNiels((0..<nd).map { dynamicPoints[$0].ep }),
                                  range: 0..<nd)
        let all = MSM.Segment(scalars: scalars, niels: prepared.niels, range: 0..<ns)
        // Chunk k takes terms [lo, hi) of the concatenation (prepared first, then dynamic).
        @Sendable func share(_ r: Range<Int>) -> EdwardsPoint {
            var a = all, b = dynamic
            a.range = min(r.lowerBound, ns)..<min(r.upperBound, ns)
            b.range = max(r.lowerBound, ns) - ns..<max(r.upperBound, ns) - ns
            return MSM.pippenger(a, b)
        }
        if n >= MSM.parallelThreshold && Parallel.threads > 1 {
            let parts = Parallel.map(count: n, minChunk: MSM.parallelThreshold / 2) { r in share(r) }
            var acc = parts[0]
            for p in parts.dropFirst() { acc = (acc + p.niels).extended }
            return RistrettoPoint(acc)
        }
        return RistrettoPoint(share(0..<n))
    }
}

/// The two steps every bucket-method MSM shares (Pippenger here, `VartimeFixedBaseMSM`).
enum Buckets {
    /// Adds sign(d)·P to bucket |d| − 1; a zero digit adds nothing.
    @inline(__always)
    static func add(_ bk: UnsafeMutableBufferPointer<EdwardsPoint>, _ d: Int, _ p: AffineNielsPoint) {
        if d > 0 {
            bk[d - 1] = (bk[d - 1] + p).extended
        } else if d < 0 {
            bk[-d - 1] = (bk[-d - 1] - p).extended
        }
    }

    /// Σ_b (b+1)·bk[b], by a running sum from the top bucket down: 2 additions per bucket.
    static func weightedSum(_ bk: UnsafeBufferPointer<EdwardsPoint>) -> EdwardsPoint {
        var running = bk[bk.count - 1]
        var sum = running
        var b = bk.count - 2
        while b >= 0 {
            running = (running + bk[b].niels).extended
            sum = (sum + running.niels).extended
            b -= 1
        }
        return sum
    }
}
