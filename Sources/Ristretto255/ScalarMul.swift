extension EdwardsPoint {
    /// Constant-time variable-base multiplication (for secret scalars).
    ///
    /// Signed radix-16: s = Σ dᵢ·16^i with dᵢ ∈ [−8, 8]. A table [P, 2P, …, 8P] in cached form is
    /// scanned in full for every digit (masked selection), and the running point is multiplied by
    /// 16 (four doublings) between digits. 64 additions + 252 doublings, no secret-dependent branch
    /// or memory index (the loop's only branch is on the digit position).
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
            // Between digits the running point is kept projective: the doublings never read T,
            // so only the last doubling before each addition pays for it (4M instead of 3M), and
            // the addition's result is converted back to (X:Y:Z) with 3M. The final addition
            // produces extended coordinates.
            var p = (EdwardsPoint.identity + constantTimeSelect(base, digits[63])).projective
            var i = 62
            while true {
                p = p.doubled().projective
                p = p.doubled().projective
                p = p.doubled().projective
                let sum = p.doubled().extended + constantTimeSelect(base, digits[i])
                if i == 0 { return sum.extended }
                p = sum.projective
                i -= 1
            }
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
/// Signed radix 32: s = Σ dₖ·32^k for k = 0…51 with dₖ ∈ [−16, 16), and row k of the table holds
/// j·32^k·P for j = 1…16 as packed affine Niels points (52 × 16 entries of 96 bytes, 78 KiB).
/// Then s·P = Σ dₖ·(32^k·P) is 51 mixed additions of table entries and *no* doublings; each
/// lookup scans its whole row with masks (see TableScan.swift).
///
/// Why radix 32 rather than ref10's radix 16 (64 additions of 8-entry rows plus 4 doublings): a
/// mixed addition with its conversion back to extended coordinates costs 7M, while a masked
/// scan of one packed entry is about twenty instructions, so trading 13 additions and 4
/// doublings for 320 more entry scans is a net gain (measured in BENCHMARKS.md). Radix 64 would
/// double the scan work again for 8 fewer additions; by that estimate it no longer pays (not
/// measured). A half-size table (even rows plus five doublings) measured slower.
public struct FixedBaseTable: Sendable {
    /// Digits per scalar: 52·5 = 260 bits cover a canonical scalar (< 2^253) and the final carry.
    static let digitCount = 52
    /// Entries per row: the magnitudes 1…16 of a signed radix-32 digit.
    static let rowSize = 16

    let rows: [PackedAffineNiels]   // digitCount × rowSize, row-major
    public let base: RistrettoPoint

    public init(base: RistrettoPoint) {
        self.base = base
        var pts = [EdwardsPoint]()
        pts.reserveCapacity(Self.digitCount * Self.rowSize)
        var rowBase = base.ep
        for _ in 0..<Self.digitCount {
            var acc = rowBase
            let cached = rowBase.niels
            pts.append(acc)
            for _ in 1..<Self.rowSize {
                acc = (acc + cached).extended
                pts.append(acc)
            }
            rowBase = rowBase.mulByPow2(5)   // next row: 32 · rowBase
        }
        rows = batchAffineNiels(pts).map(PackedAffineNiels.init)
    }

    /// Constant-time s·base.
    public func mul(_ s: Scalar) -> RistrettoPoint {
        let digits = s.radix32Digits()
        return rows.withUnsafeBufferPointer { tb -> RistrettoPoint in
            guard let t = tb.baseAddress else { return .identity }
            var r = EdwardsPoint(affineNiels: constantTimeSelect(t, digits[0], entries: Self.rowSize))
            for k in 1..<Self.digitCount {
                r = (r + constantTimeSelect(t + Self.rowSize * k, digits[k], entries: Self.rowSize)).extended
            }
            return RistrettoPoint(r)
        }
    }

    /// Table for the generator B, built once on first use.
    public static let generatorTable = FixedBaseTable(base: .generator)
}
