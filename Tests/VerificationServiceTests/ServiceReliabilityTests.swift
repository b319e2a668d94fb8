import Attestation
import Foundation
import SystemCrypto
import XCTest
@testable import VerificationService

/// Nothing lost, nothing verified twice: leases, concurrent workers, a worker killed with
/// SIGKILL mid-batch, and a tampered audit log — on SQLite and on PostgreSQL.
final class ServiceReliabilityTests: XCTestCase {
    /// Queues `count` valid attestations for one member (proved in-process, each with its own
    /// challenge); returns their ids.
    static func queue(_ h: Harness, count: Int) async throws -> [String] {
        try await h.withClient { api in
            let member = try await api.setUp()
            var ids: [String] = []
            for _ in 0..<count {
                let r = try await api.submit(try Fixtures.attestation(nonce: try await api.challenge(member)))
                XCTAssertEqual(r.status, .accepted, r.text)
                ids.append(r.json["id"] as! String)
            }
            return ids
        }
    }

    /// Per attestation: results stored and `attestation.verified` audit entries.
    static func tally(_ store: ServiceStore) async throws -> (results: [String: Int], verified: [String: Int], statuses: [String: String]) {
        try await store.db.transaction { tx in
            var results: [String: Int] = [:], verified: [String: Int] = [:], statuses: [String: String] = [:]
            for r in try await tx.query("SELECT attestation_id FROM results") { results[try r.text("attestation_id"), default: 0] += 1 }
            for r in try await tx.query("SELECT subject FROM audit WHERE action = 'attestation.verified'") {
                verified[try r.text("subject"), default: 0] += 1
            }
            for r in try await tx.query("SELECT id, status FROM attestations") { statuses[try r.text("id")] = try r.text("status") }
            return (results, verified, statuses)
        }
    }

    /// A worker whose lease lapsed (it stalled) cannot store a result over its successor's.
    func testLapsedLeaseIsTakenOverAndTheStaleWorkerStoresNothing() async throws {
        try await forEachBackend({ h in
            let ids = try await Self.queue(h, count: 2)
            let stale = try await h.store.claimBatch(worker: "stalled", limit: 10, leaseSeconds: 1)
            XCTAssertEqual(stale?.items.count, 2)
            let v1 = try await h.store.claimBatch(worker: "other", limit: 10, leaseSeconds: 1)
            XCTAssertNil(v1, "claimed rows are not claimable")
            try await Task.sleep(for: .milliseconds(1_200))
            let v2 = try await h.worker.runOnce()
            XCTAssertEqual(v2, 2, "the successor takes the lapsed claim over")
            let late = try await h.store.finish(token: stale!.token, worker: "stalled", batchSize: 2,
                                                outcomes: ids.map { .init(id: $0, valid: false, failureCode: "x", report: "{}") })
            XCTAssertEqual(late, [], "the stale worker stores nothing")
            let t = try await Self.tally(h.store)
            for id in ids {
                XCTAssertEqual(t.results[id], 1); XCTAssertEqual(t.verified[id], 1); XCTAssertEqual(t.statuses[id], "valid")
            }
            let reclaimed = try await h.store.auditEntries(after: 0, limit: 1000).filter { $0.action == "batch.claimed" }
            XCTAssertTrue(reclaimed.last?.details.contains("\"reclaimed\":[\"") ?? false, "the takeover is audited")
        }, configure: { c in c.leaseSeconds = 1 })
    }

    /// Two workers, each with its own connection(s), drain one queue concurrently: every
    /// attestation verified exactly once, none skipped. On PostgreSQL the claims use
    /// FOR UPDATE SKIP LOCKED; on SQLite the write lock serialises them.
    func testTwoWorkersNeverVerifyTheSameAttestationTwice() async throws {
        try await forEachBackend({ h in
            let ids = try await Self.queue(h, count: 12)
            var config = h.env.config
            config.batchSize = 2
            let storeA = try await ServiceStore.open(h.database.location)
            let storeB = try await ServiceStore.open(h.database.location)
            config.workerName = "A"
            let a = VerificationWorker(store: storeA, config: config, metrics: ServiceMetrics(), wake: WakeSignal())
            config.workerName = "B"
            let b = VerificationWorker(store: storeB, config: config, metrics: ServiceMetrics(), wake: WakeSignal())
            async let na = Self.drain(a)
            async let nb = Self.drain(b)
            let (countA, countB) = try await (na, nb)
            await storeA.close(); await storeB.close()
            XCTAssertEqual(countA + countB, ids.count)
            let t = try await Self.tally(h.store)
            for id in ids {
                XCTAssertEqual(t.results[id], 1, "one result for \(id)")
                XCTAssertEqual(t.verified[id], 1, "verified once: \(id)")
                XCTAssertEqual(t.statuses[id], "valid")
            }
            // Claims partition the queue: no id in two batches.
            let claims = try await h.store.auditEntries(after: 0, limit: 1000).filter { $0.action == "batch.claimed" }
            var seen: [String: Int] = [:]
            for c in claims {
                let d = try JSONSerialization.jsonObject(with: Data(c.details.utf8)) as? [String: Any] ?? [:]
                for id in d["attestations"] as? [String] ?? [] { seen[id, default: 0] += 1 }
            }
            XCTAssertEqual(seen.count, ids.count)
            XCTAssertTrue(seen.values.allSatisfy { $0 == 1 }, "\(seen)")
            XCTAssertTrue(Set(claims.map(\.actor)).count == 2 || h.backend == .sqlite,
                          "on PostgreSQL both workers took batches: \(Set(claims.map(\.actor)))")
            let v3 = try await h.store.verifyAudit().broken
            XCTAssertNil(v3)
        }, configure: { c in c.leaseSeconds = 30 })
    }

    static func drain(_ w: VerificationWorker) async throws -> Int {
        var total = 0
        while true {
            let n = try await w.runOnce()
            if n == 0 { return total }
            total += n
        }
    }

    /// SIGKILL the worker process mid-batch, restart it: every accepted attestation ends with
    /// exactly one stored result.
    func testWorkerKilledMidBatchLosesNothing() async throws {
        let bin = try Fixtures.binary()
        try await forEachBackend({ h in
            let ids = try await Self.queue(h, count: 10)
            let config = h.database.directory.appendingPathComponent("worker.json")
            try Data(#"{"batch_size": 3, "lease_seconds": 2, "poll_ms": 50, "worker_name": "killed"}"#.utf8).write(to: config)
            func start() throws -> Process {
                let p = Process()
                p.executableURL = bin
                p.arguments = ["serve", "--role", "worker", "--port", "0", "--config", config.path,
                               "--database", h.database.location.urlForTests]
                p.environment = ["RISKATTEST_ADMIN_TOKEN": Fixtures.adminToken, "LOG_LEVEL": "error"]
                p.standardOutput = FileHandle.nullDevice
                p.standardError = FileHandle.nullDevice
                try p.run()
                return p
            }
            // Kill while a batch is claimed and unfinished, after at least one batch finished.
            let first = try start()
            var killedMidBatch = false
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline {
                let t = try await Self.tally(h.store)
                if !t.results.isEmpty, t.statuses.values.contains("verifying") {
                    kill(first.processIdentifier, SIGKILL); killedMidBatch = true; break
                }
                if t.results.count == ids.count { break }
                try await Task.sleep(for: .milliseconds(5))
            }
            first.waitUntilExit()
            XCTAssertTrue(killedMidBatch, "the worker was killed in the middle of a batch")
            let before = try await Self.tally(h.store)
            XCTAssertLessThan(before.results.count, ids.count, "work was left when it died")

            let second = try start()
            defer { if second.isRunning { second.terminate(); second.waitUntilExit() } }
            let deadline2 = Date().addingTimeInterval(90)
            while Date() < deadline2 {
                if try await Self.tally(h.store).results.count == ids.count { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            second.terminate()   // SIGTERM: graceful shutdown
            second.waitUntilExit()
            XCTAssertEqual(second.terminationStatus, 0, "graceful shutdown exits 0")
            let t = try await Self.tally(h.store)
            for id in ids {
                XCTAssertEqual(t.results[id], 1, "exactly one result for \(id)")
                XCTAssertEqual(t.verified[id], 1)
                XCTAssertEqual(t.statuses[id], "valid")
            }
            let v4 = try await h.store.verifyAudit().broken
            XCTAssertNil(v4)
        }, configure: { c in c.leaseSeconds = 2 })
    }

    /// Altering, deleting or truncating audit entries is found, at the first broken link.
    func testAuditChainFindsTheFirstBrokenLink() async throws {
        try await forEachBackend { h in
            _ = try await Self.queue(h, count: 1)
            try await h.drain()
            let clean = try await h.store.verifyAudit()
            XCTAssertNil(clean.broken)
            XCTAssertGreaterThanOrEqual(clean.entries, 7)

            try await h.store.db.transaction { tx in
                try await tx.query("UPDATE audit SET details = ? WHERE seq = 3", [.text("{\"name\":\"Someone Else\"}")])
            }
            let altered = try await h.store.verifyAudit()
            XCTAssertEqual(altered.broken?.seq, 3, "\(String(describing: altered.broken))")
            XCTAssertTrue(altered.broken?.reason.contains("altered") ?? false)

            try await h.store.db.transaction { tx in try await tx.query("DELETE FROM audit WHERE seq = 3") }
            let v5 = try await h.store.verifyAudit().broken?.seq
            XCTAssertEqual(v5, 4, "a deleted entry breaks the next link")
        }
    }

    /// `riskattest audit verify` reports the break with exit 1 (0 when intact, 2 when unreadable).
    func testAuditVerifyCommand() async throws {
        let bin = try Fixtures.binary()
        try await forEachBackend { h in
            _ = try await Self.queue(h, count: 1)
            func run() throws -> (Int32, String) {
                let p = Process(), out = Pipe()
                p.executableURL = bin
                p.arguments = ["audit", "verify", "--database", h.database.location.urlForTests]
                p.standardOutput = out; p.standardError = out
                try p.run(); p.waitUntilExit()
                return (p.terminationStatus, String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
            }
            let (ok, okText) = try run()
            XCTAssertEqual(ok, 0, okText)
            XCTAssertTrue(okText.contains("intact"), okText)
            let last = try await h.store.auditEntries(after: 0, limit: 1000).last!.seq
            try await h.store.db.transaction { tx in try await tx.query("DELETE FROM audit WHERE seq = ?", [.int(last)]) }
            let (bad, badText) = try run()
            XCTAssertEqual(bad, 1, badText)
            XCTAssertTrue(badText.contains("BROKEN at entry \(last)"), badText)
        }
        let p = Process()
        p.executableURL = bin
        p.arguments = ["audit", "verify", "--database", "sqlite:/nonexistent/dir/x.db"]
        p.standardError = FileHandle.nullDevice; p.standardOutput = FileHandle.nullDevice
        try p.run(); p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 2)
    }
}

extension DatabaseLocation {
    /// The `--database` value naming this location, password included (tests only).
    var urlForTests: String {
        switch self {
        case .sqlite(let p): return "sqlite:\(p)"
        case .postgres(let l): return "postgres://\(l.user)\(l.password.map { ":\($0)" } ?? "")@\(l.host):\(l.port)/\(l.database)"
        }
    }
}

/// Processes starting together on an empty database (an API and two workers) migrate once.
final class ServiceMigrationTests: XCTestCase {
    func testConcurrentStartersMigrateOnce() async throws {
        for backend in Backend.all {
            let db = try await TestDatabase.fresh(backend)
            let stores = try await withThrowingTaskGroup(of: ServiceStore.self) { group in
                for _ in 0..<3 { group.addTask { try await ServiceStore.open(db.location) } }
                var out: [ServiceStore] = []
                for try await s in group { out.append(s) }
                return out
            }
            let versions = try await stores[0].db.transaction { tx in
                try await tx.query("SELECT version FROM schema_migrations").map { try $0.int("version") }
            }
            XCTAssertEqual(versions, [1], "[\(backend)]")
            for s in stores { try await s.ping(); await s.close() }
        }
    }
}
