import SystemCrypto

/// The prover's side of the book commitment: the records in member order, a fresh 32-byte
/// random salt per record, and the tree over them. Fresh salts every time: reusing them (or the
/// blindings inside the records) across attestations would let a verifier link equal positions.
public struct BookCommitment: Sendable {
    public let records: [PositionRecord]
    public let salts: [[UInt8]]
    public let tree: BookTree

    /// Draws fresh salts (libsodium randombytes) and builds the tree.
    public init(records: [PositionRecord]) throws(AttestationFormatError) {
        try self.init(records: records, salts: records.map { _ in SecureRandom.bytes(32) })
    }

    /// With given salts (tests, or re-building from an openings file).
    public init(records: [PositionRecord], salts: [[UInt8]]) throws(AttestationFormatError) {
        do { tree = try BookTree(salts: salts, records: records) } catch {
            throw .invalidValue(field: "bookRoot", reason: error.description)
        }
        self.records = records
        self.salts = salts
    }

    public var root: [UInt8] { tree.root }
}

extension OpeningsFile {
    /// The openings of `book` for the attestation whose SHA-256 is `attestationHash`
    /// (`AttestationV1.hash`). Use `checkAgainst(_:)` to confirm they reproduce its root.
    public init(attestationHash: [UInt8], book: BookCommitment) {
        self.init(uncheckedHash: attestationHash,
                  members: book.records.indices.map { MemberOpening(index: $0, salt: book.salts[$0], record: book.records[$0]) })
    }
}
