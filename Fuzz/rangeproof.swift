// Fuzz target: the inputs of `riskattest crypto verify-range` — bit size, transcript label,
// commitments and a Bulletproofs range proof (Sources/Bulletproofs) — decoded and verified.
//
// Input layout (binary, so that the fuzzer mutates proof bytes directly; the CLI takes the same
// values as hex text):
//   byte 0      bit size: 8, 16, 32 or 64 (low two bits)
//   byte 1      commitment count m, 0...8 (mod 9)
//   byte 2      label length L, then L label bytes (UTF-8, invalid sequences replaced)
//   m × 32      commitment encodings
//   the rest    the proof
// Oracles: a decoded proof re-encodes to the same bytes; verification never accepts anything but
// the two valid interop vectors (the seeds, Fuzz/corpus/rangeproof), since nobody can forge a proof.
import Bulletproofs
import Merlin
import Ristretto255

/// What `verify-range` is given, decoded from the fuzzer's bytes (nil when too short).
struct VerifyRangeInput: Equatable {
    var bits: Int
    var label: String
    var commitments: [[UInt8]]
    var proof: [UInt8]

    init?(_ input: [UInt8]) {
        guard input.count >= 3 else { return nil }
        bits = [8, 16, 32, 64][Int(input[0] & 3)]
        let m = Int(input[1]) % 9
        let labelLength = Int(input[2])
        var offset = 3
        guard input.count >= offset + labelLength + 32 * m else { return nil }
        label = String(decoding: input[offset..<(offset + labelLength)], as: UTF8.self)
        offset += labelLength
        commitments = (0..<m).map { Array(input[(offset + 32 * $0)..<(offset + 32 * $0 + 32)]) }
        proof = Array(input[(offset + 32 * m)...])
    }
}

/// The valid vectors (the seeds): an accepted input must be one of them.
let validVectors: [VerifyRangeInput] = ["valid-n8-m1.bin", "valid-n64-m1.bin"].map {
    guard let v = VerifyRangeInput(repositoryFile("Fuzz/corpus/rangeproof/" + $0)) else {
        setupFailure("Fuzz/corpus/rangeproof/\($0): too short")
    }
    return v
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRangeProof(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let input = VerifyRangeInput(fuzzInput(data, size)) else { return 0 }
    // The CLI rejects an invalid commitment encoding as malformed input before verifying.
    for c in input.commitments where (try? RistrettoPoint(compressed: c)) == nil { return 0 }
    guard let proof = try? RangeProof(bytes: input.proof) else { return 0 }
    check(proof.bytes == input.proof, "a decoded proof does not keep its bytes")
    var transcript = Transcript(label: input.label)
    if (try? proof.verify(commitments: input.commitments, bitSize: input.bits, transcript: &transcript)) != nil {
        check(validVectors.contains(input), "verification accepted a proof that is not one of the valid vectors")
    }
    return 0
}
