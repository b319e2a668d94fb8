import Bulletproofs
import Foundation
import Merlin
import Ristretto255
import SystemCrypto

/// Range-proof benchmarks: prove and verify for the (n, m) pairs of INTEROP.md's reference table,
/// and batch verification of 64 single 64-bit proofs next to 64 separate verifications (the ratio
/// is the figure of merit). Generator chains and precomputed tables are built before timing
/// (a long-running prover or verifier builds them once); `rangeproof.tables` times that build
/// on its own for the shapes whose tables are window-shifted (n·m in 129…2048), and
/// `rangeproof.ct_tables` the prover's constant-time generator tables.
func rangeProofBenchmarks(reps: Int, shapes: [(Int, Int)]? = nil, only: String? = nil) -> [BenchRecord] {
    func want(_ name: String) -> Bool { benchSelects(only, name) }
    var out = [BenchRecord]()
    func blindings(_ m: Int) -> [Scalar] {
        let raw = SecureRandom.bytes(64 * m)
        return (0..<m).map { Scalar(reducing64: Array(raw[(64 * $0)..<(64 * $0 + 64)])) }
    }
    func values(_ n: Int, _ m: Int) -> [UInt64] {
        (0..<m).map { _ in n == 64 ? UInt64.random(in: 0...UInt64.max) : UInt64.random(in: 0..<(UInt64(1) << UInt64(n))) }
    }
    for (n, m) in shapes ?? [(64, 1), (64, 8), (64, 32), (64, 512), (32, 1)] {
        let r = m >= 512 ? min(reps, 3) : reps
        let vals = values(n, m), bl = blindings(m)
        if n * m > 128 && n * m <= 2048 {
            let gens = BulletproofGens(gensCapacity: n, partyCapacity: m)
            let points = gens.G.flatMap { $0 } + gens.H.flatMap { $0 }
                + [PedersenGens.standard.B, PedersenGens.standard.blindingBase]
            if want("rangeproof.tables") { out.append(benchMeasure(name: "rangeproof.tables", n: n, m: m, reps: min(r, 3)) {
                _ = VartimeFixedBaseMSM(points: points)
            }) }
        }
        if want("rangeproof.ct_tables") {
            // The prover's constant-time tables over [G, H] (built once per shape and process).
            let gens = BulletproofGens(gensCapacity: n, partyCapacity: m)
            let points = gens.G.flatMap { $0 } + gens.H.flatMap { $0 }
            out.append(benchMeasure(name: "rangeproof.ct_tables", n: n, m: m, reps: min(r, 3)) {
                _ = ConstantTimePointTables(points: points)
            })
        }
        try? RangeProof.prepareTables(bitSize: n, aggregation: m)   // shapes are validated by the caller
        var made: (proof: RangeProof, commitments: [[UInt8]])? = nil
        let prove = {
            var t = Transcript(label: "bench")
            made = try? RangeProof.prove(values: vals, blindings: bl, bitSize: n, transcript: &t)
        }
        if want("rangeproof.prove") { out.append(benchMeasure(name: "rangeproof.prove", n: n, m: m, reps: r, prove)) } else { prove() }
        guard let p = made else { continue }
        var ok = true
        out.append(benchMeasure(name: "rangeproof.verify", n: n, m: m, reps: r) {
            var t = Transcript(label: "bench")
            do { try p.proof.verify(commitments: p.commitments, bitSize: n, transcript: &t) } catch { ok = false }
        })
        if !ok { FileHandle.standardError.write(Data("rangeproof.verify failed for n=\(n) m=\(m)\n".utf8)) }
    }
    if shapes != nil { return out }
    // Batch of 64 single 64-bit proofs vs 64 separate verifications.
    let count = 64
    var items: [RangeProofBatchItem] = []
    for _ in 0..<count {
        var t = Transcript(label: "bench-batch")
        guard let p = try? RangeProof.prove(values: values(64, 1), blindings: blindings(1), bitSize: 64, transcript: &t),
              let pts = try? p.commitments.map({ try RistrettoPoint(compressed: $0) }) else { continue }
        items.append(RangeProofBatchItem(proof: p.proof, points: pts, bitSize: 64, transcript: Transcript(label: "bench-batch")))
    }
    var ok = true
    out.append(benchMeasure(name: "rangeproof.batch_verify", n: 64, m: 1, count: count, reps: reps) {
        do { try RangeProof.batchVerify(items) } catch { ok = false }
    })
    out.append(benchMeasure(name: "rangeproof.verify_separately", n: 64, m: 1, count: count, reps: reps) {
        for it in items {
            var t = it.transcript
            do { try it.proof.verify(points: it.points, bitSize: 64, transcript: &t) } catch { ok = false }
        }
    })
    if !ok { FileHandle.standardError.write(Data("rangeproof batch benchmark: a verification failed\n".utf8)) }
    return out
}
