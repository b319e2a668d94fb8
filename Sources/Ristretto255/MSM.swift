extension RistrettoPoint {
    /// Σ scalars[i]·points[i], variable time: for public data only (verifiers).
    ///
    /// Small inputs use Straus' interleaved width-5 NAF method (one shared doubling chain, ~n·256/6
    /// additions); large ones use Pippenger's bucket method, whose cost per point is ~256/w additions
    /// for window w, independent of table sizes. Extra scalars or points beyond the shorter array are
    /// ignored (callers pass equal lengths).
    public static func multiscalarMulVartime(_ scalars: [Scalar], _ points: [RistrettoPoint]) -> RistrettoPoint {
        let n = min(scalars.count, points.count)
        if n == 0 { return .identity }
        if n < MSM.pippengerThreshold {
            return RistrettoPoint(MSM.straus(scalars, points, n))
        }
        return RistrettoPoint(MSM.pippenger(scalars, points, n))
    }
}

enum MSM {
    /// Crossover from Straus to Pippenger (chosen by measurement, see BENCHMARKS.md).
    static let pippengerThreshold = 190

    static func straus(_ scalars: [Scalar], _ points: [RistrettoPoint], _ n: Int) -> EdwardsPoint {
        var nafs = [[Int8]]()
        nafs.reserveCapacity(n)
        var tables = [[ProjectiveNielsPoint]]()
        tables.reserveCapacity(n)
        for i in 0..<n {
            nafs.append(scalars[i].nonAdjacentForm(width: 5))
            tables.append(points[i].ep.oddMultiples(count: 8))
        }
        var top = 255
        while top >= 0 && !nafs.contains(where: { $0[top] != 0 }) { top -= 1 }
        if top < 0 { return .identity }
        var r = ProjectivePoint.identity
        var i = top
        while i >= 0 {
            var t = r.doubled()
            for j in 0..<n {
                let d = nafs[j][i]
                if d > 0 {
                    t = t.extended + tables[j][Int(d) / 2]
                } else if d < 0 {
                    t = t.extended - tables[j][Int(-d) / 2]
                }
            }
            r = t.projective
            i -= 1
        }
        return r.extended
    }

    static func windowFor(_ n: Int) -> Int {
        if n < 500 { return 6 }
        if n < 800 { return 7 }
        if n < 4000 { return 8 }
        if n < 20000 { return 10 }
        return 12
    }

    static func pippenger(_ scalars: [Scalar], _ points: [RistrettoPoint], _ n: Int, window: Int? = nil) -> EdwardsPoint {
        let w = window ?? windowFor(n)
        let bucketCount = 1 << (w - 1)
        var digits = [[Int32]]()
        digits.reserveCapacity(n)
        var cached = [ProjectiveNielsPoint]()
        cached.reserveCapacity(n)
        for i in 0..<n {
            digits.append(scalars[i].radix2wDigits(w))
            cached.append(points[i].ep.niels)
        }
        let columns = digits[0].count
        var buckets = [EdwardsPoint](repeating: .identity, count: bucketCount)
        var total = EdwardsPoint.identity
        var col = columns - 1
        while col >= 0 {
            for b in 0..<bucketCount { buckets[b] = .identity }
            for i in 0..<n {
                let d = Int(digits[i][col])
                if d > 0 {
                    buckets[d - 1] = (buckets[d - 1] + cached[i]).extended
                } else if d < 0 {
                    buckets[-d - 1] = (buckets[-d - 1] - cached[i]).extended
                }
            }
            // Σ_b (b+1)·bucket[b] by a running sum from the top bucket down.
            var running = buckets[bucketCount - 1]
            var sum = running
            var b = bucketCount - 2
            while b >= 0 {
                running = running + buckets[b]
                sum = sum + running
                b -= 1
            }
            if col == columns - 1 {
                total = sum
            } else {
                total = total.mulByPow2(w) + sum
            }
            col -= 1
        }
        return total
    }
}
