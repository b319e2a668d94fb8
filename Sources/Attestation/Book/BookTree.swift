import SystemCrypto

/// The salted Merkle tree committing to the book: one leaf per witness member (every instrument
/// of the universe, then every collateral asset, then every auxiliary member such as the
/// settlement balance), so its size is fixed by the snapshot and reveals nothing about holdings.
///
/// Hashes (SHA-256, `||` concatenation, `u32` little-endian):
///
///     leaf(i)   = SHA-256("riskattest/leaf/v1"  || u32(i) || salt_i(32) || record_i.encode())
///     node(l,r) = SHA-256("riskattest/node/v1"  || l || r)
///     empty     = SHA-256("riskattest/empty/v1")
///
/// Odd levels: the leaf list is padded to the next power of two with `empty`, then paired level
/// by level. So a tree of N leaves has depth ⌈log₂ N⌉ and every path has exactly that many
/// siblings. The distinct tags separate leaves from inner nodes (no second-preimage by
/// reinterpreting a node as a leaf); the index binds each record to its member position; the
/// 32-byte random salt hides a record from anyone who could otherwise guess it (a zero position).
public struct BookTree: Sendable {
    public static let leafTag: [UInt8] = Array("riskattest/leaf/v1".utf8)
    public static let nodeTag: [UInt8] = Array("riskattest/node/v1".utf8)
    public static let emptyLeaf: [UInt8] = Digest.sha256.hash(Array("riskattest/empty/v1".utf8))
    public static let maxLeaves = 1 << 20

    public static func leafHash(index: Int, salt: [UInt8], recordEncoding: [UInt8]) -> [UInt8] {
        var idx = ByteWriter()
        idx.u32(UInt32(truncatingIfNeeded: index))
        return Digest.sha256.hash([leafTag, idx.bytes, salt, recordEncoding])
    }

    public static func leafHash(index: Int, salt: [UInt8], record: PositionRecord) -> [UInt8] {
        leafHash(index: index, salt: salt, recordEncoding: record.encode())
    }

    public static func nodeHash(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
        Digest.sha256.hash([nodeTag, left, right])
    }

    /// Depth of a tree over `leafCount` leaves: ⌈log₂ leafCount⌉ (0 for one leaf).
    public static func depth(leafCount: Int) -> Int {
        var d = 0
        while (1 << d) < leafCount { d += 1 }
        return d
    }

    /// levels[0] = padded leaves, levels.last = [root].
    private let levels: [[[UInt8]]]
    public let leafCount: Int

    /// Builds the tree over leaf hashes (32 bytes each) in member order.
    public init(leafHashes: [[UInt8]]) throws(BookTreeError) {
        guard !leafHashes.isEmpty, leafHashes.count <= Self.maxLeaves else {
            throw .invalidLeafCount(leafHashes.count)
        }
        if let bad = leafHashes.firstIndex(where: { $0.count != 32 }) { throw .invalidHashLength(index: bad) }
        var level = leafHashes
        let width = 1 << Self.depth(leafCount: leafHashes.count)
        level.append(contentsOf: repeatElement(Self.emptyLeaf, count: width - leafHashes.count))
        var levels = [level]
        while level.count > 1 {
            var next: [[UInt8]] = []
            next.reserveCapacity(level.count / 2)
            var i = 0
            while i < level.count { next.append(Self.nodeHash(level[i], level[i + 1])); i += 2 }
            levels.append(next)
            level = next
        }
        self.levels = levels
        self.leafCount = leafHashes.count
    }

    /// Builds the tree over salted records (index = position in the arrays).
    public init(salts: [[UInt8]], records: [PositionRecord]) throws(BookTreeError) {
        guard salts.count == records.count else { throw .invalidLeafCount(records.count) }
        if let bad = salts.firstIndex(where: { $0.count != 32 }) { throw .invalidSaltLength(index: bad) }
        try self.init(leafHashes: records.indices.map { Self.leafHash(index: $0, salt: salts[$0], record: records[$0]) })
    }

    public var root: [UInt8] { levels[levels.count - 1][0] }

    /// The inclusion proof for leaf `index`.
    public func path(for index: Int) throws(BookTreeError) -> MerklePath {
        guard index >= 0, index < leafCount else { throw .indexOutOfRange(index: index, leafCount: leafCount) }
        var siblings: [[UInt8]] = []
        var i = index
        for level in levels.dropLast() {
            siblings.append(level[i ^ 1])
            i >>= 1
        }
        return MerklePath(index: index, leafCount: leafCount, siblings: siblings)
    }
}

public enum BookTreeError: Error, Equatable, CustomStringConvertible {
    case invalidLeafCount(Int)
    case invalidHashLength(index: Int)
    case invalidSaltLength(index: Int)
    case indexOutOfRange(index: Int, leafCount: Int)
    case wrongPathLength(expected: Int, got: Int)

    public var description: String {
        switch self {
        case .invalidLeafCount(let n): return "book tree: \(n) leaves (need 1...\(BookTree.maxLeaves), one salt per record)"
        case .invalidHashLength(let i): return "book tree: leaf hash \(i) is not 32 bytes"
        case .invalidSaltLength(let i): return "book tree: salt \(i) is not 32 bytes"
        case .indexOutOfRange(let i, let n): return "book tree: leaf index \(i) outside 0..<\(n)"
        case .wrongPathLength(let e, let g): return "inclusion path has \(g) sibling(s), a tree of this size needs \(e)"
        }
    }
}

/// Sibling hashes from a leaf up to the root: siblings[0] is the leaf's neighbour. Bit j of the
/// index says whether the running hash is the right (1) or left (0) child at level j.
public struct MerklePath: Sendable, Equatable {
    public let index: Int
    public let leafCount: Int
    public let siblings: [[UInt8]]

    public init(index: Int, leafCount: Int, siblings: [[UInt8]]) {
        self.index = index
        self.leafCount = leafCount
        self.siblings = siblings
    }

    /// The root this path leads to from `leafHash`, after checking the path's shape.
    public func root(fromLeaf leafHash: [UInt8]) throws(BookTreeError) -> [UInt8] {
        guard leafCount >= 1, leafCount <= BookTree.maxLeaves else { throw .invalidLeafCount(leafCount) }
        guard index >= 0, index < leafCount else { throw .indexOutOfRange(index: index, leafCount: leafCount) }
        let depth = BookTree.depth(leafCount: leafCount)
        guard siblings.count == depth else { throw .wrongPathLength(expected: depth, got: siblings.count) }
        if let bad = siblings.firstIndex(where: { $0.count != 32 }) { throw .invalidHashLength(index: bad) }
        var h = leafHash
        for (j, s) in siblings.enumerated() {
            h = (index >> j) & 1 == 0 ? BookTree.nodeHash(h, s) : BookTree.nodeHash(s, h)
        }
        return h
    }

    public func verifies(leafHash: [UInt8], root: [UInt8]) -> Bool {
        guard let r = try? self.root(fromLeaf: leafHash) else { return false }
        return r == root
    }
}
