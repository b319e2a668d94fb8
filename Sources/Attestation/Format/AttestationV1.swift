import Ristretto255
import SystemCrypto

/// Hard limits of format version 2. A decoder checks each declared length or count against these
/// *before* allocating, and the whole input against `maxTotalBytes` before reading anything.
public enum AttestationLimits {
    public static let maxTotalBytes = 4 << 20
    public static let maxInstruments = 1024
    public static let maxCollateral = 64
    /// Auxiliary witness members (settlements, margin witnesses, whole-unit companions): a snapshot
    /// at its limits needs 1 + 64 + 2·64 + 64 + 1 + 64 = 322; see `AuxiliaryMember`.
    public static let maxAuxiliary = 512
    public static let maxConstraints = 4096
    public static let maxParameters = 64
    public static let maxNameBytes = 64
    public static let maxSnapshotIDBytes = 256
    public static let maxNonceBytes = 64
    public static let maxRangeProofs = 8
    /// Largest aggregation size m of one range proof (a power of two).
    public static let maxProofValues = 8192
    /// Largest unit exponent of a fixed-point scale (the slack unit is 10^-24).
    public static let maxUnitDigits = 30
}

/// A circuit parameter as actually used by the prover: its name and its exact value as
/// canonical decimal text (see `CanonicalDecimal`), so that the verifier compares bytes.
public struct AttestationParameter: Sendable, Hashable {
    public let name: String
    public let value: String

    public init(name: String, value: String) throws(AttestationFormatError) {
        guard TextRules.isIdentifier(Array(name.utf8), limit: AttestationLimits.maxNameBytes) else {
            throw .invalidText(field: "parameters[\(name)].name",
                               reason: "must be 1...\(AttestationLimits.maxNameBytes) printable ASCII bytes without spaces")
        }
        // Length first: a 65-byte value is too long whatever its spelling, and calling a
        // well-formed but long decimal "not canonical" would send the user looking for a typo.
        guard value.utf8.count <= CanonicalDecimal.maxLength else {
            throw .lengthOverLimit(field: "parameters[\(name)].value", length: value.utf8.count, limit: CanonicalDecimal.maxLength)
        }
        guard CanonicalDecimal.isCanonical(value) else { throw .nonCanonicalDecimal(field: "parameters[\(name)].value", text: value) }
        self.name = name
        self.value = value
    }
}

/// The fixed-point scales the witness uses: a witness integer w of a member with unit exponent d
/// stands for w·10^-d of that member's unit (contracts for instruments, asset units for balances).
public struct FixedPointScales: Sendable, Hashable {
    /// Instruments: quantity unit 10^-instrumentUnitDigits contract.
    public let instrumentUnitDigits: Int
    /// Collateral balances: 10^-balanceUnitDigits asset unit.
    public let balanceUnitDigits: Int
    /// Constraint slacks: 10^-slackUnitDigits of each constraint's own dimension.
    public let slackUnitDigits: Int

    public init(instrumentUnitDigits: Int, balanceUnitDigits: Int, slackUnitDigits: Int) throws(AttestationFormatError) {
        for (name, d) in [("instrumentUnitDigits", instrumentUnitDigits), ("balanceUnitDigits", balanceUnitDigits),
                          ("slackUnitDigits", slackUnitDigits)] where !(0...AttestationLimits.maxUnitDigits).contains(d) {
            throw .invalidValue(field: "scales.\(name)", reason: "\(d) is outside 0...\(AttestationLimits.maxUnitDigits)")
        }
        self.instrumentUnitDigits = instrumentUnitDigits
        self.balanceUnitDigits = balanceUnitDigits
        self.slackUnitDigits = slackUnitDigits
    }
}

/// One Pedersen commitment: its canonical 32-byte ristretto255 encoding and the decoded point.
/// Keeping both means a decoded attestation is decompressed exactly once.
public struct Commitment: Sendable, Equatable {
    public let encoding: [UInt8]
    public let point: RistrettoPoint

    /// Strict decode (RFC 9496: canonical field element, non-negative, valid point). The identity
    /// is rejected: with a uniformly random blinding it occurs with probability 2^-252, so an
    /// identity commitment means a broken or malicious prover.
    public init(encoding: [UInt8], field: String = "commitment") throws(AttestationFormatError) {
        guard encoding.count == 32 else { throw .wrongLength(field: field, expected: 32, got: encoding.count) }
        let p: RistrettoPoint
        do { p = try RistrettoPoint(compressed: encoding) } catch { throw .nonCanonicalPoint(field: field, reason: error.description) }
        guard !p.isIdentity else { throw .identityCommitment(field: field) }
        self.encoding = encoding
        self.point = p
    }

    /// From a point the prover computed (compresses it).
    public init(point: RistrettoPoint) {
        self.point = point
        self.encoding = point.compressed()
    }

    public static func == (a: Commitment, b: Commitment) -> Bool { a.encoding == b.encoding }
}

/// Commitments to the two halves of a signed witness value x = x⁺ − x⁻.
public struct CommitmentPair: Sendable, Equatable {
    public let plus: Commitment
    public let minus: Commitment
    public init(plus: Commitment, minus: Commitment) { self.plus = plus; self.minus = minus }
}

/// A witness member after the instruments and collateral assets: a settlement (cost-basis)
/// balance or another auxiliary witness (e.g. a committed margin bound). The verifier derives
/// the expected list from the snapshot and circuit; the label (printable ASCII, e.g.
/// `settlement:USD`) and unit exponent are carried so that the attestation is self-describing
/// and a disclosure can be read without the snapshot.
public struct AuxiliaryMember: Sendable, Equatable {
    public let label: String
    public let unitDigits: Int
    public let commitment: CommitmentPair

    public init(label: String, unitDigits: Int, commitment: CommitmentPair) throws(AttestationFormatError) {
        guard TextRules.isIdentifier(Array(label.utf8), limit: AttestationLimits.maxNameBytes) else {
            throw .invalidText(field: "auxiliaryMembers[\(label)].label",
                               reason: "must be 1...\(AttestationLimits.maxNameBytes) printable ASCII bytes without spaces")
        }
        guard (0...AttestationLimits.maxUnitDigits).contains(unitDigits) else {
            throw .invalidValue(field: "auxiliaryMembers[\(label)].unitDigits", reason: "\(unitDigits) is outside 0...\(AttestationLimits.maxUnitDigits)")
        }
        self.label = label
        self.unitDigits = unitDigits
        self.commitment = commitment
    }
}

/// What an aggregated range proof covers. Raw values are part of the encoding.
public enum RangeProofKind: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// Halves of the instrument quantities, at `witnessBits` bits.
    case witnessHalves = 1
    /// Halves of balances (collateral and auxiliary members).
    case balanceHalves = 2
    /// One slack per expanded constraint, at 64 bits.
    case constraintSlacks = 3

    public var description: String {
        switch self {
        case .witnessHalves: return "witness halves"
        case .balanceHalves: return "balance halves"
        case .constraintSlacks: return "constraint slacks"
        }
    }
}

/// An aggregated Bulletproofs range proof as raw bytes, with the shape it claims.
///
/// For m values of n bits the Bulletproofs layout is A, S, T₁, T₂ (4 points), t̂, τ_x, μ
/// (3 scalars), a, b (2 scalars) and the inner-product argument's L_j, R_j for
/// j < log₂(n·m): `32·(9 + 2·log₂(n·m))` bytes (672 for one 64-bit value).
public struct AggregatedRangeProof: Sendable, Equatable {
    public let kind: RangeProofKind
    /// n ∈ {8, 16, 32, 64}.
    public let bitSize: Int
    /// m, the padded number of proven values: a power of two.
    public let valueCount: Int
    public let bytes: [UInt8]

    public static func expectedLength(bitSize: Int, valueCount: Int) -> Int {
        let log = (bitSize * valueCount).trailingZeroBitCount
        return 32 * (9 + 2 * log)
    }

    public init(kind: RangeProofKind, bitSize: Int, valueCount: Int, bytes: [UInt8]) throws(AttestationFormatError) {
        let f = "rangeProofs[\(kind)]"
        guard [8, 16, 32, 64].contains(bitSize) else { throw .invalidProof(field: f, reason: "bit size \(bitSize) is not 8, 16, 32 or 64") }
        guard valueCount >= 1, valueCount <= AttestationLimits.maxProofValues, valueCount & (valueCount - 1) == 0 else {
            throw .invalidProof(field: f, reason: "value count \(valueCount) is not a power of two in 1...\(AttestationLimits.maxProofValues)")
        }
        let expected = Self.expectedLength(bitSize: bitSize, valueCount: valueCount)
        guard bytes.count == expected else {
            throw .invalidProof(field: f, reason: "\(bytes.count) bytes, but \(valueCount) values of \(bitSize) bits take \(expected)")
        }
        self.kind = kind
        self.bitSize = bitSize
        self.valueCount = valueCount
        self.bytes = bytes
    }
}

/// Kind of a witness member, in the member order instruments, collateral, auxiliary.
public enum MemberKind: UInt8, Sendable, CustomStringConvertible {
    case instrument = 0, collateral = 1, auxiliary = 2
    public var description: String {
        switch self {
        case .instrument: return "instrument"
        case .collateral: return "collateral"
        case .auxiliary: return "auxiliary"
        }
    }
}

/// Everything an attestation states except the signature: the signed content.
///
/// An `AttestationBody` value is always valid: its initialiser checks every limit and rule the
/// decoder checks, so `decode(encode(x)) == x` for every value that can exist.
public struct AttestationBody: Sendable, Equatable {
    public static let formatVersion: UInt16 = 3
    public static let magic: [UInt8] = Array("RATT".utf8)
    /// Domain separation for the signature: a signature over an attestation can never be
    /// mistaken for a signature over any other riskattest message.
    public static let signingPrefix: [UInt8] = Array("riskattest/attestation/v3".utf8)

    public let circuitName: String
    public let circuitVersion: UInt32
    /// SHA-256 identity of the compiled circuit (contract H `Circuit.hash`), 32 bytes.
    public let circuitHash: [UInt8]
    /// Strictly increasing by name.
    public let parameters: [AttestationParameter]
    public let snapshotID: String
    /// SHA-256 of the exact market snapshot file bytes.
    public let snapshotHash: [UInt8]
    /// Raw Ed25519 public key of the prover (32 bytes).
    public let proverKey: [UInt8]
    public let createdAt: Int64
    public let expiresAt: Int64
    /// Verifier-chosen freshness nonce, 1...64 bytes, or nil.
    public let nonce: [UInt8]?
    /// n: bits of each instrument half (8, 16, 32 or 64).
    public let witnessBits: Int
    public let scales: FixedPointScales
    /// One pair per instrument of the snapshot's universe, in universe order.
    public let instrumentCommitments: [CommitmentPair]
    /// One pair per collateral asset, in snapshot order.
    public let collateralCommitments: [CommitmentPair]
    /// Settlement balances and other auxiliary witnesses, at least one (the settlement balance).
    public let auxiliaryMembers: [AuxiliaryMember]
    /// Root of the salted book tree (`BookTree`), one leaf per member in member order.
    public let bookRoot: [UInt8]
    /// Number of expanded linear constraints (one slack each).
    public let constraintCount: Int
    /// One per constraint: the commitment H_j = hi_j·B + ρ_j·B̃ to the high 64-bit limb of the
    /// constraint's slack s_j = lo_j + 2⁶⁴·hi_j. The verifier derives the low limb's commitment as
    /// S_j − 2⁶⁴·H_j, and the slack range proof covers (lo_1, hi_1, lo_2, hi_2, …): s_j ∈ [0, 2¹²⁸).
    public let slackHighCommitments: [Commitment]
    /// Strictly increasing by kind. The format allows 0...8 proofs so that the body with an
    /// empty list can serve as the transcript's public-input encoding; which proofs a valid
    /// attestation carries is the verifier's rule (SPEC §14).
    public let rangeProofs: [AggregatedRangeProof]

    public init(circuitName: String, circuitVersion: UInt32, circuitHash: [UInt8],
                parameters: [AttestationParameter], snapshotID: String, snapshotHash: [UInt8],
                proverKey: [UInt8], createdAt: Int64, expiresAt: Int64, nonce: [UInt8]?,
                witnessBits: Int, scales: FixedPointScales,
                instrumentCommitments: [CommitmentPair], collateralCommitments: [CommitmentPair],
                auxiliaryMembers: [AuxiliaryMember], bookRoot: [UInt8], constraintCount: Int,
                slackHighCommitments: [Commitment],
                rangeProofs: [AggregatedRangeProof]) throws(AttestationFormatError) {
        let L = AttestationLimits.self
        guard TextRules.isIdentifier(Array(circuitName.utf8), limit: L.maxNameBytes) else {
            throw .invalidText(field: "circuitName", reason: "must be 1...\(L.maxNameBytes) printable ASCII bytes without spaces")
        }
        guard circuitHash.count == 32 else { throw .wrongLength(field: "circuitHash", expected: 32, got: circuitHash.count) }
        guard parameters.count <= L.maxParameters else {
            throw .countOutOfRange(field: "parameters", count: parameters.count, allowed: 0...L.maxParameters)
        }
        for k in parameters.indices.dropFirst() where !Array(parameters[k - 1].name.utf8).lexicographicallyPrecedes(Array(parameters[k].name.utf8)) {
            throw .parametersNotSorted(name: parameters[k].name)
        }
        let sid = Array(snapshotID.utf8)
        guard !sid.isEmpty, sid.count <= L.maxSnapshotIDBytes, TextRules.utf8Text(sid) != nil else {
            throw .invalidText(field: "snapshotID", reason: "must be 1...\(L.maxSnapshotIDBytes) bytes of UTF-8 without control characters")
        }
        guard snapshotHash.count == 32 else { throw .wrongLength(field: "snapshotHash", expected: 32, got: snapshotHash.count) }
        guard proverKey.count == 32 else { throw .wrongLength(field: "proverKey", expected: 32, got: proverKey.count) }
        guard expiresAt > createdAt else { throw .invalidValidityWindow(createdAt: createdAt, expiresAt: expiresAt) }
        if let n = nonce, n.isEmpty || n.count > L.maxNonceBytes {
            throw .countOutOfRange(field: "nonce", count: n.count, allowed: 1...L.maxNonceBytes)
        }
        guard [8, 16, 32, 64].contains(witnessBits) else {
            throw .invalidValue(field: "witnessBits", reason: "\(witnessBits) is not 8, 16, 32 or 64")
        }
        guard instrumentCommitments.count <= L.maxInstruments else {
            throw .countOutOfRange(field: "instrumentCommitments", count: instrumentCommitments.count, allowed: 0...L.maxInstruments)
        }
        guard collateralCommitments.count <= L.maxCollateral else {
            throw .countOutOfRange(field: "collateralCommitments", count: collateralCommitments.count, allowed: 0...L.maxCollateral)
        }
        guard (1...L.maxAuxiliary).contains(auxiliaryMembers.count) else {
            throw .countOutOfRange(field: "auxiliaryMembers", count: auxiliaryMembers.count, allowed: 1...L.maxAuxiliary)
        }
        guard bookRoot.count == 32 else { throw .wrongLength(field: "bookRoot", expected: 32, got: bookRoot.count) }
        guard (1...L.maxConstraints).contains(constraintCount) else {
            throw .countOutOfRange(field: "constraintCount", count: constraintCount, allowed: 1...L.maxConstraints)
        }
        guard slackHighCommitments.count == constraintCount else {
            throw .countOutOfRange(field: "slackHighCommitments", count: slackHighCommitments.count,
                                   allowed: constraintCount...constraintCount)
        }
        guard rangeProofs.count <= L.maxRangeProofs else {
            throw .countOutOfRange(field: "rangeProofs", count: rangeProofs.count, allowed: 0...L.maxRangeProofs)
        }
        for k in rangeProofs.indices.dropFirst() where rangeProofs[k - 1].kind.rawValue >= rangeProofs[k].kind.rawValue {
            throw .invalidProof(field: "rangeProofs[\(k)]", reason: "kinds must be strictly increasing (\(rangeProofs[k - 1].kind) then \(rangeProofs[k].kind))")
        }
        if let slack = rangeProofs.first(where: { $0.kind == .constraintSlacks }) {
            var m = 1
            while m < 2 * constraintCount { m <<= 1 }
            guard slack.bitSize == 64, slack.valueCount == m else {
                throw .invalidProof(field: "rangeProofs[constraint slacks]",
                                    reason: "\(constraintCount) constraints (two limbs each) need m = \(m) values of 64 bits, proof claims \(slack.valueCount) of \(slack.bitSize)")
            }
        }
        self.circuitName = circuitName; self.circuitVersion = circuitVersion; self.circuitHash = circuitHash
        self.parameters = parameters; self.snapshotID = snapshotID; self.snapshotHash = snapshotHash
        self.proverKey = proverKey; self.createdAt = createdAt; self.expiresAt = expiresAt; self.nonce = nonce
        self.witnessBits = witnessBits; self.scales = scales
        self.instrumentCommitments = instrumentCommitments; self.collateralCommitments = collateralCommitments
        self.auxiliaryMembers = auxiliaryMembers; self.bookRoot = bookRoot
        self.constraintCount = constraintCount; self.slackHighCommitments = slackHighCommitments
        self.rangeProofs = rangeProofs
    }

    // MARK: Members

    /// Number of witness members (= leaves of the book tree): instruments, collateral, auxiliary.
    public var memberCount: Int { instrumentCommitments.count + collateralCommitments.count + auxiliaryMembers.count }

    public func memberKind(at index: Int) -> MemberKind? {
        guard index >= 0, index < memberCount else { return nil }
        if index < instrumentCommitments.count { return .instrument }
        if index < instrumentCommitments.count + collateralCommitments.count { return .collateral }
        return .auxiliary
    }

    /// Commitments of member `index` in member order, nil when out of range.
    public func commitment(ofMember index: Int) -> CommitmentPair? {
        guard let kind = memberKind(at: index) else { return nil }
        switch kind {
        case .instrument: return instrumentCommitments[index]
        case .collateral: return collateralCommitments[index - instrumentCommitments.count]
        case .auxiliary: return auxiliaryMembers[index - instrumentCommitments.count - collateralCommitments.count].commitment
        }
    }

    /// Unit exponent of member `index`'s witness integers.
    public func unitDigits(ofMember index: Int) -> Int? {
        guard let kind = memberKind(at: index) else { return nil }
        switch kind {
        case .instrument: return scales.instrumentUnitDigits
        case .collateral: return scales.balanceUnitDigits
        case .auxiliary: return auxiliaryMembers[index - instrumentCommitments.count - collateralCommitments.count].unitDigits
        }
    }

    public func rangeProof(_ kind: RangeProofKind) -> AggregatedRangeProof? { rangeProofs.first { $0.kind == kind } }

    // MARK: Encoding

    /// The encoding of every field in order, from the magic to the last range proof (all but the
    /// signature).
    public func encode() -> [UInt8] {
        var w = ByteWriter(capacity: 256 + 64 * memberCount + rangeProofs.reduce(0) { $0 + $1.bytes.count + 10 })
        w.raw(Self.magic)
        w.u16(Self.formatVersion)
        w.framed(circuitName)
        w.u32(circuitVersion)
        w.raw(circuitHash)
        w.u32(UInt32(parameters.count))
        for p in parameters { w.framed(p.name); w.framed(p.value) }
        w.framed(snapshotID)
        w.raw(snapshotHash)
        w.raw(proverKey)
        w.i64(createdAt)
        w.i64(expiresAt)
        if let n = nonce { w.u8(1); w.framed(n) } else { w.u8(0) }
        w.u8(UInt8(witnessBits))
        w.u8(UInt8(scales.instrumentUnitDigits))
        w.u8(UInt8(scales.balanceUnitDigits))
        w.u8(UInt8(scales.slackUnitDigits))
        w.u32(UInt32(instrumentCommitments.count))
        for c in instrumentCommitments { w.raw(c.plus.encoding); w.raw(c.minus.encoding) }
        w.u32(UInt32(collateralCommitments.count))
        for c in collateralCommitments { w.raw(c.plus.encoding); w.raw(c.minus.encoding) }
        w.u32(UInt32(auxiliaryMembers.count))
        for a in auxiliaryMembers {
            w.framed(a.label)
            w.u8(UInt8(a.unitDigits))
            w.raw(a.commitment.plus.encoding); w.raw(a.commitment.minus.encoding)
        }
        w.raw(bookRoot)
        w.u32(UInt32(constraintCount))
        for h in slackHighCommitments { w.raw(h.encoding) }
        w.u32(UInt32(rangeProofs.count))
        for p in rangeProofs {
            w.u8(p.kind.rawValue)
            w.u8(UInt8(p.bitSize))
            w.u32(UInt32(p.valueCount))
            w.framed(p.bytes)
        }
        return w.bytes
    }

    /// The exact bytes the Ed25519 signature covers: "riskattest/attestation/v3" || encode().
    public var signedMessage: [UInt8] { Self.signingPrefix + encode() }
}

/// A signed attestation, format version 2 (the type keeps its historical name; version 1 files
/// are rejected with `unsupported attestation format version 1`).
///
/// Fields of the body are readable directly (`attestation.createdAt`) through dynamic member
/// lookup. Layout (all integers little-endian, `str`/`bytes` = u32 length then content):
///
///     "RATT" u16(2) str(circuitName) u32(circuitVersion) [32]circuitHash
///     u32(#params) { str(name) str(value) }*          names strictly increasing
///     str(snapshotID) [32]snapshotHash [32]proverKey i64(createdAt) i64(expiresAt)
///     u8(nonce?) [bytes(nonce)]                       flag 0 or 1; nonce 1...64 bytes
///     u8(witnessBits) u8(instrDigits) u8(balanceDigits) u8(slackDigits)
///     u32(#instr) {[32]C⁺ [32]C⁻}*  u32(#coll) {[32]C⁺ [32]C⁻}*
///     u32(#aux) { str(label) u8(digits) [32]C⁺ [32]C⁻ }*
///     [32]bookRoot u32(constraintCount) {[32]H}*constraintCount
///     u32(#proofs) { u8(kind) u8(bitSize) u32(m) bytes(proof) }*
///     [64]signature                                   nothing may follow
@dynamicMemberLookup
public struct AttestationV1: Sendable, Equatable {
    public let body: AttestationBody
    /// Ed25519 signature over `body.signedMessage` by `body.proverKey`.
    public let signature: [UInt8]

    public init(body: AttestationBody, signature: [UInt8]) throws(AttestationFormatError) {
        guard signature.count == 64 else { throw .wrongLength(field: "signature", expected: 64, got: signature.count) }
        self.body = body
        self.signature = signature
    }

    public subscript<T>(dynamicMember keyPath: KeyPath<AttestationBody, T>) -> T { body[keyPath: keyPath] }

    public var signedMessage: [UInt8] { body.signedMessage }

    // Methods of the body (dynamic member lookup reaches properties only).
    public func memberKind(at index: Int) -> MemberKind? { body.memberKind(at: index) }
    public func commitment(ofMember index: Int) -> CommitmentPair? { body.commitment(ofMember: index) }
    public func unitDigits(ofMember index: Int) -> Int? { body.unitDigits(ofMember: index) }
    public func rangeProof(_ kind: RangeProofKind) -> AggregatedRangeProof? { body.rangeProof(kind) }

    public func encode() -> [UInt8] { body.encode() + signature }

    /// SHA-256 of the complete encoding: the attestation's identity in openings and disclosures
    /// (`sha256sum FILE` gives the same value).
    public var hash: [UInt8] { Digest.sha256.hash(encode()) }

    /// Strict decoder: every field in order, every limit checked before allocation, every point
    /// canonical and non-identity, no trailing bytes.
    public static func decode(_ bytes: [UInt8]) throws(AttestationFormatError) -> AttestationV1 {
        guard bytes.count <= AttestationLimits.maxTotalBytes else {
            throw .totalSizeOverLimit(size: bytes.count, limit: AttestationLimits.maxTotalBytes)
        }
        var d = Decoder(bytes)
        return try d.attestation()
    }
}

/// The field-by-field reader behind `AttestationV1.decode`.
private struct Decoder {
    var r: ByteReader
    init(_ bytes: [UInt8]) { r = ByteReader(bytes) }

    mutating func read<T>(_ field: String, _ f: (inout ByteReader) throws(ByteReadFailure) -> T) throws(AttestationFormatError) -> T {
        do { return try f(&r) } catch {
            switch error {
            case .truncated(let o, let n, let a): throw .truncated(field: field, offset: o, needed: n, available: a)
            case .lengthOverLimit(let l, let lim): throw .lengthOverLimit(field: field, length: l, limit: lim)
            }
        }
    }

    mutating func count(_ field: String, _ allowed: ClosedRange<Int>, minElementBytes: Int) throws(AttestationFormatError) -> Int {
        let c = Int(try read(field) { (r: inout ByteReader) throws(ByteReadFailure) in try r.u32() })
        guard allowed.contains(c) else { throw .countOutOfRange(field: field, count: c, allowed: allowed) }
        // Cheap early rejection: the elements cannot fit in what remains.
        guard c * minElementBytes <= r.remaining else {
            throw .truncated(field: field, offset: r.offset, needed: c * minElementBytes, available: r.remaining)
        }
        return c
    }

    mutating func text(_ field: String, limit: Int) throws(AttestationFormatError) -> [UInt8] {
        try read(field) { (r: inout ByteReader) throws(ByteReadFailure) in try r.framed(limit: limit) }
    }

    mutating func fixed(_ field: String, _ n: Int) throws(AttestationFormatError) -> [UInt8] {
        try read(field) { (r: inout ByteReader) throws(ByteReadFailure) in try r.raw(n) }
    }

    mutating func u8(_ field: String) throws(AttestationFormatError) -> UInt8 {
        try read(field) { (r: inout ByteReader) throws(ByteReadFailure) in try r.u8() }
    }

    mutating func u32(_ field: String) throws(AttestationFormatError) -> UInt32 {
        try read(field) { (r: inout ByteReader) throws(ByteReadFailure) in try r.u32() }
    }

    mutating func i64(_ field: String) throws(AttestationFormatError) -> Int64 {
        try read(field) { (r: inout ByteReader) throws(ByteReadFailure) in try r.i64() }
    }

    mutating func pair(_ field: String) throws(AttestationFormatError) -> CommitmentPair {
        let p = try Commitment(encoding: try fixed("\(field).plus", 32), field: "\(field).plus")
        let m = try Commitment(encoding: try fixed("\(field).minus", 32), field: "\(field).minus")
        return CommitmentPair(plus: p, minus: m)
    }

    mutating func attestation() throws(AttestationFormatError) -> AttestationV1 {
        let L = AttestationLimits.self
        let magic = try fixed("magic", 4)
        guard magic == AttestationBody.magic else { throw .badMagic(found: magic) }
        let version = try read("formatVersion") { (r: inout ByteReader) throws(ByteReadFailure) in try r.u16() }
        guard version == AttestationBody.formatVersion else { throw .unsupportedVersion(version) }

        let circuitNameBytes = try text("circuitName", limit: L.maxNameBytes)
        guard TextRules.isIdentifier(circuitNameBytes, limit: L.maxNameBytes) else {
            throw .invalidText(field: "circuitName", reason: "must be 1...\(L.maxNameBytes) printable ASCII bytes without spaces")
        }
        let circuitVersion = try u32("circuitVersion")
        let circuitHash = try fixed("circuitHash", 32)

        let paramCount = try count("parameters", 0...L.maxParameters, minElementBytes: 10)
        var params: [AttestationParameter] = []
        params.reserveCapacity(paramCount)
        for k in 0..<paramCount {
            let name = try text("parameters[\(k)].name", limit: L.maxNameBytes)
            guard TextRules.isIdentifier(name, limit: L.maxNameBytes) else {
                throw .invalidText(field: "parameters[\(k)].name", reason: "must be 1...\(L.maxNameBytes) printable ASCII bytes without spaces")
            }
            let value = try text("parameters[\(k)].value", limit: CanonicalDecimal.maxLength)
            params.append(try AttestationParameter(name: String(decoding: name, as: UTF8.self),
                                                   value: String(decoding: value, as: UTF8.self)))
        }

        let sid = try text("snapshotID", limit: L.maxSnapshotIDBytes)
        guard let snapshotID = TextRules.utf8Text(sid) else {
            throw .invalidText(field: "snapshotID", reason: "not UTF-8 text without control characters")
        }
        let snapshotHash = try fixed("snapshotHash", 32)
        let proverKey = try fixed("proverKey", 32)
        let createdAt = try i64("createdAt")
        let expiresAt = try i64("expiresAt")
        let flag = try u8("nonce.present")
        var nonce: [UInt8]? = nil
        switch flag {
        case 0: break
        case 1: nonce = try text("nonce", limit: L.maxNonceBytes)
        default: throw .invalidFlag(field: "nonce.present", value: flag)
        }
        let witnessBits = Int(try u8("witnessBits"))
        let scales = try FixedPointScales(instrumentUnitDigits: Int(try u8("scales.instrumentUnitDigits")),
                                          balanceUnitDigits: Int(try u8("scales.balanceUnitDigits")),
                                          slackUnitDigits: Int(try u8("scales.slackUnitDigits")))

        let ni = try count("instrumentCommitments", 0...L.maxInstruments, minElementBytes: 64)
        var instruments: [CommitmentPair] = []
        instruments.reserveCapacity(ni)
        for k in 0..<ni { instruments.append(try pair("instrumentCommitments[\(k)]")) }
        let nc = try count("collateralCommitments", 0...L.maxCollateral, minElementBytes: 64)
        var collateral: [CommitmentPair] = []
        collateral.reserveCapacity(nc)
        for k in 0..<nc { collateral.append(try pair("collateralCommitments[\(k)]")) }
        let na = try count("auxiliaryMembers", 1...L.maxAuxiliary, minElementBytes: 70)
        var aux: [AuxiliaryMember] = []
        aux.reserveCapacity(na)
        for k in 0..<na {
            let label = try text("auxiliaryMembers[\(k)].label", limit: L.maxNameBytes)
            let digits = Int(try u8("auxiliaryMembers[\(k)].unitDigits"))
            let c = try pair("auxiliaryMembers[\(k)]")
            aux.append(try AuxiliaryMember(label: String(decoding: label, as: UTF8.self), unitDigits: digits, commitment: c))
        }
        let bookRoot = try fixed("bookRoot", 32)
        let constraintCount = Int(try u32("constraintCount"))
        guard (1...L.maxConstraints).contains(constraintCount) else {
            throw .countOutOfRange(field: "constraintCount", count: constraintCount, allowed: 1...L.maxConstraints)
        }
        guard constraintCount * 32 <= r.remaining else {
            throw .truncated(field: "slackHighCommitments", offset: r.offset, needed: constraintCount * 32, available: r.remaining)
        }
        var highs: [Commitment] = []
        highs.reserveCapacity(constraintCount)
        for k in 0..<constraintCount {
            highs.append(try Commitment(encoding: try fixed("slackHighCommitments[\(k)]", 32), field: "slackHighCommitments[\(k)]"))
        }
        let np = try count("rangeProofs", 0...L.maxRangeProofs, minElementBytes: 10 + 32 * 9)
        var proofs: [AggregatedRangeProof] = []
        for k in 0..<np {
            let kindByte = try u8("rangeProofs[\(k)].kind")
            guard let kind = RangeProofKind(rawValue: kindByte) else {
                throw .invalidProof(field: "rangeProofs[\(k)].kind", reason: "unknown proof kind \(kindByte)")
            }
            let bits = Int(try u8("rangeProofs[\(k)].bitSize"))
            let m = Int(try u32("rangeProofs[\(k)].valueCount"))
            let maxLen = AggregatedRangeProof.expectedLength(bitSize: 64, valueCount: L.maxProofValues)
            let bytes = try text("rangeProofs[\(k)].bytes", limit: maxLen)
            proofs.append(try AggregatedRangeProof(kind: kind, bitSize: bits, valueCount: m, bytes: bytes))
        }
        let signature = try fixed("signature", 64)
        guard r.remaining == 0 else { throw .trailingBytes(offset: r.offset, count: r.remaining) }

        let body = try AttestationBody(
            circuitName: String(decoding: circuitNameBytes, as: UTF8.self), circuitVersion: circuitVersion,
            circuitHash: circuitHash, parameters: params, snapshotID: snapshotID, snapshotHash: snapshotHash,
            proverKey: proverKey, createdAt: createdAt, expiresAt: expiresAt, nonce: nonce,
            witnessBits: witnessBits, scales: scales, instrumentCommitments: instruments,
            collateralCommitments: collateral, auxiliaryMembers: aux, bookRoot: bookRoot,
            constraintCount: constraintCount, slackHighCommitments: highs, rangeProofs: proofs)
        return try AttestationV1(body: body, signature: signature)
    }
}
