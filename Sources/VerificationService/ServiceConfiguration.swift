import Foundation
import Verifier

/// Everything `riskattest serve` is configured with: a JSON file (`--config`), then command-line
/// options over it. Every field has a default, so `riskattest serve` alone runs the embedded
/// default (SQLite at ./riskattest.db, both roles, 127.0.0.1:8080).
public struct ServiceConfiguration: Sendable, Equatable {
    public enum Role: String, Sendable, CaseIterable { case all, api, worker }

    public var host = "127.0.0.1"
    public var port = 8080
    public var database = DatabaseLocation.defaultLocation
    public var role = Role.all
    /// The relying party's policy (the v2 verifier's). Nonces are always required: the service
    /// checks each attestation's nonce against the challenge issued to its signer.
    public var policy = VerificationPolicy(requireNonce: true)
    /// Attestations verified together (one multi-scalar multiplication per batch).
    public var batchSize = 32
    /// A claim's lease; the worker extends it every third of this while it verifies.
    public var leaseSeconds: Int64 = 30
    /// Longest wait between queue polls when idle (an intake in the same process wakes the
    /// worker at once).
    public var pollMilliseconds = 200
    public var workerName = "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
    public var challengeTTLSeconds: Int64 = 900
    public var challengesPerMinute = 30
    /// A connection idle (no bytes read) this long is closed: slow clients cannot hold it.
    public var idleTimeoutSeconds: Int64 = 30
    /// Memory for warm verifier state (parsed snapshots, statement systems, tables).
    public var verifierMemoryBudgetBytes = 512 * 1024 * 1024

    public init() {}

    public struct Invalid: Error, CustomStringConvertible { public var description: String }

    struct File: Decodable {
        struct Policy: Decodable {
            var parameters: [String: String]?
            var maxSnapshotAgeSeconds: Int64?
            var maxValiditySeconds: Int64?
        }
        var host: String?
        var port: Int?
        var database: String?
        var role: String?
        var policy: Policy?
        var batchSize: Int?
        var leaseSeconds: Int64?
        var pollMs: Int?
        var workerName: String?
        var challengeTtlSeconds: Int64?
        var challengesPerMinute: Int?
        var idleTimeoutSeconds: Int64?
        var verifierMemoryBudgetMb: Int?
    }

    static let knownKeys: Set<String> = ["host", "port", "database", "role", "policy", "batch_size", "lease_seconds", "poll_ms",
                                         "worker_name", "challenge_ttl_seconds", "challenges_per_minute",
                                         "idle_timeout_seconds", "verifier_memory_budget_mb"]
    static let knownPolicyKeys: Set<String> = ["parameters", "max_snapshot_age_seconds", "max_validity_seconds"]

    /// Reads the JSON configuration file format (README "Clearing house"). Unknown keys are
    /// refused: a misspelt option must not silently fall back to its default.
    public static func load(json bytes: [UInt8]) throws(Invalid) -> ServiceConfiguration {
        guard let any = try? JSONSerialization.jsonObject(with: Data(bytes)), let o = any as? [String: Any] else {
            throw Invalid(description: "the configuration must be a JSON object")
        }
        if let bad = o.keys.filter({ !knownKeys.contains($0) }).sorted().first {
            throw Invalid(description: "unknown configuration key \"\(bad)\" (known: \(knownKeys.sorted().joined(separator: ", ")))")
        }
        if let p = o["policy"] as? [String: Any], let bad = p.keys.filter({ !knownPolicyKeys.contains($0) }).sorted().first {
            throw Invalid(description: "unknown policy key \"\(bad)\" (known: \(knownPolicyKeys.sorted().joined(separator: ", ")))")
        }
        let f: File
        do {
            let d = JSONDecoder(); d.keyDecodingStrategy = .convertFromSnakeCase
            f = try d.decode(File.self, from: Data(bytes))
        } catch let DecodingError.typeMismatch(_, c) {
            throw Invalid(description: "\(c.codingPath.map(\.stringValue).joined(separator: ".")) has the wrong type")
        } catch { throw Invalid(description: "the configuration does not match its schema") }

        func check<T: Comparable>(_ v: T?, _ range: ClosedRange<T>, _ name: String) throws(Invalid) -> T? {
            guard let v else { return nil }
            guard range.contains(v) else { throw Invalid(description: "\(name) must be in \(range.lowerBound)...\(range.upperBound)") }
            return v
        }
        var c = ServiceConfiguration()
        if let h = f.host { c.host = h }
        if let p = try check(f.port, 0...65535, "port") { c.port = p }
        if let d = f.database {
            do { c.database = try DatabaseLocation(parsing: d) } catch { throw Invalid(description: "database: \(error)") }
        }
        if let r = f.role {
            guard let role = Role(rawValue: r) else { throw Invalid(description: "role must be all, api or worker") }
            c.role = role
        }
        if let b = try check(f.batchSize, 1...1024, "batch_size") { c.batchSize = b }
        if let l = try check(f.leaseSeconds, 1...3600, "lease_seconds") { c.leaseSeconds = l }
        if let p = try check(f.pollMs, 1...60_000, "poll_ms") { c.pollMilliseconds = p }
        if let w = f.workerName { c.workerName = w }
        if let t = try check(f.challengeTtlSeconds, 1...7 * 86_400, "challenge_ttl_seconds") { c.challengeTTLSeconds = t }
        if let n = try check(f.challengesPerMinute, 1...100_000, "challenges_per_minute") { c.challengesPerMinute = n }
        if let t = try check(f.idleTimeoutSeconds, 1...3600, "idle_timeout_seconds") { c.idleTimeoutSeconds = t }
        if let m = try check(f.verifierMemoryBudgetMb, 16...65_536, "verifier_memory_budget_mb") { c.verifierMemoryBudgetBytes = m * 1024 * 1024 }
        if let p = f.policy {
            if let params = p.parameters { c.policy.parameters = params }
            if let a = try check(p.maxSnapshotAgeSeconds, 0...366 * 86_400, "policy.max_snapshot_age_seconds") { c.policy.maxSnapshotAgeSeconds = a }
            if let v = try check(p.maxValiditySeconds, 0...366 * 86_400, "policy.max_validity_seconds") { c.policy.maxValiditySeconds = v }
        }
        return c
    }
}
