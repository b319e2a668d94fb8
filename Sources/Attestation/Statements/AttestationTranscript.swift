import Bulletproofs
import Merlin

/// The Fiat–Shamir transcript of an attestation (SPEC §14.4).
///
/// Every public input is bound before any proof: the transcript absorbs the whole attestation body
/// with an empty proof list — circuit hash and parameters, snapshot hash, prover key, validity
/// window, nonce, layout, scales, every member commitment and the book root. Binding the encoding
/// itself, rather than a hand-picked list of fields, means a field added to the format can never
/// be forgotten here.
public enum AttestationTranscript {
    public static let label = "riskattest attestation v3"

    /// The transcript after absorbing the public inputs.
    public static func start(publicInputs: [UInt8]) -> Transcript {
        var t = Transcript(label: label)
        t.appendMessage(label: "public-inputs", message: publicInputs)
        return t
    }

    /// The copy on which one aggregated range proof runs. Separate copies let a verifier check all
    /// proofs (of many attestations) in one batch, while each still binds every public input.
    public static func fork(_ base: Transcript, kind: RangeProofKind) -> Transcript {
        var t = base
        let name: String
        switch kind {
        case .witnessHalves: name = "instruments"
        case .balanceHalves: name = "balances"
        case .constraintSlacks: name = "slacks"
        }
        t.appendMessage(label: "proof", message: Array(name.utf8))
        return t
    }

    /// The smallest power of two ≥ max(n, 1): Bulletproofs aggregation needs m a power of two;
    /// the padding values are zero with zero blinding, i.e. the identity commitment.
    public static func paddedCount(_ n: Int) -> Int {
        var m = 1
        while m < n { m <<= 1 }
        return m
    }
}
