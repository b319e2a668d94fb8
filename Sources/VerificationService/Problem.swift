import Foundation
import Hummingbird
import RiskEngine

/// Every failure the service reports, as an RFC 9457 problem (`application/problem+json`).
///
/// `type` is a stable URN per failure (`urn:riskattest:problem:<slug>`), documented in the
/// OpenAPI document and README: clients branch on it, never on `title` or `detail`. `detail`
/// may quote client input, so it is escaped (`UntrustedText`) before it is sent.
public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var slug: String
    public var title: String
    public var detail: String

    public init(_ status: HTTPResponse.Status, _ slug: String, _ title: String, _ detail: String) {
        self.status = status; self.slug = slug; self.title = title; self.detail = UntrustedText.escape(detail)
    }

    public var type: String { "urn:riskattest:problem:\(slug)" }
    public var description: String { "\(status.code) \(slug): \(detail)" }

    // Request shape.
    static func badRequest(_ d: String) -> Problem { Problem(.badRequest, "bad-request", "The request is malformed", d) }
    static func unsupportedMediaType(_ d: String) -> Problem {
        Problem(.unsupportedMediaType, "unsupported-media-type", "Wrong content type", d)
    }
    static func tooLarge(_ limit: Int) -> Problem {
        Problem(.contentTooLarge, "payload-too-large", "The body is too large", "the limit is \(limit) bytes")
    }
    static let unauthorized = Problem(.unauthorized, "unauthorized", "Admin token required",
                                      "send the admin bearer token: Authorization: Bearer <token>")
    static func notFound(_ what: String) -> Problem { Problem(.notFound, "not-found", "No such resource", what) }
    // Registered inputs.
    static func invalidSnapshot(_ d: String) -> Problem { Problem(.unprocessableContent, "invalid-snapshot", "The market snapshot is unusable", d) }
    static func invalidCircuit(_ d: String) -> Problem { Problem(.unprocessableContent, "invalid-circuit", "The circuit is unusable", d) }
    static func invalidKey(_ d: String) -> Problem { Problem(.unprocessableContent, "invalid-key", "The public key is unusable", d) }
    static func keyInUse(_ d: String) -> Problem { Problem(.conflict, "key-in-use", "The key is already registered", d) }
    static func unknownMember(_ id: String) -> Problem { Problem(.notFound, "unknown-member", "No such member", "no member \(id)") }
    static func rateLimited(_ d: String) -> Problem { Problem(.tooManyRequests, "rate-limited", "Too many challenges", d) }
    // Intake.
    static func malformedAttestation(_ d: String) -> Problem {
        Problem(.unprocessableContent, "malformed-attestation", "The attestation does not decode", d)
    }
    static func unknownKey(_ hex: String) -> Problem {
        Problem(.unprocessableContent, "unknown-key", "The prover key belongs to no member", "prover key \(hex) is not registered to any member")
    }
    static func revokedKey(_ member: String, _ hex: String) -> Problem {
        Problem(.forbidden, "revoked-key", "The prover key is revoked", "member \(member)'s key \(hex) was revoked")
    }
    static let badSignature = Problem(.unprocessableContent, "bad-signature", "The signature does not verify",
                                      "the Ed25519 signature does not verify under the prover key")
    static func unknownSnapshot(_ hex: String) -> Problem {
        Problem(.unprocessableContent, "unknown-snapshot", "The snapshot is not registered", "snapshot \(hex) is not registered with this service")
    }
    static func unknownCircuit(_ hex: String) -> Problem {
        Problem(.unprocessableContent, "unknown-circuit", "The circuit is not registered", "circuit \(hex) is not registered with this service")
    }
    static let nonceMissing = Problem(.unprocessableContent, "nonce-missing", "The attestation carries no nonce",
                                      "request a challenge (POST /v1/challenges) and prove with --nonce")
    static func nonceUnknown(_ hex: String) -> Problem {
        Problem(.unprocessableContent, "nonce-unknown", "The nonce was not issued", "nonce \(hex) was not issued by this service")
    }
    static func nonceWrongMember(_ d: String) -> Problem { Problem(.unprocessableContent, "nonce-wrong-member", "The nonce was issued to another member", d) }
    static func nonceExpired(_ d: String) -> Problem { Problem(.unprocessableContent, "nonce-expired", "The challenge expired", d) }
    static func nonceReplayed(_ d: String) -> Problem { Problem(.conflict, "nonce-replayed", "The nonce was already used", d) }
    // Server side.
    static func storage(_ d: String) -> Problem { Problem(.serviceUnavailable, "storage-unavailable", "Storage is unavailable", d) }
    static func internalError(_ d: String) -> Problem { Problem(.internalServerError, "internal", "Internal error", d) }

    /// The JSON body (keys in a fixed order; `instance` is the request path).
    func body(instance: String?) -> ByteBuffer {
        var o: [String: Any] = ["type": type, "title": title, "status": Int(status.code), "detail": detail]
        if let instance { o["instance"] = instance }
        let data = (try? JSONSerialization.data(withJSONObject: o, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return ByteBuffer(bytes: data)
    }
}

/// Turns every thrown error into problem+json: `Problem`s as they are, Hummingbird's own
/// `HTTPError`s (unknown route, wrong method, body too large) by status, storage failures as 503,
/// anything else as 500 without internals.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The routes' methods by path, so an unsupported method on a known path is 405, not 404.
    var methods = RouteMethods([])

    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let p as Problem {
            return Self.response(p, path: request.uri.path)
        } catch let e as HTTPError {
            let p: Problem
            switch e.status {
            case .notFound:
                // The router answers 404 for a known path with another method too: that is a 405
                // with the path's methods in `Allow`.
                let allowed = methods.allowed(request.uri.path)
                guard allowed.isEmpty || allowed.contains(request.method) else {
                    var r = Self.response(Problem(.methodNotAllowed, "method-not-allowed", "Method not allowed",
                                                  "\(request.method) is not supported on \(request.uri.path)"),
                                          path: request.uri.path)
                    r.headers[.allow] = allowed.map(\.rawValue).joined(separator: ", ")
                    return r
                }
                p = .notFound("no route \(request.method) \(request.uri.path)")
            case .contentTooLarge: p = .tooLarge(ServiceLimits.maxAttestationBytes)
            case .methodNotAllowed: p = Problem(.methodNotAllowed, "method-not-allowed", "Method not allowed", "\(request.method) \(request.uri.path)")
            case .unsupportedMediaType: p = .unsupportedMediaType(e.body ?? "wrong content type")
            default: p = Problem(e.status, "bad-request", e.status.reasonPhrase, e.body ?? e.status.reasonPhrase)
            }
            return Self.response(p, path: request.uri.path)
        } catch let e as StoreError {
            context.logger.error("storage: \(e)")
            return Self.response(.storage("the database failed; retry later"), path: request.uri.path)
        } catch {
            context.logger.error("unexpected: \(String(reflecting: error))")
            return Self.response(.internalError("unexpected server error"), path: request.uri.path)
        }
    }

    static func response(_ p: Problem, path: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/problem+json"
        if p.status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        return Response(status: p.status, headers: headers, body: .init(byteBuffer: p.body(instance: path)))
    }
}

/// Limits on every input the service takes.
public enum ServiceLimits {
    /// Attestations (the 4 MiB; the format's own limit is below).
    public static let maxAttestationBytes = 4 * 1024 * 1024
    /// Market snapshots and circuit sources registered by the admin.
    public static let maxSnapshotBytes = 16 * 1024 * 1024
    public static let maxCircuitBytes = 1024 * 1024
    /// JSON request bodies (members, keys, challenges).
    public static let maxJSONBytes = 256 * 1024
    public static let maxMemberNameBytes = 200
    public static let maxKeysPerRequest = 16
    public static let maxPageSize = 500
}

/// Wall-clock time for stored timestamps (unix seconds and microseconds).
public enum WallClock {
    public static func seconds() -> Int64 { Int64(Date().timeIntervalSince1970.rounded(.down)) }
    public static func micros() -> Int64 { Int64((Date().timeIntervalSince1970 * 1e6).rounded(.down)) }
}
