import CSodium

/// An Ed25519 signing key (RFC 8032), held as its 32-byte seed.
///
/// Why the seed: RFC 8410 PKCS#8 stores exactly the seed, and libsodium's 64-byte secret key is
/// seed ‖ public key, so it is rebuilt on demand with `crypto_sign_seed_keypair`. Signing is
/// deterministic (the nonce is SHA-512 of the seed's second half and the message), so a bad RNG at
/// signing time cannot leak the key.
///
/// The description never shows key material.
public struct Ed25519PrivateKey: Sendable, CustomStringConvertible {
    private let seed: [UInt8]
    private let secretKey: [UInt8]   // libsodium layout: seed ‖ A
    public let publicKey: Ed25519PublicKey

    /// A fresh key from libsodium's CSPRNG.
    public static func generate() -> Ed25519PrivateKey {
        // A 32-byte seed is always valid, so this cannot throw.
        let seed = SecureRandom.bytes(32)
        return Ed25519PrivateKey(validSeed: seed)
    }

    /// Derives the key pair from a 32-byte seed (RFC 8032 §5.1.5).
    public init(seed: [UInt8]) throws(KeyError) {
        guard seed.count == 32 else { throw .wrongLength(what: "Ed25519 seed", expected: 32, got: seed.count) }
        self.init(validSeed: seed)
    }

    private init(validSeed seed: [UInt8]) {
        SecureRandom.initialise()
        var pk = [UInt8](repeating: 0, count: 32)
        var sk = [UInt8](repeating: 0, count: 64)
        // crypto_sign_seed_keypair only fails on invalid lengths, which the types rule out.
        let rc = crypto_sign_seed_keypair(&pk, &sk, seed)
        precondition(rc == 0, "crypto_sign_seed_keypair failed")
        self.seed = seed
        self.secretKey = sk
        self.publicKey = Ed25519PublicKey(trusted: pk)
    }

    /// Loads a PKCS#8 PEM key (`-----BEGIN PRIVATE KEY-----`), as written by
    /// `openssl genpkey -algorithm ed25519`. A v2 key's embedded public key must match the seed.
    public init(pem: String) throws(KeyError) {
        let der = try PEM.decode(pem, label: "PRIVATE KEY")
        let (seed, embedded) = try DER.parsePKCS8(der)
        self.init(validSeed: seed)
        if let embedded, embedded != publicKey.rawBytes { throw .publicKeyMismatch }
    }

    /// PKCS#8 v1 PEM (RFC 8410 §7), the form OpenSSL writes.
    public var pem: String { PEM.encode(DER.pkcs8(seed: seed), label: "PRIVATE KEY") }

    /// The 64-byte signature R ‖ S of `message` (pure Ed25519, no prehash, no context).
    public func sign(_ message: [UInt8]) -> [UInt8] {
        var sig = [UInt8](repeating: 0, count: 64)
        var sigLen: UInt64 = 0
        let rc = crypto_sign_detached(&sig, &sigLen, message, UInt64(message.count), secretKey)
        precondition(rc == 0 && sigLen == 64, "crypto_sign_detached failed")
        return sig
    }

    public var description: String { "Ed25519PrivateKey(public: \(publicKey.hex))" }
}

/// An Ed25519 verification key: the 32-byte compressed point A.
public struct Ed25519PublicKey: Sendable, Hashable, CustomStringConvertible {
    public let rawBytes: [UInt8]

    init(trusted bytes: [UInt8]) { rawBytes = bytes }

    /// Accepts 32 bytes that decode to a point of the prime-order subgroup that is not of small
    /// order (libsodium `crypto_core_ed25519_is_valid_point`). Why reject small-order keys: a
    /// signature under such a key can verify for many messages, which no honest signer produces.
    public init(rawBytes: [UInt8]) throws(KeyError) {
        guard rawBytes.count == 32 else { throw .wrongLength(what: "Ed25519 public key", expected: 32, got: rawBytes.count) }
        SecureRandom.initialise()
        guard crypto_core_ed25519_is_valid_point(rawBytes) == 1 else { throw .invalidPublicKey }
        self.rawBytes = rawBytes
    }

    /// Loads an SPKI PEM key (`-----BEGIN PUBLIC KEY-----`), as written by `openssl pkey -pubout`.
    public init(pem: String) throws(KeyError) {
        let der = try PEM.decode(pem, label: "PUBLIC KEY")
        try self.init(rawBytes: try DER.parseSPKI(der))
    }

    public var pem: String { PEM.encode(DER.spki(publicKey: rawBytes), label: "PUBLIC KEY") }

    /// Verifies a detached signature (libsodium: canonical S < ℓ, rejects small-order R and A).
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        guard signature.count == 64 else { return false }
        SecureRandom.initialise()
        return crypto_sign_verify_detached(signature, message, UInt64(message.count), rawBytes) == 0
    }

    var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: rawBytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] }, as: UTF8.self)
    }
    public var description: String { "Ed25519PublicKey(\(hex))" }
}
