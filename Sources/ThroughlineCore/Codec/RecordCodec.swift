#if canImport(Glibc)
import Glibc
#endif

/// The compact binary record of one event (see `schemas/log-format.md`, "Records"). Readers
/// decode it without parsing JSON; `decode(encode(e)) == e`, so `dump` prints back what the
/// producer sent.
public enum RecordCodec {
    enum Tag: UInt8 {
        case null = 0, `false` = 1, `true` = 2, int = 3, numberText = 4, string = 5, array = 6, object = 7
        /// A personal value sealed under its subject's key (`SealedRecord`): the key's number,
        /// then the sealed bytes with their length.
        case sealed = 8
    }

    static let hasSource: UInt8 = 1, hasActor: UInt8 = 2, hasData: UInt8 = 4
    /// The record's `data` holds sealed values (`SealedRecord`).
    static let hasSealed: UInt8 = 8

    /// Appends the record of `event` (length-prefixed) to `w`.
    public static func encode(_ event: Event, into w: inout ByteWriter) {
        var body = ByteWriter(capacity: 256)
        encodeBody(event, into: &body)
        w.varint(UInt64(body.bytes.count))
        w.bytes.append(contentsOf: body.bytes)
    }

    /// The record body of `event` without its length prefix.
    public static func encodeBody(_ event: Event, into w: inout ByteWriter) {
        w.string(event.id)
        w.string(event.account)
        encodeTypeAndTime(event.type, event.time, into: &w)
        var flags: UInt8 = 0
        if event.source != nil { flags |= hasSource }
        if event.actor != nil { flags |= hasActor }
        if event.data != nil { flags |= hasData }
        w.u8(flags)
        if let s = event.source { w.string(s) }
        if let a = event.actor { w.string(a) }
        if let d = event.data { encodeMembers(d, into: &w) }
    }

    /// The type code and the time fields of a record body.
    static func encodeTypeAndTime(_ type: EventType, _ time: Timestamp, into w: inout ByteWriter) {
        w.u8(type.code)
        w.zigzag(time.seconds)
        w.varint(UInt64(time.nanos))
        w.u8(time.fractionDigits)
        if let m = time.offsetMinutes {
            w.varint(UInt64(bitPattern: (Int64(m) << 1) ^ (Int64(m) >> 63)) << 1 | 1)
        } else {
            w.varint(0)
        }
    }

    static func encodeMembers(_ members: [JSONMember], into w: inout ByteWriter) {
        w.varint(UInt64(members.count))
        for m in members {
            w.string(m.key)
            encodeValue(m.value, into: &w)
        }
    }

    static func encodeValue(_ v: JSONValue, into w: inout ByteWriter) {
        switch v {
        case .null: w.u8(Tag.null.rawValue)
        case .bool(let b): w.u8(b ? Tag.true.rawValue : Tag.false.rawValue)
        case .number(let text):
            if let i = canonicalInteger(text) {
                w.u8(Tag.int.rawValue)
                w.zigzag(i)
            } else {
                w.u8(Tag.numberText.rawValue)
                w.string(text)
            }
        case .string(let s):
            w.u8(Tag.string.rawValue)
            w.string(s)
        case .array(let items):
            w.u8(Tag.array.rawValue)
            w.varint(UInt64(items.count))
            for item in items { encodeValue(item, into: &w) }
        case .object(let members):
            w.u8(Tag.object.rawValue)
            encodeMembers(members, into: &w)
        }
    }

    /// The integer whose decimal text is exactly `text`, so printing it back gives the same text.
    static func canonicalInteger(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8 { canonicalInteger($0) }
    }

    /// Same, over the UTF-8 bytes of a JSON number literal: `-?(0|[1-9][0-9]*)` within Int64,
    /// excluding `-0` (which must print back as `-0`).
    static func canonicalInteger(_ t: UnsafeBufferPointer<UInt8>) -> Int64? {
        var i = 0
        let negative = t.first == UInt8(ascii: "-")
        if negative { i = 1 }
        let digits = t.count - i
        guard digits >= 1, digits <= 19, !(digits > 1 && t[i] == UInt8(ascii: "0")) else { return nil }
        var v: UInt64 = 0
        while i < t.count {
            let d = t[i] &- UInt8(ascii: "0")
            guard d < 10 else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(d))
            if o1 || o2 { return nil }
            v = a
            i += 1
        }
        if negative {
            guard v != 0, v <= UInt64(Int64.max) + 1 else { return nil }
            return v == UInt64(Int64.max) + 1 ? Int64.min : -Int64(v)
        }
        return v <= UInt64(Int64.max) ? Int64(v) : nil
    }

    /// Decodes the length-prefixed record at `r`'s offset and advances past it.
    public static func decode(_ r: inout ByteReader) throws(DecodeError) -> Event {
        let n = try r.length()
        var body = ByteReader(try r.bytes(n))
        return try decodeBody(&body)
    }

    /// True when two record bodies start with the same id.
    public static func sameID(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Bool {
        a.withUnsafeBytes { pa in
            b.withUnsafeBytes { pb in
                var ra = ByteReader(pa), rb = ByteReader(pb)
                guard let na = try? ra.length(), let nb = try? rb.length(), na == nb else { return false }
                return memcmp(pa.baseAddress! + ra.offset, pb.baseAddress! + rb.offset, na) == 0
            }
        }
    }

    /// Reads only the `id` of the record at `r`'s offset and advances past the whole record.
    public static func decodeID(_ r: inout ByteReader) throws(DecodeError) -> String {
        let n = try r.length()
        var body = ByteReader(try r.bytes(n))
        return try body.string()
    }

    /// Decodes a record body (no length prefix); with `data: false`, the envelope only (`data` nil).
    public static func decodeBody(_ r: inout ByteReader, data withData: Bool = true) throws(DecodeError) -> Event {
        let id = try r.string()
        let account = try r.string()
        let (type, time) = try decodeTypeAndTime(&r)
        let flags = try r.u8()
        let source = flags & hasSource != 0 ? try r.string() : nil
        let actor = flags & hasActor != 0 ? try r.string() : nil
        let data = withData && flags & hasData != 0 ? try decodeMembers(&r, depth: 0) : nil
        return Event(id: id, account: account, type: type, time: time, source: source, actor: actor, data: data)
    }

    /// Reads what `encodeTypeAndTime` wrote.
    static func decodeTypeAndTime(_ r: inout ByteReader) throws(DecodeError) -> (EventType, Timestamp) {
        let code = try r.u8()
        guard let type = EventType(code: code) else { throw r.fail("unknown event type code \(code)") }
        let seconds = try r.zigzag()
        let nanos = try r.varint()
        let digits = try r.u8()
        let off = try r.varint()
        var offset: Int16? = nil
        if off & 1 == 1 {
            let z = off >> 1
            offset = Int16(truncatingIfNeeded: Int64(bitPattern: z >> 1) ^ -Int64(bitPattern: z & 1))
        }
        guard nanos < 1_000_000_000, digits <= 9 else { throw r.fail("invalid time fields") }
        return (type, Timestamp(seconds: seconds, nanos: UInt32(nanos), offsetMinutes: offset, fractionDigits: digits))
    }

    static func decodeMembers(_ r: inout ByteReader, depth: Int) throws(DecodeError) -> [JSONMember] {
        let count = try r.length()
        var out: [JSONMember] = []
        out.reserveCapacity(count)
        for _ in 0..<count {
            let key = try r.string()
            out.append(JSONMember(key, try decodeValue(&r, depth: depth + 1)))
        }
        return out
    }

    static func decodeValue(_ r: inout ByteReader, depth: Int) throws(DecodeError) -> JSONValue {
        guard depth <= JSONParser.maxDepth else { throw r.fail("value nested too deeply") }
        let t = try r.u8()
        switch Tag(rawValue: t) {
        case .null: return .null
        case .false: return .bool(false)
        case .true: return .bool(true)
        case .int: return .number(String(try r.zigzag()))
        case .numberText: return .number(try r.string())
        case .string: return .string(try r.string())
        case .array:
            let n = try r.length()
            var items: [JSONValue] = []
            items.reserveCapacity(n)
            for _ in 0..<n { items.append(try decodeValue(&r, depth: depth + 1)) }
            return .array(items)
        case .object: return .object(try decodeMembers(&r, depth: depth))
        case .sealed:
            // Read without its key (`RecordView` opens a record with the keys there are): erased.
            _ = try r.varint()
            try r.skipString()
            return .string(SealedRecord.erased)
        case nil: throw r.fail("unknown value tag \(t)")
        }
    }
}
