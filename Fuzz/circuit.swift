// Fuzz target: the circuit language (`Circuit.compile`, Sources/Circuits), as `prove` and `verify`
// read a circuit file (UTF-8 text; other bytes are rejected before the compiler).
//
// Oracles: a compiled circuit resolves its own default parameters; its hash ignores comments (SPEC
// §12.4: source lines and comments do not change it), so the source with a comment line appended
// compiles to the same hash; and compiling is deterministic.
import Circuits

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCircuit(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzInput(data, size)
    guard let source = String(validating: bytes, as: UTF8.self),
          let circuit = try? Circuit.compile(source: source) else { return 0 }
    check((try? circuit.resolvedParams()) != nil, "a compiled circuit does not resolve its own defaults")
    for c in circuit.constraints where c.forEachScenario { _ = c.instantiated(scenario: "fuzz") }
    let hash = circuit.hash
    check((try? Circuit.compile(source: source))?.hash == hash, "compiling the same source twice gave another hash")
    let commented = source + "\n# fuzz: a comment changes nothing\n"
    let other = try? Circuit.compile(source: commented)
    check(other?.hash == hash, "appending a comment line changed the circuit (or made it invalid)")
    return 0
}
