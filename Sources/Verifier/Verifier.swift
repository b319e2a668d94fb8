/// Verifier: checks attestations using public data only.
public enum VerifierInfo { public static let version = "1" }
