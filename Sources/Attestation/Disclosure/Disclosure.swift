import Bulletproofs
import Ristretto255
import RiskEngine

/// Why an openings or disclosure file is unusable, or why a disclosure does not check out.
/// Member errors name the member index (and id where known).
public enum DisclosureError: Error, Equatable, CustomStringConvertible {
    case malformed(path: String, message: String)
    case wrongFileFormat(expected: String, got: String)
    case unsupportedVersion(Int)
    /// Openings files have their own version range (1 and 2), disclosures stay at 1.
    case unsupportedOpeningsVersion(Int)
    case attestationMismatch(expected: String, got: String)
    case leafCountMismatch(expected: Int, got: Int)
    case indexOutOfRange(index: Int, memberCount: Int)
    case duplicateIndex(Int)
    case openingsIncomplete(expected: Int, got: Int)
    case openingsRootMismatch
    case kindMismatch(index: Int, expected: MemberKind, got: MemberKind)
    case memberIDMismatch(index: Int, expected: String, got: String)
    case invalidPath(index: Int, reason: String)
    case rootMismatch(index: Int)
    case commitmentMismatch(index: Int, half: String)
    case quantityMismatch(index: Int, reason: String)
    case detailsSumMismatch(index: Int, sum: String, quantity: String)
    case unknownMember(String)
    case ambiguousMember(String)
    case noMembers

    /// Escaped with `UntrustedText` (RiskEngine): the message may quote text from an input file,
    /// which must not reach a terminal raw.
    public var description: String { UntrustedText.escape(unescapedDescription) }

    private var unescapedDescription: String {
        switch self {
        case .malformed(let p, let m): return "\(p): \(m)"
        case .wrongFileFormat(let e, let g): return "format: expected \"\(e)\", found \"\(g)\""
        case .unsupportedVersion(let v): return "version: unsupported file version \(v) (this build reads 1)"
        case .unsupportedOpeningsVersion(let v):
            return "version: unsupported openings file version \(v) (this build reads 1 and 2 and writes 2)"
        case .attestationMismatch(let e, let g):
            return "the file belongs to attestation \(g), not to this attestation (\(e))"
        case .leafCountMismatch(let e, let g): return "leafCount: the attestation has \(e) members, the file says \(g)"
        case .indexOutOfRange(let i, let n): return "member index \(i) is outside 0..<\(n)"
        case .duplicateIndex(let i): return "member index \(i) appears twice"
        case .openingsIncomplete(let e, let g): return "openings: expected one entry per member in order (\(e)), found \(g)"
        case .openingsRootMismatch: return "openings: the records do not reproduce the attestation's book root"
        case .kindMismatch(let i, let e, let g): return "member \(i): the attestation has a \(e) there, the record says \(g)"
        case .memberIDMismatch(let i, let e, let g): return "member \(i): expected id \"\(e)\", the record says \"\(g)\""
        case .invalidPath(let i, let r): return "member \(i): inclusion path unusable: \(r)"
        case .rootMismatch(let i): return "member \(i): the record and its path do not lead to the attested book root"
        case .commitmentMismatch(let i, let h):
            return "member \(i): the opening of \(h) does not reproduce the attested commitment"
        case .quantityMismatch(let i, let r): return "member \(i): \(r)"
        case .detailsSumMismatch(let i, let s, let q):
            return "member \(i): the positions listed sum to \(s), the record's quantity is \(q)"
        case .unknownMember(let id): return "no member with id \"\(id)\""
        case .ambiguousMember(let id): return "id \"\(id)\" names more than one member (instrument and collateral)"
        case .noMembers: return "a disclosure must open at least one member"
        }
    }
}

/// The opening of one member: its index in member order, leaf salt and record.
public struct MemberOpening: Sendable, Equatable {
    public let index: Int
    public let salt: [UInt8]
    public let record: PositionRecord
    public init(index: Int, salt: [UInt8], record: PositionRecord) {
        self.index = index; self.salt = salt; self.record = record
    }
}

/// What the prover keeps after proving (`FILE.openings`, mode 0600): for every member the salt,
/// the record and its Pedersen openings. With it the prover can later open any member to an
/// auditor; without it nothing can be disclosed. It is as secret as the book itself.
///
/// Version 2 (SPEC.md §15.2) may also carry `previous`: the openings of the attestation that
/// `FILE` held before a `prove` replaced it. Two files cannot be renamed atomically together, so
/// `prove` first installs openings that cover *both* the old and the new attestation, then renames
/// the new attestation into place, then drops `previous`. Whichever attestation a crash leaves at
/// `FILE`, the openings beside it hold its members: a pair is never mixed and openings are never
/// lost. Readers pick the set whose hash equals the attestation's (`openings(for:)`).
public struct OpeningsFile: Sendable, Equatable {
    public static let format = "riskattest-openings"
    /// The version this build writes. Version 1 (no `previous`) is still read: it is the same
    /// schema without that member, so refusing it would strand the openings of every attestation
    /// made before the change.
    public static let version = 2
    public static let readableVersions: ClosedRange<Int> = 1...2
    public static let maxBytes = 64 << 20

    public let attestationHash: [UInt8]
    /// One per member, indices 0..<memberCount in order.
    public let members: [MemberOpening]
    /// At most one element (an array only because a struct cannot contain itself directly).
    private let previousStorage: [OpeningsFile]

    /// The openings of the attestation being replaced, present only while `prove` updates a
    /// pair (or after it was interrupted). Never nested: a `previous` has no `previous` itself.
    public var previous: OpeningsFile? { previousStorage.first }

    public init(attestationHash: [UInt8], members: [MemberOpening], previous: OpeningsFile? = nil) throws(DisclosureError) {
        guard attestationHash.count == 32 else { throw .malformed(path: "attestation", message: "hash must be 32 bytes") }
        guard !members.isEmpty, members.count <= BookTree.maxLeaves else { throw .openingsIncomplete(expected: max(1, members.count), got: members.count) }
        for (k, m) in members.enumerated() {
            guard m.index == k else { throw .openingsIncomplete(expected: k, got: m.index) }
            guard m.salt.count == 32 else { throw .malformed(path: "members[\(k)].salt", message: "salt must be 32 bytes") }
        }
        if let p = previous {
            guard p.previous == nil else { throw .malformed(path: "previous", message: "must not carry a previous set itself") }
            guard p.attestationHash != attestationHash else {
                throw .malformed(path: "previous.attestation", message: "equals the file's own attestation hash")
            }
        }
        self.attestationHash = attestationHash
        self.members = members
        self.previousStorage = previous.map { [$0] } ?? []
    }

    /// For a `BookCommitment`, whose salts and records are already consistent.
    init(uncheckedHash: [UInt8], members: [MemberOpening]) {
        self.attestationHash = uncheckedHash
        self.members = members
        self.previousStorage = []
    }

    /// The openings of a freshly signed attestation (salts and records in member order).
    public init(attestation: AttestationV1, salts: [[UInt8]], records: [PositionRecord]) throws(DisclosureError) {
        guard salts.count == records.count else { throw .openingsIncomplete(expected: records.count, got: salts.count) }
        try self.init(attestationHash: attestation.hash,
                      members: records.indices.map { MemberOpening(index: $0, salt: salts[$0], record: records[$0]) })
        try checkAgainst(attestation)
    }

    /// These openings without `previous`: what `prove` leaves once the new attestation is in place.
    public var withoutPrevious: OpeningsFile { OpeningsFile(uncheckedHash: attestationHash, members: members) }

    /// These openings carrying `previous` (whose own `previous` is dropped), for the middle step
    /// of a pair update.
    public func carrying(previous p: OpeningsFile?) throws(DisclosureError) -> OpeningsFile {
        try OpeningsFile(attestationHash: attestationHash, members: members, previous: p?.withoutPrevious)
    }

    /// Every attestation hash these openings cover: their own, then `previous`'s.
    public var attestationHashes: [[UInt8]] { [attestationHash] + previousStorage.map(\.attestationHash) }

    /// The set (own or `previous`) whose attestation hash is `hash`, if any. No root check.
    public func set(forAttestationHash hash: [UInt8]) -> OpeningsFile? {
        if hash == attestationHash { return withoutPrevious }
        return previousStorage.first { $0.attestationHash == hash }
    }

    /// The set of openings that belongs to `attestation` (own or `previous`), checked against it
    /// (member count, book root). Throws `attestationMismatch` naming every hash the file covers
    /// when neither matches: the file belongs to another attestation.
    public func openings(for attestation: AttestationV1) throws(DisclosureError) -> OpeningsFile {
        let h = attestation.hash
        guard let s = set(forAttestationHash: h) else {
            throw .attestationMismatch(expected: TextRules.hex(h),
                                       got: attestationHashes.map(TextRules.hex).joined(separator: " or "))
        }
        try s.checkAgainst(attestation)
        return s
    }

    /// The openings belong to `attestation`: same hash, one entry per member, and the records
    /// reproduce the book root. (Only this file's own set; see `openings(for:)` for `previous`.)
    public func checkAgainst(_ attestation: AttestationV1) throws(DisclosureError) {
        let h = attestation.hash
        guard h == attestationHash else {
            throw .attestationMismatch(expected: TextRules.hex(h), got: TextRules.hex(attestationHash))
        }
        guard members.count == attestation.memberCount else {
            throw .openingsIncomplete(expected: attestation.memberCount, got: members.count)
        }
        guard let tree = try? tree(), tree.root == attestation.bookRoot else { throw .openingsRootMismatch }
    }

    public func tree() throws(BookTreeError) -> BookTree {
        try BookTree(salts: members.map(\.salt), records: members.map(\.record))
    }

    /// The members that hold `id`'s quantity: its own member, and for a collateral balance also its
    /// whole-unit companion `whole:collateral:<id>` (format v2 holds a balance as a fraction below one
    /// unit plus whole units, SPEC §14.1) — disclosing only the first would show the fraction alone.
    public func memberIndices(forID id: String) throws(DisclosureError) -> [Int] {
        let first = try memberIndex(forID: id)
        guard members.first(where: { $0.index == first })?.record.kind == .collateral,
              let whole = try? memberIndex(forID: "whole:collateral:\(id)") else { return [first] }
        return [first, whole]
    }

    /// Index of the member whose record id is `id` (an instrument or collateral id, or an
    /// auxiliary label).
    public func memberIndex(forID id: String) throws(DisclosureError) -> Int {
        let hits = members.filter { $0.record.memberID == id }
        guard let first = hits.first else { throw .unknownMember(id) }
        guard hits.count == 1 else { throw .ambiguousMember(id) }
        return first.index
    }

    /// A disclosure of the chosen members (sorted by index, duplicates rejected), after checking
    /// that these openings belong to `attestation`. Uses this file's own set only: call it on
    /// `openings(for:)` to disclose from `previous`.
    public func disclosure(of indices: [Int], attestation: AttestationV1) throws(DisclosureError) -> Disclosure {
        try checkAgainst(attestation)
        guard !indices.isEmpty else { throw .noMembers }
        let tree: BookTree
        do { tree = try self.tree() } catch { throw .openingsRootMismatch }
        var seen = Set<Int>()
        var out: [DisclosedMember] = []
        for i in indices.sorted() {
            guard i >= 0, i < members.count else { throw .indexOutOfRange(index: i, memberCount: members.count) }
            guard seen.insert(i).inserted else { throw .duplicateIndex(i) }
            let path: MerklePath
            do { path = try tree.path(for: i) } catch { throw .invalidPath(index: i, reason: error.description) }
            out.append(DisclosedMember(index: i, salt: members[i].salt, record: members[i].record, path: path.siblings))
        }
        return try Disclosure(attestationHash: attestationHash, leafCount: members.count, members: out)
    }

    public func json() -> [UInt8] {
        var s = "{\n  \"format\": \"\(Self.format)\",\n  \"version\": \(Self.version),\n"
        s += Self.setJSON(self, indent: "  ")
        if let p = previous {
            s += ",\n  \"previous\": {\n" + Self.setJSON(p, indent: "    ") + "\n  }"
        }
        s += "\n}\n"
        return Array(s.utf8)
    }

    /// `"attestation": …, "members": [ … ]` at `indent`, without a trailing newline.
    private static func setJSON(_ o: OpeningsFile, indent i: String) -> String {
        var s = "\(i)\"attestation\": \"\(TextRules.hex(o.attestationHash))\",\n\(i)\"members\": [\n"
        for (k, m) in o.members.enumerated() {
            s += "\(i)  {\n\(i)    \"index\": \(m.index),\n\(i)    \"salt\": \"\(TextRules.hex(m.salt))\",\n"
            s += "\(i)    \"record\": " + RecordJSON.write(m.record, indent: i + "    ") + "\n\(i)  }"
            s += k + 1 < o.members.count ? ",\n" : "\n"
        }
        return s + "\(i)]"
    }

    public static func parse(_ bytes: [UInt8]) throws(DisclosureError) -> OpeningsFile {
        let root = try JSONReader.object(try JSONReader.parse(bytes, maxBytes: maxBytes), "$",
                                         keys: ["format", "version", "attestation", "members"], optional: ["previous"])
        let f = try JSONReader.string(root["format"], "format")
        guard f == format else { throw .wrongFileFormat(expected: format, got: f) }
        let v = try JSONReader.int(root["version"], "version", range: 0...Int(Int32.max))
        guard readableVersions.contains(v) else { throw .unsupportedOpeningsVersion(v) }
        var previous: OpeningsFile? = nil
        if let pv = root["previous"] {
            guard v >= 2 else { throw .malformed(path: "previous", message: "unknown member in a version-1 openings file") }
            let p = try JSONReader.object(pv, "previous", keys: ["attestation", "members"])
            previous = try parseSet(p, "previous.")
        }
        return try OpeningsFile(attestationHash: try JSONReader.hex(root["attestation"], "attestation", count: 32),
                                members: try parseMembers(root["members"], "members"), previous: previous)
    }

    private static func parseSet(_ o: [String: JSONValue], _ prefix: String) throws(DisclosureError) -> OpeningsFile {
        try OpeningsFile(attestationHash: try JSONReader.hex(o["attestation"], prefix + "attestation", count: 32),
                         members: try parseMembers(o["members"], prefix + "members"))
    }

    private static func parseMembers(_ v: JSONValue?, _ path: String) throws(DisclosureError) -> [MemberOpening] {
        let arr = try JSONReader.array(v, path, max: BookTree.maxLeaves)
        var members: [MemberOpening] = []
        members.reserveCapacity(arr.count)
        for (k, mv) in arr.enumerated() {
            let p = "\(path)[\(k)]"
            let m = try JSONReader.object(mv, p, keys: ["index", "salt", "record"])
            members.append(MemberOpening(index: try JSONReader.int(m["index"], p + ".index", range: 0...BookTree.maxLeaves),
                                         salt: try JSONReader.hex(m["salt"], p + ".salt", count: 32),
                                         record: try RecordJSON.read(m["record"], p + ".record")))
        }
        return members
    }
}

/// One opened member in a disclosure: index, salt, record and the Merkle siblings to the root.
public struct DisclosedMember: Sendable, Equatable {
    public let index: Int
    public let salt: [UInt8]
    public let record: PositionRecord
    /// Sibling hashes from the leaf upwards (see `MerklePath`).
    public let path: [[UInt8]]
    public init(index: Int, salt: [UInt8], record: PositionRecord, path: [[UInt8]]) {
        self.index = index; self.salt = salt; self.record = record; self.path = path
    }
}

/// What the prover hands an auditor: the attestation it refers to (by hash) and the opened
/// members. Checked with `checkDisclosure(attestation:disclosure:)`.
public struct Disclosure: Sendable, Equatable {
    public static let format = "riskattest-disclosure"
    public static let version = 1
    public static let maxBytes = 64 << 20

    public let attestationHash: [UInt8]
    /// Number of leaves of the book tree (= members of the attestation).
    public let leafCount: Int
    /// Strictly increasing by index, at least one.
    public let members: [DisclosedMember]

    public init(attestationHash: [UInt8], leafCount: Int, members: [DisclosedMember]) throws(DisclosureError) {
        guard attestationHash.count == 32 else { throw .malformed(path: "attestation", message: "hash must be 32 bytes") }
        guard leafCount >= 1, leafCount <= BookTree.maxLeaves else {
            throw .malformed(path: "leafCount", message: "\(leafCount) is outside 1...\(BookTree.maxLeaves)")
        }
        guard !members.isEmpty else { throw .noMembers }
        for (k, m) in members.enumerated() {
            guard m.index >= 0, m.index < leafCount else { throw .indexOutOfRange(index: m.index, memberCount: leafCount) }
            if k > 0, members[k - 1].index >= m.index {
                if members[k - 1].index == m.index { throw .duplicateIndex(m.index) }
                throw .malformed(path: "members[\(k)].index", message: "members must be in increasing index order")
            }
            guard m.salt.count == 32 else { throw .malformed(path: "members[\(k)].salt", message: "salt must be 32 bytes") }
        }
        self.attestationHash = attestationHash
        self.leafCount = leafCount
        self.members = members
    }

    public func json() -> [UInt8] {
        var s = "{\n  \"format\": \"\(Self.format)\",\n  \"version\": \(Self.version),\n"
        s += "  \"attestation\": \"\(TextRules.hex(attestationHash))\",\n  \"leafCount\": \(leafCount),\n  \"members\": [\n"
        for (k, m) in members.enumerated() {
            s += "    {\n      \"index\": \(m.index),\n      \"salt\": \"\(TextRules.hex(m.salt))\",\n"
            s += "      \"record\": " + RecordJSON.write(m.record, indent: "      ") + ",\n"
            s += "      \"path\": [" + m.path.map { "\"\(TextRules.hex($0))\"" }.joined(separator: ", ") + "]\n    }"
            s += k + 1 < members.count ? ",\n" : "\n"
        }
        s += "  ]\n}\n"
        return Array(s.utf8)
    }

    public static func parse(_ bytes: [UInt8]) throws(DisclosureError) -> Disclosure {
        let root = try JSONReader.object(try JSONReader.parse(bytes, maxBytes: maxBytes), "$",
                                         keys: ["format", "version", "attestation", "leafCount", "members"])
        let f = try JSONReader.string(root["format"], "format")
        guard f == format else { throw .wrongFileFormat(expected: format, got: f) }
        let v = try JSONReader.int(root["version"], "version", range: 0...Int(Int32.max))
        guard v == version else { throw .unsupportedVersion(v) }
        let hash = try JSONReader.hex(root["attestation"], "attestation", count: 32)
        let leafCount = try JSONReader.int(root["leafCount"], "leafCount", range: 1...BookTree.maxLeaves)
        let arr = try JSONReader.array(root["members"], "members", max: BookTree.maxLeaves)
        var members: [DisclosedMember] = []
        for (k, mv) in arr.enumerated() {
            let p = "members[\(k)]"
            let m = try JSONReader.object(mv, p, keys: ["index", "salt", "record", "path"])
            let pathValues = try JSONReader.array(m["path"], p + ".path", max: 32)
            var path: [[UInt8]] = []
            for (j, h) in pathValues.enumerated() { path.append(try JSONReader.hex(h, "\(p).path[\(j)]", count: 32)) }
            members.append(DisclosedMember(index: try JSONReader.int(m["index"], p + ".index", range: 0...BookTree.maxLeaves),
                                           salt: try JSONReader.hex(m["salt"], p + ".salt", count: 32),
                                           record: try RecordJSON.read(m["record"], p + ".record"), path: path))
        }
        return try Disclosure(attestationHash: hash, leafCount: leafCount, members: members)
    }
}

/// A member whose disclosure checked out, in words.
public struct VerifiedMember: Sendable, Equatable, CustomStringConvertible {
    public let index: Int
    public let kind: MemberKind
    public let memberID: String
    /// Exact aggregated quantity (or balance) at 10^-8; for an auxiliary member its value in its
    /// own unit (10^-unitDigits).
    public let quantityUnits: Int64
    /// The committed witness value x⁺ − x⁻, in units of 10^-unitDigits.
    public let witnessValue: Int64
    public let unitDigits: Int
    public let details: [PositionDetail]

    /// Ids, entry prices, venues and accounts come from the disclosure file, written by the
    /// other party: each is escaped (`UntrustedText`) so that it cannot drive the auditor's terminal
    /// or forge report lines.
    public var description: String {
        var s = "\(kind) #\(index) \(UntrustedText.escape(memberID)): "
        s += kind == .collateral ? "balance " : (kind == .auxiliary ? "value " : "net quantity ")
        s += DecimalText.format(quantityUnits, digits: kind == .auxiliary ? unitDigits : 8)
        s += " (committed as \(DecimalText.format(witnessValue, digits: unitDigits)) at 10^-\(unitDigits))"
        if !details.isEmpty {
            s += "; positions: " + details.map { d in
                var t = DecimalText.format(d.quantityUnits, digits: 8)
                if !d.entryPrice.isEmpty { t += " @ " + UntrustedText.escape(d.entryPrice) }
                let place = [d.venue, d.account].filter { !$0.isEmpty }.map(UntrustedText.escape).joined(separator: "/")
                if !place.isEmpty { t += " on " + place }
                return t
            }.joined(separator: ", ")
        }
        return s
    }
}

/// The result of a successful disclosure check.
public struct DisclosureReport: Sendable, Equatable, CustomStringConvertible {
    public let attestationHash: [UInt8]
    public let bookRoot: [UInt8]
    public let members: [VerifiedMember]

    public var description: String {
        var s = "disclosure of \(members.count) member(s) of attestation \(TextRules.hex(attestationHash)) checks out:\n"
        s += "  (each record opens its attested commitments and its salted leaf leads to book root \(TextRules.hex(bookRoot)))\n"
        for m in members { s += "  \(m)\n" }
        return s
    }
}

enum DecimalText {
    /// v·10^-digits as canonical decimal text.
    static func format(_ v: Int64, digits: Int) -> String {
        let neg = v < 0
        var mag = String(v.magnitude)
        if digits > 0 {
            if mag.count <= digits { mag = String(repeating: "0", count: digits - mag.count + 1) + mag }
            let cut = mag.index(mag.endIndex, offsetBy: -digits)
            var frac = String(mag[cut...])
            while frac.last == "0" { frac.removeLast() }
            mag = String(mag[..<cut]) + (frac.isEmpty ? "" : "." + frac)
        }
        return (neg && v != 0 ? "-" : "") + mag
    }
}

/// The signed value x⁺ − x⁻, or nil when it does not fit Int64.
func signedDifference(_ plus: UInt64, _ minus: UInt64) -> Int64? {
    if plus >= minus {
        let d = plus - minus
        return d <= UInt64(Int64.max) ? Int64(d) : nil
    }
    let d = minus - plus
    if d == UInt64(Int64.max) + 1 { return Int64.min }
    return d <= UInt64(Int64.max) ? -Int64(d) : nil
}

/// Checks a disclosure against an attestation, member by member:
///
/// 1. the disclosure names this attestation (SHA-256 of its encoding) and its member count;
/// 2. each member's kind matches the attestation's member layout (and its id the auxiliary label,
///    or `memberIDs[index]` when the caller supplies the snapshot's ids);
/// 3. leaf(index, salt, record) with the path's siblings leads to the attested book root;
/// 4. the openings reproduce the attested commitments: C⁺ = x⁺·B + r⁺·B̃ and C⁻ = x⁻·B + r⁻·B̃
///    with contract F's `PedersenGens.standard`;
/// 5. the record is consistent: x⁺ − x⁻ at the member's unit exponent d equals the 10^-8 quantity
///    (exactly when d ≤ 8: quantity = x·10^(8−d); when d > 8: quantity = x / 10^(d−8) truncated
///    toward zero), and listed positions, if any, sum to the quantity.
///
/// The signature and proofs are not checked here: verify the attestation itself separately.
public func checkDisclosure(attestation: AttestationV1, disclosure: Disclosure,
                            memberIDs: [String]? = nil) throws(DisclosureError) -> DisclosureReport {
    let h = attestation.hash
    guard disclosure.attestationHash == h else {
        throw .attestationMismatch(expected: TextRules.hex(h), got: TextRules.hex(disclosure.attestationHash))
    }
    let n = attestation.memberCount
    guard disclosure.leafCount == n else { throw .leafCountMismatch(expected: n, got: disclosure.leafCount) }
    if let ids = memberIDs, ids.count != n - attestation.auxiliaryMembers.count {
        throw .malformed(path: "memberIDs", message: "\(ids.count) ids supplied, the attestation has \(n - attestation.auxiliaryMembers.count) instruments and collateral assets")
    }
    let gens = PedersenGens.standard
    var verified: [VerifiedMember] = []
    for m in disclosure.members {
        let i = m.index
        guard let kind = attestation.memberKind(at: i), let pair = attestation.commitment(ofMember: i),
              let digits = attestation.unitDigits(ofMember: i) else { throw .indexOutOfRange(index: i, memberCount: n) }
        let r = m.record
        guard r.kind == kind else { throw .kindMismatch(index: i, expected: kind, got: r.kind) }
        if kind == .auxiliary {
            let label = attestation.auxiliaryMembers[i - attestation.instrumentCommitments.count - attestation.collateralCommitments.count].label
            guard r.memberID == label else { throw .memberIDMismatch(index: i, expected: label, got: r.memberID) }
        } else if let ids = memberIDs, r.memberID != ids[i] {
            throw .memberIDMismatch(index: i, expected: ids[i], got: r.memberID)
        }
        let path = MerklePath(index: i, leafCount: n, siblings: m.path)
        let root: [UInt8]
        do { root = try path.root(fromLeaf: BookTree.leafHash(index: i, salt: m.salt, record: r)) } catch {
            throw .invalidPath(index: i, reason: error.description)
        }
        guard root == attestation.bookRoot else { throw .rootMismatch(index: i) }
        guard gens.commit(value: Scalar(r.plus), blinding: r.blindingPlus) == pair.plus.point else {
            throw .commitmentMismatch(index: i, half: "x⁺")
        }
        guard gens.commit(value: Scalar(r.minus), blinding: r.blindingMinus) == pair.minus.point else {
            throw .commitmentMismatch(index: i, half: "x⁻")
        }
        guard let x = signedDifference(r.plus, r.minus) else {
            throw .quantityMismatch(index: i, reason: "x⁺ − x⁻ does not fit a signed 64-bit integer")
        }
        if kind == .auxiliary {
            // Auxiliary records (settlement, margin witnesses, whole-unit companions) carry the
            // committed value itself, in the member's own unit (SPEC §15.1).
            guard x == r.quantityUnits else {
                throw .quantityMismatch(index: i, reason: "committed value \(DecimalText.format(x, digits: digits)) does not equal the record's value \(DecimalText.format(r.quantityUnits, digits: digits))")
            }
        } else if digits <= 8 {
            var scale: Int64 = 1
            for _ in 0..<(8 - digits) { scale *= 10 }
            let (q, overflow) = x.multipliedReportingOverflow(by: scale)
            guard !overflow, q == r.quantityUnits else {
                throw .quantityMismatch(index: i, reason: "committed value \(DecimalText.format(x, digits: digits)) does not equal the record's quantity \(DecimalText.format(r.quantityUnits, digits: 8))")
            }
        } else {
            var scale: Int64 = 1
            for _ in 0..<(digits - 8) { scale *= 10 }
            guard x / scale == r.quantityUnits else {
                throw .quantityMismatch(index: i, reason: "committed value \(DecimalText.format(x, digits: digits)) truncated to 10^-8 does not equal the record's quantity \(DecimalText.format(r.quantityUnits, digits: 8))")
            }
        }
        if !r.details.isEmpty {
            var sum: Int64 = 0
            var overflow = false
            for d in r.details {
                let (s, o) = sum.addingReportingOverflow(d.quantityUnits)
                sum = s
                overflow = overflow || o
            }
            guard !overflow, sum == r.quantityUnits else {
                throw .detailsSumMismatch(index: i, sum: overflow ? "more than 2^63 units" : DecimalText.format(sum, digits: 8),
                                          quantity: DecimalText.format(r.quantityUnits, digits: 8))
            }
        }
        verified.append(VerifiedMember(index: i, kind: kind, memberID: r.memberID, quantityUnits: r.quantityUnits,
                                       witnessValue: x, unitDigits: digits, details: r.details))
    }
    return DisclosureReport(attestationHash: h, bookRoot: attestation.bookRoot, members: verified)
}

extension MarketSnapshot {
    /// The ids of the attestation's instrument and collateral members, in member order, for
    /// `checkDisclosure(attestation:disclosure:memberIDs:)`.
    public var attestationMemberIDs: [String] { instruments.map(\.id) + collateral.map(\.id) }
}
