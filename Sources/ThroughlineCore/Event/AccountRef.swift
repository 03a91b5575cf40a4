/// An account named by another system's identifier (`"account_ref": {"system": "helpdesk",
/// "id": "org-4711"}`) instead of Throughline's own id. The log files such an event under the
/// reference's `key`; which account it belongs to is decided by the fold, from the
/// `identity.linked` events (see `IdentityMap`), never at ingest.
public struct AccountRef: Sendable, Hashable, Comparable {
    public var system: String
    public var id: String

    public init(system: String, id: String) {
        self.system = system
        self.id = id
    }

    /// The separator of a reference's key: a control character, which no account id may hold,
    /// so a key can never be mistaken for an account.
    public static let separator: UInt8 = 0x1F

    /// The account field of the log record: the separator, the system, the separator, the id.
    public var key: String { "\u{1F}\(system)\u{1F}\(id)" }

    /// The reference a log record's account field holds, or nil for an account id.
    public init?(key: String) {
        guard key.utf8.first == Self.separator else { return nil }
        let parts = key.utf8.dropFirst().split(separator: Self.separator, maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        (system, id) = (String(decoding: parts[0], as: UTF8.self), String(decoding: parts[1], as: UTF8.self))
    }

    /// True when a record's account bytes are a reference's key.
    public static func isKey(_ bytes: some Collection<UInt8>) -> Bool { bytes.first == separator }

    /// True when `key` (a record's account field, or a key the fold files events under) is a reference's.
    public static func isKey(_ key: String) -> Bool { isKey(key.utf8) }

    public var jsonValue: JSONValue { .object([JSONMember("system", .string(system)), JSONMember("id", .string(id))]) }

    /// `system:id`, as people write it.
    public var description: String { "\(system):\(id)" }

    public static func < (a: AccountRef, b: AccountRef) -> Bool { (a.system, a.id) < (b.system, b.id) }

    /// Longest system name, in characters.
    public static let maxSystemLength = 64

    /// Reads a reference object (`account_ref`, or `ref` inside an identity event's data): a
    /// `system` (a lowercase name: letters, digits, `-`, `_`, `.`, starting with a letter) and an
    /// `id` (the other system's identifier, printable, in NFC).
    static func read(_ r: FieldReader) throws(ValidationError) -> AccountRef {
        for i in 0..<r.object.count where !(r.object.key(at: i, is: "system") || r.object.key(at: i, is: "id")) {
            throw ValidationError(field: r.fieldPath(r.object.key(at: i)), "is not a field of a reference (system, id)")
        }
        let system = try r.requiredKey("system", maxLength: maxSystemLength)
        guard let first = system.utf8.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first),
              system.utf8.allSatisfy({ b in
                  (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(b) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b)
                      || b == UInt8(ascii: "-") || b == UInt8(ascii: "_") || b == UInt8(ascii: ".")
              }) else {
            throw ValidationError(field: r.fieldPath("system"),
                                  "must be a system's name in lowercase letters, digits, '-', '_' or '.', starting with a letter (e.g. helpdesk), not \"\(system)\"")
        }
        let id = try r.requiredKey("id", maxLength: EventDecoder.maxKeyLength)
        if !EventDecoder.isPrintable(id) {
            throw ValidationError(field: r.fieldPath("id"), "must contain only printable characters")
        }
        return AccountRef(system: system, id: id)
    }
}
