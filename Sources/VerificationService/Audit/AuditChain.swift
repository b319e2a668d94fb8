import Attestation
import Foundation
import SystemCrypto

/// One entry of the audit log (SPEC §18.4).
public struct AuditEntry: Sendable, Equatable, Codable {
    public var seq: Int64
    /// Unix seconds.
    public var at: Int64
    /// Who caused the change: "admin", "member:<id>", "worker:<name>", "service".
    public var actor: String
    /// What happened, e.g. "attestation.accepted", "attestation.verified".
    public var action: String
    /// The object changed (an attestation id, a member id, a key, a hash).
    public var subject: String
    /// Canonical JSON of the details (sorted keys, no whitespace).
    public var details: String
    /// Hex SHA-256 of the previous entry (64 zeros before the first).
    public var prevHash: String
    public var hash: String

    enum CodingKeys: String, CodingKey {
        case seq, at, actor, action, subject, details, hash
        case prevHash = "prev_hash"
    }
}

/// The hash chain of the audit log. Each entry's hash covers its fields and the previous entry's
/// hash, so editing, deleting, inserting or reordering any entry changes every later hash: a
/// verifier that recomputes the chain from the first entry finds the first broken link.
///
///     hash_n = SHA-256( "riskattest/audit/v1" ‖ u64(seq) ‖ i64(at) ‖ lp(actor) ‖ lp(action)
///                       ‖ lp(subject) ‖ lp(details) ‖ prev_hash_n )
///
/// with big-endian integers, lp(x) = u32(len(x)) ‖ UTF-8 bytes of x, and prev_hash_n the 32 raw
/// bytes of hash_{n−1} (32 zero bytes for n = 1). Sequence numbers start at 1 and have no gaps.
public enum AuditChain {
    public static let domain = Array("riskattest/audit/v1".utf8)
    public static let genesisHex = String(repeating: "0", count: 64)

    public static func hash(seq: Int64, at: Int64, actor: String, action: String, subject: String,
                            details: String, prevHash: [UInt8]) -> [UInt8] {
        var m = domain
        func u64(_ v: UInt64) { for s in stride(from: 56, through: 0, by: -8) { m.append(UInt8(truncatingIfNeeded: v >> UInt64(s))) } }
        func lp(_ s: String) {
            let b = Array(s.utf8)
            let n = UInt32(b.count)
            for s in stride(from: 24, through: 0, by: -8) { m.append(UInt8(truncatingIfNeeded: n >> UInt32(s))) }
            m += b
        }
        u64(UInt64(bitPattern: seq)); u64(UInt64(bitPattern: at))
        lp(actor); lp(action); lp(subject); lp(details)
        m += prevHash
        return Digest.sha256.hash(m)
    }

    /// Where the chain breaks, if it does.
    public struct Break: Sendable, Equatable, CustomStringConvertible {
        public var seq: Int64
        public var reason: String
        public var description: String { "entry \(seq): \(reason)" }
    }

    /// Recomputes the chain over `entries` (in `seq` order) and compares its end with the stored
    /// head when one is given. `after` is the last entry already checked (its `seq` and hash), so a
    /// long chain can be checked page by page; nil starts at entry 1 with the all-zero hash.
    /// Returns the first broken link, nil when intact.
    public static func verify(_ entries: [AuditEntry], after: (seq: Int64, hash: [UInt8])? = nil,
                              head: (seq: Int64, hash: String)?) -> Break? {
        var prev = after?.hash ?? [UInt8](repeating: 0, count: 32)
        var expectedSeq: Int64 = (after?.seq ?? 0) + 1
        for e in entries {
            guard e.seq == expectedSeq else {
                return Break(seq: e.seq, reason: "sequence number \(e.seq) where \(expectedSeq) was expected (an entry is missing or was inserted)")
            }
            guard e.prevHash == Hex.encode(prev) else {
                return Break(seq: e.seq, reason: "prev_hash does not equal the hash of entry \(e.seq - 1)")
            }
            let h = hash(seq: e.seq, at: e.at, actor: e.actor, action: e.action, subject: e.subject,
                         details: e.details, prevHash: prev)
            guard e.hash == Hex.encode(h) else {
                return Break(seq: e.seq, reason: "the stored hash does not match the entry's contents (the entry was altered)")
            }
            prev = h; expectedSeq += 1
        }
        if let head {
            let last = expectedSeq - 1
            if head.seq != last || head.hash != Hex.encode(prev) {
                return Break(seq: last + 1, reason: "the chain ends at entry \(last) but its head records entry \(head.seq) (entries were removed)")
            }
        }
        return nil
    }

    /// Canonical JSON for `details`: sorted keys, no whitespace, strings escaped by
    /// JSONSerialization (so the same details always hash the same).
    static func canonical(_ details: [String: any Sendable]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: details, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
