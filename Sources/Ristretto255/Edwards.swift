/// Points of the twisted Edwards curve −x² + y² = 1 + d·x²·y² (edwards25519) in the coordinate
/// systems used for fast, complete addition (Hisil–Wong–Carter–Dawson, "Twisted Edwards curves
/// revisited", with a = −1). These are internal building blocks of ristretto255; nothing here
/// checks that a point lies in the prime-order subgroup.
///
/// * `EdwardsPoint` — extended coordinates (X:Y:Z:T), x = X/Z, y = Y/Z, T = XY/Z.
/// * `ProjectivePoint` — (X:Y:Z), enough for doubling.
/// * `CompletedPoint` — ((X:Z), (Y:T)), x = X/Z, y = Y/T: the natural output of the addition and
///   doubling formulas before the final multiplications; converting to extended costs 4M and to
///   projective 3M, so chains of doublings skip T entirely.
/// * `ProjectiveNielsPoint` — (Y+X, Y−X, Z, 2d·T): a cached form of an addend that saves work
///   each time it is added (8M per addition).
/// * `AffineNielsPoint` — (y+x, y−x, 2d·x·y) with Z = 1: for precomputed tables (7M per addition).
@frozen @usableFromInline
struct EdwardsPoint: Sendable {
    @usableFromInline var X: FieldElement, Y: FieldElement, Z: FieldElement, T: FieldElement

    @inlinable @inline(__always)
    init(X: FieldElement, Y: FieldElement, Z: FieldElement, T: FieldElement) {
        self.X = X; self.Y = Y; self.Z = Z; self.T = T
    }

    @inlinable static var identity: EdwardsPoint { EdwardsPoint(X: .zero, Y: .one, Z: .one, T: .zero) }

    @inlinable @inline(__always)
    var niels: ProjectiveNielsPoint {
        ProjectiveNielsPoint(yPlusX: Y + X, yMinusX: Y - X, Z: Z, t2d: T * FieldElement.edwardsD2)
    }

    @inlinable @inline(__always)
    var projective: ProjectivePoint { ProjectivePoint(X: X, Y: Y, Z: Z) }

    /// The point of an affine Niels triple (y+x, y−x, 2dxy), for starting a sum of table entries
    /// without an addition to the identity: with X = (y+x) − (y−x) = 2x and Y = (y+x) + (y−x) = 2y,
    /// (2X : 2Y : 4 : X·Y) = (4x : 4y : 4 : 4xy) is the point in extended coordinates. 1M instead
    /// of the 7M of identity + entry.
    @inlinable @inline(__always)
    init(affineNiels p: AffineNielsPoint) {
        let x2 = p.yPlusX - p.yMinusX, y2 = p.yPlusX + p.yMinusX
        self.init(X: x2 + x2, Y: y2 + y2, Z: FieldElement(4, 0, 0, 0, 0), T: x2 * y2)
    }

    /// Affine Niels form; costs one inversion (use batch normalisation for many points).
    func affineNiels() -> AffineNielsPoint {
        let zi = Z.inverted()
        let x = X * zi, y = Y * zi
        return AffineNielsPoint(yPlusX: y + x, yMinusX: y - x, xy2d: (x * y) * FieldElement.edwardsD2)
    }

    @inlinable @inline(__always)
    static func + (a: EdwardsPoint, b: ProjectiveNielsPoint) -> CompletedPoint {
        let pp = (a.Y + a.X) * b.yPlusX
        let mm = (a.Y - a.X) * b.yMinusX
        let tt2d = a.T * b.t2d
        let zz = a.Z * b.Z
        let zz2 = zz + zz
        return CompletedPoint(X: pp - mm, Y: pp + mm, Z: zz2 + tt2d, T: zz2 - tt2d)
    }

    @inlinable @inline(__always)
    static func - (a: EdwardsPoint, b: ProjectiveNielsPoint) -> CompletedPoint {
        let pm = (a.Y + a.X) * b.yMinusX
        let mp = (a.Y - a.X) * b.yPlusX
        let tt2d = a.T * b.t2d
        let zz = a.Z * b.Z
        let zz2 = zz + zz
        return CompletedPoint(X: pm - mp, Y: pm + mp, Z: zz2 - tt2d, T: zz2 + tt2d)
    }

    @inlinable @inline(__always)
    static func + (a: EdwardsPoint, b: AffineNielsPoint) -> CompletedPoint {
        let pp = (a.Y + a.X) * b.yPlusX
        let mm = (a.Y - a.X) * b.yMinusX
        let txy2d = a.T * b.xy2d
        let z2 = a.Z + a.Z
        return CompletedPoint(X: pp - mm, Y: pp + mm, Z: z2 + txy2d, T: z2 - txy2d)
    }

    @inlinable @inline(__always)
    static func - (a: EdwardsPoint, b: AffineNielsPoint) -> CompletedPoint {
        let pm = (a.Y + a.X) * b.yMinusX
        let mp = (a.Y - a.X) * b.yPlusX
        let txy2d = a.T * b.xy2d
        let z2 = a.Z + a.Z
        return CompletedPoint(X: pm - mp, Y: pm + mp, Z: z2 - txy2d, T: z2 + txy2d)
    }

    @inlinable @inline(__always)
    static func + (a: EdwardsPoint, b: EdwardsPoint) -> EdwardsPoint { (a + b.niels).extended }

    @inlinable @inline(__always)
    static func - (a: EdwardsPoint, b: EdwardsPoint) -> EdwardsPoint { (a - b.niels).extended }

    @inlinable @inline(__always)
    static prefix func - (a: EdwardsPoint) -> EdwardsPoint { EdwardsPoint(X: -a.X, Y: a.Y, Z: a.Z, T: -a.T) }

    @inlinable @inline(__always)
    func doubled() -> EdwardsPoint { projective.doubled().extended }

    /// self · 2^k by k projective doublings (k ≥ 1).
    @inlinable
    func mulByPow2(_ k: Int) -> EdwardsPoint {
        var r = projective
        var i = 0
        while i < k - 1 { r = r.doubled().projective; i += 1 }
        return r.doubled().extended
    }

    @inlinable
    static func select(_ a: EdwardsPoint, _ b: EdwardsPoint, _ mask: UInt64) -> EdwardsPoint {
        EdwardsPoint(X: .select(a.X, b.X, mask), Y: .select(a.Y, b.Y, mask),
                     Z: .select(a.Z, b.Z, mask), T: .select(a.T, b.T, mask))
    }
}

@frozen @usableFromInline
struct ProjectivePoint: Sendable {
    @usableFromInline var X: FieldElement, Y: FieldElement, Z: FieldElement

    @inlinable @inline(__always)
    init(X: FieldElement, Y: FieldElement, Z: FieldElement) { self.X = X; self.Y = Y; self.Z = Z }

    @inlinable static var identity: ProjectivePoint { ProjectivePoint(X: .zero, Y: .one, Z: .one) }

    /// Doubling ("dbl-2008-hwcd" with a = −1): 4S + no multiplications before completion.
    @inlinable @inline(__always)
    func doubled() -> CompletedPoint {
        let xx = X.square()
        let yy = Y.square()
        let zz = Z.square()
        let zz2 = zz + zz
        let xPlusYSq = (X + Y).square()
        let yyPlusXX = yy + xx
        let yyMinusXX = yy - xx
        return CompletedPoint(X: xPlusYSq - yyPlusXX, Y: yyPlusXX, Z: yyMinusXX, T: zz2 - yyMinusXX)
    }
}

@frozen @usableFromInline
struct CompletedPoint: Sendable {
    @usableFromInline var X: FieldElement, Y: FieldElement, Z: FieldElement, T: FieldElement

    @inlinable @inline(__always)
    init(X: FieldElement, Y: FieldElement, Z: FieldElement, T: FieldElement) {
        self.X = X; self.Y = Y; self.Z = Z; self.T = T
    }

    @inlinable @inline(__always)
    var extended: EdwardsPoint { EdwardsPoint(X: X * T, Y: Y * Z, Z: Z * T, T: X * Y) }

    @inlinable @inline(__always)
    var projective: ProjectivePoint { ProjectivePoint(X: X * T, Y: Y * Z, Z: Z * T) }
}

@frozen @usableFromInline
struct ProjectiveNielsPoint: Sendable {
    @usableFromInline var yPlusX: FieldElement, yMinusX: FieldElement, Z: FieldElement, t2d: FieldElement

    @inlinable @inline(__always)
    init(yPlusX: FieldElement, yMinusX: FieldElement, Z: FieldElement, t2d: FieldElement) {
        self.yPlusX = yPlusX; self.yMinusX = yMinusX; self.Z = Z; self.t2d = t2d
    }

    @inlinable static var identity: ProjectiveNielsPoint {
        ProjectiveNielsPoint(yPlusX: .one, yMinusX: .one, Z: .one, t2d: .zero)
    }

    /// −P is (Y−X, Y+X, Z, −2dT): swap the first two coordinates and negate the last.
    @inlinable @inline(__always)
    mutating func conditionalNegate(_ mask: UInt64) {
        FieldElement.conditionalSwap(&yPlusX, &yMinusX, mask)
        t2d = t2d.conditionalNegate(mask)
    }
}

@frozen @usableFromInline
struct AffineNielsPoint: Sendable {
    @usableFromInline var yPlusX: FieldElement, yMinusX: FieldElement, xy2d: FieldElement

    @inlinable @inline(__always)
    init(yPlusX: FieldElement, yMinusX: FieldElement, xy2d: FieldElement) {
        self.yPlusX = yPlusX; self.yMinusX = yMinusX; self.xy2d = xy2d
    }

    @inlinable @inline(__always)
    mutating func conditionalNegate(_ mask: UInt64) {
        FieldElement.conditionalSwap(&yPlusX, &yMinusX, mask)
        xy2d = xy2d.conditionalNegate(mask)
    }
}

/// Converts many extended points to affine Niels form with a single field inversion.
func batchAffineNiels(_ points: [EdwardsPoint]) -> [AffineNielsPoint] {
    var zs = points.map { $0.Z }
    FieldElement.batchInvert(&zs)
    var out = [AffineNielsPoint]()
    out.reserveCapacity(points.count)
    for i in 0..<points.count {
        let x = points[i].X * zs[i], y = points[i].Y * zs[i]
        out.append(AffineNielsPoint(yPlusX: y + x, yMinusX: y - x, xy2d: (x * y) * FieldElement.edwardsD2))
    }
    return out
}
