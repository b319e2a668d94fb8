import XCTest
@testable import Ristretto255

final class ScalarTests: XCTestCase {
    /// ℓ in little-endian bytes (RFC 9496 §4 / RFC 8032): 2^252 + 27742317777372353535851937790883648493.
    let orderBytes = unhex("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")

    func testCanonicalDecoding() throws {
        XCTAssertThrowsError(try Scalar(canonicalBytes: orderBytes)) { XCTAssertEqual($0 as? Ristretto255Error, .nonCanonicalScalar) }
        var lMinus1 = orderBytes; lMinus1[0] -= 1
        let s = try Scalar(canonicalBytes: lMinus1)
        XCTAssertEqual(s + .one, .zero)
        XCTAssertEqual(-Scalar.one, s)
        XCTAssertThrowsError(try Scalar(canonicalBytes: [UInt8](repeating: 0xff, count: 32)))
        XCTAssertThrowsError(try Scalar(canonicalBytes: [UInt8](repeating: 0, count: 33))) {
            XCTAssertEqual($0 as? Ristretto255Error, .wrongLength(expected: 32, got: 33))
        }
        XCTAssertEqual(Scalar(reducing32: orderBytes), .zero)
        XCTAssertEqual(Scalar(7).bytes, [7] + [UInt8](repeating: 0, count: 31))
        XCTAssertTrue(Scalar.zero.isZero)
        XCTAssertFalse(Scalar.one.isZero)
    }

    func testInverseAndBatchInverse() {
        var rng = TestRNG(seed: 42)
        XCTAssertEqual(Scalar.zero.inverse(), .zero)
        XCTAssertEqual(Scalar.one.inverse(), .one)
        var xs: [Scalar] = []
        for i in 0..<50 { xs.append(i % 7 == 3 ? .zero : rng.scalar()) }
        let orig = xs
        Scalar.batchInvert(&xs)
        for i in 0..<xs.count {
            if orig[i].isZero { XCTAssertEqual(xs[i], .zero) } else {
                XCTAssertEqual(xs[i] * orig[i], .one)
                XCTAssertEqual(xs[i], orig[i].inverse())
            }
        }
        var empty: [Scalar] = []
        Scalar.batchInvert(&empty)
        XCTAssertTrue(empty.isEmpty)
    }

    func testDigitExpansions() {
        var rng = TestRNG(seed: 7)
        for _ in 0..<200 {
            let s = rng.scalar()
            // Recombine digits with scalar arithmetic (an independent path: Montgomery mul/add).
            let r16 = s.radix16Digits()
            var acc = Scalar.zero
            for d in r16.reversed() {
                acc = acc * Scalar(16) + (d >= 0 ? Scalar(UInt64(d)) : -Scalar(UInt64(-Int(d))))
                XCTAssertTrue(d >= -8 && d <= 8)
            }
            XCTAssertEqual(acc, s)
            for w in [5, 6] {
                let naf = s.nonAdjacentForm(width: w)
                var a = Scalar.zero
                for d in naf.reversed() { a = a * Scalar(2) + (d >= 0 ? Scalar(UInt64(d)) : -Scalar(UInt64(-Int(d)))) }
                XCTAssertEqual(a, s)
            }
            for w in [5, 6, 7, 8, 10, 11, 12, 13, 16] {
                let ds = s.radix2wDigits(w)
                var a = Scalar.zero
                let radix = Scalar(UInt64(1) << UInt64(w))
                for d in ds.reversed() {
                    a = a * radix + (d >= 0 ? Scalar(UInt64(d)) : -Scalar(UInt64(-Int(d))))
                    XCTAssertTrue(d >= -(1 << (w - 1)) && d <= (1 << (w - 1)), "w=\(w) d=\(d)")
                }
                XCTAssertEqual(a, s, "w=\(w)")
            }
        }
    }
}
