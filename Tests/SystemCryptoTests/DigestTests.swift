import XCTest
@testable import SystemCrypto

/// Known-answer tests from NIST examples (Vectors/hash-nist.json).
final class DigestTests: XCTestCase {
    func testNISTKnownAnswers() throws {
        let file = try TestSupport.vectors("hash-nist.json")
        let vectors = try XCTUnwrap(file["vectors"] as? [[String: Any]])
        XCTAssertGreaterThanOrEqual(vectors.count, 19)
        for v in vectors {
            let name = v["name"] as? String ?? "?"
            let message: [UInt8]
            if let h = v["messageHex"] as? String {
                message = TestSupport.hex(h)
            } else {
                let r = try XCTUnwrap(v["messageRepeat"] as? [String: Any])
                let byte = TestSupport.hex(try XCTUnwrap(r["byteHex"] as? String))[0]
                message = [UInt8](repeating: byte, count: try XCTUnwrap(r["count"] as? Int))
            }
            let expected = TestSupport.hex(try XCTUnwrap(v["digest"] as? String))
            let got: [UInt8]
            switch v["algorithm"] as? String {
            case "sha256": got = Digest.sha256.hash(message)
            case "sha512": got = Digest.sha512.hash(message)
            case "sha3_512": got = Digest.sha3_512.hash(message)
            case "shake256": got = Digest.shake256.hash(message, outputLength: try XCTUnwrap(v["outputLength"] as? Int))
            default: XCTFail("unknown algorithm in \(name)"); continue
            }
            XCTAssertEqual(got, expected, name)
        }
    }

    /// Hashing parts must equal hashing their concatenation (the API frames nothing).
    func testPartsAreConcatenated() {
        XCTAssertEqual(Digest.sha256.hash([Array("ab".utf8), [], Array("c".utf8)]), Digest.sha256.hash(Array("abc".utf8)))
        XCTAssertEqual(Digest.sha256.hash(Array("abc".utf8)),
                       TestSupport.hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"))
    }

    /// The stream must equal one long SHAKE256 output however it is squeezed (prefix consistency),
    /// including across the 4096-byte re-squeeze boundary.
    func testShakeStreamPrefixConsistency() {
        let input: [[UInt8]] = [Array("riskattest".utf8), [0, 1, 2]]
        let reference = Digest.shake256.hash(input, outputLength: 10_000)
        var stream = Shake256Stream(absorbing: input)
        var got = [UInt8]()
        for size in [1, 31, 64, 4000, 1, 100, 3000, 2803] { got += stream.squeeze(size) }
        XCTAssertEqual(got.count, 10_000)
        XCTAssertEqual(got, reference)
        // Shorter outputs are prefixes of longer ones.
        XCTAssertEqual(Digest.shake256.hash(input, outputLength: 64), Array(reference.prefix(64)))
    }

    func testRandomBytes() {
        XCTAssertEqual(SecureRandom.bytes(0), [])
        let a = SecureRandom.bytes(32), b = SecureRandom.bytes(32)
        XCTAssertEqual(a.count, 32)
        XCTAssertNotEqual(a, b)
    }
}
