import Synchronization

/// The keys personal values are sealed with, one per data subject (the key store beside the
/// log). Sealing is deterministic for one key, event and member, so an event sent twice is
/// stored the same way twice (a duplicate, not a conflict).
public protocol FieldKeys: AnyObject, Sendable {
    /// `plaintext` (an encoded value) of member `field` of event `id`, sealed under the key of
    /// `subject` (made if it has none): the key's number and the sealed bytes.
    func seal(_ plaintext: UnsafeRawBufferPointer, subject: SealSubject, id: String, field: String) throws -> (key: UInt64, sealed: [UInt8])
    /// The plaintext of sealed bytes, or nil when this store has no such key (destroyed, or
    /// another's); it throws when the key is there and the bytes do not open with it (damage).
    func open(_ sealed: UnsafeRawBufferPointer, key: UInt64, id: String, field: String) throws -> [UInt8]?
    /// The token a forget gave the destroyed key `key` (`ErasurePlan`), if it gave one.
    func erasedToken(key: UInt64) -> String?
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

    /// The record body with its personal members sealed (`PersonalFields`), or nil when it has
    /// none holding a string.
    public static func seal(_ body: UnsafeRawBufferPointer, with keys: any FieldKeys) throws -> [UInt8]? {
        let view = try RecordView(seq: 0, recordedMicros: 0, body: body)
        let members = PersonalFields.members(of: view.type)
        guard !members.isEmpty, view.flags & RecordCodec.hasSealed == 0, let data = try view.dataOffset() else { return nil }
        let (id, owner) = (view.id, view.account)
        // What describes a contact goes under the key of its first identifier.
        var about: String?
        if view.type == .contactUpdated, case .contactUpdated(let c) = try view.payload() {
            about = c.email.map { PersonalFields.identifierSubject(prefix: "e:", $0) }
                ?? c.person.map { PersonalFields.identifierSubject(prefix: "i:", $0) }
        } else if view.type == .messageSent, case .messageSent(let m) = try view.payload() {
            about = PersonalFields.handleSubject(m.recipient)
        }
        func sealed(_ value: UnsafeRawBufferPointer, _ person: String?, _ field: String) throws -> [UInt8] {
            let (number, sealed) = try keys.seal(value, subject: SealSubject(owner: owner, person: person), id: id, field: field)
            var w = ByteWriter(capacity: sealed.count + 12)
            w.u8(RecordCodec.Tag.sealed.rawValue)
            w.varint(number)
            w.varint(UInt64(sealed.count))
            w.bytes.append(contentsOf: sealed)
            return w.bytes
        }
        return try rewrite(body, flags: view.restOffset - 1, data: data, set: true) { key, value in
            guard let member = members.first(where: { $0.name == key }) else { return nil }
            switch member.kind {
            case .text:
                return value.first == RecordCodec.Tag.string.rawValue ? try sealed(value, nil, key) : nil
            case .identifier(let prefix):
                guard let s = try string(value) else { return nil }
                return try sealed(value, PersonalFields.identifierSubject(prefix: prefix, s), key)
            case .about:
                // A string, or each string of an object (member `name.key`).
                guard let about else { return nil }
                return try elements(value, key) { element, field in
                    element.first == RecordCodec.Tag.string.rawValue ? try sealed(element, about, field) : nil
                }
            case .handle:
                // One handle, or each of a list's (member `name.n`: no nonce repeats under a key).
                return try elements(value, key) { element, field in
                    guard let s = try string(element) else { return nil }
                    return try sealed(element, PersonalFields.handleSubject(s), field)
                }
            }
        }
    }

    /// The record body with its sealed values opened with the keys there are: one whose key is
    /// gone reads as `erased`, or, naming a person, as `PersonalFields.erasedIdentity`.
    /// `only`: the members opened (the others kept sealed); all when nil.
    static func open(_ body: UnsafeRawBufferPointer, flags: Int, data: Int, id: String, type: EventType,
                     only: Set<String>? = nil) throws(DecodeError) -> [UInt8] {
        let keyrings = keyrings.withLock { $0 }
        let members = PersonalFields.members(of: type)
        func opened(_ value: UnsafeRawBufferPointer, _ field: String, identity: Bool) throws -> [UInt8]? {
            guard value.first == RecordCodec.Tag.sealed.rawValue else { return nil }
            var r = ByteReader(value, offset: 1)
            let number = try r.varint()
            let sealed = try r.bytes(try r.length())
            for k in keyrings { if let plain = try k.open(sealed, key: number, id: id, field: field) { return plain } }
            var w = ByteWriter(capacity: 48)
            w.u8(RecordCodec.Tag.string.rawValue)
            w.string(identity ? PersonalFields.erasedIdentity(token: keyrings.lazy.compactMap { $0.erasedToken(key: number) }.first, key: number) : erased)
            return w.bytes
        }
        do {
            return try rewrite(body, flags: flags, data: data, set: false) { key, value -> [UInt8]? in
                if let only, !only.contains(key) { return nil }
                let identity = members.first { $0.name == key }.map { $0.kind != .text } ?? false
                return try elements(value, key) { element, field in try opened(element, field, identity: identity) }
            } ?? Array(body)
        } catch let e as DecodeError {
            throw e
        } catch {
            throw DecodeError(offset: data, reason: "\(error)")
        }
    }

    /// A value replaced by what `replace` gives it (nil: kept), or, if it is a list, each of its
    /// elements (as member `field.n`), or, if an object, each of its values (as `field.key`); nil
    /// when nothing was replaced.
    static func elements(_ value: UnsafeRawBufferPointer, _ field: String,
                         _ replace: (UnsafeRawBufferPointer, String) throws -> [UInt8]?) throws -> [UInt8]? {
        let isObject = value.first == RecordCodec.Tag.object.rawValue
        guard value.first == RecordCodec.Tag.array.rawValue || isObject else { return try replace(value, field) }
        var r = ByteReader(value, offset: 1)
        let count = try r.varint()
        var w = ByteWriter(capacity: value.count + 32)
        w.bytes.append(contentsOf: value[0..<r.offset])
        var changed = false
        for n in 0..<count {
            var name = String(n)
            if isObject {
                let keyStart = r.offset
                name = try r.string()
                w.bytes.append(contentsOf: value[keyStart..<r.offset])
            }
            let start = r.offset
            r.offset = BinaryValue.end(value, start)
            guard r.offset <= value.count else { throw DecodeError(offset: start, reason: "a list runs past the end of its value") }
            let element = UnsafeRawBufferPointer(rebasing: value[start..<r.offset])
            if let replaced = try replace(element, "\(field).\(name)") {
                w.bytes.append(contentsOf: replaced)
                changed = true
            } else {
                w.bytes.append(contentsOf: element)
            }
        }
        return changed ? w.bytes : nil
    }

    /// The text of an encoded string value (nil: another kind of value).
    static func string(_ value: UnsafeRawBufferPointer) throws -> String? {
        guard value.first == RecordCodec.Tag.string.rawValue else { return nil }
        var r = ByteReader(value, offset: 1)
        return try r.string()
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
