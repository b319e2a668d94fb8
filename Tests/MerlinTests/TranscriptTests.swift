import XCTest
import Foundation
@testable import Merlin

final class TranscriptTests: XCTestCase {
    static let vectorsDir = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Vectors")

    /// merlin's own `equivalence_simple` test vector.
    func testPublishedEquivalenceSimple() {
        var t = Transcript(label: "test protocol")
        t.appendMessage(label: "some label", message: Array("some data".utf8))
        XCTAssertEqual(hex(t.challengeBytes(label: "challenge", count: 32)),
                       "d5a21972d0d5fe320c0d263fac7fffb8145aa640af6e9bca177c03c7efcf0615")
    }

    /// The interop sample's merlin_check, read from the vector file.
    func testInteropSampleMerlinCheck() throws {
        let data = try Data(contentsOf: Self.vectorsDir.appendingPathComponent("bulletproofs-interop-sample.json"))
        let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let mc = try XCTUnwrap(obj["merlin_check"] as? [String: Any])
        let msg = try XCTUnwrap(mc["append_message"] as? [String])
        var t = Transcript(label: try XCTUnwrap(mc["transcript_label"] as? String))
        t.appendMessage(label: msg[0], message: Array(msg[1].utf8))
        let c = t.challengeBytes(label: try XCTUnwrap(mc["challenge_label"] as? String), count: 32)
        XCTAssertEqual(hex(c), try XCTUnwrap(mc["challenge_32_bytes"] as? String))
    }

    /// Replays every operation of the Rust reference's trace (both the prove and verify
    /// sections): each AD is appended under its label, and every PRF output must equal ours.
    /// This checks framing, rate boundaries (the trace crosses many 166-byte blocks) and PRF.
    func testReplayReferenceTrace() throws {
        let text = try String(contentsOf: Self.vectorsDir.appendingPathComponent("bulletproofs-transcript-trace-n8-m1.txt"), encoding: .utf8)
        var t: Transcript? = nil
        var pendingLabel: [UInt8]? = nil
        var prfCount = 0
        for raw in text.split(separator: "\n") {
            let line = raw.split(separator: "\t", maxSplits: 1)[0].trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("#") { continue }
            if line.hasPrefix("Initialize STROBE-128(") {
                t = nil; pendingLabel = nil
                continue
            }
            let parts = line.components(separatedBy: " : ")
            let body = line.hasPrefix("PRF:") ? String(line.dropFirst(4)).trimmingCharacters(in: .whitespaces)
                : parts.count == 2 ? parts[1] : ""
            if line.hasPrefix("meta-AD") {
                let label = unhex(String(body.split(separator: " ")[0]))
                pendingLabel = label
            } else if line.hasPrefix("AD") {
                let label = try XCTUnwrap(pendingLabel)
                let data = unhex(body)
                if t == nil {
                    XCTAssertEqual(label, Array("dom-sep".utf8))
                    t = Transcript(label: String(decoding: data, as: UTF8.self))
                } else {
                    t!.appendMessage(labelBytes: label, message: data)
                }
            } else if line.hasPrefix("PRF") {
                let label = String(decoding: try XCTUnwrap(pendingLabel), as: UTF8.self)
                let expected = unhex(body)
                XCTAssertEqual(t!.challengeBytes(label: label, count: expected.count), expected, "PRF \(label)")
                prfCount += 1
            } else {
                XCTFail("unparsed trace line: \(line)")
            }
        }
        XCTAssertEqual(prfCount, 14)
    }

    /// The tracing hook records exactly the operations performed.
    func testTraceRecorder() {
        var t = Transcript(label: "x", tracing: true)
        t.appendU64(label: "n", value: 8)
        _ = t.challengeBytes(label: "c", count: 3)
        guard let tr = t.trace else { return XCTFail("no trace") }
        XCTAssertEqual(tr.count, 7)
        XCTAssertEqual(tr[4], .ad([8, 0, 0, 0, 0, 0, 0, 0]))
        XCTAssertEqual(tr[5], .metaAD(Array("c".utf8), 3))
        XCTAssertNil(Transcript(label: "x").trace)
    }

    /// Different labels, messages or split points give different challenges (framing).
    func testFramingSeparatesMessages() {
        var a = Transcript(label: "p"); a.appendMessage(label: "ab", message: [1])
        var b = Transcript(label: "p"); b.appendMessage(label: "a", message: Array("b".utf8) + [1])
        XCTAssertNotEqual(a.challengeBytes(label: "c", count: 32), b.challengeBytes(label: "c", count: 32))
        var c = Transcript(label: "p"); var d = Transcript(label: "q")
        XCTAssertNotEqual(c.challengeBytes(label: "c", count: 32), d.challengeBytes(label: "c", count: 32))
    }

    /// The transcript RNG depends on the witness and the seed, and is deterministic given both.
    func testTranscriptRng() {
        let t = Transcript(label: "rng")
        func draw(_ w: [UInt8], _ seed: [UInt8]) -> [UInt8] {
            var b = t.buildRng(); b.rekey(label: "w", witness: w)
            var r = b.finalize(randomSeed: seed); return r.fillBytes(64)
        }
        let s = [UInt8](repeating: 7, count: 32)
        XCTAssertEqual(draw([1], s), draw([1], s))
        XCTAssertNotEqual(draw([1], s), draw([2], s))
        XCTAssertNotEqual(draw([1], s), draw([1], [UInt8](repeating: 8, count: 32)))
    }
}
