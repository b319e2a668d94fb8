/// Errors from decoding group elements and scalars.
public enum Ristretto255Error: Error, Equatable, CustomStringConvertible {
    case wrongLength(expected: Int, got: Int)
    case nonCanonicalScalar
    case invalidPointEncoding(String)

    public var description: String {
        switch self {
        case let .wrongLength(expected, got):
            return "wrong length: expected \(expected) bytes, got \(got)"
        case .nonCanonicalScalar:
            return "non-canonical scalar: the 32-byte little-endian value is not below the group order ℓ"
        case let .invalidPointEncoding(reason):
            return "invalid ristretto255 encoding: \(reason)"
        }
    }
}

/// An integer modulo the group order ℓ = 2^252 + 27742317777372353535851937790883648493.
///
/// Stored canonically (always < ℓ) as four little-endian 64-bit words, which makes equality,
/// hashing, encoding and digit extraction for scalar multiplication trivial. Multiplication
/// converts to five 52-bit limbs and uses Montgomery reduction with R = 2^260 (see `Scalar52`).
///
/// Arithmetic is constant time: carries and the final conditional subtraction of ℓ use masks.
@frozen
public struct Scalar: Sendable, Hashable {
    // Internal so that outside code cannot build a non-canonical (≥ ℓ) scalar.
    @usableFromInline var w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64

    @inlinable @inline(__always)
    init(words w0: UInt64, _ w1: UInt64, _ w2: UInt64, _ w3: UInt64) {
        self.w0 = w0; self.w1 = w1; self.w2 = w2; self.w3 = w3
    }

    public static let zero = Scalar(words: 0, 0, 0, 0)
    public static let one = Scalar(words: 1, 0, 0, 0)

    /// ℓ as four 64-bit words.
    @inlinable static var order: (UInt64, UInt64, UInt64, UInt64) {
        (0x5812631a5cf5d3ed, 0x14def9dea2f79cd6, 0, 0x1000000000000000)
    }

    /// A small integer (always < ℓ).
    public init(_ value: UInt64) { self.init(words: value, 0, 0, 0) }

    /// Strict decoding: 32 little-endian bytes whose value must be < ℓ (as the Bulletproofs and
    /// ristretto255 wire formats require; a non-canonical scalar would make encodings malleable).
    public init(canonicalBytes b: [UInt8]) throws(Ristretto255Error) {
        guard b.count == 32 else { throw .wrongLength(expected: 32, got: b.count) }
        let w = Scalar.loadWords(b, 0)
        // w − ℓ borrows iff w < ℓ.
        let (_, borrow) = Scalar.subWords(w, Scalar.order)
        guard borrow == 1 else { throw .nonCanonicalScalar }
        self.init(words: w.0, w.1, w.2, w.3)
    }

    /// 32 little-endian bytes reduced mod ℓ (any 256-bit value is accepted). The contract is exactly
    /// 32 bytes; so that bad input can never trap, shorter input is zero-extended and bytes past the
    /// 32nd are ignored.
    public init(reducing32 b: [UInt8]) {
        var buf = [UInt8](repeating: 0, count: 64)
        for i in 0..<min(32, b.count) { buf[i] = b[i] }
        self.init(reducing64: buf)
    }

    /// 64 little-endian bytes reduced mod ℓ (the wide reduction used for hashing to scalars and
    /// for challenges: the bias of a 512-bit value mod a 253-bit ℓ is negligible).
    /// Split x = lo + 2^260·hi with lo, hi < 2^260: then x ≡ lo + hi·R (mod ℓ), and
    /// Montgomery products give lo·R/R = lo and hi·R²/R = hi·R.
    public init(reducing64 b: [UInt8]) {
        var buf = [UInt8](repeating: 0, count: 64)
        for i in 0..<min(64, b.count) { buf[i] = b[i] }
        var w = [UInt64](repeating: 0, count: 8)
        for k in 0..<8 { w[k] = Scalar.loadWord(buf, 8 * k) }
        let m: UInt64 = (1 << 52) - 1
        let lo = Scalar52(w[0] & m,
                          ((w[0] >> 52) | (w[1] << 12)) & m,
                          ((w[1] >> 40) | (w[2] << 24)) & m,
                          ((w[2] >> 28) | (w[3] << 36)) & m,
                          ((w[3] >> 16) | (w[4] << 48)) & m)
        let hi = Scalar52((w[4] >> 4) & m,
                          ((w[4] >> 56) | (w[5] << 8)) & m,
                          ((w[5] >> 44) | (w[6] << 20)) & m,
                          ((w[6] >> 32) | (w[7] << 32)) & m,
                          w[7] >> 20)
        let loR = Scalar52.montgomeryMul(lo, Scalar52.R)
        let hiR = Scalar52.montgomeryMul(hi, Scalar52.RR)
        self = Scalar52.add(hiR, loR).toScalar()
    }

    /// Canonical 32-byte little-endian encoding.
    public var bytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        for (k, w) in [w0, w1, w2, w3].enumerated() {
            for j in 0..<8 { out[8 * k + j] = UInt8(truncatingIfNeeded: w >> (8 * UInt64(j))) }
        }
        return out
    }

    public var isZero: Bool { (w0 | w1 | w2 | w3) == 0 }

    // MARK: helpers

    @inlinable @inline(__always)
    static func loadWord(_ b: [UInt8], _ off: Int) -> UInt64 {
        var v: UInt64 = 0
        for j in 0..<8 { v |= UInt64(b[off + j]) << (8 * UInt64(j)) }
        return v
    }
    @inlinable @inline(__always)
    static func loadWords(_ b: [UInt8], _ off: Int) -> (UInt64, UInt64, UInt64, UInt64) {
        (loadWord(b, off), loadWord(b, off + 8), loadWord(b, off + 16), loadWord(b, off + 24))
    }

    /// Four-word subtraction returning the final borrow (0 or 1).
    @inlinable @inline(__always)
    static func subWords(_ a: (UInt64, UInt64, UInt64, UInt64), _ b: (UInt64, UInt64, UInt64, UInt64))
        -> ((UInt64, UInt64, UInt64, UInt64), UInt64) {
        let (r0, o0) = a.0.subtractingReportingOverflow(b.0)
        let (t1, o1a) = a.1.subtractingReportingOverflow(b.1)
        let (r1, o1b) = t1.subtractingReportingOverflow(o0 ? 1 : 0)
        let c1: UInt64 = (o1a ? 1 : 0) | (o1b ? 1 : 0)
        let (t2, o2a) = a.2.subtractingReportingOverflow(b.2)
        let (r2, o2b) = t2.subtractingReportingOverflow(c1)
        let c2: UInt64 = (o2a ? 1 : 0) | (o2b ? 1 : 0)
        let (t3, o3a) = a.3.subtractingReportingOverflow(b.3)
        let (r3, o3b) = t3.subtractingReportingOverflow(c2)
        let c3: UInt64 = (o3a ? 1 : 0) | (o3b ? 1 : 0)
        return ((r0, r1, r2, r3), c3)
    }

    @inlinable @inline(__always)
    static func addWords(_ a: (UInt64, UInt64, UInt64, UInt64), _ b: (UInt64, UInt64, UInt64, UInt64))
        -> (UInt64, UInt64, UInt64, UInt64) {
        let (r0, o0) = a.0.addingReportingOverflow(b.0)
        let (t1, o1a) = a.1.addingReportingOverflow(b.1)
        let (r1, o1b) = t1.addingReportingOverflow(o0 ? 1 : 0)
        let c1: UInt64 = (o1a ? 1 : 0) | (o1b ? 1 : 0)
        let (t2, o2a) = a.2.addingReportingOverflow(b.2)
        let (r2, o2b) = t2.addingReportingOverflow(c1)
        let c2: UInt64 = (o2a ? 1 : 0) | (o2b ? 1 : 0)
        let r3 = a.3 &+ b.3 &+ c2
        return (r0, r1, r2, r3)
    }

    @inlinable @inline(__always)
    var words: (UInt64, UInt64, UInt64, UInt64) { (w0, w1, w2, w3) }

    // MARK: Arithmetic

    /// (a + b) mod ℓ: the sum is < 2ℓ < 2^254, then ℓ is subtracted unless that borrows.
    @inlinable
    public static func + (a: Scalar, b: Scalar) -> Scalar {
        let s = addWords(a.words, b.words)
        let (d, borrow) = subWords(s, order)
        let mask = 0 &- borrow   // ~0 when s < ℓ: keep s
        return Scalar(words: d.0 ^ ((d.0 ^ s.0) & mask), d.1 ^ ((d.1 ^ s.1) & mask),
                      d.2 ^ ((d.2 ^ s.2) & mask), d.3 ^ ((d.3 ^ s.3) & mask))
    }

    /// (a − b) mod ℓ: on borrow, ℓ is added back (masked, not branched).
    @inlinable
    public static func - (a: Scalar, b: Scalar) -> Scalar {
        let (d, borrow) = subWords(a.words, b.words)
        let mask = 0 &- borrow
        let o = order
        return Scalar(addWordsFixed(d, (o.0 & mask, o.1 & mask, o.2 & mask, o.3 & mask)))
    }

    @inlinable @inline(__always)
    init(_ w: (UInt64, UInt64, UInt64, UInt64)) { self.init(words: w.0, w.1, w.2, w.3) }

    @inlinable @inline(__always)
    static func addWordsFixed(_ a: (UInt64, UInt64, UInt64, UInt64), _ b: (UInt64, UInt64, UInt64, UInt64))
        -> (UInt64, UInt64, UInt64, UInt64) { addWords(a, b) }

    @inlinable
    public static prefix func - (a: Scalar) -> Scalar { Scalar.zero - a }

    public static func * (a: Scalar, b: Scalar) -> Scalar {
        Scalar52.mul(Scalar52(a), Scalar52(b)).toScalar()
    }

    public static func += (a: inout Scalar, b: Scalar) { a = a + b }
    public static func -= (a: inout Scalar, b: Scalar) { a = a - b }
    public static func *= (a: inout Scalar, b: Scalar) { a = a * b }

    /// Multiplicative inverse a^(ℓ−2) (Fermat). The inverse of zero is defined as zero: callers that
    /// must not divide by zero (e.g. Fiat–Shamir challenges) check `isZero` themselves.
    /// Constant time: the exponent ℓ − 2 is public, so the fixed 4-bit window schedule leaks nothing.
    public func inverse() -> Scalar {
        let x = Scalar52(self).toMontgomery()
        // table[i] = x^i in Montgomery form, i in 0..<16.
        var table = [Scalar52](repeating: Scalar52.montgomeryOne, count: 16)
        for i in 1..<16 { table[i] = Scalar52.montgomeryMul(table[i - 1], x) }
        // ℓ − 2, little-endian words.
        let e: [UInt64] = [0x5812631a5cf5d3eb, 0x14def9dea2f79cd6, 0, 0x1000000000000000]
        var acc = Scalar52.montgomeryOne
        var nib = 63
        while nib >= 0 {
            for _ in 0..<4 { acc = Scalar52.montgomeryMul(acc, acc) }
            let d = Int((e[nib / 16] >> (UInt64(nib % 16) * 4)) & 15)
            acc = Scalar52.montgomeryMul(acc, table[d])
            nib -= 1
        }
        return acc.fromMontgomery().toScalar()
    }

    /// Replaces every nonzero scalar by its inverse using one inversion and 3(n−1) multiplications
    /// (Montgomery's trick: invert the running product, then peel factors off backwards).
    /// Zeros stay zero, selected with masks so the pattern of zeros does not change the timing.
    public static func batchInvert(_ xs: inout [Scalar]) {
        let n = xs.count
        if n == 0 { return }
        var prefix = [Scalar52](repeating: Scalar52.montgomeryOne, count: n)
        var acc = Scalar52.montgomeryOne
        var zmask = [UInt64](repeating: 0, count: n)
        for i in 0..<n {
            let s = xs[i]
            let x = s.w0 | s.w1 | s.w2 | s.w3
            let z = ((x | (0 &- x)) >> 63) &- 1     // ~0 iff zero
            zmask[i] = z
            let one = Scalar.one
            let v = Scalar(words: s.w0 ^ ((s.w0 ^ one.w0) & z), s.w1 & ~z, s.w2 & ~z, s.w3 & ~z)
            let vm = Scalar52(v).toMontgomery()
            prefix[i] = acc
            acc = Scalar52.montgomeryMul(acc, vm)
        }
        // acc = Π·R (Montgomery form); invert the plain value and return to Montgomery form.
        let inv = acc.fromMontgomery().toScalar().inverse()
        var accInv = Scalar52(inv).toMontgomery()
        var i = n - 1
        while i >= 0 {
            let s = xs[i]
            let z = zmask[i]
            let one = Scalar.one
            let v = Scalar(words: s.w0 ^ ((s.w0 ^ one.w0) & z), s.w1 & ~z, s.w2 & ~z, s.w3 & ~z)
            let vm = Scalar52(v).toMontgomery()
            let r = Scalar52.montgomeryMul(accInv, prefix[i]).fromMontgomery().toScalar()
            accInv = Scalar52.montgomeryMul(accInv, vm)
            xs[i] = Scalar(words: r.w0 & ~z, r.w1 & ~z, r.w2 & ~z, r.w3 & ~z)
            i -= 1
        }
    }

    // MARK: Digit expansions for scalar multiplication

    /// Signed radix-16 digits d₀…d₆₃ ∈ [−8, 8) with self = Σ dᵢ·16^i (the last digit ∈ [−8, 8]).
    /// Requires self < 2^255, true for every canonical scalar. Branch-free.
    @inlinable
    public func radix16Digits() -> [Int8] { constantTimeSignedDigits(width: 4, count: 64) }

    /// Signed radix-32 digits d₀…d₅₁ ∈ [−16, 16) with self = Σ dᵢ·32^i (the last digit is the
    /// final carry, 0 or 1 for a canonical scalar). Branch-free.
    @inlinable
    public func radix32Digits() -> [Int8] { constantTimeSignedDigits(width: 5, count: 52) }

    /// Signed radix-2^w digits for the constant-time multiplications: the w-bit chunks of the
    /// value, then a carry pass that moves each chunk into [−2^(w−1), 2^(w−1)) by borrowing from
    /// the next one (the last digit keeps the carry). Computed with shifts and adds only; the
    /// one branch depends on the digit position, never on the scalar, so secrets may use it.
    /// (`radix2wDigits` is the variable-time, allocation-free counterpart for public scalars.)
    @inlinable
    func constantTimeSignedDigits(width w: Int, count: Int) -> [Int8] {
        var out = [Int8](repeating: 0, count: count)
        let mask = (UInt64(1) << UInt64(w)) - 1
        let half = Int8(1 << (w - 1))
        for i in 0..<count {
            let off = w * i, idx = off / 64, bit = UInt64(off % 64)
            var v = word(idx) >> bit
            if bit > 64 - UInt64(w) { v |= word(idx + 1) << (64 - bit) }
            out[i] = Int8(truncatingIfNeeded: v & mask)
        }
        for i in 0..<(count - 1) {
            let carry = (out[i] &+ half) &>> Int8(w)
            out[i] = out[i] &- (carry &<< Int8(w))
            out[i + 1] = out[i + 1] &+ carry
        }
        return out
    }

    /// Width-w non-adjacent form: digits are zero or odd in (−2^(w−1), 2^(w−1)), and any w
    /// consecutive digits hold at most one nonzero. Variable time (public scalars only).
    public func nonAdjacentForm(width w: Int) -> [Int8] {
        var naf = [Int8](repeating: 0, count: 256)
        let x: [UInt64] = [w0, w1, w2, w3, 0]
        let width: UInt64 = 1 << UInt64(w)
        let windowMask = width - 1
        var pos = 0
        var carry: UInt64 = 0
        while pos < 256 {
            let idx = pos / 64, bit = UInt64(pos % 64)
            let bitBuf: UInt64
            if bit < 64 - UInt64(w) {
                bitBuf = x[idx] >> bit
            } else {
                bitBuf = (x[idx] >> bit) | (x[idx + 1] << (64 - bit))
            }
            let window = carry + (bitBuf & windowMask)
            if window & 1 == 0 { pos += 1; continue }
            if window < width / 2 {
                carry = 0
                naf[pos] = Int8(window)
            } else {
                carry = 1
                naf[pos] = Int8(Int64(window) - Int64(width))
            }
            pos += w
        }
        return naf
    }

    /// Signed radix-2^w digits (w in 4...16), each in [−2^(w−1), 2^(w−1)), with self = Σ dᵢ·2^(w·i);
    /// the count is ⌈256/w⌉ (+1 when w divides 256 exactly). Used by Pippenger (public data).
    public func radix2wDigits(_ w: Int) -> [Int32] {
        var digits = [Int32](repeating: 0, count: Scalar.radix2wDigitCount(w))
        digits.withUnsafeMutableBufferPointer { writeRadix2wDigits(w, into: $0.baseAddress!) }
        return digits
    }

    /// 64-bit word i of the value, little-endian; 0 for i ≥ 4 (digit writers read one word past
    /// the top without a bounds check).
    @inlinable @inline(__always)
    func word(_ i: Int) -> UInt64 {
        switch i { case 0: return w0; case 1: return w1; case 2: return w2; case 3: return w3; default: return 0 }
    }

    /// Number of signed radix-2^w digits `radix2wDigits(w)` produces: enough for 256 bits plus
    /// the final carry.
    @inlinable
    public static func radix2wDigitCount(_ w: Int) -> Int { (256 + w - 1) / w + (256 % w == 0 ? 1 : 0) }

    /// Writes the `radix2wDigitCount(w)` digits of `radix2wDigits(w)` to `out` without allocating
    /// (the multiscalar multiplications call this once per term).
    @usableFromInline
    func writeRadix2wDigits(_ w: Int, into digits: UnsafeMutablePointer<Int32>) {
        let count = Scalar.radix2wDigitCount(w)
        let radix: Int64 = 1 << Int64(w)
        let mask = UInt64(radix - 1)
        var carry: Int64 = 0
        for i in 0..<count {
            let off = i * w
            // Only the extra last digit (when w divides 256) starts at bit 256: it is the carry.
            if off >= 256 { digits[i] = Int32(carry); carry = 0; break }
            let idx = off / 64, bit = UInt64(off % 64)
            var buf = word(idx) >> bit
            if bit > 64 - UInt64(w) { buf |= word(idx + 1) << (64 - bit) }
            let coef = carry + Int64(buf & mask)
            carry = (coef + radix / 2) >> Int64(w)
            digits[i] = Int32(coef - (carry << Int64(w)))
        }
        // A canonical scalar is < 2^253 so the top digit never overflows; fold any carry anyway.
        if carry != 0 { digits[count - 1] += Int32(carry << Int64(w)) }
    }
}

/// A scalar prepared as a repeated factor: it holds s·R mod ℓ (Montgomery form, R = 2^260), so
/// each product s·x is *one* Montgomery multiplication, (s·R)·x / R = s·x, where `Scalar * Scalar`
/// needs two (a·b/R, then ·R²/R). Verifiers multiply thousands of per-generator scalars by the
/// same challenge-derived factors (w·a, b, y⁻¹, u_r²), which is where this halves the cost.
/// Multipliers also compose without leaving Montgomery form: (a·R)·(b·R)/R = (a·b)·R.
/// Constant time, like every scalar operation.
@frozen
public struct ScalarMultiplier: Sendable {
    @usableFromInline let montgomery: Scalar52

    @inlinable
    init(montgomery: Scalar52) { self.montgomery = montgomery }

    public init(_ s: Scalar) { montgomery = Scalar52(s).toMontgomery() }

    /// The scalar this multiplier multiplies by.
    public var value: Scalar { montgomery.fromMontgomery().toScalar() }

    /// s·x mod ℓ.
    @inlinable
    public func callAsFunction(_ x: Scalar) -> Scalar {
        Scalar52.montgomeryMul(montgomery, Scalar52(x)).toScalar()
    }

    /// The multiplier for s·t.
    @inlinable
    public func times(_ other: ScalarMultiplier) -> ScalarMultiplier {
        ScalarMultiplier(montgomery: Scalar52.montgomeryMul(montgomery, other.montgomery))
    }
}

/// A scalar as five 52-bit limbs (value = Σ lᵢ·2^(52·i)), the working form for Montgomery
/// multiplication with R = 2^260. Internal.
@frozen @usableFromInline
struct Scalar52: Sendable {
    @usableFromInline var l0: UInt64, l1: UInt64, l2: UInt64, l3: UInt64, l4: UInt64

    @inlinable @inline(__always)
    init(_ l0: UInt64, _ l1: UInt64, _ l2: UInt64, _ l3: UInt64, _ l4: UInt64) {
        self.l0 = l0; self.l1 = l1; self.l2 = l2; self.l3 = l3; self.l4 = l4
    }

    @inlinable @inline(__always)
    init(_ s: Scalar) {
        let m: UInt64 = (1 << 52) - 1
        self.init(s.w0 & m, ((s.w0 >> 52) | (s.w1 << 12)) & m, ((s.w1 >> 40) | (s.w2 << 24)) & m,
                  ((s.w2 >> 28) | (s.w3 << 36)) & m, s.w3 >> 16)
    }

    @inlinable @inline(__always)
    func toScalar() -> Scalar {
        Scalar(words: l0 | (l1 << 52), (l1 >> 12) | (l2 << 40), (l2 >> 24) | (l3 << 28), (l3 >> 36) | (l4 << 16))
    }

    @inlinable static var L: Scalar52 { Scalar52(0x2631a5cf5d3ed, 0xdea2f79cd6581, 0x14def9, 0, 0x100000000000) }
    /// R = 2^260 mod ℓ.
    @inlinable static var R: Scalar52 { Scalar52(0xf48bd6721e6ed, 0x3bab5ac67e45a, 0xfffffeb35e51b, 0xfffffffffffff, 0xfffffffffff) }
    /// R² mod ℓ.
    @inlinable static var RR: Scalar52 { Scalar52(0x9d265e952d13b, 0xd63c715bea69f, 0x5be65cb687604, 0x3dceec73d217f, 0x9411b7c309a) }
    /// −ℓ⁻¹ mod 2^52.
    @inlinable static var lFactor: UInt64 { 0x51da312547e1b }
    @inlinable static var montgomeryOne: Scalar52 { R }

    @inlinable @inline(__always)
    func toMontgomery() -> Scalar52 { Scalar52.montgomeryMul(self, Scalar52.RR) }
    @inlinable @inline(__always)
    func fromMontgomery() -> Scalar52 {
        Scalar52.montgomeryReduce(UInt128(l0), UInt128(l1), UInt128(l2), UInt128(l3), UInt128(l4), 0, 0, 0, 0)
    }

    /// a − b mod ℓ for a, b < ℓ (or a < 2ℓ with b = ℓ): subtract with borrow, add ℓ back under a mask.
    @inlinable
    static func sub(_ a: Scalar52, _ b: Scalar52) -> Scalar52 {
        let m: UInt64 = (1 << 52) - 1
        var d0 = a.l0 &- b.l0
        var d1 = a.l1 &- b.l1 &- (d0 >> 63)
        var d2 = a.l2 &- b.l2 &- (d1 >> 63)
        var d3 = a.l3 &- b.l3 &- (d2 >> 63)
        var d4 = a.l4 &- b.l4 &- (d3 >> 63)
        let under = 0 &- (d4 >> 63)
        d0 &= m; d1 &= m; d2 &= m; d3 &= m; d4 &= m
        let l = L
        var c: UInt64 = 0
        c = d0 &+ (l.l0 & under); d0 = c & m
        c = d1 &+ (l.l1 & under) &+ (c >> 52); d1 = c & m
        c = d2 &+ (l.l2 & under) &+ (c >> 52); d2 = c & m
        c = d3 &+ (l.l3 & under) &+ (c >> 52); d3 = c & m
        c = d4 &+ (l.l4 & under) &+ (c >> 52); d4 = c & m
        return Scalar52(d0, d1, d2, d3, d4)
    }

    @inlinable
    static func add(_ a: Scalar52, _ b: Scalar52) -> Scalar52 {
        let m: UInt64 = (1 << 52) - 1
        var c = a.l0 &+ b.l0; let s0 = c & m
        c = a.l1 &+ b.l1 &+ (c >> 52); let s1 = c & m
        c = a.l2 &+ b.l2 &+ (c >> 52); let s2 = c & m
        c = a.l3 &+ b.l3 &+ (c >> 52); let s3 = c & m
        c = a.l4 &+ b.l4 &+ (c >> 52); let s4 = c & m
        return sub(Scalar52(s0, s1, s2, s3, s4), L)
    }

    @inlinable @inline(__always)
    static func m(_ a: UInt64, _ b: UInt64) -> UInt128 { UInt128(a) &* UInt128(b) }

    /// Montgomery reduction of a 9-limb product: returns z/R mod ℓ, for z < ℓ·2^260.
    /// Each step adds the multiple nᵢ·ℓ that clears the low 52 bits (nᵢ = zᵢ·(−ℓ⁻¹) mod 2^52).
    @inlinable
    static func montgomeryReduce(_ z0: UInt128, _ z1: UInt128, _ z2: UInt128, _ z3: UInt128, _ z4: UInt128,
                                 _ z5: UInt128, _ z6: UInt128, _ z7: UInt128, _ z8: UInt128) -> Scalar52 {
        let mask: UInt64 = (1 << 52) - 1
        let l = L
        @inline(__always) func part1(_ sum: UInt128) -> (UInt128, UInt64) {
            let p = (UInt64(truncatingIfNeeded: sum) &* lFactor) & mask
            return ((sum &+ m(p, l.l0)) >> 52, p)
        }
        @inline(__always) func part2(_ sum: UInt128) -> (UInt128, UInt64) {
            (sum >> 52, UInt64(truncatingIfNeeded: sum) & mask)
        }
        var (carry, n0) = part1(z0)
        let n1: UInt64, n2: UInt64, n3: UInt64, n4: UInt64
        (carry, n1) = part1(carry &+ z1 &+ m(n0, l.l1))
        (carry, n2) = part1(carry &+ z2 &+ m(n0, l.l2) &+ m(n1, l.l1))
        (carry, n3) = part1(carry &+ z3 &+ m(n1, l.l2) &+ m(n2, l.l1))
        (carry, n4) = part1(carry &+ z4 &+ m(n0, l.l4) &+ m(n2, l.l2) &+ m(n3, l.l1))
        let r0: UInt64, r1: UInt64, r2: UInt64, r3: UInt64
        (carry, r0) = part2(carry &+ z5 &+ m(n1, l.l4) &+ m(n3, l.l2) &+ m(n4, l.l1))
        (carry, r1) = part2(carry &+ z6 &+ m(n2, l.l4) &+ m(n4, l.l2))
        (carry, r2) = part2(carry &+ z7 &+ m(n3, l.l4))
        (carry, r3) = part2(carry &+ z8 &+ m(n4, l.l4))
        let r4 = UInt64(truncatingIfNeeded: carry)
        return sub(Scalar52(r0, r1, r2, r3, r4), l)
    }

    @inlinable
    static func montgomeryMul(_ a: Scalar52, _ b: Scalar52) -> Scalar52 {
        let z0 = m(a.l0, b.l0)
        let z1 = m(a.l0, b.l1) &+ m(a.l1, b.l0)
        let z2 = m(a.l0, b.l2) &+ m(a.l1, b.l1) &+ m(a.l2, b.l0)
        let z3 = m(a.l0, b.l3) &+ m(a.l1, b.l2) &+ m(a.l2, b.l1) &+ m(a.l3, b.l0)
        let z4 = m(a.l0, b.l4) &+ m(a.l1, b.l3) &+ m(a.l2, b.l2) &+ m(a.l3, b.l1) &+ m(a.l4, b.l0)
        let z5 = m(a.l1, b.l4) &+ m(a.l2, b.l3) &+ m(a.l3, b.l2) &+ m(a.l4, b.l1)
        let z6 = m(a.l2, b.l4) &+ m(a.l3, b.l3) &+ m(a.l4, b.l2)
        let z7 = m(a.l3, b.l4) &+ m(a.l4, b.l3)
        let z8 = m(a.l4, b.l4)
        return montgomeryReduce(z0, z1, z2, z3, z4, z5, z6, z7, z8)
    }

    /// a·b mod ℓ: (a·b/R)·R²/R.
    @inlinable
    static func mul(_ a: Scalar52, _ b: Scalar52) -> Scalar52 {
        montgomeryMul(montgomeryMul(a, b), RR)
    }
}
