/// Arithmetic in GF(p), p = 2^255 − 19.
///
/// An element is held in radix 2^51 as five unsigned 64-bit limbs, value = Σ lᵢ·2^(51·i).
/// Limbs are allowed to exceed 51 bits between reductions, which is what makes additions cheap:
/// a *reduced* element has every limb < 2^51 + 2^18 (the output of `mul`, `square`, `sub`, `neg`),
/// an *added* element (sum of two reduced ones) has limbs < 2^53. Multiplication accepts limbs up
/// to 2^54: then every 64×64→128-bit partial product, including the ones pre-multiplied by 19 to
/// fold 2^255 ≡ 19, sums to well below 2^128 (5 · 2^54 · 19·2^54 < 2^117).
///
/// All operations here are constant time: no branches or memory indices depend on the values.
@frozen
public struct FieldElement: Sendable {
    public var l0: UInt64, l1: UInt64, l2: UInt64, l3: UInt64, l4: UInt64

    @inlinable @inline(__always)
    public init(_ l0: UInt64, _ l1: UInt64, _ l2: UInt64, _ l3: UInt64, _ l4: UInt64) {
        self.l0 = l0; self.l1 = l1; self.l2 = l2; self.l3 = l3; self.l4 = l4
    }

    @inlinable public static var maskLow51: UInt64 { (1 << 51) - 1 }

    @inlinable public static var zero: FieldElement { FieldElement(0, 0, 0, 0, 0) }
    @inlinable public static var one: FieldElement { FieldElement(1, 0, 0, 0, 0) }
    @inlinable public static var minusOne: FieldElement {
        FieldElement(0x7ffffffffffec, 0x7ffffffffffff, 0x7ffffffffffff, 0x7ffffffffffff, 0x7ffffffffffff)
    }

    // MARK: Curve and ristretto constants (RFC 9496 §4.1), as reduced limbs.

    /// Edwards d = −121665/121666.
    @inlinable public static var edwardsD: FieldElement {
        FieldElement(0x34dca135978a3, 0x1a8283b156ebd, 0x5e7a26001c029, 0x739c663a03cbb, 0x52036cee2b6ff)
    }
    /// 2·d, used by the cached (Niels) point forms.
    @inlinable public static var edwardsD2: FieldElement {
        FieldElement(0x69b9426b2f159, 0x35050762add7a, 0x3cf44c0038052, 0x6738cc7407977, 0x2406d9dc56dff)
    }
    /// The non-negative square root of −1.
    @inlinable public static var sqrtM1: FieldElement {
        FieldElement(0x61b274a0ea0b0, 0xd5a5fc8f189d, 0x7ef5e9cbd0c60, 0x78595a6804c9e, 0x2b8324804fc1d)
    }
    @inlinable public static var sqrtADMinusOne: FieldElement {
        FieldElement(0x7f6a0497b2e1b, 0x1836f0a97afd2, 0x7d747f6be7638, 0x456079e7e6498, 0x376931bf2b834)
    }
    @inlinable public static var invSqrtAMinusD: FieldElement {
        FieldElement(0xfdaa805d40ea, 0x2eb482e57d339, 0x7610274bc58, 0x6510b613dc8ff, 0x786c8905cfaff)
    }
    @inlinable public static var oneMinusDSq: FieldElement {
        FieldElement(0x409c1945fc176, 0x719abc6a1fc4f, 0x1c37f90b20684, 0x6bccca55eedf, 0x29072a8b2b3e)
    }
    @inlinable public static var dMinusOneSq: FieldElement {
        FieldElement(0x55aaa44ed4d20, 0x59603c3332635, 0x26d3baf4a7928, 0x120a66e6997a9, 0x5968b37af66c2)
    }

    // MARK: Reduction

    /// Carry every limb into the next one, folding the carry out of the top limb back as ·19.
    /// Output limbs are < 2^51 + 2^13·19ish (in practice < 2^52), whatever the 64-bit input.
    @inlinable @inline(__always)
    public static func weakReduce(_ a0: UInt64, _ a1: UInt64, _ a2: UInt64, _ a3: UInt64, _ a4: UInt64) -> FieldElement {
        let m = maskLow51
        let c0 = a0 >> 51, c1 = a1 >> 51, c2 = a2 >> 51, c3 = a3 >> 51, c4 = a4 >> 51
        return FieldElement((a0 & m) &+ c4 &* 19, (a1 & m) &+ c0, (a2 & m) &+ c1, (a3 & m) &+ c2, (a4 & m) &+ c3)
    }

    // MARK: Ring operations

    /// Lazy addition: no carry propagation (see the limb bounds above).
    @inlinable @inline(__always)
    public static func + (a: FieldElement, b: FieldElement) -> FieldElement {
        FieldElement(a.l0 &+ b.l0, a.l1 &+ b.l1, a.l2 &+ b.l2, a.l3 &+ b.l3, a.l4 &+ b.l4)
    }

    /// a − b computed as (a + 16p) − b so no limb underflows (b's limbs are < 2^55 ≈ 16p's), then reduced.
    @inlinable @inline(__always)
    public static func - (a: FieldElement, b: FieldElement) -> FieldElement {
        weakReduce((a.l0 &+ 36028797018963664) &- b.l0,
                   (a.l1 &+ 36028797018963952) &- b.l1,
                   (a.l2 &+ 36028797018963952) &- b.l2,
                   (a.l3 &+ 36028797018963952) &- b.l3,
                   (a.l4 &+ 36028797018963952) &- b.l4)
    }

    @inlinable @inline(__always)
    public static prefix func - (a: FieldElement) -> FieldElement {
        weakReduce(36028797018963664 &- a.l0, 36028797018963952 &- a.l1, 36028797018963952 &- a.l2,
                   36028797018963952 &- a.l3, 36028797018963952 &- a.l4)
    }

    @inlinable @inline(__always)
    static func m(_ a: UInt64, _ b: UInt64) -> UInt128 { UInt128(a) &* UInt128(b) }

    /// Schoolbook 5×5 limb product; terms of weight ≥ 2^255 are folded in with the factor 19.
    @inlinable @inline(__always)
    public static func * (a: FieldElement, b: FieldElement) -> FieldElement {
        let b1_19 = b.l1 &* 19, b2_19 = b.l2 &* 19, b3_19 = b.l3 &* 19, b4_19 = b.l4 &* 19
        let c0 = m(a.l0, b.l0) &+ m(a.l4, b1_19) &+ m(a.l3, b2_19) &+ m(a.l2, b3_19) &+ m(a.l1, b4_19)
        let c1 = m(a.l1, b.l0) &+ m(a.l0, b.l1) &+ m(a.l4, b2_19) &+ m(a.l3, b3_19) &+ m(a.l2, b4_19)
        let c2 = m(a.l2, b.l0) &+ m(a.l1, b.l1) &+ m(a.l0, b.l2) &+ m(a.l4, b3_19) &+ m(a.l3, b4_19)
        let c3 = m(a.l3, b.l0) &+ m(a.l2, b.l1) &+ m(a.l1, b.l2) &+ m(a.l0, b.l3) &+ m(a.l4, b4_19)
        let c4 = m(a.l4, b.l0) &+ m(a.l3, b.l1) &+ m(a.l2, b.l2) &+ m(a.l1, b.l3) &+ m(a.l0, b.l4)
        return carryWide(c0, c1, c2, c3, c4)
    }

    /// Reduces the five 128-bit column sums of a product to limbs < 2^51 + 2^18.
    ///
    /// Two rounds of *parallel* carries instead of one serial 128-bit chain: the serial chain
    /// (c₁ += c₀ >> 51, then c₂ += c₁ >> 51, …) is five dependent 128-bit shift-and-add steps and
    /// made up most of a multiplication's latency. Here every carry is taken at once, which is
    /// possible because they fit in a word: with input limbs ≤ 2^54 every column is
    /// cᵢ ≤ 2^108 + 4·19·2^108 < 2^114.4, so cᵢ >> 51 < 2^63.4, and 19·(c₄ >> 51) < 19·2^59.4 <
    /// 2^63.7 (c₄ has no ·19 terms, c₄ ≤ 5·2^108). The sums tᵢ = (cᵢ mod 2^51) + carryᵢ₋₁ then stay
    /// below 2^64, and one `weakReduce` (64-bit, again all carries at once) brings every limb
    /// below 2^51 + 19·2^13 < 2^51 + 2^18.
    @inlinable @inline(__always)
    static func carryWide(_ c0: UInt128, _ c1: UInt128, _ c2: UInt128, _ c3: UInt128, _ c4: UInt128) -> FieldElement {
        let mask = maskLow51
        let k0 = UInt64(truncatingIfNeeded: c0 >> 51), k1 = UInt64(truncatingIfNeeded: c1 >> 51)
        let k2 = UInt64(truncatingIfNeeded: c2 >> 51), k3 = UInt64(truncatingIfNeeded: c3 >> 51)
        let k4 = UInt64(truncatingIfNeeded: c4 >> 51)
        return weakReduce((UInt64(truncatingIfNeeded: c0) & mask) &+ k4 &* 19,
                          (UInt64(truncatingIfNeeded: c1) & mask) &+ k0,
                          (UInt64(truncatingIfNeeded: c2) & mask) &+ k1,
                          (UInt64(truncatingIfNeeded: c3) & mask) &+ k2,
                          (UInt64(truncatingIfNeeded: c4) & mask) &+ k3)
    }

    @inlinable @inline(__always)
    public func square() -> FieldElement {
        let a0 = l0, a1 = l1, a2 = l2, a3 = l3, a4 = l4
        let a3_19 = a3 &* 19, a4_19 = a4 &* 19
        let d0 = a0 &* 2, d1 = a1 &* 2, d2 = a2 &* 2
        let c0 = Self.m(a0, a0) &+ Self.m(d1, a4_19) &+ Self.m(d2, a3_19)
        let c1 = Self.m(a3, a3_19) &+ Self.m(d0, a1) &+ Self.m(d2, a4_19)
        let c2 = Self.m(a1, a1) &+ Self.m(d0, a2) &+ Self.m(a4 &* 2, a3_19)
        let c3 = Self.m(a4, a4_19) &+ Self.m(d0, a3) &+ Self.m(d1, a2)
        let c4 = Self.m(a2, a2) &+ Self.m(d0, a4) &+ Self.m(d1, a3)
        return Self.carryWide(c0, c1, c2, c3, c4)
    }

    /// self^(2^k), k ≥ 1.
    @inlinable
    public func pow2k(_ k: Int) -> FieldElement {
        var r = self.square()
        var i = 1
        while i < k { r = r.square(); i += 1 }
        return r
    }

    /// Returns (self^(2^250 − 1), self^11), the shared prefix of the inversion and square-root chains.
    @usableFromInline
    func pow22501() -> (FieldElement, FieldElement) {
        let t0 = self.square()                 // 2
        let t1 = t0.square().square()          // 8
        let t2 = self * t1                     // 9
        let t3 = t0 * t2                       // 11
        let t4 = t3.square()                   // 22
        let t5 = t2 * t4                       // 31 = 2^5 − 1
        let t7 = t5.pow2k(5) * t5              // 2^10 − 1
        let t9 = t7.pow2k(10) * t7             // 2^20 − 1
        let t11 = t9.pow2k(20) * t9            // 2^40 − 1
        let t13 = t11.pow2k(10) * t7           // 2^50 − 1
        let t15 = t13.pow2k(50) * t13          // 2^100 − 1
        let t17 = t15.pow2k(100) * t15         // 2^200 − 1
        let t19 = t17.pow2k(50) * t13          // 2^250 − 1
        return (t19, t3)
    }

    /// Multiplicative inverse by Fermat: self^(p−2) = self^(2^255 − 21); 0 maps to 0.
    public func inverted() -> FieldElement {
        let (t19, t3) = pow22501()
        return t19.pow2k(5) * t3               // 2^255 − 32 + 11
    }

    /// self^((p−5)/8) = self^(2^252 − 3).
    @usableFromInline
    func powP58() -> FieldElement {
        let (t19, _) = pow22501()
        return t19.pow2k(2) * self
    }

    /// Inverts every nonzero element in place with one field inversion (Montgomery's trick);
    /// zeros stay zero. Constant time in the values.
    public static func batchInvert(_ xs: inout [FieldElement]) {
        let n = xs.count
        if n == 0 { return }
        var prefix = [FieldElement](repeating: .one, count: n)
        var acc = FieldElement.one
        for i in 0..<n {
            let isZ = xs[i].isZeroMask
            let x = FieldElement.select(xs[i], .one, isZ)
            prefix[i] = acc
            acc = acc * x
        }
        acc = acc.inverted()
        var i = n - 1
        while i >= 0 {
            let isZ = xs[i].isZeroMask
            let x = FieldElement.select(xs[i], .one, isZ)
            let inv = acc * prefix[i]
            acc = acc * x
            xs[i] = FieldElement.select(inv, .zero, isZ)
            i -= 1
        }
    }

    // MARK: Encoding

    /// Fully reduced limbs (the unique representative in [0, p)).
    @inlinable
    public func canonicalLimbs() -> (UInt64, UInt64, UInt64, UInt64, UInt64) {
        let mask = Self.maskLow51
        var r = Self.weakReduce(l0, l1, l2, l3, l4)
        // r < 2^255 + small. q = 1 iff r ≥ p, found by propagating the carry of r + 19.
        var q = (r.l0 &+ 19) >> 51
        q = (r.l1 &+ q) >> 51
        q = (r.l2 &+ q) >> 51
        q = (r.l3 &+ q) >> 51
        q = (r.l4 &+ q) >> 51
        r.l0 &+= 19 &* q
        r.l1 &+= r.l0 >> 51; r.l0 &= mask
        r.l2 &+= r.l1 >> 51; r.l1 &= mask
        r.l3 &+= r.l2 >> 51; r.l2 &= mask
        r.l4 &+= r.l3 >> 51; r.l3 &= mask
        r.l4 &= mask   // drops the 2^255 that r + 19q overshot by, i.e. subtracts p
        return (r.l0, r.l1, r.l2, r.l3, r.l4)
    }

    /// The canonical value as four little-endian 64-bit words (bit 255 clear).
    @inlinable
    public func canonicalWords() -> (UInt64, UInt64, UInt64, UInt64) {
        let (a0, a1, a2, a3, a4) = canonicalLimbs()
        return (a0 | (a1 << 51), (a1 >> 13) | (a2 << 38), (a2 >> 26) | (a3 << 25), (a3 >> 39) | (a4 << 12))
    }

    /// The element with the given four little-endian 64-bit words, ignoring bit 255.
    @inlinable @inline(__always)
    public init(words w0: UInt64, _ w1: UInt64, _ w2: UInt64, _ w3: UInt64) {
        let mask = Self.maskLow51
        self.init(w0 & mask,
                  ((w0 >> 51) | (w1 << 13)) & mask,
                  ((w1 >> 38) | (w2 << 26)) & mask,
                  ((w2 >> 25) | (w3 << 39)) & mask,
                  (w3 >> 12) & mask)
    }

    /// Canonical 32-byte little-endian encoding (bit 255 clear).
    public var bytes: [UInt8] {
        let (w0, w1, w2, w3) = canonicalWords()
        var out = [UInt8](repeating: 0, count: 32)
        for (k, w) in [w0, w1, w2, w3].enumerated() {
            for j in 0..<8 { out[8 * k + j] = UInt8(truncatingIfNeeded: w >> (8 * UInt64(j))) }
        }
        return out
    }

    /// Loads the 32 little-endian bytes at `offset`, ignoring bit 255 (RFC 9496's field decoding
    /// with the top bit masked). Values in [p, 2^255) are accepted here and reduced later; callers
    /// that need canonicity compare the re-encoding with the input. Bytes beyond the end of `b`
    /// read as zero, so short input never traps (callers check lengths and report errors first).
    @inlinable
    public init(bytes b: [UInt8], offset: Int = 0) {
        @inline(__always) func word(_ k: Int) -> UInt64 {
            var v: UInt64 = 0
            for j in 0..<8 {
                let i = offset + 8 * k + j
                if i >= 0 && i < b.count { v |= UInt64(b[i]) << (8 * UInt64(j)) }
            }
            return v
        }
        self.init(words: word(0), word(1), word(2), word(3))
    }

    // MARK: Predicates and constant-time selection

    /// All-ones when self ≡ 0 (mod p), else zero.
    @inlinable
    public var isZeroMask: UInt64 {
        let (a0, a1, a2, a3, a4) = canonicalLimbs()
        let x = a0 | a1 | a2 | a3 | a4
        // (x | −x) has its top bit set iff x ≠ 0.
        return ((x | (0 &- x)) >> 63) &- 1
    }
    public var isZero: Bool { isZeroMask != 0 }

    /// "Negative" per RFC 9496 §4.1: the least significant bit of the canonical encoding.
    @inlinable
    public var isNegativeBit: UInt64 { canonicalLimbs().0 & 1 }
    public var isNegative: Bool { isNegativeBit == 1 }

    /// All-ones when a ≡ b, else zero (constant time).
    @inlinable
    public static func equalMask(_ a: FieldElement, _ b: FieldElement) -> UInt64 { (a - b).isZeroMask }

    /// Returns `b` where mask is all-ones, `a` where it is zero. `mask` must be 0 or ~0.
    @inlinable @inline(__always)
    public static func select(_ a: FieldElement, _ b: FieldElement, _ mask: UInt64) -> FieldElement {
        FieldElement(a.l0 ^ ((a.l0 ^ b.l0) & mask), a.l1 ^ ((a.l1 ^ b.l1) & mask),
                     a.l2 ^ ((a.l2 ^ b.l2) & mask), a.l3 ^ ((a.l3 ^ b.l3) & mask),
                     a.l4 ^ ((a.l4 ^ b.l4) & mask))
    }

    /// Swaps a and b when mask is all-ones (constant time).
    @inlinable @inline(__always)
    public static func conditionalSwap(_ a: inout FieldElement, _ b: inout FieldElement, _ mask: UInt64) {
        let na = select(a, b, mask), nb = select(b, a, mask)
        a = na; b = nb
    }

    /// −self when mask is all-ones, else self.
    @inlinable @inline(__always)
    public func conditionalNegate(_ mask: UInt64) -> FieldElement { Self.select(self, -self, mask) }

    /// |self|: the non-negative one of ±self (RFC 9496 CT_ABS).
    @inlinable
    public func abs() -> FieldElement { conditionalNegate(0 &- isNegativeBit) }

    /// RFC 9496 §4.2 SQRT_RATIO_M1(u, v). Returns (was_square, r) with r non-negative:
    /// (true, +√(u/v)) when u/v is a nonzero square; (true, 0) when u = 0; (false, 0) when v = 0 and
    /// u ≠ 0; (false, +√(√−1·u/v)) when u/v is a non-square. `wasSquare` is a mask (0 or ~0).
    ///
    /// Why it works: r = u·v³·(u·v⁷)^((p−5)/8) satisfies v·r² = ±u or ±√−1·u; multiplying r by √−1
    /// fixes the second sign, and the √−1·u case certifies non-squareness.
    @inlinable
    public static func sqrtRatioM1(_ u: FieldElement, _ v: FieldElement) -> (wasSquare: UInt64, r: FieldElement) {
        let v3 = v.square() * v
        let v7 = v3.square() * v
        var r = (u * v3) * (u * v7).powP58()
        let check = v * r.square()
        let i = sqrtM1
        let correctSign = equalMask(check, u)
        let flippedSign = equalMask(check, -u)
        let flippedSignI = equalMask(check, -u * i)
        let rPrime = i * r
        r = select(r, rPrime, flippedSign | flippedSignI)
        r = r.abs()
        return (correctSign | flippedSign, r)
    }
}
