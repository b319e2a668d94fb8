import ArgumentParser
import Attestation
import Foundation
import Prover
import SystemCrypto
import Verifier

/// Shared plumbing for the attestation commands: reading inputs with clear errors, parsing
/// durations, times and hex, and exit codes (0 ok / valid, 1 invalid, 2 unusable input).
enum CLI {
    struct Failure: Error, CustomStringConvertible { let description: String }

    static func fail(_ message: String, code: Int32) -> ExitCode {
        Terminal.error(message)   // escaped: messages quote file names and file contents
        return ExitCode(code)
    }

    /// Reads a whole input file, refusing anything over `limit` bytes before reading it (the size
    /// of the file a symbolic link points to; see `fileStatus`). Attestations are read with
    /// `limit: AttestationLimits.maxTotalBytes`, so every oversized one gets this same error and
    /// exit 2 whatever its size, rather than some reaching the decoder.
    static func read(_ path: String, what: String, limit: Int = 64 << 20) throws(Failure) -> [UInt8] {
        let url = URL(fileURLWithPath: path)
        guard let size = fileStatus(path)?.size else {
            throw Failure(description: "\(what) \(path): no such file or not readable")
        }
        if size > limit {
            throw Failure(description: "\(what) \(path): \(size) bytes, over the limit of \(limit)")
        }
        guard let data = try? Data(contentsOf: url) else { throw Failure(description: "\(what) \(path): cannot read") }
        return [UInt8](data)
    }

    static func text(_ path: String, what: String, limit: Int = 1 << 20) throws(Failure) -> String {
        let bytes = try read(path, what: what, limit: limit)
        guard let s = String(validating: bytes, as: UTF8.self) else { throw Failure(description: "\(what) \(path): not UTF-8 text") }
        return s
    }

    /// `--param NAME=DECIMAL` options (each name once) as a dictionary.
    static func parameters(_ options: [String]) throws(Failure) -> [String: String] {
        var out: [String: String] = [:]
        for p in options {
            let parts = p.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, out[parts[0]] == nil else {
                throw Failure(description: "--param: expected NAME=DECIMAL once per name, got \"\(p)\"")
            }
            out[parts[0]] = parts[1]
        }
        return out
    }

    /// "90s", "15m", "24h", "7d" or plain seconds.
    static func duration(_ s: String, option: String = "--valid-for") throws(Failure) -> Int64 {
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        var digits = s, mult: Int64 = 1
        if let last = s.last, let u = units[last] { digits = String(s.dropLast()); mult = u }
        guard let v = Int64(digits), v > 0, v <= 366 * 86_400 / mult else {
            throw Failure(description: "\(option): expected a positive duration such as 3600s, 90m, 24h or 7d (at most 366 days), got \"\(s)\"")
        }
        return v * mult
    }

    /// ISO-8601 UTC ("2026-11-24T08:00:00Z") or unix seconds.
    static func time(_ s: String, option: String) throws(Failure) -> Int64 {
        if let t = RiskEngineTime.parse(s) { return t }
        if let v = Int64(s), v >= 0 { return v }
        throw Failure(description: "\(option): expected YYYY-MM-DDTHH:MM:SSZ or unix seconds, got \"\(s)\"")
    }

    static func nonce(_ s: String?) throws(Failure) -> [UInt8]? {
        guard let s else { return nil }
        guard let b = Hex.decode(s), (1...64).contains(b.count) else {
            throw Failure(description: "--nonce: expected 1 to 64 bytes as hex, got \"\(s)\"")
        }
        return b
    }

    static var now: Int64 { Int64(Date().timeIntervalSince1970) }
}

import RiskEngine
enum RiskEngineTime {
    static func parse(_ s: String) -> Int64? { Timestamp(iso8601: s)?.seconds }
}

struct Prove: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Prove a circuit's statements about a private book and write a signed attestation.",
        discussion: "Also writes FILE.openings (mode 0600): the private openings a later disclosure needs. Keep it secret. "
            + "The pair is replaced crash-safely; existing openings of a different attestation are never overwritten without --force.")

    @Option(name: .long, help: "Private portfolio (JSON).") var portfolio: String
    @Option(name: .long, help: "Public market snapshot (JSON).") var market: String
    @Option(name: .long, help: "Circuit file (see Circuits/).") var circuit: String
    @Option(name: .long, help: "Ed25519 private key (PKCS#8 PEM).") var key: String
    @Option(name: .customLong("param"), help: "Override a circuit parameter: NAME=DECIMAL (repeatable).") var params: [String] = []
    @Option(name: .long, help: "Verifier nonce to bind (hex, 1-64 bytes).") var nonce: String?
    @Option(name: .long, help: "Validity period: 3600s, 90m, 24h, 7d.") var validFor: String = "24h"
    @Option(name: .long, help: "Creation time (ISO-8601 UTC or unix seconds; default now).") var createdAt: String?
    @Option(name: .long, help: "Bits per instrument half: 32 (default) or 64 for very large quantities.") var witnessBits: Int = 32
    @Option(name: .long, help: "Output attestation file.") var out: String
    @Flag(name: .long, help: "Print no progress on stderr.") var quiet = false
    @Flag(name: .long, help: "Overwrite FILE.openings even if it belongs to a different attestation.") var force = false

    func run() throws {
        let pair = AttestationPair(attestationPath: out, force: force)
        do { _ = try pair.preflight() } catch { throw CLI.fail(error.description, code: 2) }
        let request: ProveRequest
        do {
            let overrides = try CLI.parameters(params)
            let keyPEM = try CLI.privateKeyText(key)   // refuses a key readable by group or others
            let signingKey: Ed25519PrivateKey
            do { signingKey = try Ed25519PrivateKey(pem: keyPEM) } catch {
                throw CLI.Failure(description: "key \(key): \(error)")
            }
            request = ProveRequest(
                marketBytes: try CLI.read(market, what: "market"), portfolioBytes: try CLI.read(portfolio, what: "portfolio"),
                circuitSource: try CLI.text(circuit, what: "circuit"), key: signingKey, parameters: overrides,
                nonce: try CLI.nonce(nonce), createdAt: try createdAt.map { s throws(CLI.Failure) in try CLI.time(s, option: "--created-at") } ?? CLI.now,
                validForSeconds: try CLI.duration(validFor), instrumentBits: witnessBits)
        } catch let e as CLI.Failure { throw CLI.fail(e.description, code: 2) }

        let quiet = self.quiet
        let clock = ContinuousClock(), start = clock.now
        let result: ProveResult
        do {
            result = try Prover.prove(request) { msg in
                if !quiet { FileHandle.standardError.write(Data("prove: \(UntrustedText.escape(msg))\n".utf8)) }
            }
        } catch {
            if case .witness(let w) = error, case .constraintViolated = w { throw CLI.fail(error.description, code: 1) }
            throw CLI.fail(error.description, code: 2)
        }
        let bytes = result.attestation.encode()
        do { try pair.commit(attestation: bytes, openings: result.openings) } catch { throw CLI.fail(error.description, code: 2) }
        let ms = Double((clock.now - start).components.attoseconds) / 1e15 + Double((clock.now - start).components.seconds) * 1e3
        Terminal.line("wrote \(out) (\(bytes.count) bytes, \(result.statements.count) statements proven in \(String(format: "%.0f", ms)) ms) and \(out).openings (mode 0600)")
        for w in result.policyWarnings { FileHandle.standardError.write(Data("warning: \(UntrustedText.escape(w))\n".utf8)) }
    }
}

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verify attestations against the public snapshot, the circuit and trusted prover keys.",
        discussion: "Exit 0 when every attestation is valid, 1 when any is invalid, 2 for unusable input.")

    @Option(name: .customLong("attestation"), parsing: .upToNextOption, help: "Attestation file(s).") var attestations: [String]
    @Option(name: .long, help: "Public market snapshot (JSON), byte-identical to the prover's.") var market: String
    @Option(name: .long, help: "Circuit file.") var circuit: String
    @Option(name: .customLong("trust"), parsing: .upToNextOption, help: "Trusted prover public key(s) (SPKI PEM).") var trust: [String]
    @Option(name: .long, help: "Required verifier nonce (hex).") var nonce: String?
    @Option(name: .long, help: "Judge validity at this time (ISO-8601 UTC or unix seconds; default now).") var at: String?
    @Option(name: .customLong("param"), help: "Require a circuit parameter value: NAME=DECIMAL (repeatable; default: the circuit's declared values).") var params: [String] = []
    @Option(name: .long, help: "Largest age of the snapshot when the attestation was made: 3600s, 90m, 1h (default), 7d.") var maxSnapshotAge: String = "1h"
    @Option(name: .long, help: "Largest validity window: 24h (default), 7d, ...") var maxValidity: String = "24h"
    @Flag(name: .long, help: "Refuse attestations without a nonce (implied by --nonce).") var requireNonce = false
    @Flag(name: .long, help: "Print a JSON report.") var json = false

    func run() throws {
        var requests: [VerificationRequest] = []
        do {
            guard !attestations.isEmpty else { throw CLI.Failure(description: "--attestation: at least one file is required") }
            guard !trust.isEmpty else { throw CLI.Failure(description: "--trust: at least one public key is required") }
            let marketBytes = try CLI.read(market, what: "market")
            let source = try CLI.text(circuit, what: "circuit")
            var keys: [Ed25519PublicKey] = []
            for t in trust {
                do { keys.append(try Ed25519PublicKey(pem: try CLI.text(t, what: "trusted key"))) } catch let e as CLI.Failure { throw e }
                catch { throw CLI.Failure(description: "trusted key \(t): \(error)") }
            }
            let expected = try CLI.nonce(nonce)
            let now = try at.map { s throws(CLI.Failure) in try CLI.time(s, option: "--at") } ?? CLI.now
            let policy = VerificationPolicy(parameters: try CLI.parameters(params),
                                            maxSnapshotAgeSeconds: try CLI.duration(maxSnapshotAge, option: "--max-snapshot-age"),
                                            maxValiditySeconds: try CLI.duration(maxValidity, option: "--max-validity"),
                                            requireNonce: requireNonce)
            for path in attestations {
                requests.append(VerificationRequest(attestationBytes: try CLI.read(path, what: "attestation", limit: AttestationLimits.maxTotalBytes),
                                                    marketBytes: marketBytes, circuitSource: source, trustedKeys: keys,
                                                    expectedNonce: expected, now: now, policy: policy))
            }
        } catch let e as CLI.Failure { throw CLI.fail(e.description, code: 2) }

        let reports = Verifier.verifyBatch(requests)
        if json {
            // riskattest.verify/1 (SPEC §7.4): snake_case keys like every --json output.
            try JSONOutput.print(VerifyJSON(results: zip(attestations, reports).map { VerifyJSON.Row(file: $0, report: VerifyJSON.Report($1)) }))
        } else {
            for (path, r) in zip(attestations, reports) { print(Self.render(path: path, r)) }
        }
        if reports.contains(where: { $0.unusableInput }) { throw ExitCode(2) }
        if reports.contains(where: { !$0.valid }) { throw ExitCode(1) }
    }

    /// Every string of the report may come from the attestation, circuit or snapshot, so each is
    /// escaped (`e`) before it joins the multi-line text.
    static func render(path: String, _ r: VerificationReport) -> String {
        let e = UntrustedText.escape
        guard r.valid else { return "\(e(path)): INVALID — \(e(r.reason ?? "unknown reason"))" }
        var s = "\(e(path)): VALID — circuit \(e(r.circuit ?? "?")) on snapshot \(e(r.snapshotID ?? "?"))\n"
        s += "  prover key \(e(r.proverKey ?? "?")), valid \(e(r.createdAt ?? "?")) to \(e(r.expiresAt ?? "?"))"
        if let n = r.nonce { s += ", nonce \(e(n))" }
        s += "\n  parameters: " + (r.parameters.isEmpty ? "none" : r.parameters.sorted { $0.key < $1.key }.map { "\(e($0.key)) = \(e($0.value))" }.joined(separator: ", "))
        s += "\n  \(r.statements.count) statements hold:\n"
        for st in r.statements.prefix(12) { s += "    • \(e(st))\n" }
        if r.statements.count > 12 { s += "    … and \(r.statements.count - 12) more\n" }
        s += "  \(r.attestationBytes) bytes (proofs: " + r.proofBytes.sorted { $0.key < $1.key }.map { "\(e($0.key)) \($0.value)" }.joined(separator: ", ") + ")"
        s += String(format: ", verified in %.1f ms", r.verifyMilliseconds)
        return s
    }
}

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Summarise an attestation; optionally write the exact signed message.")

    @Argument(help: "Attestation file.") var file: String
    @Option(name: .long, help: "Write the exact signed bytes here (for `openssl pkeyutl -verify -rawin`).") var signedBytes: String?
    @Flag(name: .long, help: "Print the summary as JSON (riskattest.inspect/1, SPEC.md §7.4).") var json = false

    func run() throws {
        let a: AttestationV1
        do {
            let bytes = try CLI.read(file, what: "attestation", limit: AttestationLimits.maxTotalBytes)
            do { a = try AttestationV1.decode(bytes) } catch { throw CLI.Failure(description: "\(file): \(error)") }
        } catch let e as CLI.Failure { throw CLI.fail(e.description, code: 2) }
        if json {
            try JSONOutput.print(InspectJSON(file: file, a))
            if let out = signedBytes {
                do { try AtomicFile.write(a.signedMessage, to: out, mode: 0o644) } catch { throw CLI.fail("\(error)", code: 2) }
            }
            return
        }
        Terminal.line("attestation \(file)")
        Terminal.line("  sha256         \(Hex.encode(a.hash))")
        Terminal.line("  circuit        \(a.circuitName) v\(a.circuitVersion) (hash \(Hex.encode(a.circuitHash)))")
        Terminal.line("  parameters     " + (a.parameters.isEmpty ? "none" : a.parameters.map { "\($0.name) = \($0.value)" }.joined(separator: ", ")))
        Terminal.line("  snapshot       \(a.snapshotID) (sha256 \(Hex.encode(a.snapshotHash)))")
        Terminal.line("  prover key     \(Hex.encode(a.proverKey))")
        Terminal.line("  valid          \(Timestamps.format(a.createdAt)) to \(Timestamps.format(a.expiresAt))")
        Terminal.line("  nonce          \(a.nonce.map(Hex.encode) ?? "none")")
        Terminal.line("  members        \(a.instrumentCommitments.count) instruments, \(a.collateralCommitments.count) collateral, \(a.auxiliaryMembers.count) auxiliary (\(a.auxiliaryMembers.map(\.label).joined(separator: ", ")))")
        Terminal.line("  scales         instruments 10^-\(a.scales.instrumentUnitDigits), balances 10^-\(a.scales.balanceUnitDigits), slacks 10^-\(a.scales.slackUnitDigits); instrument halves \(a.witnessBits) bits")
        Terminal.line("  book root      \(Hex.encode(a.bookRoot))")
        Terminal.line("  constraints    \(a.constraintCount)")
        for p in a.rangeProofs { Terminal.line("  proof          \(p.kind): \(p.valueCount) × \(p.bitSize) bits, \(p.bytes.count) bytes") }
        Terminal.line("  signature      \(Hex.encode(a.signature))")
        if let out = signedBytes {
            do { try AtomicFile.write(a.signedMessage, to: out, mode: 0o644) } catch { throw CLI.fail("\(error)", code: 2) }
            Terminal.line("wrote the \(a.signedMessage.count)-byte signed message to \(out)")
        }
    }
}

struct Disclose: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Open chosen positions of an attestation to an auditor.")

    @Option(name: .long, help: "Attestation file.") var attestation: String
    @Option(name: .long, help: "The openings file written by prove (FILE.openings).") var openings: String
    @Option(name: .customLong("instrument"), parsing: .upToNextOption, help: "Instrument or collateral id(s) to disclose.") var ids: [String]
    @Option(name: .long, help: "Output disclosure file (JSON).") var out: String

    func run() throws {
        do {
            let a: AttestationV1
            do { a = try AttestationV1.decode(try CLI.read(attestation, what: "attestation", limit: AttestationLimits.maxTotalBytes)) }
            catch let e as CLI.Failure { throw e } catch { throw CLI.Failure(description: "\(attestation): \(error)") }
            let parsed: OpeningsFile
            do { parsed = try OpeningsFile.parse(try CLI.read(openings, what: "openings")) }
            catch let e as CLI.Failure { throw e } catch { throw CLI.Failure(description: "\(openings): \(error)") }
            let file = try PairCheck.openings(parsed, path: openings, for: a, attestationPath: attestation)
            do {
                guard !ids.isEmpty else { throw CLI.Failure(description: "--instrument: name at least one id") }
                var indices: [Int] = []
                for id in ids { indices += try file.memberIndices(forID: id) }
                let d = try file.disclosure(of: indices, attestation: a)
                try AtomicFile.write(d.json(), to: out, mode: 0o644)
            } catch let e as CLI.Failure { throw e } catch { throw CLI.Failure(description: "\(error)") }
            Terminal.line("wrote \(out): \(ids.count) member(s) disclosed (\(ids.joined(separator: ", ")))")
        } catch let e as CLI.Failure { throw CLI.fail(e.description, code: 2) }
    }
}

struct CheckDisclosure: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-disclosure",
        abstract: "Check disclosed positions against an attestation's book root and commitments.",
        discussion: "Exit 0 when the disclosure checks out, 1 when it does not, 2 for unusable input.")

    @Option(name: .long, help: "Attestation file.") var attestation: String
    @Option(name: .long, help: "Disclosure file.") var disclosure: String
    @Option(name: .long, help: "Market snapshot, to check disclosed ids against the universe (optional).") var market: String?
    @Flag(name: .long, help: "Print the result as JSON (riskattest.check-disclosure/1, SPEC.md §7.4).") var json = false

    func run() throws {
        let a: AttestationV1, d: Disclosure
        var ids: [String]? = nil
        do {
            do { a = try AttestationV1.decode(try CLI.read(attestation, what: "attestation", limit: AttestationLimits.maxTotalBytes)) }
            catch let e as CLI.Failure { throw e } catch { throw CLI.Failure(description: "\(attestation): \(error)") }
            do { d = try Disclosure.parse(try CLI.read(disclosure, what: "disclosure")) }
            catch let e as CLI.Failure { throw e } catch { throw CLI.Failure(description: "\(disclosure): \(error)") }
            if let m = market {
                do { ids = try MarketSnapshot.parse(try CLI.read(m, what: "market")).attestationMemberIDs }
                catch let e as CLI.Failure { throw e } catch { throw CLI.Failure(description: "market \(m): \(error)") }
            }
        } catch let e as CLI.Failure { throw CLI.fail(e.description, code: 2) }
        do {
            let report = try checkDisclosure(attestation: a, disclosure: d, memberIDs: ids)
            if json { try JSONOutput.print(CheckDisclosureJSON(report)) } else { print(report.description, terminator: "") }
        } catch let e as DisclosureError {
            if json { try JSONOutput.print(CheckDisclosureJSON(rejected: "\(e)")) }
            throw CLI.fail("disclosure rejected: \(e)", code: 1)
        }
    }
}
