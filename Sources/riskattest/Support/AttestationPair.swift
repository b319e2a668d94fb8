#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Attestation
import SystemCrypto

/// Why `prove` will not, or could not, write its output pair. Every case names the files.
enum AttestationPairError: Error, CustomStringConvertible {
    /// The output directory does not accept new files (checked before proving).
    case notWritable(directory: String, reason: String)
    /// FILE or FILE.openings exists but is not a regular file.
    case notARegularFile(path: String)
    /// FILE.openings exists and is not the openings of the attestation at FILE: replacing it
    /// would destroy the only openings of some other attestation.
    case foreignOpenings(openings: String, attestation: String, detail: String)
    case io(AtomicFileError)

    var description: String {
        switch self {
        case .notWritable(let d, let r): return "cannot write to the output directory \(d): \(r) (checked before proving)"
        case .notARegularFile(let p): return "\(p) exists and is not a regular file"
        case .foreignOpenings(let o, let a, let d):
            return "\(o) does not belong to \(a): \(d). Replacing it would lose the only openings of that attestation; "
                + "move it away, choose another --out, or pass --force to overwrite it"
        case .io(let e): return e.description
        }
    }
}

/// The crash-safe update of `prove`'s output pair: the attestation `FILE` and its openings
/// `FILE.openings` (SPEC.md §15.2).
///
/// Two renames cannot be one atomic step, so the openings file is made to cover both
/// attestations while the pair changes (`OpeningsFile.previous`):
///
/// 1. `preflight` (before the expensive proof): the directory accepts new files, stale temp files
///    of ours are removed, and an existing `FILE.openings` belongs to the attestation at `FILE`
///    (else it is refused without `--force`).
/// 2. `commit`: write both new files to temp names in the same directory and fsync them; rename
///    the openings — new set plus the old attestation's set as `previous` — over `FILE.openings`;
///    fsync the directory; rename the attestation over `FILE` (the commit point); fsync the
///    directory; finally replace `FILE.openings` once more without `previous`.
///
/// A kill at any instant leaves at `FILE` either the old or the new attestation, and beside it an
/// openings file holding that attestation's set: (old, old) → (old, old+new) → (new, old+new) →
/// (new, new). `disclose` picks the set by the attestation's hash and reports a mismatch naming
/// both files.
struct AttestationPair {
    let attestationPath: String
    let force: Bool
    var openingsPath: String { attestationPath + ".openings" }

    /// What an existing pair contributes to the update: the openings of the attestation now at
    /// `FILE`, carried as `previous` until the new attestation is in place.
    struct Existing { var carried: OpeningsFile? }

    /// Checks made before proving, so that an unusable `--out` costs nothing.
    func preflight() throws(AttestationPairError) -> Existing {
        let dir = AtomicFile.split(attestationPath).dir
        // Probe by creating (and removing) one of our temp files: access(2) would miss a read-only
        // mount, a full inode table or an ACL.
        do {
            let probe = try AtomicFile.createTemp(for: attestationPath)
            close(probe.fd)
            unlink(probe.path)
        } catch {
            let reason = strerror(error.code).map { String(cString: $0) } ?? "error \(error.code)"
            throw .notWritable(directory: dir, reason: reason)
        }
        // A directory (or device, socket…) at FILE would only fail at the final rename.
        for path in [attestationPath, openingsPath] {
            var st = stat()
            if lstat(path, &st) == 0, (st.st_mode & S_IFMT) != S_IFREG { throw .notARegularFile(path: path) }
        }
        AtomicFile.removeStaleTemps(for: attestationPath)
        AtomicFile.removeStaleTemps(for: openingsPath)
        return try existing()
    }

    /// Reads the current pair (again at commit time: it may have changed during proving).
    func existing() throws(AttestationPairError) -> Existing {
        guard let openingsBytes = try Self.readRegular(openingsPath) else { return Existing(carried: nil) }
        let attestationBytes = try Self.readRegular(attestationPath)
        let openings: OpeningsFile
        do { openings = try OpeningsFile.parse(openingsBytes) } catch {
            if force { return Existing(carried: nil) }
            throw .foreignOpenings(openings: openingsPath, attestation: attestationPath,
                                   detail: "it is not a readable openings file (\(error))")
        }
        guard let attestationBytes else {
            if force { return Existing(carried: nil) }
            throw .foreignOpenings(openings: openingsPath, attestation: attestationPath,
                                   detail: "it holds the openings of attestation \(Self.hashes(openings)), and \(attestationPath) does not exist "
                                       + "(left by an interrupted prove, or the attestation was moved)")
        }
        let hash = Digest.sha256.hash(attestationBytes)
        if let set = openings.set(forAttestationHash: hash) { return Existing(carried: set) }
        if force { return Existing(carried: nil) }
        throw .foreignOpenings(openings: openingsPath, attestation: attestationPath,
                               detail: "it holds the openings of attestation \(Self.hashes(openings)), "
                                   + "while \(attestationPath) has SHA-256 \(Hex.encode(hash))")
    }

    /// Installs the new pair (steps in the type's comment). On failure, temp files are removed and
    /// the pair on disk is still a consistent old or new pair.
    func commit(attestation bytes: [UInt8], openings: OpeningsFile) throws(AttestationPairError) {
        let carried = try existing().carried
        let transitional: OpeningsFile
        do { transitional = try openings.carrying(previous: carried.flatMap { $0.attestationHash == openings.attestationHash ? nil : $0 }) }
        catch { throw .io(AtomicFileError(path: openingsPath, operation: "assembling the openings (\(error))", code: EINVAL)) }

        var pending: [String] = []
        defer { for p in pending { unlink(p) } }
        do {
            let tempOpenings = try AtomicFile.prepare(transitional.json(), for: openingsPath, mode: 0o600)
            pending.append(tempOpenings)
            let tempAttestation = try AtomicFile.prepare(bytes, for: attestationPath, mode: 0o644)
            pending.append(tempAttestation)

            pending.removeAll { $0 == tempOpenings }
            try AtomicFile.install(tempOpenings, at: openingsPath)
            AtomicFile.syncDirectory(of: openingsPath)

            pending.removeAll { $0 == tempAttestation }
            try AtomicFile.install(tempAttestation, at: attestationPath)
            AtomicFile.syncDirectory(of: attestationPath)

            if transitional.previous != nil {
                try AtomicFile.write(openings.withoutPrevious.json(), to: openingsPath, mode: 0o600)
            }
        } catch {
            throw .io(error)
        }
    }

    /// The file's bytes, nil when it does not exist; an error when it exists but is not a
    /// regular file or cannot be read.
    static func readRegular(_ path: String) throws(AttestationPairError) -> [UInt8]? {
        var st = stat()
        guard lstat(path, &st) == 0 else {
            if errno == ENOENT { return nil }
            throw .io(AtomicFileError(path: path, operation: "lstat", code: errno))
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw .notARegularFile(path: path) }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .io(AtomicFileError(path: path, operation: "open for reading", code: errno)) }
        defer { close(fd) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(AtomicFileError(path: path, operation: "read", code: errno))
            }
            if n == 0 { return out }
            out.append(contentsOf: buf[0..<n])
            if out.count > OpeningsFile.maxBytes { throw .io(AtomicFileError(path: path, operation: "read (file over 64 MiB)", code: EFBIG)) }
        }
    }

    private static func hashes(_ o: OpeningsFile) -> String {
        o.attestationHashes.map(Hex.encode).joined(separator: " and ")
    }
}

/// `disclose`'s reading of a pair: the openings set that belongs to the attestation, or an error
/// that names both files and both hashes (a mismatched pair is reported, never used).
enum PairCheck {
    static func openings(_ file: OpeningsFile, path openingsPath: String, for a: AttestationV1,
                         attestationPath: String) throws(CLI.Failure) -> OpeningsFile {
        guard file.set(forAttestationHash: a.hash) != nil else {
            throw CLI.Failure(description:
                "\(openingsPath) does not belong to \(attestationPath): the openings are for attestation "
                + file.attestationHashes.map(Hex.encode).joined(separator: " and ")
                + ", \(attestationPath) has SHA-256 \(Hex.encode(a.hash)) (a different attestation, or a pair from an interrupted prove)")
        }
        do { return try file.openings(for: a) } catch {
            throw CLI.Failure(description: "\(openingsPath) and \(attestationPath): \(error)")
        }
    }
}
