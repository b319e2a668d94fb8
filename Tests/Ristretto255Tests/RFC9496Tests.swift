import Foundation
import XCTest
@testable import Ristretto255

/// Known-answer tests from RFC 9496 Appendix A (Vectors/rfc9496-ristretto255.json).
final class RFC9496Tests: XCTestCase {
    func loadVectors() throws -> [String: Any] {
        let data = try Data(contentsOf: vectorsURL("rfc9496-ristretto255.json"))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func testMultiplesOfGenerator() throws {
        let v = try loadVectors()
        let mults = try XCTUnwrap(v["multiplesOfGenerator"] as? [[String: Any]])
        XCTAssertEqual(mults.count, 16)
        var acc = RistrettoPoint.identity
        for entry in mults {
            let k = try XCTUnwrap(entry["k"] as? Int)
            let enc = unhex(try XCTUnwrap(entry["encoding"] as? String))
            // Repeated addition, the three scalar multiplications, the fixed-base table and MSM.
            XCTAssertEqual(hex(acc.compressed()), hex(enc), "sum of \(k) generators")
            let s = Scalar(UInt64(k))
            XCTAssertEqual(hex((s * RistrettoPoint.generator).compressed()), hex(enc), "ct mul k=\(k)")
            XCTAssertEqual(hex(RistrettoPoint.generator.mulVartime(s).compressed()), hex(enc), "vartime k=\(k)")
            XCTAssertEqual(hex(FixedBaseTable.generatorTable.mul(s).compressed()), hex(enc), "fixed k=\(k)")
            XCTAssertEqual(hex(RistrettoPoint.multiscalarMulVartime([s], [.generator]).compressed()), hex(enc))
            // Decoding round-trips and agrees with the computed element.
            let p = try RistrettoPoint(compressed: enc)
            XCTAssertEqual(p, acc)
            XCTAssertEqual(p.compressed(), enc)
            XCTAssertEqual(p.isIdentity, k == 0)
            acc = acc + .generator
        }
        // Doubling matches addition.
        XCTAssertEqual(RistrettoPoint.generator.doubled().compressed(), unhex(try XCTUnwrap(mults[2]["encoding"] as? String)))
    }

    func testInvalidEncodings() throws {
        let v = try loadVectors()
        let bad = try XCTUnwrap(v["invalidEncodings"] as? [[String: Any]])
        XCTAssertEqual(bad.count, 29)
        for entry in bad {
            let enc = unhex(try XCTUnwrap(entry["encoding"] as? String))
            let reason = try XCTUnwrap(entry["reason"] as? String)
            XCTAssertThrowsError(try RistrettoPoint(compressed: enc), "\(reason): \(hex(enc))") { err in
                guard case Ristretto255Error.invalidPointEncoding = err else {
                    return XCTFail("wrong error \(err)")
                }
            }
        }
        XCTAssertThrowsError(try RistrettoPoint(compressed: [UInt8](repeating: 0, count: 31))) { err in
            XCTAssertEqual(err as? Ristretto255Error, .wrongLength(expected: 32, got: 31))
        }
    }

    func testFromUniformBytes() throws {
        let v = try loadVectors()
        let maps = try XCTUnwrap(v["fromUniformBytes"] as? [[String: Any]])
        XCTAssertEqual(maps.count, 11)
        for entry in maps {
            let input = unhex(try XCTUnwrap(entry["input"] as? String))
            let output = try XCTUnwrap(entry["output"] as? String)
            XCTAssertEqual(hex(RistrettoPoint.fromUniformBytes(input).compressed()), output)
        }
    }
}
