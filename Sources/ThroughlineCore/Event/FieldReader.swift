/// Reads typed fields out of a JSON object and turns every mismatch into a `ValidationError`
/// that names the field's full path (`data.priority`) and what was expected.
public struct FieldReader {
    public let members: [JSONMember]
    /// Path of the object itself (`data`), prefixed to each field name in errors.
    public let path: String

    public init(_ members: [JSONMember], path: String) {
        self.members = members
        self.path = path
    }

    func fieldPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func value(_ key: String) -> JSONValue? {
        for m in members where m.key == key { return m.value }
        return nil
    }

    func fail(_ key: String, _ reason: String) -> ValidationError { ValidationError(field: fieldPath(key), reason) }

    func required<T>(_ key: String, _ read: (String) throws(ValidationError) -> T?) throws(ValidationError) -> T {
        guard let v = try read(key) else { throw fail(key, "is required") }
        return v
    }

    public func string(_ key: String, maxLength: Int = 10_000, nonEmpty: Bool = false) throws(ValidationError) -> String? {
        guard let v = value(key) else { return nil }
        guard case .string(let s) = v else { throw fail(key, "must be a string, not \(v.typeName)") }
        if nonEmpty && s.isEmpty { throw fail(key, "must not be empty") }
        if s.utf8.count > maxLength && s.unicodeScalars.count > maxLength {
            throw fail(key, "must be at most \(maxLength) characters")
        }
        return s
    }

    public func requiredString(_ key: String, maxLength: Int = 10_000) throws(ValidationError) -> String {
        try required(key) { (k) throws(ValidationError) in try string(k, maxLength: maxLength, nonEmpty: true) }
    }

    public func oneOf<E: RawRepresentable & CaseIterable>(_ key: String, _: E.Type) throws(ValidationError) -> E?
    where E.RawValue == String {
        guard let v = value(key) else { return nil }
        if case .string(let s) = v, let e = E(rawValue: s) { return e }
        throw fail(key, "must be one of \(E.allCases.map(\.rawValue).joined(separator: ", "))")
    }

    public func requiredOneOf<E: RawRepresentable & CaseIterable>(_ key: String, _ t: E.Type) throws(ValidationError) -> E
    where E.RawValue == String {
        try required(key) { (k) throws(ValidationError) in try oneOf(k, t) }
    }

    public func number(_ key: String, min: Double? = nil, max: Double? = nil) throws(ValidationError) -> Double? {
        guard let v = value(key) else { return nil }
        guard case .number(let text) = v, let d = Double(text), d.isFinite else {
            throw fail(key, "must be a number, not \(v.typeName)")
        }
        if let min, d < min { throw fail(key, "must be at least \(format(min))") }
        if let max, d > max { throw fail(key, "must be at most \(format(max))") }
        return d
    }

    public func integer(_ key: String, min: Int? = nil, max: Int? = nil) throws(ValidationError) -> Int? {
        guard let v = value(key) else { return nil }
        return try FieldReader.integer(v, path: fieldPath(key), min: min, max: max)
    }

    /// `v` as an integer within bounds; `1.0` and `1e3` count as integers, as in JSON Schema.
    /// `path` is only evaluated for the error message.
    static func integer(_ v: JSONValue, path: @autoclosure () -> String, min: Int?, max: Int?) throws(ValidationError) -> Int {
        guard case .number(let text) = v, let i = Int(text) ?? integral(text) else {
            throw ValidationError(field: path(), "must be an integer, not \(v.typeName == "number" ? "a fraction" : v.typeName)")
        }
        if let min, i < min { throw ValidationError(field: path(), "must be at least \(min)") }
        if let max, i > max { throw ValidationError(field: path(), "must be at most \(max)") }
        return i
    }

    private static func integral(_ text: String) -> Int? {
        guard let d = Double(text), d.rounded() == d, abs(d) < 9.0e15 else { return nil }
        return Int(d)
    }

    public func requiredInteger(_ key: String, min: Int? = nil, max: Int? = nil) throws(ValidationError) -> Int {
        try required(key) { (k) throws(ValidationError) in try integer(k, min: min, max: max) }
    }

    public func bool(_ key: String) throws(ValidationError) -> Bool? {
        guard let v = value(key) else { return nil }
        guard case .bool(let b) = v else { throw fail(key, "must be true or false, not \(v.typeName)") }
        return b
    }

    public func date(_ key: String) throws(ValidationError) -> CalendarDate? {
        guard let v = value(key) else { return nil }
        guard case .string(let s) = v, let d = CalendarDate(iso: s) else {
            throw fail(key, "must be a date YYYY-MM-DD")
        }
        return d
    }

    public func requiredDate(_ key: String) throws(ValidationError) -> CalendarDate {
        try required(key) { (k) throws(ValidationError) in try date(k) }
    }

    public func stringArray(_ key: String) throws(ValidationError) -> [String]? {
        guard let v = value(key) else { return nil }
        guard case .array(let items) = v else { throw fail(key, "must be an array of strings, not \(v.typeName)") }
        var out: [String] = []
        out.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            guard case .string(let s) = item else {
                throw ValidationError(field: "\(fieldPath(key))[\(i)]", "must be a string, not \(item.typeName)")
            }
            out.append(s)
        }
        return out
    }

    public func object(_ key: String) throws(ValidationError) -> FieldReader? {
        guard let v = value(key) else { return nil }
        guard case .object(let m) = v else { throw fail(key, "must be an object, not \(v.typeName)") }
        return FieldReader(m, path: fieldPath(key))
    }

    private func format(_ d: Double) -> String { d.rounded() == d ? String(Int(d)) : String(d) }
}
