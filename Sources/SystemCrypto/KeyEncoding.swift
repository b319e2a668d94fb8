/// Strict PEM armour, base64 and the small DER subset needed for Ed25519 keys (RFC 8410).
///
/// Why hand-written and strict: the two structures we accept are tiny and fixed, so a general
/// ASN.1 parser would only add attack surface. Every byte is checked: definite minimal lengths
/// (DER, X.690 §10.1), no trailing data at any nesting level, exact algorithm identifier.

/// Why a key could not be loaded. Each case names the exact reason so that a user who hands us an
/// RSA key, an X25519 key or a truncated file learns what is wrong with it.
public enum KeyError: Error, Equatable, CustomStringConvertible {
    /// No `-----BEGIN ...-----` / `-----END ...-----` pair, or text outside the block.
    case malformedPEM(String)
    /// The PEM label is not the one this key type uses.
    case wrongPEMLabel(expected: String, found: String)
    /// The body is not canonical base64 (RFC 4648 §4, padding required, zero pad bits).
    case invalidBase64(String)
    /// The DER structure does not parse; the string says where.
    case invalidDER(String)
    /// Bytes after the outermost structure, or after the last field inside one.
    case trailingData(String)
    /// A well-formed key for another algorithm (e.g. RSA 1.2.840.113549.1.1.1, X25519 1.3.101.110).
    case unsupportedAlgorithm(oid: String)
    /// The PKCS#8 version is neither v1 (0) nor v2 (1).
    case unsupportedVersion(Int)
    /// A key or seed of the wrong size.
    case wrongLength(what: String, expected: Int, got: Int)
    /// A PKCS#8 v2 key whose embedded public key is not the one derived from its seed.
    case publicKeyMismatch
    /// 32 bytes that are not a valid Ed25519 public key (not on the curve, or of small order).
    case invalidPublicKey

    public var description: String {
        switch self {
        case .malformedPEM(let why): return "malformed PEM: \(why)"
        case .wrongPEMLabel(let expected, let found):
            return "wrong PEM label: expected \"\(expected)\", found \"\(found)\""
        case .invalidBase64(let why): return "invalid base64 in PEM body: \(why)"
        case .invalidDER(let why): return "invalid DER: \(why)"
        case .trailingData(let where_): return "trailing data after \(where_)"
        case .unsupportedAlgorithm(let oid):
            let known: [String: String] = ["1.2.840.113549.1.1.1": " (RSA)", "1.3.101.110": " (X25519)",
                                           "1.3.101.111": " (X448)", "1.3.101.113": " (Ed448)",
                                           "1.2.840.10045.2.1": " (EC)"]
            return "unsupported key algorithm \(oid)\(known[oid] ?? ""): expected Ed25519 (1.3.101.112)"
        case .unsupportedVersion(let v): return "unsupported PKCS#8 version \(v): expected 0 (v1) or 1 (v2)"
        case .wrongLength(let what, let expected, let got): return "\(what): expected \(expected) bytes, got \(got)"
        case .publicKeyMismatch: return "PKCS#8 v2 public key does not match the private key"
        case .invalidPublicKey: return "not a valid Ed25519 public key (off the curve or of small order)"
        }
    }
}

// MARK: - PEM

enum PEM {
    /// Encodes `der` as PEM with `label`, base64 in 64-character lines (RFC 7468 §2).
    static func encode(_ der: [UInt8], label: String) -> String {
        let b64 = Base64.encode(der)
        var out = "-----BEGIN \(label)-----\n"
        var i = b64.startIndex
        while i < b64.endIndex {
            let j = b64.index(i, offsetBy: 64, limitedBy: b64.endIndex) ?? b64.endIndex
            out += b64[i..<j] + "\n"
            i = j
        }
        out += "-----END \(label)-----\n"
        return out
    }

    /// Decodes exactly one PEM block with `label`. Only whitespace may surround the block; lines may
    /// end in LF or CRLF. The base64 body may be wrapped at any width, but must be canonical.
    static func decode(_ text: String, label: String) throws(KeyError) -> [UInt8] {
        // Split on bytes: in Swift "\r\n" is one Character, so splitting the String on "\n" would miss it.
        let lines = Array(text.utf8).split(separator: 10, omittingEmptySubsequences: false).map { line -> Substring in
            let trimmed = line.last == 13 ? line.dropLast() : line
            return Substring(String(decoding: trimmed, as: UTF8.self))
        }
        // Drop leading/trailing blank lines only.
        var first = 0, last = lines.count - 1
        while first <= last, lines[first].allSatisfy({ $0 == " " || $0 == "\t" }) { first += 1 }
        while last >= first, lines[last].allSatisfy({ $0 == " " || $0 == "\t" }) { last -= 1 }
        guard first < last else { throw .malformedPEM("no BEGIN/END block") }
        let begin = lines[first], end = lines[last]
        guard begin.hasPrefix("-----BEGIN "), begin.hasSuffix("-----"), begin.count > 16 else {
            throw .malformedPEM("first line is not a -----BEGIN ...----- line")
        }
        guard end.hasPrefix("-----END "), end.hasSuffix("-----"), end.count > 14 else {
            throw .malformedPEM("last line is not an -----END ...----- line")
        }
        let beginLabel = String(begin.dropFirst(11).dropLast(5))
        let endLabel = String(end.dropFirst(9).dropLast(5))
        guard beginLabel == endLabel else {
            throw .malformedPEM("BEGIN label \"\(beginLabel)\" does not match END label \"\(endLabel)\"")
        }
        guard beginLabel == label else { throw .wrongPEMLabel(expected: label, found: beginLabel) }
        var body = ""
        for line in lines[(first + 1)..<last] {
            if line.hasPrefix("-----") { throw .malformedPEM("more than one PEM block") }
            if line.contains(":") { throw .malformedPEM("PEM headers are not supported (encrypted key?)") }
            body += line.filter { $0 != " " && $0 != "\t" }
        }
        return try Base64.decode(body)
    }
}

// MARK: - Base64 (RFC 4648 §4, strict)

enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out += [alphabet[Int(n >> 18)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], alphabet[Int(n & 63)]]
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let n = UInt32(bytes[i]) << 16
            out += [alphabet[Int(n >> 18)], alphabet[Int(n >> 12 & 63)], UInt8(ascii: "="), UInt8(ascii: "=")]
        } else if rest == 2 {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out += [alphabet[Int(n >> 18)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], UInt8(ascii: "=")]
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func value(_ c: UInt8) -> UInt32? {
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return UInt32(c - UInt8(ascii: "A"))
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return UInt32(c - UInt8(ascii: "a")) + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(c - UInt8(ascii: "0")) + 52
        case UInt8(ascii: "+"): return 62
        case UInt8(ascii: "/"): return 63
        default: return nil
        }
    }

    /// Canonical decoding: length a multiple of 4, `=` only as final padding, unused bits zero.
    static func decode(_ text: String) throws(KeyError) -> [UInt8] {
        let chars = Array(text.utf8)
        guard !chars.isEmpty else { throw .invalidBase64("empty body") }
        guard chars.count % 4 == 0 else { throw .invalidBase64("length \(chars.count) is not a multiple of 4") }
        var out = [UInt8]()
        out.reserveCapacity(chars.count / 4 * 3)
        var i = 0
        while i < chars.count {
            let isLast = i + 4 == chars.count
            let q = chars[i..<(i + 4)]
            var pad = 0
            if isLast {
                if q[i + 3] == UInt8(ascii: "=") { pad = 1 }
                if pad == 1, q[i + 2] == UInt8(ascii: "=") { pad = 2 }
            }
            var n: UInt32 = 0
            for (k, c) in q.enumerated() {
                if k >= 4 - pad { n <<= 6; continue }
                guard let v = value(c) else {
                    throw .invalidBase64(c == UInt8(ascii: "=") ? "padding '=' inside the body at offset \(i + k)"
                                                               : "character 0x\(String(c, radix: 16)) at offset \(i + k)")
                }
                n = n << 6 | v
            }
            out.append(UInt8(n >> 16))
            if pad < 2 { out.append(UInt8(n >> 8 & 0xff)) }
            if pad < 1 { out.append(UInt8(n & 0xff)) }
            if pad == 1, n & 0xff != 0 { throw .invalidBase64("non-zero padding bits") }
            if pad == 2, n & 0xffff != 0 { throw .invalidBase64("non-zero padding bits") }
            i += 4
        }
        return out
    }
}

// MARK: - DER

/// A cursor over DER bytes that reads one TLV at a time and checks X.690 DER rules:
/// single-byte tags (all we need), definite lengths in minimal form.
struct DERReader {
    let bytes: [UInt8]
    var position: Int
    let end: Int

    init(_ bytes: [UInt8]) { self.bytes = bytes; position = 0; end = bytes.count }
    private init(bytes: [UInt8], start: Int, end: Int) { self.bytes = bytes; position = start; self.end = end }

    var isAtEnd: Bool { position == end }
    var peekTag: UInt8? { position < end ? bytes[position] : nil }

    /// Reads a TLV with tag `tag`; returns a reader over its contents.
    mutating func read(tag: UInt8, what: String) throws(KeyError) -> DERReader {
        guard position < end else { throw .invalidDER("\(what): missing (structure ends early)") }
        let found = bytes[position]
        guard found == tag else {
            throw .invalidDER("\(what): expected tag 0x\(String(tag, radix: 16)), found 0x\(String(found, radix: 16))")
        }
        guard position + 1 < end else { throw .invalidDER("\(what): missing length") }
        var p = position + 2
        let first = bytes[position + 1]
        var length = 0
        if first < 0x80 {
            length = Int(first)
        } else if first == 0x80 {
            throw .invalidDER("\(what): indefinite length is not DER")
        } else {
            let n = Int(first & 0x7f)
            guard n <= 2 else { throw .invalidDER("\(what): length of \(n) bytes is too large") }
            guard p + n <= end else { throw .invalidDER("\(what): truncated length") }
            for k in 0..<n { length = length << 8 | Int(bytes[p + k]) }
            p += n
            guard bytes[position + 2] != 0, length >= (n == 1 ? 0x80 : 0x100) else {
                throw .invalidDER("\(what): length not in minimal form")
            }
        }
        guard length <= end - p else { throw .invalidDER("\(what): length \(length) exceeds the available \(end - p) bytes") }
        position = p + length
        return DERReader(bytes: bytes, start: p, end: p + length)
    }

    var contents: [UInt8] { Array(bytes[position..<end]) }

    func expectEnd(_ what: String) throws(KeyError) {
        guard isAtEnd else { throw .trailingData(what) }
    }

    /// Reads a small non-negative INTEGER in minimal two's-complement form.
    mutating func readSmallInteger(what: String) throws(KeyError) -> Int {
        let r = try read(tag: 0x02, what: what)
        let c = r.contents
        guard !c.isEmpty else { throw .invalidDER("\(what): empty INTEGER") }
        guard c.count == 1 || !(c[0] == 0 && c[1] < 0x80) else { throw .invalidDER("\(what): INTEGER not minimal") }
        guard c[0] < 0x80 else { throw .invalidDER("\(what): negative INTEGER") }
        guard c.count <= 4 else { throw .invalidDER("\(what): INTEGER too large") }
        return c.reduce(0) { $0 << 8 | Int($1) }
    }

    /// Reads an AlgorithmIdentifier and requires id-Ed25519 with absent parameters (RFC 8410 §3).
    mutating func readEd25519AlgorithmIdentifier() throws(KeyError) {
        var alg = try read(tag: 0x30, what: "AlgorithmIdentifier")
        let oid = try alg.read(tag: 0x06, what: "algorithm OID").contents
        guard oid == DER.ed25519OID else { throw .unsupportedAlgorithm(oid: DER.oidString(oid)) }
        try alg.expectEnd("the Ed25519 algorithm OID (RFC 8410 requires absent parameters)")
    }
}

enum DER {
    /// id-Ed25519 = 1.3.101.112, content bytes 2B 65 70.
    static let ed25519OID: [UInt8] = [0x2b, 0x65, 0x70]

    /// Dotted text of an OID's content bytes, for error messages (best effort on malformed input).
    static func oidString(_ c: [UInt8]) -> String {
        guard let f = c.first else { return "(empty)" }
        var parts = [f < 80 ? Int(f) / 40 : 2, f < 80 ? Int(f) % 40 : Int(f) - 80]
        var acc = 0
        for b in c.dropFirst() {
            guard acc < (1 << 48) else { return "(malformed)" }
            acc = acc << 7 | Int(b & 0x7f)
            if b & 0x80 == 0 { parts.append(acc); acc = 0 }
        }
        return parts.map(String.init).joined(separator: ".")
    }

    /// PKCS#8 v1 for a seed: 30 2e 02 01 00 30 05 06 03 2b 65 70 04 22 04 20 ‖ seed.
    static func pkcs8(seed: [UInt8]) -> [UInt8] {
        [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03] + ed25519OID + [0x04, 0x22, 0x04, 0x20] + seed
    }

    /// SPKI: 30 2a 30 05 06 03 2b 65 70 03 21 00 ‖ key.
    static func spki(publicKey: [UInt8]) -> [UInt8] {
        [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03] + ed25519OID + [0x03, 0x21, 0x00] + publicKey
    }

    /// Parses OneAsymmetricKey (RFC 5958) for Ed25519 and returns (seed, optional embedded public key).
    static func parsePKCS8(_ der: [UInt8]) throws(KeyError) -> (seed: [UInt8], publicKey: [UInt8]?) {
        var outer = DERReader(der)
        var seq = try outer.read(tag: 0x30, what: "PrivateKeyInfo")
        try outer.expectEnd("the PrivateKeyInfo SEQUENCE")
        let version = try seq.readSmallInteger(what: "version")
        guard version == 0 || version == 1 else { throw .unsupportedVersion(version) }
        try seq.readEd25519AlgorithmIdentifier()
        var octets = try seq.read(tag: 0x04, what: "privateKey OCTET STRING")
        let inner = try octets.read(tag: 0x04, what: "CurvePrivateKey OCTET STRING")
        try octets.expectEnd("the CurvePrivateKey")
        let seed = inner.contents
        guard seed.count == 32 else { throw .wrongLength(what: "Ed25519 private key seed", expected: 32, got: seed.count) }
        if seq.peekTag == 0xa0 { _ = try seq.read(tag: 0xa0, what: "attributes") }
        var publicKey: [UInt8]? = nil
        if seq.peekTag == 0x81 {
            guard version == 1 else { throw .invalidDER("publicKey field present in a v1 PKCS#8 key") }
            let bits = try seq.read(tag: 0x81, what: "publicKey BIT STRING").contents
            guard bits.first == 0 else { throw .invalidDER("publicKey BIT STRING must have 0 unused bits") }
            let key = Array(bits.dropFirst())
            guard key.count == 32 else { throw .wrongLength(what: "Ed25519 public key", expected: 32, got: key.count) }
            publicKey = key
        }
        try seq.expectEnd("the last PrivateKeyInfo field")
        return (seed, publicKey)
    }

    /// Parses SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) for Ed25519.
    static func parseSPKI(_ der: [UInt8]) throws(KeyError) -> [UInt8] {
        var outer = DERReader(der)
        var seq = try outer.read(tag: 0x30, what: "SubjectPublicKeyInfo")
        try outer.expectEnd("the SubjectPublicKeyInfo SEQUENCE")
        try seq.readEd25519AlgorithmIdentifier()
        let bits = try seq.read(tag: 0x03, what: "subjectPublicKey BIT STRING").contents
        try seq.expectEnd("the subjectPublicKey")
        guard bits.first == 0 else { throw .invalidDER("subjectPublicKey BIT STRING must have 0 unused bits") }
        let key = Array(bits.dropFirst())
        guard key.count == 32 else { throw .wrongLength(what: "Ed25519 public key", expected: 32, got: key.count) }
        return key
    }
}
