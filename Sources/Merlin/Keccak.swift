/// Keccak-f[1600], the permutation under SHA-3 and STROBE.
///
/// The state is 25 lanes of 64 bits, lane (x, y) at index x + 5y, bytes little-endian within a
/// lane (FIPS 202 §3.1.2 read on a little-endian machine). The 24 rounds are
/// R = ι ∘ χ ∘ π ∘ ρ ∘ θ:
///   θ:  A[x,y] ^= C[x−1] ^ rot(C[x+1], 1) with C[x] = ⊕_y A[x,y]
///   ρπ: B[y, 2x+3y] = rot(A[x,y], r[x,y])
///   χ:  A[x,y] = B[x,y] ^ (¬B[x+1,y] ∧ B[x+2,y])
///   ι:  A[0,0] ^= RC[i]
/// Each round is fully unrolled over the 25 lanes held in locals (the source is generated from
/// the rotation table), so the optimiser keeps the state in registers and never indexes memory
/// with a computed index: the permutation has no data-dependent branches or addresses.
public struct KeccakState: Sendable, Equatable {
    /// The 25 lanes, lane (x, y) at position x + 5y.
    public var lanes: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                       UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                       UInt64, UInt64, UInt64, UInt64, UInt64)

    /// The all-zero state.
    public init() { lanes = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0) }

    public static func == (l: KeccakState, r: KeccakState) -> Bool {
        l.bytes == r.bytes
    }

    /// The 200-byte serialisation of the state (lanes little-endian).
    public var bytes: [UInt8] {
        var copy = lanes
        return withUnsafeBytes(of: &copy) { raw in (0..<200).map { i in raw[i] } }
    }

    /// Byte `i` (0 ..< 200) of the state.
    @inlinable
    public subscript(byte i: Int) -> UInt8 {
        get {
            withUnsafeBytes(of: lanes) { raw in
                let lane = raw.load(fromByteOffset: (i >> 3) << 3, as: UInt64.self)
                return UInt8(truncatingIfNeeded: UInt64(littleEndian: lane) >> UInt64((i & 7) << 3))
            }
        }
        set {
            withUnsafeMutableBytes(of: &lanes) { raw in
                let off = (i >> 3) << 3
                let shift = UInt64((i & 7) << 3)
                var lane = UInt64(littleEndian: raw.load(fromByteOffset: off, as: UInt64.self))
                lane = (lane & ~(0xff << shift)) | (UInt64(newValue) << shift)
                raw.storeBytes(of: lane.littleEndian, toByteOffset: off, as: UInt64.self)
            }
        }
    }

    /// XORs `value` into byte `i` of the state.
    @inlinable
    public mutating func xorByte(_ i: Int, _ value: UInt8) {
        withUnsafeMutableBytes(of: &lanes) { raw in
            let off = (i >> 3) << 3
            let lane = UInt64(littleEndian: raw.load(fromByteOffset: off, as: UInt64.self))
            let x = lane ^ (UInt64(value) << UInt64((i & 7) << 3))
            raw.storeBytes(of: x.littleEndian, toByteOffset: off, as: UInt64.self)
        }
    }

    /// Round constants RC[0..<24] (FIPS 202 §3.2.5).
    @usableFromInline
    static let roundConstants: [UInt64] = [
        0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
        0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
        0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
        0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
        0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
        0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
    ]

    /// Applies Keccak-f[1600] to the state in place.
    public mutating func permute() {
        var l = lanes
        var a0 = l.0
        var a1 = l.1
        var a2 = l.2
        var a3 = l.3
        var a4 = l.4
        var a5 = l.5
        var a6 = l.6
        var a7 = l.7
        var a8 = l.8
        var a9 = l.9
        var a10 = l.10
        var a11 = l.11
        var a12 = l.12
        var a13 = l.13
        var a14 = l.14
        var a15 = l.15
        var a16 = l.16
        var a17 = l.17
        var a18 = l.18
        var a19 = l.19
        var a20 = l.20
        var a21 = l.21
        var a22 = l.22
        var a23 = l.23
        var a24 = l.24
        for round in 0..<24 {
            let rc = KeccakState.roundConstants[round]
            // θ
            let c0 = a0 ^ a5 ^ a10 ^ a15 ^ a20
            let c1 = a1 ^ a6 ^ a11 ^ a16 ^ a21
            let c2 = a2 ^ a7 ^ a12 ^ a17 ^ a22
            let c3 = a3 ^ a8 ^ a13 ^ a18 ^ a23
            let c4 = a4 ^ a9 ^ a14 ^ a19 ^ a24
            let d0 = c4 ^ c1.rotl(1)
            let d1 = c0 ^ c2.rotl(1)
            let d2 = c1 ^ c3.rotl(1)
            let d3 = c2 ^ c4.rotl(1)
            let d4 = c3 ^ c0.rotl(1)
            // ρ and π: B[y, 2x+3y] = rot(A[x,y] ^ D[x], r[x,y])
            let b0 = (a0 ^ d0)
            let b10 = (a1 ^ d1).rotl(1)
            let b20 = (a2 ^ d2).rotl(62)
            let b5 = (a3 ^ d3).rotl(28)
            let b15 = (a4 ^ d4).rotl(27)
            let b16 = (a5 ^ d0).rotl(36)
            let b1 = (a6 ^ d1).rotl(44)
            let b11 = (a7 ^ d2).rotl(6)
            let b21 = (a8 ^ d3).rotl(55)
            let b6 = (a9 ^ d4).rotl(20)
            let b7 = (a10 ^ d0).rotl(3)
            let b17 = (a11 ^ d1).rotl(10)
            let b2 = (a12 ^ d2).rotl(43)
            let b12 = (a13 ^ d3).rotl(25)
            let b22 = (a14 ^ d4).rotl(39)
            let b23 = (a15 ^ d0).rotl(41)
            let b8 = (a16 ^ d1).rotl(45)
            let b18 = (a17 ^ d2).rotl(15)
            let b3 = (a18 ^ d3).rotl(21)
            let b13 = (a19 ^ d4).rotl(8)
            let b14 = (a20 ^ d0).rotl(18)
            let b24 = (a21 ^ d1).rotl(2)
            let b9 = (a22 ^ d2).rotl(61)
            let b19 = (a23 ^ d3).rotl(56)
            let b4 = (a24 ^ d4).rotl(14)
            // χ and ι
            a0 = b0 ^ (~b1 & b2) ^ rc
            a1 = b1 ^ (~b2 & b3)
            a2 = b2 ^ (~b3 & b4)
            a3 = b3 ^ (~b4 & b0)
            a4 = b4 ^ (~b0 & b1)
            a5 = b5 ^ (~b6 & b7)
            a6 = b6 ^ (~b7 & b8)
            a7 = b7 ^ (~b8 & b9)
            a8 = b8 ^ (~b9 & b5)
            a9 = b9 ^ (~b5 & b6)
            a10 = b10 ^ (~b11 & b12)
            a11 = b11 ^ (~b12 & b13)
            a12 = b12 ^ (~b13 & b14)
            a13 = b13 ^ (~b14 & b10)
            a14 = b14 ^ (~b10 & b11)
            a15 = b15 ^ (~b16 & b17)
            a16 = b16 ^ (~b17 & b18)
            a17 = b17 ^ (~b18 & b19)
            a18 = b18 ^ (~b19 & b15)
            a19 = b19 ^ (~b15 & b16)
            a20 = b20 ^ (~b21 & b22)
            a21 = b21 ^ (~b22 & b23)
            a22 = b22 ^ (~b23 & b24)
            a23 = b23 ^ (~b24 & b20)
            a24 = b24 ^ (~b20 & b21)

        }
        l = (a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20, a21, a22, a23, a24)
        lanes = l
    }
}

extension UInt64 {
    @inline(__always)
    func rotl(_ n: UInt64) -> UInt64 { (self &<< n) | (self &>> (64 &- n)) }
}
