import Merlin
import Ristretto255

/// The Bulletproofs transcript conventions (the Rust crate's `TranscriptProtocol`).
extension Transcript {
    /// A challenge scalar: 64 challenge bytes read as a little-endian 512-bit integer mod ℓ
    /// (the wide reduction makes the result statistically uniform).
    public mutating func challengeScalar(label: String) -> Scalar {
        Scalar(reducing64: challengeBytes(label: label, count: 64))
    }

    /// `dom-sep` = "rangeproof v1", then u64 `n` and u64 `m`.
    mutating func rangeproofDomainSep(n: Int, m: Int) {
        appendMessage(label: "dom-sep", message: Array("rangeproof v1".utf8))
        appendU64(label: "n", value: UInt64(n))
        appendU64(label: "m", value: UInt64(m))
    }

    /// `dom-sep` = "ipp v1", then u64 `n` (the vector length).
    mutating func innerproductDomainSep(n: Int) {
        appendMessage(label: "dom-sep", message: Array("ipp v1".utf8))
        appendU64(label: "n", value: UInt64(n))
    }

    mutating func appendScalar(label: String, _ s: Scalar) {
        appendMessage(label: label, message: s.bytes)
    }
}
