/// Why a range proof could not be made, decoded or verified. Every case names the field or the
/// index involved, so a caller can report exactly which input was wrong.
public enum RangeProofError: Error, Equatable, CustomStringConvertible {
    /// The bit size n is not one of 8, 16, 32, 64.
    case invalidBitSize(Int)
    /// The number of values m is not a power of two in 1 … `RangeProof.maxAggregation`.
    case invalidAggregation(Int)
    /// `prove` got a different number of blindings than values.
    case blindingCountMismatch(values: Int, blindings: Int)
    /// values[index] does not fit in bitSize bits: such a value cannot be proven.
    case valueOutOfRange(index: Int, bitSize: Int)
    /// The proof's length is not 32·(9 + 2k) bytes for some k < 32.
    case wrongLength(got: Int)
    /// The proof's n·m does not match its number of inner-product rounds: n·m must equal 2^rounds.
    case sizeMismatch(bitSize: Int, values: Int, rounds: Int)
    /// A scalar field of the proof is not the canonical encoding of a value < ℓ.
    case nonCanonicalScalar(field: String)
    /// A point field of the proof is not a valid ristretto255 encoding.
    case invalidPoint(field: String)
    /// A point field is the identity, which the verifier rejects (A, S, T_1, T_2, L_i, R_i).
    case identityPoint(field: String)
    /// commitments[index] is not a valid 32-byte ristretto255 encoding.
    case invalidCommitment(index: Int)
    /// The proof is well formed but the verification equation does not hold (for a batch: at
    /// least one proof in it is invalid).
    case verificationFailed

    public var description: String {
        switch self {
        case .invalidBitSize(let n): return "range proof: bit size \(n) is not one of 8, 16, 32, 64"
        case .invalidAggregation(let m):
            return "range proof: number of values \(m) is not a power of two between 1 and \(RangeProof.maxAggregation)"
        case .blindingCountMismatch(let v, let b): return "range proof: \(v) values but \(b) blindings"
        case .valueOutOfRange(let i, let n): return "range proof: values[\(i)] does not fit in \(n) bits"
        case .wrongLength(let got): return "range proof: length \(got) bytes is not 32·(9 + 2k) for k < 32"
        case .sizeMismatch(let n, let m, let k):
            return "range proof: \(n) bits × \(m) values is not 2^\(k) (the proof's number of inner-product rounds)"
        case .nonCanonicalScalar(let f): return "range proof: field \(f) is not a canonical scalar (must be < ℓ)"
        case .invalidPoint(let f): return "range proof: field \(f) is not a valid ristretto255 encoding"
        case .identityPoint(let f): return "range proof: field \(f) is the identity point"
        case .invalidCommitment(let i): return "range proof: commitments[\(i)] is not a valid ristretto255 encoding"
        case .verificationFailed: return "range proof: verification equation does not hold"
        }
    }
}
