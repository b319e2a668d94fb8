import Attestation
import Dispatch
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import SystemCrypto
import Verifier

/// The worker role: claims queued attestations in batches of one (snapshot, circuit), verifies
/// each batch with one joint range-proof check (the verifier re-checks every attestation alone
/// when the joint check fails, so one bad proof cannot sink its batch-mates), and stores one
/// result per attestation under its claim (`ServiceStore.finish`).
///
/// Verification runs on a dedicated dispatch queue, not on the Swift concurrency pool, so a
/// long batch never starves the HTTP handlers of an `--role all` process.
public final class VerificationWorker: Service, Sendable {
    let store: ServiceStore
    let config: ServiceConfiguration
    let metrics: ServiceMetrics
    let logger: Logger
    let wake: WakeSignal
    /// Warm verifier state for the (snapshot, circuit, policy) shapes in use: parsed snapshots,
    /// statement systems, prepared generators and fixed-base tables, kept across batches within
    /// the configured memory budget (least recently used evicted first). A worker verifying the
    /// same snapshot and circuit all day derives none of it twice.
    let context: VerifierContext
    /// Registered snapshot bytes and circuit sources by (snapshot SHA-256, circuit hash). Both are
    /// content-addressed and immutable, so a batch of a pair seen before reads nothing from the
    /// store; cleared when it reaches `inputCacheLimit` pairs.
    private let inputs = Mutex<[String: (market: [UInt8], circuit: String)]>([:])
    private static let inputCacheLimit = 16
    private let queue = DispatchQueue(label: "riskattest.verifier", qos: .userInitiated)

    public init(store: ServiceStore, config: ServiceConfiguration, metrics: ServiceMetrics, wake: WakeSignal,
                logger: Logger = Logger(label: "riskattest.worker")) {
        self.store = store; self.config = config; self.metrics = metrics; self.wake = wake; self.logger = logger
        self.context = VerifierContext(memoryBudget: config.verifierMemoryBudgetBytes)
    }

    public func run() async throws {
        logger.info("worker \(config.workerName) started (batch \(config.batchSize), lease \(config.leaseSeconds) s)")
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    if try await self.runOnce() == 0 {
                        await self.wake.wait(upTo: .milliseconds(self.config.pollMilliseconds))
                    }
                } catch is CancellationError {
                    break
                } catch {
                    // Storage down or similar: back off, keep the process alive, retry.
                    self.logger.error("worker: \(error)")
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
        logger.info("worker \(config.workerName) stopped")
    }

    /// Claims and verifies one batch; returns how many results were stored.
    @discardableResult
    public func runOnce() async throws -> Int {
        guard let batch = try await store.claimBatch(worker: config.workerName, limit: config.batchSize,
                                                     leaseSeconds: config.leaseSeconds) else {
            metrics.queueDepth.record(0)
            return 0
        }
        // Keep the lease alive while verifying; a crash stops this, and the lease lapses.
        let heartbeat = Task { [store, config] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(max(100, config.leaseSeconds * 1000 / 3)))
                if Task.isCancelled { break }
                try? await store.extendLease(token: batch.token, leaseSeconds: config.leaseSeconds)
            }
        }
        defer { heartbeat.cancel() }
        let outcomes = try await verify(batch)
        let stored = try await store.finish(token: batch.token, worker: config.workerName, batchSize: batch.items.count,
                                            outcomes: outcomes.map(\.outcome))
        let nowMicros = WallClock.micros()
        for o in outcomes where stored.contains(o.outcome.id) {
            metrics.verification(valid: o.outcome.valid, failureCode: o.outcome.failureCode)
            metrics.latency.recordMicroseconds(max(0, nowMicros - o.receivedMicros))
            if o.blindingReuse { metrics.blindingReuse.increment() }
        }
        metrics.batchSize.record(batch.items.count)
        if let depth = try? await store.queueDepth() { metrics.queueDepth.record(depth) }
        return stored.count
    }

    struct ItemOutcome { var outcome: ServiceStore.Outcome; var receivedMicros: Int64; var blindingReuse: Bool }

    func verify(_ batch: ServiceStore.Batch) async throws -> [ItemOutcome] {
        let (market, circuit) = try await publicInputs(snapshot: batch.snapshot, circuit: batch.circuit)
        // Revoked keys are decided here, not by the verifier: the key was good at intake, and
        // a revocation since then must still stop the attestation counting.
        var requests: [VerificationRequest] = []
        var slots: [Int] = []
        for (k, item) in batch.items.enumerated() where !item.keyRevoked {
            guard let key = try? Ed25519PublicKey(pem: item.pem) else { continue }
            requests.append(VerificationRequest(attestationBytes: item.bytes, marketBytes: market, circuitSource: circuit,
                                                trustedKeys: [key], expectedNonce: Hex.decode(item.nonce),
                                                now: item.receivedAt, policy: config.policy))
            slots.append(k)
        }
        let work = requests, context = self.context
        let started = ContinuousClock.now
        let (reports, isolated) = await withCheckedContinuation { (c: CheckedContinuation<([VerificationReport], Bool), Never>) in
            queue.async { c.resume(returning: Verifier.verifyBatchDetailed(work, context: context)) }
        }
        metrics.verifyTime.recordNanoseconds((ContinuousClock.now - started).nanoseconds)
        if isolated { metrics.isolations.increment() }

        var byItem: [Int: VerificationReport] = [:]
        for (slot, r) in zip(slots, reports) { byItem[slot] = r }
        var out: [ItemOutcome] = []
        let reuses = try await store.blindingReuse(batch.items.map(\.id))
        for (k, item) in batch.items.enumerated() {
            let reuse = reuses[item.id] ?? []
            var report = StoredReport(attestation: item.id, member: .init(id: item.member, name: item.memberName), key: item.key,
                                      valid: false, failureCode: nil, reason: nil, verification: nil,
                                      blindingReuse: reuse.map { .init(attestation: $0.id, sharedCommitments: $0.shared) },
                                      batch: .init(size: batch.items.count, jointCheckFailed: isolated))
            if let r = byItem[k] {
                report.valid = r.valid; report.failureCode = r.failureCode; report.reason = r.reason; report.verification = r
            } else if item.keyRevoked {
                report.failureCode = "revoked_key"
                report.reason = "member \(item.member)'s key \(item.key) was revoked before verification"
            } else {
                report.failureCode = "untrusted_prover"
                report.reason = "the member key on record does not parse"
            }
            out.append(ItemOutcome(outcome: .init(id: item.id, valid: report.valid, failureCode: report.failureCode,
                                                  report: report.json()),
                                   receivedMicros: item.receivedMicros, blindingReuse: !reuse.isEmpty))
        }
        return out
    }
}

extension VerificationWorker {
    func publicInputs(snapshot: String, circuit: String) async throws -> (market: [UInt8], circuit: String) {
        let key = snapshot + "/" + circuit
        if let hit = inputs.withLock({ $0[key] }) { return hit }
        guard let market = try await store.snapshotBytes(snapshot),
              let source = try await store.circuitSource(hash: circuit) else {
            throw StoreError.corrupt("snapshot \(snapshot) or circuit \(circuit) missing")
        }
        inputs.withLock { cache in
            if cache.count >= Self.inputCacheLimit { cache.removeAll() }
            cache[key] = (market, source)
        }
        return (market, source)
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let c = components
        return c.seconds * 1_000_000_000 + c.attoseconds / 1_000_000_000
    }
}

/// The report the service stores and serves for one attestation (`GET /v1/attestations/{id}`).
public struct StoredReport: Codable, Sendable, Equatable {
    public struct MemberRef: Codable, Sendable, Equatable { public var id: String; public var name: String }
    public struct Reuse: Codable, Sendable, Equatable { public var attestation: String; public var sharedCommitments: Int64 }
    public struct BatchInfo: Codable, Sendable, Equatable { public var size: Int; public var jointCheckFailed: Bool }

    public var schema = "riskattest/service-report/v1"
    public var attestation: String
    public var member: MemberRef
    public var key: String
    public var valid: Bool
    public var failureCode: String?
    public var reason: String?
    /// The verifier's full report (absent when the service refused before verifying).
    public var verification: VerificationReport?
    /// Attestations sharing a Pedersen commitment with this one (blinding reuse); empty when none.
    public var blindingReuse: [Reuse]
    public var batch: BatchInfo

    init(attestation: String, member: MemberRef, key: String, valid: Bool, failureCode: String?, reason: String?,
         verification: VerificationReport?, blindingReuse: [Reuse], batch: BatchInfo) {
        self.attestation = attestation; self.member = member; self.key = key; self.valid = valid
        self.failureCode = failureCode; self.reason = reason; self.verification = verification
        self.blindingReuse = blindingReuse; self.batch = batch
    }

    func json() -> String {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? e.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }
}

/// Wakes an idle worker when an attestation arrives in the same process (`--role all`), so the
/// worker need not poll fast to answer fast. Across processes the poll interval bounds the delay.
public final class WakeSignal: Sendable {
    private struct State { var pending = false; var waiter: CheckedContinuation<Void, Never>? }
    private let state = Mutex(State())

    public init() {}

    public func signal() {
        let w: CheckedContinuation<Void, Never>? = state.withLock { s in
            if let w = s.waiter { s.waiter = nil; return w }
            s.pending = true
            return nil
        }
        w?.resume()
    }

    /// Returns at the next signal (or at once if one is pending), or after `timeout`.
    func wait(upTo timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    let now: Bool = self.state.withLock { s in
                        if s.pending { s.pending = false; return true }
                        s.waiter = c
                        return false
                    }
                    if now { c.resume() }
                }
            }
            // Signal also when cancelled: the waiter above does not see cancellation, and without
            // this a graceful shutdown (SIGTERM) left `waitForAll` hanging and the process running
            // (found by Tests/conformance, whose server never stopped on SIGTERM).
            group.addTask { try? await Task.sleep(for: timeout); self.signal() }
            await group.next()
            group.cancelAll()
            await group.waitForAll()
        }
        state.withLock { $0.pending = false }
    }
}
