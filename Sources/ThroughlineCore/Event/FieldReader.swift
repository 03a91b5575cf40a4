#if canImport(Glibc)
import Glibc
#endif

/// Reads typed fields out of a binary-encoded JSON object and turns every mismatch into a
/// `ValidationError` naming the field's full path (`data.priority`) and what was expected.
/// The one set of rules for every path in: import, server, and hand-built events.
public struct FieldReader {
    public let object: BinaryObject
    /// Path of the object itself (`data`), prefixed to each field name in errors.
    public let path: String

    public init(_ object: BinaryObject, path: String) {
        self.object = object
        self.path = path
    }

    func fieldPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func fail(_ key: StaticString, _ reason: String) -> ValidationError {
        ValidationError(field: fieldPath(key.description), reason)
    }

    func required<T>(_ key: StaticString, _ read: (StaticString) throws(ValidationError) -> T?) throws(ValidationError) -> T {
        guard let v = try read(key) else { throw fail(key, "is required") }
        return v
    }

    /// Byte range of a string field's UTF-8, checked for length.
    func stringRange(_ key: StaticString, maxLength: Int, nonEmpty: Bool) throws(ValidationError) -> Range<Int>? {
        guard let v = object.value(key) else { return nil }
        guard let r = v.stringRange else { throw fail(key, "must be a string, not \(v.typeName)") }
        if nonEmpty && r.isEmpty { throw fail(key, "must not be empty") }
        if r.count > maxLength && String(decoding: UnsafeRawBufferPointer(rebasing: object.bytes[r]), as: UTF8.self).unicodeScalars.count > maxLength {
            throw fail(key, "must be at most \(maxLength) characters")
        }
        return r
    }

    /// Refuses a key (an id, an account, a ticket or feature name) whose text is not in Unicode
    /// normalization form C: "é" sent as "e" and a combining accent would be a different key
    /// by its bytes and the same one to Swift's string comparison, so it is refused, not
    /// silently normalised. ASCII text is always in NFC.
    func requireNFC(_ key: @autoclosure () -> String, _ range: Range<Int>) throws(ValidationError) {
        let utf8 = UnsafeRawBufferPointer(rebasing: object.bytes[range])
        guard !utf8.allSatisfy({ $0 < 0x80 }) else { return }
        guard String(decoding: utf8, as: UTF8.self)._nfcCodeUnits.elementsEqual(utf8) else {
            throw ValidationError(field: path.isEmpty ? key() : "\(path).\(key())",
                                  "must be in Unicode normalization form C (composed characters, e.g. é as U+00E9, not e and U+0301)")
        }
    }

    /// A key's text (`requiredString` that must also be in NFC, see `requireNFC`).
    public func requiredKey(_ key: StaticString, maxLength: Int) throws(ValidationError) -> String {
        guard let r = try stringRange(key, maxLength: maxLength, nonEmpty: true) else { throw fail(key, "is required") }
        try requireNFC(key.description, r)
        return String(decoding: UnsafeRawBufferPointer(rebasing: object.bytes[r]), as: UTF8.self)
    }

    public func string(_ key: StaticString, maxLength: Int = 10_000, nonEmpty: Bool = false) throws(ValidationError) -> String? {
        try stringRange(key, maxLength: maxLength, nonEmpty: nonEmpty).map {
            String(decoding: UnsafeRawBufferPointer(rebasing: object.bytes[$0]), as: UTF8.self)
        }
    }

    public func requiredString(_ key: StaticString, maxLength: Int = 10_000) throws(ValidationError) -> String {
        try required(key) { (k) throws(ValidationError) in try string(k, maxLength: maxLength, nonEmpty: true) }
    }

    public func oneOf<E: RawRepresentable & CaseIterable>(_ key: StaticString, _: E.Type) throws(ValidationError) -> E?
    where E.RawValue == String {
        guard let v = object.value(key) else { return nil }
        if let e = v.oneOf(E.self) { return e }
        throw fail(key, "must be one of \(E.allCases.map(\.rawValue).joined(separator: ", "))")
    }

    public func requiredOneOf<E: RawRepresentable & CaseIterable>(_ key: StaticString, _ t: E.Type) throws(ValidationError) -> E
    where E.RawValue == String {
        try required(key) { (k) throws(ValidationError) in try oneOf(k, t) }
    }

    public func number(_ key: StaticString, min: Double? = nil, max: Double? = nil) throws(ValidationError) -> Double? {
        guard let v = object.value(key) else { return nil }
        guard let d = v.double, d.isFinite else { throw fail(key, "must be a number, not \(v.typeName)") }
        if let min, d < min { throw fail(key, "must be at least \(format(min))") }
        if let max, d > max { throw fail(key, "must be at most \(format(max))") }
        return d
    }

    public func integer(_ key: StaticString, min: Int? = nil, max: Int? = nil) throws(ValidationError) -> Int? {
        guard let v = object.value(key) else { return nil }
        return try FieldReader.integer(v, path: fieldPath(key.description), min: min, max: max)
    }

    /// `v` as an integer within bounds; `1.0` and `1e3` count as integers, as in JSON Schema.
    /// `path` is only evaluated for the error message.
    static func integer(_ v: BinaryValue, path: @autoclosure () -> String, min: Int?, max: Int?) throws(ValidationError) -> Int {
        let i: Int
        if let exact = v.int {
            i = Int(exact)
        } else if let d = v.double, d.rounded() == d, abs(d) < 9.0e15 {
            i = Int(d)
        } else {
            throw ValidationError(field: path(), "must be an integer, not \(v.typeName == "number" ? "a fraction" : v.typeName)")
        }
        if let min, i < min { throw ValidationError(field: path(), "must be at least \(min)") }
        if let max, i > max { throw ValidationError(field: path(), "must be at most \(max)") }
        return i
    }

    public func requiredInteger(_ key: StaticString, min: Int? = nil, max: Int? = nil) throws(ValidationError) -> Int {
        try required(key) { (k) throws(ValidationError) in try integer(k, min: min, max: max) }
    }

    public func bool(_ key: StaticString) throws(ValidationError) -> Bool? {
        guard let v = object.value(key) else { return nil }
        guard let b = v.bool else { throw fail(key, "must be true or false, not \(v.typeName)") }
        return b
    }

    public func date(_ key: StaticString) throws(ValidationError) -> CalendarDate? {
        guard let v = object.value(key) else { return nil }
        guard let r = v.stringRange,
              let d = CalendarDate.parse(UnsafeRawBufferPointer(rebasing: object.bytes[r]).assumingMemoryBound(to: UInt8.self)) else {
            throw fail(key, "must be a date YYYY-MM-DD")
        }
        guard Bounds.years.contains(d.year) else {
            throw fail(key, "must be a date in \(Bounds.yearsText)")
        }
        return d
    }

    public func requiredDate(_ key: StaticString) throws(ValidationError) -> CalendarDate {
        try required(key) { (k) throws(ValidationError) in try date(k) }
    }

    public func stringArray(_ key: StaticString) throws(ValidationError) -> [String]? {
        guard let v = object.value(key) else { return nil }
        guard let items = v.elements else { throw fail(key, "must be an array of strings, not \(v.typeName)") }
        var out: [String] = []
        out.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            guard let s = item.string else {
                throw ValidationError(field: "\(fieldPath(key.description))[\(i)]", "must be a string, not \(item.typeName)")
            }
            out.append(s)
        }
        return out
    }

    public func integerArray(_ key: StaticString, min: Int? = nil, max: Int? = nil) throws(ValidationError) -> [Int]? {
        guard let v = object.value(key) else { return nil }
        guard let items = v.elements else { throw fail(key, "must be an array of integers, not \(v.typeName)") }
        var out: [Int] = []
        out.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            out.append(try FieldReader.integer(item, path: "\(fieldPath(key.description))[\(i)]", min: min, max: max))
        }
        return out
    }

    public func object(_ key: StaticString) throws(ValidationError) -> FieldReader? {
        guard let v = object.value(key) else { return nil }
        guard let o = v.object else { throw fail(key, "must be an object, not \(v.typeName)") }
        return FieldReader(o, path: fieldPath(key.description))
    }

    /// An array of objects, each read with its path (`data.reasons[2]`).
    public func objectArray(_ key: StaticString, maxCount: Int) throws(ValidationError) -> [FieldReader]? {
        guard let v = object.value(key) else { return nil }
        guard let items = v.elements else { throw fail(key, "must be an array of objects, not \(v.typeName)") }
        guard items.count <= maxCount else { throw fail(key, "must have at most \(maxCount) items") }
        var out: [FieldReader] = []
        for (i, item) in items.enumerated() {
            let at = "\(fieldPath(key.description))[\(i)]"
            guard let o = item.object else { throw ValidationError(field: at, "must be an object, not \(item.typeName)") }
            out.append(FieldReader(o, path: at))
        }
        return out
    }

    private func format(_ d: Double) -> String { d.rounded() == d ? String(Int(d)) : String(d) }
}
