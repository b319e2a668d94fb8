import XCTest
import Ristretto255
@testable import Attestation

final class OpeningsTests: XCTestCase {
    typealias F = FormatFixtures

    func testOpeningsRoundTripAndLookup() throws {
        let book = try F.book()
        let o = try OpeningsFile(attestation: book.attestation, salts: book.salts, records: book.records)
        XCTAssertEqual(o.attestationHash, book.attestation.hash)
        let parsed = try OpeningsFile.parse(o.json())
        XCTAssertEqual(parsed, o)
        XCTAssertNoThrow(try parsed.checkAgainst(book.attestation))
        XCTAssertEqual(try parsed.memberIndex(forID: "ETH-PERP"), 1)
        XCTAssertEqual(try parsed.memberIndex(forID: "settlement:USD"), 5)
        XCTAssertThrowsError(try parsed.memberIndex(forID: "DOGE-PERP")) { XCTAssertEqual($0 as? DisclosureError, .unknownMember("DOGE-PERP")) }
        // The JSON text is stable (deterministic writer): the same openings give the same bytes.
        XCTAssertEqual(parsed.json(), o.json())
        XCTAssertTrue(String(decoding: o.json(), as: UTF8.self).hasPrefix("{\n  \"format\": \"riskattest-openings\",\n  \"version\": 2,\n"))
    }

    /// Version 2's `previous` set: the openings of the attestation being replaced, which keeps
    /// the pair consistent while `prove` renames two files one after the other.
    func testPreviousSetRoundTripAndSelection() throws {
        let book = try F.book()
        let old = try OpeningsFile(attestation: book.attestation, salts: book.salts, records: book.records)
        let other = try AttestationV1(body: book.attestation.body, signature: F.bytes(64, seed: 201))
        let new = try OpeningsFile(attestationHash: other.hash, members: old.members)
        let both = try new.carrying(previous: old)
        XCTAssertEqual(both.attestationHashes, [other.hash, book.attestation.hash])
        let text = String(decoding: both.json(), as: UTF8.self)
        XCTAssertTrue(text.contains("\n  \"previous\": {\n    \"attestation\": \"\(F.hex(book.attestation.hash))\",\n    \"members\": [\n      {\n"), text)
        let parsed = try OpeningsFile.parse(both.json())
        XCTAssertEqual(parsed, both)
        XCTAssertEqual(parsed.json(), both.json())
        // The set for the old attestation is `previous`, checked against its root; disclosure works from it.
        let picked = try parsed.openings(for: book.attestation)
        XCTAssertEqual(picked, old)
        XCTAssertNoThrow(try picked.disclosure(of: [1], attestation: book.attestation))
        XCTAssertEqual(parsed.set(forAttestationHash: other.hash), new)
        XCTAssertEqual(parsed.withoutPrevious, new)
        // Neither set: the error lists both hashes.
        let third = try AttestationV1(body: book.attestation.body, signature: F.bytes(64, seed: 202))
        XCTAssertThrowsError(try parsed.openings(for: third)) {
            XCTAssertEqual($0 as? DisclosureError, .attestationMismatch(expected: F.hex(third.hash),
                                                                      got: F.hex(other.hash) + " or " + F.hex(book.attestation.hash)))
        }
        // carrying() never nests and a set cannot be its own previous.
        XCTAssertNil(try old.carrying(previous: both).previous?.previous)
        XCTAssertThrowsError(try old.carrying(previous: old))
    }

    func testOpeningsVersions() throws {
        let book = try F.book()
        let o = try OpeningsFile(attestation: book.attestation, salts: book.salts, records: book.records)
        let text = String(decoding: o.json(), as: UTF8.self)
        // Version 1 (the same schema without `previous`) is still read.
        let v1 = text.replacingOccurrences(of: "\"version\": 2,", with: "\"version\": 1,")
        XCTAssertNotEqual(v1, text)
        XCTAssertEqual(try OpeningsFile.parse(Array(v1.utf8)), o)
        // Unknown versions are refused with a message naming what this build reads.
        let v3 = text.replacingOccurrences(of: "\"version\": 2,", with: "\"version\": 3,")
        XCTAssertThrowsError(try OpeningsFile.parse(Array(v3.utf8))) {
            XCTAssertEqual($0 as? DisclosureError, .unsupportedOpeningsVersion(3))
            XCTAssertEqual("\($0)", "version: unsupported openings file version 3 (this build reads 1 and 2 and writes 2)")
        }
        // `previous` is a version-2 member only, and must not nest or repeat the file's own hash.
        let other = try AttestationV1(body: book.attestation.body, signature: F.bytes(64, seed: 201))
        let both = String(decoding: try OpeningsFile(attestationHash: other.hash, members: o.members).carrying(previous: o).json(), as: UTF8.self)
        XCTAssertThrowsError(try OpeningsFile.parse(Array(both.replacingOccurrences(of: "\"version\": 2,", with: "\"version\": 1,").utf8))) {
            XCTAssertEqual($0 as? DisclosureError, .malformed(path: "previous", message: "unknown member in a version-1 openings file"))
        }
        let sameHash = both.replacingOccurrences(of: F.hex(other.hash), with: F.hex(book.attestation.hash))
        XCTAssertThrowsError(try OpeningsFile.parse(Array(sameHash.utf8)))
        let nested = both.replacingOccurrences(of: "\"previous\": {\n", with: "\"previous\": {\n    \"previous\": {},\n")
        XCTAssertThrowsError(try OpeningsFile.parse(Array(nested.utf8))) {
            XCTAssertEqual($0 as? DisclosureError, .malformed(path: "previous", message: "unknown field \"previous\""))
        }
    }

    /// The prover's path: BookCommitment draws fresh salts; its openings reproduce the root.
    func testBookCommitmentFreshSalts() throws {
        let book = try F.book()
        let b1 = try BookCommitment(records: book.records)
        let b2 = try BookCommitment(records: book.records)
        XCTAssertNotEqual(b1.salts, b2.salts)
        XCTAssertNotEqual(b1.root, b2.root)
        XCTAssertTrue(b1.salts.allSatisfy { $0.count == 32 })
        XCTAssertEqual(b1.root, try BookTree(salts: b1.salts, records: book.records).root)
        XCTAssertEqual(try BookCommitment(records: book.records, salts: book.salts).root, book.attestation.bookRoot)
        let o = OpeningsFile(attestationHash: book.attestation.hash, book: try BookCommitment(records: book.records, salts: book.salts))
        XCTAssertNoThrow(try o.checkAgainst(book.attestation))
        XCTAssertThrowsError(try OpeningsFile(attestationHash: book.attestation.hash, book: b1).checkAgainst(book.attestation)) {
            XCTAssertEqual($0 as? DisclosureError, .openingsRootMismatch)
        }
        XCTAssertThrowsError(try BookCommitment(records: [], salts: []))
    }

    func testOpeningsMustMatchTheAttestation() throws {
        let book = try F.book()
        // A salt changed: the records no longer reproduce the root.
        var salts = book.salts
        salts[4][0] ^= 1
        XCTAssertThrowsError(try OpeningsFile(attestation: book.attestation, salts: salts, records: book.records)) {
            XCTAssertEqual($0 as? DisclosureError, .openingsRootMismatch)
        }
        // Openings of another attestation.
        let o = try OpeningsFile(attestation: book.attestation, salts: book.salts, records: book.records)
        let other = try AttestationV1(body: book.attestation.body, signature: F.bytes(64, seed: 99))
        XCTAssertThrowsError(try o.disclosure(of: [0], attestation: other)) {
            XCTAssertEqual($0 as? DisclosureError, .attestationMismatch(expected: F.hex(other.hash), got: F.hex(o.attestationHash)))
        }
        XCTAssertThrowsError(try o.disclosure(of: [], attestation: book.attestation)) { XCTAssertEqual($0 as? DisclosureError, .noMembers) }
        XCTAssertThrowsError(try o.disclosure(of: [2, 2], attestation: book.attestation)) { XCTAssertEqual($0 as? DisclosureError, .duplicateIndex(2)) }
        XCTAssertThrowsError(try o.disclosure(of: [6], attestation: book.attestation)) {
            XCTAssertEqual($0 as? DisclosureError, .indexOutOfRange(index: 6, memberCount: 6))
        }
        // Missing members / out of order.
        XCTAssertThrowsError(try OpeningsFile(attestationHash: o.attestationHash, members: Array(o.members.dropFirst()))) {
            XCTAssertEqual($0 as? DisclosureError, .openingsIncomplete(expected: 0, got: 1))
        }
        let short = try OpeningsFile(attestationHash: o.attestationHash, members: Array(o.members.dropLast()))
        XCTAssertThrowsError(try short.checkAgainst(book.attestation)) {
            XCTAssertEqual($0 as? DisclosureError, .openingsIncomplete(expected: 6, got: 5))
        }
    }

    func testOpeningsFileIsStrict() throws {
        let book = try F.book()
        let text = String(decoding: try OpeningsFile(attestation: book.attestation, salts: book.salts, records: book.records).json(), as: UTF8.self)
        for bad in [text.replacingOccurrences(of: "\"kind\": \"collateral\"", with: "\"kind\": \"cash\""),
                    text.replacingOccurrences(of: "\"quantityUnits\": 150000000,", with: "\"quantityUnits\": 9223372036854775808,"),
                    text.replacingOccurrences(of: "\"attestation\"", with: "\"Attestation\""),
                    text.replacingOccurrences(of: "\"entryPrice\": \"67000.5\"", with: "\"entryPrice\": \"67000.50\""),
                    text + "x"] {
            XCTAssertThrowsError(try OpeningsFile.parse(Array(bad.utf8)))
            XCTAssertNotEqual(bad, text)
        }
        // A blinding ≥ ℓ (all 0xff) is rejected by name.
        let blind = F.hex(book.records[0].blindingPlus.bytes)
        let bad = text.replacingOccurrences(of: blind, with: String(repeating: "f", count: 64))
        XCTAssertThrowsError(try OpeningsFile.parse(Array(bad.utf8))) {
            XCTAssertEqual($0 as? DisclosureError, .malformed(path: "members[0].record.blindingPlus", message: "not a canonical scalar (must be < ℓ)"))
        }
    }
}
