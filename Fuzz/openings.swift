// Fuzz target: openings files (`OpeningsFile.parse`, Sources/Attestation/Disclosure), as
// `disclose` reads FILE.openings.
//
// Oracles:
// - parse → json → parse gives an equal value, and json is canonical (a fixed point);
// - bound to the paired attestation (Fuzz/corpus/attestation/examples.ratt, whatever hash the
//   input names), openings that reproduce its book root must be the genuine openings: the salted
//   Merkle commitment binds every salt and record;
// - the genuine openings disclose all their members, and that disclosure checks and round-trips.
import Attestation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOpenings(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzInput(data, size)
    guard let openings = try? OpeningsFile.parse(bytes) else { return 0 }
    let json = openings.json()
    let again = try? OpeningsFile.parse(json)
    check(again == openings, "openings: parsing the written JSON gives another value")
    check(again?.json() == json, "openings: the written JSON is not a fixed point")

    guard let bound = try? OpeningsFile(attestationHash: pairedAttestation.hash, members: openings.members),
          (try? bound.checkAgainst(pairedAttestation)) != nil else { return 0 }
    check(bound.members == genuineOpenings.members, "openings other than the genuine ones reproduce the book root")
    let disclosure: Disclosure
    do { disclosure = try bound.disclosure(of: Array(bound.members.indices), attestation: pairedAttestation) } catch {
        check(false, "the genuine openings cannot disclose their members: \(error)")
        return 0
    }
    check((try? checkDisclosure(attestation: pairedAttestation, disclosure: disclosure)) != nil,
          "a disclosure of the genuine openings does not check")
    check((try? Disclosure.parse(disclosure.json())) == disclosure, "a disclosure does not survive its JSON")
    return 0
}
