// Fuzz target: PEM keys (Sources/SystemCrypto/KeyEncoding.swift: strict PEM, base64 and the DER of
// SPKI public keys and PKCS#8 private keys), as `verify --trust` and `prove --key` read them.
//
// Oracles: an accepted key writes PEM that loads back to the same key; an accepted private key
// signs a message that its public key verifies, and its public key survives a PEM round trip.
import SystemCrypto

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPEM(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzInput(data, size)
    let text = String(decoding: bytes, as: UTF8.self)
    if let key = try? Ed25519PublicKey(pem: text) {
        check((try? Ed25519PublicKey(pem: key.pem)) == key, "a public key does not survive its own PEM")
        check((try? Ed25519PublicKey(rawBytes: key.rawBytes)) == key, "an accepted public key fails the raw check")
    }
    if let key = try? Ed25519PrivateKey(pem: text) {
        let again = try? Ed25519PrivateKey(pem: key.pem)
        check(again?.publicKey == key.publicKey, "a private key does not survive its own PEM")
        check(again?.pem == key.pem, "a private key's PEM is not canonical")
        let message = Array("riskattest fuzz".utf8) + bytes.prefix(16)
        check(key.publicKey.isValidSignature(key.sign(message), for: message), "a signature does not verify")
        check((try? Ed25519PublicKey(pem: key.publicKey.pem)) == key.publicKey, "a derived public key does not survive its PEM")
    }
    return 0
}
