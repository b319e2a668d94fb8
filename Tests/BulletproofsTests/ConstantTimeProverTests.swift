import Foundation
import XCTest
import Ristretto255
@testable import Merlin
@testable import Bulletproofs

/// The constant-time prover against a textbook variable-time one (the Rust crate's algorithm:
/// A and S by multiscalar multiplication, explicit folding of G and H' = y^(−k)·H every round),
/// given the same randomness: the proofs must be identical byte for byte. This pins the
/// constant-time paths (precomputed generator tables, per-call tables, fixed-base B) to the
/// variable-time results, and shows that the rewrite left the proof bytes unchanged.
final class ConstantTimeProverTests: XCTestCase {
    /// Deterministic "randomness" for both provers (SplitMix64 expanded into wide scalars).
    func scalars(_ count: Int, seed: UInt64) -> [Scalar] {
        var state = seed
        func next() -> UInt64 {
            state &+= 0x9e3779b97f4a7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58476d1ce4e5b9
            z = (z ^ (z >> 27)) &* 0x94d049bb133111eb
            return z ^ (z >> 31)
        }
        return (0..<count).map { _ in
            var b: [UInt8] = []
            for _ in 0..<8 { let w = next(); for j in 0..<8 { b.append(UInt8(truncatingIfNeeded: w >> UInt64(8 * j))) } }
            return Scalar(reducing64: b)
        }
    }

    /// The textbook prover, variable time throughout (test reference only).
    func textbookProve(values: [UInt64], blindings: [Scalar], n: Int, transcript: inout Transcript,
                       randomness rnd: [Scalar]) -> [UInt8] {
        let m = values.count, nm = n * m
        let pc = PedersenGens.standard
        let B = pc.B, Bt = pc.blindingBase
        let gens = GeneratorCache.shared.flattened(n: n, m: m)
        transcript.rangeproofDomainSep(n: n, m: m)
        for j in 0..<m {
            let v = RistrettoPoint.multiscalarMulVartime([Scalar(values[j]), blindings[j]], [B, Bt])
            transcript.appendMessage(label: "V", message: v.compressed())
        }
        let alpha = rnd[0], rho = rnd[1], tau1 = rnd[2], tau2 = rnd[3]
        let sL = Array(rnd[4..<(4 + nm)]), sR = Array(rnd[(4 + nm)..<(4 + 2 * nm)])
        var aL: [Scalar] = [], aR: [Scalar] = []
        for j in 0..<m { for i in 0..<n {
            let bit = Scalar((values[j] >> UInt64(i)) & 1)
            aL.append(bit); aR.append(bit - .one)
        } }
        let A = RistrettoPoint.multiscalarMulVartime([alpha] + aL + aR, [Bt] + gens.G + gens.H)
        let S = RistrettoPoint.multiscalarMulVartime([rho] + sL + sR, [Bt] + gens.G + gens.H)
        transcript.appendMessage(label: "A", message: A.compressed())
        transcript.appendMessage(label: "S", message: S.compressed())
        let y = transcript.challengeScalar(label: "y"), z = transcript.challengeScalar(label: "z")
        var l0: [Scalar] = [], r0: [Scalar] = [], r1: [Scalar] = []
        var yk = Scalar.one
        for j in 0..<m {
            var zj = z * z
            for _ in 0..<j { zj = zj * z }
            for i in 0..<n {
                let k = j * n + i
                l0.append(aL[k] - z)
                r0.append(yk * (aR[k] + z) + zj * Scalar(UInt64(1) << UInt64(i)))
                r1.append(yk * sR[k])
                yk = yk * y
            }
        }
        var t1 = Scalar.zero, t2 = Scalar.zero
        for k in 0..<nm { t1 = t1 + l0[k] * r1[k] + sL[k] * r0[k]; t2 = t2 + sL[k] * r1[k] }
        let T1 = RistrettoPoint.multiscalarMulVartime([t1, tau1], [B, Bt])
        let T2 = RistrettoPoint.multiscalarMulVartime([t2, tau2], [B, Bt])
        transcript.appendMessage(label: "T_1", message: T1.compressed())
        transcript.appendMessage(label: "T_2", message: T2.compressed())
        let x = transcript.challengeScalar(label: "x")
        var a = (0..<nm).map { l0[$0] + sL[$0] * x }, b = (0..<nm).map { r0[$0] + r1[$0] * x }
        var tX = Scalar.zero
        for k in 0..<nm { tX = tX + a[k] * b[k] }
        var tXBlinding = tau1 * x + tau2 * x * x
        var zj = z * z
        for j in 0..<m { tXBlinding = tXBlinding + zj * blindings[j]; zj = zj * z }
        let eBlinding = alpha + rho * x
        transcript.appendScalar(label: "t_x", tX)
        transcript.appendScalar(label: "t_x_blinding", tXBlinding)
        transcript.appendScalar(label: "e_blinding", eBlinding)
        let w = transcript.challengeScalar(label: "w")
        // Inner product over G and H' = y^(−k)·H with Q = w·B, folding every round.
        let Q = B.mulVartime(w)
        let yInv = y.inverse()
        var G = gens.G, H: [RistrettoPoint] = []
        var yi = Scalar.one
        for k in 0..<nm { H.append(gens.H[k].mulVartime(yi)); yi = yi * yInv }
        transcript.innerproductDomainSep(n: nm)
        var out: [UInt8] = A.compressed() + S.compressed() + T1.compressed() + T2.compressed()
            + tX.bytes + tXBlinding.bytes + eBlinding.bytes
        var size = nm
        while size > 1 {
            let h = size / 2
            var cL = Scalar.zero, cR = Scalar.zero
            for i in 0..<h { cL = cL + a[i] * b[h + i]; cR = cR + a[h + i] * b[i] }
            let L = RistrettoPoint.multiscalarMulVartime(Array(a[0..<h]) + Array(b[h..<size]) + [cL],
                                                         Array(G[h..<size]) + Array(H[0..<h]) + [Q])
            let R = RistrettoPoint.multiscalarMulVartime(Array(a[h..<size]) + Array(b[0..<h]) + [cR],
                                                         Array(G[0..<h]) + Array(H[h..<size]) + [Q])
            transcript.appendMessage(label: "L", message: L.compressed())
            transcript.appendMessage(label: "R", message: R.compressed())
            out += L.compressed() + R.compressed()
            let u = transcript.challengeScalar(label: "u"), uInv = u.inverse()
            for i in 0..<h {
                a[i] = u * a[i] + uInv * a[h + i]
                b[i] = uInv * b[i] + u * b[h + i]
                G[i] = G[i].mulVartime(uInv) + G[h + i].mulVartime(u)
                H[i] = H[i].mulVartime(u) + H[h + i].mulVartime(uInv)
            }
            size = h
        }
        return out + a[0].bytes + b[0].bytes
    }

    /// Shapes covering every path: all rounds lazy (n·m ≤ 8), lazy rounds then the 2^3-to-1
    /// fold then explicit rounds, the 8-value (64, 8) statement of the benchmarks, and block
    /// boundaries of the constant-time loop (2·n·m > 256 terms).
    func testConstantTimeProverMatchesTextbookProver() throws {
        for (i, (n, m)) in [(8, 1), (32, 1), (64, 1), (16, 4), (8, 32), (64, 8)].enumerated() {
            let maxV: UInt64 = n == 64 ? .max : (UInt64(1) << UInt64(n)) - 1
            var values = (0..<m).map { j in UInt64(truncatingIfNeeded: 0x9e3779b97f4a7c15 &* UInt64(j + 7 * i + 1)) & maxV }
            values[0] = maxV
            if m > 1 { values[1] = 0 }
            let blindings = scalars(m, seed: UInt64(100 + i))
            let rnd = scalars(4 + 2 * n * m, seed: UInt64(200 + i))
            var t1 = Transcript(label: "ct-diff"), t2 = Transcript(label: "ct-diff")
            let ours = try RangeProof.prove(values: values, blindings: blindings, bitSize: n, transcript: &t1, randomness: rnd)
            let reference = textbookProve(values: values, blindings: blindings, n: n, transcript: &t2, randomness: rnd)
            XCTAssertEqual(hex(ours.proof.bytes), hex(reference), "n=\(n) m=\(m)")
            var tv = Transcript(label: "ct-diff")
            XCTAssertNoThrow(try ours.proof.verify(commitments: ours.commitments, bitSize: n, transcript: &tv))
        }
    }

    /// The fallback without precomputed tables (a statement past the table budget) gives the
    /// same points as the tables, on the prover's two kinds of generator terms.
    func testSecretMSMWithAndWithoutTables() {
        let (g, h) = GeneratorCache.shared.flattened(n: 16, m: 16)
        let withTables = SecretMSM(G: g, H: h, tables: ConstantTimePointTables(points: g + h))
        let without = SecretMSM(G: g, H: h, tables: nil)
        let sc = scalars(512, seed: 7)
        let expected = RistrettoPoint.multiscalarMulVartime(sc, g + h)
        XCTAssertEqual(withTables.generators(sc), expected)
        XCTAssertEqual(without.generators(sc), expected)
        let ix = (0..<256).map { Int32(($0 * 37) % 512) }
        let sub = Array(sc.prefix(256))
        let expectedSub = RistrettoPoint.multiscalarMulVartime(sub, ix.map { (g + h)[Int($0)] })
        XCTAssertEqual(withTables.generators(sub, indices: ix), expectedSub)
        XCTAssertEqual(without.generators(sub, indices: ix), expectedSub)
        XCTAssertEqual(SecretMSM.basepoint(sc[0]), RistrettoPoint.generator.mulVartime(sc[0]))
        XCTAssertNil(GeneratorCache(constantTimeBudget: 1000).constantTimeTables(n: 8, m: 1))
        XCTAssertNotNil(GeneratorCache(constantTimeBudget: 16 * ConstantTimePointTables.bytesPerPoint).constantTimeTables(n: 8, m: 1))
    }

    /// By structure, the prover cannot hand a secret scalar to a variable-time routine: in the
    /// proving code of RangeProof.swift (from "MARK: - Proving" on), every call of a variable-time
    /// routine (`…Vartime(`, `mulVartime(`, `staticScalars:`, the verifier's `tables(n:`) sits
    /// inside `enum PublicFold`, whose inputs are generators and challenge-derived coefficients;
    /// `SecretMSM` and the constant-time MSM file contain none; the attestation prover calls
    /// none. Comments are ignored.
    func testProverReachesVariableTimeCodeOnlyThroughPublicFold() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        func code(_ path: String) throws -> [String] {
            try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
                .split(separator: "\n", omittingEmptySubsequences: false)
                .map { line in String(line.split(separator: "//", maxSplits: 1, omittingEmptySubsequences: false).first ?? "") }
        }
        let patterns = ["Vartime(", "artime(", "staticScalars:", "tables(n:", "VartimeFixedBaseMSM", "VartimePrecomputedMSM"]
        func isVariableTime(_ line: String) -> Bool { patterns.contains { line.contains($0) } }

        let rp = try code("Sources/Bulletproofs/RangeProof.swift")
        let raw = try String(contentsOf: root.appendingPathComponent("Sources/Bulletproofs/RangeProof.swift"), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false)
        let start = try XCTUnwrap(raw.firstIndex { $0.contains("MARK: - Proving") })
        var inPublicFold = false, inSecretMSM = false, depth = 0, foldCalls = 0
        for line in rp[start...] {
            if line.hasPrefix("enum PublicFold") { inPublicFold = true; depth = 0 }
            if line.hasPrefix("struct SecretMSM") { inSecretMSM = true; depth = 0 }
            depth += line.filter { $0 == "{" }.count - line.filter { $0 == "}" }.count
            if isVariableTime(line) {
                if inPublicFold { foldCalls += 1 } else { XCTFail("variable-time call outside PublicFold: \(line)") }
                XCTAssertFalse(inSecretMSM)
            }
            if (inPublicFold || inSecretMSM) && depth == 0 && line.contains("}") { inPublicFold = false; inSecretMSM = false }
        }
        XCTAssertGreaterThan(foldCalls, 0, "the fold is where the public variable-time work is")
        for file in ["Sources/Ristretto255/ConstantTimeMSM.swift", "Sources/Prover/Prover.swift"] {
            for line in try code(file) { XCTAssertFalse(isVariableTime(line), "\(file): \(line)") }
        }
    }
}
