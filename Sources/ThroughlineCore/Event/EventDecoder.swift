/// Turns one NDJSON line into a validated event, or a `ValidationError` naming the field.
/// The rules are those of `schemas/envelope.schema.json` and `schemas/events/`; a test keeps
/// the two in agreement. The line is transcoded once into binary and checked there; the result
/// is the event's log record, ready for the writer.
public enum EventDecoder {
    /// Longest `id` and `account`, in characters.
    public static let maxKeyLength = 128

    /// Decodes and validates one event from UTF-8 bytes into its record.
    public static func encode(_ bytes: UnsafeBufferPointer<UInt8>) throws(ValidationError) -> EncodedEvent {
        var scratch = ByteWriter(capacity: bytes.count + 16)
        var batch = EncodedBatch()
        try encode(bytes, scratch: &scratch, into: &batch)
        return EncodedEvent(body: Array(batch.bytes), idHash: batch.hashes[0])
    }

    /// Decodes and validates one event from UTF-8 bytes and appends its record to `batch`; on a
    /// validation error nothing is appended. `scratch` is working space, reused across calls.
    public static func encode(_ bytes: UnsafeBufferPointer<UInt8>, scratch: inout ByteWriter,
                              into batch: inout EncodedBatch) throws(ValidationError) {
        scratch.bytes.removeAll(keepingCapacity: true)
        do { try JSONParser.transcode(bytes, into: &scratch) } catch { throw ValidationError(field: "", error.description) }
        let failure: ValidationError? = scratch.bytes.withUnsafeBytes { b in
            let top = BinaryValue(bytes: b, offset: 0)
            guard let object = top.object else {
                return ValidationError(field: "", "an event must be a JSON object, not \(top.typeName)")
            }
            do throws(ValidationError) { try validate(object, into: &batch) } catch { return error }
            return nil
        }
        if let failure { throw failure }
    }

    /// Decodes and validates one event from UTF-8 bytes.
    public static func decode(_ bytes: UnsafeBufferPointer<UInt8>) throws(ValidationError) -> Event {
        try encode(bytes).event
    }

    /// Decodes and validates one event from text (tests, small inputs).
    public static func decode(_ text: String) throws(ValidationError) -> Event {
        let bytes = Array(text.utf8)
        let result: Result<Event, ValidationError> = bytes.withUnsafeBufferPointer { b in
            do throws(ValidationError) { return .success(try decode(b)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    static let envelopeKeys: [StaticString] = ["id", "account", "type", "time", "source", "actor", "data", "account_ref"]

    private static func validate(_ object: BinaryObject, into batch: inout EncodedBatch) throws(ValidationError) {
        var seen: UInt8 = 0
        for i in 0..<object.count {
            guard let k = envelopeKeys.indices.first(where: { object.key(at: i, is: envelopeKeys[$0]) }) else {
                let key = object.key(at: i)
                if key == "seq" || key == "recorded" {
                    throw ValidationError(field: key, "is assigned by the server; a producer must not send it")
                }
                throw ValidationError(field: key, "is not an envelope field (id, account or account_ref, type, time, source, actor, data); put extra fields inside data")
            }
            let bit: UInt8 = 1 << k
            if seen & bit != 0 { throw ValidationError(field: envelopeKeys[k].description, "appears twice") }
            seen |= bit
        }
        let r = FieldReader(object, path: "")
        let bytes = object.bytes
        guard let id = try r.stringRange("id", maxLength: maxKeyLength, nonEmpty: true) else { throw r.fail("id", "is required") }
        if hasControlCharacter(UnsafeRawBufferPointer(rebasing: bytes[id])) { throw ValidationError(field: "id", "must contain only printable characters") }
        try r.requireNFC("id", id)
        // The account, or a reference to it in another system (filed under the reference's key).
        let account: Range<Int>?, ref: AccountRef?
        if let refObject = try r.object("account_ref") {
            if object.value("account") != nil {
                throw ValidationError(field: "account_ref", "an event names its account by account or by account_ref, not both")
            }
            (account, ref) = (nil, try AccountRef.read(refObject))
        } else {
            guard let range = try r.stringRange("account", maxLength: maxKeyLength, nonEmpty: true) else {
                throw r.fail("account", "is required (or account_ref, naming the account by another system's id)")
            }
            if hasControlCharacter(UnsafeRawBufferPointer(rebasing: bytes[range])) { throw ValidationError(field: "account", "must contain only printable characters") }
            try r.requireNFC("account", range)
            if bytes[range].allSatisfy({ $0 == UInt8(ascii: ".") }) && range.count <= 2 {
                throw ValidationError(field: "account", "must not be \".\" or \"..\": a URL cannot name such an account (they mean this and the parent path)")
            }
            (account, ref) = (range, nil)
        }
        let typeName = try r.requiredString("type", maxLength: 64)
        guard let type = EventType.named(typeName) else {
            throw ValidationError(field: "type", "unknown event type \"\(typeName)\"; expected one of \(EventType.names)")
        }
        if ref != nil && type.isIdentity {
            throw ValidationError(field: "account_ref", "\(type.rawValue) names the account by its Throughline id (account), not by a reference")
        }
        guard let timeRange = try r.stringRange("time", maxLength: 64, nonEmpty: true) else { throw r.fail("time", "is required") }
        guard let time = Timestamp.parse(UnsafeRawBufferPointer(rebasing: bytes[timeRange]).assumingMemoryBound(to: UInt8.self)) else {
            throw ValidationError(field: "time", "must be an RFC 3339 date-time with offset, e.g. 2026-03-02T09:14:00Z")
        }
        guard Bounds.years.contains(Int(bytes[timeRange].prefix(4).reduce(0) { $0 * 10 + Int($1 &- UInt8(ascii: "0")) })) else {
            throw ValidationError(field: "time", "must be in \(Bounds.yearsText)")
        }
        let source = try r.stringRange("source", maxLength: 256, nonEmpty: false)
        let actor = try r.stringRange("actor", maxLength: 256, nonEmpty: false)
        let data = try r.object("data")
        let payload = try EventPayload(type: type, data: data ?? FieldReader(.empty, path: "data"))
        if case .accountMerged(let m) = payload, let account, m.into.utf8.elementsEqual(bytes[account]) {
            throw ValidationError(field: "data.into", "names the event's own account: an account is not merged into itself")
        }

        batch.append(idHash: Hash64.hash(UnsafeRawBufferPointer(rebasing: bytes[id]))) { w in
            func put(_ range: Range<Int>) {
                w.varint(UInt64(range.count))
                w.bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[range]))
            }
            put(id)
            if let account {
                put(account)
            } else if let key = ref?.key {
                w.varint(UInt64(key.utf8.count))
                w.bytes.append(contentsOf: key.utf8)
            }
            RecordCodec.encodeTypeAndTime(type, time, into: &w)
            w.u8((source != nil ? RecordCodec.hasSource : 0) | (actor != nil ? RecordCodec.hasActor : 0)
                 | (data != nil ? RecordCodec.hasData : 0))
            if let source { put(source) }
            if let actor { put(actor) }
            if let data { w.bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[data.object.countOffset..<data.object.end])) }
        }
    }

    /// True if `text` holds no control character (see below).
    static func isPrintable(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { !hasControlCharacter(UnsafeRawBufferPointer($0)) }
    }

    /// True if the UTF-8 bytes hold a C0 or C1 control character (U+0000–U+001F, U+007F–U+009F).
    private static func hasControlCharacter(_ utf8: UnsafeRawBufferPointer) -> Bool {
        var previous: UInt8 = 0
        for b in utf8 {
            if b < 0x20 || b == 0x7F || (previous == 0xC2 && (0x80...0x9F).contains(b)) { return true }
            previous = b
        }
        return false
    }
}
