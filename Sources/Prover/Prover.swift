import Attestation
import Bulletproofs
import Circuits
import Merlin
import Ristretto255
import RiskEngine
import SystemCrypto

/// Why proving failed. The prover checks everything it can before any cryptography, and never
/// writes an attestation for a book that violates its circuit.
public enum ProverError: Error, CustomStringConvertible {
    case market(InputError)
    case portfolio(InputError)
    case circuit(String)
    case statement(StatementError)
    case witness(WitnessError)
    case proof(RangeProofError)
    case format(AttestationFormatError)
    case invalidRequest(String)

    /// Escaped with `UntrustedText` (RiskEngine): the message may quote text from an input file,
    /// which must not reach a terminal raw.
    public var description: String { UntrustedText.escape(unescapedDescription) }

    private var unescapedDescription: String {
        switch self {
        case .market(let e): return "market snapshot: \(e)"
        case .portfolio(let e): return "portfolio: \(e)"
        case .circuit(let e): return "circuit: \(e)"
        case .statement(let e): return "statement: \(e)"
        case .witness(let e): return "\(e)"
        case .proof(let e): return "range proof: \(e)"
        case .format(let e): return "attestation format: \(e)"
        case .invalidRequest(let e): return e
        }
    }
}

/// What to prove.
public struct ProveRequest: Sendable {
    public var marketBytes: [UInt8]
    public var portfolioBytes: [UInt8]
    public var circuitSource: String
    public var key: Ed25519PrivateKey
    public var parameters: [String: String]
    public var nonce: [UInt8]?
    public var createdAt: Int64
    public var validForSeconds: Int64
    /// Range of each instrument half: 32 (default; |q| < 2³²·10⁻⁴ contracts) or 64.
    public var instrumentBits: Int

    public init(marketBytes: [UInt8], portfolioBytes: [UInt8], circuitSource: String, key: Ed25519PrivateKey,
                parameters: [String: String] = [:], nonce: [UInt8]? = nil, createdAt: Int64,
                validForSeconds: Int64 = 86_400, instrumentBits: Int = 32) {
        self.marketBytes = marketBytes; self.portfolioBytes = portfolioBytes; self.circuitSource = circuitSource
        self.key = key; self.parameters = parameters; self.nonce = nonce; self.createdAt = createdAt
        self.validForSeconds = validForSeconds; self.instrumentBits = instrumentBits
    }
}

/// A finished attestation and the private material a later disclosure needs.
public struct ProveResult: Sendable {
    public var attestation: AttestationV1
    public var openings: OpeningsFile
    /// The statements proven, in words (one per expanded constraint).
    public var statements: [String]
    /// Why a verifier with the default policy (SPEC §14.6: snapshot at most 1 h old at creation,
    /// validity at most 24 h) would refuse this attestation, if it would; the relying party may
    /// have agreed to other bounds, so these are warnings, not errors.
    public var policyWarnings: [String] = []
}

public enum Prover {
    /// Builds, proves and signs an attestation.
    ///
    /// Order matters for privacy and for the user: inputs are parsed and every constraint is
    /// evaluated on the real book first, so a violated constraint stops here with its shortfall
    /// and nothing is produced. Only then are fresh blindings and salts drawn.
    public static func prove(_ req: ProveRequest, progress: (@Sendable (String) -> Void)? = nil) throws(ProverError) -> ProveResult {
        try prove(req, progress: progress, skippingStatementCheck: false)
    }

    /// `skippingStatementCheck` exists for the soundness tests only (internal, reached through
    /// `@testable import`): it plays a dishonest prover that proves whatever the slacks' low 128
    /// bits are, so the tests can check that the *verifier* rejects a false statement.
    static func prove(_ req: ProveRequest, progress: (@Sendable (String) -> Void)?,
                      skippingStatementCheck: Bool) throws(ProverError) -> ProveResult {
        guard req.instrumentBits == 32 || req.instrumentBits == 64 else {
            throw .invalidRequest("instrument witness bits must be 32 or 64")
        }
        guard req.validForSeconds > 0 else { throw .invalidRequest("validity must be positive") }
        let market: MarketSnapshot
        do { market = try MarketSnapshot.parse(req.marketBytes) } catch { throw .market(error) }
        // An attestation cannot be made before the snapshot it is about: every verifier refuses it
        // (SPEC §14.6), so say so now rather than after proving.
        guard req.createdAt >= market.asOf.seconds else {
            throw .invalidRequest("created-at \(Timestamps.format(req.createdAt)) is before the snapshot's as_of \(Timestamps.format(market.asOf.seconds)); no verifier accepts that")
        }
        let portfolio: Portfolio
        do { portfolio = try Portfolio.parse(req.portfolioBytes, market: market) } catch { throw .portfolio(error) }
        let circuit: Circuit
        do { circuit = try Circuit.compile(source: req.circuitSource) } catch { throw .circuit("\(error)") }
        let units: UnitRiskTable
        do { units = try UnitRiskTable(market: market) } catch { throw .market(error) }
        let system: StatementSystem
        do { system = try StatementSystem(market: market, units: units, circuit: circuit, params: req.parameters) }
        catch { throw .statement(error) }

        // 1. Witness and slacks on the real book (fails fast, writes nothing).
        var witness: Witness
        do { witness = try Witness(portfolio: portfolio, market: market, layout: system.layout, instrumentBits: req.instrumentBits) }
        catch { throw .witness(error) }
        let slacks: [(low: UInt64, high: UInt64)]
        do {
            try witness.fillMarginWitnesses(system: system)
            slacks = skippingStatementCheck ? witness.truncatedSlacks(system: system) : try witness.slacks(system: system)
        } catch { throw .witness(error) }
        progress?("statement holds: \(system.constraints.count) constraints over \(system.layout.count) witness members")

        // 2. Fresh blindings and commitments for every half.
        let layout = system.layout
        let pedersen = PedersenGens.standard
        let rPlus = (0..<layout.count).map { _ in Scalar(reducing64: SecureRandom.bytes(64)) }
        let rMinus = (0..<layout.count).map { _ in Scalar(reducing64: SecureRandom.bytes(64)) }
        var cPlus: [RistrettoPoint] = [], cMinus: [RistrettoPoint] = []
        cPlus.reserveCapacity(layout.count); cMinus.reserveCapacity(layout.count)
        for k in 0..<layout.count {
            cPlus.append(pedersen.commit(value: Scalar(witness.plus[k]), blinding: rPlus[k]))
            cMinus.append(pedersen.commit(value: Scalar(witness.minus[k]), blinding: rMinus[k]))
        }
        progress?("committed \(2 * layout.count) witness halves")

        // Slack limbs: s_j = lo_j + 2^64·hi_j. The slack commitment S_j is fixed by the member
        // commitments (blinding r_j = Σ coef·r); the prover commits to hi_j with a fresh ρ_j, and
        // the low limb's commitment S_j − 2^64·H_j has value lo_j and blinding r_j − 2^64·ρ_j.
        let slackBlindings = system.constraints.map { $0.slackBlinding(plus: rPlus, minus: rMinus) }
        let rHigh = system.constraints.map { _ in Scalar(reducing64: SecureRandom.bytes(64)) }
        let slackHigh = zip(slacks, rHigh).map { pedersen.commit(value: Scalar($0.high), blinding: $1) }

        // 3. Book commitment: one salted leaf per member, fresh salts every time.
        let records: [PositionRecord]
        do { records = try BookRecords.make(portfolio: portfolio, market: market, layout: layout, witness: witness,
                                            rPlus: rPlus, rMinus: rMinus) }
        catch { throw .invalidRequest("book record: \(error)") }
        let book: BookCommitment
        do { book = try BookCommitment(records: records) } catch { throw .format(error) }

        // 4. The public header, then the transcript over it, then the three proofs.
        let header: AttestationHeader
        do {
            header = try AttestationHeader.make(market: market, marketBytes: req.marketBytes, circuit: circuit,
                                                system: system, proverKey: req.key.publicKey.rawBytes,
                                                createdAt: req.createdAt, validFor: req.validForSeconds, nonce: req.nonce,
                                                instrumentBits: req.instrumentBits, cPlus: cPlus, cMinus: cMinus,
                                                slackHigh: slackHigh, bookRoot: book.root)
        } catch { throw .format(error) }
        let base = AttestationTranscript.start(publicInputs: header.publicInputEncoding)

        var proofs: [AggregatedRangeProof] = []
        let U = layout.instrumentCount
        func halves<T>(_ p: [T], _ m: [T], _ range: Range<Int>) -> [T] {
            var out: [T] = []; out.reserveCapacity(2 * range.count)
            for k in range { out.append(p[k]); out.append(m[k]) }
            return out
        }
        do {
            let parts: [(RangeProofKind, Int, [UInt64], [Scalar])] = [
                (.witnessHalves, req.instrumentBits, halves(witness.plus, witness.minus, 0..<U), halves(rPlus, rMinus, 0..<U)),
                (.balanceHalves, 64, halves(witness.plus, witness.minus, U..<layout.count), halves(rPlus, rMinus, U..<layout.count)),
                (.constraintSlacks, 64, slacks.flatMap { [$0.low, $0.high] },
                 zip(slackBlindings, rHigh).flatMap { [$0 - Scalar.twoTo64 * $1, $1] }),
            ]
            for (kind, bits, values, blindings) in parts where !values.isEmpty {
                let m = AttestationTranscript.paddedCount(values.count)
                let v = values + [UInt64](repeating: 0, count: m - values.count)
                let r = blindings + [Scalar](repeating: .zero, count: m - values.count)
                var t = AttestationTranscript.fork(base, kind: kind)
                let (proof, _) = try RangeProof.prove(values: v, blindings: r, bitSize: bits, transcript: &t)
                proofs.append(try AggregatedRangeProof(kind: kind, bitSize: bits, valueCount: m, bytes: proof.bytes))
                progress?("proved \(kind): \(m) values of \(bits) bits")
            }
        } catch let e as RangeProofError { throw .proof(e) }
          catch let e as AttestationFormatError { throw .format(e) }
          catch { throw .invalidRequest("\(error)") }

        // 5. Sign.
        let attestation: AttestationV1
        do {
            let body = try header.body(rangeProofs: proofs)
            attestation = try AttestationV1(body: body, signature: req.key.sign(body.signedMessage))
        } catch { throw .format(error) }
        let openings: OpeningsFile
        do { openings = try OpeningsFile(attestation: attestation, salts: book.salts, records: book.records) }
        catch { throw .invalidRequest("openings: \(error)") }
        var warnings: [String] = []
        let age = req.createdAt - market.asOf.seconds
        if age > DefaultPolicy.maxSnapshotAgeSeconds {
            warnings.append("created \(age) s after the snapshot's as_of: verifiers with the default policy accept at most 1 h (--max-snapshot-age)")
        }
        if req.validForSeconds > DefaultPolicy.maxValiditySeconds {
            warnings.append("valid for \(req.validForSeconds) s: verifiers with the default policy accept at most 24 h (--max-validity)")
        }
        return ProveResult(attestation: attestation, openings: openings, statements: system.constraints.map(\.text),
                           policyWarnings: warnings)
    }
}
