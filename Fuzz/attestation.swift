// Fuzz target: the attestation decoder (what `verify`, `inspect`, `disclose` and
// `check-disclosure` read first), with a round trip, and the verifier on every decodable input.
//
// Oracles:
// - decode then encode must give back the input byte for byte (the format is canonical: one
//   encoding per value), and decoding that again must give an equal value;
// - the verifier must never accept a file other than the golden one: no mutated or forged file
//   verifies under the golden prover key (the fuzzer cannot sign).
// Uses only the public decode/encode API, so format changes need no change here beyond the type.
import Attestation
import SystemCrypto
import Verifier


let goldenAttestation = repositoryFile("Vectors/attestations/solvency-examples.ratt")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAttestation(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzInput(data, size)
    guard let decoded = try? FuzzedAttestation.decode(bytes) else { return 0 }
    let encoded = decoded.encode()
    check(encoded == bytes, "decode then encode changed the bytes (\(bytes.count) in, \(encoded.count) out)")
    let again = try? FuzzedAttestation.decode(encoded)
    check(again == decoded, "decoding the re-encoded bytes gave a different value")

    // Only decodable inputs reach the verifier (it parses the market and compiles the circuit on
    // every call, which would otherwise dominate the run).
    let request = VerificationRequest(attestationBytes: bytes, marketBytes: goldenMarket, circuitSource: goldenCircuit,
                                      trustedKeys: [goldenKey], now: goldenVerifyAt)
    let report = Verifier.verify(request)
    check(!report.valid || bytes == goldenAttestation, "the verifier accepted an attestation that is not the golden one")

    return 0
}
