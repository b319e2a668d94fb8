import Foundation
import XCTest
@testable import Ristretto255

/// Deterministic generator (SplitMix64) so failures reproduce; the references are libsodium and the
/// RFC, never our own outputs.
struct TestRNG {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e3779b97f4a7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58476d1ce4e5b9
        z = (z ^ (z >> 27)) &* 0x94d049bb133111eb
        return z ^ (z >> 31)
    }
    mutating func bytes(_ n: Int) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(n)
        while out.count < n {
            let w = next()
            for j in 0..<8 where out.count < n { out.append(UInt8(truncatingIfNeeded: w >> (8 * UInt64(j)))) }
        }
        return out
    }
    /// A uniformly random canonical scalar (wide reduction of 64 random bytes).
    mutating func scalar() -> Scalar { Scalar(reducing64: bytes(64)) }
    /// A random group element (via the map; independent of scalar multiplication code paths).
    mutating func point() -> RistrettoPoint { RistrettoPoint.fromUniformBytes(bytes(64)) }
}

func hex(_ b: [UInt8]) -> String { b.map { String(format: "%02x", $0) }.joined() }

func unhex(_ s: String) -> [UInt8] {
    var out = [UInt8]()
    var it = s.utf8.makeIterator()
    func nib(_ c: UInt8) -> UInt8 {
        switch c {
        case 48...57: return c - 48
        case 97...102: return c - 87
        case 65...70: return c - 55
        default: return 0
        }
    }
    while let a = it.next(), let b = it.next() { out.append(nib(a) << 4 | nib(b)) }
    return out
}

func vectorsURL(_ name: String) -> URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Vectors").appendingPathComponent(name)
}
