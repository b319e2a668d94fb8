extension EdwardsPoint {
    /// Constant-time variable-base multiplication (for secret scalars).
    ///
    /// Signed radix-16: s = Σ dᵢ·16^i with dᵢ ∈ [−8, 8]. A table [P, 2P, …, 8P] in cached form is
    /// scanned in full for every digit (masked selection), and the running point is multiplied by
    /// 16 (four doublings) between digits. 64 additions + 252 doublings, no secret-dependent branch
    /// or memory index.
    func mulConstantTime(_ s: Scalar) -> EdwardsPoint {
        let p1 = niels
        var table = [PackedProjectiveNiels](repeating: PackedProjectiveNiels(p1), count: 8)
        var acc = self
        for j in 1..<8 {
            acc = (acc + p1).extended
            table[j] = PackedProjectiveNiels(acc.niels)
        }
        let digits = s.radix16Digits()
        return table.withUnsafeBufferPointer { tb -> EdwardsPoint in
            guard let base = tb.baseAddress else { return .identity }
            var r = (EdwardsPoint.identity + constantTimeSelect(base, digits[63])).extended
            var i = 62
            while i >= 0 {
                var p = r.projective
                p = p.doubled().projective
                p = p.doubled().projective
                p = p.doubled().projective
                r = p.doubled().extended
                r = (r + constantTimeSelect(base, digits[i])).extended
                i -= 1
            }
            return r
        }
    }

    /// Odd multiples [P, 3P, 5P, …, (2^(w−1)−1)·P] in cached form, for width-w NAF.
    func oddMultiples(count: Int) -> [ProjectiveNielsPoint] {
        var out = [ProjectiveNielsPoint]()
        out.reserveCapacity(count)
        let p2 = self.doubled().niels
        var acc = self
        out.append(acc.niels)
        for _ in 1..<count {
            acc = (acc + p2).extended
            out.append(acc.niels)
        }
        return out
    }

    /// Variable-time multiplication by a public scalar: width-5 NAF, ~51 additions.
    func mulVartime(_ s: Scalar) -> EdwardsPoint {
        let naf = s.nonAdjacentForm(width: 5)
        let table = oddMultiples(count: 8)
        var top = 255
        while top >= 0 && naf[top] == 0 { top -= 1 }
        if top < 0 { return .identity }
        var r = ProjectivePoint.identity
        var i = top
        while i >= 0 {
            var t = r.doubled()
            let d = naf[i]
            if d > 0 {
                t = t.extended + table[Int(d) / 2]
            } else if d < 0 {
                t = t.extended - table[Int(-d) / 2]
            }
            r = t.projective
            i -= 1
        }
        return r.extended
    }
}

extension ProjectivePoint {
    /// Extended coordinates of a projective point: (XZ : YZ : Z² : XY) satisfies T·Z = X·Y.
    @inlinable var extended: EdwardsPoint { EdwardsPoint(X: X * Z, Y: Y * Z, Z: Z.square(), T: X * Y) }
}

extension RistrettoPoint {
    /// Constant-time scalar multiplication (safe for secret scalars).
    public static func * (s: Scalar, p: RistrettoPoint) -> RistrettoPoint {
        RistrettoPoint(p.ep.mulConstantTime(s))
    }

    /// Variable-time scalar multiplication: only for public scalars and points (timing depends on s).
    public func mulVartime(_ s: Scalar) -> RistrettoPoint {
        RistrettoPoint(ep.mulVartime(s))
    }
}

/// Precomputed multiples of a fixed base for fast constant-time multiplication.
///
/// Layout as in ref10: for i in 0..<32, the row i holds j·16^(2i)·P for j = 1…8 as affine Niels
/// points (256 points, ~30 KiB). Writing s = Σ dₖ·16^k (signed digits, |dₖ| ≤ 8), we get
/// s·P = Σ_odd k dₖ·16^k·P · … by splitting odd and even k:
///   s·P = 16·(Σ_{k odd} dₖ·16^(k−1)·P) + Σ_{k even} dₖ·16^k·P,
/// and 16^(k−1) for odd k and 16^k for even k are both even powers, i.e. rows of the table.
/// Cost: 64 mixed additions + 4 doublings; every lookup scans the whole row with masks.
public struct FixedBaseTable: Sendable {
    let rows: [PackedAffineNiels]   // 32 × 8, row-major
    public let base: RistrettoPoint

    public init(base: RistrettoPoint) {
        self.base = base
        var pts = [EdwardsPoint]()
        pts.reserveCapacity(256)
        var rowBase = base.ep
        for _ in 0..<32 {
            var acc = rowBase
            let cached = rowBase.niels
            pts.append(acc)
            for _ in 1..<8 {
                acc = (acc + cached).extended
                pts.append(acc)
            }
            // next row base: 16² · rowBase = 256 · rowBase
            rowBase = rowBase.mulByPow2(8)
        }
        rows = batchAffineNiels(pts).map(PackedAffineNiels.init)
    }

    /// Constant-time s·base.
    public func mul(_ s: Scalar) -> RistrettoPoint {
        let digits = s.radix16Digits()
        return rows.withUnsafeBufferPointer { tb -> RistrettoPoint in
            guard let t = tb.baseAddress else { return .identity }
            var r = EdwardsPoint.identity
            var k = 1
            while k < 64 {
                r = (r + constantTimeSelect(t + 8 * (k / 2), digits[k])).extended
                k += 2
            }
            r = r.mulByPow2(4)
            k = 0
            while k < 64 {
                r = (r + constantTimeSelect(t + 8 * (k / 2), digits[k])).extended
                k += 2
            }
            return RistrettoPoint(r)
        }
    }

    /// Table for the generator B, built once on first use.
    public static let generatorTable = FixedBaseTable(base: .generator)
}
