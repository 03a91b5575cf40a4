/// Encodes an `Encodable` value (a typed view: a report, a context view) into a `JSONValue`,
/// the project's own tree, so that views are typed between layers and turned into JSON once, at
/// the edge: keys in the order the type encodes them (a synthesized conformance: declaration
/// order), numbers as `NumberText` writes them, and nil optionals as `null` (not left out),
/// so every key the contract names is always there.
public enum JSONValueEncoder {
    public static func encode(_ value: some Encodable) throws -> JSONValue {
        if let json = value as? JSONValue { return json }
        let root = Node()
        try value.encode(to: TreeEncoder(node: root, codingPath: []))
        return root.value
    }

    /// A value under construction: a scalar, or an array or object whose members fill in later.
    final class Node {
        enum Kind { case unset, scalar(JSONValue), array([Node]), object([(String, Node)]) }
        var kind = Kind.unset

        var value: JSONValue {
            switch kind {
            case .unset: .null
            case .scalar(let v): v
            case .array(let nodes): .array(nodes.map(\.value))
            case .object(let members): .object(members.map { JSONMember($0.0, $0.1.value) })
            }
        }

        func member(_ key: String) -> Node {
            let node = Node()
            if case .object(var members) = kind {
                kind = .unset  // the array's only reference is now `members`: the append copies nothing
                members.append((key, node))
                kind = .object(members)
            } else {
                kind = .object([(key, node)])
            }
            return node
        }

        func element() -> Node {
            let node = Node()
            if case .array(var nodes) = kind {
                kind = .unset  // as in `member`
                nodes.append(node)
                kind = .array(nodes)
            } else {
                kind = .array([node])
            }
            return node
        }
    }

    /// The JSON of a scalar, or nil if the value is not one.
    static func scalar(_ value: Any) -> JSONValue? {
        switch value {
        case let v as JSONValue: v
        case let v as String: .string(v)
        case let v as Bool: .bool(v)
        case let v as Double: .number(NumberText.plain(v))
        case let v as Float: .number(NumberText.plain(Double(v)))
        case let v as Int: .number(String(v))
        case let v as Int64: .number(String(v))
        case let v as Int32: .number(String(v))
        case let v as UInt64: .number(String(v))
        case let v as UInt32: .number(String(v))
        case let v as UInt: .number(String(v))
        default: nil
        }
    }

    static func put(_ value: some Encodable, in node: Node, at path: [CodingKey]) throws {
        if let s = scalar(value) {
            node.kind = .scalar(s)
        } else {
            try value.encode(to: TreeEncoder(node: node, codingPath: path))
        }
    }

    struct TreeEncoder: Encoder {
        let node: Node
        let codingPath: [CodingKey]
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            if case .object = node.kind {} else { node.kind = .object([]) }
            return KeyedEncodingContainer(Keyed(node: node, codingPath: codingPath))
        }

        func unkeyedContainer() -> UnkeyedEncodingContainer {
            if case .array = node.kind {} else { node.kind = .array([]) }
            return Unkeyed(node: node, codingPath: codingPath)
        }

        func singleValueContainer() -> SingleValueEncodingContainer { Single(node: node, codingPath: codingPath) }
    }

    struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let node: Node
        let codingPath: [CodingKey]

        mutating func encodeNil(forKey key: Key) throws { node.member(key.stringValue).kind = .scalar(.null) }

        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            let child = node.member(key.stringValue)
            // A scalar needs no coding path (building one allocates): only a nested value does.
            if let s = JSONValueEncoder.scalar(value) { child.kind = .scalar(s) } else { try value.encode(to: TreeEncoder(node: child, codingPath: codingPath + [key])) }
        }

        // The common scalars without a dynamic cast: a typed view is mostly these.
        mutating func encode(_ value: String, forKey key: Key) throws { node.member(key.stringValue).kind = .scalar(.string(value)) }
        mutating func encode(_ value: Double, forKey key: Key) throws { node.member(key.stringValue).kind = .scalar(.number(NumberText.plain(value))) }
        mutating func encode(_ value: Int, forKey key: Key) throws { node.member(key.stringValue).kind = .scalar(.number(String(value))) }
        mutating func encode(_ value: Bool, forKey key: Key) throws { node.member(key.stringValue).kind = .scalar(.bool(value)) }
        mutating func encode(_ value: UInt64, forKey key: Key) throws { node.member(key.stringValue).kind = .scalar(.number(String(value))) }

        // A nil optional is written as null, not left out.
        mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
            if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
        }
        mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws {
            if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
        }
        mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws {
            if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
        }
        mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws {
            if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
        }
        mutating func encodeIfPresent(_ value: Float?, forKey key: Key) throws { try encodeIfPresent(value, key) }
        mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws {
            if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
        }
        mutating func encodeIfPresent(_ value: Int8?, forKey key: Key) throws { try encodeIfPresent(value, key) }
        mutating func encodeIfPresent(_ value: Int16?, forKey key: Key) throws { try encodeIfPresent(value, key) }
        mutating func encodeIfPresent(_ value: Int32?, forKey key: Key) throws { try encodeIfPresent(value, key) }
        mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws { try encodeIfPresent(value, key) }
        mutating func encodeIfPresent(_ value: UInt?, forKey key: Key) throws { try encodeIfPresent(value, key) }
        mutating func encodeIfPresent(_ value: UInt8?, forKey key: Key) throws { try encodeIfPresent(value, key) }
        mutating func encodeIfPresent(_ value: UInt16?, forKey key: Key) throws { try encodeIfPresent(value, key) }
        mutating func encodeIfPresent(_ value: UInt32?, forKey key: Key) throws { try encodeIfPresent(value, key) }
        mutating func encodeIfPresent(_ value: UInt64?, forKey key: Key) throws {
            if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
        }

        private mutating func encodeIfPresent<T: Encodable>(_ value: T?, _ key: Key) throws {
            if let value { try encode(value, forKey: key) } else { try encodeNil(forKey: key) }
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            let child = node.member(key.stringValue)
            child.kind = .object([])
            return KeyedEncodingContainer(Keyed<NestedKey>(node: child, codingPath: codingPath + [key]))
        }

        mutating func nestedUnkeyedContainer(forKey key: Key) -> UnkeyedEncodingContainer {
            let child = node.member(key.stringValue)
            child.kind = .array([])
            return Unkeyed(node: child, codingPath: codingPath + [key])
        }

        mutating func superEncoder() -> Encoder { TreeEncoder(node: node.member("super"), codingPath: codingPath) }
        mutating func superEncoder(forKey key: Key) -> Encoder { TreeEncoder(node: node.member(key.stringValue), codingPath: codingPath + [key]) }
    }

    struct Unkeyed: UnkeyedEncodingContainer {
        let node: Node
        let codingPath: [CodingKey]
        var count: Int {
            if case .array(let nodes) = node.kind { return nodes.count }
            return 0
        }

        mutating func encodeNil() throws { node.element().kind = .scalar(.null) }

        mutating func encode<T: Encodable>(_ value: T) throws { try JSONValueEncoder.put(value, in: node.element(), at: codingPath) }
        mutating func encode(_ value: String) throws { node.element().kind = .scalar(.string(value)) }
        mutating func encode(_ value: Double) throws { node.element().kind = .scalar(.number(NumberText.plain(value))) }
        mutating func encode(_ value: Int) throws { node.element().kind = .scalar(.number(String(value))) }
        mutating func encode(_ value: UInt64) throws { node.element().kind = .scalar(.number(String(value))) }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            let child = node.element()
            child.kind = .object([])
            return KeyedEncodingContainer(Keyed<NestedKey>(node: child, codingPath: codingPath))
        }

        mutating func nestedUnkeyedContainer() -> UnkeyedEncodingContainer {
            let child = node.element()
            child.kind = .array([])
            return Unkeyed(node: child, codingPath: codingPath)
        }

        mutating func superEncoder() -> Encoder { TreeEncoder(node: node.element(), codingPath: codingPath) }
    }

    struct Single: SingleValueEncodingContainer {
        let node: Node
        let codingPath: [CodingKey]

        mutating func encodeNil() throws { node.kind = .scalar(.null) }

        mutating func encode<T: Encodable>(_ value: T) throws { try JSONValueEncoder.put(value, in: node, at: codingPath) }
        mutating func encode(_ value: String) throws { node.kind = .scalar(.string(value)) }
        mutating func encode(_ value: Double) throws { node.kind = .scalar(.number(NumberText.plain(value))) }
        mutating func encode(_ value: Int) throws { node.kind = .scalar(.number(String(value))) }
        mutating func encode(_ value: UInt64) throws { node.kind = .scalar(.number(String(value))) }
    }
}
