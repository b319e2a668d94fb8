/// Display-safe rendering of text that came from an input file: attestations, circuits, market
/// snapshots, portfolios, disclosures, openings and keys.
///
/// Why: such text is chosen by whoever wrote the file, possibly a hostile counterparty who needs no
/// key to hand us a malformed attestation. Printed raw, an ESC (or a C1 CSI/OSC) starts a terminal
/// control sequence that can retitle the window, clear the screen or paint a red "VALID" next to a
/// rejection; a CR or LF inside a value forges extra report lines; and bidi overrides and isolates
/// make terminals and editors show characters in a different order from their bytes
/// ("Trojan Source", CVE-2021-42574). Every printer therefore passes input-derived text through
/// `escape` before it reaches a terminal, a log or a text report. It lives in RiskEngine, the module
/// every other module (Circuits, Attestation, Verifier, the CLI) already depends on, so library
/// error messages and CLI printers share one definition.
///
/// Escaped (see `mustEscape`): C0 controls U+0000–U+001F (TAB, LF and CR included), DEL U+007F,
/// C1 controls U+0080–U+009F, the bidi marks, embeddings, overrides and isolates U+061C, U+200E,
/// U+200F, U+202A–U+202E, U+2066–U+2069, and the line/paragraph separators U+2028/U+2029 (which
/// some viewers treat as newlines). `escape(bytes:)` also shows every byte of an invalid UTF-8
/// sequence as `\xNN` instead of silently repairing it to U+FFFD.
///
/// Forms: `\t`, `\n`, `\r` for the three common controls, `\u{1B}` (Swift notation, hex code point)
/// for every other escaped scalar, `\xFF` for a stray byte. The result holds none of the escaped
/// scalars, so it is inert on any terminal.
///
/// The backslash itself is deliberately *not* escaped. That makes escaping idempotent
/// (`escape(escape(s)) == escape(s)`): a library error message may escape the input it quotes and
/// the CLI may escape the whole message again at the point of printing without garbling it, so
/// defence in depth costs nothing. The price is that a file can contain the literal six characters
/// `\u{1B}`, which read the same as an escaped ESC: misleading at worst, never a control sequence.
/// Use `escape` for display only, never to produce text that is parsed back.
public enum UntrustedText {
    /// True for the scalars that `escape` replaces (see the type's documentation for the list).
    public static func mustEscape(_ u: Unicode.Scalar) -> Bool {
        switch u.value {
        case 0x00...0x1F, 0x7F...0x9F: return true                       // C0, DEL, C1
        case 0x061C, 0x200E, 0x200F: return true                         // ALM, LRM, RLM
        case 0x202A...0x202E, 0x2066...0x2069: return true               // embeddings, overrides, isolates
        case 0x2028, 0x2029: return true                                 // line / paragraph separator
        default: return false
        }
    }

    /// `s` with every scalar for which `mustEscape` holds replaced by its escape. Returns `s`
    /// itself (no copy) when nothing needs escaping, the overwhelmingly common case.
    public static func escape(_ s: String) -> String {
        // Fast path for the common case (printable ASCII, e.g. every cell of a 100,000-row table):
        // one pass over the bytes, no scalar decoding.
        var plain = true
        for b in s.utf8 where b < 0x20 || b >= 0x7F { plain = false; break }
        if plain { return s }
        guard s.unicodeScalars.contains(where: mustEscape) else { return s }
        var out = String.UnicodeScalarView()
        for u in s.unicodeScalars {
            if mustEscape(u) { out.append(contentsOf: escapeSequence(u).unicodeScalars) } else { out.append(u) }
        }
        return String(out)
    }

    /// Bytes that should be UTF-8 text but may not be: valid sequences are escaped as by
    /// `escape(_:)`, each byte of an invalid sequence becomes `\xNN`. Use it where a decoder
    /// quotes raw input bytes, so the reader sees what the file holds rather than U+FFFD.
    public static func escape<C: Collection>(bytes: C) -> String where C.Element == UInt8 {
        var out = String.UnicodeScalarView()
        var it = bytes.makeIterator()
        var pending = Array(bytes)[...]      // the bytes not yet rendered, to name invalid ones
        var parser = Unicode.UTF8.ForwardParser()
        while true {
            switch parser.parseScalar(from: &it) {
            case .valid(let encoded):
                let u = Unicode.UTF8.decode(encoded)
                if mustEscape(u) { out.append(contentsOf: escapeSequence(u).unicodeScalars) } else { out.append(u) }
                pending = pending.dropFirst(encoded.count)
            case .error(let length):
                for b in pending.prefix(length) { out.append(contentsOf: "\\x\(hex2(b))".unicodeScalars) }
                pending = pending.dropFirst(length)
            case .emptyInput:
                return String(out)
            }
        }
    }

    /// JSON text (valid UTF-8, as produced by `JSONEncoder`) with DEL, C1, bidi and the line
    /// separators written as `\uXXXX` escapes.
    ///
    /// Why: JSON encoders escape only C0 controls, quotes and backslashes; the rest of the
    /// `mustEscape` set passes through raw and reaches the terminal of whoever runs `… --json` or
    /// pipes it to a pager. In valid JSON these scalars can occur only inside strings (outside
    /// them JSON allows nothing but ASCII structure, literals and whitespace), and inside a string
    /// `\uXXXX` decodes to the very same scalar, so the rewrite keeps the document valid and its
    /// meaning unchanged. C0 controls are left alone: raw ones occur only as the pretty-printer's
    /// whitespace (TAB, LF, CR outside strings), which must stay as it is.
    public static func jsonSafe(_ json: [UInt8]) -> [UInt8] {
        // Byte-level scan (reports can be tens of megabytes): every scalar to rewrite starts with
        // 0x7F (DEL), 0xC2 (U+0080–U+009F), 0xD8 (U+061C) or 0xE2 (U+200E… U+2069).
        guard json.contains(where: { $0 == 0x7F || $0 == 0xC2 || $0 == 0xD8 || $0 == 0xE2 }) else { return json }
        var out: [UInt8] = []
        out.reserveCapacity(json.count + 64)
        var i = 0
        while i < json.count {
            let b = json[i]
            var length = 0, scalar: UInt32 = 0
            if b == 0x7F {
                length = 1; scalar = 0x7F
            } else if b == 0xC2 || b == 0xD8, i + 1 < json.count, json[i + 1] & 0xC0 == 0x80 {
                length = 2; scalar = UInt32(b & 0x1F) << 6 | UInt32(json[i + 1] & 0x3F)
            } else if b == 0xE2, i + 2 < json.count, json[i + 1] & 0xC0 == 0x80, json[i + 2] & 0xC0 == 0x80 {
                length = 3; scalar = UInt32(b & 0x0F) << 12 | UInt32(json[i + 1] & 0x3F) << 6 | UInt32(json[i + 2] & 0x3F)
            }
            if length > 0, let u = Unicode.Scalar(scalar), mustEscape(u) {
                out.append(contentsOf: Array(("\\u" + hex4(scalar)).utf8))
                i += length
            } else {
                out.append(b)
                i += 1
            }
        }
        return out
    }

    /// The printable replacement for one scalar that must be escaped.
    static func escapeSequence(_ u: Unicode.Scalar) -> String {
        switch u {
        case "\t": return "\\t"
        case "\n": return "\\n"
        case "\r": return "\\r"
        default:
            let h = String(u.value, radix: 16, uppercase: true)
            return "\\u{" + (h.count < 2 ? "0" + h : h) + "}"
        }
    }

    private static func hex2(_ b: UInt8) -> String {
        let h = String(b, radix: 16, uppercase: true)
        return h.count < 2 ? "0" + h : h
    }

    private static func hex4(_ v: UInt32) -> String {
        let h = String(v, radix: 16, uppercase: false)
        return String(repeating: "0", count: max(0, 4 - h.count)) + h
    }
}
