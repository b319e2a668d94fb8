import Attestation
import Bulletproofs
import Circuits
import RiskEngine
import Synchronization
import SystemCrypto

/// What a long-running verifier keeps between attestations: the parsed snapshots, compiled
/// circuits, unit-risk tables and statement systems it has built, and the Bulletproofs generators
/// of the statement shapes it has seen, prepared for the verification MSM.
///
/// Why: a one-shot `riskattest verify` spends most of its time on work that depends only on
/// public inputs shared by every attestation of a snapshot and circuit — parsing the snapshot,
/// pricing every instrument under every scenario, rebuilding the integer constraints, deriving
/// ~41,000 generators and converting them for Pippenger's method. A verification service sees
/// the same (snapshot, circuit, policy) for thousands of attestations; with a context that work
/// is done once and each attestation pays only for what is its own: decoding, the signature,
/// its slack commitments, the transcript and one multiscalar multiplication.
///
/// **Caching never changes a verdict.** Every entry is keyed by what fully determines it: the
/// SHA-256 of the snapshot bytes, the SHA-256 of the circuit source, and the policy's parameter
/// overrides sorted by name; the value is exactly what a fresh computation from those inputs
/// returns (all of it is deterministic). Nothing derived from an attestation is ever cached, so
/// a tampered attestation is checked as thoroughly as with an empty context. Failures are not
/// cached either: an unusable snapshot is re-parsed (and refused) each time.
///
/// **Memory.** Entries are evicted least-recently-used first once their estimated sizes add up
/// to more than `memoryBudget`; an entry larger than the whole budget is used for the call that
/// built it and not kept. The estimates are deliberately generous approximations of the heap
/// the values hold (see `VerifierContext.estimate`); they bound the cache, not the process. Not
/// counted: the process-wide generator chains of `Bulletproofs` (shared with the prover and every
/// context, ~160 bytes per generator).
///
/// **Threads.** All methods may be called from any thread at once (state behind a `Mutex`).
/// Values are built outside the lock, so a slow build never blocks lookups of other entries;
/// two threads missing the same entry at the same moment may both build it (identical values,
/// one is kept).
public final class VerifierContext: Sendable {
    /// 512 MiB: room for the fixed-base tables of the 256-instrument benchmark's shapes (95 MiB
    /// with 32-bit instrument witnesses, ~190 MiB with 64-bit ones) side by side, plus well under
    /// 1 MB of parsed inputs per snapshot and circuit; small next to a 24 GiB service machine.
    public static let defaultMemoryBudget = 512 << 20

    /// The largest total of estimated entry sizes kept.
    public let memoryBudget: Int

    /// Whether generator sets get fixed-base tables (when they fit half the budget) rather than
    /// prepared points; see `init`.
    public let fixedBaseTables: Bool

    private let state = Mutex(State())

    /// - Parameters:
    ///   - memoryBudget: the largest total of estimated entry sizes kept.
    ///   - fixedBaseTables: build window-shifted fixed-base tables for the generators of each
    ///     statement shape (`RangeProofBatchGenerators`), when they take at most half the budget:
    ///     a warm verification of a 256-instrument attestation gets 5–11 % faster, for 95 MiB and
    ///     ~0.5 s of building at the first attestation of a shape (or in `warm`).
    ///     Otherwise, or when false, generators are kept as prepared points (4.9 MB, nothing extra to
    ///     build). A per-call context (`Verifier.verify(_:)` without one) passes false: a one-shot
    ///     verification must not pay for tables it uses once.
    public init(memoryBudget: Int = VerifierContext.defaultMemoryBudget, fixedBaseTables: Bool = true) {
        self.memoryBudget = max(0, memoryBudget)
        self.fixedBaseTables = fixedBaseTables
    }

    /// Counters since the context was made (or since `removeAll`, for entries and bytes).
    public struct Stats: Sendable, Equatable, Codable, CustomStringConvertible {
        /// Entries held now (snapshots, circuits, unit-risk tables, statement systems, generator sets).
        public var entries: Int
        /// Sum of their estimated sizes, ≤ `memoryBudget`.
        public var estimatedBytes: Int
        /// Look-ups answered from the context.
        public var hits: Int
        /// Look-ups that had to build (a miss whose build failed counts too).
        public var misses: Int
        /// Entries dropped to stay within the budget.
        public var evictions: Int
        public var memoryBudget: Int

        public var description: String {
            "\(entries) entries, \(estimatedBytes) bytes of \(memoryBudget), \(hits) hits, \(misses) misses, \(evictions) evictions"
        }
    }

    public var stats: Stats {
        state.withLock { s in
            Stats(entries: s.entries.count, estimatedBytes: s.bytes, hits: s.hits, misses: s.misses,
                  evictions: s.evictions, memoryBudget: memoryBudget)
        }
    }

    /// Drops every entry (the hit, miss and eviction counters are kept).
    public func removeAll() {
        state.withLock { s in s.entries = [:]; s.bytes = 0 }
    }

    /// Builds everything verifying an attestation over this snapshot and circuit under this policy
    /// needs, so that the first such attestation is as fast as the later ones: the parsed snapshot,
    /// the compiled circuit, the unit-risk table, the statement system for the policy's parameters,
    /// and the prepared generators of the three range proofs (for each instrument bit size in
    /// `instrumentBits`: the prover's default is 32, `--witness-bits 64` doubles the instrument
    /// proof's generators).
    ///
    /// Throws what verification would report for these inputs (`unusableMarket`,
    /// `unusableCircuit`, `unusablePolicy`, `statement`), so a service can refuse a snapshot or
    /// circuit before accepting attestations over it.
    public func warm(marketBytes: [UInt8], circuitSource: String, policy: VerificationPolicy = VerificationPolicy(),
                     instrumentBits: [Int] = [32]) throws(VerificationFailure) {
        let marketHash = Digest.sha256.hash(marketBytes)
        let market = try self.market(hash: marketHash, bytes: marketBytes)
        let circuit = try self.circuit(source: circuitSource)
        let system = try self.system(marketHash: marketHash, market: market, circuit: circuit, params: policy.parameters)
        for bits in Set(instrumentBits) where bits == 32 || bits == 64 {
            let shapes = Verifier.proofShapes(layout: system.layout, constraintCount: system.constraints.count,
                                              instrumentBits: bits)
            _ = generators(partyBitSizes: RangeProofBatchGenerators.partyBitSizes(shapes: shapes.map { ($0.bits, $0.count) }))
        }
    }

    // MARK: - Entries

    /// The parsed snapshot whose bytes hash to `hash`.
    func market(hash: [UInt8], bytes: [UInt8]) throws(VerificationFailure) -> MarketSnapshot {
        if case .market(let m)? = lookup(.market(hash)) { return m }
        let m: MarketSnapshot
        do { m = try MarketSnapshot.parse(bytes) } catch { throw .unusableMarket("\(error)") }
        insert(.market(hash), .market(m), bytes: Self.estimate(market: m, byteCount: bytes.count))
        return m
    }

    /// The compiled circuit of `source`, with the SHA-256 of the source (the key of everything
    /// built from it).
    func circuit(source: String) throws(VerificationFailure) -> CompiledSource {
        let sourceHash = Digest.sha256.hash(Array(source.utf8))
        if case .circuit(let c)? = lookup(.circuit(sourceHash)) { return CompiledSource(circuit: c, sourceHash: sourceHash) }
        let c: Circuit
        do { c = try Circuit.compile(source: source) } catch { throw .unusableCircuit("\(error)") }
        insert(.circuit(sourceHash), .circuit(c), bytes: Self.estimate(circuitSourceBytes: source.utf8.count))
        return CompiledSource(circuit: c, sourceHash: sourceHash)
    }

    struct CompiledSource {
        var circuit: Circuit
        var sourceHash: [UInt8]
    }

    /// The statement system of (snapshot, circuit, required parameters), with the verifier's
    /// failure for each way building it can fail (SPEC §14.6 steps 6 and 8).
    func system(marketHash: [UInt8], market: MarketSnapshot, circuit: CompiledSource,
                params: [String: String]) throws(VerificationFailure) -> StatementSystem {
        let key = SystemKey(marketHash: marketHash, circuitSourceHash: circuit.sourceHash,
                            params: params.sorted { $0.key < $1.key }.map { [$0.key, $0.value] })
        if case .system(let s)? = lookup(.system(key)) { return s }
        do {
            let units: UnitRiskTable
            if case .units(let u)? = lookup(.units(marketHash)) {
                units = u
            } else {
                units = try UnitRiskTable(market: market)
                insert(.units(marketHash), .units(units), bytes: Self.estimate(units: units, market: market))
            }
            let s = try StatementSystem(market: market, units: units, circuit: circuit.circuit, params: params)
            insert(.system(key), .system(s), bytes: Self.estimate(system: s))
            return s
        } catch let e as StatementError {
            if case .unknownParameter = e { throw .unusablePolicy(e.description) }
            if case .invalidParameterValue = e { throw .unusablePolicy(e.description) }
            throw .statement(e.description)
        } catch { throw .unusableMarket("\(error)") }
    }

    /// The prepared generators of a batch whose party bit sizes are `partyBitSizes`.
    func generators(partyBitSizes: [Int]) -> RangeProofBatchGenerators {
        if case .generators(let g)? = lookup(.generators(partyBitSizes)) { return g }
        let tables = fixedBaseTables && RangeProofBatchGenerators.estimatedBytes(
            partyBitSizes: partyBitSizes, fixedBaseTables: true) <= memoryBudget / 2
        let g = RangeProofBatchGenerators(partyBitSizes: partyBitSizes, fixedBaseTables: tables)
        insert(.generators(partyBitSizes), .generators(g), bytes: g.byteCount + 64)
        return g
    }

    // MARK: - Size estimates

    /// A parsed snapshot: its structs and strings are about the size of the JSON they came from
    /// (numbers shrink from text to 8 bytes, strings and dictionaries add headers); twice the
    /// text errs on the large side.
    static func estimate(market: MarketSnapshot, byteCount: Int) -> Int {
        2 * byteCount + 256 * (market.instruments.count + market.scenarios.count) + 4096
    }

    /// A compiled circuit: a few terms per source line, each well under the line's own length
    /// times four.
    static func estimate(circuitSourceBytes: Int) -> Int { 4 * circuitSourceBytes + 4096 }

    /// A unit-risk table: per member ~15 doubles and two per-scenario rows (value and liability),
    /// per instrument a pricing model and one σ√T per scenario.
    static func estimate(units: UnitRiskTable, market: MarketSnapshot) -> Int {
        let s = market.scenarios.count
        let members = units.instruments.count + units.collateral.count
        return members * (256 + 16 * s) + units.instruments.count * (192 + 8 * s) + 16 * s * market.underlyings.count + 1024
    }

    /// A statement system: 16 bytes per coefficient, the statement texts, the layout's roles.
    static func estimate(system: StatementSystem) -> Int {
        var b = 1024 + 64 * system.layout.count
        for c in system.constraints { b += 16 * (c.plus.count + c.minus.count) + c.text.utf8.count + 96 }
        for p in system.parameters { b += p.name.utf8.count + p.value.utf8.count + 64 }
        return b
    }

    // MARK: - The LRU map

    struct SystemKey: Hashable, Sendable {
        var marketHash: [UInt8]
        var circuitSourceHash: [UInt8]
        /// [name, value] pairs sorted by name: the policy's overrides, as given.
        var params: [[String]]
    }

    enum Key: Hashable, Sendable {
        /// SHA-256 of the snapshot bytes.
        case market([UInt8])
        /// SHA-256 of the circuit source (UTF-8). The source, not the circuit hash: the reports
        /// quote each statement's source line and text, which the canonical encoding omits.
        case circuit([UInt8])
        /// SHA-256 of the snapshot bytes.
        case units([UInt8])
        case system(SystemKey)
        /// Party bit sizes of the batch (`RangeProofBatchGenerators.partyBitSizes`).
        case generators([Int])
    }

    enum Value: Sendable {
        case market(MarketSnapshot)
        case circuit(Circuit)
        case units(UnitRiskTable)
        case system(StatementSystem)
        case generators(RangeProofBatchGenerators)
    }

    struct Entry: Sendable {
        var value: Value
        var bytes: Int
        var lastUse: UInt64
    }

    struct State: Sendable {
        var entries: [Key: Entry] = [:]
        var bytes = 0
        /// Logical time of the last use, for least-recently-used eviction.
        var clock: UInt64 = 0
        var hits = 0
        var misses = 0
        var evictions = 0
    }

    private func lookup(_ key: Key) -> Value? {
        state.withLock { s -> Value? in
            guard var e = s.entries[key] else { s.misses += 1; return nil }
            s.clock += 1
            e.lastUse = s.clock
            s.entries[key] = e
            s.hits += 1
            return e.value
        }
    }

    /// Stores a value, then evicts least-recently-used entries until the total fits the budget.
    /// A value larger than the whole budget is not stored (it would only evict everything else).
    private func insert(_ key: Key, _ value: Value, bytes: Int) {
        let budget = memoryBudget
        guard bytes <= budget else { return }
        state.withLock { s in
            s.clock += 1
            if let old = s.entries[key] { s.bytes -= old.bytes }   // built by another thread meanwhile: same value
            s.entries[key] = Entry(value: value, bytes: bytes, lastUse: s.clock)
            s.bytes += bytes
            while s.bytes > budget {
                // The entry just stored has the newest use, so it is never the one evicted here
                // while anything else remains (and it fits the budget on its own).
                guard let victim = s.entries.min(by: { $0.value.lastUse < $1.value.lastUse }) else { break }
                s.entries[victim.key] = nil
                s.bytes -= victim.value.bytes
                s.evictions += 1
            }
        }
    }
}
