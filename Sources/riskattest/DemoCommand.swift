import ArgumentParser
import Attestation
import Foundation
import Prover
import RiskEngine
import SystemCrypto
import Verifier

/// `riskattest demo`: the whole story on the bundled example data — metrics, proving every
/// shipped circuit, verifying them (singly and in one batch), a one-byte tamper being rejected,
/// and a selective disclosure checked by an auditor.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the end-to-end demonstration on the bundled example data (Examples/, Circuits/).")

    @Option(name: .long, help: "Folder holding market.json and portfolio.json.")
    var examples: String = "Examples"
    @Option(name: .long, help: "Folder holding the *.circuit files.")
    var circuits: String = "Circuits"
    @Option(name: .long, help: "Output folder for keys, attestations, openings and a disclosure.")
    var out: String = "out/demo"

    func run() throws {
        let marketPath = (examples as NSString).appendingPathComponent("market.json")
        let portfolioPath = (examples as NSString).appendingPathComponent("portfolio.json")
        do {
            try run(marketPath: marketPath, portfolioPath: portfolioPath)
        } catch let e as CLI.Failure {
            throw CLI.fail(e.description, code: 2)
        }
    }

    private func run(marketPath: String, portfolioPath: String) throws {
        // 1. Metrics.
        print("== 1. Risk metrics of the private book (\(e(portfolioPath)) against \(e(marketPath)))\n")
        let report: RiskReport
        do {
            report = try Metrics.compute(portfolioPath: portfolioPath, marketPath: marketPath, targetDelta: [],
                                         targetMarginRatio: 0.5)
        } catch { throw CLI.Failure(description: error.description) }
        print(MetricsText.render(report), terminator: "")

        // 2. A fresh prover key.
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let key = Ed25519PrivateKey.generate()
        let keyPrefix = (out as NSString).appendingPathComponent("firm")
        try AtomicFile.write(Array(key.pem.utf8), to: keyPrefix + ".key", mode: 0o600)
        try AtomicFile.write(Array(key.publicKey.pem.utf8), to: keyPrefix + ".pub", mode: 0o644)
        print("\n== 2. Prover key: \(e(keyPrefix)).key / .pub (Ed25519, PKCS#8 / SPKI PEM)")

        // 3. Prove every shipped circuit at the snapshot time.
        let marketBytes = try CLI.read(marketPath, what: "market")
        let portfolioBytes = try CLI.read(portfolioPath, what: "portfolio")
        let snapshot: MarketSnapshot
        do { snapshot = try MarketSnapshot.parse(marketBytes) } catch { throw CLI.Failure(description: "market: \(error)") }
        let createdAt = snapshot.asOf.seconds
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: circuits)) ?? [])
            .filter { $0.hasSuffix(".circuit") }.sorted()
        guard !files.isEmpty else { throw CLI.Failure(description: "no *.circuit files in \(circuits)") }
        print("\n== 3. Proving \(files.count) circuits over a universe of \(snapshot.instruments.count) instruments, \(snapshot.collateral.count) collateral assets")
        print(pad("circuit", 20) + pad("statements", 12) + pad("bytes", 9) + pad("prove ms", 10) + "file")
        var requests: [VerificationRequest] = []
        var produced: [(name: String, path: String, bytes: [UInt8], source: String)] = []
        var statementsByName: [String: [String]] = [:]
        for f in files {
            let source = try CLI.text((circuits as NSString).appendingPathComponent(f), what: "circuit")
            let name = e(String(f.dropLast(".circuit".count)))   // a file name: may hold anything
            let req = ProveRequest(marketBytes: marketBytes, portfolioBytes: portfolioBytes, circuitSource: source,
                                   key: key, createdAt: createdAt, validForSeconds: 86_400)
            let t0 = ContinuousClock.now
            let result: ProveResult
            do { result = try Prover.prove(req) } catch {
                print(pad(name, 20) + "NOT PROVABLE: \(error)")
                continue
            }
            let ms = millis(ContinuousClock.now - t0)
            let path = (out as NSString).appendingPathComponent(name + ".att")
            let bytes = result.attestation.encode()
            // The demo owns its output folder: a rerun replaces its pairs whatever they hold.
            try AttestationPair(attestationPath: path, force: true).commit(attestation: bytes, openings: result.openings)
            print(pad(name, 20) + pad("\(result.statements.count)", 12) + pad("\(bytes.count)", 9)
                  + pad(String(format: "%.0f", ms), 10) + e(path))
            produced.append((name, path, bytes, source))
            statementsByName[name] = result.statements
            requests.append(VerificationRequest(attestationBytes: bytes, marketBytes: marketBytes, circuitSource: source,
                                                trustedKeys: [key.publicKey], now: createdAt + 3600))
        }

        // 3b. In words: what each proven attestation shows a verifier.
        print("\n   What each attestation proves (to anyone with the snapshot, the circuit and the public key):")
        for p in produced {
            print("  \(pad(p.name, 20)) " + Self.meaning(source: p.source, statements: statementsByName[p.name] ?? []))
        }

        // 4. Verify, one by one and in one batch.
        print("\n== 4. Verifying with public data only (snapshot, circuit, trusted key), at as-of + 1 h")
        for (p, r) in zip(produced, requests) {
            let rep = Verifier.verify(r)
            print("  \(pad(p.name, 20)) \(rep.valid ? "VALID" : "INVALID: \(rep.reason ?? "")")  "
                  + String(format: "%.1f ms", rep.verifyMilliseconds))
        }
        let t1 = ContinuousClock.now
        let batch = Verifier.verifyBatch(requests)
        let batchMs = millis(ContinuousClock.now - t1)
        print(String(format: "  batch of %d: %@ in %.1f ms (%.1f ms per attestation, one multi-scalar multiplication)",
                     batch.count, batch.allSatisfy(\.valid) ? "all VALID" : "NOT all valid", batchMs,
                     batchMs / Double(max(1, batch.count))))

        // 5. Tampering. A changed committed value, re-signed with the prover's own key: the
        // signature is valid, so only the proofs can catch it — and they do, because the
        // commitments are bound into the proof transcript (SPEC §14.4).
        if let first = requests.first, let p = produced.first {
            print("\n== 5. Tampering with \(p.name).att")
            do {
                let a = try AttestationV1.decode(p.bytes)
                let b = a.body
                var coll = b.collateralCommitments
                let names = snapshot.collateral.map(\.id)
                if coll.count >= 2 {
                    coll.swapAt(0, 1)
                    let body = try AttestationBody(
                        circuitName: b.circuitName, circuitVersion: b.circuitVersion, circuitHash: b.circuitHash,
                        parameters: b.parameters, snapshotID: b.snapshotID, snapshotHash: b.snapshotHash,
                        proverKey: b.proverKey, createdAt: b.createdAt, expiresAt: b.expiresAt, nonce: b.nonce,
                        witnessBits: b.witnessBits, scales: b.scales, instrumentCommitments: b.instrumentCommitments,
                        collateralCommitments: coll, auxiliaryMembers: b.auxiliaryMembers, bookRoot: b.bookRoot,
                        constraintCount: b.constraintCount, slackHighCommitments: b.slackHighCommitments, rangeProofs: b.rangeProofs)
                    let forged = try AttestationV1(body: body, signature: key.sign(body.signedMessage))
                    var req = first
                    req.attestationBytes = forged.encode()
                    let sigOK = key.publicKey.isValidSignature(forged.signature, for: forged.signedMessage)
                    let rep = Verifier.verify(req)
                    print("  swapped the committed balances of collateral \(e(names.first ?? "#0")) and \(e(names.dropFirst().first ?? "#1")) "
                          + "(claiming one's balance is the other's) and re-signed with the prover key")
                    print("  signature \(sigOK ? "valid" : "INVALID"); verifier: \(rep.valid ? "ACCEPTED (this is a bug)" : "rejected — \(rep.reason ?? "")")")
                }
            } catch { throw CLI.Failure(description: "tamper: \(error)") }
            var bytes = first.attestationBytes
            let at = bytes.count / 2
            bytes[at] ^= 0x01
            var flipped = first
            flipped.attestationBytes = bytes
            let rep = Verifier.verify(flipped)
            print("  and one flipped bit (byte \(at)) without re-signing: \(rep.valid ? "ACCEPTED (this is a bug)" : "rejected — \(rep.reason ?? "")")")
        }

        // 6. Disclosure of one position to an auditor.
        if let first = produced.first, let inst = snapshot.instruments.first {
            print("\n== 6. Disclosing \(e(inst.id)) from \(first.name).att to an auditor")
            do {
                let a = try AttestationV1.decode(first.bytes)
                let openings = try OpeningsFile.parse(try CLI.read(first.path + ".openings", what: "openings")).openings(for: a)
                let d = try openings.disclosure(of: [try openings.memberIndex(forID: inst.id)], attestation: a)
                let dPath = (out as NSString).appendingPathComponent("disclosure.json")
                try AtomicFile.write(d.json(), to: dPath, mode: 0o644)
                let rep = try checkDisclosure(attestation: a, disclosure: Disclosure.parse(d.json()),
                                              memberIDs: snapshot.attestationMemberIDs)
                print("  wrote \(e(dPath))")
                print(rep.description, terminator: "")
            } catch let e as CLI.Failure { throw e } catch { throw CLI.Failure(description: "disclosure: \(error)") }
        }
        let failed = produced.count < files.count || !batch.allSatisfy(\.valid)
        if failed { throw ExitCode(1) }
    }

    /// One line in words of what a circuit's attestation proves: the circuit's own summary
    /// (its first comment line), the main statement with the parameters the prover used, and how
    /// many further constraints (the expanded margin tiers and bounds) came with it.
    static func meaning(source: String, statements: [String]) -> String {
        var summary = ""
        for line in source.split(separator: "\n") where line.hasPrefix("#") {
            let text = line.dropFirst().trimmingCharacters(in: .whitespaces)
            if let dash = text.range(of: " — ") { summary = String(text[dash.upperBound...]) } else { summary = text }
            break
        }
        let main = statements.first.map { UntrustedText.escape($0) } ?? "nothing"
        let rest = max(0, statements.count - 1)
        var out = UntrustedText.escape(summary.hasSuffix(".") ? String(summary.dropLast()) : summary)
        out += ": proved \(main)"
        if rest > 0 { out += ", and \(rest) further constraint\(rest == 1 ? "" : "s") that bound the committed figures it uses" }
        return out
    }

    /// Paths, file names and ids come from the examples and circuits folders, which need not be
    /// ours: escaped like every other input text (`UntrustedText`). Error and verifier messages
    /// are escaped by their own `description`.
    private func e(_ s: String) -> String { UntrustedText.escape(s) }
    private func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
    private func millis(_ d: Duration) -> Double { Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) / 1e15 }
}
