import ArgumentParser
import Foundation
import Bulletproofs
import Merlin
import Ristretto255
import SystemCrypto

/// `riskattest crypto …`: Pedersen commitments and Bulletproofs range proofs on the command line,
/// byte-compatible with the Rust `bulletproofs` crate, for cross-checks against other
/// implementations. Exit codes: 0 success/valid, 1 invalid proof, 2 malformed input.
struct CryptoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crypto",
        abstract: "Pedersen commitments and Bulletproofs range proofs (interop commands).",
        subcommands: [CryptoCommit.self, CryptoProveRange.self, CryptoVerifyRange.self, CryptoBenchRange.self])
}

/// A malformed command-line input: printed to stderr, exit code 2.
struct CryptoCLIMalformedInput: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

enum CryptoCLI {
    static func hex(_ b: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8](); out.reserveCapacity(2 * b.count)
        for x in b { out.append(digits[Int(x >> 4)]); out.append(digits[Int(x & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    static func unhex(_ s: String, what: String) throws(CryptoCLIMalformedInput) -> [UInt8] {
        let u = Array(s.utf8)
        guard u.count % 2 == 0 else { throw CryptoCLIMalformedInput("\(what): odd number of hex digits") }
        func nib(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: return c - 48
            case 97...102: return c - 87
            case 65...70: return c - 55
            default: return nil
            }
        }
        var out = [UInt8](); out.reserveCapacity(u.count / 2)
        var i = 0
        while i < u.count {
            guard let h = nib(u[i]), let l = nib(u[i + 1]) else { throw CryptoCLIMalformedInput("\(what): not hexadecimal") }
            out.append(h << 4 | l); i += 2
        }
        return out
    }

    static func list(_ s: String) -> [String] {
        s.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    }

    static func blinding(_ s: String, what: String) throws(CryptoCLIMalformedInput) -> Scalar {
        let b = try unhex(s, what: what)
        guard b.count == 32 else { throw CryptoCLIMalformedInput("\(what): expected 32 bytes, got \(b.count)") }
        return Scalar(reducing32: b)
    }

    static func bits(_ n: Int) throws(CryptoCLIMalformedInput) -> Int {
        guard [8, 16, 32, 64].contains(n) else { throw CryptoCLIMalformedInput("--bits: \(n) is not one of 8, 16, 32, 64") }
        return n
    }

    /// Runs `body`; a malformed input prints its reason to stderr and exits with 2.
    static func run(_ body: () throws -> Void) throws {
        do { try body() } catch let e as CryptoCLIMalformedInput {
            Terminal.error(e.description)   // escaped: it quotes the command-line value
            throw ExitCode(2)
        }
    }
}

struct CryptoCommit: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "commit",
        abstract: "Print the Pedersen commitment value·B + blinding·B̃ (hex).")
    @Option(help: "The committed value (u64).") var value: String
    @Option(help: "Blinding: 32-byte little-endian scalar in hex, reduced mod ℓ.") var blinding: String

    func run() throws {
        try CryptoCLI.run {
            guard let v = UInt64(value) else { throw CryptoCLIMalformedInput("--value: not a u64: \(value)") }
            let r = try CryptoCLI.blinding(blinding, what: "--blinding")
            print(CryptoCLI.hex(PedersenGens.standard.commit(value: Scalar(v), blinding: r).compressed()))
        }
    }
}

struct CryptoProveRange: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prove-range",
        abstract: "Prove that values lie in [0, 2^bits); prints {\"commitments\": [hex...], \"proof\": hex}.")
    @Option(help: "Bits per value: 8, 16, 32 or 64.") var bits: Int
    @Option(help: "Merlin transcript label (nothing else is appended before the proof).") var label: String
    @Option(help: "Comma-separated u64 values (a power-of-two count).") var values: String
    @Option(help: "Comma-separated 32-byte LE blinding scalars in hex (random when omitted).") var blindings: String?

    func run() throws {
        try CryptoCLI.run {
            let n = try CryptoCLI.bits(bits)
            var vals: [UInt64] = []
            for (i, s) in CryptoCLI.list(values).enumerated() {
                guard let v = UInt64(s) else { throw CryptoCLIMalformedInput("--values[\(i)]: not a u64: \(s)") }
                vals.append(v)
            }
            var blinds: [Scalar] = []
            if let b = blindings {
                for (i, s) in CryptoCLI.list(b).enumerated() { blinds.append(try CryptoCLI.blinding(s, what: "--blindings[\(i)]")) }
                guard blinds.count == vals.count else {
                    throw CryptoCLIMalformedInput("--blindings: \(blinds.count) blindings for \(vals.count) values")
                }
            } else {
                let raw = SecureRandom.bytes(64 * vals.count)
                blinds = (0..<vals.count).map { Scalar(reducing64: Array(raw[(64 * $0)..<(64 * $0 + 64)])) }
            }
            var t = Transcript(label: label)
            let r: (proof: RangeProof, commitments: [[UInt8]])
            do { r = try RangeProof.prove(values: vals, blindings: blinds, bitSize: n, transcript: &t) }
            catch { throw CryptoCLIMalformedInput("\(error)") }
            let cs = r.commitments.map { "\"\(CryptoCLI.hex($0))\"" }.joined(separator: ", ")
            print("{\"commitments\": [\(cs)], \"proof\": \"\(CryptoCLI.hex(r.proof.bytes))\"}")
        }
    }
}

struct CryptoVerifyRange: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "verify-range",
        abstract: "Verify a range proof: exit 0 valid, 1 invalid, 2 malformed input.")
    @Option(help: "Bits per value: 8, 16, 32 or 64.") var bits: Int
    @Option(help: "Merlin transcript label.") var label: String
    @Option(help: "Comma-separated commitment encodings (hex).") var commitments: String
    @Option(help: "The proof (hex).") var proof: String

    func run() throws {
        var valid = false
        try CryptoCLI.run {
            let n = try CryptoCLI.bits(bits)
            var cs: [[UInt8]] = []
            for (i, s) in CryptoCLI.list(commitments).enumerated() {
                let c = try CryptoCLI.unhex(s, what: "--commitments[\(i)]")
                guard c.count == 32 else { throw CryptoCLIMalformedInput("--commitments[\(i)]: expected 32 bytes, got \(c.count)") }
                do { _ = try RistrettoPoint(compressed: c) } catch {
                    throw CryptoCLIMalformedInput("--commitments[\(i)]: not a valid ristretto255 encoding")
                }
                cs.append(c)
            }
            let p: RangeProof
            do { p = try RangeProof(bytes: try CryptoCLI.unhex(proof, what: "--proof")) }
            catch let e as CryptoCLIMalformedInput { throw e }
            catch { throw CryptoCLIMalformedInput("--proof: \(error)") }
            var t = Transcript(label: label)
            do {
                try p.verify(commitments: cs, bitSize: n, transcript: &t)
                valid = true
                print("valid")
            } catch {
                print("invalid: \(error)")
            }
        }
        if !valid { throw ExitCode(1) }
    }
}

/// Developer command: the range-proof benchmarks alone (the full suite is `riskattest bench`).
struct CryptoBenchRange: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench-range",
        abstract: "Benchmark range-proof prove/verify/batch verify (release build).")
    @Option(help: "Repetitions per benchmark.") var reps: Int = 11
    @Flag(help: "Print JSON.") var json = false
    func run() throws {
        let r = rangeProofBenchmarks(reps: reps)
        print(json ? benchJSON(r) : benchTable(r))
    }
}
