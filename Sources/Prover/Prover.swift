/// Prover: builds attestations from a private book.
public enum ProverInfo { public static let version = "1" }
