import CLibCrypto

/// Errors from the system crypto libraries. Each case says which call failed, so that a
/// broken installation is reported plainly rather than as a wrong result.
public enum SystemCryptoError: Error, Equatable, CustomStringConvertible {
    case libraryFailure(String)
    case invalidLength(what: String, expected: Int, got: Int)

    public var description: String {
        switch self {
        case .libraryFailure(let call): return "system crypto library call failed: \(call)"
        case .invalidLength(let what, let expected, let got):
            return "\(what): expected \(expected) bytes, got \(got)"
        }
    }
}

/// The hash functions riskattest uses, computed by OpenSSL's libcrypto (EVP interface).
///
/// Why OpenSSL rather than our own Keccak: the design keeps every standard hash on a widely
/// audited implementation; our own Keccak-f exists only inside STROBE, and is tested against
/// these functions.
public enum Digest: Sendable {
    case sha256, sha512, sha3_512, shake256

    /// Output length in bytes for fixed-output functions (SHAKE256 takes a length at the call).
    public var outputLength: Int {
        switch self {
        case .sha256: return 32
        case .sha512, .sha3_512: return 64
        case .shake256: return 64
        }
    }

    private var md: OpaquePointer? {
        switch self {
        case .sha256: return EVP_sha256()
        case .sha512: return EVP_sha512()
        case .sha3_512: return EVP_sha3_512()
        case .shake256: return EVP_shake256()
        }
    }

    /// Hashes the concatenation of `parts` (no length framing: callers that hash several fields
    /// must frame them themselves). For SHAKE256, `outputLength` selects the output size.
    public func hash(_ parts: [[UInt8]], outputLength: Int? = nil) -> [UInt8] {
        guard let ctx = EVP_MD_CTX_new() else { fatalError("EVP_MD_CTX_new failed (out of memory)") }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestInit_ex(ctx, md, nil) == 1 else { fatalError("EVP_DigestInit_ex failed") }
        for p in parts where !p.isEmpty {
            let ok = p.withUnsafeBytes { EVP_DigestUpdate(ctx, $0.baseAddress, $0.count) }
            guard ok == 1 else { fatalError("EVP_DigestUpdate failed") }
        }
        let len = outputLength ?? self.outputLength
        var out = [UInt8](repeating: 0, count: len)
        if self == .shake256 {
            guard EVP_DigestFinalXOF(ctx, &out, len) == 1 else { fatalError("EVP_DigestFinalXOF failed") }
        } else {
            precondition(outputLength == nil || outputLength == self.outputLength,
                         "fixed-output hash called with a different output length")
            var outLen: UInt32 = 0
            guard EVP_DigestFinal_ex(ctx, &out, &outLen) == 1, Int(outLen) == len else {
                fatalError("EVP_DigestFinal_ex failed")
            }
        }
        return out
    }

    /// Convenience for a single input.
    public func hash(_ data: [UInt8], outputLength: Int? = nil) -> [UInt8] {
        hash([data], outputLength: outputLength)
    }
}

/// A SHAKE256 stream that can be squeezed repeatedly (used for generator chains).
///
/// OpenSSL 3.0 has no incremental squeeze (EVP_DigestSqueeze arrived in 3.3), so the stream
/// squeezes a block of output at once and re-squeezes a longer prefix when more is needed;
/// SHAKE output is prefix-consistent, so this yields exactly the same byte stream.
public struct Shake256Stream: Sendable {
    private let input: [UInt8]
    private var buffer: [UInt8] = []
    private var position = 0

    public init(absorbing parts: [[UInt8]]) { input = parts.flatMap { $0 } }

    public mutating func squeeze(_ count: Int) -> [UInt8] {
        if position + count > buffer.count {
            let want = max(2 * buffer.count, position + count, 4096)
            buffer = Digest.shake256.hash(input, outputLength: want)
        }
        defer { position += count }
        return Array(buffer[position..<position + count])
    }
}
