import Foundation

/// Shared helpers for the DetMath / Pricing / FixedPoint tests.
enum DetMathTestSupport {
    /// Package root, found from this file's path (Tests/RiskEngineTests/<file>).
    static var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }

    static func vector(_ name: String) throws -> Any {
        let data = try Data(contentsOf: packageRoot.appendingPathComponent("Vectors").appendingPathComponent(name))
        return try JSONSerialization.jsonObject(with: data)
    }

    /// Double from a 16-hex-digit bit pattern.
    static func double(hex: String) -> Double {
        Double(bitPattern: UInt64(hex, radix: 16) ?? 0x7ff8_dead_0000_0000)
    }

    static func hex(_ x: Double) -> String {
        let s = String(x.bitPattern, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }

    /// |got − ref| in units of ref's ulp (the spacing of doubles at ref's magnitude; subnormal spacing
    /// below the normal range). Infinite if exactly one is NaN/inf or they differ in kind.
    static func ulpError(_ got: Double, _ ref: Double) -> Double {
        if got == ref || (got.isNaN && ref.isNaN) { return 0 }
        if !got.isFinite || !ref.isFinite { return .infinity }
        let unit = ref == 0 ? Double.leastNonzeroMagnitude : ref.ulp
        return abs(got - ref) / unit
    }
}

/// SplitMix64: a fixed-seed generator so every run tests the same inputs.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
    /// Uniform in [a, b).
    mutating func uniform(_ a: Double, _ b: Double) -> Double {
        a + (b - a) * (Double(next() >> 11) * 0x1p-53)
    }
}
