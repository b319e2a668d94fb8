// Fuzz target: disclosure files (`Disclosure.parse`, Sources/Attestation/Disclosure) and the
// check behind `check-disclosure`.
//
// Oracles:
// - parse → json → parse gives an equal value, and json is canonical (a fixed point);
// - bound to the paired attestation (Fuzz/corpus/attestation/examples.ratt, whatever hash the
//   input names), a disclosure that checks must open members exactly as the genuine openings do
//   (Merkle path and Pedersen openings bind index, salt and record); its report renders.
import Attestation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDisclosure(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzInput(data, size)
    guard let disclosure = try? Disclosure.parse(bytes) else { return 0 }
    let json = disclosure.json()
    let again = try? Disclosure.parse(json)
    check(again == disclosure, "disclosure: parsing the written JSON gives another value")
    check(again?.json() == json, "disclosure: the written JSON is not a fixed point")

    guard let bound = try? Disclosure(attestationHash: pairedAttestation.hash, leafCount: disclosure.leafCount,
                                      members: disclosure.members),
          let report = try? checkDisclosure(attestation: pairedAttestation, disclosure: bound) else { return 0 }
    for m in bound.members {
        check(m.index < genuineOpenings.members.count
              && genuineOpenings.members[m.index] == MemberOpening(index: m.index, salt: m.salt, record: m.record),
              "a disclosure of member \(m.index) that differs from the genuine opening checks")
    }
    check(!report.description.isEmpty, "empty report")
    return 0
}
