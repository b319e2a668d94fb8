import Foundation
import Ristretto255
import SystemCrypto

/// The two Pedersen bases: `C = v·B + r·B̃`.
///
/// B is the ristretto255 base point; B̃ = map(SHA3-512(encoding of B)) with the RFC 9496 map from
/// 64 uniform bytes, exactly as the Rust `bulletproofs` crate derives `PedersenGens::default()`.
/// Because B̃ is a hash output, nobody knows log_B(B̃), so the commitment is binding; r uniform makes
/// it perfectly hiding.
public struct PedersenGens: Sendable {
    public let B: RistrettoPoint
    public let blindingBase: RistrettoPoint
    /// Constant-time fixed-base tables (the values and blindings committed to are secrets).
    let bTable: FixedBaseTable
    let blindingTable: FixedBaseTable

    /// The generators every riskattest proof uses (and the Rust crate's default).
    public static let standard: PedersenGens = {
        let b = RistrettoPoint.generator
        let bt = RistrettoPoint.fromUniformBytes(Digest.sha3_512.hash(b.compressed()))
        return PedersenGens(B: b, blindingBase: bt, bTable: FixedBaseTable.generatorTable,
                            blindingTable: FixedBaseTable(base: bt))
    }()

    /// `value·B + blinding·B̃`, both multiplications constant time.
    public func commit(value: Scalar, blinding: Scalar) -> RistrettoPoint {
        bTable.mul(value) + blindingTable.mul(blinding)
    }
}

/// The vector generators G_i, H_i of the Bulletproofs inner-product argument.
///
/// Party j's chain for G is the output of SHAKE256("GeneratorsChain" || "G" || LE32(j)), cut into
/// 64-byte blocks, each mapped to the group; H likewise with "H". An aggregated proof over m values
/// of n bits uses party 0's first n generators, then party 1's first n, and so on. The chains are
/// prefix-consistent, so capacities only decide how far each stream is read; all chains are cached
/// process-wide (building n = 64, m = 32 costs tens of milliseconds).
public struct BulletproofGens: Sendable {
    public let gensCapacity: Int
    public let partyCapacity: Int
    /// `G[j][i]`, `H[j][i]`: party j, generator i < gensCapacity.
    public let G: [[RistrettoPoint]]
    public let H: [[RistrettoPoint]]

    public init(gensCapacity: Int, partyCapacity: Int) {
        self.gensCapacity = max(0, gensCapacity)
        self.partyCapacity = max(0, partyCapacity)
        var g: [[RistrettoPoint]] = [], h: [[RistrettoPoint]] = []
        for j in 0..<self.partyCapacity {
            let (gj, hj) = GeneratorCache.shared.party(j, count: self.gensCapacity)
            g.append(gj); h.append(hj)
        }
        G = g; H = h
    }

    /// The first `count` points of one party's chain for `letter` ("G" or "H"), computed afresh.
    static func chain(letter: UInt8, party: UInt32, count: Int) -> [RistrettoPoint] {
        let label: [UInt8] = [letter, UInt8(truncatingIfNeeded: party), UInt8(truncatingIfNeeded: party >> 8),
                              UInt8(truncatingIfNeeded: party >> 16), UInt8(truncatingIfNeeded: party >> 24)]
        let stream = Digest.shake256.hash([Array("GeneratorsChain".utf8), label], outputLength: 64 * count)
        // The stream is sequential; the maps (one field inversion-square-root each) are not.
        return Parallel.map(count: count, minChunk: 256) { r -> [RistrettoPoint] in
            r.map { k in RistrettoPoint.fromUniformBytes(Array(stream[(64 * k)..<(64 * k + 64)])) }
        }.flatMap { $0 }
    }
}

/// Process-wide cache of generator chains (per party) and of the flattened G(n, m), H(n, m)
/// vectors used by proofs. Guarded by a lock; entries are immutable arrays once stored.
final class GeneratorCache: @unchecked Sendable {
    static let shared = GeneratorCache()
    private let lock = NSLock()
    private var parties: [Int: (G: [RistrettoPoint], H: [RistrettoPoint])] = [:]
    private var flat: [Int: (G: [RistrettoPoint], H: [RistrettoPoint])] = [:]   // key n·2^32 + m
    private var tables: [Int: any StaticPointsMSM] = [:]
    private var requests: [Int: Int] = [:]
    private var tableBytes = 0

    /// Memory all precomputed tables of a process may hold together. A process that works with
    /// many statement shapes (each (n, m) has its own tables, up to ~11 MB) stops building new
    /// ones at this point and uses Pippenger for the rest, rather than growing without bound.
    static let defaultTableBudget = 96 << 20
    let tableBudget: Int

    /// Memory the prover's constant-time generator tables may hold together (1,536 bytes per
    /// generator, so 96 MiB serve 65,000 generators: the attestation benchmark's three shapes,
    /// n·m = 16,384 + 4,096 + 512, take 64 MB). Beyond it the prover uses per-call
    /// constant-time tables, which are slower but equally constant time.
    static let defaultConstantTimeBudget = 96 << 20
    let constantTimeBudget: Int
    private var ctTables: [Int: ConstantTimePointTables] = [:]
    private var ctTableBytes = 0

    init(tableBudget: Int = GeneratorCache.defaultTableBudget,
         constantTimeBudget: Int = GeneratorCache.defaultConstantTimeBudget) {
        self.tableBudget = tableBudget
        self.constantTimeBudget = constantTimeBudget
    }

    /// Largest n·m served by interleaved (Straus) tables, `VartimePrecomputedMSM`: cheap to build
    /// and the fastest choice for small statements. Width-8 NAF tables (64 affine points, 7.5 KiB
    /// per generator: ~1 MB for n·m = 64, inside this machine's 2 MiB L2) measured 10–15 % faster
    /// than width 6 or 7 for (64, 1) and (32, 1) proofs and verifications. Above this size the
    /// table scans become memory-bound (~19 ms against ~7 ms for Pippenger at 1,026 terms).
    static let maxPrecomputed = 128
    /// NAF width of those Straus tables (2^(w−2) odd multiples per point).
    static let strausWidth = 8

    /// Largest n·m served by window-shifted tables, `VartimeFixedBaseMSM` (one bucket pass, no
    /// doublings): ~1.6× faster than Pippenger at 1,026 terms, but ~25 ms to build per 1,000
    /// generators and 2.5–3 KiB per generator, so n·m = 2048 (4,098 points) is capped at ~11 MB.
    static let maxFixedBase = 2048

    /// Precomputed tables over [G(n, m)…, H(n, m)…, B, B̃] for repeated variable-time
    /// multiscalar multiplications over public scalars (the verifier's equation), or nil when
    /// none pays off. The prover never uses these: its scalars are secret
    /// (`constantTimeTables`).
    ///
    /// Small statements (n·m ≤ `maxPrecomputed`) always get Straus tables. Medium ones
    /// (≤ `maxFixedBase`) get window-shifted tables from the *second* request for the same (n, m)
    /// on: the build costs several verifications' worth of time, which a one-shot command
    /// verifying a single proof should not pay, while a process that proves or verifies a shape
    /// twice will likely do so again. `prepare(n:m:)` builds them at once.
    func tables(n: Int, m: Int) -> (any StaticPointsMSM)? {
        let nm = n * m
        guard nm >= 1, nm <= GeneratorCache.maxFixedBase else { return nil }
        let key = (n << 32) | m
        lock.lock()
        let seen = requests[key, default: 0]
        requests[key] = seen + 1
        lock.unlock()
        if nm > GeneratorCache.maxPrecomputed && seen == 0 { return nil }
        return prepare(n: n, m: m)
    }

    /// Table memory for (n, m): 2nm + 2 points × entries per point × 120 bytes.
    static func tableBytes(n: Int, m: Int) -> Int {
        let points = 2 * n * m + 2
        let perPoint = n * m <= maxPrecomputed
            ? 1 << (strausWidth - 2) : Scalar.radix2wDigitCount(VartimeFixedBaseMSM.bestWindow(forTerms: points))
        return points * perPoint * VartimeFixedBaseMSM.entryBytes
    }

    /// Whether tables for (n, m) have been built in this process.
    func hasTables(n: Int, m: Int) -> Bool {
        lock.lock(); defer { lock.unlock() }
        return tables[(n << 32) | m] != nil
    }

    /// Builds (or returns) the tables for (n, m) regardless of how often they were requested;
    /// nil when n·m exceeds `maxFixedBase` or the tables would exceed `tableBudget`.
    @discardableResult
    func prepare(n: Int, m: Int) -> (any StaticPointsMSM)? {
        guard n >= 1, m >= 1, n * m <= GeneratorCache.maxFixedBase else { return nil }
        lock.lock()
        if let t = tables[(n << 32) | m] { lock.unlock(); return t }
        lock.unlock()
        return build(n: n, m: m)
    }

    private func build(n: Int, m: Int) -> (any StaticPointsMSM)? {
        let bytes = GeneratorCache.tableBytes(n: n, m: m)
        lock.lock()
        let fits = tableBytes + bytes <= tableBudget
        if fits { tableBytes += bytes }        // reserved now, so racing builders cannot overshoot
        lock.unlock()
        guard fits else { return nil }
        let (g, h) = flattened(n: n, m: m)
        let pc = PedersenGens.standard
        let points = g + h + [pc.B, pc.blindingBase]
        let t: any StaticPointsMSM = n * m <= GeneratorCache.maxPrecomputed
            ? VartimePrecomputedMSM(points: points, width: GeneratorCache.strausWidth)
            : VartimeFixedBaseMSM(points: points)
        lock.lock()
        if let existing = tables[(n << 32) | m] {   // another thread built it meanwhile
            tableBytes -= bytes
            lock.unlock()
            return existing
        }
        tables[(n << 32) | m] = t
        lock.unlock()
        return t
    }

    /// Constant-time tables over [G(n, m)…, H(n, m)…] for the prover's multiscalar
    /// multiplications with secret scalars (the S commitment and the lazy inner-product rounds),
    /// built at the first request for a shape; nil when they would push the process's
    /// constant-time tables past `constantTimeBudget` (the prover then builds per-call tables).
    ///
    /// Unlike the verifier's tables these are built on first use: one proof of n·m bits makes
    /// 2 + 2·`RangeProof.hybridLazyRounds` = 8 passes over the 2nm generators, and a per-call
    /// table costs about as much to build as the cached one (7 additions per point), so the
    /// cached build has paid for itself before the first proof ends. 1,536 bytes per generator:
    /// 50 MB for n·m = 16,384.
    func constantTimeTables(n: Int, m: Int) -> ConstantTimePointTables? {
        guard n >= 1, m >= 1 else { return nil }
        let key = (n << 32) | m
        lock.lock()
        if let t = ctTables[key] { lock.unlock(); return t }
        let bytes = 2 * n * m * ConstantTimePointTables.bytesPerPoint
        let fits = ctTableBytes + bytes <= constantTimeBudget
        if fits { ctTableBytes += bytes }        // reserved now, so racing builders cannot overshoot
        lock.unlock()
        guard fits else { return nil }
        let (g, h) = flattened(n: n, m: m)
        let t = ConstantTimePointTables(points: g + h)
        lock.lock()
        defer { lock.unlock() }
        if let existing = ctTables[key] { ctTableBytes -= bytes; return existing }
        ctTables[key] = t
        return t
    }

    /// Party j's first `count` G and H generators (extends the cached chains when needed).
    func party(_ j: Int, count: Int) -> ([RistrettoPoint], [RistrettoPoint]) {
        lock.lock()
        if let e = parties[j], e.G.count >= count {
            lock.unlock()
            return (Array(e.G.prefix(count)), Array(e.H.prefix(count)))
        }
        lock.unlock()
        // Compute outside the lock (pure function of (j, count)); another thread may race us
        // to the same result, which is harmless.
        let want = count
        let g = BulletproofGens.chain(letter: UInt8(ascii: "G"), party: UInt32(truncatingIfNeeded: j), count: want)
        let h = BulletproofGens.chain(letter: UInt8(ascii: "H"), party: UInt32(truncatingIfNeeded: j), count: want)
        lock.lock()
        if (parties[j]?.G.count ?? 0) < want { parties[j] = (g, h) }
        lock.unlock()
        return (Array(g.prefix(count)), Array(h.prefix(count)))
    }

    /// G(n, m) and H(n, m): party 0's first n, then party 1's first n, …
    func flattened(n: Int, m: Int) -> (G: [RistrettoPoint], H: [RistrettoPoint]) {
        let key = (n << 32) | m
        lock.lock()
        if let e = flat[key] { lock.unlock(); return e }
        lock.unlock()
        let e = concatenated(counts: [Int](repeating: n, count: m))
        lock.lock()
        flat[key] = e
        lock.unlock()
        return e
    }

    /// Party 0's first counts[0] generators, then party 1's first counts[1], … (for G and for H).
    /// Parties whose chains are not cached yet are derived on worker threads (Parallel): each
    /// chain is an independent SHAKE256 stream, and a 512-party statement needs ~33,000 maps.
    func concatenated(counts: [Int]) -> (G: [RistrettoPoint], H: [RistrettoPoint]) {
        let perParty = Parallel.map(count: counts.count, minChunk: 16) { r in
            r.map { j in self.party(j, count: counts[j]) }
        }.flatMap { $0 }
        var g: [RistrettoPoint] = [], h: [RistrettoPoint] = []
        let total = counts.reduce(0, +)
        g.reserveCapacity(total); h.reserveCapacity(total)
        for (gj, hj) in perParty { g.append(contentsOf: gj); h.append(contentsOf: hj) }
        return (g, h)
    }
}

extension RangeProof {
    /// Builds the precomputed generator tables for proofs of `bitSize` bits over `aggregation`
    /// values now: the verifier's variable-time tables, instead of at the second verification of
    /// that shape in this process (see `GeneratorCache.tables`), and the prover's constant-time
    /// ones (`GeneratorCache.constantTimeTables`), instead of at the first proof. For long-running provers and verifiers that know their
    /// statement shapes; a no-op for shapes above the table cap (n·m > 2048), which use Pippenger.
    /// Throws for a bit size or aggregation no proof can have.
    public static func prepareTables(bitSize: Int, aggregation: Int) throws(RangeProofError) {
        try checkBitSize(bitSize)
        try checkAggregation(aggregation)
        GeneratorCache.shared.prepare(n: bitSize, m: aggregation)
        _ = GeneratorCache.shared.constantTimeTables(n: bitSize, m: aggregation)
    }
}
