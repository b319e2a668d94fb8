/// Ristretto255: field arithmetic over GF(2^255-19), scalars mod ℓ, the ristretto255 group
/// (RFC 9496), fixed-base tables and multi-scalar multiplication.
public enum Ristretto255Info { public static let version = "1" }
