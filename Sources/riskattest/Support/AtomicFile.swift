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
///
/// Temp names are `.NAME.tmp-PID-RANDOM`: a process killed between creating and renaming one
/// leaves it behind, and the PID lets a later run tell such a stale file (its writer is gone)
/// from one another process is still writing (`removeStaleTemps`).
enum AtomicFile {
    static func write(_ bytes: [UInt8], to path: String, mode: UInt16 = 0o644) throws(AtomicFileError) {
        let temp = try prepare(bytes, for: path, mode: mode)
        try install(temp, at: path)
        syncDirectory(of: path)
    }

    /// Directory and file name of `path` (`.` for a bare name).
    static func split(_ path: String) -> (dir: String, base: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let dir = slash == path.startIndex ? "/" : String(path[..<slash])
        return (dir, String(path[path.index(after: slash)...]))
    }

    static let tempMarker = ".tmp-"

    /// Creates `.NAME.tmp-PID-RANDOM` beside `path` with O_EXCL and mode 0600.
    static func createTemp(for path: String) throws(AtomicFileError) -> (fd: Int32, path: String) {
        let (dir, base) = split(path)
        guard !base.isEmpty else { throw AtomicFileError(path: path, operation: "path has no file name", code: EISDIR) }
        let prefix = (dir.hasSuffix("/") ? dir : dir + "/") + "." + base + tempMarker + "\(getpid())-"
        var fd: Int32 = -1
        var tempPath = ""
        for _ in 0..<16 {
            let suffix = String((0..<8).map { _ in "abcdefghijklmnopqrstuvwxyz0123456789".randomElement() ?? "x" })
            tempPath = prefix + suffix
            fd = open(tempPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(0o600))
            if fd >= 0 || errno != EEXIST { break }
        }
        guard fd >= 0 else { throw AtomicFileError(path: path, operation: "creating a temporary file", code: errno) }
        return (fd, tempPath)
    }

    /// Writes `bytes` to a new temp file beside `path` with `mode`, fsyncs and closes it, and
    /// returns its path. Nothing visible under `path` changes yet.
    static func prepare(_ bytes: [UInt8], for path: String, mode: UInt16) throws(AtomicFileError) -> String {
        let (fd, tempPath) = try createTemp(for: path)
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
        return tempPath
    }

    /// Renames a prepared temp file over `path` (atomic within one directory); removes the temp
    /// file if that fails.
    static func install(_ tempPath: String, at path: String) throws(AtomicFileError) {
        guard rename(tempPath, path) == 0 else {
            let code = errno
            unlink(tempPath)
            throw AtomicFileError(path: path, operation: "rename", code: code)
        }
    }

    /// Best effort: persist the directory entries of `path`'s directory (a rename is durable only
    /// once its directory is). Failure does not undo a completed rename, so it is not reported.
    static func syncDirectory(of path: String) {
        let dfd = open(split(path).dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 { _ = fsync(dfd); close(dfd) }
    }

    /// Removes temp files of `path` left by writers that no longer run: names
    /// `.NAME.tmp-PID-RANDOM` whose PID is not a live process. Names of the older
    /// `.NAME.tmp-RANDOM` form (no PID) are removed when untouched for an hour. Returns the names
    /// removed. Only exact matches of our own pattern are touched, never other files.
    @discardableResult
    static func removeStaleTemps(for path: String, now: time_t = time(nil)) -> [String] {
        let (dir, base) = split(path)
        let prefix = "." + base + tempMarker
        guard let d = opendir(dir) else { return [] }
        defer { closedir(d) }
        var removed: [String] = []
        while let entry = readdir(d) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            guard name.hasPrefix(prefix) else { continue }
            let rest = name.dropFirst(prefix.count)
            let full = (dir.hasSuffix("/") ? dir : dir + "/") + name
            let stale: Bool
            let parts = rest.split(separator: "-", omittingEmptySubsequences: false)
            if parts.count == 2, let pid = pid_t(parts[0]), pid > 0, isRandomSuffix(parts[1]) {
                stale = kill(pid, 0) != 0 && errno == ESRCH
            } else if parts.count == 1, isRandomSuffix(parts[0]) {
                var st = stat()
                guard lstat(full, &st) == 0 else { continue }
                #if canImport(Glibc)
                let mtime = st.st_mtim.tv_sec
                #else
                let mtime = st.st_mtimespec.tv_sec
                #endif
                stale = now - mtime > 3600
            } else {
                continue
            }
            if stale, unlink(full) == 0 { removed.append(name) }
        }
        return removed
    }

    private static func isRandomSuffix(_ s: Substring) -> Bool {
        s.utf8.count == 8 && s.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) }
    }
}
