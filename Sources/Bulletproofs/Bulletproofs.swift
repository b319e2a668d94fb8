/// Bulletproofs: Pedersen and vector generators and aggregated range proofs, byte-compatible
/// with the Rust `bulletproofs` crate (5.x).
public enum BulletproofsInfo { public static let version = "1" }
