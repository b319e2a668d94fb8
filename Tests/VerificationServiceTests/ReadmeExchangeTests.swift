import Foundation
import XCTest

/// The README's "Clearing house" exchange, run as it stands: the first ```sh block of that
/// section, in a scratch directory holding the repository's Examples/ and Circuits/, with the
/// built `riskattest` first on the PATH and port 8080 replaced by a free one (so a service
/// already on 8080 cannot answer for ours). If the README's commands stop working, this fails.
final class ReadmeExchangeTests: XCTestCase {
    func testClearingHouseExchangeFromTheReadme() throws {
        let bin = try Fixtures.binary()
        let readme = String(decoding: try Fixtures.file("README.md"), as: UTF8.self)
        guard let section = readme.range(of: "## Clearing house"),
              let open = readme.range(of: "```sh\n", range: section.upperBound..<readme.endIndex),
              let close = readme.range(of: "\n```", range: open.upperBound..<readme.endIndex) else {
            return XCTFail("README has no Clearing house section with a sh block")
        }
        let port = try Self.freePort()
        let script = String(readme[open.upperBound..<close.lowerBound]).replacingOccurrences(of: "8080", with: "\(port)")
        XCTAssertTrue(script.contains("riskattest serve"))

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ra-readme-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for sub in ["Examples", "Circuits"] {
            try FileManager.default.createSymbolicLink(at: dir.appendingPathComponent(sub),
                                                       withDestinationURL: Fixtures.root.appendingPathComponent(sub))
        }
        try Data(script.utf8).write(to: dir.appendingPathComponent("exchange.sh"))
        let p = Process(), out = Pipe()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = ["exchange.sh"]
        p.currentDirectoryURL = dir
        var env = ProcessInfo.processInfo.environment
        env["PATH"] = bin.deletingLastPathComponent().path + ":" + (env["PATH"] ?? "/usr/bin:/bin")
        env["LOG_LEVEL"] = "warning"
        p.environment = env
        p.standardOutput = out; p.standardError = out
        try p.run()
        // A hung step (a service that never answers) must fail the test, not hang the suite.
        let pid = p.processIdentifier
        let watchdog = DispatchWorkItem { kill(pid, SIGKILL); _ = try? Process.run(URL(fileURLWithPath: "/usr/bin/pkill"), arguments: ["-f", "serve --port \(port)"]) }
        DispatchQueue.global().asyncAfter(deadline: .now() + 180, execute: watchdog)
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        watchdog.cancel()
        XCTAssertEqual(p.terminationStatus, 0, text)
        XCTAssertTrue(text.contains("\"status\":\"valid\""), text)
        XCTAssertTrue(text.contains("\"good_standing\":true"), text)
        XCTAssertTrue(text.contains("\"action\":\"attestation.verified\""), text)
        XCTAssertTrue(text.contains("audit chain intact: 7 entries"), text)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("riskattest.db").path),
                      "the embedded default stores to ./riskattest.db")
    }

    /// A port nothing listens on now (bound and released).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0
            }
        }
        guard ok else { throw XCTSkip("no free port") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}
