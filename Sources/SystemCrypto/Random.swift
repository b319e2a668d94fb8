import CSodium

/// Cryptographic randomness from libsodium (`randombytes_buf`, backed by getrandom(2)).
public enum SecureRandom {
    /// Ensures libsodium is initialised; `sodium_init` is idempotent and thread-safe.
    @discardableResult
    public static func initialise() -> Bool { sodium_init() >= 0 }

    /// `count` fresh random bytes.
    public static func bytes(_ count: Int) -> [UInt8] {
        precondition(initialise(), "libsodium failed to initialise")
        var out = [UInt8](repeating: 0, count: count)
        guard count > 0 else { return out }
        out.withUnsafeMutableBytes { buf in
            if let base = buf.baseAddress { randombytes_buf(base, count) }
        }
        return out
    }
}
