import Foundation
import XCTest

/// Test helpers: hex, vector files, and running the `openssl` CLI as an independent reference.
enum TestSupport {
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static func vectors(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: packageRoot.appendingPathComponent("Vectors").appendingPathComponent(name))
        guard let obj = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw NSError(domain: "vectors", code: 1, userInfo: [NSLocalizedDescriptionKey: "\(name) is not an object"])
        }
        return obj
    }

    static func hex(_ s: String) -> [UInt8] {
        let c = Array(s.utf8)
        precondition(c.count % 2 == 0, "odd hex")
        func v(_ x: UInt8) -> UInt8 {
            switch x {
            case 48...57: return x - 48
            case 97...102: return x - 87
            case 65...70: return x - 55
            default: preconditionFailure("bad hex")
            }
        }
        return stride(from: 0, to: c.count, by: 2).map { v(c[$0]) << 4 | v(c[$0 + 1]) }
    }

    static func hexString(_ b: [UInt8]) -> String { b.map { String(format: "%02x", $0) }.joined() }

    /// A fresh temporary directory, removed by the caller.
    static func tempDir() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("riskattest-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Runs openssl with `args`; returns (exit status, stdout, stderr).
    @discardableResult
    static func openssl(_ args: [String], stdin: Data? = nil) throws -> (Int32, Data, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["openssl"] + args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        if let stdin {
            let inp = Pipe()
            p.standardInput = inp
            try p.run()
            inp.fileHandleForWriting.write(stdin)
            try inp.fileHandleForWriting.close()
        } else {
            p.standardInput = FileHandle.nullDevice
            try p.run()
        }
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, o, String(decoding: e, as: UTF8.self))
    }
}
