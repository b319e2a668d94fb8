import Foundation
import XCTest
import Ristretto255
import Bulletproofs
import SystemCrypto
@testable import Attestation

/// Fixtures for the format, Merkle, openings and disclosure tests. Points come from RFC 9496
/// Appendix A (Vectors/rfc9496-ristretto255.json), an independent reference.
enum FormatFixtures {
    static let vectorsDir = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Vectors")

    static func hex(_ b: [UInt8]) -> String { b.map { String(format: "%02x", $0) }.joined() }
    static func unhex(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        var it = s.makeIterator()
        while let h = it.next(), let l = it.next() { out.append(UInt8(String([h, l]), radix: 16) ?? 0) }
        return out
    }

    static func rfcList(_ key: String) -> [[UInt8]] {
        guard let data = try? Data(contentsOf: vectorsDir.appendingPathComponent("rfc9496-ristretto255.json")),
              let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              let list = root[key] as? [[String: Any]] else { return [] }
        return list.compactMap { ($0["encoding"] as? String).map(unhex) }
    }

    /// Encodings of k·B for k = 0...15 (RFC 9496 A.1).
    static let multiples: [[UInt8]] = rfcList("multiplesOfGenerator")

    /// RFC 9496 A.2 invalid encodings.
    static let invalidEncodings: [[UInt8]] = rfcList("invalidEncodings")

    static func commitment(_ k: Int) throws -> Commitment {
        try Commitment(encoding: multiples[k], field: "fixture")
    }

    static func pair(_ k: Int) throws -> CommitmentPair {
        CommitmentPair(plus: try commitment(1 + (2 * k) % 15), minus: try commitment(1 + (2 * k + 1) % 15))
    }

    static func bytes(_ n: Int, seed: UInt8) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: Int(seed) &+ 31 &* $0) } }

    /// A small attestation body: 3 instruments, 2 collateral assets, 1 settlement member,
    /// 3 constraints, three range proofs.
    static func body(instruments: [CommitmentPair]? = nil, collateral: [CommitmentPair]? = nil,
                     auxiliary: [AuxiliaryMember]? = nil, bookRoot: [UInt8]? = nil,
                     nonce: [UInt8]? = bytes(16, seed: 9)) throws -> AttestationBody {
        let scales = try FixedPointScales(instrumentUnitDigits: 4, balanceUnitDigits: 8, slackUnitDigits: 24)
        return try AttestationBody(
            circuitName: "portfolio-margin", circuitVersion: 2, circuitHash: bytes(32, seed: 1),
            parameters: [try AttestationParameter(name: "buffer", value: "1.2"),
                         try AttestationParameter(name: "k", value: "0.015")],
            snapshotID: "deribit-2026-11-24T08:00Z", snapshotHash: bytes(32, seed: 2),
            proverKey: bytes(32, seed: 3), createdAt: 1_795_939_200, expiresAt: 1_795_942_800, nonce: nonce,
            witnessBits: 32, scales: scales,
            instrumentCommitments: try instruments ?? (0..<3).map(pair),
            collateralCommitments: try collateral ?? (3..<5).map(pair),
            auxiliaryMembers: try auxiliary ?? [AuxiliaryMember(label: "settlement:USD", unitDigits: 8, commitment: try pair(5))],
            bookRoot: bookRoot ?? bytes(32, seed: 4), constraintCount: 3,
            slackHighCommitments: try (6..<9).map { try commitment(1 + $0 % 15) },
            rangeProofs: [
                try AggregatedRangeProof(kind: .witnessHalves, bitSize: 32, valueCount: 8, bytes: bytes(800, seed: 5)),
                try AggregatedRangeProof(kind: .balanceHalves, bitSize: 64, valueCount: 8, bytes: bytes(864, seed: 6)),
                try AggregatedRangeProof(kind: .constraintSlacks, bitSize: 64, valueCount: 8, bytes: bytes(864, seed: 7)),
            ])
    }

    static func attestation() throws -> AttestationV1 {
        try AttestationV1(body: try body(), signature: bytes(64, seed: 8))
    }

    /// Offset of the first instrument commitment in the fixture's encoding.
    static func firstCommitmentOffset(_ enc: [UInt8]) -> Int {
        // magic 4 + version 2 + name (4+16) + version 4 + hash 32 + params (4 + (4+6+4+3) + (4+1+4+5))
        // + snapshot id (4+25) + 32 + 32 + 8 + 8 + nonce (1+4+16) + 4 scale bytes + count 4
        4 + 2 + 20 + 4 + 32 + 4 + 17 + 14 + 29 + 32 + 32 + 8 + 8 + 21 + 4 + 4
    }

    // MARK: A book with real openings

    struct Book {
        var attestation: AttestationV1
        var salts: [[UInt8]]
        var records: [PositionRecord]
    }

    /// Independent Pedersen commitment: v·B + r·B̃ with B̃ = map(SHA3-512(B)), computed with
    /// variable-time multiplication rather than PedersenGens' fixed-base tables.
    static func pedersen(_ v: UInt64, _ r: Scalar) -> RistrettoPoint {
        let bt = RistrettoPoint.fromUniformBytes(Digest.sha3_512.hash(RistrettoPoint.generator.compressed()))
        return RistrettoPoint.generator.mulVartime(Scalar(v)) + bt.mulVartime(r)
    }

    static func scalar(_ seed: UInt8) -> Scalar { Scalar(reducing64: bytes(64, seed: seed)) }

    /// 3 instruments (one held through two venues, one short, one not held), 2 collateral
    /// balances and the settlement balance; commitments computed from the records.
    static func book() throws -> Book {
        func rec(_ kind: MemberKind, _ id: String, _ q: Int64, _ plus: UInt64, _ minus: UInt64, _ k: UInt8,
                 _ details: [PositionDetail]) throws -> PositionRecord {
            try PositionRecord(kind: kind, memberID: id, quantityUnits: q, plus: plus, minus: minus,
                               blindingPlus: scalar(k), blindingMinus: scalar(k &+ 100), details: details)
        }
        let records = [
            try rec(.instrument, "BTC-PERP", 150_000_000, 15_000, 0, 11, [
                try PositionDetail(venue: "binance", account: "main", entryPrice: "67000.5", quantityUnits: 100_000_000),
                try PositionDetail(venue: "okx", account: "", entryPrice: "66000", quantityUnits: 50_000_000)]),
            try rec(.instrument, "ETH-PERP", -250_000_000, 0, 25_000, 12, [
                try PositionDetail(venue: "bybit", account: "hedge", entryPrice: "3100.25", quantityUnits: -250_000_000)]),
            try rec(.instrument, "BTC-27DEC26-70000-C", 0, 0, 0, 13, []),
            try rec(.collateral, "USDT", 1_000_000_000_000, 1_000_000_000_000, 0, 14, []),
            try rec(.collateral, "BTC", 50_000_000, 50_000_000, 0, 15, []),
            try rec(.auxiliary, "settlement:USD", -12_345_678_900_000, 0, 12_345_678_900_000, 16, []),
        ]
        let salts = (0..<records.count).map { bytes(32, seed: UInt8(200 + $0)) }
        let pairs = records.map { r in
            CommitmentPair(plus: Commitment(point: pedersen(r.plus, r.blindingPlus)),
                           minus: Commitment(point: pedersen(r.minus, r.blindingMinus)))
        }
        let tree = try BookTree(salts: salts, records: records)
        let body = try body(instruments: Array(pairs[0..<3]), collateral: Array(pairs[3..<5]),
                            auxiliary: [AuxiliaryMember(label: "settlement:USD", unitDigits: 8, commitment: pairs[5])],
                            bookRoot: tree.root)
        return Book(attestation: try AttestationV1(body: body, signature: bytes(64, seed: 8)), salts: salts, records: records)
    }
}
