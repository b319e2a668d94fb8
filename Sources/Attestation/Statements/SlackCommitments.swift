import Ristretto255

extension Scalar {
    /// A signed 64-bit integer as a scalar: v for v ≥ 0, ℓ − |v| otherwise.
    public init(signed v: Int64) {
        let s = Scalar(v.magnitude)
        self = v < 0 ? -s : s
    }

    /// 2⁶⁴ as a scalar (the weight of a slack's high limb).
    public static let twoTo64: Scalar = Scalar(UInt64(1) << 32) * Scalar(UInt64(1) << 32)

    /// An unsigned 128-bit integer as a scalar (exact: 2¹²⁸ < ℓ).
    public init(wide v: UInt128) {
        let lo = Scalar(UInt64(truncatingIfNeeded: v)), hi = Scalar(UInt64(truncatingIfNeeded: v >> 64))
        self = v >> 64 == 0 ? lo : lo + hi * Scalar.twoTo64
    }

    /// A signed 128-bit integer as a scalar: v for v ≥ 0, ℓ − |v| otherwise.
    public init(signed v: Int128) {
        let s = Scalar(wide: v.magnitude)
        self = v < 0 ? -s : s
    }
}

extension IntegerConstraint {
    /// The slack commitment `S = Σ_k plus_k·C_k⁺ + minus_k·C_k⁻ + const·B`, derived from public
    /// data only (the member commitments and this constraint). Variable time: all inputs public.
    ///
    /// Two rewrites keep the multiscalar multiplication small without changing its value:
    /// - a negative coefficient c is applied as |c|·(−C) rather than (ℓ − |c|)·C, so every scalar
    ///   has at most 100 bits and the MSM skips the all-zero high bits;
    /// - where `minus_k = −plus_k` (the member enters through its net value x⁺ − x⁻, as in every
    ///   linear metric) the two terms are one, plus_k·D_k with D_k = C_k⁺ − C_k⁻, when the caller
    ///   passes the differences (computed once per attestation, shared by all constraints).
    /// `minusTwoTo64Times h`, when given, adds −2⁶⁴·h to the same multiscalar multiplication: the
    /// verifier's low-limb commitment `S − 2⁶⁴·H` in one MSM (§14.5).
    public func slackCommitment(plus cPlus: [RistrettoPoint], minus cMinus: [RistrettoPoint],
                                differences: [RistrettoPoint]? = nil,
                                minusTwoTo64Times h: RistrettoPoint? = nil) -> RistrettoPoint {
        var scalars: [Scalar] = []
        var points: [RistrettoPoint] = []
        scalars.reserveCapacity(2 * plus.count + 1)
        points.reserveCapacity(2 * plus.count + 1)
        func add(_ c: Int128, _ p: RistrettoPoint) {
            guard c != 0 else { return }
            scalars.append(Scalar(wide: c.magnitude))
            points.append(c < 0 ? -p : p)
        }
        for k in 0..<plus.count {
            if let d = differences, minus[k] == -plus[k] {
                add(plus[k], d[k])
            } else {
                add(plus[k], cPlus[k])
                add(minus[k], cMinus[k])
            }
        }
        add(constant, .generator)
        if let h { add(-(Int128(1) << 64), h) }
        if scalars.isEmpty { return .identity }
        return RistrettoPoint.multiscalarMulVartime(scalars, points)
    }

    /// The prover's blinding for the slack commitment: `Σ_k plus_k·r_k⁺ + minus_k·r_k⁻`.
    public func slackBlinding(plus rPlus: [Scalar], minus rMinus: [Scalar]) -> Scalar {
        var acc = Scalar.zero
        for k in 0..<plus.count {
            if plus[k] != 0 { acc = acc + Scalar(signed: plus[k]) * rPlus[k] }
            if minus[k] != 0 { acc = acc + Scalar(signed: minus[k]) * rMinus[k] }
        }
        return acc
    }
}
