import XCTest
@testable import RiskEngine

/// FixedPoint.round and FixedPoint.parseDecimal against hand-worked cases (SPEC.md §4).
final class FixedPointTests: XCTestCase {

    func r(_ x: Double, _ d: Int) throws -> Int64 { try FixedPoint.round(x, digits: d) }

    func testRoundHalfToEvenBothSigns() throws {
        // Exact ties (x·10^d is exactly k + 1/2): ties go to the even neighbour.
        XCTAssertEqual(try r(0.5, 0), 0)
        XCTAssertEqual(try r(1.5, 0), 2)
        XCTAssertEqual(try r(2.5, 0), 2)
        XCTAssertEqual(try r(3.5, 0), 4)
        XCTAssertEqual(try r(-0.5, 0), 0)
        XCTAssertEqual(try r(-1.5, 0), -2)
        XCTAssertEqual(try r(-2.5, 0), -2)
        XCTAssertEqual(try r(-3.5, 0), -4)
        XCTAssertEqual(try r(0.125, 2), 12)      // 12.5 exactly
        XCTAssertEqual(try r(0.375, 2), 38)      // 37.5 exactly
        XCTAssertEqual(try r(-0.125, 2), -12)
        XCTAssertEqual(try r(-0.375, 2), -38)
        // Not ties: ordinary nearest.
        XCTAssertEqual(try r(0.5000000000000001, 0), 1)
        XCTAssertEqual(try r(-0.4999999999999999, 0), 0)
        XCTAssertEqual(try r(123.456, 2), 12346)
        // The rule rounds the binary product, not the decimal text (products checked with Python's
        // IEEE doubles): 0.285 × 100 → 28.499999999999996 → 28; 1.005 × 100 → 100.49999999999999
        // → 100; 2.675 × 100 → exactly 267.5, a tie → 268; 1.115 × 100 → 111.5 → 112 (even);
        // 4.35 × 100 → 434.99999999999994 → 435.
        XCTAssertEqual(try r(0.285, 2), 28)
        XCTAssertEqual(try r(1.005, 2), 100)
        XCTAssertEqual(try r(2.675, 2), 268)
        XCTAssertEqual(try r(-2.675, 2), -268)
        XCTAssertEqual(try r(1.115, 2), 112)
        XCTAssertEqual(try r(4.35, 2), 435)
        // 0.1 × 10^8 is exactly 10000000 after the one rounding.
        XCTAssertEqual(try r(0.1, 8), 10_000_000)
        XCTAssertEqual(try r(-0.0, 6), 0)
        XCTAssertEqual(try r(1e-9, 8), 0)        // 0.1 → 0
        XCTAssertEqual(try r(-6e-9, 8), -1)      // −0.6 → −1
    }

    func testRoundRangeAndErrors() throws {
        XCTAssertEqual(try r(0x1p53, 0), 9_007_199_254_740_992)
        XCTAssertEqual(try r(-0x1p53, 0), -9_007_199_254_740_992)
        XCTAssertThrowsError(try r(0x1p53 + 2, 0)) { XCTAssertEqual($0 as? FixedPointError, .outOfRange(value: 0x1p53 + 2, digits: 0)) }
        XCTAssertThrowsError(try r(1e10, 8)) { XCTAssertEqual($0 as? FixedPointError, .outOfRange(value: 1e10, digits: 8)) }
        XCTAssertThrowsError(try r(.nan, 2)) { guard case .notFinite = $0 as? FixedPointError else { return XCTFail("\($0)") } }
        XCTAssertThrowsError(try r(.infinity, 2)) { XCTAssertEqual($0 as? FixedPointError, .notFinite(.infinity)) }
        XCTAssertThrowsError(try r(1e300, 18)) { XCTAssertEqual($0 as? FixedPointError, .notFinite(.infinity)) }
        XCTAssertThrowsError(try r(1, -1)) { XCTAssertEqual($0 as? FixedPointError, .invalidDigits(-1)) }
        XCTAssertThrowsError(try r(1, 19)) { XCTAssertEqual($0 as? FixedPointError, .invalidDigits(19)) }
    }

    func p(_ s: String, _ d: Int) throws -> Int64 { try FixedPoint.parseDecimal(s, digits: d) }

    func testParseDecimal() throws {
        XCTAssertEqual(try p("-12.3400", 4), -123_400)
        XCTAssertEqual(try p("-12.3400", 2), -1234)
        XCTAssertEqual(try p("12.34", 8), 1_234_000_000)
        XCTAssertEqual(try p("0", 8), 0)
        XCTAssertEqual(try p("-0", 8), 0)
        XCTAssertEqual(try p("0.00000000000000000000", 0), 0)
        XCTAssertEqual(try p("1e-3", 3), 1)
        XCTAssertEqual(try p("1E+2", 0), 100)
        XCTAssertEqual(try p("2.5e1", 0), 25)
        XCTAssertEqual(try p("1.50", 1), 15)
        XCTAssertEqual(try p("0.00000001", 8), 1)
        XCTAssertEqual(try p("9223372036854775807", 0), Int64.max)
        XCTAssertEqual(try p("-9223372036854775808", 0), Int64.min)
        XCTAssertEqual(try p("92233720368.54775807", 8), Int64.max)
        XCTAssertEqual(try p("123000e-3", 0), 123)
    }

    func testParseDecimalErrors() {
        func fails(_ s: String, _ d: Int, _ check: (FixedPointError) -> Bool, line: UInt = #line) {
            do {
                let v = try FixedPoint.parseDecimal(s, digits: d)
                XCTFail("\"\(s)\" parsed as \(v)", line: line)
            } catch {
                XCTAssertTrue(check(error), "\"\(s)\": \(error)", line: line)
                XCTAssertFalse(error.description.isEmpty)
            }
        }
        func malformed(_ e: FixedPointError) -> Bool { if case .malformedDecimal = e { return true }; return false }
        func tooMany(_ e: FixedPointError) -> Bool { if case .tooManyFractionalDigits = e { return true }; return false }
        func range(_ e: FixedPointError) -> Bool { if case .decimalOutOfRange = e { return true }; return false }
        for bad in ["", "-", "+1", "01", "-01", ".5", "5.", "1e", "1e+", " 1", "1 ", "1,5", "0x10", "NaN", "Infinity", "1..2", "--1", "1.2.3", "١"] {
            fails(bad, 2, malformed)
        }
        fails("1e99999999999999999999", 0, malformed)
        fails("1e1000000", 0, malformed)
        fails("1e999999", 0, range)
        XCTAssertEqual(try p("0e999999", 0), 0)
        XCTAssertThrowsError(try p("1e-999999", 8))
        fails("1.5", 0, tooMany)
        fails("-12.345", 2, tooMany)
        fails("1e-9", 8, tooMany)
        fails("0.000000001", 8, tooMany)
        fails("9223372036854775808", 0, range)
        fails("-9223372036854775809", 0, range)
        fails("92233720368.54775808", 8, range)
        fails("1e19", 0, range)
        fails("1e40", 0, range)
        fails("1", 19) { $0 == .invalidDigits(19) }
    }
}
