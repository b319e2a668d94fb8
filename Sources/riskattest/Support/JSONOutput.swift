import Attestation
import Foundation
import RiskEngine
import Verifier

/// The one JSON style of every `--json` output (SPEC.md §7.4): an object with a `schema` tag
/// `riskattest.<command>/<version>`, snake_case keys, sorted and pretty-printed, one trailing
/// newline. Strings from input files may hold C1 or bidi characters, which JSONEncoder passes
/// through raw: `jsonSafe` writes them as \u escapes (the same JSON value).
enum JSONOutput {
    static func bytes<T: Encodable>(_ value: T) throws -> [UInt8] {
        let enc = JSONEncoder()
        enc.keyEncodingStrategy = .convertToSnakeCase
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return UntrustedText.jsonSafe(Array(try enc.encode(value))) + [0x0A]
    }

    static func print<T: Encodable>(_ value: T) throws {
        FileHandle.standardOutput.write(Data(try bytes(value)))
    }

    /// v·10^-digits as exact decimal text ("-1.5"): attested values are integers at a scale, and a
    /// double could not hold every one of them.
    static func decimal(_ v: Int64, digits: Int) -> String {
        let neg = v < 0
        var mag = String(v.magnitude)
        if digits > 0 {
            if mag.count <= digits { mag = String(repeating: "0", count: digits - mag.count + 1) + mag }
            let cut = mag.index(mag.endIndex, offsetBy: -digits)
            var frac = String(mag[cut...])
            while frac.last == "0" { frac.removeLast() }
            mag = String(mag[..<cut]) + (frac.isEmpty ? "" : "." + frac)
        }
        return (neg && v != 0 ? "-" : "") + mag
    }
}

/// `verify --json` (`riskattest.verify/1`): one result per attestation, in argument order.
struct VerifyJSON: Encodable {
    var schema = "riskattest.verify/1"
    var results: [Row]
    struct Row: Encodable {
        var file: String
        var report: Report
    }
    /// `VerificationReport` with its two dictionaries as arrays: the key strategy would rewrite
    /// dictionary keys too, and circuit parameter names are data, not field names.
    struct Report: Encodable {
        var valid: Bool
        var reason: String?
        var failureCode: String?
        var unusableInput: Bool
        var circuit: String?
        var circuitHash: String?
        var parameters: [InspectJSON.Parameter]
        var statements: [String]
        var snapshotId: String?
        var snapshotSha256: String?
        var proverKey: String?
        var createdAt: String?
        var expiresAt: String?
        var nonce: String?
        var attestationBytes: Int
        var proofBytes: [ProofBytes]
        var verifyMilliseconds: Double
        struct ProofBytes: Encodable { var kind: String; var bytes: Int }

        init(_ r: VerificationReport) {
            valid = r.valid; reason = r.reason; failureCode = r.failureCode; unusableInput = r.unusableInput
            circuit = r.circuit; circuitHash = r.circuitHash
            parameters = r.parameters.sorted { $0.key < $1.key }.map { InspectJSON.Parameter(name: $0.key, value: $0.value) }
            statements = r.statements; snapshotId = r.snapshotID; snapshotSha256 = r.snapshotSHA256
            proverKey = r.proverKey; createdAt = r.createdAt; expiresAt = r.expiresAt; nonce = r.nonce
            attestationBytes = r.attestationBytes
            proofBytes = r.proofBytes.sorted { $0.key < $1.key }.map { ProofBytes(kind: $0.key, bytes: $0.value) }
            verifyMilliseconds = r.verifyMilliseconds
        }
    }
}

/// `inspect --json` (`riskattest.inspect/1`): what the text summary shows, hex for bytes.
struct InspectJSON: Encodable {
    var schema = "riskattest.inspect/1"
    var file: String
    var sha256: String
    var formatVersion: Int
    var circuit: Circuit
    var parameters: [Parameter]
    var snapshotId: String
    var snapshotSha256: String
    var proverKey: String
    var createdAt: String
    var expiresAt: String
    var nonce: String?
    var members: Members
    var scales: Scales
    var witnessBits: Int
    var bookRoot: String
    var constraints: Int
    var rangeProofs: [Proof]
    var signature: String
    var signedMessageBytes: Int

    struct Circuit: Encodable { var name: String; var version: UInt32; var hash: String }
    struct Parameter: Encodable { var name: String; var value: String }
    struct Members: Encodable { var instruments: Int; var collateral: Int; var auxiliary: [Auxiliary] }
    struct Auxiliary: Encodable { var label: String; var unitDigits: Int }
    struct Scales: Encodable { var instrumentUnitDigits: Int; var balanceUnitDigits: Int; var slackUnitDigits: Int }
    struct Proof: Encodable { var kind: String; var values: Int; var bitSize: Int; var bytes: Int }

    init(file: String, _ a: AttestationV1) {
        self.file = file
        sha256 = Hex.encode(a.hash)
        formatVersion = Int(AttestationBody.formatVersion)
        circuit = Circuit(name: a.circuitName, version: a.circuitVersion, hash: Hex.encode(a.circuitHash))
        parameters = a.parameters.map { Parameter(name: $0.name, value: $0.value) }
        snapshotId = a.snapshotID
        snapshotSha256 = Hex.encode(a.snapshotHash)
        proverKey = Hex.encode(a.proverKey)
        createdAt = Timestamps.format(a.createdAt)
        expiresAt = Timestamps.format(a.expiresAt)
        nonce = a.nonce.map(Hex.encode)
        members = Members(instruments: a.instrumentCommitments.count, collateral: a.collateralCommitments.count,
                          auxiliary: a.auxiliaryMembers.map { Auxiliary(label: $0.label, unitDigits: $0.unitDigits) })
        scales = Scales(instrumentUnitDigits: a.scales.instrumentUnitDigits, balanceUnitDigits: a.scales.balanceUnitDigits,
                        slackUnitDigits: a.scales.slackUnitDigits)
        witnessBits = a.witnessBits
        bookRoot = Hex.encode(a.bookRoot)
        constraints = a.constraintCount
        rangeProofs = a.rangeProofs.map { Proof(kind: "\($0.kind)", values: $0.valueCount, bitSize: $0.bitSize, bytes: $0.bytes.count) }
        signature = Hex.encode(a.signature)
        signedMessageBytes = a.signedMessage.count
    }
}

/// `check-disclosure --json` (`riskattest.check-disclosure/1`). Quantities are exact decimal
/// text (strings), as committed; `valid` false carries the `reason`.
struct CheckDisclosureJSON: Encodable {
    var schema = "riskattest.check-disclosure/1"
    var valid: Bool
    var reason: String?
    var attestationSha256: String?
    var bookRoot: String?
    var members: [Member]

    struct Member: Encodable {
        var index: Int
        var kind: String
        var memberId: String
        /// Net quantity (instruments), balance (collateral) or value (auxiliary), exact decimal text.
        var value: String
        var committedValue: String
        var unitDigits: Int
        var positions: [Position]
    }
    struct Position: Encodable { var quantity: String; var entryPrice: String?; var venue: String?; var account: String? }

    init(_ r: DisclosureReport) {
        valid = true
        attestationSha256 = Hex.encode(r.attestationHash)
        bookRoot = Hex.encode(r.bookRoot)
        members = r.members.map { m in
            Member(index: m.index, kind: "\(m.kind)", memberId: m.memberID,
                   value: JSONOutput.decimal(m.quantityUnits, digits: m.kind == .auxiliary ? m.unitDigits : 8),
                   committedValue: JSONOutput.decimal(m.witnessValue, digits: m.unitDigits), unitDigits: m.unitDigits,
                   positions: m.details.map { d in
                       Position(quantity: JSONOutput.decimal(d.quantityUnits, digits: 8),
                                entryPrice: d.entryPrice.isEmpty ? nil : d.entryPrice,
                                venue: d.venue.isEmpty ? nil : d.venue, account: d.account.isEmpty ? nil : d.account)
                   })
        }
    }

    init(rejected reason: String) {
        valid = false
        self.reason = reason
        members = []
    }
}
