import Merlin
import Ristretto255
import SystemCrypto

/// One proof of a batch: the proof, its commitments (already decoded), its bit size and the
/// transcript in the state the prover started from.
public struct RangeProofBatchItem: Sendable {
    public let proof: RangeProof
    public let points: [RistrettoPoint]
    public let bitSize: Int
    public let transcript: Transcript
    public init(proof: RangeProof, points: [RistrettoPoint], bitSize: Int, transcript: Transcript) {
        self.proof = proof; self.points = points; self.bitSize = bitSize; self.transcript = transcript
    }
}

/// The scalars of one proof's verification equation, grouped by base.
struct VerificationTerms: Sendable {
    /// Scalars for the proof's own points: A, S, T_1, T_2, L_0.., R_0.., V_0..
    var scalars: [Scalar]
    var points: [RistrettoPoint]
    var bScalar: Scalar
    var blindingScalar: Scalar
    /// Scalars for G(n, m) and H(n, m), index k = j·n + i.
    var g: [Scalar]
    var h: [Scalar]
    var n: Int
    var m: Int
}

extension RangeProof {
    /// Verifies against commitment encodings (each 32 bytes), appending them to the transcript
    /// exactly as given.
    public func verify(commitments: [[UInt8]], bitSize: Int, transcript: inout Transcript) throws(RangeProofError) {
        var pts: [RistrettoPoint] = []
        pts.reserveCapacity(commitments.count)
        for (i, c) in commitments.enumerated() {
            do { pts.append(try RistrettoPoint(compressed: c)) } catch { throw .invalidCommitment(index: i) }
        }
        try verify(points: pts, encodings: commitments, bitSize: bitSize, transcript: &transcript)
    }

    /// Verifies against decoded commitment points (their canonical encodings are appended).
    public func verify(points: [RistrettoPoint], bitSize: Int, transcript: inout Transcript) throws(RangeProofError) {
        try verify(points: points, encodings: RistrettoPoint.compressBatch(points), bitSize: bitSize,
                   transcript: &transcript)
    }

    func verify(points: [RistrettoPoint], encodings: [[UInt8]], bitSize: Int,
                transcript: inout Transcript) throws(RangeProofError) {
        let c = RangeProof.randomScalars(1)[0]
        let t = try terms(points: points, encodings: encodings, bitSize: bitSize, transcript: &transcript,
                          weight: .one, c: c)
        if let table = GeneratorCache.shared.tables(n: t.n, m: t.m) {
            let r = table.mul(staticScalars: t.g + t.h + [t.bScalar, t.blindingScalar],
                              dynamicScalars: t.scalars, dynamicPoints: t.points)
            guard r.isIdentity else { throw .verificationFailed }
            return
        }
        let gens = GeneratorCache.shared.flattened(n: t.n, m: t.m)
        let pc = PedersenGens.standard
        var scalars = t.scalars
        var pts = t.points
        scalars.reserveCapacity(scalars.count + 2 + 2 * t.g.count)
        pts.reserveCapacity(scalars.capacity)
        scalars.append(t.bScalar); pts.append(pc.B)
        scalars.append(t.blindingScalar); pts.append(pc.blindingBase)
        scalars += t.g; pts += gens.G
        scalars += t.h; pts += gens.H
        guard RistrettoPoint.multiscalarMulVartime(scalars, pts).isIdentity else { throw .verificationFailed }
    }

    /// Verifies many proofs (of any sizes) with one multiscalar multiplication: each proof's
    /// equation (which must be the identity) is multiplied by an independent random weight and
    /// the sum is checked; the scalars on shared bases (B, B̃, and each party's G_i, H_i) are added
    /// up first. A batch containing an invalid proof passes only with probability about 1/ℓ.
    /// Throws the first decoding error found, or `.verificationFailed` for the batch as a whole.
    public static func batchVerify(_ items: [RangeProofBatchItem]) throws(RangeProofError) {
        try batchVerify(items, generators: nil)
    }

    /// `batchVerify(_:)` with the generators already prepared (`RangeProofBatchGenerators`), as a
    /// long-running verifier keeps them for the statement shapes it sees. They are used only when
    /// they are exactly the batch's (`partyBitSizes` equal to `RangeProofBatchGenerators.partyBitSizes(for:)`
    /// of the items); otherwise, or when nil, the generators are gathered per call. Either way the
    /// equation and its verdict are the same: only where the generator points come from differs.
    public static func batchVerify(_ items: [RangeProofBatchItem],
                                   generators: RangeProofBatchGenerators?) throws(RangeProofError) {
        if items.isEmpty { return }
        let weights = randomScalars(2 * items.count)
        // Each proof's transcript replay and per-generator scalars are independent of the others:
        // computed on worker threads, then taken in order (so the first error reported is the
        // first proof's, as if sequential).
        let perProof: [Result<VerificationTerms, RangeProofError>] = Parallel.map(count: items.count, minChunk: 1) { r in
            r.map { idx -> Result<VerificationTerms, RangeProofError> in
                let item = items[idx]
                var tr = item.transcript
                do throws(RangeProofError) {
                    return .success(try item.proof.terms(points: item.points,
                                                         encodings: RistrettoPoint.compressBatch(item.points),
                                                         bitSize: item.bitSize, transcript: &tr,
                                                         weight: weights[2 * idx], c: weights[2 * idx + 1]))
                } catch {
                    return .failure(error)
                }
            }
        }.flatMap { $0 }
        var allTerms: [VerificationTerms] = []
        allTerms.reserveCapacity(items.count)
        var maxM = 0
        for result in perProof {
            let t = try result.get()
            maxM = max(maxM, t.m)
            allTerms.append(t)
        }
        // Party j's generators are shared by every proof with more than j values; the batch
        // needs party j's first partyN[j] of them (the largest bit size among those proofs), not
        // a full maxN × maxM grid (a 32-bit proof over 512 values next to 64-bit proofs over 64
        // would otherwise double the MSM with zero scalars).
        let partyN = RangeProofBatchGenerators.partyBitSizes(shapes: allTerms.map { (bitSize: $0.n, aggregation: $0.m) })
        var offset = [Int](repeating: 0, count: maxM + 1)
        for j in 0..<maxM { offset[j + 1] = offset[j] + partyN[j] }
        var scalars: [Scalar] = [], pts: [RistrettoPoint] = []
        var bScalar = Scalar.zero, blScalar = Scalar.zero
        var gAcc = [Scalar](repeating: .zero, count: offset[maxM])
        var hAcc = [Scalar](repeating: .zero, count: offset[maxM])
        for t in allTerms {
            scalars += t.scalars; pts += t.points
            bScalar = bScalar + t.bScalar
            blScalar = blScalar + t.blindingScalar
            for j in 0..<t.m {
                for i in 0..<t.n {
                    let k = j * t.n + i, dst = offset[j] + i
                    gAcc[dst] = gAcc[dst] + t.g[k]
                    hAcc[dst] = hAcc[dst] + t.h[k]
                }
            }
        }
        // Pippenger over everything: a batch has many per-proof (dynamic) points, where
        // precomputed-table Straus is the slower algorithm.
        if let prepared = generators, prepared.partyBitSizes == partyN {
            // Same terms as below, in the prepared order B, B̃, G…, H….
            var staticScalars: [Scalar] = [bScalar, blScalar]
            staticScalars.reserveCapacity(2 + 2 * gAcc.count)
            staticScalars += gAcc; staticScalars += hAcc
            guard prepared.mul(staticScalars: staticScalars, dynamicScalars: scalars,
                               dynamicPoints: pts).isIdentity else { throw .verificationFailed }
            return
        }
        let pc = PedersenGens.standard
        scalars.append(bScalar); pts.append(pc.B)
        scalars.append(blScalar); pts.append(pc.blindingBase)
        let gens = GeneratorCache.shared.concatenated(counts: partyN)
        scalars += gAcc; pts += gens.G
        scalars += hAcc; pts += gens.H
        guard RistrettoPoint.multiscalarMulVartime(scalars, pts).isIdentity else { throw .verificationFailed }
    }

    /// Replays the transcript and returns the scalars of the single verification equation, all
    /// multiplied by `weight`. With challenges y, z, x, w, the inner-product challenges u_r and a
    /// random c (which joins the t_x check to the inner-product check), the equation is
    ///
    ///   A + x·S + c·x·T_1 + c·x²·T_2 + Σ_r (u_r²·L_r + u_r⁻²·R_r)
    ///   + (w·(t_x − a·b) + c·(δ(y, z) − t_x))·B − (e_blinding + c·t_x_blinding)·B̃
    ///   + Σ_k (−z − a·s_k)·G_k + Σ_k (z + y^(−k)·(z^(2+j)·2^i − b·s_(nm−1−k)))·H_k
    ///   + Σ_j c·z^(2+j)·V_j = 0,
    ///
    /// where s_k = Π_r u_r^(±1) (sign + when bit r of k, counted from the most significant round,
    /// is set) are the folded inner-product generator coefficients, and
    /// δ(y, z) = (z − z²)·Σ_(k<nm) y^k − Σ_j z^(3+j)·(2^n − 1).
    func terms(points: [RistrettoPoint], encodings: [[UInt8]], bitSize n: Int, transcript: inout Transcript,
               weight: Scalar, c: Scalar) throws(RangeProofError) -> VerificationTerms {
        try RangeProof.checkBitSize(n)
        let m = points.count
        try RangeProof.checkAggregation(m)
        let k = L.count
        guard k < 32, n * m == 1 << k else { throw .sizeMismatch(bitSize: n, values: m, rounds: k) }
        let nm = n * m

        transcript.rangeproofDomainSep(n: n, m: m)
        for v in encodings { transcript.appendMessage(label: "V", message: v) }
        guard !A.isIdentity else { throw .identityPoint(field: "A") }
        transcript.appendMessage(label: "A", message: word(0))
        guard !S.isIdentity else { throw .identityPoint(field: "S") }
        transcript.appendMessage(label: "S", message: word(1))
        let y = transcript.challengeScalar(label: "y")
        let z = transcript.challengeScalar(label: "z")
        guard !T1.isIdentity else { throw .identityPoint(field: "T_1") }
        transcript.appendMessage(label: "T_1", message: word(2))
        guard !T2.isIdentity else { throw .identityPoint(field: "T_2") }
        transcript.appendMessage(label: "T_2", message: word(3))
        let x = transcript.challengeScalar(label: "x")
        transcript.appendMessage(label: "t_x", message: word(4))
        transcript.appendMessage(label: "t_x_blinding", message: word(5))
        transcript.appendMessage(label: "e_blinding", message: word(6))
        let w = transcript.challengeScalar(label: "w")

        transcript.innerproductDomainSep(n: nm)
        var u: [Scalar] = []
        u.reserveCapacity(k)
        for r in 0..<k {
            guard !L[r].isIdentity else { throw .identityPoint(field: "L[\(r)]") }
            transcript.appendMessage(label: "L", message: word(7 + 2 * r))
            guard !R[r].isIdentity else { throw .identityPoint(field: "R[\(r)]") }
            transcript.appendMessage(label: "R", message: word(8 + 2 * r))
            u.append(transcript.challengeScalar(label: "u"))
        }
        // One batch inversion for all u_r and y.
        var inv = u + [y]
        Scalar.batchInvert(&inv)
        let yInv = inv[k]
        var allInv = Scalar.one
        var uSq: [Scalar] = [], uInvSq: [Scalar] = []
        for r in 0..<k {
            allInv = allInv * inv[r]
            uSq.append(u[r] * u[r]); uInvSq.append(inv[r] * inv[r])
        }
        // s_0 = Π u_r⁻¹; s_i = s_(i − 2^lg(i)) · u_(k−1−lg(i))². The fixed factors (u_r², w·a, b,
        // y⁻¹) are `ScalarMultiplier`s: one Montgomery multiplication per product instead of two.
        let uSqM = uSq.map(ScalarMultiplier.init)
        var s = [Scalar](repeating: .zero, count: nm)
        s[0] = allInv
        if nm > 1 {
            for i in 1..<nm {
                let lg = Int.bitWidth - 1 - i.leadingZeroBitCount
                s[i] = uSqM[k - 1 - lg](s[i - (1 << lg)])
            }
        }

        let zz = z * z
        var g = [Scalar](), h = [Scalar]()
        g.reserveCapacity(nm); h.reserveCapacity(nm)
        let wa = ScalarMultiplier(weight * a), bM = ScalarMultiplier(b), yInvM = ScalarMultiplier(yInv)
        let wMinusZ = weight * (-z), wz = weight * z
        var yInvK = ScalarMultiplier(weight)    // weight · y^(−k), kept in Montgomery form
        var zj2 = zz                            // z^(2+j)
        for j in 0..<m {
            var zj2Two = zj2                    // z^(2+j)·2^i, by doubling (an addition, not a product)
            for i in 0..<n {
                let kk = j * n + i
                g.append(wMinusZ - wa(s[kk]))
                h.append(wz + yInvK(zj2Two - bM(s[nm - 1 - kk])))
                yInvK = yInvK.times(yInvM)
                zj2Two = zj2Two + zj2Two
            }
            zj2 = zj2 * z
        }
        // Σ_(k<nm) y^k for nm = 2^K by doubling: Σ_(k<2t) y^k = (Σ_(k<t) y^k)·(1 + y^t).
        var sumY = Scalar.one, yT = y
        var span = 1
        while span < nm { sumY = sumY * (Scalar.one + yT); yT = yT * yT; span <<= 1 }
        let twoNMinus1 = Scalar(n == 64 ? UInt64.max : (UInt64(1) << UInt64(n)) - 1)
        var sumZ3 = Scalar.zero, z3j = zz * z
        var vScalars: [Scalar] = []
        let wc = weight * c
        var zj = zz
        for _ in 0..<m {
            sumZ3 = sumZ3 + z3j; z3j = z3j * z
            vScalars.append(wc * zj); zj = zj * z
        }
        let delta = (z - zz) * sumY - sumZ3 * twoNMinus1

        var scalars: [Scalar] = [weight, weight * x, wc * x, wc * x * x]
        var pts: [RistrettoPoint] = [A, S, T1, T2]
        for r in 0..<k { scalars.append(weight * uSq[r]); pts.append(L[r]) }
        for r in 0..<k { scalars.append(weight * uInvSq[r]); pts.append(R[r]) }
        scalars += vScalars; pts += points
        let bScalar = weight * (w * (tX - a * b) + c * (delta - tX))
        let blScalar = -(weight * (eBlinding + c * tXBlinding))
        return VerificationTerms(scalars: scalars, points: pts, bScalar: bScalar, blindingScalar: blScalar,
                                 g: g, h: h, n: n, m: m)
    }
}

/// The generators of a batch verification's multiscalar multiplication — B, B̃, then party j's
/// first `partyBitSizes[j]` G generators for every j, then the same H generators — precomputed
/// once for verifiers that check many batches of the same statement shapes (a verification
/// service). Building them derives any generator chains the process has not derived yet
/// (`GeneratorCache`).
///
/// Two forms, chosen by the builder:
/// - **prepared** points (`VartimePreparedPoints`): the affine conversion Pippenger would do on
///   every call, done once. 120 bytes per generator, costs no more to build than one verification
///   spends converting, so even a one-shot verifier can build it.
/// - **fixed-base tables** (`VartimeFixedBaseMSM`, window `fixedBaseWindow`): one bucket pass and
///   no doublings per verification, for ~20× the memory and a build of several verifications'
///   time. For the 40,962 generators of a 256-instrument attestation: 95 MiB, ~0.5 s to build on
///   two cores, and a warm verification 5–11 % faster than with prepared points (`riskattest bench
///   warm-verify`, BENCHMARKS.md "Verification service: warm verifier").
public struct RangeProofBatchGenerators: Sendable {
    /// How many generators of each party the batch uses: the largest bit size among the proofs
    /// with more than j values, for party j.
    public let partyBitSizes: [Int]
    let form: Form

    enum Form: Sendable {
        case prepared(VartimePreparedPoints)
        case fixedBase(VartimeFixedBaseMSM)
    }

    /// Window of the fixed-base tables. The cost model of `VartimeFixedBaseMSM.bestWindow` picks
    /// 16 for 41,000–57,000 points, but 2^15 buckets per worker (5 MiB) do not fit this machine's
    /// 2 MiB L2 cache: for 57,346 random terms 55 ms at 13 and 14 against 61 ms at 16 and 58 ms at
    /// 12; for 40,962, 42–49 ms at 13 against 54–63 ms at 16 (bench crypto `msm.fixed_base.w13` /
    /// `.w16`, 2026-12-01; noisy, but 13 was ahead in every run), and 13 has the smaller tables.
    public static let fixedBaseWindow = 13

    /// Generators for proofs of these shapes (bit size n, aggregation m), in any combination:
    /// what `batchVerify` needs for a batch of proofs with exactly these shapes.
    public init(shapes: [(bitSize: Int, aggregation: Int)], fixedBaseTables: Bool = false) {
        self.init(partyBitSizes: Self.partyBitSizes(shapes: shapes), fixedBaseTables: fixedBaseTables)
    }

    public init(partyBitSizes: [Int], fixedBaseTables: Bool = false) {
        self.partyBitSizes = partyBitSizes
        let gens = GeneratorCache.shared.concatenated(counts: partyBitSizes)
        let pc = PedersenGens.standard
        let points = [pc.B, pc.blindingBase] + gens.G + gens.H
        form = fixedBaseTables ? .fixedBase(VartimeFixedBaseMSM(points: points, window: Self.window(points.count)))
                               : .prepared(VartimePreparedPoints(points))
    }

    static func window(_ points: Int) -> Int {
        min(fixedBaseWindow, VartimeFixedBaseMSM.bestWindow(forTerms: points))
    }

    /// Memory the generators for these party bit sizes would hold in either form (so a cache can
    /// decide before building).
    public static func estimatedBytes(partyBitSizes: [Int], fixedBaseTables: Bool) -> Int {
        let points = 2 + 2 * partyBitSizes.reduce(0, +)
        return fixedBaseTables
            ? points * Scalar.radix2wDigitCount(window(points)) * VartimeFixedBaseMSM.entryBytes
            : points * VartimePreparedPoints.bytesPerPoint
    }

    /// Party j's generator count for a batch of proofs of these shapes: a 32-bit proof over 512
    /// values next to 64-bit proofs over 64 needs 64 generators of parties 0–63 and 32 of the
    /// others, not a full 64 × 512 grid.
    public static func partyBitSizes(shapes: [(bitSize: Int, aggregation: Int)]) -> [Int] {
        var partyN = [Int](repeating: 0, count: shapes.map(\.aggregation).max() ?? 0)
        for s in shapes { for j in 0..<s.aggregation { partyN[j] = max(partyN[j], s.bitSize) } }
        return partyN
    }

    /// The shapes of a batch's items (bit size, number of commitments).
    public static func shapes(of items: [RangeProofBatchItem]) -> [(bitSize: Int, aggregation: Int)] {
        items.map { (bitSize: $0.bitSize, aggregation: $0.points.count) }
    }

    /// Number of generator points held (2 + 2·Σ partyBitSizes).
    public var pointCount: Int {
        switch form {
        case .prepared(let p): return p.count
        case .fixedBase(let t): return t.pointCount
        }
    }

    /// Whether these are fixed-base tables (else prepared points).
    public var hasFixedBaseTables: Bool {
        if case .fixedBase = form { return true }
        return false
    }

    /// Memory held.
    public var byteCount: Int {
        switch form {
        case .prepared(let p): return p.byteCount
        case .fixedBase(let t): return t.tableBytes
        }
    }

    /// Σ staticScalars[i]·generator[i] + Σ dynamicScalars[j]·dynamicPoints[j].
    func mul(staticScalars: [Scalar], dynamicScalars: [Scalar], dynamicPoints: [RistrettoPoint]) -> RistrettoPoint {
        switch form {
        case .prepared(let p):
            return RistrettoPoint.multiscalarMulVartime(staticScalars, prepared: p, dynamicScalars: dynamicScalars,
                                                        dynamicPoints: dynamicPoints)
        case .fixedBase(let t):
            return t.mul(staticScalars: staticScalars, dynamicScalars: dynamicScalars, dynamicPoints: dynamicPoints)
        }
    }
}
