import XCTest
import Ristretto255
@testable import Attestation

final class DisclosureTests: XCTestCase {
    typealias F = FormatFixtures

    func makeDisclosure(_ book: F.Book, _ indices: [Int]) throws -> Disclosure {
        let openings = try OpeningsFile(attestation: book.attestation, salts: book.salts, records: book.records)
        return try openings.disclosure(of: indices, attestation: book.attestation)
    }

    /// Replaces member k of a disclosure.
    func replacing(_ d: Disclosure, _ k: Int, salt: [UInt8]? = nil, record: PositionRecord? = nil,
                   path: [[UInt8]]? = nil, index: Int? = nil) throws -> Disclosure {
        var ms = d.members
        let m = ms[k]
        ms[k] = DisclosedMember(index: index ?? m.index, salt: salt ?? m.salt, record: record ?? m.record, path: path ?? m.path)
        return try Disclosure(attestationHash: d.attestationHash, leafCount: d.leafCount, members: ms)
    }

    func record(_ r: PositionRecord, quantity: Int64? = nil, plus: UInt64? = nil, minus: UInt64? = nil,
                rPlus: Scalar? = nil, kind: MemberKind? = nil, id: String? = nil, details: [PositionDetail]? = nil) throws -> PositionRecord {
        try PositionRecord(kind: kind ?? r.kind, memberID: id ?? r.memberID, quantityUnits: quantity ?? r.quantityUnits,
                           plus: plus ?? r.plus, minus: minus ?? r.minus, blindingPlus: rPlus ?? r.blindingPlus,
                           blindingMinus: r.blindingMinus, details: details ?? r.details)
    }

    func testHonestDisclosureChecksOut() throws {
        let book = try F.book()
        let d = try makeDisclosure(book, [1, 0, 5, 3])
        XCTAssertEqual(d.members.map(\.index), [0, 1, 3, 5])
        let ids = ["BTC-PERP", "ETH-PERP", "BTC-27DEC26-70000-C", "USDT", "BTC"]
        let report = try checkDisclosure(attestation: book.attestation, disclosure: d, memberIDs: ids)
        XCTAssertEqual(report.members.map(\.memberID), ["BTC-PERP", "ETH-PERP", "USDT", "settlement:USD"])
        XCTAssertEqual(report.members.map(\.witnessValue), [15_000, -25_000, 1_000_000_000_000, -12_345_678_900_000])
        XCTAssertEqual(report.members[0].description,
                       "instrument #0 BTC-PERP: net quantity 1.5 (committed as 1.5 at 10^-4); positions: 1 @ 67000.5 on binance/main, 0.5 @ 66000 on okx")
        XCTAssertEqual(report.members[1].description,
                       "instrument #1 ETH-PERP: net quantity -2.5 (committed as -2.5 at 10^-4); positions: -2.5 @ 3100.25 on bybit/hedge")
        XCTAssertTrue(report.members[3].description.hasPrefix("auxiliary #5 settlement:USD: value -123456.789 "))
        // The file form round-trips and still checks.
        let parsed = try Disclosure.parse(d.json())
        XCTAssertEqual(parsed, d)
        XCTAssertNoThrow(try checkDisclosure(attestation: book.attestation, disclosure: parsed))
        // A record id that does not match the snapshot's universe.
        XCTAssertThrowsError(try checkDisclosure(attestation: book.attestation, disclosure: d,
                                                 memberIDs: ["X", "ETH-PERP", "C", "USDT", "BTC"])) {
            XCTAssertEqual($0 as? DisclosureError, .memberIDMismatch(index: 0, expected: "X", got: "BTC-PERP"))
        }
    }

    func testTamperedDisclosuresFail() throws {
        let book = try F.book()
        let a = book.attestation
        let d = try makeDisclosure(book, [0, 1, 5])
        let r0 = d.members[0].record
        func expect(_ d: Disclosure, _ e: DisclosureError, line: UInt = #line) {
            XCTAssertThrowsError(try checkDisclosure(attestation: a, disclosure: d), line: line) {
                XCTAssertEqual($0 as? DisclosureError, e, line: line)
            }
        }
        // Quantity changed (consistently in the details too): the leaf no longer matches the root.
        let fake = try record(r0, quantity: 50_000_000, details: [try PositionDetail(venue: "binance", account: "main", entryPrice: "67000.5", quantityUnits: 50_000_000)])
        expect(try replacing(d, 0, record: fake), .rootMismatch(index: 0))
        expect(try replacing(d, 0, record: try record(r0, plus: 15_001)), .rootMismatch(index: 0))
        // Flipped salt bit / path bit.
        var salt = d.members[0].salt; salt[0] ^= 1
        expect(try replacing(d, 0, salt: salt), .rootMismatch(index: 0))
        var path = d.members[1].path; path[1][31] ^= 0x40
        expect(try replacing(d, 1, path: path), .rootMismatch(index: 1))
        expect(try replacing(d, 1, path: Array(path.dropLast())), .invalidPath(index: 1, reason: "inclusion path has 2 sibling(s), a tree of this size needs 3"))
        // Record moved to another index.
        expect(try replacing(d, 1, index: 2), .rootMismatch(index: 2))
        // Wrong attestation: the disclosure names another hash.
        let other = try Disclosure(attestationHash: F.bytes(32, seed: 77), leafCount: d.leafCount, members: d.members)
        expect(other, .attestationMismatch(expected: F.hex(a.hash), got: F.hex(F.bytes(32, seed: 77))))
        let wrongCount = try Disclosure(attestationHash: d.attestationHash, leafCount: 7, members: d.members)
        expect(wrongCount, .leafCountMismatch(expected: 6, got: 7))
    }

    /// A book whose leaf matches the root but whose opening does not open the commitment: the
    /// prover put a wrong opening (or wrong quantity) into the tree. The check must catch it.
    func testOpeningsMustReproduceCommitments() throws {
        var book = try F.book()
        let r0 = book.records[0]
        // Tampered blinding, tampered value, and a record inconsistent with its quantity, each
        // committed to in a fresh tree (so the Merkle check passes and the next check must fail).
        let cases: [(PositionRecord, DisclosureError)] = [
            (try record(r0, rPlus: r0.blindingPlus + Scalar.one), .commitmentMismatch(index: 0, half: "x⁺")),
            (try record(r0, quantity: 150_010_000, plus: 15_001,
                        details: [try PositionDetail(venue: "v", account: "", entryPrice: "1", quantityUnits: 150_010_000)]),
             .commitmentMismatch(index: 0, half: "x⁺")),
            (try PositionRecord(kind: .instrument, memberID: r0.memberID, quantityUnits: r0.quantityUnits, plus: r0.plus, minus: 1,
                                blindingPlus: r0.blindingPlus, blindingMinus: r0.blindingMinus, details: r0.details),
             .commitmentMismatch(index: 0, half: "x⁻")),
            (try record(r0, kind: .collateral), .kindMismatch(index: 0, expected: .instrument, got: .collateral)),
        ]
        for (bad, expected) in cases {
            book.records[0] = bad
            let tree = try BookTree(salts: book.salts, records: book.records)
            let body = try F.body(instruments: book.attestation.instrumentCommitments, collateral: book.attestation.collateralCommitments,
                                  auxiliary: book.attestation.auxiliaryMembers, bookRoot: tree.root)
            let att = try AttestationV1(body: body, signature: F.bytes(64, seed: 8))
            let d = try Disclosure(attestationHash: att.hash, leafCount: 6,
                                   members: [DisclosedMember(index: 0, salt: book.salts[0], record: bad, path: try tree.path(for: 0).siblings)])
            XCTAssertThrowsError(try checkDisclosure(attestation: att, disclosure: d)) { XCTAssertEqual($0 as? DisclosureError, expected) }
        }
    }

    /// Commitments that open correctly but a record whose quantity or details disagree with the
    /// committed value: caught by the consistency rules.
    func testRecordConsistencyRules() throws {
        func single(_ r: PositionRecord, unitDigits: Int = 8) throws -> (AttestationV1, Disclosure) {
            let pair = CommitmentPair(plus: Commitment(point: F.pedersen(r.plus, r.blindingPlus)),
                                      minus: Commitment(point: F.pedersen(r.minus, r.blindingMinus)))
            let salt = F.bytes(32, seed: 1)
            let tree = try BookTree(salts: [salt], records: [r])
            let body = try F.body(instruments: [], collateral: [],
                                  auxiliary: [try AuxiliaryMember(label: r.memberID, unitDigits: unitDigits, commitment: pair)],
                                  bookRoot: tree.root)
            let att = try AttestationV1(body: body, signature: F.bytes(64, seed: 8))
            return (att, try Disclosure(attestationHash: att.hash, leafCount: 1,
                                        members: [DisclosedMember(index: 0, salt: salt, record: r, path: [])]))
        }
        func aux(_ q: Int64, _ plus: UInt64, _ minus: UInt64, _ details: [PositionDetail] = []) throws -> PositionRecord {
            try PositionRecord(kind: .auxiliary, memberID: "mm:linear", quantityUnits: q, plus: plus, minus: minus,
                               blindingPlus: F.scalar(1), blindingMinus: F.scalar(2), details: details)
        }
        // An auxiliary record carries the committed value itself, in the member's own unit
        // (format v2: whole-unit companions at 10^0, margin witnesses at 10^-4, any digits).
        var (a, d) = try single(try aux(-1234, 0, 1234), unitDigits: 10)
        XCTAssertEqual(try checkDisclosure(attestation: a, disclosure: d).members[0].witnessValue, -1234)
        (a, d) = try single(try aux(-12, 0, 1234), unitDigits: 10)
        XCTAssertThrowsError(try checkDisclosure(attestation: a, disclosure: d)) {
            guard case .quantityMismatch(index: 0, _)? = $0 as? DisclosureError else { return XCTFail("\($0)") }
        }
        // d = 8: exact equality.
        (a, d) = try single(try aux(5, 6, 0))
        XCTAssertThrowsError(try checkDisclosure(attestation: a, disclosure: d)) {
            guard case .quantityMismatch(index: 0, _)? = $0 as? DisclosureError else { return XCTFail("\($0)") }
        }
        // x⁺ − x⁻ beyond Int64.
        (a, d) = try single(try aux(0, UInt64.max, 0))
        XCTAssertThrowsError(try checkDisclosure(attestation: a, disclosure: d)) {
            XCTAssertEqual($0 as? DisclosureError, .quantityMismatch(index: 0, reason: "x⁺ − x⁻ does not fit a signed 64-bit integer"))
        }
        // Details that do not sum to the quantity.
        (a, d) = try single(try aux(5, 5, 0, [try PositionDetail(venue: "a", account: "", entryPrice: "", quantityUnits: 4)]))
        XCTAssertThrowsError(try checkDisclosure(attestation: a, disclosure: d)) {
            XCTAssertEqual($0 as? DisclosureError, .detailsSumMismatch(index: 0, sum: "0.00000004", quantity: "0.00000005"))
        }
        // Auxiliary label must match the attestation's.
        (a, d) = try single(try aux(5, 5, 0))
        let renamed = try PositionRecord(kind: .auxiliary, memberID: "other", quantityUnits: 5, plus: 5, minus: 0,
                                         blindingPlus: F.scalar(1), blindingMinus: F.scalar(2), details: [])
        let d2 = try Disclosure(attestationHash: a.hash, leafCount: 1, members: [DisclosedMember(index: 0, salt: d.members[0].salt, record: renamed, path: [])])
        XCTAssertThrowsError(try checkDisclosure(attestation: a, disclosure: d2)) {
            XCTAssertEqual($0 as? DisclosureError, .memberIDMismatch(index: 0, expected: "mm:linear", got: "other"))
        }
    }

    func testDisclosureFileIsStrict() throws {
        let book = try F.book()
        let d = try makeDisclosure(book, [0])
        let text = String(decoding: d.json(), as: UTF8.self)
        func parseFails(_ s: String, line: UInt = #line) {
            XCTAssertThrowsError(try Disclosure.parse(Array(s.utf8)), line: line)
        }
        parseFails(text.replacingOccurrences(of: "\"leafCount\"", with: "\"leafcount\""))
        parseFails(text.replacingOccurrences(of: "\"version\": 1", with: "\"version\": 2"))
        parseFails(text.replacingOccurrences(of: "\"version\": 1", with: "\"version\": 1, \"version\": 1"))
        parseFails(text.replacingOccurrences(of: "\"format\": \"riskattest-disclosure\"", with: "\"format\": \"riskattest-openings\""))
        parseFails(text.replacingOccurrences(of: "\"plus\": 15000", with: "\"plus\": 15000.0"))
        parseFails(text.replacingOccurrences(of: "\"plus\": 15000", with: "\"plus\": -1"))
        parseFails(text.replacingOccurrences(of: "\"index\": 0", with: "\"index\": 0, \"extra\": true"))
        parseFails(String(text.dropLast(3)))
        // Upper-case hex is not the canonical spelling.
        parseFails(text.replacingOccurrences(of: "\"salt\": \"", with: "\"salt\": \"A").replacingOccurrences(of: "\"salt\": \"A", with: "\"salt\": \"AB", options: [], range: nil))
        XCTAssertThrowsError(try Disclosure(attestationHash: d.attestationHash, leafCount: 6, members: [])) {
            XCTAssertEqual($0 as? DisclosureError, .noMembers)
        }
        XCTAssertThrowsError(try Disclosure(attestationHash: d.attestationHash, leafCount: 6, members: d.members + d.members)) {
            XCTAssertEqual($0 as? DisclosureError, .duplicateIndex(0))
        }
    }
}
