import XCTest
import Ristretto255
@testable import Merlin
@testable import Bulletproofs

/// Checks against the Rust `bulletproofs` 5.0.0 sample (Vectors/bulletproofs-interop-sample.json,
/// copied from ../shared/vectors) and its transcript trace.
final class InteropTests: XCTestCase {
    func testPedersenBases() throws {
        let g = try XCTUnwrap(try loadSample()["generators"] as? [String: Any])
        XCTAssertEqual(hex(PedersenGens.standard.B.compressed()), g["pedersen_B"] as? String)
        XCTAssertEqual(hex(PedersenGens.standard.blindingBase.compressed()), g["pedersen_B_blinding"] as? String)
    }

    func testVectorGenerators() throws {
        let g = try XCTUnwrap(try loadSample()["generators"] as? [String: Any])
        let gens = BulletproofGens(gensCapacity: 64, partyCapacity: 2)
        XCTAssertEqual(gens.G[0].prefix(4).map { hex($0.compressed()) }, g["G_party0_first4"] as? [String])
        XCTAssertEqual(gens.H[0].prefix(4).map { hex($0.compressed()) }, g["H_party0_first4"] as? [String])
        XCTAssertEqual(gens.G[1].prefix(2).map { hex($0.compressed()) }, g["G_party1_first2"] as? [String])
        XCTAssertEqual(gens.H[1].prefix(2).map { hex($0.compressed()) }, g["H_party1_first2"] as? [String])
        // The flattened G(n, m) used by proofs: party 0's first n, then party 1's.
        let flat = GeneratorCache.shared.flattened(n: 8, m: 2)
        XCTAssertEqual(flat.G[8], gens.G[1][0])
        XCTAssertEqual(flat.H[9], gens.H[1][1])
    }

    func testPedersenCommit5With7() throws {
        let pc = try XCTUnwrap(try loadSample()["pedersen_commit_5_7"] as? [String: Any])
        let blinding = try Scalar(canonicalBytes: unhex(try XCTUnwrap(pc["blinding_le_hex"] as? String)))
        XCTAssertEqual(blinding, Scalar(7))
        let c = PedersenGens.standard.commit(value: Scalar(5), blinding: blinding)
        XCTAssertEqual(hex(c.compressed()), pc["commitment"] as? String)
    }

    func testReferenceProofsVerify() throws {
        let vectors = try XCTUnwrap(try loadSample()["vectors"] as? [[String: Any]])
        XCTAssertEqual(vectors.count, 2)
        for v in vectors {
            let id = v["id"] as? String ?? "?"
            let n = try XCTUnwrap(v["n"] as? Int)
            let label = try XCTUnwrap(v["transcript_label"] as? String)
            let commitments = try XCTUnwrap(v["commitments"] as? [String]).map(unhex)
            let proofBytes = unhex(try XCTUnwrap(v["proof"] as? String))
            XCTAssertEqual(proofBytes.count, v["proof_len"] as? Int)
            XCTAssertEqual(v["expected"] as? Bool, true)
            // The commitments open to the listed values and blindings.
            let values = try XCTUnwrap(v["values"] as? [NSNumber]).map { $0.uint64Value }
            let blindings = try XCTUnwrap(v["blindings"] as? [String]).map { try Scalar(canonicalBytes: unhex($0)) }
            for j in 0..<values.count {
                XCTAssertEqual(PedersenGens.standard.commit(value: Scalar(values[j]), blinding: blindings[j]).compressed(),
                               commitments[j], "\(id) commitment \(j)")
            }
            let proof = try RangeProof(bytes: proofBytes)
            XCTAssertEqual(proof.bytes, proofBytes)
            var t = Transcript(label: label)
            XCTAssertNoThrow(try proof.verify(commitments: commitments, bitSize: n, transcript: &t), id)
            var t2 = Transcript(label: label)
            XCTAssertNoThrow(try proof.verify(points: commitments.map { try RistrettoPoint(compressed: $0) },
                                              bitSize: n, transcript: &t2), id)
            // And re-proving the same statement with our prover verifies too.
            var tp = Transcript(label: label)
            let ours = try RangeProof.prove(values: values, blindings: blindings, bitSize: n, transcript: &tp)
            XCTAssertEqual(ours.commitments, commitments)
            XCTAssertEqual(ours.proof.bytes.count, proofBytes.count)
            var tv = Transcript(label: label)
            XCTAssertNoThrow(try ours.proof.verify(commitments: commitments, bitSize: n, transcript: &tv), id)
        }
    }

    /// Our verifier's transcript equals the reference trace's VERIFY section line by line, and our
    /// prover performs the same sequence of operations (labels and lengths) as its PROVE section.
    func testTranscriptTraceMatchesReference() throws {
        let text = try String(contentsOf: vectorsDir.appendingPathComponent("bulletproofs-transcript-trace-n8-m1.txt"), encoding: .utf8)
        var sections: [String: [String]] = [:]
        var current = ""
        for raw in text.split(separator: "\n") {
            let line = String(raw.split(separator: "\t", maxSplits: 1)[0])
            if line.hasPrefix("# PROVE") { current = "prove"; continue }
            if line.hasPrefix("# VERIFY") { current = "verify"; continue }
            if line.hasPrefix("#") { continue }
            sections[current, default: []].append(line)
        }
        let verifyLines = try XCTUnwrap(sections["verify"]), proveLines = try XCTUnwrap(sections["prove"])
        XCTAssertEqual(verifyLines.count, proveLines.count)

        let v = try XCTUnwrap(try XCTUnwrap(try loadSample()["vectors"] as? [[String: Any]]).first)
        let commitments = try XCTUnwrap(v["commitments"] as? [String]).map(unhex)
        let proof = try RangeProof(bytes: unhex(try XCTUnwrap(v["proof"] as? String)))
        var t = Transcript(label: "riskattest-vector", tracing: true)
        try proof.verify(commitments: commitments, bitSize: 8, transcript: &t)
        let ours = try XCTUnwrap(t.trace).map(render)
        XCTAssertEqual(ours.count, verifyLines.count)
        for (i, (a, b)) in zip(ours, verifyLines).enumerated() { XCTAssertEqual(a, b, "verify line \(i)") }

        // Prover: same operations; data equal except where it depends on the prover's randomness.
        var tp = Transcript(label: "riskattest-vector", tracing: true)
        let blinding = try Scalar(canonicalBytes: unhex(try XCTUnwrap(v["blindings"] as? [String])[0]))
        _ = try RangeProof.prove(values: [0], blindings: [blinding], bitSize: 8, transcript: &tp)
        let ourProve = try XCTUnwrap(tp.trace).map(render)
        XCTAssertEqual(ourProve.count, proveLines.count)
        for (i, (a, b)) in zip(ourProve, proveLines).enumerated() {
            if a.hasPrefix("meta-AD") || a.hasPrefix("Initialize") || i < 11 {
                XCTAssertEqual(a, b, "prove line \(i)")      // labels, lengths, header and V
            } else {
                XCTAssertEqual(a.count, b.count, "prove line \(i)")
            }
        }
    }
}
