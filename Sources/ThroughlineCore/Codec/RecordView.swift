/// A stored record read in place: the envelope's fixed fields are decoded up front (a few
/// varints, no allocation) and the rest on demand. Valid only while its buffer is, i.e. inside
/// the reader's callback. The fast way to follow the log; `event()` gives the full `Event`.
public struct RecordView {
    public let seq: UInt64
    public let recordedMicros: Int64
    public let type: EventType
    public let time: Timestamp
    /// The record body, its sealed values opened (`SealedRecord`).
    public let body: UnsafeRawBufferPointer
    /// The record body as the log stores it (sealed values sealed): what copies of the record keep.
    public let stored: UnsafeRawBufferPointer
    /// The opened body of a sealed record, owned by the view.
    private let opened: OpenedBody?
    /// Whether some of the record's personal values were left sealed (`opening`).
    public var isSealed: Bool { flags & RecordCodec.hasSealed != 0 }
    let idRange: Range<Int>
    let accountRange: Range<Int>
    let flags: UInt8
    /// Offset of the first optional field (source, actor, data).
    let restOffset: Int

    /// The personal members the compact readers take of these types (`TicketFields`,
    /// `ActivityFields`: a call's participants, nothing of a ticket or a note).
    public static let readWhileSealed: [EventType: Set<String>] = [.ticketOpened: [], .ticketUpdated: [], .noteAdded: [], .callCompleted: ["participants"]]

    /// Which of a record's sealed personal values a view opens.
    public enum Opening: Sendable {
        /// Every one.
        case all
        /// Those members of a record of `readWhileSealed` (every one of other types), sparing a
        /// reader of the other fields their opening.
        case readers
        /// None: the envelope (id, account, type, time) is all a filter of records needs.
        case none
    }

    /// A view that leaves values sealed (`isSealed`, `opening` other than `.all`) refuses them in
    /// its typed payload; `unsealed()` opens the rest.
    public init(seq: UInt64, recordedMicros: Int64, body stored: UnsafeRawBufferPointer, opening: Opening = .all) throws(DecodeError) {
        self.seq = seq
        self.recordedMicros = recordedMicros
        self.stored = stored
        var r = ByteReader(stored)
        let idLength = try r.length()
        idRange = r.offset..<(r.offset + idLength)
        r.offset += idLength
        let accountLength = try r.length()
        accountRange = r.offset..<(r.offset + accountLength)
        r.offset += accountLength
        (type, time) = try RecordCodec.decodeTypeAndTime(&r)
        let flags = try r.u8()
        restOffset = r.offset
        // Most records have nothing sealed: the members to open are looked up only for those that do.
        let only: Set<String>? = if flags & RecordCodec.hasSealed == 0 { [] } else {
            switch opening {
            case .all: nil
            case .readers: Self.readWhileSealed[type]
            case .none: []
            }
        }
        if only?.isEmpty != true {
            // The data follows the source and the actor, if the event names them.
            if flags & RecordCodec.hasSource != 0 { try r.skipString() }
            if flags & RecordCodec.hasActor != 0 { try r.skipString() }
            guard flags & RecordCodec.hasData != 0 else { throw r.fail("a sealed record without data") }
            let bytes = try SealedRecord.open(stored, flags: restOffset - 1, data: r.offset, id: String(decoding: stored[idRange], as: UTF8.self), type: type,
                                              only: only)
            let owned = OpenedBody(bytes)
            opened = owned
            body = UnsafeRawBufferPointer(owned.buffer)
            // Opened in part, it stays marked sealed.
            self.flags = only == nil ? flags & ~RecordCodec.hasSealed : flags
        } else {
            opened = nil
            body = stored
            self.flags = flags
        }
    }

    /// The same record with every sealed value opened (itself when none is left sealed).
    public func unsealed() throws(DecodeError) -> RecordView {
        isSealed ? try RecordView(seq: seq, recordedMicros: recordedMicros, body: stored) : self
    }

    /// The id's UTF-8 bytes.
    public var idBytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: body[idRange]) }
    /// The account's UTF-8 bytes.
    public var accountBytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: body[accountRange]) }
    public var id: String { String(decoding: idBytes, as: UTF8.self) }
    public var account: String { String(decoding: accountBytes, as: UTF8.self) }

    /// The `data` object as a binary view (empty when the event had none).
    public func data() throws(DecodeError) -> BinaryObject {
        guard let offset = try dataOffset() else { return .empty }
        return BinaryObject(bytes: body, countOffset: offset)
    }

    /// The source's UTF-8 bytes, if the event names one.
    public func sourceBytes() throws(DecodeError) -> UnsafeRawBufferPointer? {
        guard flags & RecordCodec.hasSource != 0 else { return nil }
        var r = ByteReader(body, offset: restOffset)
        return try r.bytes(try r.length())
    }

    /// The actor's UTF-8 bytes, if the event names one.
    public func actorBytes() throws(DecodeError) -> UnsafeRawBufferPointer? {
        guard flags & RecordCodec.hasActor != 0 else { return nil }
        var r = try pastSource()
        return try r.bytes(try r.length())
    }

    /// Where the `data` object's member count is in `body`; nil when the event had none.
    func dataOffset() throws(DecodeError) -> Int? {
        guard flags & RecordCodec.hasData != 0 else { return nil }
        var r = try pastSource()
        if flags & RecordCodec.hasActor != 0 { try r.skipString() }
        return r.offset
    }

    /// A reader at the actor (or what follows), past the source if there is one.
    private func pastSource() throws(DecodeError) -> ByteReader {
        var r = ByteReader(body, offset: restOffset)
        if flags & RecordCodec.hasSource != 0 { try r.skipString() }
        return r
    }

    /// The typed payload, read straight from the record.
    public func payload() throws -> EventPayload {
        try EventPayload(type: type, data: FieldReader(data(), path: "data"))
    }

    /// The event's envelope (id, account, type, time, source, actor) without its `data`: for
    /// folds that take the typed `payload()` and need no JSON tree.
    public func envelope() throws(DecodeError) -> Event {
        var r = ByteReader(body)
        return try RecordCodec.decodeBody(&r, data: false)
    }

    /// The stored event and its typed payload as folds take them: the payload read straight from
    /// the record, the event's `data` kept only for profile updates (stored whole by the read models).
    public func foldable() throws -> (StoredEvent, EventPayload) {
        // Ingest refuses such times; an event stored before it did is not folded either.
        guard RecordView.foldableSeconds.contains(time.seconds) else {
            throw ValidationError(field: "time", "must be in \(Bounds.yearsText)")
        }
        let event = type == .accountUpdated ? try self.event() : try envelope()
        return (StoredEvent(seq: seq, recordedMicros: recordedMicros, event: event), try payload())
    }

    /// The instants (seconds since the epoch) of the years events may fall in, a day wider on
    /// each side for the offsets of local times.
    static let foldableSeconds: ClosedRange<Int64> =
        Int64(CalendarDate(year: Bounds.years.lowerBound, month: 1, day: 1).daysSinceEpoch - 1) * 86_400
        ... Int64(CalendarDate(year: Bounds.years.upperBound + 1, month: 1, day: 1).daysSinceEpoch + 1) * 86_400

    /// The whole event, decoded.
    public func event() throws(DecodeError) -> Event {
        var r = ByteReader(body)
        return try RecordCodec.decodeBody(&r)
    }
}

/// The opened body of a sealed record, kept as long as a view of it is.
final class OpenedBody {
    let buffer: UnsafeMutableRawBufferPointer

    init(_ bytes: [UInt8]) {
        buffer = .allocate(byteCount: bytes.count, alignment: 8)
        bytes.withUnsafeBytes { buffer.copyMemory(from: $0) }
    }

    deinit { buffer.deallocate() }
}
