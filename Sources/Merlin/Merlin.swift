/// Merlin: Keccak-f[1600], STROBE-128 and Merlin transcripts for Fiat-Shamir.
public enum MerlinInfo { public static let version = "1" }
