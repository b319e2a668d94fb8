import XCTest
@testable import Ristretto255

/// Field multiplication and squaring at the edge of their documented input range (limbs up to
/// 2^54, what lazy additions may produce), against an independent reference: plain 256-bit
/// arithmetic with UInt128 words and reduction by 2^256 ≡ 38, sharing no code with the radix-2^51
/// implementation. The reduction's carry handling relies on exact word bounds (see
/// `FieldElement.carryWide`), which random reduced inputs never come near.
final class FieldLimbBoundTests: XCTestCase {
    /// p = 2^255 − 19 as four little-endian 64-bit words.
    static let p: [UInt64] = [0xffff_ffff_ffff_ffed, 0xffff_ffff_ffff_ffff, 0xffff_ffff_ffff_ffff, 0x7fff_ffff_ffff_ffff]

    /// The integer value of five radix-2^51 limbs (each < 2^64), reduced mod p, as four words.
    static func value(_ l: [UInt64]) -> [UInt64] {
        // Σ lᵢ·2^(51 i) < 2^(204 + 64) fits in five words; accumulate bit-exactly.
        var acc = [UInt64](repeating: 0, count: 6)
        for (i, limb) in l.enumerated() {
            let shift = 51 * i, w = shift / 64, b = shift % 64
            let lo = limb << UInt64(b), hi = b == 0 ? 0 : limb >> UInt64(64 - b)
            var carry: UInt64 = 0
            (acc[w], carry) = add(acc[w], lo, 0)
            (acc[w + 1], carry) = add(acc[w + 1], hi, carry)
            var k = w + 2
            while carry != 0 { (acc[k], carry) = add(acc[k], 0, carry); k += 1 }
        }
        return reduce(acc)
    }

    static func add(_ a: UInt64, _ b: UInt64, _ c: UInt64) -> (UInt64, UInt64) {
        let (s1, o1) = a.addingReportingOverflow(b)
        let (s2, o2) = s1.addingReportingOverflow(c)
        return (s2, (o1 ? 1 : 0) + (o2 ? 1 : 0))
    }

    /// x mod p for x given as any number of little-endian words: fold 2^256 ≡ 38 until four
    /// words remain, then subtract p while x ≥ p.
    static func reduce(_ x: [UInt64]) -> [UInt64] {
        var x = x
        while x.count > 4 {
            if x[4...].allSatisfy({ $0 == 0 }) { x = Array(x[0..<4]); break }
            let high = Array(x[4...])
            var out = [UInt64](repeating: 0, count: max(4, high.count + 1) + 1)
            for i in 0..<4 { out[i] = x[i] }
            var carry: UInt128 = 0
            for i in 0..<high.count {
                let t = UInt128(out[i]) + UInt128(high[i]) * 38 + carry
                out[i] = UInt64(truncatingIfNeeded: t)
                carry = t >> 64
            }
            var k = high.count
            while carry != 0 {
                let t = UInt128(out[k]) + carry
                out[k] = UInt64(truncatingIfNeeded: t)
                carry = t >> 64
                k += 1
            }
            x = out
        }
        while !less(x, p) { x = sub(x, p) }
        return x
    }

    static func less(_ a: [UInt64], _ b: [UInt64]) -> Bool {
        for i in stride(from: 3, through: 0, by: -1) where a[i] != b[i] { return a[i] < b[i] }
        return false
    }

    static func sub(_ a: [UInt64], _ b: [UInt64]) -> [UInt64] {
        var out = a, borrow: UInt64 = 0
        for i in 0..<4 {
            let (d1, o1) = a[i].subtractingReportingOverflow(b[i])
            let (d2, o2) = d1.subtractingReportingOverflow(borrow)
            out[i] = d2
            borrow = (o1 ? 1 : 0) + (o2 ? 1 : 0)
        }
        return out
    }

    static func mulMod(_ a: [UInt64], _ b: [UInt64]) -> [UInt64] {
        var prod = [UInt64](repeating: 0, count: 9)
        for i in 0..<4 {
            var carry: UInt128 = 0
            for j in 0..<4 {
                let t = UInt128(prod[i + j]) + UInt128(a[i]) * UInt128(b[j]) + carry
                prod[i + j] = UInt64(truncatingIfNeeded: t)
                carry = t >> 64
            }
            prod[i + 4] = UInt64(truncatingIfNeeded: carry)
        }
        return reduce(prod)
    }

    static func words(_ f: FieldElement) -> [UInt64] {
        let (a0, a1, a2, a3, a4) = f.canonicalLimbs()
        return value([a0, a1, a2, a3, a4])
    }

    func testMultiplyAndSquareAtTheLimbBound() {
        let top: UInt64 = (1 << 54) - 1
        var rng = TestRNG(seed: 54)
        var cases: [[UInt64]] = [[top, top, top, top, top], [top, 0, top, 0, top], [0, 0, 0, 0, top], [top, 0, 0, 0, 0]]
        for _ in 0..<4000 {
            // Limbs spread over the whole allowed range, biased towards the top.
            cases.append((0..<5).map { _ in rng.next() % 4 == 0 ? top - rng.next() % 1024 : rng.next() & top })
        }
        for (n, a) in cases.enumerated() {
            let b = cases[(n * 7 + 3) % cases.count]
            let fa = FieldElement(a[0], a[1], a[2], a[3], a[4]), fb = FieldElement(b[0], b[1], b[2], b[3], b[4])
            let ra = Self.value(a), rb = Self.value(b)
            XCTAssertEqual(Self.words(fa * fb), Self.mulMod(ra, rb), "product \(a) × \(b)")
            XCTAssertEqual(Self.words(fa.square()), Self.mulMod(ra, ra), "square \(a)")
            // The outputs must be valid inputs again: limbs below 2^51 + 2^18, so that a sum of
            // four of them still stays within the multiplication's 2^54 input bound.
            let r = fa * fb, s = fa.square()
            for limb in [r.l0, r.l1, r.l2, r.l3, r.l4, s.l0, s.l1, s.l2, s.l3, s.l4] {
                XCTAssertLessThan(limb, (1 << 51) + (1 << 18))
            }
        }
    }

    /// The reference itself, on values it must get right: (p − 1)² ≡ 1 and 2^255 ≡ 19.
    func testReferenceSanity() {
        let pm1 = Self.sub(Self.p, [1, 0, 0, 0])
        XCTAssertEqual(Self.mulMod(pm1, pm1), [1, 0, 0, 0])
        XCTAssertEqual(Self.value([0, 0, 0, 0, 0]), [0, 0, 0, 0])
        XCTAssertEqual(Self.value([0, 0, 0, 0, 1 << 51]), [19, 0, 0, 0])
    }
}
