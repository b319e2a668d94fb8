import Logging
import NIOCore
import PostgresNIO

/// The shared store: PostgreSQL through PostgresNIO's connection pool.
///
/// Several API and worker processes may use one database. Transactions run at READ COMMITTED;
/// the rules that need more are written with explicit row locks (`SQLDialect.postgres`): workers
/// claim queued attestations with `FOR UPDATE SKIP LOCKED`, so two workers never take the same
/// row and neither waits for the other; the audit chain's head row is locked last in every
/// writing transaction (a fixed lock order: no deadlock through it). A serialization failure
/// or a deadlock the server breaks anyway is retried.
public final class PostgresDatabase: SQLDatabase {
    public let dialect = SQLDialect.postgres
    let client: PostgresClient
    let logger: Logger
    private let runner: Task<Void, Never>

    private init(client: PostgresClient, logger: Logger) {
        self.client = client; self.logger = logger
        self.runner = Task { await client.run() }
    }

    public static func open(_ location: DatabaseLocation.PostgresLocation,
                            logger: Logger = Logger(label: "riskattest.postgres")) async throws -> PostgresDatabase {
        var config = PostgresClient.Configuration(host: location.host, port: location.port, username: location.user,
                                                  password: location.password, database: location.database, tls: .disable)
        config.options.maximumConnections = 8
        config.options.connectTimeout = .seconds(10)
        let db = PostgresDatabase(client: PostgresClient(configuration: config, backgroundLogger: logger), logger: logger)
        do { _ = try await db.client.query("SELECT 1", logger: logger) }
        catch {
            await db.close()
            throw StoreError.connection("\(DatabaseLocation.postgres(location)): \(String(reflecting: error))")
        }
        return db
    }

    public func transaction<T: Sendable>(_ body: @Sendable (any SQLTransaction) async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await client.withTransaction(logger: logger) { conn in
                    try await body(PostgresTx(connection: conn, logger: logger))
                }
            } catch {
                if attempt < 5, Self.isRetryable(error) { continue }
                if let t = error as? PostgresTransactionError {
                    throw t.closureError ?? t.beginError ?? t.commitError ?? error
                }
                throw error
            }
        }
    }

    static func isRetryable(_ error: any Error) -> Bool {
        let inner = (error as? PostgresTransactionError).flatMap { $0.closureError ?? $0.commitError } ?? error
        guard let pe = inner as? PSQLError, let code = pe.serverInfo?[.sqlState] else { return false }
        return code == "40001" || code == "40P01"
    }

    public func close() async { runner.cancel(); _ = await runner.value }
}

struct PostgresTx: SQLTransaction {
    let connection: PostgresConnection
    let logger: Logger

    /// `?` → `$n`. The service's SQL never has a `?` inside a string literal.
    static func renumber(_ sql: String) -> String {
        var out = "", n = 0
        for ch in sql {
            if ch == "?" { n += 1; out += "$\(n)" } else { out.append(ch) }
        }
        return out
    }

    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        var b = PostgresBindings()
        for v in binds {
            switch v {
            case .int(let i): b.append(i)
            case .text(let s): b.append(s)
            case .blob(let bytes): b.append(ByteBuffer(bytes: bytes))
            case .null: b.appendNull()
            }
        }
        let rows = try await connection.query(PostgresQuery(unsafeSQL: Self.renumber(sql), binds: b), logger: logger)
        var out: [SQLRow] = []
        for try await row in rows {
            var cols: [String: SQLValue] = [:]
            for cell in row {
                guard cell.bytes != nil else { cols[cell.columnName] = .null; continue }
                switch cell.dataType {
                case .int8, .int4, .int2: cols[cell.columnName] = .int(try cell.decode(Int64.self))
                case .bytea:
                    var buf = try cell.decode(ByteBuffer.self)
                    cols[cell.columnName] = .blob(buf.readBytes(length: buf.readableBytes) ?? [])
                case .bool: cols[cell.columnName] = .int(try cell.decode(Bool.self) ? 1 : 0)
                default: cols[cell.columnName] = .text(try cell.decode(String.self))
                }
            }
            out.append(SQLRow(columns: cols))
        }
        return out
    }
}
