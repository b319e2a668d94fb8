/// Attestation: the attestation wire format, the salted Merkle book commitment and disclosures.
public enum AttestationInfo { public static let version = "1" }
