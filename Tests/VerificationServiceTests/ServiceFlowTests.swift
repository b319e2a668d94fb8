import Attestation
import Foundation
import Hummingbird
import HummingbirdTesting
import SystemCrypto
import Verifier
import XCTest
@testable import VerificationService

/// The service end to end, on SQLite and on PostgreSQL: registration, challenges, intake,
/// verification, results, standing, metrics and the audit chain.
final class ServiceFlowTests: XCTestCase {
    func testValidAttestationEndToEnd() async throws {
        try await forEachBackend { h in
            try await h.withClient { api in
                let member = try await api.setUp()
                let nonce = try await api.challenge(member)
                let a = try Fixtures.attestation(nonce: nonce)
                let r = try await api.submit(a)
                XCTAssertEqual(r.status, .accepted, r.text)
                XCTAssertEqual(r.json["status"] as? String, "queued")
                let id = r.json["id"] as! String
                XCTAssertEqual(id, Hex.encode(Digest.sha256.hash(a.encode())), "id is the SHA-256 of the bytes")
                // Durable before the 202: the row and the bytes are in the store.
                let v1 = try await h.store.attestation(id)?.status
                XCTAssertEqual(v1, "queued")
                let v2 = try await h.store.blob(id)
                XCTAssertEqual(v2, a.encode())

                let v3 = try await h.drain()
                XCTAssertEqual(v3, 1)
                let got = try await api.attestation(id)
                XCTAssertEqual(got["status"] as? String, "valid")
                XCTAssertEqual((got["member"] as? [String: Any])?["name"] as? String, "Acme Trading", "reports name the member")
                let report = got["report"] as? [String: Any] ?? [:]
                XCTAssertEqual(report["valid"] as? Bool, true)
                XCTAssertEqual((report["verification"] as? [String: Any])?["nonce"] as? String, Hex.encode(nonce))
                XCTAssertEqual((report["blinding_reuse"] as? [Any])?.count, 0)

                // Same bytes again: same id, current status, nothing new queued.
                let again = try await api.submit(a)
                XCTAssertEqual(again.status, .ok)
                XCTAssertEqual(again.json["id"] as? String, id)
                XCTAssertEqual(again.json["status"] as? String, "valid")
                XCTAssertEqual(again.json["duplicate"] as? Bool, true)

                // A second attestation with the consumed nonce is a replay.
                let replay = try await api.submit(try Fixtures.attestation(nonce: nonce))
                XCTAssertEqual(replay.status, .conflict)
                XCTAssertEqual(replay.problemType, "urn:riskattest:problem:nonce-replayed")
                XCTAssertEqual(replay.contentType, "application/problem+json")

                let status = try await api.send(.get, "/v1/members/\(member)/status", admin: true)
                XCTAssertEqual(status.json["good_standing"] as? Bool, true, status.text)
                XCTAssertEqual((status.json["latest_valid"] as? [String: Any])?["id"] as? String, id)

                let history = try await api.send(.get, "/v1/members/\(member)/attestations?limit=10", admin: true)
                XCTAssertEqual((history.json["items"] as? [Any])?.count, 1, history.text)

                let metrics = try await api.send(.get, "/metrics")
                XCTAssertTrue(metrics.text.contains(#"riskattest_verifications_total{outcome="valid",failure_code="none"} 1"#)
                              || metrics.text.contains(#"riskattest_verifications_total{failure_code="none",outcome="valid"} 1"#),
                              metrics.text)
                XCTAssertTrue(metrics.text.contains("riskattest_queue_depth 0"), metrics.text)
                XCTAssertTrue(metrics.text.contains("riskattest_verification_latency_seconds_count 1"), metrics.text)

                let audit = try await api.send(.get, "/v1/audit?after=0&limit=1000", admin: true)
                let actions = (audit.json["entries"] as? [[String: Any]] ?? []).compactMap { $0["action"] as? String }
                XCTAssertEqual(actions, ["snapshot.registered", "circuit.registered", "member.created", "challenge.issued",
                                         "attestation.accepted", "batch.claimed", "attestation.verified"])
                let chain = try await h.store.verifyAudit()
                XCTAssertNil(chain.broken)
                XCTAssertEqual(chain.entries, 7)
            }
        }
    }

    /// The verifier policy is the service's: an attestation proving k = 0.5 where the service
    /// requires the circuit's k = 1 is stored invalid with its machine-readable code.
    func testInvalidAttestationStoredWithFailureCode() async throws {
        try await forEachBackend { h in
            try await h.withClient { api in
                let member = try await api.setUp()
                let a = try Fixtures.attestation(nonce: try await api.challenge(member), parameters: ["k": "0.5"])
                let id = try await api.submit(a).json["id"] as! String
                try await h.drain()
                let got = try await api.attestation(id)
                XCTAssertEqual(got["status"] as? String, "invalid")
                XCTAssertEqual(got["failure_code"] as? String, "parameter_mismatch")
                let reason = (got["report"] as? [String: Any])?["reason"] as? String ?? ""
                XCTAssertTrue(reason.contains("requires k = 1"), reason)
                let status = try await api.send(.get, "/v1/members/\(member)/status", admin: true)
                XCTAssertEqual(status.json["good_standing"] as? Bool, false)
            }
        }
    }

    /// One batch of one (snapshot, circuit): a corrupted proof fails the joint check, each
    /// attestation is re-checked alone, and only the bad one is invalid.
    func testBatchIsolatesTheBadAttestation() async throws {
        try await forEachBackend { h in
            try await h.withClient { api in
                let member = try await api.setUp()
                var ids: [String] = []
                for k in 0..<3 {
                    var a = try Fixtures.attestation(nonce: try await api.challenge(member))
                    if k == 1 { a = try Fixtures.proofCorrupted(a) }
                    let r = try await api.submit(a)
                    XCTAssertEqual(r.status, .accepted, r.text)
                    ids.append(r.json["id"] as! String)
                }
                let v4 = try await h.worker.runOnce()
                XCTAssertEqual(v4, 3, "one batch")
                for (k, id) in ids.enumerated() {
                    let got = try await api.attestation(id)
                    XCTAssertEqual(got["status"] as? String, k == 1 ? "invalid" : "valid")
                    let report = got["report"] as? [String: Any] ?? [:]
                    XCTAssertEqual((report["batch"] as? [String: Any])?["joint_check_failed"] as? Bool, true)
                    XCTAssertEqual((report["batch"] as? [String: Any])?["size"] as? Int, 3)
                    if k == 1 { XCTAssertEqual(got["failure_code"] as? String, "proof_invalid") }
                }
                let v5 = try await api.send(.get, "/metrics").text.contains("riskattest_batch_isolations_total 1")
                XCTAssertTrue(v5)
            }
        }
    }

    /// The same commitments under a new nonce (a prover reusing blindings): flagged on both.
    func testBlindingReuseIsFlagged() async throws {
        try await forEachBackend { h in
            try await h.withClient { api in
                let member = try await api.setUp()
                let a = try Fixtures.attestation(nonce: try await api.challenge(member))
                let reused = try Fixtures.resigned(a, nonce: .some(try await api.challenge(member)))
                let idA = try await api.submit(a).json["id"] as! String
                let idB = try await api.submit(reused).json["id"] as! String
                try await h.drain()
                for (id, other) in [(idA, idB), (idB, idA)] {
                    let report = try await api.attestation(id)["report"] as? [String: Any] ?? [:]
                    let reuse = report["blinding_reuse"] as? [[String: Any]] ?? []
                    XCTAssertEqual(reuse.first?["attestation"] as? String, other)
                    XCTAssertGreaterThan(reuse.first?["shared_commitments"] as? Int ?? 0, 20)
                }
                let v6 = try await api.send(.get, "/metrics").text.contains("riskattest_blinding_reuse_total 2")
                XCTAssertTrue(v6)
            }
        }
    }

    /// Rotation: a new key works; after revocation the old key's new attestations are refused
    /// at intake, and one it signed before (still queued) is stored invalid as `revoked_key`.
    func testKeyRotationAndRevocation() async throws {
        try await forEachBackend { h in
            try await h.withClient { api in
                let member = try await api.setUp()
                let queued = try await api.submit(try Fixtures.attestation(nonce: try await api.challenge(member)))
                XCTAssertEqual(queued.status, .accepted)
                let add = try await api.json(.post, "/v1/members/\(member)/keys", admin: true, ["public_key": Fixtures.keyB.publicKey.pem])
                XCTAssertEqual(add.status, .created, add.text)
                let oldHex = Hex.encode(Fixtures.keyA.publicKey.rawBytes)
                let revoke = try await api.send(.delete, "/v1/members/\(member)/keys/\(oldHex)", admin: true)
                XCTAssertEqual(revoke.status, .ok, revoke.text)
                let keys = revoke.json["keys"] as? [[String: Any]] ?? []
                XCTAssertEqual(keys.filter { $0["active"] as? Bool == true }.count, 1)

                let refused = try await api.submit(try Fixtures.attestation(nonce: try await api.challenge(member)))
                XCTAssertEqual(refused.status, .forbidden)
                XCTAssertEqual(refused.problemType, "urn:riskattest:problem:revoked-key")
                let withNew = try await api.submit(try Fixtures.attestation(nonce: try await api.challenge(member), key: Fixtures.keyB))
                XCTAssertEqual(withNew.status, .accepted, withNew.text)

                try await h.drain()
                let old = try await api.attestation(queued.json["id"] as! String)
                XCTAssertEqual(old["status"] as? String, "invalid")
                XCTAssertEqual(old["failure_code"] as? String, "revoked_key")
                let v7 = try await api.attestation(withNew.json["id"] as! String)["status"] as? String
                XCTAssertEqual(v7, "valid")

                // A key belongs to one member only.
                let clash = try await api.json(.post, "/v1/members", admin: true, ["name": "Other", "public_keys": [Fixtures.keyB.publicKey.pem]])
                XCTAssertEqual(clash.status, .conflict)
                XCTAssertEqual(clash.problemType, "urn:riskattest:problem:key-in-use")
            }
        }
    }

    /// Every intake refusal has its own problem type, and none of them stores anything.
    func testIntakeRefusals() async throws {
        try await forEachBackend({ h in
            try await h.withClient { api in
                let member = try await api.setUp()
                let other = try await api.json(.post, "/v1/members", admin: true, ["name": "Beta", "public_keys": [Fixtures.keyC.publicKey.pem]])
                let otherID = other.json["id"] as! String
                func expect(_ r: ServiceClient.Reply, _ status: HTTPResponse.Status, _ slug: String,
                            file: StaticString = #filePath, line: UInt = #line) {
                    XCTAssertEqual(r.status, status, r.text, file: file, line: line)
                    XCTAssertEqual(r.problemType, "urn:riskattest:problem:\(slug)", r.text, file: file, line: line)
                    XCTAssertEqual(r.contentType, "application/problem+json", file: file, line: line)
                }
                let good = try Fixtures.attestation(nonce: try await api.challenge(member))

                expect(try await api.send(.post, "/v1/attestations", contentType: "application/json", body: good.encode()),
                       .unsupportedMediaType, "unsupported-media-type")
                expect(try await api.send(.post, "/v1/attestations", contentType: "application/octet-stream", body: Array("not an attestation".utf8)),
                       .unprocessableContent, "malformed-attestation")
                expect(try await api.send(.post, "/v1/attestations", contentType: "application/octet-stream",
                                          body: [UInt8](repeating: 0x41, count: 4 * 1024 * 1024 + 1)),
                       .contentTooLarge, "payload-too-large")
                expect(try await api.submit(try Fixtures.attestation(nonce: try await api.challenge(member), key: Fixtures.keyB)),
                       .unprocessableContent, "unknown-key")
                var sig = good.signature; sig[0] ^= 1
                expect(try await api.submit(try AttestationV1(body: good.body, signature: sig)), .unprocessableContent, "bad-signature")
                expect(try await api.submit(try Fixtures.attestation(nonce: nil)), .unprocessableContent, "nonce-missing")
                expect(try await api.submit(try Fixtures.attestation(nonce: [UInt8](repeating: 7, count: 32))),
                       .unprocessableContent, "nonce-unknown")
                expect(try await api.submit(try Fixtures.attestation(nonce: try await api.challenge(otherID))),
                       .unprocessableContent, "nonce-wrong-member")
                expect(try await api.json(.post, "/v1/challenges", ["member": "m_nobody"]), .notFound, "unknown-member")
                expect(try await api.json(.post, "/v1/challenges", ["memberz": member]), .badRequest, "bad-request")
                expect(try await api.send(.post, "/v1/members", contentType: "application/json", body: Array("{}".utf8)),
                       .unauthorized, "unauthorized")
                expect(try await api.send(.get, "/v1/audit", admin: false), .unauthorized, "unauthorized")
                // The scheme name is case-insensitive; a wrong token is refused.
                let lower = try await api.client.execute(uri: "/v1/audit", method: .get,
                                                         headers: [.authorization: "bearer \(Fixtures.adminToken)"])
                XCTAssertEqual(lower.status, .ok)
                let wrong = try await api.client.execute(uri: "/v1/audit", method: .get,
                                                         headers: [.authorization: "Bearer \(Fixtures.adminToken)x"])
                XCTAssertEqual(wrong.status, .unauthorized)
                expect(try await api.send(.get, "/v1/attestations/zz"), .notFound, "not-found")
                expect(try await api.send(.get, "/v1/nowhere"), .notFound, "not-found")
                expect(try await api.json(.post, "/v1/members", admin: true, ["name": "Bad", "public_keys": ["-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"]]),
                       .unprocessableContent, "invalid-key")
                expect(try await api.send(.post, "/v1/snapshots", admin: true, contentType: "application/json", body: Array("{\"schema\":1}".utf8)),
                       .unprocessableContent, "invalid-snapshot")
                expect(try await api.send(.post, "/v1/circuits", admin: true, contentType: "text/plain", body: Array("circuit ???".utf8)),
                       .unprocessableContent, "invalid-circuit")
                let v8 = try await h.store.queueDepth()
                XCTAssertEqual(v8, 0, "no refusal stored anything")

                // An unregistered snapshot or circuit: make a second registration-free service
                // state by proving over a market with other bytes.
                let accepted = try await api.submit(good)
                XCTAssertEqual(accepted.status, .accepted, accepted.text)
            }
        }, configure: { _ in })
    }

    func testExpiredChallengeAndRateLimit() async throws {
        try await forEachBackend({ h in
            try await h.withClient { api in
                let member = try await api.setUp()
                let nonce = try await api.challenge(member)
                let a = try Fixtures.attestation(nonce: nonce)
                try await Task.sleep(for: .milliseconds(2100))
                let r = try await api.submit(a)
                XCTAssertEqual(r.status, .unprocessableContent, r.text)
                XCTAssertEqual(r.problemType, "urn:riskattest:problem:nonce-expired")
                _ = try await api.challenge(member)   // 2 of 3 this minute
                _ = try await api.challenge(member)   // 3 of 3
                let limited = try await api.json(.post, "/v1/challenges", ["member": member])
                XCTAssertEqual(limited.status, .tooManyRequests, limited.text)
                XCTAssertEqual(limited.problemType, "urn:riskattest:problem:rate-limited")
            }
        }, configure: { c in c.challengeTTLSeconds = 2; c.challengesPerMinute = 3 })
    }

    /// Verification uses only registered inputs: an attestation over another snapshot or
    /// circuit is refused at intake.
    func testUnregisteredSnapshotAndCircuitAreRefused() async throws {
        try await forEachBackend { h in
            try await h.withClient { api in
                let m = try await api.json(.post, "/v1/members", admin: true, ["name": "Acme", "public_keys": [Fixtures.keyA.publicKey.pem]])
                let member = m.json["id"] as! String
                let a = try Fixtures.attestation(nonce: try await api.challenge(member))
                let noSnapshot = try await api.submit(a)
                XCTAssertEqual(noSnapshot.problemType, "urn:riskattest:problem:unknown-snapshot", noSnapshot.text)
                _ = try await api.send(.post, "/v1/snapshots", admin: true, contentType: "application/json", body: Fixtures.market)
                let noCircuit = try await api.submit(a)
                XCTAssertEqual(noCircuit.problemType, "urn:riskattest:problem:unknown-circuit", noCircuit.text)
                let snap = try await api.send(.get, "/v1/snapshots/\(Hex.encode(Digest.sha256.hash(Fixtures.market)))")
                XCTAssertEqual(snap.body, Fixtures.market, "snapshot bytes served back exactly")
            }
        }
    }
}
