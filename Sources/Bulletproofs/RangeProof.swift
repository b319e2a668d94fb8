import Merlin
import Ristretto255
import SystemCrypto

/// An aggregated Bulletproofs range proof (Bünz et al. 2018, §4.3 with the §3 inner-product
/// argument), byte- and transcript-compatible with the Rust `bulletproofs` crate 5.x.
///
/// It shows that each of m Pedersen commitments V_j = v_j·B + γ_j·B̃ opens to 0 ≤ v_j < 2^n.
/// Writing a_L for the n·m bits of the values and a_R = a_L − 1, the prover commits to them in
/// A = α·B̃ + ⟨a_L, G⟩ + ⟨a_R, H⟩ and to blinding vectors in S = ρ·B̃ + ⟨s_L, G⟩ + ⟨s_R, H⟩, gets y, z,
/// and forms, with index k = j·n + i (party j, bit i),
///   l(X) = (a_L − z·1) + s_L·X,
///   r(X) = y^k ∘ (a_R + z·1 + s_R·X) + z^(2+j)·2^i,
/// so that t(X) = ⟨l(X), r(X)⟩ has constant term t_0 = Σ_j z^(2+j)·v_j + δ(y, z) exactly when every
/// bit is a bit and the bits sum to the values. It commits to t_1, t_2 in T_1, T_2, gets x, reveals
/// t_x = t(x) with its blinding and e_blinding = α + ρ·x, and proves ⟨l(x), r(x)⟩ = t_x with the
/// logarithmic inner-product argument over G and H'_k = y^(−k)·H_k.
///
/// Layout: A, S, T_1, T_2, t_x, t_x_blinding, e_blinding, L_0, R_0, …, L_(k−1), R_(k−1), a, b,
/// 32 bytes each, k = log2(n·m): 672 bytes for one 64-bit value, plus 64 bytes per doubling of m.
public struct RangeProof: Sendable, Equatable {
    /// The largest number of values aggregated into one proof.
    public static let maxAggregation = 1 << 16

    /// The proof's canonical encoding (the bytes it was decoded from, or produced).
    public let bytes: [UInt8]
    let A: RistrettoPoint, S: RistrettoPoint, T1: RistrettoPoint, T2: RistrettoPoint
    let tX: Scalar, tXBlinding: Scalar, eBlinding: Scalar
    let L: [RistrettoPoint], R: [RistrettoPoint]
    let a: Scalar, b: Scalar

    public static func == (lhs: RangeProof, rhs: RangeProof) -> Bool { lhs.bytes == rhs.bytes }

    /// Number of inner-product rounds, log2(n·m).
    public var rounds: Int { L.count }

    /// Strict decoding: the length must be 32·(9 + 2k) with k < 32, every scalar canonical and every
    /// point a valid ristretto255 encoding. (The identity is a valid encoding; the verifier rejects
    /// it where the protocol requires.)
    public init(bytes: [UInt8]) throws(RangeProofError) {
        let words = bytes.count / 32
        guard bytes.count % 32 == 0, words >= 9, (words - 9) % 2 == 0, (words - 9) / 2 < 32 else {
            throw .wrongLength(got: bytes.count)
        }
        let k = (words - 9) / 2
        func word(_ i: Int) -> [UInt8] { Array(bytes[(32 * i)..<(32 * i + 32)]) }
        func point(_ i: Int, _ field: String) throws(RangeProofError) -> RistrettoPoint {
            do { return try RistrettoPoint(compressed: word(i)) } catch { throw .invalidPoint(field: field) }
        }
        func scalar(_ i: Int, _ field: String) throws(RangeProofError) -> Scalar {
            do { return try Scalar(canonicalBytes: word(i)) } catch { throw .nonCanonicalScalar(field: field) }
        }
        A = try point(0, "A"); S = try point(1, "S"); T1 = try point(2, "T_1"); T2 = try point(3, "T_2")
        tX = try scalar(4, "t_x"); tXBlinding = try scalar(5, "t_x_blinding"); eBlinding = try scalar(6, "e_blinding")
        var l: [RistrettoPoint] = [], r: [RistrettoPoint] = []
        for i in 0..<k {
            l.append(try point(7 + 2 * i, "L[\(i)]"))
            r.append(try point(8 + 2 * i, "R[\(i)]"))
        }
        L = l; R = r
        a = try scalar(7 + 2 * k, "a"); b = try scalar(8 + 2 * k, "b")
        self.bytes = bytes
    }

    /// The 32 bytes of word `i` of the encoding (as appended to the transcript).
    func word(_ i: Int) -> [UInt8] { Array(bytes[(32 * i)..<(32 * i + 32)]) }

    static func checkBitSize(_ n: Int) throws(RangeProofError) {
        guard n == 8 || n == 16 || n == 32 || n == 64 else { throw .invalidBitSize(n) }
    }

    static func checkAggregation(_ m: Int) throws(RangeProofError) {
        guard m >= 1, m <= maxAggregation, m & (m - 1) == 0 else { throw .invalidAggregation(m) }
    }

    /// `count` uniformly random scalars (64 fresh bytes each, reduced mod ℓ).
    static func randomScalars(_ count: Int) -> [Scalar] {
        let raw = SecureRandom.bytes(64 * count)
        var out: [Scalar] = []
        out.reserveCapacity(count)
        for i in 0..<count { out.append(Scalar(reducing64: Array(raw[(64 * i)..<(64 * i + 64)]))) }
        return out
    }

    /// 2^i as scalars, i < 64.
    static let powersOfTwo: [Scalar] = (0..<64).map { Scalar(UInt64(1) << UInt64($0)) }

    // MARK: - Proving

    /// Proves that each value lies in [0, 2^bitSize), committing to it with the matching blinding.
    /// Returns the proof and the commitments' encodings (in order).
    ///
    /// Side channels (SPEC §8.4): every group operation whose scalar depends on the values, the
    /// blindings or the prover's random vectors is constant time — `SecretMSM` is the only way
    /// this code multiplies a point by such a scalar. Variable-time arithmetic is used only where
    /// every input is public: folding the generators with the Fiat–Shamir challenges
    /// (`PublicFold`).
    public static func prove(values: [UInt64], blindings: [Scalar], bitSize n: Int,
                             transcript: inout Transcript) throws(RangeProofError) -> (proof: RangeProof, commitments: [[UInt8]]) {
        try checkBitSize(n)
        try checkAggregation(values.count)
        return try prove(values: values, blindings: blindings, bitSize: n, transcript: &transcript,
                         randomness: randomScalars(4 + 2 * n * values.count))
    }

    /// `prove` with the prover's randomness given: α, ρ, τ₁, τ₂, then s_L (n·m scalars), then s_R.
    /// The proof is a deterministic function of (values, blindings, transcript, randomness), which
    /// the tests use to compare this prover with a textbook variable-time one byte for byte.
    static func prove(values: [UInt64], blindings: [Scalar], bitSize n: Int, transcript: inout Transcript,
                      randomness rnd: [Scalar]) throws(RangeProofError) -> (proof: RangeProof, commitments: [[UInt8]]) {
        try checkBitSize(n)
        let m = values.count
        try checkAggregation(m)
        guard blindings.count == m else { throw .blindingCountMismatch(values: m, blindings: blindings.count) }
        if n < 64 {
            for (i, v) in values.enumerated() where v >> UInt64(n) != 0 {
                throw .valueOutOfRange(index: i, bitSize: n)
            }
        }
        let nm = n * m
        precondition(rnd.count == 4 + 2 * nm, "4 + 2·n·m random scalars")
        let pc = PedersenGens.standard
        let gens = GeneratorCache.shared.flattened(n: n, m: m)
        let ct = GeneratorCache.shared.constantTimeTables(n: n, m: m)
        let secret = SecretMSM(G: gens.G, H: gens.H, tables: ct)

        var vPoints: [RistrettoPoint] = []
        vPoints.reserveCapacity(m)
        for j in 0..<m { vPoints.append(pc.commit(value: Scalar(values[j]), blinding: blindings[j])) }
        let vEnc = RistrettoPoint.compressBatch(vPoints)
        transcript.rangeproofDomainSep(n: n, m: m)
        for v in vEnc { transcript.appendMessage(label: "V", message: v) }

        let alpha = rnd[0], rho = rnd[1], tau1 = rnd[2], tau2 = rnd[3]
        let sL = Array(rnd[4..<(4 + nm)]), sR = Array(rnd[(4 + nm)..<(4 + 2 * nm)])

        // Bits as scalars, selected arithmetically (no branch on a bit).
        var aL: [Scalar] = [], aR: [Scalar] = []
        aL.reserveCapacity(nm); aR.reserveCapacity(nm)
        for j in 0..<m {
            for i in 0..<n {
                let bit = Scalar((values[j] >> UInt64(i)) & 1)
                aL.append(bit)
                aR.append(bit - .one)
            }
        }

        // A = α·B̃ + ⟨a_L, G⟩ + ⟨a_R, H⟩ = α·B̃ + Σ_k (bit_k ? G_k : −H_k), since a_L,k ∈ {0, 1}
        // and a_R,k = a_L,k − 1: a masked select per bit (both candidates read), then an addition
        // of whichever was selected — nm additions and no multiplication at all.
        var aSum = pc.blindingTable.mul(alpha)
        for k in 0..<nm {
            let bit = UInt64((values[k / n] >> UInt64(k % n)) & 1)
            aSum = aSum + RistrettoPoint.conditionalSelect(-gens.H[k], gens.G[k], choice: bit)
        }
        let A = aSum
        // S = ρ·B̃ + ⟨s_L, G⟩ + ⟨s_R, H⟩: s_L, s_R are secret (they mask the bits in l(x), r(x)).
        let S = pc.blindingTable.mul(rho) + secret.generators(sL + sR)
        let asEnc = RistrettoPoint.compressBatch([A, S])
        transcript.appendMessage(label: "A", message: asEnc[0])
        transcript.appendMessage(label: "S", message: asEnc[1])
        let y = transcript.challengeScalar(label: "y")
        let z = transcript.challengeScalar(label: "z")

        // l(X) = l0 + l1·X, r(X) = r0 + r1·X; t1 = ⟨l0, r1⟩ + ⟨l1, r0⟩, t2 = ⟨l1, r1⟩.
        var l0 = [Scalar](), r0 = [Scalar](), r1 = [Scalar]()
        l0.reserveCapacity(nm); r0.reserveCapacity(nm); r1.reserveCapacity(nm)
        var t1 = Scalar.zero, t2 = Scalar.zero
        var yk = Scalar.one
        var zj2 = z * z                                   // z^(2+j)
        for j in 0..<m {
            for i in 0..<n {
                let k = j * n + i
                let l0k = aL[k] - z
                let r0k = yk * (aR[k] + z) + zj2 * powersOfTwo[i]
                let r1k = yk * sR[k]
                t1 = t1 + l0k * r1k + sL[k] * r0k
                t2 = t2 + sL[k] * r1k
                l0.append(l0k); r0.append(r0k); r1.append(r1k)
                yk = yk * y
            }
            zj2 = zj2 * z
        }
        // T_i = t_i·B + τ_i·B̃ on the constant-time fixed-base tables.
        let T1 = pc.commit(value: t1, blinding: tau1)
        let T2 = pc.commit(value: t2, blinding: tau2)
        let tEnc = RistrettoPoint.compressBatch([T1, T2])
        transcript.appendMessage(label: "T_1", message: tEnc[0])
        transcript.appendMessage(label: "T_2", message: tEnc[1])
        let x = transcript.challengeScalar(label: "x")

        var lVec = [Scalar](), rVec = [Scalar]()
        lVec.reserveCapacity(nm); rVec.reserveCapacity(nm)
        var tX = Scalar.zero
        for k in 0..<nm {
            let lk = l0[k] + sL[k] * x
            let rk = r0[k] + r1[k] * x
            tX = tX + lk * rk
            lVec.append(lk); rVec.append(rk)
        }
        var tXBlinding = tau1 * x + tau2 * x * x
        zj2 = z * z
        for j in 0..<m { tXBlinding = tXBlinding + zj2 * blindings[j]; zj2 = zj2 * z }
        let eBlinding = alpha + rho * x
        transcript.appendScalar(label: "t_x", tX)
        transcript.appendScalar(label: "t_x_blinding", tXBlinding)
        transcript.appendScalar(label: "e_blinding", eBlinding)
        let w = transcript.challengeScalar(label: "w")

        let ipp = innerProductProveHybrid(transcript: &transcript, w: w, yInv: y.inverse(), secret: secret,
                                          lazyRounds: hybridLazyRounds, a: lVec, b: rVec)
        var out: [UInt8] = []
        out.reserveCapacity(32 * (9 + 2 * ipp.L.count))
        out += asEnc[0]; out += asEnc[1]; out += tEnc[0]; out += tEnc[1]
        out += tX.bytes; out += tXBlinding.bytes; out += eBlinding.bytes
        for i in 0..<ipp.L.count { out += ipp.L[i]; out += ipp.R[i] }
        out += ipp.a.bytes; out += ipp.b.bytes
        return (try RangeProof(bytes: out), vEnc)
    }

    /// The inner-product argument's prover for ⟨a, b⟩ with generators G and H' = y^(−k)·H and
    /// Q = w·B. Each round sends
    ///   L = ⟨a_lo, G_hi⟩ + ⟨b_hi, H'_lo⟩ + ⟨a_lo, b_hi⟩·Q,  R = ⟨a_hi, G_lo⟩ + ⟨b_lo, H'_hi⟩ + ⟨a_hi, b_lo⟩·Q,
    /// gets u and folds a' = u·a_lo + u⁻¹·a_hi, b' = u⁻¹·b_lo + u·b_hi, G' = u⁻¹·G_lo + u·G_hi,
    /// H' = u·H'_lo + u⁻¹·H'_hi.
    ///
    /// a and b are secret (they are l(x), r(x) and their folds), so L and R are constant-time
    /// multiscalar multiplications (`SecretMSM.points`, per-call tables: the folded generators are
    /// new points every round) plus ⟨·,·⟩·w·B on the fixed-base table. The generators and the
    /// challenges are public, so the fold itself is variable time (`PublicFold`).
    ///
    /// Folding costs one variable-base multiplication per point instead of two: we keep
    /// G_k = c_G·Ĝ_k and H'_k = c_H·y^(−k)·Ĥ_k with scalar factors c_G, c_H, so
    ///   G' = c_G·u⁻¹·(Ĝ_lo + u²·Ĝ_hi)  and  H' = c_H·u·y^(−k)·(Ĥ_lo + u⁻²·y^(−n')·Ĥ_hi),
    /// and the factors are folded into the (cheap) scalars of the next round's L and R. The last
    /// round folds no points.
    static func innerProductProve(transcript: inout Transcript, w: Scalar, yInv: Scalar,
                                  G: [RistrettoPoint], H: [RistrettoPoint], a aIn: [Scalar], b bIn: [Scalar],
                                  domainSeparate: Bool = true)
        -> (L: [[UInt8]], R: [[UInt8]], a: Scalar, b: Scalar) {
        var size = aIn.count
        if domainSeparate { transcript.innerproductDomainSep(n: size) }
        var yInvPow = [Scalar](repeating: .one, count: size)
        let yInvM = ScalarMultiplier(yInv)
        for i in 1..<max(size, 1) { yInvPow[i] = yInvM(yInvPow[i - 1]) }
        var a = aIn, b = bIn, gHat = G, hHat = H
        var cG = Scalar.one, cH = Scalar.one
        var ls: [[UInt8]] = [], rs: [[UInt8]] = []
        var scal = [Scalar](), pts = [RistrettoPoint]()
        scal.reserveCapacity(size); pts.reserveCapacity(size)
        while size > 1 {
            let h = size / 2
            let (cL, cR) = IPARound.crossTerms(a, b, half: h)

            scal.removeAll(keepingCapacity: true); pts.removeAll(keepingCapacity: true)
            for i in 0..<h { scal.append(a[i] * cG); pts.append(gHat[h + i]) }
            for i in 0..<h { scal.append(b[h + i] * (cH * yInvPow[i])); pts.append(hHat[i]) }
            let lPoint = SecretMSM.points(scal, pts) + SecretMSM.basepoint(cL * w)

            scal.removeAll(keepingCapacity: true); pts.removeAll(keepingCapacity: true)
            for i in 0..<h { scal.append(a[h + i] * cG); pts.append(gHat[i]) }
            for i in 0..<h { scal.append(b[i] * (cH * yInvPow[h + i])); pts.append(hHat[h + i]) }
            let rPoint = SecretMSM.points(scal, pts) + SecretMSM.basepoint(cR * w)

            let (u, uInv) = IPARound.send(lPoint, rPoint, transcript: &transcript, ls: &ls, rs: &rs)
            IPARound.foldScalars(&a, &b, half: h, u: u, uInv: uInv)
            if h > 1 {
                (gHat, hHat) = PublicFold.halve(gHat, hHat, gFactor: u * u, hFactor: uInv * uInv * yInvPow[h])
                cG = cG * uInv
                cH = cH * u
            }
            size = h
        }
        return (ls, rs, a[0], b[0])
    }

    /// Number of leading rounds the hybrid prover runs without folding points.
    ///
    /// Cost per N = n·m, in instructions: measured (callgrind, BENCHMARKS.md 2026-12-01) a
    /// constant-time table term ≈ 124 k and an 8-term public fold ≈ 1.25 M per folded point;
    /// estimated from those, a 4- or 16-term fold ≈ 0.8 M or 2.15 M (256 doublings ≈ 0.35 M
    /// plus ≈ 110 k per term) and an explicit round ≈ 770 k per point of its size s (2s
    /// constant-time terms on per-call tables, s folding multiplications). A lazy round is 2N table terms,
    /// ≈ 248 k·N; after r lazy rounds the fold costs (2N/2^r)·fold(2^r) and the explicit rounds
    /// ≈ 1,540 k·N/2^r. Totals per N: 1,281 k at r = 2, 1,248 k at r = 3, 1,357 k at r = 4, so
    /// three lazy rounds for every size (as the variable-time prover did above n·m = 128).
    /// Measured the same way, r = 3 beats r = 2 by 3 % and r = 4 by 6–7 % at (32, 1), (64, 8)
    /// and (32, 512).
    static let hybridLazyRounds = 3

    /// The inner-product prover: the first `lazyRounds` rounds run without folding any point,
    /// then the generators are folded 2^r-to-1 in one step, and the remaining rounds fold
    /// explicitly (`innerProductProve`). Same transcript and proof bytes as the textbook prover:
    /// only the order of the work differs.
    ///
    /// Why: after r rounds each folded generator is a fixed combination of 2^r original ones,
    ///   G^(r)_t = Σ_k coefG[t + k·N_r]·G[t + k·N_r]   (N_r = N/2^r),
    /// where coefG picks up u⁻¹ or u per round (low or high half) and coefH starts at y^(−i).
    /// So a lazy round's L and R are multiscalar multiplications over the *original* generators,
    /// N terms each, with secret scalars a_t·coefG[i], b_t·coefH[i]: constant-time on the
    /// precomputed generator tables, choosing the N terms by public index (which half of its
    /// block of `size` a generator sits in), so no scalar is ever tested for zero. Computing each
    /// G^(r)_t as one 2^r-term multiscalar multiplication over public points and challenges
    /// (`PublicFold.combine`) then shares the doublings among 2^r points.
    static func innerProductProveHybrid(transcript: inout Transcript, w: Scalar, yInv: Scalar,
                                        secret: SecretMSM, lazyRounds: Int,
                                        a aIn: [Scalar], b bIn: [Scalar])
        -> (L: [[UInt8]], R: [[UInt8]], a: Scalar, b: Scalar) {
        let n = aIn.count
        transcript.innerproductDomainSep(n: n)
        var size = n
        var a = aIn, b = bIn
        var coefG = [Scalar](repeating: .one, count: n)
        var coefH = [Scalar](repeating: .one, count: n)
        let yInvM = ScalarMultiplier(yInv)
        for i in 1..<max(n, 1) { coefH[i] = yInvM(coefH[i - 1]) }
        var ls: [[UInt8]] = [], rs: [[UInt8]] = []
        // Terms of L and R over [G…, H…]: index i for G_i, n + i for H_i. Each round takes N of
        // the 2N generators into L and the other N into R.
        var lSc = [Scalar](repeating: .zero, count: n), rSc = [Scalar](repeating: .zero, count: n)
        var lIx = [Int32](repeating: 0, count: n), rIx = [Int32](repeating: 0, count: n)
        var round = 0
        while size > 1 && round < lazyRounds {
            let h = size / 2
            let mask = size - 1
            let (cL, cR) = IPARound.crossTerms(a, b, half: h)
            // L = ⟨a_lo, G_hi⟩ + ⟨b_hi, H'_lo⟩ + c_L·w·B over the originals: G_i with i mod size in
            // the high half, H_i with i mod size in the low half; R the other way round. The
            // branch is on the public index i, never on a scalar.
            var lk = 0, rk = 0
            for i in 0..<n {
                let t = i & mask
                if t >= h {
                    lSc[lk] = a[t - h] * coefG[i]; lIx[lk] = Int32(i); lk += 1
                    rSc[rk] = b[t - h] * coefH[i]; rIx[rk] = Int32(n + i); rk += 1
                } else {
                    rSc[rk] = a[h + t] * coefG[i]; rIx[rk] = Int32(i); rk += 1
                    lSc[lk] = b[h + t] * coefH[i]; lIx[lk] = Int32(n + i); lk += 1
                }
            }
            let lPoint = secret.generators(lSc, indices: lIx) + SecretMSM.basepoint(cL * w)
            let rPoint = secret.generators(rSc, indices: rIx) + SecretMSM.basepoint(cR * w)
            let (u, uInv) = IPARound.send(lPoint, rPoint, transcript: &transcript, ls: &ls, rs: &rs)
            IPARound.foldScalars(&a, &b, half: h, u: u, uInv: uInv)
            if h > 1 {
                let uM = ScalarMultiplier(u), uInvM = ScalarMultiplier(uInv)
                for i in 0..<n {
                    if i & mask >= h { coefG[i] = uM(coefG[i]); coefH[i] = uInvM(coefH[i]) }
                    else { coefG[i] = uInvM(coefG[i]); coefH[i] = uM(coefH[i]) }
                }
            }
            size = h
            round += 1
        }
        if size == 1 { return (ls, rs, a[0], b[0]) }
        // Fold 2^round originals into each of the `size` current generators at once.
        let (g, h) = PublicFold.combine(secret.G, secret.H, coefG: coefG, coefH: coefH, into: size)
        // The y^(−i) weights are inside the folded H already, so the rest runs with y⁻¹ = 1.
        let rest = innerProductProve(transcript: &transcript, w: w, yInv: .one, G: g, H: h,
                                     a: Array(a[0..<size]), b: Array(b[0..<size]), domainSeparate: false)
        return (ls + rest.L, rs + rest.R, rest.a, rest.b)
    }
}

/// Every multiplication of a point by a secret-derived scalar in the prover goes through here,
/// and everything here is constant time in the scalars (SPEC §8.4): the generator tables
/// (`ConstantTimePointTables`), per-call Straus (`RistrettoPoint.multiscalarMul`) and the
/// fixed-base table of B. Nothing in this type may call a variable-time routine; a test checks
/// that by reading this file.
struct SecretMSM {
    /// The statement's generators G(n, m), H(n, m).
    let G: [RistrettoPoint], H: [RistrettoPoint]
    /// Constant-time tables over [G…, H…], or nil when they would exceed the cache budget.
    let tables: ConstantTimePointTables?

    /// Σ_k scalars[k]·[G…, H…][k] (the S commitment: scalars s_L ‖ s_R).
    func generators(_ scalars: [Scalar]) -> RistrettoPoint {
        if let tables { return tables.mul(secretScalars: scalars) }
        return RistrettoPoint.multiscalarMul(scalars, G + H)
    }

    /// Σ_j scalars[j]·[G…, H…][indices[j]], the indices public.
    func generators(_ scalars: [Scalar], indices: [Int32]) -> RistrettoPoint {
        if let tables { return tables.mul(secretScalars: scalars, indices: indices) }
        let n = G.count
        let points = indices.map { i in Int(i) < n ? G[Int(i)] : H[Int(i) - n] }
        return RistrettoPoint.multiscalarMul(scalars, points)
    }

    /// Σ scalars[j]·points[j] for points without tables (the folded generators).
    static func points(_ scalars: [Scalar], _ points: [RistrettoPoint]) -> RistrettoPoint {
        RistrettoPoint.multiscalarMul(scalars, points)
    }

    /// s·B on the constant-time fixed-base table.
    static func basepoint(_ s: Scalar) -> RistrettoPoint {
        FixedBaseTable.generatorTable.mul(s)
    }
}

/// The prover's only variable-time point arithmetic: folding the *public* generators with the
/// *public* Fiat–Shamir challenges and powers of y⁻¹. No scalar here depends on a value, a
/// blinding or the prover's randomness.
enum PublicFold {
    /// Ĝ'_i = Ĝ_i + gFactor·Ĝ_(h+i) and Ĥ'_i = Ĥ_i + hFactor·Ĥ_(h+i) for i < h = count/2.
    /// Split over worker threads (Parallel); chunk results are concatenated in order, so the
    /// bytes never depend on the thread count.
    static func halve(_ g0: [RistrettoPoint], _ h0: [RistrettoPoint], gFactor: Scalar, hFactor: Scalar)
        -> ([RistrettoPoint], [RistrettoPoint]) {
        let h = g0.count / 2
        let chunks = Parallel.map(count: h, minChunk: 64) { r -> ([RistrettoPoint], [RistrettoPoint]) in
            var g: [RistrettoPoint] = [], hh: [RistrettoPoint] = []
            g.reserveCapacity(r.count); hh.reserveCapacity(r.count)
            for i in r {
                g.append(g0[i] + g0[h + i].mulVartime(gFactor))
                hh.append(h0[i] + h0[h + i].mulVartime(hFactor))
            }
            return (g, hh)
        }
        return (chunks.flatMap(\.0), chunks.flatMap(\.1))
    }

    /// G^(r)_t = Σ_k coefG[t + k·size]·G[t + k·size] and likewise for H, t < size: each a
    /// 2^r-term variable-time multiscalar multiplication (coefficients are products of
    /// challenges and powers of y⁻¹).
    static func combine(_ G: [RistrettoPoint], _ H: [RistrettoPoint], coefG: [Scalar], coefH: [Scalar],
                        into size: Int) -> ([RistrettoPoint], [RistrettoPoint]) {
        let span = G.count / size
        let parts = Parallel.map(count: size, minChunk: 64) { r -> ([RistrettoPoint], [RistrettoPoint]) in
            var gs: [RistrettoPoint] = [], hs: [RistrettoPoint] = []
            gs.reserveCapacity(r.count); hs.reserveCapacity(r.count)
            var sc = [Scalar](repeating: .zero, count: span), pt = [RistrettoPoint](repeating: .identity, count: span)
            for t in r {
                for k in 0..<span { sc[k] = coefG[t + k * size]; pt[k] = G[t + k * size] }
                gs.append(RistrettoPoint.multiscalarMulVartime(sc, pt))
                for k in 0..<span { sc[k] = coefH[t + k * size]; pt[k] = H[t + k * size] }
                hs.append(RistrettoPoint.multiscalarMulVartime(sc, pt))
            }
            return (gs, hs)
        }
        return (parts.flatMap(\.0), parts.flatMap(\.1))
    }
}

/// The steps every inner-product round shares, whichever way its L and R were computed.
enum IPARound {
    /// ⟨a_lo, b_hi⟩ and ⟨a_hi, b_lo⟩ for the current length 2·half.
    static func crossTerms(_ a: [Scalar], _ b: [Scalar], half h: Int) -> (Scalar, Scalar) {
        var cL = Scalar.zero, cR = Scalar.zero
        for i in 0..<h { cL = cL + a[i] * b[h + i]; cR = cR + a[h + i] * b[i] }
        return (cL, cR)
    }

    /// Appends L and R to the transcript (and the proof) and returns the challenge u and u⁻¹.
    static func send(_ lPoint: RistrettoPoint, _ rPoint: RistrettoPoint, transcript: inout Transcript,
                     ls: inout [[UInt8]], rs: inout [[UInt8]]) -> (Scalar, Scalar) {
        let enc = RistrettoPoint.compressBatch([lPoint, rPoint])
        transcript.appendMessage(label: "L", message: enc[0])
        transcript.appendMessage(label: "R", message: enc[1])
        ls.append(enc[0]); rs.append(enc[1])
        let u = transcript.challengeScalar(label: "u")
        return (u, u.inverse())
    }

    /// a' = u·a_lo + u⁻¹·a_hi, b' = u⁻¹·b_lo + u·b_hi, in place in the first `half` entries.
    static func foldScalars(_ a: inout [Scalar], _ b: inout [Scalar], half h: Int, u: Scalar, uInv: Scalar) {
        let uM = ScalarMultiplier(u), uInvM = ScalarMultiplier(uInv)
        for i in 0..<h {
            a[i] = uM(a[i]) + uInvM(a[h + i])
            b[i] = uInvM(b[i]) + uM(b[h + i])
        }
    }
}

