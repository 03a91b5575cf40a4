/// A JSON value exactly as a producer wrote it: object keys keep their order and
/// numbers keep their literal text, so a stored event prints back as it was sent.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    /// The number's literal text as written (`42`, `-0.5`, `1e3`).
    case number(String)
    case string(String)
    case array([JSONValue])
    /// Members in the order they were written.
    case object([JSONMember])

    /// The members of an object, or nil for any other value.
    public var members: [JSONMember]? {
        if case .object(let m) = self { return m }
        return nil
    }

    /// The value of the first member named `key`, if this is an object that has it.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let m) = self else { return nil }
        return m.first(where: { $0.key == key })?.value
    }

    /// The items of an array, or nil for any other value.
    public var array: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }

    /// The strings of an array (other items left out), or nil for any other value.
    public var strings: [String]? {
        array?.compactMap { if case .string(let s) = $0 { s } else { nil } }
    }

    /// The number as a Double, if this is a number.
    public var doubleValue: Double? {
        if case .number(let text) = self { return Double(text) }
        return nil
    }

    /// A string, number or boolean as text (a number as written); nil for null, arrays and objects.
    public var scalarText: String? {
        switch self {
        case .string(let s): s
        case .number(let n): n
        case .bool(let b): String(b)
        case .null, .array, .object: nil
        }
    }

    /// The JSON type name used in error messages.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// Equality as JSON means it: member order does not matter and numbers compare by value
    /// (`1.0` equals `1`). Used to tell a retried event (duplicate) from a changed one (conflict).
    public func sameJSON(as other: JSONValue) -> Bool {
        switch (self, other) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.number(a), .number(b)): return a == b || (Double(a) != nil && Double(a) == Double(b))
        case let (.string(a), .string(b)): return a.sameBytes(as: b)
        case let (.array(a), .array(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.sameJSON(as: $1) }
        case let (.object(a), .object(b)):
            guard a.count == b.count else { return false }
            func byName(_ x: JSONMember, _ y: JSONMember) -> Bool { x.key.utf8.lexicographicallyPrecedes(y.key.utf8) }
            let sortedA = a.sorted(by: byName), sortedB = b.sorted(by: byName)
            return zip(sortedA, sortedB).allSatisfy { $0.key.sameBytes(as: $1.key) && $0.value.sameJSON(as: $1.value) }
        default: return false
        }
    }
}

extension String {
    /// Equal UTF-8 bytes. Swift's `==` holds canonically equivalent texts equal ("é" composed
    /// and decomposed); what a producer sent is compared by what it sent.
    @inlinable public func sameBytes(as other: String) -> Bool { utf8.elementsEqual(other.utf8) }
}

/// One `"key": value` member of a JSON object.
public struct JSONMember: Sendable, Hashable {
    public var key: String
    public var value: JSONValue
    public init(_ key: String, _ value: JSONValue) {
        self.key = key
        self.value = value
    }
}
