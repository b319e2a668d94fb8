/// STROBE-128 (Hamburg, "The STROBE protocol framework", v1.0.2), reduced to the operations Merlin
/// uses: meta-AD, AD, PRF and KEY, without transport or ratchet.
///
/// Why a reduced STROBE: Merlin drives STROBE only through these four operations, so the
/// duplex state, the rate, the operation framing and the padding are all that must match the
/// reference bit for bit. Security level 128 gives rate R = 200 − 2·(128/8) − 2 = 166 bytes.
///
/// Framing (spec §6.2): starting an operation absorbs the previous `pos_begin` and the flags byte,
/// then sets `pos_begin = pos + 1`. Operations with the C (cipher) or K flag force a permutation
/// first when the block is not empty, so their output depends on a fresh state. Running F pads with
/// `pos_begin` at `pos`, the domain byte 0x04 at `pos + 1` and 0x80 at byte R + 1 (cSHAKE-style).
public struct Strobe128: Sendable {
    /// Flag I (inbound), A (application data), C (cipher), T (transport), M (meta), K (keytree).
    @usableFromInline static let flagI: UInt8 = 1, flagA: UInt8 = 2, flagC: UInt8 = 4
    @usableFromInline static let flagT: UInt8 = 8, flagM: UInt8 = 16, flagK: UInt8 = 32
    /// The rate in bytes for STROBE-128.
    public static let rate = 166

    @usableFromInline var state = KeccakState()
    @usableFromInline var pos = 0
    @usableFromInline var posBegin = 0
    @usableFromInline var curFlags: UInt8 = 0

    /// A STROBE-128 object for `protocolLabel`: the initial block
    /// `[1, R+2, 1, 0, 1, 96] || "STROBEv1.0.2"` (12 bytes, as the reference STROBE code writes it) is permuted, then the label is absorbed as meta-AD.
    public init(protocolLabel: [UInt8]) {
        let header: [UInt8] = [1, UInt8(Strobe128.rate + 2), 1, 0, 1, 96] + Array("STROBEv1.0.2".utf8)
        for (i, b) in header.enumerated() { state[byte: i] = b }
        state.permute()
        metaAD(protocolLabel, more: false)
    }

    @inline(__always) @usableFromInline
    mutating func runF() {
        state.xorByte(pos, UInt8(truncatingIfNeeded: posBegin))
        state.xorByte(pos + 1, 0x04)
        state.xorByte(Strobe128.rate + 1, 0x80)
        state.permute()
        pos = 0
        posBegin = 0
    }

    @usableFromInline
    mutating func absorb(_ data: [UInt8]) {
        for b in data {
            state.xorByte(pos, b)
            pos += 1
            if pos == Strobe128.rate { runF() }
        }
    }

    @usableFromInline
    mutating func overwrite(_ data: [UInt8]) {
        for b in data {
            state[byte: pos] = b
            pos += 1
            if pos == Strobe128.rate { runF() }
        }
    }

    @usableFromInline
    mutating func squeeze(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        for i in 0..<count {
            out[i] = state[byte: pos]
            state[byte: pos] = 0
            pos += 1
            if pos == Strobe128.rate { runF() }
        }
        return out
    }

    /// Starts an operation. `more` continues the previous operation, which must have the same
    /// flags (a programming error otherwise, never caused by input data: callers pass constants).
    @usableFromInline
    mutating func beginOp(_ flags: UInt8, more: Bool) {
        if more {
            precondition(curFlags == flags, "STROBE: continued operation with different flags")
            return
        }
        let oldBegin = posBegin
        posBegin = pos + 1
        curFlags = flags
        absorb([UInt8(truncatingIfNeeded: oldBegin), flags])
        if flags & (Strobe128.flagC | Strobe128.flagK) != 0 && pos != 0 { runF() }
    }

    /// meta-AD: absorbs framing data (labels, lengths).
    public mutating func metaAD(_ data: [UInt8], more: Bool) {
        beginOp(Strobe128.flagM | Strobe128.flagA, more: more)
        absorb(data)
    }

    /// AD: absorbs application data.
    public mutating func ad(_ data: [UInt8], more: Bool) {
        beginOp(Strobe128.flagA, more: more)
        absorb(data)
    }

    /// PRF: squeezes `count` pseudorandom bytes (and zeroes the squeezed state bytes, which makes
    /// the operation forward-secure in STROBE's sense).
    public mutating func prf(_ count: Int, more: Bool) -> [UInt8] {
        beginOp(Strobe128.flagI | Strobe128.flagA | Strobe128.flagC, more: more)
        return squeeze(count)
    }

    /// KEY: overwrites the state with key material (used to rekey with witness and RNG bytes).
    public mutating func key(_ data: [UInt8], more: Bool) {
        beginOp(Strobe128.flagA | Strobe128.flagC, more: more)
        overwrite(data)
    }
}
