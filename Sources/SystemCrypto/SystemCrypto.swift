/// SystemCrypto: thin, typed wrappers over OpenSSL libcrypto (hashes) and libsodium
/// (randomness, Ed25519), plus PKCS#8 / SPKI PEM key handling.
public enum SystemCryptoInfo { public static let version = "1" }
