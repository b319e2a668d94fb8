import Foundation
import XCTest
@testable import SystemCrypto

final class Ed25519Tests: XCTestCase {
    // MARK: RFC 8032 §7.1

    func testRFC8032Vectors() throws {
        let file = try TestSupport.vectors("rfc8032-ed25519.json")
        let vectors = try XCTUnwrap(file["vectors"] as? [[String: String]])
        XCTAssertEqual(vectors.count, 5)
        for v in vectors {
            let name = v["name"] ?? "?"
            let seed = TestSupport.hex(try XCTUnwrap(v["secretKey"]))
            let pub = TestSupport.hex(try XCTUnwrap(v["publicKey"]))
            let msg = TestSupport.hex(try XCTUnwrap(v["message"]))
            let sig = TestSupport.hex(try XCTUnwrap(v["signature"]))
            let key = try Ed25519PrivateKey(seed: seed)
            XCTAssertEqual(key.publicKey.rawBytes, pub, name)
            XCTAssertEqual(key.sign(msg), sig, name)
            let pk = try Ed25519PublicKey(rawBytes: pub)
            XCTAssertTrue(pk.isValidSignature(sig, for: msg), name)
            // Tampering with any of R, S or the message is rejected.
            for i in [0, 31, 32, 63] {
                var bad = sig; bad[i] ^= 0x01
                XCTAssertFalse(pk.isValidSignature(bad, for: msg), "\(name) byte \(i)")
            }
            XCTAssertFalse(pk.isValidSignature(sig, for: msg + [0]), name)
            XCTAssertFalse(pk.isValidSignature(Array(sig.prefix(63)), for: msg), name)
        }
    }

    /// S + ℓ is the same scalar but a non-canonical encoding; RFC 8032 §5.1.7 requires rejection.
    func testNonCanonicalSIsRejected() throws {
        let pk = try Ed25519PublicKey(rawBytes: TestSupport.hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"))
        let sig = TestSupport.hex("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")
        XCTAssertTrue(pk.isValidSignature(sig, for: []))
        let ell = TestSupport.hex("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010") // ℓ little-endian
        var s = Array(sig[32...]), carry = 0
        for i in 0..<32 { let t = Int(s[i]) + Int(ell[i]) + carry; s[i] = UInt8(t & 0xff); carry = t >> 8 }
        XCTAssertFalse(pk.isValidSignature(Array(sig[..<32]) + s, for: []))
    }

    func testRawKeyValidation() {
        XCTAssertThrowsError(try Ed25519PublicKey(rawBytes: [UInt8](repeating: 1, count: 31))) {
            XCTAssertEqual($0 as? KeyError, .wrongLength(what: "Ed25519 public key", expected: 32, got: 31))
        }
        // The identity point (y = 1) has small order.
        XCTAssertThrowsError(try Ed25519PublicKey(rawBytes: [1] + [UInt8](repeating: 0, count: 31))) {
            XCTAssertEqual($0 as? KeyError, .invalidPublicKey)
        }
        XCTAssertThrowsError(try Ed25519PrivateKey(seed: [1, 2, 3])) {
            XCTAssertEqual($0 as? KeyError, .wrongLength(what: "Ed25519 seed", expected: 32, got: 3))
        }
    }

    // MARK: PEM / DER

    /// RFC 8410 §10.3 example private key, and its public key from §10.1.
    func testRFC8410Examples() throws {
        let priv = """
        -----BEGIN PRIVATE KEY-----
        MC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC
        -----END PRIVATE KEY-----
        """
        let key = try Ed25519PrivateKey(pem: priv)
        XCTAssertEqual(key.pem, priv + "\n")
        let pub = """
        -----BEGIN PUBLIC KEY-----
        MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=
        -----END PUBLIC KEY-----

        """
        let pk = try Ed25519PublicKey(pem: pub)
        XCTAssertEqual(pk.pem, pub)
        XCTAssertEqual(key.publicKey, pk)
        // CRLF line endings and surrounding blank lines are accepted.
        XCTAssertEqual(try Ed25519PublicKey(pem: "\n" + pub.replacingOccurrences(of: "\n", with: "\r\n")), pk)
    }

    /// RFC 8410 §10.3 v2 example (with attributes and public key) would fail the match check because
    /// its public key is illustrative; we build a v2 key with the correct public key instead.
    func testPKCS8v2() throws {
        let key = Ed25519PrivateKey.generate()
        let seed = try XCTUnwrap(seedOf(key))
        func v2(_ pub: [UInt8]) -> String {
            let body: [UInt8] = [0x02, 0x01, 0x01, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20] + seed
                + [0x81, 0x21, 0x00] + pub
            return PEM.encode([0x30, UInt8(body.count)] + body, label: "PRIVATE KEY")
        }
        XCTAssertEqual(try Ed25519PrivateKey(pem: v2(key.publicKey.rawBytes)).publicKey, key.publicKey)
        var wrong = key.publicKey.rawBytes; wrong[5] ^= 1
        XCTAssertThrowsError(try Ed25519PrivateKey(pem: v2(wrong))) { XCTAssertEqual($0 as? KeyError, .publicKeyMismatch) }
    }

    private func seedOf(_ key: Ed25519PrivateKey) throws -> [UInt8]? {
        let der = try PEM.decode(key.pem, label: "PRIVATE KEY")
        return Array(der.suffix(32))
    }

    func testPEMErrors() throws {
        let key = Ed25519PrivateKey.generate()
        let good = key.pem
        func err(_ pem: String, private isPrivate: Bool = true) -> KeyError? {
            do {
                if isPrivate { _ = try Ed25519PrivateKey(pem: pem) } else { _ = try Ed25519PublicKey(pem: pem) }
                return nil
            } catch { return error }
        }
        XCTAssertEqual(err(key.publicKey.pem), .wrongPEMLabel(expected: "PRIVATE KEY", found: "PUBLIC KEY"))
        XCTAssertEqual(err(good, private: false), .wrongPEMLabel(expected: "PUBLIC KEY", found: "PRIVATE KEY"))
        XCTAssertEqual(err(""), .malformedPEM("no BEGIN/END block"))
        XCTAssertEqual(err("hello\n" + good), .malformedPEM("first line is not a -----BEGIN ...----- line"))
        XCTAssertEqual(err(good.replacingOccurrences(of: "END PRIVATE", with: "END PUBLIC")),
                       .malformedPEM("BEGIN label \"PRIVATE KEY\" does not match END label \"PUBLIC KEY\""))
        XCTAssertEqual(err(good + good), .malformedPEM("more than one PEM block"))
        let lines = good.split(separator: "\n").map(String.init)
        // Corrupt base64: bad character, missing padding, non-zero pad bits, '=' in the middle.
        XCTAssertEqual(err([lines[0], "MC4CAQAw*QYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC", lines[2]].joined(separator: "\n")),
                       .invalidBase64("character 0x2a at offset 8"))
        XCTAssertEqual(err([lines[0], "MC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVh", lines[2]].joined(separator: "\n")),
                       .invalidBase64("length 63 is not a multiple of 4"))
        XCTAssertEqual(err(["-----BEGIN PUBLIC KEY-----", "MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuF=", "-----END PUBLIC KEY-----"].joined(separator: "\n"), private: false),
                       .invalidBase64("non-zero padding bits"))
        XCTAssertEqual(err(["-----BEGIN PUBLIC KEY-----", "MC==MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=", "-----END PUBLIC KEY-----"].joined(separator: "\n"), private: false),
                       .invalidBase64("padding '=' inside the body at offset 2"))
        XCTAssertEqual(err("-----BEGIN PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nMC4C\n-----END PRIVATE KEY-----\n"),
                       .malformedPEM("PEM headers are not supported (encrypted key?)"))
    }

    func testDERErrors() throws {
        let seed = [UInt8](repeating: 7, count: 32)
        let good = DER.pkcs8(seed: seed)
        func err(_ der: [UInt8], label: String = "PRIVATE KEY") -> KeyError? {
            let pem = PEM.encode(der, label: label)
            do {
                if label == "PRIVATE KEY" { _ = try Ed25519PrivateKey(pem: pem) } else { _ = try Ed25519PublicKey(pem: pem) }
                return nil
            } catch { return error }
        }
        XCTAssertNil(err(good))
        XCTAssertEqual(err(good + [0]), .trailingData("the PrivateKeyInfo SEQUENCE"))
        XCTAssertEqual(err(Array(good.dropLast())), .invalidDER("PrivateKeyInfo: length 46 exceeds the available 45 bytes"))
        var v2 = good; v2[4] = 2
        XCTAssertEqual(err(v2), .unsupportedVersion(2))
        var x25519 = good; x25519[11] = 0x6e
        XCTAssertEqual(err(x25519), .unsupportedAlgorithm(oid: "1.3.101.110"))
        // Short seed: 31 bytes with consistent lengths.
        let short: [UInt8] = [0x30, 0x2d, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x21, 0x04, 0x1f] + seed.dropLast()
        XCTAssertEqual(err(short), .wrongLength(what: "Ed25519 private key seed", expected: 32, got: 31))
        // Non-minimal length encoding (0x81 0x2e instead of 0x2e).
        XCTAssertEqual(err([0x30, 0x81, 0x2e] + good.dropFirst(2)), .invalidDER("PrivateKeyInfo: length not in minimal form"))
        // AlgorithmIdentifier with NULL parameters is not allowed for Ed25519.
        let withNull: [UInt8] = [0x30, 0x30, 0x02, 0x01, 0x00, 0x30, 0x07, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x05, 0x00, 0x04, 0x22, 0x04, 0x20] + seed
        XCTAssertEqual(err(withNull), .trailingData("the Ed25519 algorithm OID (RFC 8410 requires absent parameters)"))
        // Public key errors.
        let pk = Ed25519PrivateKey.generate().publicKey
        let spki = DER.spki(publicKey: pk.rawBytes)
        XCTAssertNil(err(spki, label: "PUBLIC KEY"))
        XCTAssertEqual(err(spki + [0], label: "PUBLIC KEY"), .trailingData("the SubjectPublicKeyInfo SEQUENCE"))
        var unused = spki; unused[11] = 1
        XCTAssertEqual(err(unused, label: "PUBLIC KEY"), .invalidDER("subjectPublicKey BIT STRING must have 0 unused bits"))
        let shortPub: [UInt8] = [0x30, 0x29, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x20, 0x00] + pk.rawBytes.dropLast()
        XCTAssertEqual(err(shortPub, label: "PUBLIC KEY"), .wrongLength(what: "Ed25519 public key", expected: 32, got: 31))
        // Garbage never crashes.
        for n in 0..<64 { _ = err(Array(good.prefix(n))); _ = err(Array(spki.prefix(n)), label: "PUBLIC KEY") }
    }

    // MARK: OpenSSL interop

    func testOpenSSLKeysAndSignatures() throws {
        let dir = try TestSupport.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let keyPath = dir.appendingPathComponent("k.pem").path
        let pubPath = dir.appendingPathComponent("p.pem").path
        let msgPath = dir.appendingPathComponent("msg").path
        let sigPath = dir.appendingPathComponent("sig").path
        let message = Array("riskattest interop message \u{2713}".utf8) + [0, 255]
        try Data(message).write(to: URL(fileURLWithPath: msgPath))

        // 1. openssl-generated key loads here; its public key matches openssl's; our signature verifies in openssl.
        var r = try TestSupport.openssl(["genpkey", "-algorithm", "ed25519", "-out", keyPath])
        XCTAssertEqual(r.0, 0, r.2)
        r = try TestSupport.openssl(["pkey", "-in", keyPath, "-pubout", "-out", pubPath])
        XCTAssertEqual(r.0, 0, r.2)
        let key = try Ed25519PrivateKey(pem: try String(contentsOfFile: keyPath, encoding: .utf8))
        let pub = try Ed25519PublicKey(pem: try String(contentsOfFile: pubPath, encoding: .utf8))
        XCTAssertEqual(key.publicKey, pub)
        XCTAssertEqual(key.pem, try String(contentsOfFile: keyPath, encoding: .utf8))
        let sig = key.sign(message)
        try Data(sig).write(to: URL(fileURLWithPath: sigPath))
        r = try TestSupport.openssl(["pkeyutl", "-verify", "-pubin", "-inkey", pubPath, "-rawin", "-in", msgPath, "-sigfile", sigPath])
        XCTAssertEqual(r.0, 0, "openssl rejected our signature: \(r.2)")
        // A tampered signature is rejected by openssl too.
        var bad = sig; bad[40] ^= 0x10
        try Data(bad).write(to: URL(fileURLWithPath: sigPath))
        r = try TestSupport.openssl(["pkeyutl", "-verify", "-pubin", "-inkey", pubPath, "-rawin", "-in", msgPath, "-sigfile", sigPath])
        XCTAssertNotEqual(r.0, 0)

        // 2. openssl's signature verifies here (and Ed25519 is deterministic: it equals ours).
        r = try TestSupport.openssl(["pkeyutl", "-sign", "-inkey", keyPath, "-rawin", "-in", msgPath, "-out", sigPath])
        XCTAssertEqual(r.0, 0, r.2)
        let osslSig = [UInt8](try Data(contentsOf: URL(fileURLWithPath: sigPath)))
        XCTAssertTrue(pub.isValidSignature(osslSig, for: message))
        XCTAssertEqual(osslSig, sig)
        var tampered = osslSig; tampered[3] ^= 0x80
        XCTAssertFalse(pub.isValidSignature(tampered, for: message))

        // 3. Our PEM keys load in openssl, which derives the same public key.
        let ours = Ed25519PrivateKey.generate()
        try ours.pem.write(toFile: keyPath, atomically: false, encoding: .utf8)
        try ours.publicKey.pem.write(toFile: pubPath, atomically: false, encoding: .utf8)
        r = try TestSupport.openssl(["pkey", "-in", keyPath, "-pubout"])
        XCTAssertEqual(r.0, 0, r.2)
        XCTAssertEqual(String(decoding: r.1, as: UTF8.self), ours.publicKey.pem)
        r = try TestSupport.openssl(["pkey", "-pubin", "-in", pubPath, "-noout"])
        XCTAssertEqual(r.0, 0, r.2)

        // 4. Wrong-algorithm keys from openssl are rejected with the algorithm named.
        r = try TestSupport.openssl(["genpkey", "-algorithm", "x25519", "-out", keyPath])
        XCTAssertEqual(r.0, 0, r.2)
        XCTAssertThrowsError(try Ed25519PrivateKey(pem: try String(contentsOfFile: keyPath, encoding: .utf8))) {
            XCTAssertEqual($0 as? KeyError, .unsupportedAlgorithm(oid: "1.3.101.110"))
        }
        r = try TestSupport.openssl(["genpkey", "-algorithm", "rsa", "-pkeyopt", "rsa_keygen_bits:1024", "-out", keyPath])
        XCTAssertEqual(r.0, 0, r.2)
        XCTAssertThrowsError(try Ed25519PrivateKey(pem: try String(contentsOfFile: keyPath, encoding: .utf8))) {
            XCTAssertEqual($0 as? KeyError, .unsupportedAlgorithm(oid: "1.2.840.113549.1.1.1"))
            XCTAssertTrue(String(describing: $0).contains("RSA"))
        }
    }

    func testDescriptionHidesSecret() throws {
        let key = try Ed25519PrivateKey(seed: TestSupport.hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"))
        XCTAssertFalse(String(describing: key).contains("9d61b1"))
        XCTAssertTrue(String(describing: key).contains("d75a9801"))
    }
}
