import Attestation
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Prover
import RiskEngine
import SystemCrypto
import Verifier
import XCTest
@testable import VerificationService

/// The two real stores every service test runs against. PostgreSQL comes from
/// RISKATTEST_TEST_POSTGRES_URL (`make test` starts a server through .ci/postgres.sh); without
/// it the PostgreSQL half fails rather than silently skipping, unless
/// RISKATTEST_TEST_SKIP_POSTGRES=1 is set explicitly for a quick local run.
enum Backend: String, CaseIterable, Sendable {
    case sqlite, postgres

    static var all: [Backend] {
        ProcessInfo.processInfo.environment["RISKATTEST_TEST_SKIP_POSTGRES"] == "1" ? [.sqlite] : allCases
    }

    static var postgresURL: String? { ProcessInfo.processInfo.environment["RISKATTEST_TEST_POSTGRES_URL"] }
}

/// A fresh, empty database of the backend's kind: a new SQLite file, or the test PostgreSQL
/// database with its schema dropped and recreated (tests run one at a time).
struct TestDatabase: Sendable {
    var location: DatabaseLocation
    var directory: URL

    static func fresh(_ backend: Backend) async throws -> TestDatabase {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ra-svc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        switch backend {
        case .sqlite:
            return TestDatabase(location: .sqlite(path: dir.appendingPathComponent("service.db").path), directory: dir)
        case .postgres:
            guard let url = Backend.postgresURL else {
                XCTFail("RISKATTEST_TEST_POSTGRES_URL is not set: run the tests with `make test` (it starts PostgreSQL), or set RISKATTEST_TEST_SKIP_POSTGRES=1")
                throw XCTSkip("no PostgreSQL")
            }
            let location = try DatabaseLocation(parsing: url)
            guard case .postgres(let l) = location else { throw XCTSkip("not a postgres URL") }
            let db = try await PostgresDatabase.open(l)
            try await db.transaction { tx in
                try await tx.query("DROP SCHEMA public CASCADE")
                try await tx.query("CREATE SCHEMA public")
            }
            await db.close()
            return TestDatabase(location: location, directory: dir)
        }
    }
}

/// Public inputs and keys shared by the service tests: the example snapshot re-dated to a
/// minute ago (the policy allows a one-hour-old snapshot at creation, and validity is judged at
/// receipt), the solvency circuit, and two member keys.
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let adminToken = "test-admin-token-0123456789"

    static func file(_ relative: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: root.appendingPathComponent(relative)))
    }

    static let asOf: Int64 = WallClock.seconds() - 60
    static let market: [UInt8] = {
        guard let m = try? MarketRestamp.shift(try file("Examples/market.json"), toAsOf: asOf) else { fatalError("example market") }
        return m
    }()
    static var portfolio: [UInt8] { (try? file("Examples/portfolio.json")) ?? [] }
    static var solvency: String { String(decoding: (try? file("Circuits/solvency.circuit")) ?? [], as: UTF8.self) }

    static let keyA: Ed25519PrivateKey = { try! Ed25519PrivateKey(seed: [UInt8](repeating: 0x51, count: 32)) }()
    static let keyB: Ed25519PrivateKey = { try! Ed25519PrivateKey(seed: [UInt8](repeating: 0x52, count: 32)) }()
    static let keyC: Ed25519PrivateKey = { try! Ed25519PrivateKey(seed: [UInt8](repeating: 0x53, count: 32)) }()

    /// Proves the solvency circuit on the example book with `nonce`, signed by `key`.
    static func attestation(nonce: [UInt8]?, key: Ed25519PrivateKey = keyA, parameters: [String: String] = [:],
                            createdAt: Int64 = WallClock.seconds(), validFor: Int64 = 86_400) throws -> AttestationV1 {
        try Prover.prove(ProveRequest(marketBytes: market, portfolioBytes: portfolio, circuitSource: solvency, key: key,
                                      parameters: parameters, nonce: nonce, createdAt: createdAt,
                                      validForSeconds: validFor)).attestation
    }

    /// `a` re-signed after `change` edits its body fields (as an attacker or a buggy prover would).
    static func resigned(_ a: AttestationV1, key: Ed25519PrivateKey = keyA, nonce: [UInt8]?? = nil,
                         rangeProofs: [AggregatedRangeProof]? = nil) throws -> AttestationV1 {
        let b = a.body
        let body = try AttestationBody(
            circuitName: b.circuitName, circuitVersion: b.circuitVersion, circuitHash: b.circuitHash,
            parameters: b.parameters, snapshotID: b.snapshotID, snapshotHash: b.snapshotHash,
            proverKey: key.publicKey.rawBytes, createdAt: b.createdAt, expiresAt: b.expiresAt,
            nonce: nonce ?? b.nonce, witnessBits: b.witnessBits, scales: b.scales,
            instrumentCommitments: b.instrumentCommitments, collateralCommitments: b.collateralCommitments,
            auxiliaryMembers: b.auxiliaryMembers, bookRoot: b.bookRoot, constraintCount: b.constraintCount,
            slackHighCommitments: b.slackHighCommitments, rangeProofs: rangeProofs ?? b.rangeProofs)
        return try AttestationV1(body: body, signature: key.sign(body.signedMessage))
    }

    /// `a` with one bit of its last range proof flipped, re-signed: only the proof check catches it.
    static func proofCorrupted(_ a: AttestationV1, key: Ed25519PrivateKey = keyA) throws -> AttestationV1 {
        var proofs = a.rangeProofs
        let k = proofs.count - 1
        var bytes = proofs[k].bytes
        bytes[bytes.count - 40] ^= 1
        proofs[k] = try AggregatedRangeProof(kind: proofs[k].kind, bitSize: proofs[k].bitSize,
                                             valueCount: proofs[k].valueCount, bytes: bytes)
        return try resigned(a, key: key, rangeProofs: proofs)
    }

    static func configuration(role: ServiceConfiguration.Role = .api) -> ServiceConfiguration {
        var c = ServiceConfiguration()
        c.role = role
        c.port = 0
        c.leaseSeconds = 2
        c.pollMilliseconds = 20
        c.workerName = "test-worker"
        c.challengesPerMinute = 1000
        return c
    }

    static func binary() throws -> URL {
        let candidates = [URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
                          Bundle.main.bundleURL.deletingLastPathComponent()]
            .map { $0.appendingPathComponent("riskattest") }
        guard let bin = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw XCTSkip("riskattest binary not built next to the tests")
        }
        return bin
    }
}

/// One service under test: its store, environment and a manually driven worker (tests run the
/// worker a batch at a time, so every step is deterministic).
struct Harness: Sendable {
    var backend: Backend
    var database: TestDatabase
    var env: ServiceEnvironment
    var worker: VerificationWorker

    static func make(_ backend: Backend, configure: (inout ServiceConfiguration) -> Void = { _ in }) async throws -> Harness {
        let db = try await TestDatabase.fresh(backend)
        var config = Fixtures.configuration()
        config.database = db.location
        configure(&config)
        let store = try await ServiceStore.open(db.location)
        let env = ServiceEnvironment(config: config, store: store, adminToken: Fixtures.adminToken)
        return Harness(backend: backend, database: db, env: env,
                       worker: VerificationWorker(store: store, config: config, metrics: env.metrics, wake: env.wake))
    }

    var store: ServiceStore { env.store }

    func close() async { await env.store.close() }

    /// Runs `body` against the router (no sockets).
    func withClient<T: Sendable>(_ body: @Sendable (ServiceClient) async throws -> T) async throws -> T {
        let app = buildApplication(env)
        return try await app.test(.router) { client in try await body(ServiceClient(client: client)) }
    }

    /// Drains the queue with the test worker; returns how many results it stored.
    @discardableResult
    func drain() async throws -> Int {
        var total = 0
        while true {
            let n = try await worker.runOnce()
            if n == 0 { return total }
            total += n
        }
    }
}

/// Runs `body` once per backend, each on a fresh database, naming the backend in failures.
func forEachBackend(_ body: (Harness) async throws -> Void,
                    configure: (inout ServiceConfiguration) -> Void = { _ in },
                    file: StaticString = #filePath, line: UInt = #line) async throws {
    for backend in Backend.all {
        let h = try await Harness.make(backend, configure: configure)
        do { try await body(h) } catch {
            await h.close()
            XCTFail("[\(backend)] \(error)", file: file, line: line)
            continue
        }
        await h.close()
    }
}

/// A thin JSON client over Hummingbird's test client.
struct ServiceClient: Sendable {
    let client: any TestClientProtocol

    struct Reply: Sendable {
        var status: HTTPResponse.Status
        var contentType: String?
        var body: [UInt8]
        var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
        }
        var problemType: String? { json["type"] as? String }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    func send(_ method: HTTPRequest.Method, _ uri: String, admin: Bool = false, contentType: String? = nil,
              body: [UInt8]? = nil) async throws -> Reply {
        var headers = HTTPFields()
        if admin { headers[.authorization] = "Bearer \(Fixtures.adminToken)" }
        if let contentType { headers[.contentType] = contentType }
        let r = try await client.execute(uri: uri, method: method, headers: headers,
                                         body: body.map { ByteBuffer(bytes: $0) })
        return Reply(status: r.status, contentType: r.headers[.contentType], body: Array(r.body.readableBytesView))
    }

    func json(_ method: HTTPRequest.Method, _ uri: String, admin: Bool = false, _ object: [String: Any]) async throws -> Reply {
        try await send(method, uri, admin: admin, contentType: "application/json",
                       body: Array(try JSONSerialization.data(withJSONObject: object)))
    }

    /// Registers the fixture snapshot and circuit, and a member with `keys`; returns its id.
    func setUp(keys: [Ed25519PrivateKey] = [Fixtures.keyA], name: String = "Acme Trading") async throws -> String {
        let s = try await send(.post, "/v1/snapshots", admin: true, contentType: "application/json", body: Fixtures.market)
        XCTAssertTrue([.created, .ok].contains(s.status), s.text)
        let c = try await send(.post, "/v1/circuits", admin: true, contentType: "text/plain", body: Array(Fixtures.solvency.utf8))
        XCTAssertTrue([.created, .ok].contains(c.status), c.text)
        let m = try await json(.post, "/v1/members", admin: true, ["name": name, "public_keys": keys.map(\.publicKey.pem)])
        XCTAssertEqual(m.status, .created, m.text)
        return m.json["id"] as? String ?? ""
    }

    func challenge(_ member: String) async throws -> [UInt8] {
        let r = try await json(.post, "/v1/challenges", ["member": member])
        XCTAssertEqual(r.status, .created, r.text)
        return Hex.decode(r.json["nonce"] as? String ?? "") ?? []
    }

    func submit(_ a: AttestationV1) async throws -> Reply {
        try await send(.post, "/v1/attestations", contentType: "application/octet-stream", body: a.encode())
    }

    func attestation(_ id: String) async throws -> [String: Any] {
        try await send(.get, "/v1/attestations/\(id)").json
    }
}
