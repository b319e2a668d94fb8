import ArgumentParser
import SystemCrypto
#if canImport(Glibc)
import Glibc
#endif

/// `riskattest keygen --out PREFIX [--force]`: a fresh Ed25519 key pair for signing attestations.
///
/// PREFIX.key is PKCS#8 PEM (RFC 8410) with mode 0600, PREFIX.pub is SPKI PEM; both are the
/// formats `openssl genpkey -algorithm ed25519` / `openssl pkey -pubout` use, so keys move freely
/// between the two tools. Existing files are never replaced without --force, because silently
/// overwriting a signing key would orphan every attestation made with it.
struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate an Ed25519 signing key pair (PREFIX.key, PKCS#8 PEM, mode 0600; PREFIX.pub, SPKI PEM).")

    @Option(name: .long, help: "Output prefix: writes PREFIX.key and PREFIX.pub.")
    var out: String

    @Flag(name: .long, help: "Overwrite existing PREFIX.key / PREFIX.pub.")
    var force = false

    struct KeygenError: Error, CustomStringConvertible {
        let description: String
    }

    func run() throws {
        guard !out.isEmpty, !out.hasSuffix("/") else {
            throw KeygenError(description: "--out must be a file prefix such as keys/firm (got \"\(out)\")")
        }
        let keyPath = out + ".key", pubPath = out + ".pub"
        if !force {
            for path in [keyPath, pubPath] where access(path, F_OK) == 0 {
                throw KeygenError(description: "\(path) already exists; use --force to overwrite it")
            }
        }
        let key = Ed25519PrivateKey.generate()
        do {
            try AtomicFile.write(Array(key.pem.utf8), to: keyPath, mode: 0o600)
            try AtomicFile.write(Array(key.publicKey.pem.utf8), to: pubPath, mode: 0o644)
        } catch {
            throw KeygenError(description: "keygen: \(error)")
        }
        Terminal.line("wrote \(keyPath) (private key, mode 0600) and \(pubPath) (public key)")
    }
}
