import RiskEngine

/// Why an attestation could not be built or decoded. Every case names the field (a path such as
/// `instrumentCommitments[3].minus`) and the reason, so that a rejected file says what is wrong.
public enum AttestationFormatError: Error, Equatable, CustomStringConvertible {
    /// The input ended inside `field`: it needed `needed` bytes at `offset`, only `available` remain.
    case truncated(field: String, offset: Int, needed: Int, available: Int)
    case badMagic(found: [UInt8])
    case unsupportedVersion(UInt16)
    /// A declared length (bytes) is above the format's limit for that field.
    case lengthOverLimit(field: String, length: Int, limit: Int)
    /// A declared element count is above the format's limit (or below its minimum).
    case countOutOfRange(field: String, count: Int, allowed: ClosedRange<Int>)
    case wrongLength(field: String, expected: Int, got: Int)
    case invalidText(field: String, reason: String)
    case nonCanonicalDecimal(field: String, text: String)
    /// Parameters must be strictly increasing by name (bytewise): sorted, no duplicates.
    case parametersNotSorted(name: String)
    case invalidFlag(field: String, value: UInt8)
    case invalidValue(field: String, reason: String)
    case invalidValidityWindow(createdAt: Int64, expiresAt: Int64)
    case nonCanonicalPoint(field: String, reason: String)
    case identityCommitment(field: String)
    case invalidProof(field: String, reason: String)
    case trailingBytes(offset: Int, count: Int)
    case totalSizeOverLimit(size: Int, limit: Int)

    /// Escaped with `UntrustedText` (RiskEngine): the message may quote text from an input file,
    /// which must not reach a terminal raw.
    public var description: String { UntrustedText.escape(unescapedDescription) }

    private var unescapedDescription: String {
        switch self {
        case .truncated(let f, let o, let n, let a):
            return "attestation truncated in \(f): needs \(n) bytes at offset \(o), only \(a) remain"
        case .badMagic(let m):
            return "not a riskattest attestation: magic is \(TextRules.hex(m)), expected 52415454 (\"RATT\")"
        case .unsupportedVersion(let v):
            let why = v == 2 ? "; version 2 priced options off S·e^(rT) where a future of their expiry is listed, so its coefficients are not this engine's: attest again" : ""
            return "unsupported attestation format version \(v) (this build reads version \(AttestationBody.formatVersion))\(why)"
        case .lengthOverLimit(let f, let l, let lim):
            return "\(f): \(l) bytes, longer than \(lim) bytes (the limit)"
        case .countOutOfRange(let f, let c, let r):
            return "\(f): count \(c) is outside the allowed \(r.lowerBound)...\(r.upperBound)"
        case .wrongLength(let f, let e, let g):
            return "\(f): expected \(e) bytes, got \(g)"
        case .invalidText(let f, let r): return "\(f): \(r)"
        case .nonCanonicalDecimal(let f, let t):
            return "\(f): \"\(t)\" is not a canonical decimal (-?(0|[1-9][0-9]*)(.[0-9]*[1-9])?)"
        case .parametersNotSorted(let n):
            return "parameters: \"\(n)\" is out of order or repeated (names must be strictly increasing bytewise)"
        case .invalidFlag(let f, let v): return "\(f): presence flag must be 0 or 1, got \(v)"
        case .invalidValue(let f, let r): return "\(f): \(r)"
        case .invalidValidityWindow(let c, let e):
            return "validity window: expires-at \(e) must be later than created-at \(c)"
        case .nonCanonicalPoint(let f, let r): return "\(f): not a canonical ristretto255 encoding (\(r))"
        case .identityCommitment(let f): return "\(f): commitment is the identity point"
        case .invalidProof(let f, let r): return "\(f): \(r)"
        case .trailingBytes(let o, let c): return "\(c) trailing byte(s) after the signature at offset \(o)"
        case .totalSizeOverLimit(let s, let l): return "attestation is \(s) bytes, over the limit of \(l)"
        }
    }
}
