/// The storage protocol of the verification service: a transactional SQL database, no more.
///
/// Why a SQL-level protocol rather than one method per domain operation: every rule of the
/// service (single-use nonces, idempotent intake, claims, exactly one result per attestation,
/// the audit chain) is written once, in `ServiceStore`, as SQL that both engines accept. The two
/// implementations — `SQLiteDatabase` (embedded default) and `PostgresDatabase` (shared
/// deployments, several workers) — differ only in how a transaction is opened, how parameters
/// are spelled, a few column types, and the row-locking clause (`SQLDialect`). A rule written
/// twice could drift between the engines; here it cannot.
public protocol SQLDatabase: Sendable {
    var dialect: SQLDialect { get }
    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    /// Implementations retry the whole body on a serialization failure or deadlock, so `body`
    /// must have no effects outside the database.
    func transaction<T: Sendable>(_ body: @Sendable (any SQLTransaction) async throws -> T) async throws -> T
    /// Closes connections; the database must not be used afterwards.
    func close() async
}

/// One open transaction. SQL uses `?` placeholders; the implementation renumbers them for
/// engines that spell them `$1, $2, …`.
public protocol SQLTransaction: Sendable {
    @discardableResult
    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow]
}

extension SQLTransaction {
    @discardableResult
    func query(_ sql: String) async throws -> [SQLRow] { try await query(sql, []) }
}

/// The values the service stores: integers, text and bytes (NULL where absent).
public enum SQLValue: Sendable, Equatable {
    case int(Int64)
    case text(String)
    case blob([UInt8])
    case null

    static func optional(_ s: String?) -> SQLValue { s.map { .text($0) } ?? .null }
    static func optional(_ i: Int64?) -> SQLValue { i.map { .int($0) } ?? .null }
}

/// A result row, by column name.
public struct SQLRow: Sendable {
    public var columns: [String: SQLValue]

    public init(columns: [String: SQLValue]) { self.columns = columns }

    func int(_ name: String) throws -> Int64 {
        guard case .int(let v)? = columns[name] else { throw StoreError.corrupt("column \(name) is not an integer") }
        return v
    }
    func optionalInt(_ name: String) throws -> Int64? {
        switch columns[name] {
        case .int(let v)?: return v
        case .null?, nil: return nil
        default: throw StoreError.corrupt("column \(name) is not an integer")
        }
    }
    func text(_ name: String) throws -> String {
        guard case .text(let v)? = columns[name] else { throw StoreError.corrupt("column \(name) is not text") }
        return v
    }
    func optionalText(_ name: String) throws -> String? {
        switch columns[name] {
        case .text(let v)?: return v
        case .null?, nil: return nil
        default: throw StoreError.corrupt("column \(name) is not text")
        }
    }
    func blob(_ name: String) throws -> [UInt8] {
        guard case .blob(let v)? = columns[name] else { throw StoreError.corrupt("column \(name) is not bytes") }
        return v
    }
}

/// What differs between the two engines' SQL.
public struct SQLDialect: Sendable {
    /// Column type for raw bytes.
    public var blobType: String
    /// Appended to a `SELECT` whose rows a worker claims: PostgreSQL locks the rows and lets a
    /// concurrent claimer skip them; SQLite needs nothing (its write transactions are exclusive).
    public var claimLock: String
    /// Appended to a `SELECT` of a row that the transaction will update (serialises writers of
    /// that row on PostgreSQL; SQLite's `BEGIN IMMEDIATE` already did).
    public var rowLock: String
    /// Run first in the migration transaction so that processes starting together on an empty
    /// database migrate one after another (a transaction-scoped advisory lock on PostgreSQL;
    /// SQLite's `BEGIN IMMEDIATE` already excludes other writers).
    public var migrationLock: String?
    public var name: String

    public static let sqlite = SQLDialect(blobType: "BLOB", claimLock: "", rowLock: "", migrationLock: nil, name: "sqlite")
    public static let postgres = SQLDialect(blobType: "BYTEA", claimLock: " FOR UPDATE SKIP LOCKED",
                                            rowLock: " FOR UPDATE",
                                            migrationLock: "SELECT pg_advisory_xact_lock(7243005131) AS locked",
                                            name: "postgres")
}

/// Storage failures the service reports (as 500/503) or that `audit verify` prints.
public enum StoreError: Error, CustomStringConvertible, Equatable {
    case unusableLocation(String)
    case connection(String)
    case corrupt(String)
    case migration(String)

    public var description: String {
        switch self {
        case .unusableLocation(let s): return "database location unusable: \(s)"
        case .connection(let s): return "database connection failed: \(s)"
        case .corrupt(let s): return "database content unexpected: \(s)"
        case .migration(let s): return "schema migration failed: \(s)"
        }
    }
}

/// Opens the database a `--database` value names: `sqlite:PATH` (or a bare path ending in
/// `.db`) or `postgres://USER[:PASSWORD]@HOST[:PORT]/DB` (`postgresql://` too).
public enum DatabaseLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(PostgresLocation)

    public struct PostgresLocation: Sendable, Equatable {
        public var host: String
        public var port: Int
        public var user: String
        public var password: String?
        public var database: String
    }

    public static let defaultLocation = DatabaseLocation.sqlite(path: "./riskattest.db")

    public init(parsing text: String) throws(StoreError) {
        if text.hasPrefix("sqlite:") {
            let path = String(text.dropFirst("sqlite:".count))
            guard !path.isEmpty else { throw .unusableLocation("sqlite: needs a path, e.g. sqlite:./riskattest.db") }
            self = .sqlite(path: path)
            return
        }
        for scheme in ["postgres://", "postgresql://"] where text.hasPrefix(scheme) {
            self = .postgres(try Self.parsePostgres(String(text.dropFirst(scheme.count))))
            return
        }
        throw .unusableLocation("expected sqlite:PATH or postgres://USER@HOST[:PORT]/DATABASE")
    }

    static func parsePostgres(_ rest: String) throws(StoreError) -> PostgresLocation {
        guard let at = rest.lastIndex(of: "@") else {
            throw .unusableLocation("postgres:// needs USER@HOST/DATABASE")
        }
        let credentials = rest[..<at]
        let hostPart = rest[rest.index(after: at)...]
        let user: Substring, password: Substring?
        if let colon = credentials.firstIndex(of: ":") {
            user = credentials[..<colon]; password = credentials[credentials.index(after: colon)...]
        } else { user = credentials; password = nil }
        guard let slash = hostPart.firstIndex(of: "/") else { throw .unusableLocation("postgres:// needs /DATABASE after the host") }
        let hostPort = hostPart[..<slash]
        let database = hostPart[hostPart.index(after: slash)...]
        var host = hostPort, port = 5432
        if let colon = hostPort.lastIndex(of: ":") {
            guard let p = Int(hostPort[hostPort.index(after: colon)...]), (1...65535).contains(p) else {
                throw .unusableLocation("postgres:// port must be 1...65535")
            }
            host = hostPort[..<colon]; port = p
        }
        guard !user.isEmpty, !host.isEmpty, !database.isEmpty, !database.contains("?") else {
            throw .unusableLocation("postgres:// needs a user, a host and a database name (no query options)")
        }
        return PostgresLocation(host: String(host), port: port, user: Self.percentDecode(user),
                                password: password.map(Self.percentDecode), database: String(database))
    }

    static func percentDecode(_ s: Substring) -> String {
        var out: [UInt8] = []
        var bytes = Array(s.utf8)[...]
        while let b = bytes.popFirst() {
            if b == UInt8(ascii: "%"), bytes.count >= 2,
               let v = UInt8(String(decoding: bytes.prefix(2), as: UTF8.self), radix: 16) {
                out.append(v); bytes = bytes.dropFirst(2)
            } else { out.append(b) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Never prints the password.
    public var description: String {
        switch self {
        case .sqlite(let p): return "sqlite:\(p)"
        case .postgres(let l): return "postgres://\(l.user)@\(l.host):\(l.port)/\(l.database)"
        }
    }
}
