/// An element of the ristretto255 prime-order group (RFC 9496).
///
/// Internally an edwards25519 point in extended coordinates; a ristretto255 element is the coset
/// P + E[4] of the curve's 4-torsion, so different internal points may represent the same element.
/// `==` therefore compares cosets (RFC 9496 §4.3.3), and `compressed()` picks the one canonical
/// encoding of the coset.
public struct RistrettoPoint: Sendable, Equatable {
    @usableFromInline var ep: EdwardsPoint

    @inlinable init(_ ep: EdwardsPoint) { self.ep = ep }

    public static let identity = RistrettoPoint(.identity)

    /// The ristretto255 generator B (the image of the edwards25519 base point; its encoding is
    /// e2f2ae0a 6abc4e71 a884a961 c500515f 58e30b6a a582dd8d b6a65945 e08d2d76).
    public static let generator: RistrettoPoint = {
        // x and y of the edwards25519 base point, y = 4/5 and x the non-negative root.
        let y = FieldElement(0x6666666666658, 0x4cccccccccccc, 0x1999999999999, 0x3333333333333, 0x6666666666666)
        let x = FieldElement(0x62d608f25d51a, 0x412a4b4f6592a, 0x75b7171a4b31d, 0x1ff60527118fe, 0x216936d3cd6e5)
        return RistrettoPoint(EdwardsPoint(X: x, Y: y, Z: .one, T: x * y))
    }()

    // MARK: Decoding (RFC 9496 §4.3.1)

    /// Strict decoding. Rejects: wrong length; a field encoding ≥ p (non-canonical, including bit
    /// 255 set); a negative s (odd canonical value); s for which the curve equation has no
    /// solution (`v·u2²` non-square); a result with negative t = x·y or with y = 0.
    public init(compressed b: [UInt8]) throws(Ristretto255Error) {
        guard b.count == 32 else { throw .wrongLength(expected: 32, got: b.count) }
        let s = FieldElement(bytes: b)
        guard s.bytes == b else {
            throw .invalidPointEncoding("s is not a canonical field element encoding (value >= p or top bit set)")
        }
        guard !s.isNegative else { throw .invalidPointEncoding("s is negative") }
        let ss = s.square()
        let u1 = FieldElement.one - ss
        let u2 = FieldElement.one + ss
        let u2Sq = u2.square()
        let v = -(FieldElement.edwardsD * u1.square()) - u2Sq
        let (wasSquare, invsqrt) = FieldElement.sqrtRatioM1(.one, v * u2Sq)
        let denX = invsqrt * u2
        let denY = invsqrt * denX * v
        let x = ((s + s) * denX).abs()
        let y = u1 * denY
        let t = x * y
        guard wasSquare != 0 else { throw .invalidPointEncoding("no curve point: v·u2² is not a square") }
        guard !t.isNegative else { throw .invalidPointEncoding("t = x·y is negative") }
        guard !y.isZero else { throw .invalidPointEncoding("y is zero") }
        self.init(EdwardsPoint(X: x, Y: y, Z: .one, T: t))
    }

    // MARK: Encoding (RFC 9496 §4.3.2)

    /// The canonical 32-byte encoding of the coset.
    public func compressed() -> [UInt8] {
        let (X0, Y0, Z0, T0) = (ep.X, ep.Y, ep.Z, ep.T)
        let u1 = (Z0 + Y0) * (Z0 - Y0)
        let u2 = X0 * Y0
        let (_, invsqrt) = FieldElement.sqrtRatioM1(.one, u1 * u2.square())
        return Self.finishEncoding(X0, Y0, Z0, T0, u1: u1, u2: u2, invsqrt: invsqrt)
    }

    @inline(__always)
    static func finishEncoding(_ X0: FieldElement, _ Y0: FieldElement, _ Z0: FieldElement, _ T0: FieldElement,
                               u1: FieldElement, u2: FieldElement, invsqrt: FieldElement) -> [UInt8] {
        let den1 = invsqrt * u1
        let den2 = invsqrt * u2
        let zInv = den1 * den2 * T0
        let ix0 = X0 * FieldElement.sqrtM1
        let iy0 = Y0 * FieldElement.sqrtM1
        let enchantedDenominator = den1 * FieldElement.invSqrtAMinusD
        let rotate = 0 &- (T0 * zInv).isNegativeBit
        let x = FieldElement.select(X0, iy0, rotate)
        var y = FieldElement.select(Y0, ix0, rotate)
        let denInv = FieldElement.select(den2, enchantedDenominator, rotate)
        y = y.conditionalNegate(0 &- (x * zInv).isNegativeBit)
        let s = (denInv * (Z0 - y)).abs()
        return s.bytes
    }

    /// Encodes many points; equal to mapping `compressed()` (each encoding needs its own inverse
    /// square root, which does not batch the way inversions do). Kept as one call so callers are
    /// ready if a batched formula is added later.
    public static func compressBatch(_ points: [RistrettoPoint]) -> [[UInt8]] {
        points.map { $0.compressed() }
    }

    // MARK: Equality (RFC 9496 §4.3.3)

    /// Ristretto equality: X1·Y2 = Y1·X2 or Y1·Y2 = X1·X2 (constant time).
    public static func == (a: RistrettoPoint, b: RistrettoPoint) -> Bool {
        let e1 = FieldElement.equalMask(a.ep.X * b.ep.Y, a.ep.Y * b.ep.X)
        let e2 = FieldElement.equalMask(a.ep.Y * b.ep.Y, a.ep.X * b.ep.X)
        return (e1 | e2) != 0
    }

    public var isIdentity: Bool { self == .identity }

    // MARK: One-way map (RFC 9496 §4.3.4)

    /// The Elligator-based map from one field element to the group (MAP in RFC 9496).
    static func elligator(_ t: FieldElement) -> EdwardsPoint {
        let one = FieldElement.one
        let d = FieldElement.edwardsD
        let r = FieldElement.sqrtM1 * t.square()
        let u = (r + one) * FieldElement.oneMinusDSq
        let v = (FieldElement.minusOne - r * d) * (r + d)
        let (wasSquare, s0) = FieldElement.sqrtRatioM1(u, v)
        let sPrime = -((s0 * t).abs())
        let s = FieldElement.select(sPrime, s0, wasSquare)
        let c = FieldElement.select(r, FieldElement.minusOne, wasSquare)
        let N = c * (r - one) * FieldElement.dMinusOneSq - v
        let w0 = (s + s) * v
        let w1 = N * FieldElement.sqrtADMinusOne
        let ss = s.square()
        let w2 = one - ss
        let w3 = one + ss
        return EdwardsPoint(X: w0 * w3, Y: w2 * w1, Z: w1 * w3, T: w0 * w2)
    }

    /// FROM_UNIFORM_BYTES: hash-to-group from 64 uniformly random bytes. Each half is read as a
    /// field element with bit 255 masked, mapped, and the two images are added; the sum is
    /// statistically close to uniform and no discrete-log relation to it is known.
    /// Precondition by contract: exactly 64 bytes; shorter input is zero-padded, longer input is
    /// truncated (never a crash).
    public static func fromUniformBytes(_ bytes: [UInt8]) -> RistrettoPoint {
        var b = [UInt8](repeating: 0, count: 64)
        for i in 0..<min(64, bytes.count) { b[i] = bytes[i] }
        let r1 = elligator(FieldElement(bytes: b, offset: 0))
        let r2 = elligator(FieldElement(bytes: b, offset: 32))
        return RistrettoPoint(r1 + r2)
    }

    // MARK: Group law

    public static func + (a: RistrettoPoint, b: RistrettoPoint) -> RistrettoPoint { RistrettoPoint(a.ep + b.ep) }
    public static func - (a: RistrettoPoint, b: RistrettoPoint) -> RistrettoPoint { RistrettoPoint(a.ep - b.ep) }
    public static prefix func - (a: RistrettoPoint) -> RistrettoPoint { RistrettoPoint(-a.ep) }
    public static func += (a: inout RistrettoPoint, b: RistrettoPoint) { a = a + b }
    public static func -= (a: inout RistrettoPoint, b: RistrettoPoint) { a = a - b }
    public func doubled() -> RistrettoPoint { RistrettoPoint(ep.doubled()) }
}
