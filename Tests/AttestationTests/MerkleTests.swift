import XCTest
import Ristretto255
import SystemCrypto
@testable import Attestation

final class MerkleTests: XCTestCase {
    typealias F = FormatFixtures

    /// Record of the Python reference vector (hashlib; see the comment in testPythonVector).
    func sampleRecord() throws -> PositionRecord {
        try PositionRecord(kind: .instrument, memberID: "BTC-PERP", quantityUnits: 150_000_000, plus: 15_000, minus: 0,
                           blindingPlus: Scalar(1), blindingMinus: Scalar(2),
                           details: [try PositionDetail(venue: "binance", account: "main", entryPrice: "67000.5",
                                                        quantityUnits: 150_000_000)])
    }

    /// Reference values computed independently with Python's hashlib/struct from the layout in
    /// SPEC §15 (record bytes assembled by hand; salts i·32 copies of byte i; 3 leaves, so the
    /// fourth is the empty-leaf hash).
    func testPythonVector() throws {
        let r = try sampleRecord()
        XCTAssertEqual(F.hex(r.encode()),
            "00080000004254432d5045525080d1f00800000000983a00000000000000000000000000000100000000000000000000000000000000000000000000000000000000000000020000000000000000000000000000000000000000000000000000000000000001000000070000006269" +
            "6e616e6365040000006d61696e0700000036373030302e3580d1f00800000000")
        XCTAssertEqual(F.hex(BookTree.emptyLeaf), "b4e27bb7811296d86afb6c5d71393035e655121a4021e03e63c739adb09f4e26")
        XCTAssertEqual(F.hex(BookTree.leafHash(index: 0, salt: [UInt8](repeating: 0, count: 32), record: r)),
                       "14995053aba29ef9411f3633a7abbaed1cab0b2aa6a50c3f04a81f0cc2565e8f")
        let tree = try BookTree(salts: (0..<3).map { [UInt8](repeating: UInt8($0), count: 32) }, records: [r, r, r])
        XCTAssertEqual(F.hex(tree.root), "f7665c90e547d63c8bda17c6bca305c4dfdaf3ca4337a6395deb78f508c44742")
        XCTAssertEqual(try PositionRecord.decode(r.encode()), r)
    }

    /// Independent recursive definition: root of leaves[lo..<hi] over a power-of-two width.
    func referenceRoot(_ leaves: [[UInt8]]) -> [UInt8] {
        var width = 1
        while width < leaves.count { width *= 2 }
        func node(_ lo: Int, _ w: Int) -> [UInt8] {
            if w == 1 { return lo < leaves.count ? leaves[lo] : Digest.sha256.hash(Array("riskattest/empty/v1".utf8)) }
            return Digest.sha256.hash(Array("riskattest/node/v1".utf8) + node(lo, w / 2) + node(lo + w / 2, w / 2))
        }
        return node(0, width)
    }

    func testTreesOf1To17LeavesAndEveryPath() throws {
        let base = try sampleRecord()
        for n in 1...17 {
            var records: [PositionRecord] = []
            for k in 0..<n {
                let details: [PositionDetail] = k == 0 ? base.details : []
                let q = Int64(k) * 10_000
                records.append(try PositionRecord(kind: .instrument, memberID: "I\(k)", quantityUnits: q, plus: UInt64(k), minus: 0,
                                                  blindingPlus: Scalar(UInt64(k + 1)), blindingMinus: Scalar(UInt64(k + 2)),
                                                  details: details))
            }
            let salts = (0..<n).map { F.bytes(32, seed: UInt8(k: $0)) }
            let tree = try BookTree(salts: salts, records: records)
            let leaves = (0..<n).map { BookTree.leafHash(index: $0, salt: salts[$0], record: records[$0]) }
            XCTAssertEqual(tree.root, referenceRoot(leaves), "n = \(n)")
            XCTAssertEqual(tree.leafCount, n)
            for i in 0..<n {
                let path = try tree.path(for: i)
                XCTAssertEqual(path.siblings.count, BookTree.depth(leafCount: n))
                XCTAssertTrue(path.verifies(leafHash: leaves[i], root: tree.root), "n = \(n), i = \(i)")
                // Every flipped bit in a sibling breaks it.
                for s in path.siblings.indices {
                    for bit in stride(from: 0, to: 256, by: n > 8 ? 37 : 1) {
                        var sib = path.siblings
                        sib[s][bit / 8] ^= UInt8(1 << (bit % 8))
                        let bad = MerklePath(index: i, leafCount: n, siblings: sib)
                        XCTAssertFalse(bad.verifies(leafHash: leaves[i], root: tree.root))
                    }
                }
                // Wrong index (same siblings) fails unless the tree is a single leaf.
                if n > 1 {
                    let other = MerklePath(index: (i + 1) % n, leafCount: n, siblings: path.siblings)
                    XCTAssertFalse(other.verifies(leafHash: leaves[i], root: tree.root))
                }
                // A flipped salt bit or record bit changes the leaf.
                var salt = salts[i]; salt[i % 32] ^= 0x80
                XCTAssertFalse(path.verifies(leafHash: BookTree.leafHash(index: i, salt: salt, record: records[i]), root: tree.root))
                var enc = records[i].encode()
                for bit in stride(from: 0, to: enc.count * 8, by: 29) {
                    enc[bit / 8] ^= UInt8(1 << (bit % 8))
                    XCTAssertFalse(path.verifies(leafHash: BookTree.leafHash(index: i, salt: salts[i], recordEncoding: enc), root: tree.root))
                    enc[bit / 8] ^= UInt8(1 << (bit % 8))
                }
            }
            XCTAssertThrowsError(try tree.path(for: n))
        }
    }

    func testPathShapeErrors() throws {
        let r = try sampleRecord()
        let tree = try BookTree(salts: (0..<5).map { F.bytes(32, seed: UInt8($0)) }, records: Array(repeating: r, count: 5))
        let p = try tree.path(for: 3)
        XCTAssertThrowsError(try MerklePath(index: 3, leafCount: 5, siblings: Array(p.siblings.dropLast())).root(fromLeaf: BookTree.emptyLeaf)) {
            XCTAssertEqual($0 as? BookTreeError, .wrongPathLength(expected: 3, got: 2))
        }
        XCTAssertThrowsError(try MerklePath(index: 5, leafCount: 5, siblings: p.siblings).root(fromLeaf: BookTree.emptyLeaf)) {
            XCTAssertEqual($0 as? BookTreeError, .indexOutOfRange(index: 5, leafCount: 5))
        }
        // Leaf count is part of the path: 5 and 8 leaves have the same depth, and the verifier
        // rejects an index in the padding.
        XCTAssertThrowsError(try MerklePath(index: 6, leafCount: 5, siblings: p.siblings).root(fromLeaf: BookTree.emptyLeaf))
        XCTAssertThrowsError(try BookTree(leafHashes: []))
        XCTAssertThrowsError(try BookTree(salts: [F.bytes(31, seed: 0)], records: [r]))
    }

    func testRecordDecodingIsStrict() throws {
        let enc = try sampleRecord().encode()
        for n in 0..<enc.count { XCTAssertThrowsError(try PositionRecord.decode(Array(enc[0..<n])), "prefix \(n)") }
        XCTAssertThrowsError(try PositionRecord.decode(enc + [0])) { XCTAssertEqual($0 as? RecordError, .trailingBytes(count: 1)) }
        var e = enc; e[0] = 7
        XCTAssertThrowsError(try PositionRecord.decode(e)) { XCTAssertEqual($0 as? RecordError, .invalidValue(field: "kind", reason: "unknown member kind 7")) }
        // Blinding ≥ ℓ: all-0xff is not canonical.
        e = enc; e.replaceSubrange(37..<69, with: [UInt8](repeating: 0xff, count: 32))
        XCTAssertThrowsError(try PositionRecord.decode(e)) { XCTAssertEqual($0 as? RecordError, .nonCanonicalScalar(field: "blindingPlus")) }
        XCTAssertThrowsError(try PositionDetail(venue: "a\nb", account: "", entryPrice: "", quantityUnits: 0))
        XCTAssertThrowsError(try PositionDetail(venue: "", account: "", entryPrice: "1.50", quantityUnits: 0))
    }
}

private extension UInt8 { init(k: Int) { self = UInt8(truncatingIfNeeded: 40 + k) } }
