extension RistrettoPoint {
    /// Σ scalars[i]·points[i] in constant time with respect to the scalars (for the prover's
    /// secret vectors, e.g. Bulletproofs' blinding vectors s_L, s_R).
    ///
    /// Interleaved signed radix-16 (Straus): one table [P, 2P, …, 8P] per point, one shared chain
    /// of 252 doublings, and for every digit position one masked table scan and one addition per
    /// point — the same operations whatever the scalar values. The points are treated as public
    /// (only their count affects timing). Extra entries of the longer array are ignored.
    public static func multiscalarMul(_ scalars: [Scalar], _ points: [RistrettoPoint]) -> RistrettoPoint {
        let n = min(scalars.count, points.count)
        if n == 0 { return .identity }
        var tables = [PackedProjectiveNiels](repeating: PackedProjectiveNiels(.identity), count: 8 * n)
        var digits = [Int8](repeating: 0, count: 64 * n)
        for j in 0..<n {
            let p = points[j].ep
            let pn = p.niels
            var acc = p
            tables[8 * j] = PackedProjectiveNiels(pn)
            for k in 1..<8 {
                acc = (acc + pn).extended
                tables[8 * j + k] = PackedProjectiveNiels(acc.niels)
            }
            let d = scalars[j].radix16Digits()
            for k in 0..<64 { digits[64 * j + k] = d[k] }
        }
        let r: EdwardsPoint = tables.withUnsafeBufferPointer { tb in
            digits.withUnsafeBufferPointer { dg in
                let base = tb.baseAddress!
                var r = EdwardsPoint.identity
                var i = 63
                while i >= 0 {
                    if i != 63 { r = r.mulByPow2(4) }
                    for j in 0..<n {
                        r = (r + constantTimeSelect(base + 8 * j, dg[64 * j + i])).extended
                    }
                    i -= 1
                }
                return r
            }
        }
        return RistrettoPoint(r)
    }

    /// Returns `b` when `choice` is 1 and `a` when it is 0, without branching on `choice`
    /// (for selecting between points by a secret bit). `choice` must be 0 or 1.
    public static func conditionalSelect(_ a: RistrettoPoint, _ b: RistrettoPoint, choice: UInt64) -> RistrettoPoint {
        let mask = 0 &- (choice & 1)
        return RistrettoPoint(EdwardsPoint.select(a.ep, b.ep, mask))
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
