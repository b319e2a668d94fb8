#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// write(2), named apart from `AtomicFile.write`.
private func systemWrite(_ fd: Int32, _ buf: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, buf, count)
    #else
    return Darwin.write(fd, buf, count)
    #endif
}

/// Why a file could not be written. The path and the failing system call are named.
struct AtomicFileError: Error, CustomStringConvertible {
    let path: String
    let operation: String
    let code: Int32

    var description: String {
        let reason = strerror(code).map { String(cString: $0) } ?? "error \(code)"
        return "cannot write \(path): \(operation) failed: \(reason)"
    }
}

/// Crash-safe file output: readers see either the old file or the complete new one, never a
/// partial write.
///
/// Steps: create a temp file next to the target (same directory ⇒ same filesystem, so rename(2)
/// is atomic) with O_EXCL and the final mode already applied (fchmod, so a secret key is never
/// readable by others, not even briefly); write everything; fsync the data; rename over the
/// target; fsync the directory so the rename itself survives a crash. On any failure the temp
/// file is removed.
enum AtomicFile {
    static func write(_ bytes: [UInt8], to path: String, mode: UInt16 = 0o644) throws {
        let dir: String
        let base: String
        if let slash = path.lastIndex(of: "/") {
            dir = slash == path.startIndex ? "/" : String(path[..<slash])
            base = String(path[path.index(after: slash)...])
        } else {
            dir = "."
            base = path
        }
        guard !base.isEmpty else { throw AtomicFileError(path: path, operation: "path has no file name", code: EISDIR) }

        var fd: Int32 = -1
        var tempPath = ""
        for _ in 0..<16 {
            let suffix = (0..<8).map { _ in String("abcdefghijklmnopqrstuvwxyz0123456789".randomElement() ?? "x") }.joined()
            tempPath = (dir.hasSuffix("/") ? dir : dir + "/") + ".\(base).tmp-\(suffix)"
            fd = open(tempPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(0o600))
            if fd >= 0 || errno != EEXIST { break }
        }
        guard fd >= 0 else { throw AtomicFileError(path: path, operation: "creating a temporary file", code: errno) }

        func fail(_ operation: String) -> AtomicFileError {
            let code = errno
            close(fd)
            unlink(tempPath)
            return AtomicFileError(path: path, operation: operation, code: code)
        }

        guard fchmod(fd, mode_t(mode)) == 0 else { throw fail("fchmod") }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { buf -> Int in
                guard let base = buf.baseAddress else { return 0 }
                return systemWrite(fd, base + written, bytes.count - written)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw fail("write")
            }
            written += n
        }
        guard fsync(fd) == 0 else { throw fail("fsync") }
        guard close(fd) == 0 else {
            let code = errno
            unlink(tempPath)
            throw AtomicFileError(path: path, operation: "close", code: code)
        }
        guard rename(tempPath, path) == 0 else {
            let code = errno
            unlink(tempPath)
            throw AtomicFileError(path: path, operation: "rename", code: code)
        }
        // Best effort: persist the directory entry. Failure here does not undo a completed rename.
        let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 { _ = fsync(dfd); close(dfd) }
    }
}
