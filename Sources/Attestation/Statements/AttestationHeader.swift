import Circuits
import Ristretto255
import RiskEngine
import SystemCrypto

/// Labels and unit digits of the auxiliary members (everything after the collateral assets), in
/// layout order: `settlement:<quote>`, `settlement:<underlying>`…, `mm:<table>`…, `im:<table>`….
public enum AuxiliaryLabels {
    public static func labels(layout: WitnessLayout, market: MarketSnapshot) -> [(label: String, digits: Int)] {
        var out: [(String, Int)] = []
        for (k, role) in layout.roles.enumerated() {
            switch role {
            case .instrument, .collateral: continue
            case .quoteSettlement: out.append(("settlement:\(market.quoteCurrency)", layout.unitDigits(of: k)))
            case .coinSettlement(let u): out.append(("settlement:\(market.underlyings[u].id)", layout.unitDigits(of: k)))
            case .maintenanceMargin(let t): out.append(("mm:\(layout.tierTables[t])", layout.unitDigits(of: k)))
            case .initialMargin(let t): out.append(("im:\(layout.tierTables[t])", layout.unitDigits(of: k)))
            case .wholeUnits(let b):
                let base: String
                switch layout.roles[b] {
                case .collateral(let j): base = "collateral:\(market.collateral[j].id)"
                case .quoteSettlement: base = "settlement:\(market.quoteCurrency)"
                case .coinSettlement(let u): base = "settlement:\(market.underlyings[u].id)"
                default: base = "member\(b)"
                }
                out.append(("whole:\(base)", layout.unitDigits(of: k)))
            }
        }
        return out
    }
}

extension AttestationBody {
    /// The same body with another list of range proofs.
    public func replacingRangeProofs(_ proofs: [AggregatedRangeProof]) throws(AttestationFormatError) -> AttestationBody {
        try AttestationBody(circuitName: circuitName, circuitVersion: circuitVersion, circuitHash: circuitHash,
                            parameters: parameters, snapshotID: snapshotID, snapshotHash: snapshotHash,
                            proverKey: proverKey, createdAt: createdAt, expiresAt: expiresAt, nonce: nonce,
                            witnessBits: witnessBits, scales: scales, instrumentCommitments: instrumentCommitments,
                            collateralCommitments: collateralCommitments, auxiliaryMembers: auxiliaryMembers,
                            bookRoot: bookRoot, constraintCount: constraintCount,
                            slackHighCommitments: slackHighCommitments, rangeProofs: proofs)
    }

    /// What the attestation transcript absorbs (SPEC §14.4): the encoding of this body with an
    /// empty range-proof list.
    public var publicInputEncoding: [UInt8] {
        // A decoded or constructed body always re-validates with no proofs: every other rule
        // is unchanged, and an empty proof list is allowed by construction.
        (try? replacingRangeProofs([]))?.encode() ?? []
    }
}

/// The default relying-party policy of SPEC §14.6, shared by the verifier (which applies it) and
/// the prover (which warns when an attestation would fail it).
public enum DefaultPolicy {
    /// Largest `created_at − as_of` a default verifier accepts.
    public static let maxSnapshotAgeSeconds: Int64 = 3_600
    /// Largest `expires_at − created_at` a default verifier accepts.
    public static let maxValiditySeconds: Int64 = 86_400
}

/// The attestation body before its proofs exist.
public struct AttestationHeader: Sendable {
    public let draft: AttestationBody

    public var publicInputEncoding: [UInt8] { draft.encode() }

    public func body(rangeProofs: [AggregatedRangeProof]) throws(AttestationFormatError) -> AttestationBody {
        try draft.replacingRangeProofs(rangeProofs)
    }

    public static func make(market: MarketSnapshot, marketBytes: [UInt8], circuit: Circuit, system: StatementSystem,
                            proverKey: [UInt8], createdAt: Int64, validFor: Int64, nonce: [UInt8]?,
                            instrumentBits: Int, cPlus: [RistrettoPoint], cMinus: [RistrettoPoint],
                            slackHigh: [RistrettoPoint],
                            bookRoot: [UInt8]) throws(AttestationFormatError) -> AttestationHeader {
        let layout = system.layout
        func pair(_ k: Int) -> CommitmentPair {
            CommitmentPair(plus: Commitment(point: cPlus[k]), minus: Commitment(point: cMinus[k]))
        }
        let U = layout.instrumentCount, C = market.collateral.count
        var aux: [AuxiliaryMember] = []
        for (offset, l) in AuxiliaryLabels.labels(layout: layout, market: market).enumerated() {
            aux.append(try AuxiliaryMember(label: l.label, unitDigits: l.digits, commitment: pair(U + C + offset)))
        }
        let params = try system.parameters.map { p throws(AttestationFormatError) in try AttestationParameter(name: p.name, value: p.value) }
        let (expires, overflow) = createdAt.addingReportingOverflow(validFor)
        guard !overflow else { throw .invalidValidityWindow(createdAt: createdAt, expiresAt: .max) }
        let draft = try AttestationBody(
            circuitName: circuit.name, circuitVersion: UInt32(circuit.version), circuitHash: circuit.hash,
            parameters: params, snapshotID: market.snapshotID, snapshotHash: Digest.sha256.hash(marketBytes),
            proverKey: proverKey, createdAt: createdAt, expiresAt: expires, nonce: nonce,
            witnessBits: instrumentBits,
            scales: try FixedPointScales(instrumentUnitDigits: WitnessLayout.instrumentUnitDigits,
                                         balanceUnitDigits: WitnessLayout.balanceUnitDigits,
                                         slackUnitDigits: WitnessLayout.slackDigits),
            instrumentCommitments: (0..<U).map(pair), collateralCommitments: (U..<U + C).map(pair),
            auxiliaryMembers: aux, bookRoot: bookRoot, constraintCount: system.constraints.count,
            slackHighCommitments: slackHigh.map { Commitment(point: $0) }, rangeProofs: [])
        return AttestationHeader(draft: draft)
    }
}
