import Foundation
import XCTest
import Ristretto255
@testable import Merlin
@testable import Bulletproofs

func hex(_ b: [UInt8]) -> String { b.map { String(format: "%02x", $0) }.joined() }
func unhex(_ s: String) -> [UInt8] {
    var out: [UInt8] = []
    var it = s.makeIterator()
    while let h = it.next(), let l = it.next() { out.append(UInt8(String([h, l]), radix: 16) ?? 0) }
    return out
}

let vectorsDir = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Vectors")

func loadSample() throws -> [String: Any] {
    let data = try Data(contentsOf: vectorsDir.appendingPathComponent("bulletproofs-interop-sample.json"))
    return try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
}

func randomBlindings(_ m: Int) -> [Scalar] { RangeProof.randomScalars(m) }

/// Renders a traced transcript event in the reference trace file's notation (without comments).
func render(_ e: TranscriptTraceEvent) -> String {
    switch e {
    case .initialize(let p): return "Initialize STROBE-128(\(hex(p)))"
    case .metaAD(let l, let n): return "meta-AD : \(hex(l)) || LE32(\(n))"
    case .ad(let d): return "     AD : \(hex(d))"
    case .prf(let d): return "     PRF: \(hex(d))"
    }
}
