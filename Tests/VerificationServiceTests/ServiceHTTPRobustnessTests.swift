import Foundation
import Hummingbird
import HummingbirdTesting
import XCTest
@testable import VerificationService

/// Hostile HTTP on a live socket: slow clients are cut off by the idle timeout, oversized
/// headers are refused, garbage is not a crash — and the service keeps answering.
final class ServiceHTTPRobustnessTests: XCTestCase {
    func testSlowClientsHugeHeadersAndGarbageDoNotHurtTheService() async throws {
        let h = try await Harness.make(.sqlite) { c in c.idleTimeoutSeconds = 1 }
        defer { Task { await h.close() } }
        let app = buildApplication(h.env)
        try await app.test(.live) { client in
            let port = try XCTUnwrap(client.port)

            // A slow client: half a request line, then silence. The idle timeout closes it.
            let slow = try RawSocket(port: port)
            try slow.send(Array("GET /healthz HTTP/1.1\r\nHost: x\r\n".utf8))
            let started = Date()
            let closedAfter = try slow.waitForClose(timeout: 10)
            XCTAssertNotNil(closedAfter, "the server closed the idle connection")
            XCTAssertLessThan(Date().timeIntervalSince(started), 5)

            // Headers past the decoder's 80 KiB limit: refused (431 or closed), never a crash.
            let huge = try RawSocket(port: port)
            try huge.send(Array("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 200_000))\r\n\r\n".utf8))
            let reply = String(decoding: try huge.readAll(timeout: 5), as: UTF8.self)
            XCTAssertFalse(reply.hasPrefix("HTTP/1.1 200"), reply)

            // Not HTTP at all.
            let junk = try RawSocket(port: port)
            try junk.send([UInt8](repeating: 0xFF, count: 4096))
            _ = try junk.readAll(timeout: 5)

            // Still serving (on new connections: the test client's own connection has been
            // idle past the timeout too, and was closed like the slow one).
            for path in ["/healthz", "/readyz"] {
                let fresh = try RawSocket(port: port)
                try fresh.send(Array("GET \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8))
                let answer = String(decoding: try fresh.readAll(timeout: 5), as: UTF8.self)
                XCTAssertTrue(answer.hasPrefix("HTTP/1.1 200"), answer)
            }
        }
    }

    func testServeRefusesToStartWithoutAnAdminToken() throws {
        let bin = try Fixtures.binary()
        for (env, file, expect) in [([String: String](), nil as String?, "no admin token"),
                                    (["RISKATTEST_ADMIN_TOKEN": "short"], nil, "at least 16")] {
            let p = Process(), err = Pipe()
            p.executableURL = bin
            p.arguments = ["serve", "--port", "0", "--database", "sqlite:/tmp/ra-never-\(UUID().uuidString).db"] + (file.map { ["--admin-token-file", $0] } ?? [])
            p.environment = env
            p.standardError = err; p.standardOutput = FileHandle.nullDevice
            try p.run(); p.waitUntilExit()
            let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            XCTAssertEqual(p.terminationStatus, 2, text)
            XCTAssertTrue(text.contains(expect), text)
        }
        // A token file others can read is refused like a private key.
        let f = FileManager.default.temporaryDirectory.appendingPathComponent("token-\(UUID().uuidString)")
        try Data("0123456789abcdef0123\n".utf8).write(to: f)
        chmod(f.path, 0o644)
        let p = Process(), err = Pipe()
        p.executableURL = bin
        p.arguments = ["serve", "--port", "0", "--admin-token-file", f.path]
        p.environment = [:]
        p.standardError = err; p.standardOutput = FileHandle.nullDevice
        try p.run(); p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 2)
        XCTAssertTrue(String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).contains("chmod 600"))
    }

    func testConfigurationFileIsStrict() throws {
        XCTAssertNoThrow(try ServiceConfiguration.load(json: Array(#"{"port": 9000, "policy": {"parameters": {"k": "1.5"}, "max_validity_seconds": 3600}}"#.utf8)))
        let c = try ServiceConfiguration.load(json: Array(#"{"database": "postgres://u:p%40ss@db.example:6543/ra", "role": "worker"}"#.utf8))
        XCTAssertEqual(c.role, .worker)
        XCTAssertEqual(c.database, .postgres(.init(host: "db.example", port: 6543, user: "u", password: "p@ss", database: "ra")))
        XCTAssertEqual("\(c.database)", "postgres://u@db.example:6543/ra", "the password is never printed")
        for bad in [#"{"prot": 1}"#, #"{"port": "80"}"#, #"{"port": 70000}"#, #"{"role": "boss"}"#,
                    #"{"policy": {"max_age": 1}}"#, #"{"database": "mysql://x"}"#, "[]", "{"] {
            XCTAssertThrowsError(try ServiceConfiguration.load(json: Array(bad.utf8)), bad)
        }
    }
}

/// A blocking TCP client for sending what no HTTP client library would.
final class RawSocket {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard r == 0 else { close(fd); throw XCTSkip("cannot connect") }
    }
    deinit { close(fd) }

    func send(_ bytes: [UInt8]) throws {
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }   // the server may close early (e.g. on huge headers)
            off += n
        }
    }

    /// Reads until the peer closes or `timeout` passes.
    func readAll(timeout: TimeInterval) throws -> [UInt8] {
        var out: [UInt8] = []
        let deadline = Date().addingTimeInterval(timeout)
        var buf = [UInt8](repeating: 0, count: 65_536)
        while Date() < deadline {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&p, 1, 100) > 0 {
                let n = recv(fd, &buf, buf.count, 0)
                if n <= 0 { break }
                out += buf[0..<n]
            }
        }
        return out
    }

    /// Seconds until the peer closed, or nil if it did not within `timeout`.
    func waitForClose(timeout: TimeInterval) throws -> TimeInterval? {
        let start = Date()
        var buf = [UInt8](repeating: 0, count: 4096)
        while Date().timeIntervalSince(start) < timeout {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&p, 1, 100) > 0 {
                let n = recv(fd, &buf, buf.count, 0)
                if n <= 0 { return Date().timeIntervalSince(start) }
            }
        }
        return nil
    }
}
