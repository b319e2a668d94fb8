import Attestation
import Circuits
import Foundation
import Hummingbird
import Logging
import NIOCore
import RiskEngine
import ServiceLifecycle
import SystemCrypto
import Verifier

/// What a running service holds: configuration, the store, metrics, the admin token's digest,
/// and the worker's wake-up signal. Built once by `riskattest serve` and by every test.
public struct ServiceEnvironment: Sendable {
    public var config: ServiceConfiguration
    public var store: ServiceStore
    public var metrics: ServiceMetrics
    public var wake: WakeSignal
    /// SHA-256 of the admin token: compared in constant time, never kept in clear.
    let adminTokenDigest: [UInt8]

    public init(config: ServiceConfiguration, store: ServiceStore, adminToken: String,
                metrics: ServiceMetrics = ServiceMetrics(), wake: WakeSignal = WakeSignal()) {
        self.config = config; self.store = store; self.metrics = metrics; self.wake = wake
        self.adminTokenDigest = Digest.sha256.hash(Array(adminToken.utf8))
    }

    /// Checks `Authorization: Bearer <token>` against the admin token without a data-dependent
    /// branch on its bytes (both sides hashed to 32 bytes first, so lengths leak nothing).
    func requireAdmin(_ request: Request) throws {
        // The scheme name is case-insensitive (RFC 9110 §11.1); the token is not.
        guard let h = request.headers[.authorization], h.count > 7, h.prefix(7).lowercased() == "bearer " else {
            throw Problem.unauthorized
        }
        let given = Digest.sha256.hash(Array(h.dropFirst(7).utf8))
        var diff: UInt8 = 0
        for (a, b) in zip(given, adminTokenDigest) { diff |= a ^ b }
        guard diff == 0 else { throw Problem.unauthorized }
    }
}

public enum AdminToken {
    /// The admin token must be long enough not to be guessed online.
    public static let minimumLength = 16
}

/// Builds the HTTP application (the shape of Hummingbird's examples: one builder, used by
/// `riskattest serve` and by the tests alike). `--role worker` serves only the probes and
/// metrics; the worker runs as a service of the application when the role includes it.
public func buildApplication(_ env: ServiceEnvironment, logger: Logger = Logger(label: "riskattest.serve"))
    -> some ApplicationProtocol {
    let router = buildRouter(env)
    var services: [any ServiceLifecycle.Service] = []
    if env.config.role != .api {
        services.append(VerificationWorker(store: env.store, config: env.config, metrics: env.metrics, wake: env.wake))
    }
    return Application(
        router: router,
        server: .http1(configuration: .init(idleTimeout: .seconds(env.config.idleTimeoutSeconds))),
        configuration: .init(address: .hostname(env.config.host, port: env.config.port), serverName: "riskattest"),
        services: services,
        logger: logger)
}

public func buildRouter(_ env: ServiceEnvironment) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    let api = ServiceAPI(env: env)
    // The routes are listed before they are registered so that ProblemMiddleware knows every
    // path's methods: a known path with another method is 405 with `Allow` (RFC 9110 §15.5.6),
    // not Hummingbird's 404 (found by the OpenAPI conformance run, Tests/conformance).
    var routes: [Route] = [
        Route(.get, "/healthz") { _, _ in try JSONBody.response(["status": "ok"]) },
        Route(.get, "/readyz") { _, _ in try await api.ready() },
        Route(.get, "/metrics") { _, _ in try await api.metricsText() },
    ]
    if env.config.role != .worker {
        routes += [
            Route(.post, "/v1/snapshots") { req, ctx in try await api.registerSnapshot(req, ctx) },
            Route(.get, "/v1/snapshots/:sha256") { _, ctx in try await api.snapshot(ctx) },
            Route(.post, "/v1/circuits") { req, ctx in try await api.registerCircuit(req, ctx) },
            Route(.get, "/v1/circuits/:hash") { _, ctx in try await api.circuit(ctx) },
            Route(.post, "/v1/members") { req, ctx in try await api.createMember(req, ctx) },
            Route(.get, "/v1/members") { req, ctx in try await api.listMembers(req, ctx) },
            Route(.get, "/v1/members/:id") { req, ctx in try await api.member(req, ctx) },
            Route(.post, "/v1/members/:id/keys") { req, ctx in try await api.addKey(req, ctx) },
            Route(.delete, "/v1/members/:id/keys/:key") { req, ctx in try await api.revokeKey(req, ctx) },
            Route(.get, "/v1/members/:id/attestations") { req, ctx in try await api.memberAttestations(req, ctx) },
            Route(.get, "/v1/members/:id/status") { req, ctx in try await api.memberStatus(req, ctx) },
            Route(.post, "/v1/challenges") { req, ctx in try await api.challenge(req, ctx) },
            Route(.post, "/v1/attestations") { req, ctx in try await api.submit(req, ctx) },
            Route(.get, "/v1/attestations/:id") { _, ctx in try await api.attestation(ctx) },
            Route(.get, "/v1/attestations/:id/raw") { _, ctx in try await api.attestationBytes(ctx) },
            Route(.get, "/v1/audit") { req, ctx in try await api.audit(req, ctx) },
        ]
    }
    router.add(middleware: ProblemMiddleware(methods: RouteMethods(routes.map { ($0.method, $0.path) })))
    for r in routes { router.on(RouterPath(r.path), method: r.method, use: r.handler) }
    return router
}

/// One route of `buildRouter`.
struct Route: Sendable {
    var method: HTTPRequest.Method
    var path: String
    var handler: @Sendable (Request, BasicRequestContext) async throws -> Response
    init(_ method: HTTPRequest.Method, _ path: String,
         _ handler: @escaping @Sendable (Request, BasicRequestContext) async throws -> Response) {
        self.method = method; self.path = path; self.handler = handler
    }
}

/// Which methods each route path takes, to answer 405 with `Allow` where the router answers 404.
/// Paths are matched segment by segment as the router does (empty segments ignored, `:name`
/// matches any one segment).
struct RouteMethods: Sendable {
    private let routes: [(segments: [Substring], method: HTTPRequest.Method)]

    init(_ routes: [(HTTPRequest.Method, String)]) {
        self.routes = routes.map { (segments: $0.1.split(separator: "/"), method: $0.0) }
    }

    /// The methods some route takes at `path` (empty when no route has this path).
    func allowed(_ path: String) -> [HTTPRequest.Method] {
        let given = path.split(separator: "/")
        var out: [HTTPRequest.Method] = []
        for r in routes where r.segments.count == given.count && !out.contains(r.method) {
            if zip(r.segments, given).allSatisfy({ $0.first == ":" || $0 == $1 }) { out.append(r.method) }
        }
        return out
    }
}

/// JSON responses: snake_case keys, sorted, ISO-8601 times.
enum JSONBody {
    static func response<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        e.keyEncodingStrategy = .convertToSnakeCase
        let data = try e.encode(value)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func bytes(_ bytes: [UInt8], contentType: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func iso(_ t: Int64?) -> String? {
        guard let t else { return nil }
        let f = ISO8601DateFormatter(); f.formatOptions = [.withInternetDateTime]
        return f.string(from: Date(timeIntervalSince1970: TimeInterval(t)))
    }
}
