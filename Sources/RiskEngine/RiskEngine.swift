/// RiskEngine: the deterministic risk engine shared by prover and verifier.
///
/// Everything here is pure Swift on IEEE-754 basic operations (no platform libm), so that a
/// prover and a verifier on different platforms derive bit-identical fixed-point coefficients.
public enum RiskEngineInfo { public static let version = "1" }
