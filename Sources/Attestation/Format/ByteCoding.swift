/// Little-endian byte writer for the canonical binary encodings (attestation, position records).
///
/// Every variable-length field is framed as `u32 LE length || bytes`, so that a reader never has
/// to guess where a field ends; fixed-width fields are written raw. Nothing here can fail: the
/// values written have been validated by the caller's initialiser.
struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { bytes.append(UInt8(v & 0xff)); bytes.append(UInt8(v >> 8)) }
    mutating func u32(_ v: UInt32) { for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) } }
    mutating func u64(_ v: UInt64) { for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) } }
    mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }
    /// Raw bytes with no framing (fixed-width fields such as hashes and points).
    mutating func raw(_ b: [UInt8]) { bytes.append(contentsOf: b) }
    /// `u32 LE length || bytes`. Callers only pass validated (bounded) fields.
    mutating func framed(_ b: [UInt8]) { u32(UInt32(truncatingIfNeeded: b.count)); bytes.append(contentsOf: b) }
    mutating func framed(_ s: String) { framed(Array(s.utf8)) }
}

/// Why a reader stopped. The owning decoder maps this into its own typed error with the field name.
enum ByteReadFailure: Error {
    case truncated(offset: Int, needed: Int, available: Int)
    case lengthOverLimit(length: Int, limit: Int)
}

/// Bounds-checked little-endian reader. It never allocates more than the bytes actually present:
/// a declared length is checked against its limit *and* against the remaining input before any
/// copy, so a hostile length field cannot cause a large allocation.
struct ByteReader {
    let bytes: [UInt8]
    private(set) var offset: Int = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }

    mutating func take(_ n: Int) throws(ByteReadFailure) -> ArraySlice<UInt8> {
        guard n >= 0, n <= remaining else { throw .truncated(offset: offset, needed: n, available: remaining) }
        defer { offset += n }
        return bytes[offset..<offset + n]
    }
    mutating func raw(_ n: Int) throws(ByteReadFailure) -> [UInt8] { Array(try take(n)) }
    mutating func u8() throws(ByteReadFailure) -> UInt8 { try take(1).first ?? 0 }
    mutating func u16() throws(ByteReadFailure) -> UInt16 {
        let s = try take(2)
        return UInt16(s[s.startIndex]) | UInt16(s[s.startIndex + 1]) << 8
    }
    mutating func u32() throws(ByteReadFailure) -> UInt32 {
        let s = try take(4)
        var v: UInt32 = 0
        for (i, b) in s.enumerated() { v |= UInt32(b) << (8 * UInt32(i)) }
        return v
    }
    mutating func u64() throws(ByteReadFailure) -> UInt64 {
        let s = try take(8)
        var v: UInt64 = 0
        for (i, b) in s.enumerated() { v |= UInt64(b) << (8 * UInt64(i)) }
        return v
    }
    mutating func i64() throws(ByteReadFailure) -> Int64 { Int64(bitPattern: try u64()) }
    /// A `u32 LE length || bytes` field whose length must not exceed `limit`.
    mutating func framed(limit: Int) throws(ByteReadFailure) -> [UInt8] {
        let start = offset
        let n = Int(try u32())
        guard n <= limit else {
            offset = start
            throw .lengthOverLimit(length: n, limit: limit)
        }
        return try raw(n)
    }
}

/// Small validators shared by the encodings.
enum TextRules {
    /// Printable ASCII without space (0x21...0x7e), 1...limit bytes: identifiers such as parameter
    /// and circuit names, so that two different byte strings can never render the same.
    static func isIdentifier(_ b: [UInt8], limit: Int) -> Bool {
        !b.isEmpty && b.count <= limit && b.allSatisfy { $0 >= 0x21 && $0 <= 0x7e }
    }

    /// Valid UTF-8 without C0/DEL control characters (free text such as snapshot ids and venues).
    static func utf8Text(_ b: [UInt8]) -> String? {
        guard !b.contains(where: { $0 < 0x20 || $0 == 0x7f }) else { return nil }
        let s = String(decoding: b, as: UTF8.self)
        return Array(s.utf8) == b ? s : nil   // decoding repaired something: not valid UTF-8
    }

    static func hex(_ b: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(2 * b.count)
        for x in b { out.append(digits[Int(x >> 4)]); out.append(digits[Int(x & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Lower-case hex only (canonical), even length.
    static func unhex(_ s: String) -> [UInt8]? {
        let u = Array(s.utf8)
        guard u.count % 2 == 0 else { return nil }
        func nib(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: return c - 0x30
            case 0x61...0x66: return c - 0x61 + 10
            default: return nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(u.count / 2)
        var i = 0
        while i < u.count {
            guard let h = nib(u[i]), let l = nib(u[i + 1]) else { return nil }
            out.append(h << 4 | l)
            i += 2
        }
        return out
    }
}
