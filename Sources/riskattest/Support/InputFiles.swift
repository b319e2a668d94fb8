#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension CLI {
    /// Size and permission bits of the file `path` resolves to, or nil when it cannot be stat'ed.
    ///
    /// Why stat(2) and not `FileManager.attributesOfItem`: on Linux the latter describes a
    /// symbolic link itself (lstat), so a link to a 100 MB file would pass a size limit with the
    /// link's own size and a link to a 0600 key would show the link's 0777. The limits and the
    /// key check must judge what will actually be read.
    static func fileStatus(_ path: String) -> (size: Int, permissions: Int)? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return (Int(st.st_size), Int(st.st_mode) & 0o7777)
    }

    /// Reads a private key file, refusing one that group or others may read or write.
    ///
    /// Why, as ssh does for identity files: a signing key that other accounts can read is as good
    /// as published (anyone who copies it can sign attestations in the firm's name), and one they
    /// can write can be swapped for theirs. Refusing, rather than warning, makes the mistake
    /// impossible to overlook; `keygen` writes keys with mode 0600, so only keys copied or created
    /// by other means can trip it. Through a symbolic link, the target's mode is what counts.
    static func privateKeyText(_ path: String) throws(Failure) -> String {
        guard let status = fileStatus(path) else { throw Failure(description: "key \(path): no such file or not readable") }
        if status.permissions & 0o077 != 0 {
            let octal = String(status.permissions, radix: 8)
            let mode = String(repeating: "0", count: max(0, 4 - octal.count)) + octal
            throw Failure(description: "key \(path): permissions \(mode) are too open: a private key must not be "
                          + "accessible by group or others; run `chmod 600 \(path)`")
        }
        return try text(path, what: "key")
    }
}
