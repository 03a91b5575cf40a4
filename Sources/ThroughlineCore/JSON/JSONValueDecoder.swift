/// Decodes a typed view from a `JSONValue` (as `JSONParser` reads an answer of the API: keys in
/// order, numbers as written), the way back of `JSONValueEncoder`. A value of the wrong type or
/// a missing key is an error naming its path (`versions[0].horizons[1].precision`).
public enum JSONValueDecoder {
    public static func decode<T: Decodable>(_ type: T.Type, from json: JSONValue) throws -> T {
        if let v = json as? T { return v }
        return try T(from: TreeDecoder(value: json, codingPath: []))
    }

    /// Decodes from JSON text.
    public static func decode<T: Decodable>(_ type: T.Type, from text: String) throws -> T {
        try decode(type, from: try JSONParser.parse(text))
    }

    static func path(_ codingPath: [CodingKey]) -> String {
        var text = ""
        for k in codingPath {
            if let i = k.intValue { text += "[\(i)]" } else { text += (text.isEmpty ? "" : ".") + k.stringValue }
        }
        return text.isEmpty ? "the value" : text
    }

    static func mismatch<T>(_ type: T.Type, _ value: JSONValue, _ codingPath: [CodingKey]) -> DecodingError {
        DecodingError.typeMismatch(type, .init(codingPath: codingPath, debugDescription: "\(path(codingPath)): expected \(type), found \(value.typeName)"))
    }

    /// A scalar of type `T` from `value`, or nil if `T` is not a scalar type.
    static func scalar<T>(_ type: T.Type, _ value: JSONValue, _ codingPath: [CodingKey]) throws -> T? {
        func number<N>(_ make: (String) -> N?) throws -> N {
            guard case .number(let text) = value, let n = make(text) else { throw mismatch(type, value, codingPath) }
            return n
        }
        switch type {
        case is JSONValue.Type: return value as? T
        case is String.Type:
            guard case .string(let s) = value else { throw mismatch(type, value, codingPath) }
            return s as? T
        case is Bool.Type:
            guard case .bool(let b) = value else { throw mismatch(type, value, codingPath) }
            return b as? T
        case is Double.Type: return try number { Double($0) } as? T
        case is Int.Type: return try number { Int($0) ?? Double($0).flatMap { Int(exactly: $0) } } as? T
        case is Int64.Type: return try number { Int64($0) ?? Double($0).flatMap { Int64(exactly: $0) } } as? T
        case is Int32.Type: return try number { Int32($0) } as? T
        case is UInt64.Type: return try number { UInt64($0) ?? Double($0).flatMap { UInt64(exactly: $0) } } as? T
        case is UInt32.Type: return try number { UInt32($0) } as? T
        default: return nil
        }
    }

    static func value<T: Decodable>(_ type: T.Type, _ json: JSONValue, _ codingPath: [CodingKey]) throws -> T {
        if let s = try scalar(type, json, codingPath) { return s }
        return try T(from: TreeDecoder(value: json, codingPath: codingPath))
    }

    struct TreeDecoder: Decoder {
        let value: JSONValue
        let codingPath: [CodingKey]
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        func container<K: CodingKey>(keyedBy type: K.Type) throws -> KeyedDecodingContainer<K> {
            guard case .object(let members) = value else { throw mismatch([String: JSONValue].self, value, codingPath) }
            return KeyedDecodingContainer(Keyed<K>(members: members, codingPath: codingPath))
        }

        func unkeyedContainer() throws -> UnkeyedDecodingContainer {
            guard case .array(let items) = value else { throw mismatch([JSONValue].self, value, codingPath) }
            return Unkeyed(items: items, codingPath: codingPath)
        }

        func singleValueContainer() throws -> SingleValueDecodingContainer { Single(value: value, codingPath: codingPath) }
    }

    struct Keyed<K: CodingKey>: KeyedDecodingContainerProtocol {
        let members: [JSONMember]
        let codingPath: [CodingKey]
        var allKeys: [K] { members.compactMap { K(stringValue: $0.key) } }

        func contains(_ key: K) -> Bool { members.contains { $0.key == key.stringValue } }

        func member(_ key: K) throws -> JSONValue {
            guard let m = members.first(where: { $0.key == key.stringValue }) else {
                throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "\(path(codingPath + [key])) is missing"))
            }
            return m.value
        }

        func decodeNil(forKey key: K) throws -> Bool { try member(key) == .null }

        func decode<T: Decodable>(_ type: T.Type, forKey key: K) throws -> T {
            try JSONValueDecoder.value(type, try member(key), codingPath + [key])
        }

        func nestedContainer<N: CodingKey>(keyedBy type: N.Type, forKey key: K) throws -> KeyedDecodingContainer<N> {
            try TreeDecoder(value: try member(key), codingPath: codingPath + [key]).container(keyedBy: type)
        }

        func nestedUnkeyedContainer(forKey key: K) throws -> UnkeyedDecodingContainer {
            try TreeDecoder(value: try member(key), codingPath: codingPath + [key]).unkeyedContainer()
        }

        func superDecoder() throws -> Decoder { TreeDecoder(value: .object(members), codingPath: codingPath) }
        func superDecoder(forKey key: K) throws -> Decoder { TreeDecoder(value: try member(key), codingPath: codingPath + [key]) }
    }

    struct Unkeyed: UnkeyedDecodingContainer {
        let items: [JSONValue]
        let codingPath: [CodingKey]
        var currentIndex = 0
        var count: Int? { items.count }
        var isAtEnd: Bool { currentIndex >= items.count }

        mutating func next() throws -> (JSONValue, [CodingKey]) {
            let path = codingPath + [JSONKey(intValue: currentIndex)]
            guard !isAtEnd else {
                throw DecodingError.valueNotFound(JSONValue.self, .init(codingPath: path, debugDescription: "\(JSONValueDecoder.path(path)) is past the end"))
            }
            defer { currentIndex += 1 }
            return (items[currentIndex], path)
        }

        mutating func decodeNil() throws -> Bool {
            guard !isAtEnd, items[currentIndex] == .null else { return false }
            currentIndex += 1
            return true
        }

        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
            let (item, path) = try next()
            return try JSONValueDecoder.value(type, item, path)
        }

        mutating func nestedContainer<N: CodingKey>(keyedBy type: N.Type) throws -> KeyedDecodingContainer<N> {
            let (item, path) = try next()
            return try TreeDecoder(value: item, codingPath: path).container(keyedBy: type)
        }

        mutating func nestedUnkeyedContainer() throws -> UnkeyedDecodingContainer {
            let (item, path) = try next()
            return try TreeDecoder(value: item, codingPath: path).unkeyedContainer()
        }

        mutating func superDecoder() throws -> Decoder {
            let (item, path) = try next()
            return TreeDecoder(value: item, codingPath: path)
        }
    }

    struct Single: SingleValueDecodingContainer {
        let value: JSONValue
        let codingPath: [CodingKey]

        func decodeNil() -> Bool { value == .null }

        func decode<T: Decodable>(_ type: T.Type) throws -> T { try JSONValueDecoder.value(type, value, codingPath) }
    }
}

/// A key named at run time (a rules version, a band) or by a literal, for views whose JSON
/// names members by data; or an array index in a decoding path.
public struct JSONKey: CodingKey, ExpressibleByStringLiteral, Sendable {
    public let stringValue: String
    public let intValue: Int?

    public init(_ name: String) { (stringValue, intValue) = (name, nil) }
    public init(stringLiteral name: String) { self.init(name) }
    public init(stringValue: String) { self.init(stringValue) }
    public init(intValue: Int) { (stringValue, self.intValue) = (String(intValue), intValue) }
}

extension JSONValue: Codable {
    /// As a JSON value inside a typed view: the encoder and decoder above take it as it is.
    public init(from decoder: Decoder) throws {
        guard let tree = decoder as? JSONValueDecoder.TreeDecoder else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "a JSONValue decodes only with JSONValueDecoder"))
        }
        self = tree.value
    }

    public func encode(to encoder: Encoder) throws {
        guard let stream = encoder as? JSONStreamEncoder else {
            throw EncodingError.invalidValue(self, .init(codingPath: encoder.codingPath, debugDescription: "a JSONValue encodes only with JSONValueEncoder"))
        }
        stream.write(self)
    }
}
