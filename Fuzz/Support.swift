// Shared by every fuzz target (compiled into each binary by Fuzz/run.sh).
//
// A finding is a trap: libFuzzer reports it as a "deadly signal" and saves the input. Set
// SWIFT_BACKTRACE=enable=no (run.sh does) so the Swift runtime does not hang on the backtracer.

import Attestation
import SystemCrypto
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The fuzzer's input as a byte array (libFuzzer may pass a null pointer for the empty input).
func fuzzInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
    guard let data, size > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: size))
}

/// Writes to standard error (fd 2; the C `stderr` global is not concurrency-safe in Swift 6).
func printError(_ text: String) {
    var text = text
    text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

/// The oracle: when `condition` fails, print why and trap so that libFuzzer records the input.
func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition {
        printError("fuzz oracle failed: \(message())\n")
        fatalError(message())
    }
}

/// A file of the repository (fixed public data the targets need besides the fuzzed input), read
/// relative to $RISKATTEST_ROOT, or the current directory when unset. Missing data is a setup
/// error, not a finding: it exits 3 at the first input.
func repositoryFile(_ relativePath: String) -> [UInt8] {
    var root = "."
    if let r = getenv("RISKATTEST_ROOT") { root = String(cString: r) }
    let path = root + "/" + relativePath
    guard let f = fopen(path, "rb") else {
        printError("fuzz setup: cannot open \(path) (run from the repository root or set RISKATTEST_ROOT)\n")
        exit(3)
    }
    defer { fclose(f) }
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&buffer, 1, buffer.count, f)
        if n <= 0 { break }
        out += buffer[0..<n]
    }
    return out
}

func repositoryText(_ relativePath: String) -> String {
    String(decoding: repositoryFile(relativePath), as: UTF8.self)
}

/// A setup failure (fixed data that does not load): not a finding; exits 3 with the reason.
func setupFailure(_ message: String) -> Never {
    printError("fuzz setup: \(message)\n")
    exit(3)
}

// MARK: Reference data shared by several targets (lazy: a target pays only for what it uses)

/// The attestation type under test (one place to change after a format change).
typealias FuzzedAttestation = AttestationV1

/// The golden vector's public inputs (Vectors/attestations/manifest.json).
let goldenMarket = repositoryFile("Vectors/attestations/inputs/market.json")
let goldenCircuit = repositoryText("Vectors/attestations/inputs/solvency.circuit")
let goldenKey: Ed25519PublicKey = {
    do { return try Ed25519PublicKey(pem: repositoryText("Vectors/attestations/prover.pub")) } catch {
        setupFailure("Vectors/attestations/prover.pub: \(error)")
    }
}()
/// verify_at of the golden vector (Vectors/attestations/manifest.json).
let goldenVerifyAt: Int64 = 1795510800

// The attestation and openings pair the openings and disclosure targets check against.
// After a format change, regenerate the pair with Fuzz/make-seeds.sh.
let pairedAttestation: AttestationV1 = {
    do { return try AttestationV1.decode(repositoryFile("Fuzz/corpus/attestation/examples.ratt")) } catch {
        setupFailure("Fuzz/corpus/attestation/examples.ratt: \(error) (regenerate with Fuzz/make-seeds.sh)")
    }
}()
let genuineOpenings: OpeningsFile = {
    do {
        let o = try OpeningsFile.parse(repositoryFile("Fuzz/corpus/openings/examples.openings.json"))
        try o.checkAgainst(pairedAttestation)
        return o
    } catch {
        setupFailure("Fuzz/corpus/openings/examples.openings.json: \(error) (regenerate with Fuzz/make-seeds.sh)")
    }
}()
