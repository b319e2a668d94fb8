import ArgumentParser
import Dispatch
import Foundation
import Hummingbird
import Logging
import VerificationService
import RiskEngine
import Verifier

/// `riskattest serve`: the verification service (README "Clearing house", SPEC §18).
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the verification service a clearing house uses: intake, batch verification, members, challenges, audit.",
        discussion: """
        The admin bearer token comes from RISKATTEST_ADMIN_TOKEN or --admin-token-file (at least \(AdminToken.minimumLength) \
        characters); the service refuses to start without one. With no --database it stores to sqlite:./riskattest.db. \
        SIGINT or SIGTERM shut it down gracefully (in-flight requests and the current batch finish).
        """)

    @Option(name: .long, help: "JSON configuration file (options given here override it).") var config: String?
    @Option(name: .long, help: "Address to listen on (default 127.0.0.1).") var host: String?
    @Option(name: .long, help: "Port (default 8080; 0 picks a free one).") var port: Int?
    @Option(name: .long, help: "sqlite:PATH (default sqlite:./riskattest.db) or postgres://USER[:PASSWORD]@HOST[:PORT]/DB.") var database: String?
    @Option(name: .long, help: "all (default), api or worker.") var role: String?
    @Option(name: .long, help: "File holding the admin bearer token (instead of RISKATTEST_ADMIN_TOKEN).") var adminTokenFile: String?
    @Option(name: .customLong("param"), help: "Required circuit parameter NAME=DECIMAL (repeatable; default: each circuit's declared values).") var params: [String] = []
    @Option(name: .long, help: "Largest age of the snapshot when an attestation was made (default 1h).") var maxSnapshotAge: String?
    @Option(name: .long, help: "Largest validity window (default 24h).") var maxValidity: String?
    @Option(name: .long, help: "Attestations verified per batch (default 32).") var batchSize: Int?

    func run() throws {
        var c = ServiceConfiguration()
        let token: String
        do {
            if let path = config {
                do { c = try ServiceConfiguration.load(json: try CLI.read(path, what: "configuration", limit: 1 << 20)) }
                catch let e as ServiceConfiguration.Invalid { throw CLI.Failure(description: "configuration \(path): \(e)") }
            }
            if let host { c.host = host }
            if let port {
                guard (0...65535).contains(port) else { throw CLI.Failure(description: "--port: expected 0...65535, got \(port)") }
                c.port = port
            }
            if let database {
                do { c.database = try DatabaseLocation(parsing: database) }
                catch { throw CLI.Failure(description: "--database: \(error)") }
            }
            if let role {
                guard let r = ServiceConfiguration.Role(rawValue: role) else {
                    throw CLI.Failure(description: "--role: expected all, api or worker, got \"\(role)\"")
                }
                c.role = r
            }
            if !params.isEmpty { c.policy.parameters = try CLI.parameters(params) }
            if let s = maxSnapshotAge { c.policy.maxSnapshotAgeSeconds = try CLI.duration(s, option: "--max-snapshot-age") }
            if let s = maxValidity { c.policy.maxValiditySeconds = try CLI.duration(s, option: "--max-validity") }
            if let b = batchSize {
                guard (1...1024).contains(b) else { throw CLI.Failure(description: "--batch-size: expected 1...1024, got \(b)") }
                c.batchSize = b
            }
            token = try Self.adminToken(file: adminTokenFile)
        } catch let e as CLI.Failure { throw CLI.fail(e.description, code: 2) }

        let configuration = c
        let outcome = blockingAsync { () async -> Result<Void, any Error> in
            do {
                let store = try await ServiceStore.open(configuration.database)
                let env = ServiceEnvironment(config: configuration, store: store, adminToken: token)
                var logger = Logger(label: "riskattest.serve")
                logger.logLevel = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
                logger.info("riskattest serve: role \(configuration.role.rawValue), database \(configuration.database)")
                let app = buildApplication(env, logger: logger)
                do { try await app.runService() } catch { await store.close(); return .failure(error) }
                await store.close()
                return .success(())
            } catch { return .failure(error) }
        }
        if case .failure(let e) = outcome { throw CLI.fail("serve: \(e)", code: 2) }
    }

    /// The token from the file (first line, trimmed) or the environment; refused when missing
    /// or short. A token file others can read is refused like a private key.
    static func adminToken(file: String?) throws(CLI.Failure) -> String {
        let raw: String
        if let file { raw = try CLI.privateKeyText(file).split(whereSeparator: \.isNewline).first.map(String.init) ?? "" }
        else if let env = ProcessInfo.processInfo.environment["RISKATTEST_ADMIN_TOKEN"] { raw = env }
        else {
            throw CLI.Failure(description: "no admin token: set RISKATTEST_ADMIN_TOKEN or pass --admin-token-file FILE (the service refuses to start without one)")
        }
        let t = raw.trimmingCharacters(in: .whitespaces)
        guard t.count >= AdminToken.minimumLength, t.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != "\u{7f}" && ($0.asciiValue ?? 0) >= 0x20 }) else {
            throw CLI.Failure(description: "the admin token must be at least \(AdminToken.minimumLength) printable ASCII characters without spaces")
        }
        return t
    }
}

/// `riskattest audit verify`: recompute the service's audit chain.
struct Audit: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Work with the verification service's audit log.",
                                                    subcommands: [AuditVerify.self])
}

struct AuditVerify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Recompute the audit log's hash chain and report the first broken link.",
        discussion: "Exit 0 when the chain is intact, 1 when it is broken, 2 when the database cannot be read.")

    @Option(name: .long, help: "sqlite:PATH or postgres://USER[:PASSWORD]@HOST[:PORT]/DB (default sqlite:./riskattest.db).") var database: String?
    @Flag(name: .long, help: "Print a JSON report.") var json = false

    func run() throws {
        let location: DatabaseLocation
        do { location = try database.map { try DatabaseLocation(parsing: $0) } ?? .defaultLocation }
        catch { throw CLI.fail("--database: \(error)", code: 2) }
        if case .sqlite(let path) = location, !FileManager.default.fileExists(atPath: path) {
            throw CLI.fail("audit verify: \(path): no such database", code: 2)
        }
        let outcome = blockingAsync { () async -> Result<(Int64, AuditChain.Break?), any Error> in
            do {
                let store = try await ServiceStore.open(location)
                do {
                    let r = try await store.verifyAudit()
                    await store.close()
                    return .success(r)
                } catch {
                    await store.close()
                    return .failure(error)
                }
            } catch { return .failure(error) }
        }
        switch outcome {
        case .failure(let e): throw CLI.fail("audit verify: \(e)", code: 2)
        case .success(let (count, broken)):
            if json {
                var o: [String: Any] = ["schema": "riskattest.audit-verify/1", "entries": count, "intact": broken == nil]
                if let b = broken { o["first_broken"] = ["seq": b.seq, "reason": b.reason] }
                let data = (try? JSONSerialization.data(withJSONObject: o, options: [.sortedKeys, .prettyPrinted])) ?? Data()
                print(String(decoding: data, as: UTF8.self))
            } else if let b = broken {
                print("audit chain BROKEN at \(b): \(count) entries verified before it")
            } else {
                print("audit chain intact: \(count) entries")
            }
            if broken != nil { throw ExitCode(1) }
        }
    }
}

/// Runs async work from a synchronous command and waits for it (the CLI's root is synchronous;
/// the service and the store are async). The work runs on the concurrency pool; this thread
/// only waits.
func blockingAsync<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    Task.detached { box.value = await body(); done.signal() }
    done.wait()
    return box.value!
}

final class ResultBox<T>: @unchecked Sendable { var value: T? }

/// `riskattest restamp`: the snapshot with every time moved so that as_of is the given time.
struct Restamp: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a copy of a market snapshot with all its times shifted so that as_of is the given time.",
        discussion: "For demonstrations and tests: the bundled example snapshot, re-dated to now, so that attestations made on it pass a verifier's freshness policy. Every interval in the snapshot (price ages, expiries) is kept.")

    @Option(name: .long, help: "Market snapshot (JSON).") var market: String
    @Option(name: .long, help: "New as_of: ISO-8601 UTC, unix seconds, or \"now\" (default).") var asOf: String = "now"
    @Option(name: .long, help: "Output file (written atomically).") var out: String

    func run() throws {
        do {
            let bytes = try CLI.read(market, what: "market")
            let t = asOf == "now" ? CLI.now : try CLI.time(asOf, option: "--as-of")
            let shifted: [UInt8]
            do { shifted = try MarketRestamp.shift(bytes, toAsOf: t) } catch { throw CLI.Failure(description: "market \(market): \(error)") }
            do { try AtomicFile.write(shifted, to: out) } catch { throw CLI.Failure(description: "\(out): \(error)") }
            print("wrote \(UntrustedText.escape(out)) (as_of \(Timestamp(seconds: t).iso8601))")
        } catch let e as CLI.Failure { throw CLI.fail(e.description, code: 2) }
    }
}
