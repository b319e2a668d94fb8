import Attestation
import Circuits
import Foundation
import Hummingbird
import NIOCore
import RiskEngine
import SystemCrypto
import Verifier

/// The request handlers. Each validates its input completely before touching the store, and
/// every failure leaves as a problem+json (`Problem`) with a stable type.
struct ServiceAPI: Sendable {
    let env: ServiceEnvironment
    var store: ServiceStore { env.store }

    // MARK: Bodies

    /// Reads the body up to `limit` bytes (413 beyond, decided from Content-Length before
    /// reading when the client sends one), after checking the media type.
    func body(_ req: Request, limit: Int, types: [String]) async throws -> [UInt8] {
        let type = (req.headers[.contentType] ?? "").split(separator: ";").first.map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        } ?? ""
        guard types.contains(type) else {
            throw Problem.unsupportedMediaType("expected Content-Type \(types.joined(separator: " or ")), got \(type.isEmpty ? "none" : "\"\(type)\"")")
        }
        if let len = req.headers[.contentLength].flatMap({ Int($0) }), len > limit { throw Problem.tooLarge(limit) }
        let buffer: ByteBuffer
        do { buffer = try await req.body.collect(upTo: limit) }
        catch let e as HTTPError where e.status == .contentTooLarge { throw Problem.tooLarge(limit) }
        // A body without Content-Length (chunked) that runs over the limit fails in NIO's collect
        // with NIOTooManyBytesError: also a 413, not a 500 (found by Tests/conformance).
        catch is NIOTooManyBytesError { throw Problem.tooLarge(limit) }
        return Array(buffer.readableBytesView)
    }

    func json<T: Decodable>(_ req: Request, _ type: T.Type) async throws -> T {
        let bytes = try await body(req, limit: ServiceLimits.maxJSONBytes, types: ["application/json"])
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        do { return try d.decode(T.self, from: Data(bytes)) } catch let e as DecodingError {
            throw Problem.badRequest("the JSON body does not match the schema: \(Self.describe(e))")
        } catch { throw Problem.badRequest("the body is not JSON") }
    }

    static func describe(_ e: DecodingError) -> String {
        func path(_ c: [any CodingKey]) -> String { c.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".") }
        switch e {
        case .keyNotFound(let k, _): return "missing field \(k.stringValue)"
        case .typeMismatch(_, let c): return "wrong type at \(path(c.codingPath))"
        case .valueNotFound(_, let c): return "null at \(path(c.codingPath))"
        case .dataCorrupted(let c): return c.codingPath.isEmpty ? "not valid JSON" : "invalid value at \(path(c.codingPath))"
        @unknown default: return "invalid JSON"
        }
    }

    func parameter(_ ctx: BasicRequestContext, _ name: String, hexBytes: Int? = nil) throws -> String {
        guard let v = ctx.parameters.get(name) else { throw Problem.badRequest("missing path parameter \(name)") }
        if let n = hexBytes {
            guard v.count == 2 * n, Hex.decode(v.lowercased()) != nil else {
                throw Problem.notFound("\(name) must be \(2 * n) hex digits")
            }
            return v.lowercased()
        }
        guard v.utf8.count <= 64, v.utf8.allSatisfy({ $0 == UInt8(ascii: "_") || (0x30...0x39).contains($0) || (0x61...0x7a).contains($0) }) else {
            throw Problem.notFound("no \(name) \(v)")
        }
        return v
    }

    func queryInt(_ req: Request, _ name: String, default d: Int64, range: ClosedRange<Int64>) throws -> Int64 {
        guard let s = req.uri.queryParameters.get(name) else { return d }
        guard let v = Int64(s), range.contains(v) else {
            throw Problem.badRequest("query parameter \(name) must be an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return v
    }

    // MARK: Probes

    func ready() async throws -> Response {
        do { try await store.ping() } catch {
            throw Problem(.serviceUnavailable, "not-ready", "Not ready", "the database does not answer")
        }
        return try JSONBody.response(["status": "ready", "database": store.db.dialect.name, "role": env.config.role.rawValue])
    }

    func metricsText() async throws -> Response {
        if let depth = try? await store.queueDepth() { env.metrics.queueDepth.record(depth) }
        return JSONBody.bytes(env.metrics.exposition(), contentType: "text/plain; version=0.0.4; charset=utf-8")
    }

    // MARK: Public inputs

    struct SnapshotOut: Encodable { var sha256: String; var snapshotId: String; var asOf: String; var instruments: Int; var created: Bool }

    func registerSnapshot(_ req: Request, _ ctx: BasicRequestContext) async throws -> Response {
        try env.requireAdmin(req)
        let bytes = try await body(req, limit: ServiceLimits.maxSnapshotBytes, types: ["application/json"])
        let market: MarketSnapshot
        do { market = try MarketSnapshot.parse(bytes) } catch { throw Problem.invalidSnapshot("\(error)") }
        let sha = Hex.encode(Digest.sha256.hash(bytes))
        let created = try await store.registerSnapshot(bytes: bytes, sha256: sha, snapshotID: market.snapshotID,
                                                       asOf: market.asOf.seconds, instruments: market.instruments.count)
        return try JSONBody.response(SnapshotOut(sha256: sha, snapshotId: market.snapshotID, asOf: JSONBody.iso(market.asOf.seconds)!,
                                                 instruments: market.instruments.count, created: created),
                                     status: created ? .created : .ok)
    }

    func snapshot(_ ctx: BasicRequestContext) async throws -> Response {
        let sha = try parameter(ctx, "sha256", hexBytes: 32)
        guard let bytes = try await store.snapshotBytes(sha) else { throw Problem.notFound("no snapshot \(sha)") }
        return JSONBody.bytes(bytes, contentType: "application/json")
    }

    struct CircuitOut: Encodable { var hash: String; var name: String; var version: Int; var created: Bool }

    func registerCircuit(_ req: Request, _ ctx: BasicRequestContext) async throws -> Response {
        try env.requireAdmin(req)
        let bytes = try await body(req, limit: ServiceLimits.maxCircuitBytes, types: ["text/plain", "application/octet-stream"])
        guard let source = String(validating: bytes, as: UTF8.self) else { throw Problem.invalidCircuit("the circuit source is not UTF-8") }
        let circuit: Circuit
        do { circuit = try Circuit.compile(source: source) } catch { throw Problem.invalidCircuit("\(error)") }
        let hash = Hex.encode(circuit.hash)
        let created = try await store.registerCircuit(source: source, hash: hash, name: circuit.name, version: circuit.version)
        return try JSONBody.response(CircuitOut(hash: hash, name: circuit.name, version: circuit.version, created: created),
                                     status: created ? .created : .ok)
    }

    func circuit(_ ctx: BasicRequestContext) async throws -> Response {
        let hash = try parameter(ctx, "hash", hexBytes: 32)
        guard let source = try await store.circuitSource(hash: hash) else { throw Problem.notFound("no circuit \(hash)") }
        return JSONBody.bytes(Array(source.utf8), contentType: "text/plain; charset=utf-8")
    }

    // MARK: Members

    struct NewMember: Decodable { var name: String; var publicKeys: [String] }
    struct NewKey: Decodable { var publicKey: String }

    struct KeyOut: Encodable { var key: String; var pem: String; var addedAt: String; var revokedAt: String?; var active: Bool }
    struct MemberOut: Encodable {
        var id: String; var name: String; var createdAt: String; var keys: [KeyOut]
        init(_ m: ServiceStore.Member) {
            id = m.id; name = m.name; createdAt = JSONBody.iso(m.createdAt)!
            keys = m.keys.map { KeyOut(key: $0.key, pem: $0.pem, addedAt: JSONBody.iso($0.addedAt)!,
                                       revokedAt: JSONBody.iso($0.revokedAt), active: $0.revokedAt == nil) }
        }
    }

    func parseKey(_ pem: String) throws -> (hex: String, pem: String) {
        guard pem.utf8.count <= 4096 else { throw Problem.invalidKey("a public key PEM is at most 4096 bytes") }
        do {
            let k = try Ed25519PublicKey(pem: pem)
            return (Hex.encode(k.rawBytes), k.pem)
        } catch { throw Problem.invalidKey("\(error)") }
    }

    func createMember(_ req: Request, _ ctx: BasicRequestContext) async throws -> Response {
        try env.requireAdmin(req)
        let m = try await json(req, NewMember.self)
        let name = m.name.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, name.utf8.count <= ServiceLimits.maxMemberNameBytes, UntrustedText.escape(name) == name else {
            throw Problem.badRequest("name must be 1...\(ServiceLimits.maxMemberNameBytes) bytes of printable text")
        }
        guard !m.publicKeys.isEmpty, m.publicKeys.count <= ServiceLimits.maxKeysPerRequest else {
            throw Problem.badRequest("public_keys must hold 1...\(ServiceLimits.maxKeysPerRequest) PEM keys")
        }
        let keys = try m.publicKeys.map(parseKey)
        guard Set(keys.map(\.hex)).count == keys.count else { throw Problem.badRequest("public_keys lists a key twice") }
        let member = try await store.createMember(name: name, keys: keys)
        return try JSONBody.response(MemberOut(member), status: .created)
    }

    struct MemberPage: Encodable { var items: [MemberOut]; var next: String? }

    func listMembers(_ req: Request, _ ctx: BasicRequestContext) async throws -> Response {
        try env.requireAdmin(req)
        let limit = Int(try queryInt(req, "limit", default: 100, range: 1...Int64(ServiceLimits.maxPageSize)))
        let after = req.uri.queryParameters.get("after").map { String($0) } ?? ""
        guard after.utf8.count <= 64 else { throw Problem.badRequest("after is a member id") }
        let ms = try await store.listMembers(after: after, limit: limit)
        return try JSONBody.response(MemberPage(items: ms.map { MemberOut($0) }, next: ms.count == limit ? ms.last?.id : nil))
    }

    func member(_ req: Request, _ ctx: BasicRequestContext) async throws -> Response {
        try env.requireAdmin(req)
        let id = try parameter(ctx, "id")
        guard let m = try await store.member(id) else { throw Problem.unknownMember(id) }
        return try JSONBody.response(MemberOut(m))
    }

    func addKey(_ req: Request, _ ctx: BasicRequestContext) async throws -> Response {
        try env.requireAdmin(req)
        let id = try parameter(ctx, "id")
        let k = try parseKey(try await json(req, NewKey.self).publicKey)
        return try JSONBody.response(MemberOut(try await store.addKey(member: id, hex: k.hex, pem: k.pem)), status: .created)
    }

    func revokeKey(_ req: Request, _ ctx: BasicRequestContext) async throws -> Response {
        try env.requireAdmin(req)
        let id = try parameter(ctx, "id")
        let key = try parameter(ctx, "key", hexBytes: 32)
        return try JSONBody.response(MemberOut(try await store.revokeKey(member: id, hex: key)))
    }

    // MARK: Challenges and intake

    struct ChallengeIn: Decodable { var member: String }
    struct ChallengeOut: Encodable { var nonce: String; var member: String; var expiresAt: String }

    func challenge(_ req: Request, _ ctx: BasicRequestContext) async throws -> Response {
        let c = try await json(req, ChallengeIn.self)
        guard c.member.utf8.count <= 64 else { throw Problem.unknownMember(String(c.member.prefix(64))) }
        let ch = try await store.issueChallenge(member: c.member, ttlSeconds: env.config.challengeTTLSeconds,
                                                perMinute: env.config.challengesPerMinute)
        return try JSONBody.response(ChallengeOut(nonce: ch.nonce, member: ch.member, expiresAt: JSONBody.iso(ch.expiresAt)!),
                                     status: .created)
    }

    struct SubmitOut: Encodable { var id: String; var status: String; var member: String?; var duplicate: Bool }

    /// Intake: decode, find the signer's member, check the signature (so only the key holder can
    /// consume the member's nonces), then store and consume the nonce in one transaction. The
    /// 202 is sent only after that transaction commits.
    func submit(_ req: Request, _ ctx: BasicRequestContext) async throws -> Response {
        do {
            let r = try await submitChecked(req)
            env.metrics.intake(r.duplicate ? "duplicate" : "accepted")
            if !r.duplicate { env.wake.signal() }
            return try JSONBody.response(r, status: r.duplicate ? .ok : .accepted)
        } catch let p as Problem {
            env.metrics.intake(p.slug)
            throw p
        }
    }

    func submitChecked(_ req: Request) async throws -> SubmitOut {
        let bytes = try await body(req, limit: ServiceLimits.maxAttestationBytes, types: ["application/octet-stream"])
        let id = Hex.encode(Digest.sha256.hash(bytes))
        if let existing = try await store.attestation(id) {
            return SubmitOut(id: id, status: existing.status, member: existing.member, duplicate: true)
        }
        let a: AttestationV1
        do { a = try AttestationV1.decode(bytes) } catch { throw Problem.malformedAttestation("\(error)") }
        let keyHex = Hex.encode(a.proverKey)
        guard let owner = try await store.keyOwner(keyHex) else { throw Problem.unknownKey(keyHex) }
        if owner.revoked { throw Problem.revokedKey(owner.member, keyHex) }
        guard let key = try? Ed25519PublicKey(pem: owner.pem), key.isValidSignature(a.signature, for: a.signedMessage) else {
            throw Problem.badSignature
        }
        var points: [String] = []
        for p in a.instrumentCommitments + a.collateralCommitments + a.auxiliaryMembers.map(\.commitment) {
            points.append(Hex.encode(p.plus.encoding)); points.append(Hex.encode(p.minus.encoding))
        }
        points += a.slackHighCommitments.map { Hex.encode($0.encoding) }
        let intake = ServiceStore.Intake(id: id, bytes: bytes, key: keyHex, snapshot: Hex.encode(a.snapshotHash),
                                         circuit: Hex.encode(a.circuitHash), nonce: a.nonce.map(Hex.encode),
                                         createdAt: a.createdAt, expiresAt: a.expiresAt, commitments: points)
        switch try await store.accept(intake) {
        case .new(let id, let member): return SubmitOut(id: id, status: "queued", member: member, duplicate: false)
        case .existing(let id, let status): return SubmitOut(id: id, status: status, member: owner.member, duplicate: true)
        }
    }

    // MARK: Results

    struct MemberRef: Encodable { var id: String; var name: String }
    struct AttestationOut: Encodable {
        var id: String; var status: String; var member: MemberRef; var key: String; var snapshot: String; var circuit: String
        var createdAt: String; var expiresAt: String; var receivedAt: String; var verifiedAt: String?
        var failureCode: String?; var report: JSONFragment?
        init(_ r: ServiceStore.AttestationRecord) {
            id = r.id; status = r.status; member = MemberRef(id: r.member, name: r.memberName); key = r.key
            snapshot = r.snapshot; circuit = r.circuit; createdAt = JSONBody.iso(r.createdAt)!
            expiresAt = JSONBody.iso(r.expiresAt)!; receivedAt = JSONBody.iso(r.receivedAt)!
            verifiedAt = JSONBody.iso(r.verifiedAt); failureCode = r.failureCode; report = r.report.map(JSONFragment.init)
        }
    }

    func attestation(_ ctx: BasicRequestContext) async throws -> Response {
        let id = try parameter(ctx, "id", hexBytes: 32)
        guard let r = try await store.attestation(id) else { throw Problem.notFound("no attestation \(id)") }
        return try JSONBody.response(AttestationOut(r))
    }

    func attestationBytes(_ ctx: BasicRequestContext) async throws -> Response {
        let id = try parameter(ctx, "id", hexBytes: 32)
        guard try await store.attestation(id) != nil, let bytes = try await store.blob(id) else {
            throw Problem.notFound("no attestation \(id)")
        }
        return JSONBody.bytes(bytes, contentType: "application/octet-stream")
    }

    struct AttestationPage: Encodable { var items: [AttestationOut]; var next: String? }

    func memberAttestations(_ req: Request, _ ctx: BasicRequestContext) async throws -> Response {
        try env.requireAdmin(req)
        let id = try parameter(ctx, "id")
        guard try await store.member(id) != nil else { throw Problem.unknownMember(id) }
        let limit = Int(try queryInt(req, "limit", default: 50, range: 1...Int64(ServiceLimits.maxPageSize)))
        let before: Int64? = req.uri.queryParameters.get("before") == nil ? nil : try queryInt(req, "before", default: 0, range: 0...Int64.max)
        let rows = try await store.memberAttestations(id, before: before, limit: limit)
        return try JSONBody.response(AttestationPage(items: rows.map { AttestationOut($0) },
                                                     next: rows.count == limit ? rows.last.map { String($0.receivedMicros) } : nil))
    }

    struct Summary: Encodable {
        var id: String; var status: String; var circuit: String; var createdAt: String; var expiresAt: String
        var failureCode: String?
        init(_ r: ServiceStore.AttestationRecord) {
            id = r.id; status = r.status; circuit = r.circuit; createdAt = JSONBody.iso(r.createdAt)!
            expiresAt = JSONBody.iso(r.expiresAt)!; failureCode = r.failureCode
        }
    }
    struct StatusOut: Encodable {
        var member: MemberRef; var goodStanding: Bool; var validUntil: String?; var reason: String
        var latestValid: Summary?; var latest: Summary?; var pending: Int64; var activeKeys: Int; var at: String
    }

    /// Good standing = a verified, valid attestation whose validity window contains now, and no
    /// newer verified attestation that is invalid (a member whose last attestation failed is
    /// not in good standing on the strength of an older one).
    func memberStatus(_ req: Request, _ ctx: BasicRequestContext) async throws -> Response {
        try env.requireAdmin(req)
        let id = try parameter(ctx, "id")
        guard let m = try await store.member(id) else { throw Problem.unknownMember(id) }
        let now = WallClock.seconds()
        let s = try await store.memberStanding(id, now: now)
        let newerInvalid = s.latest.map { $0.status == "invalid" && $0.receivedMicros > (s.latestValid?.receivedMicros ?? .min) } ?? false
        let good = s.latestValid != nil && !newerInvalid
        let reason: String
        if good { reason = "a valid attestation covers now" }
        else if newerInvalid { reason = "the newest verified attestation is invalid (\(s.latest?.failureCode ?? "?"))" }
        else if s.latest == nil { reason = "no verified attestation" }
        else { reason = "no valid attestation covers now (the latest valid one expired)" }
        return try JSONBody.response(StatusOut(member: MemberRef(id: m.id, name: m.name), goodStanding: good,
                                               validUntil: good ? JSONBody.iso(s.latestValid?.expiresAt) : nil, reason: reason,
                                               latestValid: s.latestValid.map { Summary($0) }, latest: s.latest.map { Summary($0) },
                                               pending: s.queued, activeKeys: m.keys.filter { $0.revokedAt == nil }.count,
                                               at: JSONBody.iso(now)!))
    }

    struct AuditOut: Encodable { var entries: [AuditEntryOut]; var next: Int64? }
    struct AuditEntryOut: Encodable {
        var seq: Int64; var at: String; var actor: String; var action: String; var subject: String
        var details: JSONFragment; var prevHash: String; var hash: String
    }

    func audit(_ req: Request, _ ctx: BasicRequestContext) async throws -> Response {
        try env.requireAdmin(req)
        let after = try queryInt(req, "after", default: 0, range: 0...Int64.max)
        let limit = Int(try queryInt(req, "limit", default: 100, range: 1...1000))
        let entries = try await store.auditEntries(after: after, limit: limit)
        return try JSONBody.response(AuditOut(entries: entries.map {
            AuditEntryOut(seq: $0.seq, at: JSONBody.iso($0.at)!, actor: $0.actor, action: $0.action, subject: $0.subject,
                          details: JSONFragment($0.details), prevHash: $0.prevHash, hash: $0.hash)
        }, next: entries.count == limit ? entries.last?.seq : nil))
    }
}

/// Stored JSON embedded as is in a response (decoded once so the response stays valid JSON).
struct JSONFragment: Encodable {
    let value: JSONValue
    init(_ text: String) { value = (try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))) ?? .null }
    func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
}

indirect enum JSONValue: Codable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let n): try c.encode(n)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }
}
