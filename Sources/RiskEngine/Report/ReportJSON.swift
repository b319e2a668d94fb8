import Foundation   // JSONEncoder, once per distinct key name, to convert it to snake_case exactly as it does.

// A streaming writer for the metrics report's JSON.
//
// Why not JSONEncoder: on a book at the 100,000-position limit it spent ~2 s of CPU and ~330 MB on
// an 81 MB document — it builds a tree of boxed values for the whole report, converts every key
// of every object to snake_case again (Unicode scalar set lookups, lowercasing), sorts each
// object's dictionary, and only then serialises into a second buffer. The output format is part
// of the tool's interface (SPEC.md §7, tests compare bytes), so this writer reproduces exactly
// what `JSONEncoder` with `[.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]` and
// `.convertToSnakeCase` produces (swift-foundation's JSONWriter: two-space indent, `" : "`,
// keys sorted by their UTF-8 bytes, `Double.description` without a trailing `.0`, the same string
// escapes), while:
// - converting each distinct key once (through JSONEncoder itself, so the conversion cannot drift);
// - writing arrays element by element as they are encoded, and an object's members as soon as
//   the object is complete (sorting needs all of its keys), so memory stays proportional to one
//   element, not to the document;
// - handing the bytes to a sink in chunks (the CLI writes them to stdout).
// Tests compare its output with JSONEncoder's on several reports (ReportJSONTests).

/// Where the bytes go: `flush` receives chunks of about `chunkSize` bytes, in order.
final class JSONByteSink {
    var bytes: [UInt8] = []
    let chunkSize: Int
    let flush: (([UInt8]) throws -> Void)?

    init(chunkSize: Int, flush: (([UInt8]) throws -> Void)?) {
        self.chunkSize = chunkSize
        self.flush = flush
        bytes.reserveCapacity(flush == nil ? 1 << 16 : chunkSize + 4096)
    }

    @inline(__always) func append(_ b: UInt8) { bytes.append(b) }
    @inline(__always) func append(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }
    @inline(__always) func append(_ b: [UInt8]) { bytes.append(contentsOf: b) }
    func append(ascii s: String) {
        var s = s
        s.withUTF8 { bytes.append(contentsOf: $0) }
    }

    func maybeFlush() throws {
        guard let flush, bytes.count >= chunkSize else { return }
        try flush(bytes)
        bytes.removeAll(keepingCapacity: true)
    }

    func finish() throws {
        guard let flush, !bytes.isEmpty else { return }
        try flush(bytes)
        bytes.removeAll()
    }
}

/// The pretty-printed, key-sorted, snake_case JSON writer (see the file comment).
final class SortedJSONWriter {
    let out: JSONByteSink
    private(set) var indent = 0
    /// A converted key: its bytes (the sort order) and its `"converted_key" : ` prefix.
    final class Key {
        let sortBytes: [UInt8]
        let prefix: [UInt8]
        init(sortBytes: [UInt8], prefix: [UInt8]) { self.sortBytes = sortBytes; self.prefix = prefix }
    }
    private var keys: [String: Key] = [:]

    init(out: JSONByteSink) { self.out = out }

    /// Writes one value at the current position.
    func write<T: Encodable>(_ value: T) throws {
        let encoder = StreamingEncoder(writer: self, streaming: true)
        try value.encode(to: encoder)
        try encoder.finish()
    }

    // MARK: layout

    func writeIndent() {
        for _ in 0..<indent { out.append("  ") }
    }

    func openArray() { out.append("[\n"); indent += 1 }
    func arrayElementPrefix(first: Bool) {
        if !first { out.append(",\n") }
        writeIndent()
    }
    func closeArray() throws {
        out.append(0x0A); indent -= 1; writeIndent(); out.append(0x5D)
        try out.maybeFlush()
    }

    /// An object from its members, sorted by key bytes as JSONEncoder's `.sortedKeys` does.
    func writeObject(_ members: [(key: Key, item: Item)]) throws {
        out.append("{\n")
        indent += 1
        if !members.isEmpty { writeIndent() }
        for (k, i) in order(of: members).enumerated() {
            if k > 0 { out.append(",\n"); writeIndent() }
            out.append(members[i].key.prefix)
            try write(item: members[i].item)
        }
        out.append(0x0A); indent -= 1; writeIndent(); out.append(0x7D)
    }

    /// Sorted member order per sequence of keys. Every object of one type lists the same keys in
    /// the same order, so sorting once per distinct sequence (not once per object: moving the
    /// members around cost more than the rest of the writer) is enough. Bounded in case a
    /// value produces ever new key sets.
    private var orders: [[ObjectIdentifier]: [Int]] = [:]

    /// Member indices in UTF-8 order of their converted keys (`.sortedKeys`).
    func order(of members: [(key: Key, item: Item)]) -> [Int] {
        if members.count < 2 { return Array(members.indices) }
        let ids = members.map { ObjectIdentifier($0.key) }
        if let o = orders[ids] { return o }
        let o = members.indices.sorted { members[$0].key.sortBytes.lexicographicallyPrecedes(members[$1].key.sortBytes) }
        if orders.count < 4096 { orders[ids] = o }
        return o
    }

    /// The converted key for a coding key name, converted once per distinct name.
    func key(_ name: String) -> Key {
        if let k = keys[name] { return k }
        let converted = Self.snakeCase(name)
        let tmp = JSONByteSink(chunkSize: 0, flush: nil)
        Self.writeString(converted, to: tmp)
        tmp.append(" : ")
        let k = Key(sortBytes: Array(converted.utf8), prefix: tmp.bytes)
        keys[name] = k
        return k
    }

    /// Exactly JSONEncoder's `.convertToSnakeCase` of `name`: asked of JSONEncoder itself.
    static func snakeCase(_ name: String) -> String {
        struct Key: CodingKey {
            var stringValue: String
            init(stringValue: String) { self.stringValue = stringValue }
            var intValue: Int? { nil }
            init?(intValue: Int) { nil }
        }
        struct Probe: Encodable {
            let name: String
            func encode(to encoder: Encoder) throws {
                var c = encoder.container(keyedBy: Key.self)
                try c.encode(0, forKey: Key(stringValue: name))
            }
        }
        let enc = JSONEncoder()
        enc.keyEncodingStrategy = .convertToSnakeCase
        guard let data = try? enc.encode(Probe(name: name)),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              object.count == 1, let key = object.keys.first else { return name }
        return key
    }

    // MARK: scalars

    /// JSONWriter's string escapes (slashes not escaped).
    static func writeString(_ s: String, to out: JSONByteSink) {
        // Ids and names from the input files may hold DEL, C1 or bidi characters, which JSON
        // allows raw but a terminal obeys: such strings take the slow path through
        // `UntrustedText.jsonSafe` (\u escapes, same JSON value), as the Foundation reference does.
        if s.utf8.contains(where: { $0 == 0x7F || $0 == 0xC2 || $0 == 0xD8 || $0 == 0xE2 }) {
            let plain = JSONByteSink(chunkSize: .max, flush: nil)
            writePlainString(s, to: plain)
            out.bytes.append(contentsOf: UntrustedText.jsonSafe(plain.bytes))
            return
        }
        writePlainString(s, to: out)
    }

    static func writePlainString(_ s: String, to out: JSONByteSink) {
        out.append(0x22)
        var s = s
        s.withUTF8 { buf in
            var mark = 0
            for i in 0..<buf.count {
                let c = buf[i]
                guard c < 0x20 || c == 0x22 || c == 0x5C else { continue }
                if i > mark { out.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buf[mark..<i])) }
                mark = i + 1
                switch c {
                case 0x22: out.append("\\\"")
                case 0x5C: out.append("\\\\")
                case 0x08: out.append("\\b")
                case 0x0C: out.append("\\f")
                case 0x0A: out.append("\\n")
                case 0x0D: out.append("\\r")
                case 0x09: out.append("\\t")
                default:
                    let hex: [UInt8] = Array("0123456789abcdef".utf8)
                    out.append("\\u00")
                    out.append(hex[Int(c >> 4)]); out.append(hex[Int(c & 15)])
                }
            }
            if buf.count > mark { out.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buf[mark..<buf.count])) }
        }
        out.append(0x22)
    }

    /// JSONEncoder's number text for a finite float: `description` without a trailing ".0".
    static func floatText<F: BinaryFloatingPoint & CustomStringConvertible>(_ x: F, path: @autoclosure () -> [CodingKey]) throws -> String {
        guard x.isFinite else {
            throw EncodingError.invalidValue(x, .init(codingPath: path(), debugDescription: "Unable to encode \(F.self).\(x) directly in JSON."))
        }
        var s = x.description
        if s.hasSuffix(".0") { s.removeLast(2) }
        return s
    }

    // MARK: deferred items

    /// A value held until its object is complete (objects are written in key order).
    enum Item {
        case null
        case bool(Bool)
        case number(String)
        case string(String)
        case value(any Encodable)
        case object(ObjectStore)
        case array(ArrayStore)
        case encoder(StreamingEncoder)
    }

    final class ObjectStore { var members: [(key: Key, item: Item)] = [] }
    final class ArrayStore { var items: [Item] = [] }

    func write(item: Item) throws {
        switch item {
        case .null: out.append("null")
        case .bool(let b): b ? out.append("true") : out.append("false")
        case .number(let s): out.append(ascii: s)
        case .string(let s): Self.writeString(s, to: out)
        case .value(let v): try write(v)
        case .object(let o): try writeObject(o.members)
        case .array(let a):
            openArray()
            for (k, i) in a.items.enumerated() {
                arrayElementPrefix(first: k == 0)
                try write(item: i)
            }
            try closeArray()
        case .encoder(let e): try e.writeCaptured()
        }
    }
}

/// The `Encoder` behind `SortedJSONWriter`. In streaming mode (a value written now) an unkeyed
/// container writes each element as it arrives and a keyed container collects its members until
/// `finish()`; in capturing mode (`superEncoder`, which has no position yet) everything is
/// collected and written by `writeCaptured()`.
final class StreamingEncoder: Encoder {
    let writer: SortedJSONWriter
    let streaming: Bool
    var codingPath: [CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    enum State {
        case empty
        case keyed(SortedJSONWriter.ObjectStore)
        case streamingArray(ArrayState)
        case capturedArray(SortedJSONWriter.ArrayStore)
        case single(SortedJSONWriter.Item)
    }
    /// Elements written so far, and a nested container handed out but not yet written.
    final class ArrayState { var count = 0; var pending: SortedJSONWriter.Item?; var error: (any Error)? }
    var state: State = .empty

    init(writer: SortedJSONWriter, streaming: Bool) {
        self.writer = writer
        self.streaming = streaming
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let store: SortedJSONWriter.ObjectStore
        if case .keyed(let s) = state { store = s } else {
            store = SortedJSONWriter.ObjectStore()
            state = .keyed(store)
        }
        return KeyedEncodingContainer(KeyedContainer<Key>(writer: writer, store: store, codingPath: codingPath))
    }

    func unkeyedContainer() -> UnkeyedEncodingContainer {
        switch state {
        case .streamingArray(let a): return StreamingUnkeyed(writer: writer, state: a, codingPath: codingPath)
        case .capturedArray(let s): return CapturingUnkeyed(writer: writer, store: s, codingPath: codingPath)
        default: break
        }
        if streaming {
            let a = ArrayState()
            state = .streamingArray(a)
            writer.openArray()
            return StreamingUnkeyed(writer: writer, state: a, codingPath: codingPath)
        }
        let s = SortedJSONWriter.ArrayStore()
        state = .capturedArray(s)
        return CapturingUnkeyed(writer: writer, store: s, codingPath: codingPath)
    }

    func singleValueContainer() -> SingleValueEncodingContainer {
        SingleValue(encoder: self)
    }

    /// Completes a streaming value: writes a keyed object, closes an array, writes a scalar, or
    /// writes `{}` for a value that encoded nothing (as JSONEncoder does).
    func finish() throws {
        switch state {
        case .empty: try writer.writeObject([])
        case .keyed(let o): try writer.writeObject(o.members)
        case .streamingArray(let a):
            if let e = a.error { throw e }
            if let p = a.pending { a.pending = nil; try writer.write(item: p) }
            try writer.closeArray()
        case .capturedArray(let s): try writer.write(item: .array(s))
        case .single(let i): try writer.write(item: i)
        }
    }

    /// Writes what a capturing encoder collected.
    func writeCaptured() throws { try finish() }

    struct SingleValue: SingleValueEncodingContainer {
        let encoder: StreamingEncoder
        var codingPath: [CodingKey] { encoder.codingPath }
        func set(_ i: SortedJSONWriter.Item) { encoder.state = .single(i) }
        mutating func encodeNil() throws { set(.null) }
        mutating func encode(_ value: Bool) throws { set(.bool(value)) }
        mutating func encode(_ value: String) throws { set(.string(value)) }
        mutating func encode(_ value: Double) throws { set(.number(try SortedJSONWriter.floatText(value, path: codingPath))) }
        mutating func encode(_ value: Float) throws { set(.number(try SortedJSONWriter.floatText(value, path: codingPath))) }
        mutating func encode(_ value: Int) throws { set(.number(value.description)) }
        mutating func encode(_ value: Int8) throws { set(.number(value.description)) }
        mutating func encode(_ value: Int16) throws { set(.number(value.description)) }
        mutating func encode(_ value: Int32) throws { set(.number(value.description)) }
        mutating func encode(_ value: Int64) throws { set(.number(value.description)) }
        mutating func encode(_ value: UInt) throws { set(.number(value.description)) }
        mutating func encode(_ value: UInt8) throws { set(.number(value.description)) }
        mutating func encode(_ value: UInt16) throws { set(.number(value.description)) }
        mutating func encode(_ value: UInt32) throws { set(.number(value.description)) }
        mutating func encode(_ value: UInt64) throws { set(.number(value.description)) }
        mutating func encode<T: Encodable>(_ value: T) throws { set(.value(value)) }
    }

    struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let writer: SortedJSONWriter
        let store: SortedJSONWriter.ObjectStore
        var codingPath: [CodingKey]

        func add(_ key: Key, _ i: SortedJSONWriter.Item) { store.members.append((writer.key(key.stringValue), i)) }
        mutating func encodeNil(forKey key: Key) throws { add(key, .null) }
        mutating func encode(_ value: Bool, forKey key: Key) throws { add(key, .bool(value)) }
        mutating func encode(_ value: String, forKey key: Key) throws { add(key, .string(value)) }
        mutating func encode(_ value: Double, forKey key: Key) throws { add(key, .number(try SortedJSONWriter.floatText(value, path: codingPath + [key]))) }
        mutating func encode(_ value: Float, forKey key: Key) throws { add(key, .number(try SortedJSONWriter.floatText(value, path: codingPath + [key]))) }
        mutating func encode(_ value: Int, forKey key: Key) throws { add(key, .number(value.description)) }
        mutating func encode(_ value: Int8, forKey key: Key) throws { add(key, .number(value.description)) }
        mutating func encode(_ value: Int16, forKey key: Key) throws { add(key, .number(value.description)) }
        mutating func encode(_ value: Int32, forKey key: Key) throws { add(key, .number(value.description)) }
        mutating func encode(_ value: Int64, forKey key: Key) throws { add(key, .number(value.description)) }
        mutating func encode(_ value: UInt, forKey key: Key) throws { add(key, .number(value.description)) }
        mutating func encode(_ value: UInt8, forKey key: Key) throws { add(key, .number(value.description)) }
        mutating func encode(_ value: UInt16, forKey key: Key) throws { add(key, .number(value.description)) }
        mutating func encode(_ value: UInt32, forKey key: Key) throws { add(key, .number(value.description)) }
        mutating func encode(_ value: UInt64, forKey key: Key) throws { add(key, .number(value.description)) }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { add(key, .value(value)) }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            let o = SortedJSONWriter.ObjectStore()
            add(key, .object(o))
            return KeyedEncodingContainer(KeyedContainer<NestedKey>(writer: writer, store: o, codingPath: codingPath + [key]))
        }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> UnkeyedEncodingContainer {
            let a = SortedJSONWriter.ArrayStore()
            add(key, .array(a))
            return CapturingUnkeyed(writer: writer, store: a, codingPath: codingPath + [key])
        }
        mutating func superEncoder() -> Encoder { superEncoder(name: "super") }
        mutating func superEncoder(forKey key: Key) -> Encoder { superEncoder(name: key.stringValue) }
        private func superEncoder(name: String) -> Encoder {
            let e = StreamingEncoder(writer: writer, streaming: false)
            store.members.append((writer.key(name), .encoder(e)))
            return e
        }
    }

    /// Array elements written as they arrive (streaming mode).
    struct StreamingUnkeyed: UnkeyedEncodingContainer {
        let writer: SortedJSONWriter
        let state: ArrayState
        var codingPath: [CodingKey]
        var count: Int { state.count }

        /// Starts the next element: writes any nested container handed out before, then the separator.
        func next() throws {
            if let e = state.error { throw e }
            if let p = state.pending { state.pending = nil; try writer.write(item: p) }
            writer.arrayElementPrefix(first: state.count == 0)
            state.count += 1
        }
        func put(_ i: SortedJSONWriter.Item) throws { try next(); try writer.write(item: i) }
        mutating func encodeNil() throws { try put(.null) }
        mutating func encode(_ value: Bool) throws { try put(.bool(value)) }
        mutating func encode(_ value: String) throws { try put(.string(value)) }
        mutating func encode(_ value: Double) throws { try put(.number(try SortedJSONWriter.floatText(value, path: codingPath))) }
        mutating func encode(_ value: Float) throws { try put(.number(try SortedJSONWriter.floatText(value, path: codingPath))) }
        mutating func encode(_ value: Int) throws { try put(.number(value.description)) }
        mutating func encode(_ value: Int8) throws { try put(.number(value.description)) }
        mutating func encode(_ value: Int16) throws { try put(.number(value.description)) }
        mutating func encode(_ value: Int32) throws { try put(.number(value.description)) }
        mutating func encode(_ value: Int64) throws { try put(.number(value.description)) }
        mutating func encode(_ value: UInt) throws { try put(.number(value.description)) }
        mutating func encode(_ value: UInt8) throws { try put(.number(value.description)) }
        mutating func encode(_ value: UInt16) throws { try put(.number(value.description)) }
        mutating func encode(_ value: UInt32) throws { try put(.number(value.description)) }
        mutating func encode(_ value: UInt64) throws { try put(.number(value.description)) }
        mutating func encode<T: Encodable>(_ value: T) throws {
            try next()
            try writer.write(value)
            try writer.out.maybeFlush()
        }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            let o = SortedJSONWriter.ObjectStore()
            deferElement(.object(o))
            return KeyedEncodingContainer(KeyedContainer<NestedKey>(writer: writer, store: o, codingPath: codingPath))
        }
        mutating func nestedUnkeyedContainer() -> UnkeyedEncodingContainer {
            let a = SortedJSONWriter.ArrayStore()
            deferElement(.array(a))
            return CapturingUnkeyed(writer: writer, store: a, codingPath: codingPath)
        }
        mutating func superEncoder() -> Encoder {
            let e = StreamingEncoder(writer: writer, streaming: false)
            deferElement(.encoder(e))
            return e
        }
        /// A nested container is filled after it is handed out: its element is written when the
        /// next element starts or the array closes; this method cannot throw, so an error writing
        /// the previous one is kept and thrown by the next throwing call.
        private func deferElement(_ i: SortedJSONWriter.Item) {
            if let p = state.pending, state.error == nil {
                state.pending = nil
                do { try writer.write(item: p) } catch { state.error = error }
            }
            writer.arrayElementPrefix(first: state.count == 0)
            state.count += 1
            state.pending = i
        }
    }

    /// Array elements collected for later (capturing mode and nested unkeyed containers).
    struct CapturingUnkeyed: UnkeyedEncodingContainer {
        let writer: SortedJSONWriter
        let store: SortedJSONWriter.ArrayStore
        var codingPath: [CodingKey]
        var count: Int { store.items.count }

        func put(_ i: SortedJSONWriter.Item) { store.items.append(i) }
        mutating func encodeNil() throws { put(.null) }
        mutating func encode(_ value: Bool) throws { put(.bool(value)) }
        mutating func encode(_ value: String) throws { put(.string(value)) }
        mutating func encode(_ value: Double) throws { put(.number(try SortedJSONWriter.floatText(value, path: codingPath))) }
        mutating func encode(_ value: Float) throws { put(.number(try SortedJSONWriter.floatText(value, path: codingPath))) }
        mutating func encode(_ value: Int) throws { put(.number(value.description)) }
        mutating func encode(_ value: Int8) throws { put(.number(value.description)) }
        mutating func encode(_ value: Int16) throws { put(.number(value.description)) }
        mutating func encode(_ value: Int32) throws { put(.number(value.description)) }
        mutating func encode(_ value: Int64) throws { put(.number(value.description)) }
        mutating func encode(_ value: UInt) throws { put(.number(value.description)) }
        mutating func encode(_ value: UInt8) throws { put(.number(value.description)) }
        mutating func encode(_ value: UInt16) throws { put(.number(value.description)) }
        mutating func encode(_ value: UInt32) throws { put(.number(value.description)) }
        mutating func encode(_ value: UInt64) throws { put(.number(value.description)) }
        mutating func encode<T: Encodable>(_ value: T) throws { put(.value(value)) }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            let o = SortedJSONWriter.ObjectStore()
            put(.object(o))
            return KeyedEncodingContainer(KeyedContainer<NestedKey>(writer: writer, store: o, codingPath: codingPath))
        }
        mutating func nestedUnkeyedContainer() -> UnkeyedEncodingContainer {
            let a = SortedJSONWriter.ArrayStore()
            put(.array(a))
            return CapturingUnkeyed(writer: writer, store: a, codingPath: codingPath)
        }
        mutating func superEncoder() -> Encoder {
            let e = StreamingEncoder(writer: writer, streaming: false)
            put(.encoder(e))
            return e
        }
    }
}
