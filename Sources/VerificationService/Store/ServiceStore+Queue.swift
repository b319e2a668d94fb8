import Attestation
import Foundation
import SystemCrypto

/// The work queue: claims, leases and results.
///
/// A worker claims a batch — queued attestations of one (snapshot, circuit), oldest first — by
/// writing a fresh claim token and a lease deadline into their rows. On PostgreSQL the rows are
/// selected `FOR UPDATE SKIP LOCKED`, so concurrent workers take disjoint batches without
/// waiting. While verifying, the worker extends the lease (`extendLease`); a worker that dies
/// stops extending, and once its lease passes, its rows are claimable again. A result is stored
/// only under the current claim token (`finish`), in the transaction that clears it: a worker
/// whose lease was taken over stores nothing, and no attestation ever has two results.
extension ServiceStore {
    public struct ClaimedItem: Sendable {
        public var id: String
        public var member: String
        public var memberName: String
        public var key: String
        public var pem: String
        public var keyRevoked: Bool
        public var nonce: String
        public var receivedAt: Int64
        public var receivedMicros: Int64
        public var bytes: [UInt8]
    }

    public struct Batch: Sendable {
        public var token: String
        public var snapshot: String
        public var circuit: String
        public var items: [ClaimedItem]
    }

    /// Claims up to `limit` attestations of the oldest claimable attestation's (snapshot, circuit).
    public func claimBatch(worker: String, limit: Int, leaseSeconds: Int64) async throws -> Batch? {
        let d = db.dialect
        let token = Hex.encode(SecureRandom.bytes(16))
        return try await db.transaction { tx in
            // Leases in milliseconds: a one-second lease must not lapse after a few milliseconds
            // just because the second turned over.
            let now = WallClock.seconds(), nowMs = WallClock.micros() / 1000
            let claimable = "(status = 'queued' OR (status = 'verifying' AND lease_until < ?))"
            guard let head = try await tx.query("""
                SELECT snapshot_sha256, circuit_hash FROM attestations WHERE \(claimable)
                ORDER BY received_us, id LIMIT 1\(d.claimLock)
                """, [.int(nowMs)]).first else { return nil }
            let snapshot = try head.text("snapshot_sha256"), circuit = try head.text("circuit_hash")
            let rows = try await tx.query("""
                SELECT id, status FROM attestations WHERE \(claimable) AND snapshot_sha256 = ? AND circuit_hash = ?
                ORDER BY received_us, id LIMIT ?\(d.claimLock)
                """, [.int(nowMs), .text(snapshot), .text(circuit), .int(Int64(limit))])
            guard !rows.isEmpty else { return nil }
            let ids = try rows.map { try $0.text("id") }
            let reclaimed = try rows.filter { try $0.text("status") == "verifying" }.map { try $0.text("id") }
            var items: [ClaimedItem] = []
            for id in ids {
                try await tx.query("UPDATE attestations SET status = 'verifying', claim_token = ?, lease_until = ?, attempts = attempts + 1 WHERE id = ?",
                                   [.text(token), .int(nowMs + leaseSeconds * 1000), .text(id)])
                guard let r = try await tx.query("""
                    SELECT a.id, a.member_id, m.name, a.key, k.pem, k.revoked_at, a.nonce, a.received_at, a.received_us, b.bytes
                    FROM attestations a JOIN members m ON m.id = a.member_id JOIN member_keys k ON k.key = a.key
                    JOIN blobs b ON b.sha256 = a.id WHERE a.id = ?
                    """, [.text(id)]).first else { throw StoreError.corrupt("attestation \(id) lost its bytes or key") }
                items.append(ClaimedItem(id: id, member: try r.text("member_id"), memberName: try r.text("name"),
                                         key: try r.text("key"), pem: try r.text("pem"),
                                         keyRevoked: try r.optionalInt("revoked_at") != nil, nonce: try r.text("nonce"),
                                         receivedAt: try r.int("received_at"), receivedMicros: try r.int("received_us"),
                                         bytes: try r.blob("bytes")))
            }
            try await Self.audit(tx, d, actor: "worker:\(worker)", action: "batch.claimed", subject: token,
                                 details: ["attestations": ids, "reclaimed": reclaimed, "snapshot": snapshot, "circuit": circuit],
                                 at: now)
            return Batch(token: token, snapshot: snapshot, circuit: circuit, items: items)
        }
    }

    /// Pushes the lease of every row still under `token` to `now + leaseSeconds`.
    public func extendLease(token: String, leaseSeconds: Int64) async throws {
        try await db.transaction { tx in
            try await tx.query("UPDATE attestations SET lease_until = ? WHERE claim_token = ?",
                               [.int(WallClock.micros() / 1000 + leaseSeconds * 1000), .text(token)])
        }
    }

    public struct Outcome: Sendable {
        public var id: String
        public var valid: Bool
        public var failureCode: String?
        /// The stored report (JSON).
        public var report: String
    }

    /// Stores results for the rows still under `token`; returns the ids stored (a row whose
    /// claim was taken over is skipped: its new owner will store it).
    public func finish(token: String, worker: String, batchSize: Int, outcomes: [Outcome]) async throws -> [String] {
        let d = db.dialect
        return try await db.transaction { tx in
            let now = WallClock.seconds(), us = WallClock.micros()
            var stored: [String] = []
            for o in outcomes {
                let owned = try await tx.query("SELECT id FROM attestations WHERE id = ? AND claim_token = ?\(d.rowLock)",
                                               [.text(o.id), .text(token)])
                guard !owned.isEmpty else { continue }
                try await tx.query("UPDATE attestations SET status = ?, claim_token = NULL, lease_until = NULL WHERE id = ?",
                                   [.text(o.valid ? "valid" : "invalid"), .text(o.id)])
                try await tx.query("""
                    INSERT INTO results (attestation_id, valid, failure_code, report, verified_at, verified_us, worker, batch_size)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """, [.text(o.id), .int(o.valid ? 1 : 0), .optional(o.failureCode), .text(o.report), .int(now), .int(us),
                          .text(worker), .int(Int64(batchSize))])
                stored.append(o.id)
            }
            for (o, id) in zip(outcomes.filter { stored.contains($0.id) }, stored) {
                var details: [String: any Sendable] = ["status": o.valid ? "valid" : "invalid"]
                if let c = o.failureCode { details["failure_code"] = c }
                try await Self.audit(tx, d, actor: "worker:\(worker)", action: "attestation.verified", subject: id,
                                     details: details, at: now)
            }
            return stored
        }
    }

    /// Other attestations sharing any Pedersen commitment with `id` (a blinding reused across
    /// attestations: equal commitments reveal equal values, and differences of commitments with
    /// one blinding reveal differences of values). Returns (other id, shared count), sorted.
    public func blindingReuse(_ id: String) async throws -> [(id: String, shared: Int64)] {
        try await blindingReuse([id])[id] ?? []
    }

    /// `blindingReuse` for a whole batch in one transaction: on SQLite every transaction waits
    /// behind the intakes queued on the single connection, so one lookup transaction per
    /// attestation starved the worker under load (BENCHMARKS.md "Verification service: load").
    public func blindingReuse(_ ids: [String]) async throws -> [String: [(id: String, shared: Int64)]] {
        try await db.transaction { tx in
            var out: [String: [(id: String, shared: Int64)]] = [:]
            for id in ids { out[id] = try await Self.blindingReuse(tx, id) }
            return out
        }
    }

    static func blindingReuse(_ tx: any SQLTransaction, _ id: String) async throws -> [(id: String, shared: Int64)] {
        try await tx.query("""
                SELECT c2.attestation_id AS other, COUNT(*) AS n FROM commitments c1
                JOIN commitments c2 ON c2.point = c1.point AND c2.attestation_id <> c1.attestation_id
                WHERE c1.attestation_id = ? GROUP BY c2.attestation_id ORDER BY c2.attestation_id
                """, [.text(id)]).map { (try $0.text("other"), try $0.int("n")) }
    }
}
