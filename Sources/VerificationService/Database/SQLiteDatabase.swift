import Foundation
import Logging
import NIOCore
import NIOPosix
import SQLiteNIO
import Synchronization

/// The embedded store: one SQLite file (WAL journal, full fsync on commit).
///
/// One connection, and transactions strictly one after another (`TransactionGate`): SQLite allows
/// one writer at a time anyway, and a single connection shared by concurrent tasks must never
/// interleave two transactions' statements. `BEGIN IMMEDIATE` takes the write lock up front, so
/// a second *process* on the same file (a separate worker) waits (busy timeout) instead of
/// failing half-way through its transaction.
public final class SQLiteDatabase: SQLDatabase {
    public let dialect = SQLDialect.sqlite
    let connection: SQLiteConnection
    let gate = TransactionGate()
    /// A thread of its own: a call waiting on SQLite's busy handler blocks its thread, and on a
    /// shared pool two such waits could occupy every thread while the lock holder needs one to
    /// commit.
    let threadPool: NIOThreadPool
    public let path: String

    private init(connection: SQLiteConnection, threadPool: NIOThreadPool, path: String) {
        self.connection = connection; self.threadPool = threadPool; self.path = path
    }

    public static func open(path: String, logger: Logger = Logger(label: "riskattest.sqlite")) async throws -> SQLiteDatabase {
        let dir = (path as NSString).deletingLastPathComponent
        var isDir: ObjCBool = false
        if !dir.isEmpty, !(FileManager.default.fileExists(atPath: dir, isDirectory: &isDir) && isDir.boolValue) {
            throw StoreError.unusableLocation("sqlite:\(path): directory \(dir) does not exist")
        }
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        let conn: SQLiteConnection
        do {
            conn = try await SQLiteConnection.open(storage: .file(path: path), threadPool: pool, logger: logger,
                                                   on: MultiThreadedEventLoopGroup.singleton.any())
        } catch {
            try? await pool.shutdownGracefully()
            throw StoreError.connection("sqlite:\(path): \(error)")
        }
        let db = SQLiteDatabase(connection: conn, threadPool: pool, path: path)
        do {
            // WAL: readers never block the writer; synchronous=FULL: a commit (the 202 of an
            // intake) survives power loss, not only a process crash.
            // busy_timeout first: switching to WAL needs a lock that another process (or
            // connection) starting at the same moment may hold.
            _ = try await conn.query("PRAGMA busy_timeout=10000")
            // Switching to WAL can answer SQLITE_BUSY at once (no busy handler) while another
            // connection opens the same new file: retry for up to a few seconds.
            var attempt = 0
            while true {
                do { _ = try await conn.query("PRAGMA journal_mode=WAL"); break }
                catch let e as SQLiteError where e.reason == .busy && attempt < 200 {
                    attempt += 1
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
            _ = try await conn.query("PRAGMA synchronous=FULL")
            _ = try await conn.query("PRAGMA foreign_keys=ON")
        } catch {
            await db.close()
            throw StoreError.connection("sqlite:\(path): \(error)")
        }
        return db
    }

    public func transaction<T: Sendable>(_ body: @Sendable (any SQLTransaction) async throws -> T) async throws -> T {
        try await gate.run {
            var attempt = 0
            while true {
                attempt += 1
                do {
                    _ = try await connection.query("BEGIN IMMEDIATE")
                } catch let e as SQLiteError where e.reason == .busy || e.reason == .busyTimeout {
                    if attempt < 5 { continue }
                    throw StoreError.connection("database is locked by another process: \(e)")
                }
                do {
                    let value = try await body(SQLiteTx(connection: connection))
                    _ = try await connection.query("COMMIT")
                    return value
                } catch {
                    _ = try? await connection.query("ROLLBACK")
                    throw error
                }
            }
        }
    }

    public func close() async {
        try? await connection.close()
        try? await threadPool.shutdownGracefully()
    }
}

struct SQLiteTx: SQLTransaction {
    let connection: SQLiteConnection

    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [SQLRow] {
        let data: [SQLiteData] = binds.map {
            switch $0 {
            case .int(let v): return .integer(Int(v))
            case .text(let s): return .text(s)
            case .blob(let b): return .blob(ByteBuffer(bytes: b))
            case .null: return .null
            }
        }
        let rows = try await connection.query(sql, data)
        return rows.map { row in
            var cols: [String: SQLValue] = [:]
            for c in row.columns {
                switch c.data {
                case .integer(let v): cols[c.name] = .int(Int64(v))
                case .text(let s): cols[c.name] = .text(s)
                case .blob(var b): cols[c.name] = .blob(b.readBytes(length: b.readableBytes) ?? [])
                case .float(let d): cols[c.name] = .int(Int64(d))
                case .null: cols[c.name] = .null
                }
            }
            return SQLRow(columns: cols)
        }
    }
}

/// Runs async closures one at a time, in arrival order (an async mutex). An actor alone is not
/// enough: its methods may interleave at every `await`.
final class TransactionGate: Sendable {
    private struct State { var busy = false; var waiters: [CheckedContinuation<Void, Never>] = [] }
    private let state = Mutex(State())

    func run<T>(_ body: () async throws -> T) async throws -> T {
        await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now: Bool = state.withLock { s in
                if !s.busy { s.busy = true; return true }
                s.waiters.append(c)
                return false
            }
            if now { c.resume() }
        }
    }

    private func release() {
        let next: CheckedContinuation<Void, Never>? = state.withLock { s in
            if s.waiters.isEmpty { s.busy = false; return nil }
            return s.waiters.removeFirst()
        }
        next?.resume()
    }
}
