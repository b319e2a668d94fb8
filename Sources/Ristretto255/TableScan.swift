/// Constant-time table lookups for the scalar multiplications that handle secret scalars.
///
/// Selecting entry k of a small table without a secret-dependent memory address means reading
/// every entry and keeping one by masking:
///
///     r = OR over j of (entry_j AND mask_j),   mask_j = all-ones iff j = k, else 0,
///
/// and r = identity when k = 0 (no entry matches). Done limb by limb with 64-bit words this
/// took a quarter of a fixed-base multiplication (64 scans of 8 entries × 15 words, three
/// operations per word). Here the table entries are stored *packed* as 64-bit lanes of SIMD
/// vectors, so the scan is two vector operations (AND, OR) per 128 bits on plain x86-64 (SSE2)
/// and arm64 (NEON), with no target-specific flags. The OR form needs the identity merged in
/// explicitly, which costs two scalar operations per scan.
///
/// Sign handling stays outside the scan: digits are signed (|k| ≤ 8 or 16) and −P in Niels form is
/// (y−x, y+x, −2dxy), a masked swap and negation after the scan.

/// A table entry as two SIMD vectors of 64-bit lanes, the unit the masked scan works on.
@frozen @usableFromInline
struct PackedEntry<Lo: SIMD & Sendable, Hi: SIMD & Sendable>: Sendable where Lo.Scalar == UInt64, Hi.Scalar == UInt64 {
    @usableFromInline var lo: Lo
    @usableFromInline var hi: Hi

    @inlinable @inline(__always)
    init(lo: Lo, hi: Hi) { self.lo = lo; self.hi = hi }
}

/// An `AffineNielsPoint` (three field elements) in 96 bytes: each coordinate fully reduced and
/// packed as four 64-bit words rather than five 51-bit limbs. A fixed-base lookup scans 16 of
/// these per addition, so the 20 % fewer bytes are 20 % less scan work; unpacking the one
/// selected entry back into limbs costs a few shifts. `lo` holds the words of yPlusX then
/// yMinusX, `hi` those of xy2d.
@usableFromInline typealias PackedAffineNiels = PackedEntry<SIMD8<UInt64>, SIMD4<UInt64>>

/// A `ProjectiveNielsPoint` (four field elements, 20 limbs): `lo` holds the limbs of yPlusX,
/// yMinusX and Z, then limb 0 of t2d; `hi` limbs 1…4 of t2d. (These are built per
/// multiplication, where fully reducing the coordinates would cost more than it saves.)
@usableFromInline typealias PackedProjectiveNiels = PackedEntry<SIMD16<UInt64>, SIMD4<UInt64>>

extension PackedEntry where Lo == SIMD8<UInt64>, Hi == SIMD4<UInt64> {
    @inlinable
    init(_ p: AffineNielsPoint) {
        let a = p.yPlusX.canonicalWords(), b = p.yMinusX.canonicalWords(), c = p.xy2d.canonicalWords()
        self.init(lo: SIMD8(a.0, a.1, a.2, a.3, b.0, b.1, b.2, b.3), hi: SIMD4(c.0, c.1, c.2, c.3))
    }

    @inlinable @inline(__always)
    var point: AffineNielsPoint {
        AffineNielsPoint(yPlusX: FieldElement(words: lo[0], lo[1], lo[2], lo[3]),
                         yMinusX: FieldElement(words: lo[4], lo[5], lo[6], lo[7]),
                         xy2d: FieldElement(words: hi[0], hi[1], hi[2], hi[3]))
    }
}

extension PackedEntry where Lo == SIMD16<UInt64>, Hi == SIMD4<UInt64> {
    @inlinable
    init(_ p: ProjectiveNielsPoint) {
        let a = p.yPlusX, b = p.yMinusX, z = p.Z, t = p.t2d
        self.init(lo: SIMD16(a.l0, a.l1, a.l2, a.l3, a.l4, b.l0, b.l1, b.l2, b.l3, b.l4,
                             z.l0, z.l1, z.l2, z.l3, z.l4, t.l0),
                  hi: SIMD4(t.l1, t.l2, t.l3, t.l4))
    }

    @inlinable @inline(__always)
    var point: ProjectiveNielsPoint {
        ProjectiveNielsPoint(yPlusX: FieldElement(lo[0], lo[1], lo[2], lo[3], lo[4]),
                             yMinusX: FieldElement(lo[5], lo[6], lo[7], lo[8], lo[9]),
                             Z: FieldElement(lo[10], lo[11], lo[12], lo[13], lo[14]),
                             t2d: FieldElement(lo[15], hi[0], hi[1], hi[2], hi[3]))
    }
}

/// Splits a signed digit into (all-ones if negative, |digit|) without branches.
@inlinable @inline(__always)
func signedDigitParts(_ digit: Int8) -> (signMask: UInt64, magnitude: UInt64) {
    let x = Int64(digit)
    let sign = x >> 63
    return (UInt64(bitPattern: sign), UInt64(bitPattern: (x ^ sign) &- sign))
}

/// All-ones when a == b, else zero, without branches.
@inlinable @inline(__always)
func equalityMask(_ a: UInt64, _ b: UInt64) -> UInt64 {
    let d = a ^ b
    return ((d | (0 &- d)) >> 63) &- 1
}

/// OR over j of (table[j] AND mask_j) for j < entries, mask_j all-ones iff magnitude = j + 1:
/// entry magnitude − 1, or all zeros when magnitude is 0. Every entry is read.
@inlinable @inline(__always)
func maskedScan<Lo, Hi>(_ table: UnsafePointer<PackedEntry<Lo, Hi>>, entries: Int, magnitude: UInt64) -> PackedEntry<Lo, Hi> {
    var lo = Lo(), hi = Hi()
    for j in 0..<entries {
        let m = equalityMask(magnitude, UInt64(j + 1))
        lo |= table[j].lo & Lo(repeating: m)
        hi |= table[j].hi & Hi(repeating: m)
    }
    return PackedEntry(lo: lo, hi: hi)
}

/// k·P for a signed digit k ∈ [−8, 8] from the packed table [P, 2P, …, 8P], reading all eight
/// entries whatever k is.
@inlinable @inline(__always)
func constantTimeSelect(_ table: UnsafePointer<PackedProjectiveNiels>, _ digit: Int8) -> ProjectiveNielsPoint {
    let (signMask, magnitude) = signedDigitParts(digit)
    var e = maskedScan(table, entries: 8, magnitude: magnitude)
    // k = 0: the identity (1, 1, 1, 0) has a 1 in limb 0 of yPlusX, yMinusX and Z.
    let one = equalityMask(magnitude, 0) & 1
    e.lo[0] |= one; e.lo[5] |= one; e.lo[10] |= one
    var t = e.point
    t.conditionalNegate(signMask)
    return t
}

/// k·P for a signed digit k ∈ [−entries, entries] from the packed affine table
/// [P, 2P, …, entries·P] (a fixed-base row), reading every entry whatever k is.
@inlinable @inline(__always)
func constantTimeSelect(_ table: UnsafePointer<PackedAffineNiels>, _ digit: Int8, entries: Int) -> AffineNielsPoint {
    let (signMask, magnitude) = signedDigitParts(digit)
    var e = maskedScan(table, entries: entries, magnitude: magnitude)
    // k = 0: the identity (1, 1, 0) has a 1 in word 0 of yPlusX and yMinusX.
    let one = equalityMask(magnitude, 0) & 1
    e.lo[0] |= one; e.lo[4] |= one
    var t = e.point
    t.conditionalNegate(signMask)
    return t
}
