/// Turns one NDJSON line into a validated `Event`, or a `ValidationError` naming the field.
/// The rules are those of `schemas/envelope.schema.json` and `schemas/events/`; a test keeps
/// the two in agreement.
public enum EventDecoder {
    /// Longest `id` and `account`, in characters.
    public static let maxKeyLength = 128

    /// Decodes and validates one event from UTF-8 bytes.
    public static func decode(_ bytes: UnsafeBufferPointer<UInt8>) throws(ValidationError) -> Event {
        let value: JSONValue
        do { value = try JSONParser.parse(bytes) } catch { throw ValidationError(field: "", error.description) }
        return try decode(value)
    }

    /// Decodes and validates one event from text (tests, small inputs).
    public static func decode(_ text: String) throws(ValidationError) -> Event {
        var bytes = Array(text.utf8)
        return try bytes.withUnsafeMutableBufferPointer { (b) throws(ValidationError) in
            try decode(UnsafeBufferPointer(b))
        }
    }

    /// Validates an already parsed JSON value as an event.
    public static func decode(_ value: JSONValue) throws(ValidationError) -> Event {
        guard case .object(let members) = value else {
            throw ValidationError(field: "", "an event must be a JSON object, not \(value.typeName)")
        }
        var seen: UInt8 = 0
        for m in members {
            let bit: UInt8
            switch m.key {
            case "id": bit = 1
            case "account": bit = 2
            case "type": bit = 4
            case "time": bit = 8
            case "source": bit = 16
            case "actor": bit = 32
            case "data": bit = 64
            case "seq", "recorded":
                throw ValidationError(field: m.key, "is assigned by the server; a producer must not send it")
            default:
                throw ValidationError(field: m.key, "is not an envelope field (id, account, type, time, source, actor, data); put extra fields inside data")
            }
            if seen & bit != 0 { throw ValidationError(field: m.key, "appears twice") }
            seen |= bit
        }
        let r = FieldReader(members, path: "")
        let id = try r.requiredString("id", maxLength: maxKeyLength)
        if hasControlCharacter(id) {
            throw ValidationError(field: "id", "must contain only printable characters")
        }
        let account = try r.requiredString("account", maxLength: maxKeyLength)
        if hasControlCharacter(account) {
            throw ValidationError(field: "account", "must contain only printable characters")
        }
        let typeName = try r.requiredString("type", maxLength: 64)
        guard let type = EventType.named(typeName) else {
            throw ValidationError(field: "type", "unknown event type \"\(typeName)\"; expected one of \(EventType.names)")
        }
        let timeText = try r.requiredString("time", maxLength: 64)
        guard let time = Timestamp(rfc3339: timeText) else {
            throw ValidationError(field: "time", "must be an RFC 3339 date-time with offset, e.g. 2026-03-02T09:14:00Z")
        }
        let source = try r.string("source", maxLength: 256)
        let actor = try r.string("actor", maxLength: 256)
        let data = try r.object("data")?.members
        _ = try EventPayload(type: type, data: data ?? [])
        return Event(id: id, account: account, type: type, time: time, source: source, actor: actor, data: data)
    }

    /// True if `s` holds a C0 or C1 control character (U+0000–U+001F, U+007F–U+009F).
    private static func hasControlCharacter(_ s: String) -> Bool {
        var previous: UInt8 = 0
        for b in s.utf8 {
            if b < 0x20 || b == 0x7F || (previous == 0xC2 && (0x80...0x9F).contains(b)) { return true }
            previous = b
        }
        return false
    }
}
