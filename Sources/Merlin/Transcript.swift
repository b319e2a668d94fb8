/// A Merlin transcript (merlin.cool, version 1.0): a STROBE-128 duplex used for Fiat–Shamir.
///
/// Why Merlin: every message is framed by its label and length, so two different protocol runs
/// can never produce the same absorbed byte string, and challenges depend on everything appended
/// before them. The operations are:
/// - `init(label)`: STROBE-128 with protocol `"Merlin v1.0"`, then `appendMessage("dom-sep", label)`.
/// - `appendMessage(label, m)`: meta-AD(label), meta-AD(LE32(|m|), continued), AD(m).
/// - `challengeBytes(label, k)`: meta-AD(label), meta-AD(LE32(k), continued), PRF(k).
/// The transcript is a value: copying it forks the protocol state (the verifier of a batch keeps
/// one transcript per proof).
public struct Transcript: Sendable {
    @usableFromInline var strobe: Strobe128
    /// Test-only operation recorder: nil unless a test asked for it with `init(label:tracing:)`.
    var trace: [TranscriptTraceEvent]? = nil

    /// Starts a transcript for the protocol or application named `label`.
    public init(label: String) {
        self.init(label: label, tracing: false)
    }

    /// Starts a transcript that records every STROBE operation (for tests against published traces).
    init(label: String, tracing: Bool) {
        strobe = Strobe128(protocolLabel: Array("Merlin v1.0".utf8))
        if tracing { trace = [.initialize(Array("Merlin v1.0".utf8))] }
        appendMessage(label: "dom-sep", message: Array(label.utf8))
    }

    /// Appends `message` under `label` (labels are protocol constants, messages are data).
    public mutating func appendMessage(label: String, message: [UInt8]) {
        appendMessage(labelBytes: Array(label.utf8), message: message)
    }

    /// Byte-label form of `appendMessage`.
    public mutating func appendMessage(labelBytes: [UInt8], message: [UInt8]) {
        let len = Transcript.le32(message.count)
        strobe.metaAD(labelBytes, more: false)
        strobe.metaAD(len, more: true)
        strobe.ad(message, more: false)
        if trace != nil {
            trace?.append(.metaAD(labelBytes, message.count))
            trace?.append(.ad(message))
        }
    }

    /// Appends `value` as its 8-byte little-endian encoding.
    public mutating func appendU64(label: String, value: UInt64) {
        var bytes = [UInt8](repeating: 0, count: 8)
        for i in 0..<8 { bytes[i] = UInt8(truncatingIfNeeded: value >> UInt64(8 * i)) }
        appendMessage(label: label, message: bytes)
    }

    /// `count` challenge bytes bound to everything appended so far.
    public mutating func challengeBytes(label: String, count: Int) -> [UInt8] {
        let labelBytes = Array(label.utf8)
        strobe.metaAD(labelBytes, more: false)
        strobe.metaAD(Transcript.le32(count), more: true)
        let out = strobe.prf(count, more: false)
        if trace != nil {
            trace?.append(.metaAD(labelBytes, count))
            trace?.append(.prf(out))
        }
        return out
    }

    /// Starts a transcript-bound RNG: the returned builder forks the current state, can be rekeyed
    /// with the prover's secrets, and is finalised with fresh external randomness. The result is
    /// as unpredictable as the best of (external randomness, witness, transcript), so a weak
    /// system RNG alone does not expose the witness (Merlin's `build_rng`).
    public func buildRng() -> TranscriptRngBuilder { TranscriptRngBuilder(strobe: strobe) }

    @inline(__always)
    static func le32(_ n: Int) -> [UInt8] {
        let v = UInt32(truncatingIfNeeded: n)
        return [UInt8(truncatingIfNeeded: v), UInt8(truncatingIfNeeded: v >> 8),
                UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 24)]
    }
}

/// One traced transcript operation (tests only).
enum TranscriptTraceEvent: Equatable, Sendable {
    case initialize([UInt8])
    /// meta-AD of a label followed (continued) by LE32 of the length.
    case metaAD([UInt8], Int)
    case ad([UInt8])
    case prf([UInt8])
}

/// Rekeys a forked transcript state with witness data before finalising it into an RNG.
public struct TranscriptRngBuilder: Sendable {
    var strobe: Strobe128

    /// meta-AD(label), meta-AD(LE32(|witness|), continued), KEY(witness).
    public mutating func rekey(label: String, witness: [UInt8]) {
        strobe.metaAD(Array(label.utf8), more: false)
        strobe.metaAD(Transcript.le32(witness.count), more: true)
        strobe.key(witness, more: false)
    }

    /// meta-AD("rng"), KEY(32 random bytes from the caller's system RNG).
    public func finalize(randomSeed: [UInt8]) -> TranscriptRng {
        var s = strobe
        s.metaAD(Array("rng".utf8), more: false)
        s.key(randomSeed, more: false)
        return TranscriptRng(strobe: s)
    }
}

/// A deterministic RNG over a rekeyed STROBE state: each request is meta-AD(LE32(k)), PRF(k).
public struct TranscriptRng: Sendable {
    var strobe: Strobe128
    public mutating func fillBytes(_ count: Int) -> [UInt8] {
        strobe.metaAD(Transcript.le32(count), more: false)
        return strobe.prf(count, more: false)
    }
}
