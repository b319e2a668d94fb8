import Ristretto255
import RiskEngine

/// Why a position record could not be built or decoded.
public enum RecordError: Error, Equatable, CustomStringConvertible {
    case truncated(field: String, offset: Int)
    case lengthOverLimit(field: String, length: Int, limit: Int)
    case invalidText(field: String, reason: String)
    case invalidValue(field: String, reason: String)
    case nonCanonicalScalar(field: String)
    case trailingBytes(count: Int)

    /// Escaped with `UntrustedText` (RiskEngine): the message may quote text from an input file,
    /// which must not reach a terminal raw.
    public var description: String { UntrustedText.escape(unescapedDescription) }

    private var unescapedDescription: String {
        switch self {
        case .truncated(let f, let o): return "position record truncated in \(f) at offset \(o)"
        case .lengthOverLimit(let f, let l, let lim): return "position record \(f): length \(l) over the limit of \(lim)"
        case .invalidText(let f, let r): return "position record \(f): \(r)"
        case .invalidValue(let f, let r): return "position record \(f): \(r)"
        case .nonCanonicalScalar(let f): return "position record \(f): blinding is not a canonical scalar (must be < ℓ)"
        case .trailingBytes(let c): return "position record: \(c) trailing byte(s)"
        }
    }
}

/// One position behind a member: where it sits and at what price it was entered. Free-form for
/// the auditor; only `quantityUnits` takes part in a check (the details must sum to the member's
/// aggregated quantity when any are given).
public struct PositionDetail: Sendable, Hashable {
    public static let maxTextBytes = 256
    /// Venue name, "" when none.
    public let venue: String
    /// Account label, "" when none.
    public let account: String
    /// Entry price as canonical decimal text (`CanonicalDecimal`), "" when not applicable
    /// (collateral balances).
    public let entryPrice: String
    /// Signed quantity at 10^-8 (exact, as parsed from the portfolio's number text).
    public let quantityUnits: Int64

    public init(venue: String, account: String, entryPrice: String, quantityUnits: Int64) throws(RecordError) {
        for (f, s) in [("venue", venue), ("account", account)] {
            let b = Array(s.utf8)
            guard b.count <= Self.maxTextBytes, TextRules.utf8Text(b) != nil else {
                throw .invalidText(field: "details.\(f)", reason: "must be at most \(Self.maxTextBytes) bytes of UTF-8 without control characters")
            }
        }
        guard entryPrice.isEmpty || CanonicalDecimal.isCanonical(entryPrice) else {
            throw .invalidText(field: "details.entryPrice", reason: "\"\(entryPrice)\" is not canonical decimal text")
        }
        self.venue = venue
        self.account = account
        self.entryPrice = entryPrice
        self.quantityUnits = quantityUnits
    }
}

/// What a book-tree leaf commits to for one witness member: the member, its exact aggregated
/// quantity, the committed halves and their Pedersen openings, and the positions behind it.
///
/// The openings make a disclosed record checkable against the attestation: the auditor
/// recomputes C⁺ = x⁺·B + r⁺·B̃ and C⁻ = x⁻·B + r⁻·B̃ and compares with the attested pair.
///
/// Canonical encoding (little-endian; `str` = u32 length || UTF-8):
///
///     u8(kind) str(memberID) i64(quantityUnits) u64(plus) u64(minus) [32]r⁺ [32]r⁻
///     u32(#details) { str(venue) str(account) str(entryPrice) i64(quantityUnits) }*
public struct PositionRecord: Sendable, Hashable {
    public static let maxIDBytes = 256
    public static let maxDetails = 4096

    public let kind: MemberKind
    /// Instrument id, collateral asset id, or auxiliary member label.
    public let memberID: String
    /// Aggregated exact signed quantity (or balance) at 10^-8.
    public let quantityUnits: Int64
    /// Committed halves in the member's witness unit: x = plus − minus.
    public let plus: UInt64
    public let minus: UInt64
    public let blindingPlus: Scalar
    public let blindingMinus: Scalar
    public let details: [PositionDetail]

    public init(kind: MemberKind, memberID: String, quantityUnits: Int64, plus: UInt64, minus: UInt64,
                blindingPlus: Scalar, blindingMinus: Scalar, details: [PositionDetail]) throws(RecordError) {
        let b = Array(memberID.utf8)
        guard !b.isEmpty, b.count <= Self.maxIDBytes, TextRules.utf8Text(b) != nil else {
            throw .invalidText(field: "memberID", reason: "must be 1...\(Self.maxIDBytes) bytes of UTF-8 without control characters")
        }
        guard details.count <= Self.maxDetails else {
            throw .invalidValue(field: "details", reason: "\(details.count) entries, over the limit of \(Self.maxDetails)")
        }
        self.kind = kind
        self.memberID = memberID
        self.quantityUnits = quantityUnits
        self.plus = plus
        self.minus = minus
        self.blindingPlus = blindingPlus
        self.blindingMinus = blindingMinus
        self.details = details
    }

    public func encode() -> [UInt8] {
        var w = ByteWriter(capacity: 100 + memberID.utf8.count + 40 * details.count)
        w.u8(kind.rawValue)
        w.framed(memberID)
        w.i64(quantityUnits)
        w.u64(plus)
        w.u64(minus)
        w.raw(blindingPlus.bytes)
        w.raw(blindingMinus.bytes)
        w.u32(UInt32(details.count))
        for d in details {
            w.framed(d.venue); w.framed(d.account); w.framed(d.entryPrice); w.i64(d.quantityUnits)
        }
        return w.bytes
    }

    public static func decode(_ bytes: [UInt8]) throws(RecordError) -> PositionRecord {
        var r = ByteReader(bytes)
        func wrap<T>(_ field: String, _ f: (inout ByteReader) throws(ByteReadFailure) -> T) throws(RecordError) -> T {
            do { return try f(&r) } catch {
                switch error {
                case .truncated(let o, _, _): throw .truncated(field: field, offset: o)
                case .lengthOverLimit(let l, let lim): throw .lengthOverLimit(field: field, length: l, limit: lim)
                }
            }
        }
        func text(_ field: String, _ limit: Int) throws(RecordError) -> String {
            let b = try wrap(field) { (r: inout ByteReader) throws(ByteReadFailure) in try r.framed(limit: limit) }
            guard let s = TextRules.utf8Text(b) else { throw .invalidText(field: field, reason: "not UTF-8 text without control characters") }
            return s
        }
        let kindByte = try wrap("kind") { (r: inout ByteReader) throws(ByteReadFailure) in try r.u8() }
        guard let kind = MemberKind(rawValue: kindByte) else { throw .invalidValue(field: "kind", reason: "unknown member kind \(kindByte)") }
        let id = try text("memberID", maxIDBytes)
        let q = try wrap("quantityUnits") { (r: inout ByteReader) throws(ByteReadFailure) in try r.i64() }
        let plus = try wrap("plus") { (r: inout ByteReader) throws(ByteReadFailure) in try r.u64() }
        let minus = try wrap("minus") { (r: inout ByteReader) throws(ByteReadFailure) in try r.u64() }
        let rp = try wrap("blindingPlus") { (r: inout ByteReader) throws(ByteReadFailure) in try r.raw(32) }
        let rm = try wrap("blindingMinus") { (r: inout ByteReader) throws(ByteReadFailure) in try r.raw(32) }
        guard let sp = try? Scalar(canonicalBytes: rp) else { throw .nonCanonicalScalar(field: "blindingPlus") }
        guard let sm = try? Scalar(canonicalBytes: rm) else { throw .nonCanonicalScalar(field: "blindingMinus") }
        let n = Int(try wrap("details") { (r: inout ByteReader) throws(ByteReadFailure) in try r.u32() })
        guard n <= maxDetails, n * 20 <= r.remaining else {
            throw .invalidValue(field: "details", reason: "count \(n) over the limit or beyond the input")
        }
        var details: [PositionDetail] = []
        details.reserveCapacity(n)
        for k in 0..<n {
            let venue = try text("details[\(k)].venue", PositionDetail.maxTextBytes)
            let account = try text("details[\(k)].account", PositionDetail.maxTextBytes)
            let price = try text("details[\(k)].entryPrice", CanonicalDecimal.maxLength)
            let dq = try wrap("details[\(k)].quantityUnits") { (r: inout ByteReader) throws(ByteReadFailure) in try r.i64() }
            details.append(try PositionDetail(venue: venue, account: account, entryPrice: price, quantityUnits: dq))
        }
        guard r.remaining == 0 else { throw .trailingBytes(count: r.remaining) }
        return try PositionRecord(kind: kind, memberID: id, quantityUnits: q, plus: plus, minus: minus,
                                  blindingPlus: sp, blindingMinus: sm, details: details)
    }
}
