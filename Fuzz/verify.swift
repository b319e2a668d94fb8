// Fuzz target: the verifier behind `riskattest verify`, past the signature. Every decodable input
// is re-signed with the golden prover's key (its seed is published in
// Vectors/attestations/manifest.json: test data only), so the mutated body meets every later check:
// circuit and snapshot binding, validity period, nonce, statements and range proofs.
//
// Oracles: decode → encode round trip (as in the attestation target); the re-signed attestation
// decodes back to the same body; the report is consistent (valid exactly when it gives no reason).
// A signer may legitimately re-sign other header values, so acceptance
// alone is not a finding here. Slower than the attestation target: a proof check per input.
import Attestation
import SystemCrypto
import Verifier


let goldenSigner: Ed25519PrivateKey = {
    guard let key = try? Ed25519PrivateKey(seed: [UInt8](repeating: 0x42, count: 32)), key.publicKey == goldenKey else {
        setupFailure("the manifest's prover seed does not match Vectors/attestations/prover.pub")
    }
    return key
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzVerify(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzInput(data, size)
    guard let decoded = try? FuzzedAttestation.decode(bytes) else { return 0 }
    check(decoded.encode() == bytes, "decode then encode changed the bytes")
    guard let resigned = try? FuzzedAttestation(body: decoded.body, signature: goldenSigner.sign(decoded.signedMessage))
    else { return 0 }
    let resignedBytes = resigned.encode()
    check((try? FuzzedAttestation.decode(resignedBytes))?.body == decoded.body, "re-signing changed the body")
    let request = VerificationRequest(attestationBytes: resignedBytes, marketBytes: goldenMarket,
                                      circuitSource: goldenCircuit, trustedKeys: [goldenKey], now: goldenVerifyAt)
    let report = Verifier.verify(request)
    check(report.valid == (report.reason == nil), "a report is valid and gives a reason, or neither")
    return 0
}
