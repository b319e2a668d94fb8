import Attestation
import Bulletproofs
import Circuits
import Merlin
import Ristretto255
import RiskEngine
import SystemCrypto

/// Why an attestation is not valid, or why the verifier's own inputs are unusable.
public enum VerificationFailure: Error, Equatable, CustomStringConvertible {
    // The verifier's inputs (exit 2 in the CLI).
    case unusableMarket(String)
    case unusableCircuit(String)
    /// The verifier's own policy cannot be applied (e.g. a required parameter the circuit lacks).
    case unusablePolicy(String)
    // The attestation (exit 1).
    case malformed(String)
    case untrustedProver(keyHex: String)
    case badSignature
    case snapshotMismatch
    case circuitMismatch
    case parameter(String)
    case notYetValid(createdAt: Int64, now: Int64)
    case expired(expiresAt: Int64, now: Int64)
    case nonceMismatch
    case nonceMissing
    /// A parameter's attested value differs from the relying party's requirement.
    case parameterMismatch(name: String, attested: String, required: String)
    /// `created_at` precedes the snapshot's `as_of`: the prover claims to have seen the future.
    case createdBeforeSnapshot(createdAt: Int64, asOf: Int64)
    /// The snapshot was older than the policy allows when the attestation was made.
    case snapshotTooOld(ageSeconds: Int64, maxSeconds: Int64)
    /// The validity window is longer than the policy allows.
    case validityTooLong(seconds: Int64, maxSeconds: Int64)
    case layoutMismatch(String)
    case statement(String)
    case proofInvalid(String)

    /// True when the failure is about the verifier's inputs rather than the attestation.
    public var isUnusableInput: Bool {
        switch self {
        case .unusableMarket, .unusableCircuit, .unusablePolicy: return true
        default: return false
        }
    }

    /// A stable machine-readable name for the failure (snake_case), for services and scripts that
    /// must branch on *why* an attestation failed without parsing the message. Never changes
    /// meaning once published (the verification service stores it as `failure_code`).
    public var code: String {
        switch self {
        case .unusableMarket: return "unusable_market"
        case .unusableCircuit: return "unusable_circuit"
        case .unusablePolicy: return "unusable_policy"
        case .malformed: return "malformed"
        case .untrustedProver: return "untrusted_prover"
        case .badSignature: return "bad_signature"
        case .snapshotMismatch: return "snapshot_mismatch"
        case .circuitMismatch: return "circuit_mismatch"
        case .parameter: return "parameter"
        case .notYetValid: return "not_yet_valid"
        case .expired: return "expired"
        case .nonceMismatch: return "nonce_mismatch"
        case .nonceMissing: return "nonce_missing"
        case .parameterMismatch: return "parameter_mismatch"
        case .createdBeforeSnapshot: return "created_before_snapshot"
        case .snapshotTooOld: return "snapshot_too_old"
        case .validityTooLong: return "validity_too_long"
        case .layoutMismatch: return "layout_mismatch"
        case .statement: return "statement"
        case .proofInvalid: return "proof_invalid"
        }
    }

    /// Every code `code` can return, for documentation and the service's metrics.
    public static let allCodes = ["unusable_market", "unusable_circuit", "unusable_policy", "malformed",
                                  "untrusted_prover", "bad_signature", "snapshot_mismatch", "circuit_mismatch",
                                  "parameter", "not_yet_valid", "expired", "nonce_mismatch", "nonce_missing",
                                  "parameter_mismatch", "created_before_snapshot", "snapshot_too_old",
                                  "validity_too_long", "layout_mismatch", "statement", "proof_invalid"]

    /// Escaped with `UntrustedText` (RiskEngine): the message may quote text from an input file,
    /// which must not reach a terminal raw.
    public var description: String { UntrustedText.escape(unescapedDescription) }

    private var unescapedDescription: String {
        switch self {
        case .unusableMarket(let e): return "market snapshot unusable: \(e)"
        case .unusableCircuit(let e): return "circuit unusable: \(e)"
        case .unusablePolicy(let e): return "verification policy unusable: \(e)"
        case .malformed(let e): return "malformed attestation: \(e)"
        case .untrustedProver(let k): return "prover key \(k) is not among the trusted keys"
        case .badSignature: return "the Ed25519 signature does not verify under the prover key"
        case .snapshotMismatch: return "the attestation was made over a different market snapshot (SHA-256 differs)"
        case .circuitMismatch: return "the attestation was made for a different circuit (hash differs)"
        case .parameter(let e): return "parameters: \(e)"
        case .notYetValid(let c, let n): return "not yet valid: created at \(Timestamps.format(c)), now \(Timestamps.format(n))"
        case .expired(let e, let n): return "expired at \(Timestamps.format(e)) (now \(Timestamps.format(n)))"
        case .nonceMismatch: return "the verifier nonce does not match"
        case .nonceMissing: return "the policy requires a verifier nonce and the attestation carries none"
        case .parameterMismatch(let n, let a, let r):
            return "parameter \(n): the attestation proves \(n) = \(a), the verifier requires \(n) = \(r)"
        case .createdBeforeSnapshot(let c, let a):
            return "created at \(Timestamps.format(c)), before the snapshot's as_of \(Timestamps.format(a))"
        case .snapshotTooOld(let age, let max):
            return "the snapshot was \(VerificationPolicy.describe(seconds: age)) old at creation; the policy allows at most \(VerificationPolicy.describe(seconds: max))"
        case .validityTooLong(let v, let max):
            return "valid for \(VerificationPolicy.describe(seconds: v)); the policy allows at most \(VerificationPolicy.describe(seconds: max))"
        case .layoutMismatch(let e): return "witness layout does not match the snapshot: \(e)"
        case .statement(let e): return "statement: \(e)"
        case .proofInvalid(let e): return "range proof rejected: \(e)"
        }
    }
}

/// What the relying party requires (SPEC §14.6). The attestation's own claims never set the
/// requirement: a parameter, a freshness bound or a validity window chosen by the prover is
/// checked against these values, never taken from the file.
///
/// Defaults are the circuit's declared parameter values, a snapshot at most one hour old when
/// the attestation was made, a validity window of at most 24 hours, and no nonce requirement.
public struct VerificationPolicy: Sendable, Equatable {
    /// Required parameter values overriding the circuit's declared defaults (NAME → decimal).
    /// Every parameter of the circuit is required: declared default unless overridden here.
    public var parameters: [String: String]
    /// Largest `created_at − as_of` allowed, in seconds (`created_at < as_of` is always invalid).
    public var maxSnapshotAgeSeconds: Int64
    /// Largest `expires_at − created_at` allowed, in seconds.
    public var maxValiditySeconds: Int64
    /// Whether an attestation without a nonce is refused (an expected nonce implies this).
    public var requireNonce: Bool

    public static let defaultMaxSnapshotAgeSeconds = DefaultPolicy.maxSnapshotAgeSeconds
    public static let defaultMaxValiditySeconds = DefaultPolicy.maxValiditySeconds

    public init(parameters: [String: String] = [:], maxSnapshotAgeSeconds: Int64 = Self.defaultMaxSnapshotAgeSeconds,
                maxValiditySeconds: Int64 = Self.defaultMaxValiditySeconds, requireNonce: Bool = false) {
        self.parameters = parameters; self.maxSnapshotAgeSeconds = maxSnapshotAgeSeconds
        self.maxValiditySeconds = maxValiditySeconds; self.requireNonce = requireNonce
    }

    /// "90 s", "15 min", "2 h", "3 d" — the largest unit that divides exactly.
    public static func describe(seconds s: Int64) -> String {
        if s != 0 && s % 86_400 == 0 { return "\(s / 86_400) d" }
        if s != 0 && s % 3_600 == 0 { return "\(s / 3_600) h" }
        if s != 0 && s % 60 == 0 { return "\(s / 60) min" }
        return "\(s) s"
    }
}

/// One attestation to check, with the public data it claims to be about.
public struct VerificationRequest: Sendable {
    public var attestationBytes: [UInt8]
    public var marketBytes: [UInt8]
    public var circuitSource: String
    public var trustedKeys: [Ed25519PublicKey]
    /// When set, the attestation must carry exactly this nonce (freshness challenge).
    public var expectedNonce: [UInt8]?
    /// Unix seconds at which validity is judged.
    public var now: Int64
    /// The relying party's requirements.
    public var policy: VerificationPolicy

    public init(attestationBytes: [UInt8], marketBytes: [UInt8], circuitSource: String,
                trustedKeys: [Ed25519PublicKey], expectedNonce: [UInt8]? = nil, now: Int64,
                policy: VerificationPolicy = VerificationPolicy()) {
        self.attestationBytes = attestationBytes; self.marketBytes = marketBytes; self.circuitSource = circuitSource
        self.trustedKeys = trustedKeys; self.expectedNonce = expectedNonce; self.now = now; self.policy = policy
    }
}

/// What a verifier tells its caller: everything public about the attestation, in words.
public struct VerificationReport: Sendable, Codable, Equatable {
    public var valid: Bool
    public var reason: String?
    /// `VerificationFailure.code` of the reason, nil when valid.
    public var failureCode: String?
    public var unusableInput: Bool
    public var circuit: String?
    public var circuitHash: String?
    public var parameters: [String: String]
    public var statements: [String]
    public var snapshotID: String?
    public var snapshotSHA256: String?
    public var proverKey: String?
    public var createdAt: String?
    public var expiresAt: String?
    public var nonce: String?
    public var attestationBytes: Int
    public var proofBytes: [String: Int]
    public var verifyMilliseconds: Double

    static func failed(_ f: VerificationFailure, bytes: Int) -> VerificationReport {
        VerificationReport(valid: false, reason: f.description, failureCode: f.code, unusableInput: f.isUnusableInput, circuit: nil,
                           circuitHash: nil, parameters: [:], statements: [], snapshotID: nil, snapshotSHA256: nil,
                           proverKey: nil, createdAt: nil, expiresAt: nil, nonce: nil, attestationBytes: bytes,
                           proofBytes: [:], verifyMilliseconds: 0)
    }
}

/// The verifier. It depends only on public data: it never sees, and never imports, the prover's
/// private types.
public enum Verifier {
    /// The limb commitments the slack range proof covers, (L_1, H_1, L_2, H_2, …) with
    /// L_j = S_j − 2⁶⁴·H_j (one MSM per constraint, spread over worker threads): the proof shows both
    /// limbs in [0, 2⁶⁴), so s_j ∈ [0, 2¹²⁸).
    static func slackLimbCommitments(_ constraints: [IntegerConstraint], plus: [RistrettoPoint],
                                     minus: [RistrettoPoint], high: [RistrettoPoint]) -> [RistrettoPoint] {
        let differences = zip(plus, minus).map { $0 - $1 }
        let lows = Parallel.map(count: constraints.count, minChunk: 4) { r in
            r.map { constraints[$0].slackCommitment(plus: plus, minus: minus, differences: differences,
                                                    minusTwoTo64Times: high[$0]) }
        }.flatMap { $0 }
        var out: [RistrettoPoint] = []
        out.reserveCapacity(2 * lows.count)
        for (l, h) in zip(lows, high) { out.append(l); out.append(h) }
        return out
    }

    /// Checks one attestation (SPEC §14.6).
    public static func verify(_ request: VerificationRequest) -> VerificationReport {
        verifyBatch([request])[0]
    }

    /// Checks one attestation with what `context` keeps from earlier calls (and keeps what this
    /// one builds): the same report as `verify(_:)`, in a fraction of the time once the context
    /// holds the attestation's snapshot, circuit, policy and shapes.
    public static func verify(_ request: VerificationRequest, context: VerifierContext) -> VerificationReport {
        verifyBatch([request], context: context)[0]
    }

    /// Checks many attestations; all their range proofs are verified together in one
    /// multi-scalar multiplication. If the batch fails, each attestation is re-checked alone so
    /// every report names its own result.
    public static func verifyBatch(_ requests: [VerificationRequest]) -> [VerificationReport] {
        verifyBatchDetailed(requests).reports
    }

    /// `verifyBatch(_:)` with a long-lived context (see `VerifierContext`).
    public static func verifyBatch(_ requests: [VerificationRequest], context: VerifierContext) -> [VerificationReport] {
        verifyBatchDetailed(requests, context: context).reports
    }

    /// `verifyBatch`, also telling whether the joint range-proof check failed, so that every
    /// attestation was re-checked alone (a service counts these isolations). The attestations of
    /// one call share their public inputs through a fresh `VerifierContext` (without fixed-base
    /// tables): a snapshot is parsed, a circuit compiled and a statement system built once per
    /// call, not once per attestation.
    public static func verifyBatchDetailed(_ requests: [VerificationRequest]) -> (reports: [VerificationReport], jointCheckFailed: Bool) {
        verifyBatchDetailed(requests, context: VerifierContext(fixedBaseTables: false))
    }

    /// `verifyBatchDetailed(_:)` with a long-lived context.
    public static func verifyBatchDetailed(_ requests: [VerificationRequest],
                                           context: VerifierContext) -> (reports: [VerificationReport], jointCheckFailed: Bool) {
        let clock = ContinuousClock()
        let start = clock.now
        var reports: [VerificationReport] = []
        var items: [[RangeProofBatchItem]] = []
        for r in requests {
            do {
                let (report, batch) = try prepare(r, context: context)
                reports.append(report); items.append(batch)
            } catch {
                reports.append(.failed(error, bytes: r.attestationBytes.count)); items.append([])
            }
        }
        // The generators of the batch's shapes, prepared once per context (a single attestation's
        // shapes are a whole batch's when all share the snapshot and circuit).
        func generators(_ batch: [RangeProofBatchItem]) -> RangeProofBatchGenerators {
            context.generators(partyBitSizes: RangeProofBatchGenerators.partyBitSizes(
                shapes: RangeProofBatchGenerators.shapes(of: batch)))
        }
        let all = items.flatMap { $0 }
        var batchOK = true
        if !all.isEmpty {
            do { try RangeProof.batchVerify(all, generators: generators(all)) } catch { batchOK = false }
        }
        if !batchOK {
            for k in reports.indices where reports[k].valid {
                do { try RangeProof.batchVerify(items[k], generators: generators(items[k])) } catch {
                    let f = VerificationFailure.proofInvalid("\(error)")
                    reports[k].valid = false; reports[k].reason = f.description; reports[k].failureCode = f.code
                }
            }
        }
        let elapsed = clock.now - start
        let ms = Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) / 1e15
        for k in reports.indices { reports[k].verifyMilliseconds = ms / Double(max(1, requests.count)) }
        return (reports, !batchOK)
    }

    /// The range proofs an attestation over `layout` with `constraintCount` constraints carries
    /// (SPEC §14.5), in order, with their bit sizes and padded value counts; proofs over no
    /// values are absent. `prepare` checks an attestation's proofs against exactly these.
    static func proofShapes(layout: WitnessLayout, constraintCount: Int,
                            instrumentBits: Int) -> [(kind: RangeProofKind, bits: Int, count: Int)] {
        let u = layout.instrumentCount
        let values: [(RangeProofKind, Int, Int)] = [(.witnessHalves, instrumentBits, 2 * u),
                                                   (.balanceHalves, 64, 2 * (layout.count - u)),
                                                   (.constraintSlacks, 64, 2 * constraintCount)]
        return values.filter { $0.2 > 0 }.map { (kind: $0.0, bits: $0.1, count: AttestationTranscript.paddedCount($0.2)) }
    }

    /// Every check except the range proofs, which it returns as batch items.
    static func prepare(_ r: VerificationRequest,
                        context: VerifierContext) throws(VerificationFailure) -> (VerificationReport, [RangeProofBatchItem]) {
        // Verifier inputs first: unusable inputs are reported as such, whatever the attestation.
        let marketHash = Digest.sha256.hash(r.marketBytes)
        let market = try context.market(hash: marketHash, bytes: r.marketBytes)
        let compiled = try context.circuit(source: r.circuitSource)
        let circuit = compiled.circuit

        let a: AttestationV1
        do { a = try AttestationV1.decode(r.attestationBytes) } catch { throw .malformed("\(error)") }

        // Who signed, and what.
        guard let key = r.trustedKeys.first(where: { $0.rawBytes == a.proverKey }) else {
            throw .untrustedProver(keyHex: Hex.encode(a.proverKey))
        }
        guard key.isValidSignature(a.signature, for: a.signedMessage) else { throw .badSignature }

        // About which public data.
        guard marketHash == a.snapshotHash, market.snapshotID == a.snapshotID else {
            throw .snapshotMismatch
        }
        guard circuit.hash == a.circuitHash, circuit.name == a.circuitName, UInt32(circuit.version) == a.circuitVersion else {
            throw .circuitMismatch
        }
        guard a.createdAt <= r.now else { throw .notYetValid(createdAt: a.createdAt, now: r.now) }
        guard r.now < a.expiresAt else { throw .expired(expiresAt: a.expiresAt, now: r.now) }

        // The relying party's policy: time tied to the snapshot, a bounded window, the nonce.
        let asOf = market.asOf.seconds
        guard a.createdAt >= asOf else { throw .createdBeforeSnapshot(createdAt: a.createdAt, asOf: asOf) }
        let (age, o1) = a.createdAt.subtractingReportingOverflow(asOf)
        guard !o1, age <= r.policy.maxSnapshotAgeSeconds else {
            throw .snapshotTooOld(ageSeconds: o1 ? .max : age, maxSeconds: r.policy.maxSnapshotAgeSeconds)
        }
        let (window, o2) = a.expiresAt.subtractingReportingOverflow(a.createdAt)
        guard !o2, window <= r.policy.maxValiditySeconds else {
            throw .validityTooLong(seconds: o2 ? .max : window, maxSeconds: r.policy.maxValiditySeconds)
        }
        if let want = r.expectedNonce, a.nonce != want { throw .nonceMismatch }
        if r.policy.requireNonce || r.expectedNonce != nil, a.nonce == nil { throw .nonceMissing }

        // The statement, rebuilt from public data and the *required* parameters alone: the
        // attestation's parameter list must equal them, name for name and byte for byte.
        let system = try context.system(marketHash: marketHash, market: market, circuit: compiled, params: r.policy.parameters)
        var attested: [String: String] = [:]
        for p in a.parameters { attested[p.name] = p.value }
        for (name, required) in system.parameters {
            guard let have = attested[name] else {
                throw .parameter("the attestation does not state parameter \(name) (required \(name) = \(required))")
            }
            guard have == required else { throw .parameterMismatch(name: name, attested: have, required: required) }
        }
        guard system.parameters.count == a.parameters.count else {
            let extra = a.parameters.map(\.name).filter { n in !system.parameters.contains { $0.name == n } }
            throw .parameter("the attestation states parameters the circuit does not declare: \(extra.joined(separator: ", "))")
        }
        let params = attested
        guard system.constraints.count == a.constraintCount else {
            throw .statement("\(a.constraintCount) constraints attested, \(system.constraints.count) expected")
        }
        for c in system.constraints {
            for k in c.plus.indices where c.plus[k] + c.minus[k] > 0 {
                throw .statement("line \(c.line): coefficients are not inflation-safe")   // cannot happen for our own builder
            }
        }
        let expected: ExpectedLayout
        do { expected = try ExpectedLayout(layout: system.layout, market: market, attestation: a) }
        catch { throw .layoutMismatch(error.description) }

        // The proofs, on the rebuilt transcript.
        let base = AttestationTranscript.start(publicInputs: a.body.publicInputEncoding)
        var items: [RangeProofBatchItem] = []
        var sizes: [String: Int] = [:]
        let U = system.layout.instrumentCount
        func interleave(_ range: Range<Int>) -> [RistrettoPoint] {
            var out: [RistrettoPoint] = []
            for k in range { out.append(expected.plus[k]); out.append(expected.minus[k]) }
            return out
        }
        let wanted: [(RangeProofKind, [RistrettoPoint])] = [
            (.witnessHalves, interleave(0..<U)),
            (.balanceHalves, interleave(U..<system.layout.count)),
            (.constraintSlacks, Self.slackLimbCommitments(system.constraints, plus: expected.plus, minus: expected.minus,
                                                          high: a.slackHighCommitments.map(\.point))),
        ].filter { !$0.1.isEmpty }
        guard a.rangeProofs.count == wanted.count else {
            throw .malformed("\(a.rangeProofs.count) range proofs, \(wanted.count) expected")
        }
        for (proofEntry, (kind, points)) in zip(a.rangeProofs, wanted) {
            guard proofEntry.kind == kind else { throw .malformed("range proof \(proofEntry.kind) where \(kind) was expected") }
            let m = AttestationTranscript.paddedCount(points.count)
            let bits = kind == .witnessHalves ? a.witnessBits : 64
            guard proofEntry.valueCount == m, proofEntry.bitSize == bits else {
                throw .malformed("\(kind) proof covers \(proofEntry.valueCount)×\(proofEntry.bitSize) bits, \(m)×\(bits) expected")
            }
            let proof: RangeProof
            do { proof = try RangeProof(bytes: proofEntry.bytes) } catch { throw .proofInvalid("\(kind): \(error)") }
            let padded = points + [RistrettoPoint](repeating: .identity, count: m - points.count)
            items.append(RangeProofBatchItem(proof: proof, points: padded, bitSize: bits,
                                             transcript: AttestationTranscript.fork(base, kind: kind)))
            sizes["\(kind)"] = proofEntry.bytes.count
        }
        // `VerifierContext.warm` prepares generators for `proofShapes`: they must be these.
        assert(proofShapes(layout: system.layout, constraintCount: system.constraints.count, instrumentBits: a.witnessBits)
                .map { [$0.bits, $0.count] } == items.map { [$0.bitSize, $0.points.count] })

        let report = VerificationReport(
            valid: true, reason: nil, failureCode: nil, unusableInput: false,
            circuit: "\(circuit.name) v\(circuit.version)", circuitHash: Hex.encode(a.circuitHash),
            parameters: params, statements: system.constraints.map(\.text),
            snapshotID: a.snapshotID, snapshotSHA256: Hex.encode(a.snapshotHash), proverKey: Hex.encode(a.proverKey),
            createdAt: Timestamps.format(a.createdAt), expiresAt: Timestamps.format(a.expiresAt),
            nonce: a.nonce.map(Hex.encode), attestationBytes: r.attestationBytes.count, proofBytes: sizes,
            verifyMilliseconds: 0)
        return (report, items)
    }
}

/// The member commitments of an attestation, checked against the layout the snapshot implies.
struct ExpectedLayout {
    var plus: [RistrettoPoint] = []
    var minus: [RistrettoPoint] = []

    struct Mismatch: Error, CustomStringConvertible { var description: String }

    init(layout: WitnessLayout, market: MarketSnapshot, attestation a: AttestationV1) throws(Mismatch) {
        guard a.instrumentCommitments.count == market.instruments.count else {
            throw Mismatch(description: "\(a.instrumentCommitments.count) instrument commitments for a universe of \(market.instruments.count)")
        }
        guard a.collateralCommitments.count == market.collateral.count else {
            throw Mismatch(description: "\(a.collateralCommitments.count) collateral commitments for \(market.collateral.count) assets")
        }
        let aux = AuxiliaryLabels.labels(layout: layout, market: market)
        guard a.auxiliaryMembers.map(\.label) == aux.map(\.label), a.auxiliaryMembers.map(\.unitDigits) == aux.map(\.digits) else {
            throw Mismatch(description: "auxiliary members differ from \(aux.map(\.label).joined(separator: ", "))")
        }
        guard a.scales.instrumentUnitDigits == WitnessLayout.instrumentUnitDigits,
              a.scales.balanceUnitDigits == WitnessLayout.balanceUnitDigits,
              a.scales.slackUnitDigits == WitnessLayout.slackDigits else {
            throw Mismatch(description: "fixed-point scales differ from 10^-4 / 10^-8 / 10^-10")
        }
        guard a.witnessBits == 32 || a.witnessBits == 64 else {
            throw Mismatch(description: "instrument witness bits must be 32 or 64")
        }
        for p in a.instrumentCommitments + a.collateralCommitments + a.auxiliaryMembers.map(\.commitment) {
            plus.append(p.plus.point); minus.append(p.minus.point)
        }
    }
}
