import Synchronization

/// The keys personal values are sealed with, one per data subject (the key store beside the
/// log). Sealing is deterministic for one key, event and member, so an event sent twice is
/// stored the same way twice (a duplicate, not a conflict).
public protocol FieldKeys: AnyObject, Sendable {
    /// `plaintext` (an encoded value) of member `field` of event `id`, sealed under the key of
    /// `subject` (made if it has none): the key's number and the sealed bytes.
    func seal(_ plaintext: UnsafeRawBufferPointer, subject: String, id: String, field: String) throws -> (key: UInt64, sealed: [UInt8])
    /// The plaintext of sealed bytes, or nil when this store has no such key (destroyed, or
    /// another's); it throws when the key is there and the bytes do not open with it (damage).
    func open(_ sealed: UnsafeRawBufferPointer, key: UInt64, id: String, field: String) throws -> [UInt8]?
}

/// Records whose personal members (`PersonalFields`) are sealed: such a record has the flag
/// `hasSealed`, and each sealed member the value tag `sealed`. `RecordView` opens them with the
/// keys of the stores this process opened; a value whose key is gone reads as `erased`.
public enum SealedRecord {
    /// What a sealed value whose key is destroyed reads as.
    public static let erased = "(erased)"

    /// The key stores of this process, tried in turn (key numbers are random, so two stores'
    /// keys never answer for each other).
    static let keyrings = Mutex<[any FieldKeys]>([])

    /// Makes `keys` one of the key stores records are opened with.
    public static func register(_ keys: any FieldKeys) {
        keyrings.withLock { list in if !list.contains(where: { $0 === keys }) { list.append(keys) } }
    }

    /// Stops opening records with `keys` (the store closed).
    public static func unregister(_ keys: any FieldKeys) {
        keyrings.withLock { $0.removeAll { $0 === keys } }
    }

    /// The record body with its personal members sealed under the key of the account it is
    /// filed under, or nil when it has none (or none holding a string).
    public static func seal(_ body: UnsafeRawBufferPointer, with keys: any FieldKeys) throws -> [UInt8]? {
        let view = try RecordView(seq: 0, recordedMicros: 0, body: body)
        let fields = PersonalFields.of(view.type)
        guard !fields.isEmpty, view.flags & RecordCodec.hasSealed == 0, let data = try view.dataOffset() else { return nil }
        let (id, subject) = (view.id, view.account)
        return try rewrite(body, flags: view.restOffset - 1, data: data, set: true) { key, value in
            guard fields.contains(key), value.first == RecordCodec.Tag.string.rawValue else { return nil }
            let (number, sealed) = try keys.seal(value, subject: subject, id: id, field: key)
            var w = ByteWriter(capacity: sealed.count + 12)
            w.u8(RecordCodec.Tag.sealed.rawValue)
            w.varint(number)
            w.varint(UInt64(sealed.count))
            w.bytes.append(contentsOf: sealed)
            return w.bytes
        }
    }

    /// The record body with its sealed values opened with the keys there are (or `erased`).
    static func open(_ body: UnsafeRawBufferPointer, flags: Int, data: Int, id: String) throws(DecodeError) -> [UInt8] {
        let keyrings = keyrings.withLock { $0 }
        do {
            return try rewrite(body, flags: flags, data: data, set: false) { key, value -> [UInt8]? in
                guard value.first == RecordCodec.Tag.sealed.rawValue else { return nil }
                var r = ByteReader(value, offset: 1)
                let number = try r.varint()
                let sealed = try r.bytes(try r.length())
                for k in keyrings { if let plain = try k.open(sealed, key: number, id: id, field: key) { return plain } }
                var w = ByteWriter(capacity: 16)
                w.u8(RecordCodec.Tag.string.rawValue)
                w.string(erased)
                return w.bytes
            }!
        } catch let e as DecodeError {
            throw e
        } catch {
            throw DecodeError(offset: data, reason: "\(error)")
        }
    }

    /// The body with each top-level `data` member's value replaced by what `replace` gives (nil:
    /// kept), and the sealed flag set or cleared.
    static func rewrite(_ body: UnsafeRawBufferPointer, flags: Int, data: Int, set: Bool,
                        _ replace: (String, UnsafeRawBufferPointer) throws -> [UInt8]?) throws -> [UInt8]? {
        var r = ByteReader(body, offset: data)
        let count = try r.length()
        var w = ByteWriter(capacity: body.count + 32)
        w.bytes.append(contentsOf: body[0..<data])
        w.bytes[flags] = set ? w.bytes[flags] | RecordCodec.hasSealed : w.bytes[flags] & ~RecordCodec.hasSealed
        w.varint(UInt64(count))
        var changed = false
        for _ in 0..<count {
            let keyStart = r.offset
            let key = try r.string()
            let valueStart = r.offset
            r.offset = BinaryValue.end(body, valueStart)
            guard r.offset <= body.count else { throw DecodeError(offset: valueStart, reason: "a value runs past the end of the record") }
            w.bytes.append(contentsOf: body[keyStart..<valueStart])
            let value = UnsafeRawBufferPointer(rebasing: body[valueStart..<r.offset])
            if let replaced = try replace(key, value) {
                w.bytes.append(contentsOf: replaced)
                changed = true
            } else {
                w.bytes.append(contentsOf: value)
            }
        }
        w.bytes.append(contentsOf: body[r.offset...])
        return changed || !set ? w.bytes : nil
    }
}
