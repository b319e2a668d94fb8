import Foundation
import XCTest
@testable import SystemCrypto

/// End-to-end checks of `riskattest keygen` (and through it AtomicFile), run as a subprocess: the
/// executable target cannot be imported by tests. `swift build --build-tests` builds it next to
/// the test bundle.
final class KeygenCLITests: XCTestCase {
    func binary() throws -> URL {
        // The test runner executable (Linux) or bundle (macOS) sits in the build directory.
        let candidates = [URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
                          Bundle.main.bundleURL.deletingLastPathComponent(),
                          Bundle(for: KeygenCLITests.self).bundleURL.deletingLastPathComponent()]
            .map { $0.appendingPathComponent("riskattest") }
        guard let bin = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw XCTSkip("riskattest binary not built next to the tests (\(candidates.map(\.path)))")
        }
        return bin
    }

    func run(_ args: [String]) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = try binary()
        p.arguments = args
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: e, as: UTF8.self))
    }

    func mode(_ path: String) throws -> Int {
        let attrs = try FileManager.default.attributesOfItem(atPath: path)
        return (attrs[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    func testKeygenWritesInteroperableKeysAtomically() throws {
        let dir = try TestSupport.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let prefix = dir.appendingPathComponent("firm").path
        var r = try run(["keygen", "--out", prefix])
        XCTAssertEqual(r.0, 0, r.1)
        XCTAssertEqual(try mode(prefix + ".key"), 0o600)
        XCTAssertEqual(try mode(prefix + ".pub"), 0o644)
        let keyText = try String(contentsOfFile: prefix + ".key", encoding: .utf8)
        let pubText = try String(contentsOfFile: prefix + ".pub", encoding: .utf8)
        let key = try Ed25519PrivateKey(pem: keyText)
        XCTAssertEqual(key.publicKey, try Ed25519PublicKey(pem: pubText))
        // OpenSSL derives the same public key from our private key file.
        let o = try TestSupport.openssl(["pkey", "-in", prefix + ".key", "-pubout"])
        XCTAssertEqual(o.0, 0, o.2)
        XCTAssertEqual(String(decoding: o.1, as: UTF8.self), pubText)

        // No overwrite without --force; the files are untouched.
        r = try run(["keygen", "--out", prefix])
        XCTAssertNotEqual(r.0, 0)
        XCTAssertTrue(r.1.contains("already exists; use --force"), r.1)
        XCTAssertEqual(try String(contentsOfFile: prefix + ".key", encoding: .utf8), keyText)

        // --force replaces both with a new key, keeping the modes.
        r = try run(["keygen", "--out", prefix, "--force"])
        XCTAssertEqual(r.0, 0, r.1)
        XCTAssertNotEqual(try String(contentsOfFile: prefix + ".key", encoding: .utf8), keyText)
        XCTAssertEqual(try mode(prefix + ".key"), 0o600)
        // No temporary files are left behind.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), ["firm.key", "firm.pub"])

        // A missing directory is a clear error naming the path.
        r = try run(["keygen", "--out", dir.appendingPathComponent("missing/firm").path])
        XCTAssertNotEqual(r.0, 0)
        XCTAssertTrue(r.1.contains("missing/firm.key"), r.1)
    }
}
