/// A read-only view of one value in the binary value encoding (`RecordCodec` tags 0–7) inside
/// a borrowed buffer. Validation reads fields through it without building a `JSONValue` tree
/// and without reference counting; a view is valid only while its buffer is (one call).
public struct BinaryValue {
    public let bytes: UnsafeRawBufferPointer
    public let offset: Int

    public init(bytes: UnsafeRawBufferPointer, offset: Int) {
        self.bytes = bytes
        self.offset = offset
    }

    var tag: RecordCodec.Tag? { RecordCodec.Tag(rawValue: bytes[offset]) }

    /// Whether the value is tagged `t` (a byte comparison: the hot readers ask this).
    @inline(__always) func `is`(_ t: RecordCodec.Tag) -> Bool { bytes[offset] == t.rawValue }

    /// The JSON type name, for error messages.
    public var typeName: String {
        switch tag {
        case .null: return "null"
        case .false, .true: return "boolean"
        case .int, .numberText: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        case .sealed: return "sealed"
        case nil: return "unknown"
        }
    }

    /// Byte range of the string's UTF-8, if this is a string.
    public var stringRange: Range<Int>? {
        guard self.is(.string) else { return nil }
        var i = offset + 1
        let n = Int(BinaryValue.varint(bytes, &i))
        return i..<(i + n)
    }

    public var string: String? {
        guard let r = stringRange else { return nil }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[r]), as: UTF8.self)
    }

    public var bool: Bool? {
        switch tag {
        case .true: return true
        case .false: return false
        default: return nil
        }
    }

    /// A canonical integer literal's value, if the number was stored as one.
    public var int: Int64? { intAndEnd?.value }

    /// The same, with the offset just past the value (`end`, without reading the number twice).
    public var intAndEnd: (value: Int64, end: Int)? {
        guard self.is(.int) else { return nil }
        var i = offset + 1
        let u = BinaryValue.varint(bytes, &i)
        return (Int64(bitPattern: u >> 1) ^ -Int64(bitPattern: u & 1), i)
    }

    /// The number's value, if this is a number.
    public var double: Double? {
        if let i = int { return Double(i) }
        guard self.is(.numberText) else { return nil }
        var i = offset + 1
        let n = Int(BinaryValue.varint(bytes, &i))
        return Double(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[i..<(i + n)]), as: UTF8.self))
    }

    /// A number from −1 to 1 (a sentiment), if this is one.
    var sentiment: Double? { double.flatMap { $0.isFinite && $0 >= -1 && $0 <= 1 ? $0 : nil } }

    /// The case of `E` whose raw value this string is, if it is one.
    public func oneOf<E: RawRepresentable & CaseIterable>(_: E.Type) -> E? where E.RawValue == String {
        guard let r = stringRange else { return nil }
        let text = UnsafeRawBufferPointer(rebasing: bytes[r])
        for e in E.allCases {
            var raw = e.rawValue
            if raw.withUTF8({ $0.count == text.count && (text.count == 0 || ShortBytes.equal($0.baseAddress!, text.baseAddress!, text.count)) }) { return e }
        }
        return nil
    }

    /// The elements, if this is an array.
    public var elements: [BinaryValue]? {
        guard self.is(.array) else { return nil }
        var i = offset + 1
        let n = Int(BinaryValue.varint(bytes, &i))
        var out: [BinaryValue] = []
        out.reserveCapacity(n)
        for _ in 0..<n {
            out.append(BinaryValue(bytes: bytes, offset: i))
            i = BinaryValue.end(bytes, i)
        }
        return out
    }

    /// The object, if this is one.
    public var object: BinaryObject? { self.is(.object) ? BinaryObject(bytes: bytes, countOffset: offset + 1) : nil }

    /// Offset just past this value.
    public var end: Int { BinaryValue.end(bytes, offset) }

    @inline(__always) static func varint(_ b: UnsafeRawBufferPointer, _ i: inout Int) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = b[i]
            i += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
    }

    /// Offset just past the value starting at `i`.
    static func end(_ b: UnsafeRawBufferPointer, _ start: Int) -> Int {
        var i = start + 1
        // Byte comparisons, not `Tag(rawValue:)`: every value skipped passes here.
        switch b[start] {
        case RecordCodec.Tag.int.rawValue:
            _ = varint(b, &i)
            return i
        case RecordCodec.Tag.numberText.rawValue, RecordCodec.Tag.string.rawValue:
            let n = Int(varint(b, &i))
            return i + n
        case RecordCodec.Tag.array.rawValue:
            let n = varint(b, &i)
            for _ in 0..<n { i = end(b, i) }
            return i
        case RecordCodec.Tag.object.rawValue:
            let n = varint(b, &i)
            for _ in 0..<n {
                let k = Int(varint(b, &i))
                i = end(b, i + k)
            }
            return i
        case RecordCodec.Tag.sealed.rawValue:
            _ = varint(b, &i)
            let n = Int(varint(b, &i))
            return i + n
        default:
            // null, false, true, and (never written) an unknown tag: one byte.
            return i
        }
    }
}

/// The members of a binary-encoded object, indexed once for lookups by key (a borrowed view,
/// like `BinaryValue`).
public struct BinaryObject {
    public let bytes: UnsafeRawBufferPointer
    /// Each member's key bytes and value offset, in the order written.
    public private(set) var entries: [(key: Range<Int>, value: Int)] = []
    /// Offset of the member count (the object's bytes as a record stores them start here).
    public let countOffset: Int
    /// Offset just past the last member.
    public private(set) var end: Int

    public init(bytes: UnsafeRawBufferPointer, countOffset: Int) {
        self.bytes = bytes
        self.countOffset = countOffset
        var entries: [(key: Range<Int>, value: Int)] = []
        end = Self.forEachMember(bytes, countOffset: countOffset) { n in entries.reserveCapacity(n) } _: { entries.append(($0, $1)) }
        self.entries = entries
    }

    /// Calls `member` with each member's key bytes and value offset in the order written, after
    /// `count` with how many there are, without indexing them; returns the offset past the last.
    @inline(__always) @discardableResult
    static func forEachMember(_ bytes: UnsafeRawBufferPointer, countOffset: Int, _ count: (Int) -> Void = { _ in },
                              _ member: (Range<Int>, Int) -> Void) -> Int {
        var i = countOffset
        let n = Int(BinaryValue.varint(bytes, &i))
        count(n)
        for _ in 0..<n {
            let k = Int(BinaryValue.varint(bytes, &i))
            member(i..<(i + k), i + k)
            i = BinaryValue.end(bytes, i + k)
        }
        return i
    }

    /// Calls `body` with the position in `keys` and the value of the first member named by each
    /// key present (at most 64 keys), in the order written, without indexing the members. Once
    /// every key is found the members after are not read (a large last value is not skipped).
    @inline(__always)
    static func forEachFirstMember(_ bytes: UnsafeRawBufferPointer, countOffset: Int, named keys: [StaticString],
                                   _ body: (Int, BinaryValue) -> Void) {
        var seen: UInt64 = 0
        let all: UInt64 = keys.count >= 64 ? ~0 : (1 << UInt64(keys.count)) - 1
        var i = countOffset
        let n = Int(BinaryValue.varint(bytes, &i))
        for _ in 0..<n {
            let length = Int(BinaryValue.varint(bytes, &i))
            let key = i..<(i + length)
            for k in keys.indices where seen & (1 << UInt64(k)) == 0 && equal(bytes, key, keys[k]) {
                seen |= 1 << UInt64(k)
                body(k, BinaryValue(bytes: bytes, offset: key.upperBound))
                break
            }
            if seen == all { return }
            i = BinaryValue.end(bytes, key.upperBound)
        }
    }

    /// True if `range` of `bytes` holds `key`.
    @inline(__always)
    static func equal(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ key: StaticString) -> Bool {
        range.count == key.utf8CodeUnitCount && ShortBytes.equal(bytes.baseAddress! + range.lowerBound, key.utf8Start, range.count)
    }

    /// An object with no members.
    public static var empty: BinaryObject {
        let zero: StaticString = "\0"  // one zero byte in static memory: a member count of 0
        return BinaryObject(bytes: UnsafeRawBufferPointer(start: zero.utf8Start, count: 1), countOffset: 0)
    }

    public var count: Int { entries.count }

    public func key(at index: Int) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[entries[index].key]), as: UTF8.self)
    }

    public func value(at index: Int) -> BinaryValue { BinaryValue(bytes: bytes, offset: entries[index].value) }

    /// The first member named `key`.
    public func value(_ key: StaticString) -> BinaryValue? {
        for i in entries.indices where self.key(at: i, is: key) {
            return BinaryValue(bytes: bytes, offset: entries[i].value)
        }
        return nil
    }

    /// True if the key at `index` is `key`.
    @inline(__always)
    public func key(at index: Int, is key: StaticString) -> Bool { Self.equal(bytes, entries[index].key, key) }
}

