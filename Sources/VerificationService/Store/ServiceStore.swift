import Attestation
import Foundation
import SystemCrypto

/// Every rule of the service's state, written once over `SQLDatabase` (SQLite or PostgreSQL).
///
/// Invariants the methods keep (each in one transaction):
/// - an attestation row exists only with its bytes stored, its nonce consumed, its commitments
///   recorded and an `attestation.accepted` audit entry (so a 202 means durable);
/// - a nonce is consumed by at most one attestation (`challenges.consumed_by`);
/// - a result row is written only by the worker holding the attestation's current claim, and at
///   most once (`results` primary key; the claim token is cleared in the same transaction);
/// - every state change appends one audit entry, chained by hash; the chain head row is the
///   last lock a writing transaction takes.
public struct ServiceStore: Sendable {
    public let db: any SQLDatabase

    public init(db: any SQLDatabase) { self.db = db }

    /// Opens and migrates the database at `location`.
    public static func open(_ location: DatabaseLocation) async throws -> ServiceStore {
        let db: any SQLDatabase
        switch location {
        case .sqlite(let path): db = try await SQLiteDatabase.open(path: path)
        case .postgres(let l): db = try await PostgresDatabase.open(l)
        }
        do { try await Schema.migrate(db) } catch { await db.close(); throw error }
        return ServiceStore(db: db)
    }

    public func close() async { await db.close() }

    // MARK: Audit

    /// Appends one entry; call last in a writing transaction (see the type's lock order).
    @discardableResult
    static func audit(_ tx: any SQLTransaction, _ d: SQLDialect, actor: String, action: String, subject: String,
                      details: [String: any Sendable] = [:], at: Int64 = WallClock.seconds()) async throws -> AuditEntry {
        let head = try await tx.query("SELECT seq, hash FROM audit_head WHERE id = 1\(d.rowLock)")
        guard let h = head.first else { throw StoreError.corrupt("audit_head row missing") }
        let seq = try h.int("seq") + 1
        let prevHex = try h.text("hash")
        guard let prev = Hex.decode(prevHex), prev.count == 32 else { throw StoreError.corrupt("audit_head hash is not 32 bytes of hex") }
        let text = AuditChain.canonical(details)
        let hash = Hex.encode(AuditChain.hash(seq: seq, at: at, actor: actor, action: action, subject: subject,
                                              details: text, prevHash: prev))
        try await tx.query("INSERT INTO audit (seq, at, actor, action, subject, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           [.int(seq), .int(at), .text(actor), .text(action), .text(subject), .text(text), .text(prevHex), .text(hash)])
        try await tx.query("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", [.int(seq), .text(hash)])
        return AuditEntry(seq: seq, at: at, actor: actor, action: action, subject: subject, details: text, prevHash: prevHex, hash: hash)
    }

    public func auditEntries(after: Int64, limit: Int, upTo last: Int64 = .max) async throws -> [AuditEntry] {
        try await db.transaction { tx in
            try await tx.query("SELECT * FROM audit WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?",
                               [.int(after), .int(last), .int(Int64(limit))]).map(Self.auditEntry)
        }
    }

    static func auditEntry(_ r: SQLRow) throws -> AuditEntry {
        AuditEntry(seq: try r.int("seq"), at: try r.int("at"), actor: try r.text("actor"), action: try r.text("action"),
                   subject: try r.text("subject"), details: try r.text("details"), prevHash: try r.text("prev_hash"),
                   hash: try r.text("hash"))
    }

    /// Recomputes the whole chain (in pages, so memory stays bounded) and reports the first break.
    /// Entries are read up to the head as it was at the start, so a service appending meanwhile
    /// cannot make an intact chain look truncated.
    public func verifyAudit(pageSize: Int = 5_000) async throws -> (entries: Int64, broken: AuditChain.Break?) {
        let head = try await db.transaction { tx in try await tx.query("SELECT seq, hash FROM audit_head WHERE id = 1") }
        guard let h = head.first else { return (0, AuditChain.Break(seq: 0, reason: "the chain head row is missing")) }
        let headSeq = try h.int("seq"), headHash = try h.text("hash")
        var checked: (seq: Int64, hash: [UInt8])? = nil
        while true {
            let page = try await auditEntries(after: checked?.seq ?? 0, limit: pageSize, upTo: headSeq)
            guard let last = page.last else { break }
            if let b = AuditChain.verify(page, after: checked, head: nil) { return (checked?.seq ?? 0, b) }
            checked = (last.seq, Hex.decode(last.hash) ?? [])
        }
        let count = checked?.seq ?? 0
        return (count, AuditChain.verify([], after: checked, head: (headSeq, headHash)))
    }

    // MARK: Public inputs

    /// Stores the snapshot bytes (content-addressed) and its row. Returns whether it was new.
    public func registerSnapshot(bytes: [UInt8], sha256: String, snapshotID: String, asOf: Int64,
                                 instruments: Int) async throws -> Bool {
        let d = db.dialect
        return try await db.transaction { tx in
            if try await !tx.query("SELECT sha256 FROM snapshots WHERE sha256 = ?", [.text(sha256)]).isEmpty { return false }
            try await Self.putBlob(tx, sha256: sha256, bytes: bytes)
            try await tx.query("INSERT INTO snapshots (sha256, snapshot_id, as_of, instruments, registered_at) VALUES (?, ?, ?, ?, ?)",
                               [.text(sha256), .text(snapshotID), .int(asOf), .int(Int64(instruments)), .int(WallClock.seconds())])
            try await Self.audit(tx, d, actor: "admin", action: "snapshot.registered", subject: sha256,
                                 details: ["snapshot_id": snapshotID, "as_of": asOf, "bytes": bytes.count])
            return true
        }
    }

    public func registerCircuit(source: String, hash: String, name: String, version: Int) async throws -> Bool {
        let d = db.dialect
        let bytes = Array(source.utf8)
        let sourceHash = Hex.encode(Digest.sha256.hash(bytes))
        return try await db.transaction { tx in
            if try await !tx.query("SELECT hash FROM circuits WHERE hash = ?", [.text(hash)]).isEmpty { return false }
            try await Self.putBlob(tx, sha256: sourceHash, bytes: bytes)
            try await tx.query("INSERT INTO circuits (hash, name, version, source_sha256, registered_at) VALUES (?, ?, ?, ?, ?)",
                               [.text(hash), .text(name), .int(Int64(version)), .text(sourceHash), .int(WallClock.seconds())])
            try await Self.audit(tx, d, actor: "admin", action: "circuit.registered", subject: hash,
                                 details: ["name": name, "version": version, "source_sha256": sourceHash])
            return true
        }
    }

    static func putBlob(_ tx: any SQLTransaction, sha256: String, bytes: [UInt8]) async throws {
        if try await tx.query("SELECT sha256 FROM blobs WHERE sha256 = ?", [.text(sha256)]).isEmpty {
            try await tx.query("INSERT INTO blobs (sha256, bytes) VALUES (?, ?)", [.text(sha256), .blob(bytes)])
        }
    }

    public func blob(_ sha256: String) async throws -> [UInt8]? {
        try await db.transaction { tx in
            try await tx.query("SELECT bytes FROM blobs WHERE sha256 = ?", [.text(sha256)]).first.map { try $0.blob("bytes") }
        }
    }

    public func snapshotBytes(_ sha256: String) async throws -> [UInt8]? {
        try await db.transaction { tx in
            guard try await !tx.query("SELECT sha256 FROM snapshots WHERE sha256 = ?", [.text(sha256)]).isEmpty else { return nil }
            return try await tx.query("SELECT bytes FROM blobs WHERE sha256 = ?", [.text(sha256)]).first.map { try $0.blob("bytes") }
        }
    }

    public func circuitSource(hash: String) async throws -> String? {
        try await db.transaction { tx in
            guard let row = try await tx.query("SELECT source_sha256 FROM circuits WHERE hash = ?", [.text(hash)]).first else { return nil }
            let sha = try row.text("source_sha256")
            return try await tx.query("SELECT bytes FROM blobs WHERE sha256 = ?", [.text(sha)]).first
                .map { String(decoding: try $0.blob("bytes"), as: UTF8.self) }
        }
    }

    // MARK: Members and keys

    public struct MemberKey: Sendable, Equatable, Codable {
        public var key: String
        public var pem: String
        public var addedAt: Int64
        public var revokedAt: Int64?
        enum CodingKeys: String, CodingKey { case key, pem; case addedAt = "added_at"; case revokedAt = "revoked_at" }
    }

    public struct Member: Sendable, Equatable, Codable {
        public var id: String
        public var name: String
        public var createdAt: Int64
        public var keys: [MemberKey]
        enum CodingKeys: String, CodingKey { case id, name, keys; case createdAt = "created_at" }
    }

    /// Creates a member with its keys (hex → PEM). Throws `Problem.keyInUse` when a key already
    /// belongs to a member (a key identifies exactly one member, so reports can name it).
    public func createMember(name: String, keys: [(hex: String, pem: String)]) async throws -> Member {
        let d = db.dialect
        let id = "m_" + Hex.encode(SecureRandom.bytes(8))
        let now = WallClock.seconds()
        return try await db.transaction { tx in
            try await tx.query("INSERT INTO members (id, name, created_at) VALUES (?, ?, ?)", [.text(id), .text(name), .int(now)])
            for k in keys { try await Self.insertKey(tx, member: id, hex: k.hex, pem: k.pem, at: now) }
            try await Self.audit(tx, d, actor: "admin", action: "member.created", subject: id,
                                 details: ["name": name, "keys": keys.map(\.hex)], at: now)
            return Member(id: id, name: name, createdAt: now,
                          keys: keys.map { MemberKey(key: $0.hex, pem: $0.pem, addedAt: now, revokedAt: nil) })
        }
    }

    static func insertKey(_ tx: any SQLTransaction, member: String, hex: String, pem: String, at: Int64) async throws {
        if let owner = try await tx.query("SELECT member_id FROM member_keys WHERE key = ?", [.text(hex)]).first {
            throw Problem.keyInUse("key \(hex) is already registered to member \(try owner.text("member_id"))")
        }
        try await tx.query("INSERT INTO member_keys (key, member_id, pem, added_at, revoked_at) VALUES (?, ?, ?, ?, NULL)",
                           [.text(hex), .text(member), .text(pem), .int(at)])
    }

    public func member(_ id: String) async throws -> Member? {
        try await db.transaction { tx in try await Self.member(tx, id) }
    }

    static func member(_ tx: any SQLTransaction, _ id: String) async throws -> Member? {
        guard let m = try await tx.query("SELECT * FROM members WHERE id = ?", [.text(id)]).first else { return nil }
        let keys = try await tx.query("SELECT * FROM member_keys WHERE member_id = ? ORDER BY added_at, key", [.text(id)]).map {
            MemberKey(key: try $0.text("key"), pem: try $0.text("pem"), addedAt: try $0.int("added_at"), revokedAt: try $0.optionalInt("revoked_at"))
        }
        return Member(id: try m.text("id"), name: try m.text("name"), createdAt: try m.int("created_at"), keys: keys)
    }

    public func listMembers(after: String, limit: Int) async throws -> [Member] {
        try await db.transaction { tx in
            var out: [Member] = []
            for r in try await tx.query("SELECT id FROM members WHERE id > ? ORDER BY id LIMIT ?", [.text(after), .int(Int64(limit))]) {
                if let m = try await Self.member(tx, try r.text("id")) { out.append(m) }
            }
            return out
        }
    }

    /// Adds a key to a member (rotation: add the new key, then revoke the old one).
    public func addKey(member: String, hex: String, pem: String) async throws -> Member {
        let d = db.dialect
        return try await db.transaction { tx in
            guard try await !tx.query("SELECT id FROM members WHERE id = ?\(d.rowLock)", [.text(member)]).isEmpty else {
                throw Problem.unknownMember(member)
            }
            try await Self.insertKey(tx, member: member, hex: hex, pem: pem, at: WallClock.seconds())
            try await Self.audit(tx, d, actor: "admin", action: "key.added", subject: member, details: ["key": hex])
            return try await Self.member(tx, member)!
        }
    }

    /// Revokes a key: attestations it signs are refused from now on (and queued ones it signed
    /// are reported invalid with `revoked_key`). Revoking twice is a no-op.
    public func revokeKey(member: String, hex: String) async throws -> Member {
        let d = db.dialect
        return try await db.transaction { tx in
            guard let row = try await tx.query("SELECT revoked_at FROM member_keys WHERE key = ? AND member_id = ?\(d.rowLock)",
                                               [.text(hex), .text(member)]).first else {
                if try await tx.query("SELECT id FROM members WHERE id = ?", [.text(member)]).isEmpty { throw Problem.unknownMember(member) }
                throw Problem.notFound("member \(member) has no key \(hex)")
            }
            if try row.optionalInt("revoked_at") == nil {
                try await tx.query("UPDATE member_keys SET revoked_at = ? WHERE key = ?", [.int(WallClock.seconds()), .text(hex)])
                try await Self.audit(tx, d, actor: "admin", action: "key.revoked", subject: member, details: ["key": hex])
            }
            return try await Self.member(tx, member)!
        }
    }

    /// Who owns a key, and whether it is revoked.
    public func keyOwner(_ hex: String) async throws -> (member: String, name: String, pem: String, revoked: Bool)? {
        try await db.transaction { tx in
            guard let r = try await tx.query("""
                SELECT k.member_id, k.pem, k.revoked_at, m.name FROM member_keys k JOIN members m ON m.id = k.member_id WHERE k.key = ?
                """, [.text(hex)]).first else { return nil }
            return (try r.text("member_id"), try r.text("name"), try r.text("pem"), try r.optionalInt("revoked_at") != nil)
        }
    }

    // MARK: Challenges

    public struct Challenge: Sendable, Equatable {
        public var nonce: String
        public var member: String
        public var issuedAt: Int64
        public var expiresAt: Int64
    }

    /// Issues a fresh 32-byte nonce, at most `perMinute` per member in any 60 s.
    public func issueChallenge(member: String, ttlSeconds: Int64, perMinute: Int) async throws -> Challenge {
        let d = db.dialect
        let nonce = Hex.encode(SecureRandom.bytes(32))
        let now = WallClock.seconds()
        return try await db.transaction { tx in
            // Locking the member row serialises concurrent challenge requests for one member, so
            // the count below cannot be raced past the limit.
            guard try await !tx.query("SELECT id FROM members WHERE id = ?\(d.rowLock)", [.text(member)]).isEmpty else {
                throw Problem.unknownMember(member)
            }
            let recent = try await tx.query("SELECT COUNT(*) AS n FROM challenges WHERE member_id = ? AND issued_at > ?",
                                            [.text(member), .int(now - 60)])
            if try recent.first?.int("n") ?? 0 >= Int64(perMinute) {
                throw Problem.rateLimited("member \(member) may request at most \(perMinute) challenges a minute")
            }
            let c = Challenge(nonce: nonce, member: member, issuedAt: now, expiresAt: now + ttlSeconds)
            try await tx.query("INSERT INTO challenges (nonce, member_id, issued_at, expires_at, consumed_by) VALUES (?, ?, ?, ?, NULL)",
                               [.text(nonce), .text(member), .int(now), .int(c.expiresAt)])
            try await Self.audit(tx, d, actor: "member:\(member)", action: "challenge.issued", subject: member,
                                 details: ["nonce": nonce, "expires_at": c.expiresAt], at: now)
            return c
        }
    }

    // MARK: Intake

    /// What the API checked before storing: a decoded attestation with a good signature by `key`.
    public struct Intake: Sendable {
        public var id: String
        public var bytes: [UInt8]
        public var key: String
        public var snapshot: String
        public var circuit: String
        public var nonce: String?
        public var createdAt: Int64
        public var expiresAt: Int64
        /// Hex encodings of every Pedersen commitment in the attestation.
        public var commitments: [String]
    }

    public enum Accepted: Sendable, Equatable {
        case new(id: String, member: String)
        case existing(id: String, status: String)
    }

    /// Stores an attestation and consumes its nonce, atomically. Same bytes again → the existing
    /// row (whatever its nonce's state: the nonce was consumed by this very attestation).
    public func accept(_ a: Intake) async throws -> Accepted {
        let d = db.dialect
        return try await db.transaction { tx in
            if let r = try await tx.query("SELECT status FROM attestations WHERE id = ?", [.text(a.id)]).first {
                return .existing(id: a.id, status: try r.text("status"))
            }
            guard let k = try await tx.query("SELECT member_id, revoked_at FROM member_keys WHERE key = ?", [.text(a.key)]).first else {
                throw Problem.unknownKey(a.key)
            }
            let member = try k.text("member_id")
            if try k.optionalInt("revoked_at") != nil { throw Problem.revokedKey(member, a.key) }
            guard try await !tx.query("SELECT sha256 FROM snapshots WHERE sha256 = ?", [.text(a.snapshot)]).isEmpty else {
                throw Problem.unknownSnapshot(a.snapshot)
            }
            guard try await !tx.query("SELECT hash FROM circuits WHERE hash = ?", [.text(a.circuit)]).isEmpty else {
                throw Problem.unknownCircuit(a.circuit)
            }
            guard let nonce = a.nonce else { throw Problem.nonceMissing }
            let now = WallClock.seconds(), us = WallClock.micros()
            guard let c = try await tx.query("SELECT member_id, expires_at, consumed_by FROM challenges WHERE nonce = ?\(d.rowLock)",
                                             [.text(nonce)]).first else { throw Problem.nonceUnknown(nonce) }
            let owner = try c.text("member_id")
            guard owner == member else {
                throw Problem.nonceWrongMember("nonce \(nonce) was issued to member \(owner), the attestation is signed by member \(member)'s key")
            }
            if let used = try c.optionalText("consumed_by") {
                throw Problem.nonceReplayed("nonce \(nonce) was already used by attestation \(used)")
            }
            let expires = try c.int("expires_at")
            guard now < expires else {
                throw Problem.nonceExpired("the challenge for nonce \(nonce) expired at \(Self.iso(expires))")
            }
            try await tx.query("UPDATE challenges SET consumed_by = ? WHERE nonce = ?", [.text(a.id), .text(nonce)])
            try await Self.putBlob(tx, sha256: a.id, bytes: a.bytes)
            try await tx.query("""
                INSERT INTO attestations (id, member_id, key, snapshot_sha256, circuit_hash, nonce, created_at, expires_at,
                                          received_at, received_us, status, claim_token, lease_until, attempts)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', NULL, NULL, 0)
                """, [.text(a.id), .text(member), .text(a.key), .text(a.snapshot), .text(a.circuit), .text(nonce),
                      .int(a.createdAt), .int(a.expiresAt), .int(now), .int(us)])
            for p in Set(a.commitments) {
                try await tx.query("INSERT INTO commitments (point, attestation_id) VALUES (?, ?)", [.text(p), .text(a.id)])
            }
            try await Self.audit(tx, d, actor: "member:\(member)", action: "attestation.accepted", subject: a.id,
                                 details: ["key": a.key, "snapshot": a.snapshot, "circuit": a.circuit, "nonce": nonce,
                                           "bytes": a.bytes.count], at: now)
            return .new(id: a.id, member: member)
        }
    }

    static func iso(_ t: Int64) -> String {
        let f = ISO8601DateFormatter(); f.formatOptions = [.withInternetDateTime]
        return f.string(from: Date(timeIntervalSince1970: TimeInterval(t)))
    }

    // MARK: Queries

    public struct AttestationRecord: Sendable, Equatable {
        public var id: String
        public var member: String
        public var memberName: String
        public var key: String
        public var snapshot: String
        public var circuit: String
        public var createdAt: Int64
        public var expiresAt: Int64
        public var receivedAt: Int64
        public var receivedMicros: Int64
        public var status: String
        public var valid: Bool?
        public var failureCode: String?
        public var report: String?
        public var verifiedAt: Int64?
    }

    static let recordColumns = """
        a.id, a.member_id, m.name, a.key, a.snapshot_sha256, a.circuit_hash, a.created_at, a.expires_at, a.received_at,
        a.received_us, a.status, r.valid, r.failure_code, r.report, r.verified_at
        FROM attestations a JOIN members m ON m.id = a.member_id LEFT JOIN results r ON r.attestation_id = a.id
        """

    static func record(_ r: SQLRow) throws -> AttestationRecord {
        AttestationRecord(id: try r.text("id"), member: try r.text("member_id"), memberName: try r.text("name"),
                          key: try r.text("key"), snapshot: try r.text("snapshot_sha256"), circuit: try r.text("circuit_hash"),
                          createdAt: try r.int("created_at"), expiresAt: try r.int("expires_at"),
                          receivedAt: try r.int("received_at"), receivedMicros: try r.int("received_us"),
                          status: try r.text("status"), valid: try r.optionalInt("valid").map { $0 != 0 },
                          failureCode: try r.optionalText("failure_code"), report: try r.optionalText("report"),
                          verifiedAt: try r.optionalInt("verified_at"))
    }

    public func attestation(_ id: String) async throws -> AttestationRecord? {
        try await db.transaction { tx in
            try await tx.query("SELECT \(Self.recordColumns) WHERE a.id = ?", [.text(id)]).first.map(Self.record)
        }
    }

    /// A member's attestations, newest first, `limit` per page; `before` is the previous page's
    /// last `received_us` cursor.
    public func memberAttestations(_ member: String, before: Int64?, limit: Int) async throws -> [AttestationRecord] {
        try await db.transaction { tx in
            try await tx.query("SELECT \(Self.recordColumns) WHERE a.member_id = ? AND a.received_us < ? ORDER BY a.received_us DESC, a.id LIMIT ?",
                               [.text(member), .int(before ?? .max), .int(Int64(limit))]).map(Self.record)
        }
    }

    /// The member's newest verified attestation that is valid and unexpired at `now`, and its
    /// newest verified one of any outcome.
    public func memberStanding(_ member: String, now: Int64) async throws -> (latestValid: AttestationRecord?, latest: AttestationRecord?, queued: Int64) {
        try await db.transaction { tx in
            let valid = try await tx.query("""
                SELECT \(Self.recordColumns) WHERE a.member_id = ? AND a.status = 'valid' AND a.expires_at > ?
                ORDER BY a.created_at DESC, a.received_us DESC LIMIT 1
                """, [.text(member), .int(now)]).first.map(Self.record)
            let latest = try await tx.query("""
                SELECT \(Self.recordColumns) WHERE a.member_id = ? AND a.status IN ('valid', 'invalid')
                ORDER BY a.received_us DESC LIMIT 1
                """, [.text(member)]).first.map(Self.record)
            let q = try await tx.query("SELECT COUNT(*) AS n FROM attestations WHERE member_id = ? AND status IN ('queued', 'verifying')",
                                       [.text(member)]).first?.int("n") ?? 0
            return (valid, latest, q)
        }
    }

    public func queueDepth() async throws -> Int64 {
        try await db.transaction { tx in
            try await tx.query("SELECT COUNT(*) AS n FROM attestations WHERE status IN ('queued', 'verifying')").first?.int("n") ?? 0
        }
    }

    public func ping() async throws {
        _ = try await db.transaction { tx in try await tx.query("SELECT 1 AS one") }
    }
}
