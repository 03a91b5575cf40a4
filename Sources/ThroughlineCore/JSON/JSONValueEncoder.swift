/// Encodes an `Encodable` value (a typed view: a report, a context view) as JSON, so that views
/// are typed between layers and turned into JSON once, at the edge: straight into bytes
/// (`bytes`, the API's answers), or as a `JSONValue` tree (`encode`, those bytes read back).
/// Keys come in the order the type encodes them (a synthesized conformance: declaration order),
/// numbers as `NumberText` writes them, and nil optionals as `null` (not left out), so every key
/// the contract names is always there.
///
/// The JSON is written as the value encodes, with no tree in between: a container is closed when
/// its parent writes its next member, so containers are used in order, as synthesized
/// conformances and the views' own `encode(to:)` do.
public enum JSONValueEncoder {
    public static func encode(_ value: some Encodable) throws -> JSONValue {
        if let json = value as? JSONValue { return json }
        let text = try bytes(value)
        return try text.withUnsafeBufferPointer { try JSONParser.parse($0) }
    }

    /// The compact JSON text of `value`: the bytes `JSONWriter` writes for `encode(value)`.
    public static func bytes(_ value: some Encodable) throws -> [UInt8] {
        let stream = JSONStream()
        try stream.put(value, depth: 0, path: [])
        stream.closeDeeper(than: 0)
        return stream.bytes
    }
}

/// A value that writes its own JSON text: the scalars a view is made of, and a `JSONValue` inside
/// a view. One conformance check finds them all (instead of a cast per type).
protocol JSONScalar {
    func write(into out: inout [UInt8])
}

extension String: JSONScalar {
    func write(into out: inout [UInt8]) { JSONWriter.writeString(self, into: &out) }
}

extension Bool: JSONScalar {
    func write(into out: inout [UInt8]) { out.append(contentsOf: (self ? "true" : "false").utf8) }
}

extension Double: JSONScalar {
    func write(into out: inout [UInt8]) { out.append(contentsOf: NumberText.plain(self).utf8) }
}

extension Float: JSONScalar {
    func write(into out: inout [UInt8]) { Double(self).write(into: &out) }
}

extension JSONValue: JSONScalar {
    func write(into out: inout [UInt8]) { JSONWriter.write(self, into: &out) }
}

extension JSONScalar where Self: BinaryInteger {
    func write(into out: inout [UInt8]) { out.append(contentsOf: String(self).utf8) }
}

extension Int: JSONScalar {}
extension Int8: JSONScalar {}
extension Int16: JSONScalar {}
extension Int32: JSONScalar {}
extension Int64: JSONScalar {}
extension UInt: JSONScalar {}
extension UInt8: JSONScalar {}
extension UInt16: JSONScalar {}
extension UInt32: JSONScalar {}
extension UInt64: JSONScalar {}

/// The encoding under way: the text so far and the containers still open, outermost first (the
/// level of a container is its depth). Moving on to a container's next member closes every deeper
/// one, so a container already open at an encoder's depth is the one that encoder opened.
final class JSONStream {
    struct Level {
        var object: Bool
        var count = 0
    }

    // Only the encoding's own thread touches these, one call at a time: no runtime checks.
    @exclusivity(unchecked) var bytes: [UInt8] = []
    @exclusivity(unchecked) private var levels: [Level] = []

    func closeDeeper(than depth: Int) {
        while levels.count > depth { bytes.append(levels.removeLast().object ? UInt8(ascii: "}") : UInt8(ascii: "]")) }
    }

    func count(at level: Int) -> Int { level < levels.count ? levels[level].count : 0 }

    /// Starts the next member (with `key`) or element of the container at `level`: closes what
    /// its previous one left open and writes the separator.
    func next(in level: Int, key: String?) {
        closeDeeper(than: level + 1)
        if levels[level].count > 0 { bytes.append(UInt8(ascii: ",")) }
        levels[level].count += 1
        if let key {
            JSONWriter.writeString(key, into: &bytes)
            bytes.append(UInt8(ascii: ":"))
        }
    }

    /// The container that is the value at `depth`: opened now, or the one already opened there.
    /// Returns its level.
    func container(at depth: Int, object: Bool) -> Int {
        if depth < levels.count {
            closeDeeper(than: depth + 1)
        } else {
            bytes.append(object ? UInt8(ascii: "{") : UInt8(ascii: "["))
            levels.append(Level(object: object))
        }
        return depth
    }

    /// Writes a scalar as the value at `depth`.
    func scalar(at depth: Int, _ value: some JSONScalar) {
        closeDeeper(than: depth)
        value.write(into: &bytes)
    }

    /// Writes `value` at `depth`: a scalar directly, anything else through its `encode(to:)`
    /// (null if that writes nothing).
    func put(_ value: some Encodable, depth: Int, path: [CodingKey]) throws {
        if let scalar = value as? any JSONScalar {
            self.scalar(at: depth, scalar)
            return
        }
        let written = bytes.count
        try value.encode(to: JSONStreamEncoder(stream: self, depth: depth, codingPath: path))
        if bytes.count == written { scalar(at: depth, JSONValue.null) }
    }
}

struct JSONStreamEncoder: Encoder {
    let stream: JSONStream
    let depth: Int
    let codingPath: [CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(JSONKeyedContainer(stream: stream, level: stream.container(at: depth, object: true), codingPath: codingPath))
    }

    func unkeyedContainer() -> UnkeyedEncodingContainer {
        JSONUnkeyedContainer(stream: stream, level: stream.container(at: depth, object: false), codingPath: codingPath)
    }

    func singleValueContainer() -> SingleValueEncodingContainer { JSONSingleContainer(encoder: self) }

    func write(_ value: JSONValue) { stream.scalar(at: depth, value) }
}

struct JSONKeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let stream: JSONStream
    /// This object's level; its members are at the next depth.
    let level: Int
    let codingPath: [CodingKey]

    private func member(_ key: Key, _ value: some JSONScalar) {
        stream.next(in: level, key: key.stringValue)
        value.write(into: &stream.bytes)
    }

    mutating func encodeNil(forKey key: Key) throws { member(key, JSONValue.null) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        stream.next(in: level, key: key.stringValue)
        try stream.put(value, depth: level + 1, path: codingPath + [key])
    }

    // The common scalars without a dynamic cast: a typed view is mostly these.
    mutating func encode(_ value: String, forKey key: Key) throws { member(key, value) }
    mutating func encode(_ value: Double, forKey key: Key) throws { member(key, value) }
    mutating func encode(_ value: Int, forKey key: Key) throws { member(key, value) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { member(key, value) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { member(key, value) }

    // A nil optional is written as null, not left out.
    mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws { try orNull(value, key) }
    mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws { try orNull(value, key) }
    mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws { try orNull(value, key) }
    mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws { try orNull(value, key) }
    mutating func encodeIfPresent(_ value: Float?, forKey key: Key) throws { try orNull(value, key) }
    mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws { try orNull(value, key) }
    mutating func encodeIfPresent(_ value: Int8?, forKey key: Key) throws { try orNull(value, key) }
    mutating func encodeIfPresent(_ value: Int16?, forKey key: Key) throws { try orNull(value, key) }
    mutating func encodeIfPresent(_ value: Int32?, forKey key: Key) throws { try orNull(value, key) }
    mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws { try orNull(value, key) }
    mutating func encodeIfPresent(_ value: UInt?, forKey key: Key) throws { try orNull(value, key) }
    mutating func encodeIfPresent(_ value: UInt8?, forKey key: Key) throws { try orNull(value, key) }
    mutating func encodeIfPresent(_ value: UInt16?, forKey key: Key) throws { try orNull(value, key) }
    mutating func encodeIfPresent(_ value: UInt32?, forKey key: Key) throws { try orNull(value, key) }
    mutating func encodeIfPresent(_ value: UInt64?, forKey key: Key) throws { try orNull(value, key) }

    private mutating func orNull<T: Encodable>(_ value: T?, _ key: Key) throws {
        if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        stream.next(in: level, key: key.stringValue)
        return KeyedEncodingContainer(JSONKeyedContainer<NestedKey>(stream: stream, level: stream.container(at: level + 1, object: true), codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> UnkeyedEncodingContainer {
        stream.next(in: level, key: key.stringValue)
        return JSONUnkeyedContainer(stream: stream, level: stream.container(at: level + 1, object: false), codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> Encoder {
        stream.next(in: level, key: "super")
        return JSONStreamEncoder(stream: stream, depth: level + 1, codingPath: codingPath)
    }

    mutating func superEncoder(forKey key: Key) -> Encoder {
        stream.next(in: level, key: key.stringValue)
        return JSONStreamEncoder(stream: stream, depth: level + 1, codingPath: codingPath + [key])
    }
}

struct JSONUnkeyedContainer: UnkeyedEncodingContainer {
    let stream: JSONStream
    let level: Int
    let codingPath: [CodingKey]
    var count: Int { stream.count(at: level) }

    private func element(_ value: some JSONScalar) {
        stream.next(in: level, key: nil)
        value.write(into: &stream.bytes)
    }

    mutating func encodeNil() throws { element(JSONValue.null) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        stream.next(in: level, key: nil)
        try stream.put(value, depth: level + 1, path: codingPath)
    }
    mutating func encode(_ value: String) throws { element(value) }
    mutating func encode(_ value: Double) throws { element(value) }
    mutating func encode(_ value: Int) throws { element(value) }
    mutating func encode(_ value: UInt64) throws { element(value) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        stream.next(in: level, key: nil)
        return KeyedEncodingContainer(JSONKeyedContainer<NestedKey>(stream: stream, level: stream.container(at: level + 1, object: true), codingPath: codingPath))
    }

    mutating func nestedUnkeyedContainer() -> UnkeyedEncodingContainer {
        stream.next(in: level, key: nil)
        return JSONUnkeyedContainer(stream: stream, level: stream.container(at: level + 1, object: false), codingPath: codingPath)
    }

    mutating func superEncoder() -> Encoder {
        stream.next(in: level, key: nil)
        return JSONStreamEncoder(stream: stream, depth: level + 1, codingPath: codingPath)
    }
}

struct JSONSingleContainer: SingleValueEncodingContainer {
    let encoder: JSONStreamEncoder
    var codingPath: [CodingKey] { encoder.codingPath }

    private func write(_ value: some JSONScalar) { encoder.stream.scalar(at: encoder.depth, value) }

    mutating func encodeNil() throws { write(JSONValue.null) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        try encoder.stream.put(value, depth: encoder.depth, path: encoder.codingPath)
    }
    mutating func encode(_ value: String) throws { write(value) }
    mutating func encode(_ value: Double) throws { write(value) }
    mutating func encode(_ value: Int) throws { write(value) }
    mutating func encode(_ value: Bool) throws { write(value) }
    mutating func encode(_ value: UInt64) throws { write(value) }
}
