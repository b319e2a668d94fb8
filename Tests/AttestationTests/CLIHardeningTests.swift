import Foundation
import XCTest
import SystemCrypto
@testable import Attestation

/// Issue 12, run against the built `riskattest` binary (the executable target cannot be imported;
/// `swift build --build-tests` puts it next to the test runner): hostile bytes never reach the
/// terminal raw, the README's exit-code table holds command by command, private keys readable by
/// group or others are refused, and a 65-byte parameter value is rejected for its length.
final class CLIHardeningTests: XCTestCase {
    // MARK: Running the binary

    struct Run {
        var status: Int32
        var stdout: [UInt8]
        var stderr: [UInt8]
        var out: String { String(decoding: stdout, as: UTF8.self) }
        var err: String { String(decoding: stderr, as: UTF8.self) }
        var all: String { out + err }
    }

    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    func binary() throws -> URL { try EndToEnd.binary() }

    func run(_ args: [String]) throws -> Run {
        let p = Process()
        p.executableURL = try binary()
        p.arguments = args
        p.currentDirectoryURL = Self.root
        let r = try EndToEnd.runToEnd(p)
        return Run(status: r.status, stdout: r.stdout, stderr: r.stderr)
    }

    /// Runs and checks the exit status, reporting both streams when it differs.
    @discardableResult
    func expect(_ status: Int32, _ args: [String], file: StaticString = #filePath, line: UInt = #line) throws -> Run {
        let r = try run(args)
        XCTAssertEqual(r.status, status, "riskattest \(args.joined(separator: " "))\nstdout: \(r.out)\nstderr: \(r.err)",
                       file: file, line: line)
        return r
    }

    /// No byte of a terminal control sequence or bidi control on either stream.
    func assertNoRawControls(_ r: Run, allowNewlines: Bool = true, file: StaticString = #filePath, line: UInt = #line) {
        for (name, bytes) in [("stdout", r.stdout), ("stderr", r.stderr)] {
            XCTAssertFalse(bytes.contains(0x1B), "raw ESC on \(name): \(String(decoding: bytes, as: UTF8.self).debugDescription)", file: file, line: line)
            XCTAssertFalse(bytes.contains(0x07), "raw BEL on \(name)", file: file, line: line)
            XCTAssertFalse(bytes.contains(0x0D), "raw CR on \(name)", file: file, line: line)
            let text = String(decoding: bytes, as: UTF8.self)
            for u in text.unicodeScalars where !(allowNewlines && u == "\n") {
                XCTAssertFalse((0x80...0x9F).contains(u.value) || [0x202E, 0x202D, 0x2066, 0x2067, 0x2068, 0x2069, 0x200F].contains(u.value),
                               "raw U+\(String(u.value, radix: 16)) on \(name)", file: file, line: line)
            }
        }
    }

    var dir: URL!

    override func setUpWithError() throws {
        _ = try binary()
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("riskattest-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let dir { try? FileManager.default.removeItem(at: dir) }
    }

    func tmp(_ name: String) -> String { dir.appendingPathComponent(name).path }

    func write(_ bytes: [UInt8], _ name: String, mode: Int = 0o644) throws -> String {
        let p = tmp(name)
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: p)
        return p
    }

    static let market = path("Examples/market.json")
    static let portfolio = path("Examples/portfolio.json")
    static let solvency = path("Circuits/solvency.circuit")
    /// One hour after the example snapshot: inside a 24 h validity window from its as-of time.
    static let at = "2026-11-24T09:00:00Z"
    static let createdAt = "2026-11-24T08:00:00Z"

    /// A key pair made by `keygen` (mode 0600) in the test directory.
    func keys() throws -> (key: String, pub: String) {
        try expect(0, ["keygen", "--out", tmp("firm")])
        return (tmp("firm.key"), tmp("firm.pub"))
    }

    func prove(key: String, out: String, extra: [String] = []) throws -> Run {
        try run(["prove", "--portfolio", Self.portfolio, "--market", Self.market, "--circuit", Self.solvency,
                 "--key", key, "--created-at", Self.createdAt, "--out", out, "--quiet"] + extra)
    }

    // MARK: 1. Hostile bytes

    /// `ESC ] 0 ; title BEL ESC [ 2 J ESC [ 31 m VALID`: retitles the terminal, clears the screen
    /// and prints a red "VALID" when printed raw.
    static let hostile = "\u{1B}]0;title\u{07}\u{1B}[2J\u{1B}[31mVALID"
    static let hostileEscaped = "\\u{1B}]0;title\\u{07}\\u{1B}[2J\\u{1B}[31mVALID"

    /// A well-formed attestation encoding whose first parameter value is replaced (framing kept
    /// consistent) by the hostile text: no key is needed to make one.
    func hostileAttestation() throws -> [UInt8] {
        let enc = try FormatFixtures.attestation().encode()
        let original: [UInt8] = [3, 0, 0, 0] + Array("1.2".utf8)   // u32 LE length ‖ "1.2" (parameter buffer)
        let hostile = Array(Self.hostile.utf8)
        let replacement: [UInt8] = [UInt8(hostile.count), 0, 0, 0] + hostile
        guard let at = (0...(enc.count - original.count)).first(where: { Array(enc[$0..<$0 + original.count]) == original }) else {
            XCTFail("the fixture no longer encodes parameter value 1.2 as u32 length + bytes")
            return enc
        }
        return Array(enc[..<at]) + replacement + Array(enc[(at + original.count)...])
    }

    func testHostileAttestationNeverReachesTheTerminalRaw() throws {
        let (_, pub) = try keys()
        let file = try write(try hostileAttestation(), "hostile.att")

        // The decoder itself quotes the value escaped.
        XCTAssertThrowsError(try AttestationV1.decode(try hostileAttestation())) {
            let d = String(describing: $0)
            XCTAssertTrue(d.contains(Self.hostileEscaped), d)
            XCTAssertFalse(d.unicodeScalars.contains("\u{1B}"), d)
        }

        let verify = try expect(1, ["verify", "--attestation", file, "--market", Self.market, "--circuit", Self.solvency,
                                    "--trust", pub, "--at", Self.at])
        assertNoRawControls(verify)
        XCTAssertTrue(verify.all.contains(Self.hostileEscaped), verify.all)   // echoed, but escaped
        XCTAssertTrue(verify.out.contains("INVALID"), verify.out)

        let json = try expect(1, ["verify", "--json", "--attestation", file, "--market", Self.market,
                                  "--circuit", Self.solvency, "--trust", pub, "--at", Self.at])
        assertNoRawControls(json)
        // riskattest.verify/1: {"schema", "results": [{"file", "report"}]} (SPEC §7.4).
        let doc = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.stdout)) as? [String: Any])
        XCTAssertEqual(doc["schema"] as? String, "riskattest.verify/1")
        let rows = try XCTUnwrap(doc["results"] as? [[String: Any]])
        let reason = try XCTUnwrap((rows.first?["report"] as? [String: Any])?["reason"] as? String)
        XCTAssertTrue(reason.contains(Self.hostileEscaped), reason)

        let inspect = try expect(2, ["inspect", file])
        assertNoRawControls(inspect)
        XCTAssertTrue(inspect.err.contains(Self.hostileEscaped), inspect.err)

        let disclose = try expect(2, ["disclose", "--attestation", file, "--openings", file, "--instrument", "BTC", "--out", tmp("d.json")])
        assertNoRawControls(disclose)
        let check = try expect(2, ["check-disclosure", "--attestation", file, "--disclosure", file])
        assertNoRawControls(check)
    }

    func testHostileCircuitAndFileNamesAreEscaped() throws {
        let (key, pub) = try keys()
        // A circuit whose constraint line holds ESC sequences: the compiler's message shows \u{1B}.
        let source = "circuit t v1\nparam k = 1\nrequire equity >= k * mm \(Self.hostile)\n"
        let circuit = try write(Array(source.utf8), "hostile.circuit")
        let p = try run(["prove", "--portfolio", Self.portfolio, "--market", Self.market, "--circuit", circuit,
                         "--key", key, "--out", tmp("p.att"), "--quiet"])
        XCTAssertEqual(p.status, 2, p.err)
        assertNoRawControls(p)
        XCTAssertTrue(p.err.contains("unexpected character \"\\u{1B}\""), p.err)

        // The verifier given that circuit for a real attestation: unusable input, escaped message.
        let att = tmp("a.att")
        XCTAssertEqual(try prove(key: key, out: att).status, 0)
        let verify = try expect(2, ["verify", "--attestation", att, "--market", Self.market,
                                    "--circuit", circuit, "--trust", pub, "--at", Self.at])
        assertNoRawControls(verify)
        XCTAssertTrue(verify.all.contains("unexpected character \"\\u{1B}\""), verify.all)

        // A file name with controls (from a hostile archive, say) is echoed escaped too.
        let inspect = try expect(2, ["inspect", tmp("x\u{1B}[2J\u{202E}.att")])
        assertNoRawControls(inspect)
        XCTAssertTrue(inspect.err.contains("x\\u{1B}[2J\\u{202E}.att"), inspect.err)
    }

    /// Portfolio text (venue) with a C1 CSI and a bidi override goes through metrics (text and
    /// JSON) and, committed in a real attestation, through disclose and check-disclosure.
    func testHostilePortfolioTextInMetricsAndDisclosure() throws {
        let original = try String(contentsOfFile: Self.portfolio, encoding: .utf8)
        let venue = "bin\\u009b2J\\u202eance"   // JSON escapes: C1 CSI, RIGHT-TO-LEFT OVERRIDE
        let changed = original.replacingOccurrences(of: "\"venue\": \"binance\"", with: "\"venue\": \"\(venue)\"")
        XCTAssertNotEqual(changed, original, "example portfolio no longer has a binance venue")
        let portfolio = try write(Array(changed.utf8), "hostile-portfolio.json")

        let text = try expect(0, ["metrics", "--portfolio", portfolio, "--market", Self.market])
        assertNoRawControls(text)
        XCTAssertTrue(text.out.contains("bin\\u{9B}2J\\u{202E}ance"), text.out)
        let json = try expect(0, ["metrics", "--json", "--portfolio", portfolio, "--market", Self.market])
        assertNoRawControls(json)
        XCTAssertTrue(json.out.contains("bin\\u009b2J\\u202eance"), "C1/bidi written as JSON \\u escapes")
        let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.stdout)) as? [String: Any])
        let venues = (obj["positions"] as? [[String: Any]] ?? []).compactMap { $0["venue"] as? String }
        XCTAssertTrue(venues.contains("bin\u{9B}2J\u{202E}ance"), "the JSON value is unchanged: \(venues)")

        // Metrics input errors naming a hostile id are escaped.
        let badID = original.replacingOccurrences(of: "\"instrument\": \"BTCUSDT-PERP\"", with: "\"instrument\": \"X\\u001b[2J\\u202e\"")
        let bad = try write(Array(badID.utf8), "bad-portfolio.json")
        let err = try expect(2, ["metrics", "--portfolio", bad, "--market", Self.market])
        assertNoRawControls(err)

        // Prove with the hostile venue, disclose it, check it as the auditor.
        let (key, _) = try keys()
        let att = tmp("v.att")
        let p = try run(["prove", "--portfolio", portfolio, "--market", Self.market, "--circuit", Self.solvency,
                         "--key", key, "--created-at", Self.createdAt, "--out", att, "--quiet"])
        XCTAssertEqual(p.status, 0, p.err)
        let d = try expect(0, ["disclose", "--attestation", att, "--openings", att + ".openings",
                               "--instrument", "BTCUSDT-PERP", "--out", tmp("d.json")])
        assertNoRawControls(d)
        let c = try expect(0, ["check-disclosure", "--attestation", att, "--disclosure", tmp("d.json"), "--market", Self.market])
        assertNoRawControls(c)
        XCTAssertTrue(c.out.contains("bin\\u{9B}2J\\u{202E}ance"), c.out)
    }

    // MARK: 3. Exit codes (README, "Exit codes")

    func testExitCodeTableCommandByCommand() throws {
        let (key, pub) = try keys()

        // version, help, unknown subcommand
        try expect(0, ["version"])
        try expect(0, ["--help"])
        try expect(0, ["verify", "--help"])
        try expect(2, ["no-such-command"])

        // price: success, parser errors, validate() errors and pricing errors all map to 0 / 2.
        let priceArgs = ["price", "--model", "bsm", "--type", "call", "--expiry", "1", "--vol", "0.5", "--rate", "0", "--spot", "100"]
        try expect(0, priceArgs + ["--strike", "100"])
        try expect(2, priceArgs)                                        // missing --strike
        try expect(2, priceArgs + ["--strike", "abc"])                  // bad number
        try expect(2, priceArgs + ["--strike", "100", "--bogus"])       // unknown option
        try expect(2, priceArgs + ["--strike", "-1"])                   // negative strike: pricing error
        try expect(2, priceArgs + ["--strike", "100", "--forward", "1"]) // validate(): wrong model input
        try expect(2, ["price", "--model", "sabr", "--type", "call", "--strike", "1", "--expiry", "1", "--vol", "0.5",
                       "--rate", "0", "--spot", "1"])

        // iv: a volatility (0), unusable input or no volatility for the price (2).
        let ivArgs = ["iv", "--type", "put", "--strike", "3459.76", "--expiry", "0.049315068493150684", "--rate", "0"]
        let iv = try expect(0, ivArgs + ["--price", "1055.883912962749", "--forward", "2414.13", "--json"])
        XCTAssertTrue(iv.out.contains("\"implied_vol\": 0.93810000000"), iv.out)
        try expect(2, ivArgs + ["--price", "1000", "--forward", "2414.13"])                 // below intrinsic
        try expect(2, ivArgs + ["--price", "1055", "--forward", "2414.13", "--spot", "2400"]) // both
        try expect(2, ivArgs + ["--price", "1055"])                                          // neither

        // metrics
        try expect(0, ["metrics", "--portfolio", Self.portfolio, "--market", Self.market])
        try expect(2, ["metrics", "--portfolio", tmp("missing.json"), "--market", Self.market])
        try expect(2, ["metrics", "--portfolio", Self.portfolio])                                   // missing option
        try expect(2, ["metrics", "--portfolio", Self.portfolio, "--market", Self.market, "--target-margin-ratio", "abc"])
        try expect(2, ["metrics", "--portfolio", Self.portfolio, "--market", Self.market, "--target-margin-ratio", "-1"])
        try expect(2, ["metrics", "--portfolio", Self.portfolio, "--market", Self.market, "--target-margin-ratio", "7"])

        // keygen
        try expect(2, ["keygen", "--out", tmp("firm")])                 // exists, no --force
        try expect(2, ["keygen"])                                       // missing --out
        try expect(0, ["keygen", "--out", tmp("second")])

        // prove
        let att = tmp("a.att")
        XCTAssertEqual(try prove(key: key, out: att).status, 0)
        let violated = try prove(key: key, out: tmp("v.att"), extra: ["--param", "k=1000000"])
        XCTAssertEqual(violated.status, 1, violated.err)                // a constraint is violated
        XCTAssertEqual(try prove(key: key, out: tmp("b.att"), extra: ["--witness-bits", "abc"]).status, 2)
        XCTAssertEqual(try prove(key: key, out: tmp("b.att"), extra: ["--valid-for", "-1"]).status, 2)
        XCTAssertEqual(try prove(key: tmp("missing.key"), out: tmp("b.att")).status, 2)

        // verify
        let verifyArgs = ["verify", "--market", Self.market, "--circuit", Self.solvency, "--trust", pub]
        try expect(0, verifyArgs + ["--attestation", att, "--at", Self.at])
        var tampered = [UInt8](try Data(contentsOf: URL(fileURLWithPath: att)))
        tampered[tampered.count - 1] ^= 1                                // the signature's last byte
        let bad = try write(tampered, "tampered.att")
        try expect(1, verifyArgs + ["--attestation", bad, "--at", Self.at])
        try expect(1, verifyArgs + ["--attestation", att, "--at", "2030-01-01T00:00:00Z"])   // expired
        try expect(2, verifyArgs + ["--attestation", att, "--at", "-1"])                     // negative option value
        try expect(2, verifyArgs + ["--attestation", att, "--at", "yesterday"])
        try expect(2, verifyArgs + ["--attestation", tmp("missing.att"), "--at", Self.at])
        try expect(2, ["verify", "--attestation", att, "--circuit", Self.solvency, "--trust", pub])   // missing --market

        // An oversized attestation: the same code whatever its size, also through a symbolic link.
        for extra in [1, 2, 4096] {
            let big = try write([UInt8](repeating: 0, count: AttestationLimits.maxTotalBytes + extra), "big.att")
            let link = tmp("big-link-\(extra).att")
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: big)
            for file in [big, link] {
                let v = try expect(2, verifyArgs + ["--attestation", file, "--at", Self.at])
                XCTAssertTrue(v.err.contains("over the limit"), v.err)
                try expect(2, ["inspect", file])
                try expect(2, ["check-disclosure", "--attestation", file, "--disclosure", file])
            }
        }

        // inspect
        try expect(0, ["inspect", att])
        try expect(2, ["inspect", try write(Array("not an attestation".utf8), "junk.att")])
        try expect(2, ["inspect"])

        // disclose / check-disclosure
        let disclosure = tmp("d.json")
        try expect(0, ["disclose", "--attestation", att, "--openings", att + ".openings", "--instrument", "BTCUSDT-PERP", "--out", disclosure])
        try expect(2, ["disclose", "--attestation", att, "--openings", att + ".openings", "--instrument", "NOPE", "--out", tmp("e.json")])
        try expect(0, ["check-disclosure", "--attestation", att, "--disclosure", disclosure])
        let text = try String(contentsOfFile: disclosure, encoding: .utf8)
        let forged = text.replacingOccurrences(of: "\"BTCUSDT-PERP\"", with: "\"BTCUSD-PERP\"")
        XCTAssertNotEqual(forged, text)
        try expect(1, ["check-disclosure", "--attestation", att, "--disclosure", try write(Array(forged.utf8), "forged.json")])
        try expect(2, ["check-disclosure", "--attestation", att, "--disclosure", tmp("missing.json")])

        // crypto
        let proved = try expect(0, ["crypto", "prove-range", "--bits", "8", "--label", "t", "--values", "7"])
        let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(proved.stdout)) as? [String: Any])
        let commitments = (obj["commitments"] as? [String] ?? []).joined(separator: ",")
        let proof = try XCTUnwrap(obj["proof"] as? String)
        try expect(0, ["crypto", "verify-range", "--bits", "8", "--label", "t", "--commitments", commitments, "--proof", proof])
        try expect(1, ["crypto", "verify-range", "--bits", "8", "--label", "other", "--commitments", commitments, "--proof", proof])
        try expect(2, ["crypto", "verify-range", "--bits", "8", "--label", "t", "--commitments", commitments, "--proof", "zz"])
        try expect(2, ["crypto", "verify-range", "--bits", "abc", "--label", "t", "--commitments", commitments, "--proof", proof])
        try expect(2, ["crypto", "commit", "--value", "-1", "--blinding", String(repeating: "00", count: 32)])

        // bench: its own validation (not run: benchmarks are slow)
        try expect(2, ["bench", "engine", "--reps", "0"])
    }

    // MARK: 4. Private key permissions

    /// The relying party's policy on the command line (issue 11 case 1 and 6): the prover's
    /// parameter choice is checked against `--param` (default: the circuit's), and time against
    /// `--max-snapshot-age` / `--max-validity`.
    func testVerifyPolicyOptions() throws {
        let (key, pub) = try keys()
        let att = tmp("k0.att")
        XCTAssertEqual(try prove(key: key, out: att, extra: ["--param", "k=0"]).status, 0)
        let verifyArgs = ["verify", "--market", Self.market, "--circuit", Self.solvency, "--trust", pub, "--attestation", att,
                          "--at", Self.at]
        let strict = try expect(1, verifyArgs)
        XCTAssertTrue(strict.out.contains("the attestation proves k = 0, the verifier requires k = 1"), strict.out)
        try expect(0, verifyArgs + ["--param", "k=0"])
        try expect(1, verifyArgs + ["--param", "k=0", "--max-validity", "1h"])       // proved for 24 h
        try expect(0, verifyArgs + ["--param", "k=0", "--max-snapshot-age", "1s"])    // created at as_of
        try expect(1, verifyArgs + ["--param", "k=0", "--require-nonce"])
        try expect(2, verifyArgs + ["--param", "zz=1"])                                // policy names no such parameter
        try expect(2, verifyArgs + ["--param", "k=abc"])
        try expect(2, verifyArgs + ["--max-validity", "forever"])
        // Created a day after the snapshot: too old for the default 1 h, fine with --max-snapshot-age 2d.
        let late = tmp("late.att")
        let lateRun = try run(["prove", "--portfolio", Self.portfolio, "--market", Self.market, "--circuit", Self.solvency,
                               "--key", key, "--created-at", "2026-11-25T08:00:00Z", "--out", late, "--quiet"])
        XCTAssertEqual(lateRun.status, 0)
        // The prover says so: the default policy would refuse it.
        XCTAssertTrue(lateRun.err.contains("warning: created 86400 s after the snapshot's as_of"), lateRun.err)
        let lateArgs = ["verify", "--market", Self.market, "--circuit", Self.solvency, "--trust", pub, "--attestation", late,
                        "--at", "2026-11-25T09:00:00Z"]
        try expect(1, lateArgs)
        try expect(0, lateArgs + ["--max-snapshot-age", "2d"])
        // Before the snapshot: the prover refuses (no verifier would accept it).
        XCTAssertEqual(try run(["prove", "--portfolio", Self.portfolio, "--market", Self.market, "--circuit", Self.solvency,
                                "--key", key, "--created-at", "2020-01-01T00:00:00Z", "--out", tmp("early.att"), "--quiet"]).status, 2)
    }

    func testProveRefusesAPrivateKeyReadableByGroupOrOthers() throws {
        let (key, _) = try keys()
        for mode in [0o644, 0o640, 0o604, 0o620, 0o660] {
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: key)
            let r = try prove(key: key, out: tmp("a.att"))
            let octal = "0" + String(mode, radix: 8)
            XCTAssertEqual(r.status, 2, r.err)
            XCTAssertTrue(r.err.contains("permissions \(octal)"), r.err)
            XCTAssertTrue(r.err.contains("chmod 600 \(key)"), r.err)
            XCTAssertFalse(FileManager.default.fileExists(atPath: tmp("a.att")), "nothing is written")
        }
        // Through a symbolic link (itself 0777) the target's mode counts: refused while 0660 ...
        let link = tmp("link.key")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: key)
        let viaLink = try prove(key: link, out: tmp("a.att"))
        XCTAssertEqual(viaLink.status, 2, viaLink.err)
        XCTAssertTrue(viaLink.err.contains("permissions 0660"), viaLink.err)
        // ... and owner-only modes are accepted, directly and through the link.
        try FileManager.default.setAttributes([.posixPermissions: 0o400], ofItemAtPath: key)
        let ok = try prove(key: key, out: tmp("a.att"))
        XCTAssertEqual(ok.status, 0, ok.err)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: key)
        let okLink = try prove(key: link, out: tmp("b.att"))
        XCTAssertEqual(okLink.status, 0, okLink.err)
    }

    // MARK: 5. Parameter value length

    func testA65ByteParameterValueIsRejectedForItsLength() throws {
        let value65 = "0." + String(repeating: "0", count: 62) + "1"
        XCTAssertEqual(value65.utf8.count, 65)
        XCTAssertThrowsError(try AttestationParameter(name: "k", value: value65)) {
            XCTAssertEqual($0 as? AttestationFormatError,
                           .lengthOverLimit(field: "parameters[k].value", length: 65, limit: 64))
            XCTAssertTrue(String(describing: $0).contains("longer than 64 bytes"), String(describing: $0))
        }
        let value64 = "0." + String(repeating: "0", count: 61) + "1"
        XCTAssertEqual(try AttestationParameter(name: "k", value: value64).value, value64)
        // A 65-byte non-canonical value is still reported for its length first.
        XCTAssertThrowsError(try AttestationParameter(name: "k", value: value65 + "0")) {
            guard case .lengthOverLimit? = $0 as? AttestationFormatError else { return XCTFail("\($0)") }
        }

        // Through the CLI: the override is a fine decimal, only too long to be attested.
        let (key, _) = try keys()
        let r = try prove(key: key, out: tmp("a.att"), extra: ["--param", "k=\(value65)"])
        XCTAssertEqual(r.status, 2, r.err)
        XCTAssertTrue(r.err.contains("longer than 64 bytes"), r.err)
        XCTAssertFalse(r.err.contains("canonical"), r.err)
    }

    // MARK: Library messages

    func testVerifiedMemberDescriptionEscapesDisclosedText() throws {
        let detail = try PositionDetail(venue: "bin\u{9B}2J\u{202E}", account: "a\u{2066}", entryPrice: "1.5", quantityUnits: 100_000_000)
        let m = VerifiedMember(index: 0, kind: .instrument, memberID: "X\u{1B}[2J", quantityUnits: 100_000_000,
                               witnessValue: 10_000, unitDigits: 4, details: [detail])
        let d = m.description
        XCTAssertTrue(d.contains("X\\u{1B}[2J"), d)
        XCTAssertTrue(d.contains("bin\\u{9B}2J\\u{202E}/a\\u{2066}"), d)
        XCTAssertFalse(d.unicodeScalars.contains { [0x1B, 0x9B, 0x202E, 0x2066].contains($0.value) }, d)
    }
}

/// Issue 14: `price` reads desk inputs (55%, 30d, dates) and refuses readings that are almost
/// certainly mistakes, with the reading that was probably meant; `--version` works.
final class DeskInputTests: XCTestCase {
    func run(_ args: [String]) throws -> (Int32, String) {
        let p = Process(), out = Pipe()
        p.executableURL = try EndToEnd.binary()
        p.arguments = args
        p.standardOutput = out; p.standardError = out
        try p.run(); p.waitUntilExit()
        return (p.terminationStatus, String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }

    func testPercentagesDaysAndDatesPriceLikeTheirDecimals() throws {
        let base = ["price", "--model", "bsm", "--type", "call", "--strike", "100", "--spot", "100", "--json"]
        let (s1, decimal) = try run(base + ["--expiry", "0.0821917808219178", "--vol", "0.55", "--rate", "0.04"])
        let (s2, desk) = try run(base + ["--expiry", "30d", "--vol", "55%", "--rate", "4%"])
        XCTAssertEqual(s1, 0, decimal); XCTAssertEqual(s2, 0, desk)
        XCTAssertEqual(decimal, desk, "30d = 30/365 years, 55% = 0.55, 4% = 0.04")
        let (s3, dated) = try run(base + ["--expiry", "2099-01-01", "--vol", "0.55", "--rate", "0"])
        XCTAssertEqual(s3, 0, dated)
    }

    func testImplausibleInputsAreRefusedWithAHint() throws {
        let base = ["price", "--model", "bsm", "--type", "call", "--strike", "100", "--spot", "100"]
        for (args, hint) in [(["--expiry", "1", "--vol", "55", "--rate", "0"], "did you mean 0.55"),
                             (["--expiry", "30", "--vol", "0.5", "--rate", "0"], "did you mean 30d"),
                             (["--expiry", "1", "--vol", "0.5", "--rate", "4"], "did you mean 0.04"),
                             (["--expiry", "2001-01-01", "--vol", "0.5", "--rate", "0"], "in the past"),
                             (["--expiry", "soon", "--vol", "0.5", "--rate", "0"], "expected years")] {
            let (status, text) = try run(base + args)
            XCTAssertEqual(status, 2, text)
            XCTAssertTrue(text.contains(hint), "\(args): \(text)")
        }
    }

    func testVersionFlag() throws {
        let (status, text) = try run(["--version"])
        XCTAssertEqual(status, 0)
        XCTAssertTrue(text.hasPrefix("riskattest "), text)
    }
}
