/// One event as a producer sent it: the envelope of DESIGN.md plus its `data`, exactly as
/// written (member order and number literals kept). `seq` and `recorded` are not part of it:
/// the log assigns them at commit (see `StoredEvent`).
public struct Event: Sendable, Hashable {
    public var id: String
    /// The account's id, or, for an event that names its account by another system's reference,
    /// the reference's key (`AccountRef.key`, `accountRef`): the key the log files it under.
    public var account: String
    public var type: EventType
    public var time: Timestamp
    public var source: String?
    public var actor: String?
    /// The `data` object's members; nil when the producer sent no `data`.
    public var data: [JSONMember]?

    public init(id: String, account: String, type: EventType, time: Timestamp,
                source: String? = nil, actor: String? = nil, data: [JSONMember]? = nil) {
        self.id = id
        self.account = account
        self.type = type
        self.time = time
        self.source = source
        self.actor = actor
        self.data = data
    }

    /// The reference the event names its account by, if it does.
    public var accountRef: AccountRef? { AccountRef(key: account) }

    /// The typed payload. Events in the log were validated on the way in, so this only
    /// throws for events built by hand.
    public func payload() throws(ValidationError) -> EventPayload {
        try EventPayload(type: type, data: data ?? [])
    }

    /// The envelope as a JSON object in the canonical field order.
    public var jsonValue: JSONValue { .object(envelopeMembers) }

    var envelopeMembers: [JSONMember] {
        var m: [JSONMember] = [
            JSONMember("id", .string(id)), accountRef.map { JSONMember("account_ref", $0.jsonValue) } ?? JSONMember("account", .string(account)),
            JSONMember("type", .string(type.rawValue)), JSONMember("time", .string(time.description)),
        ]
        if let source { m.append(JSONMember("source", .string(source))) }
        if let actor { m.append(JSONMember("actor", .string(actor))) }
        if let data { m.append(JSONMember("data", .object(data))) }
        return m
    }

    /// True when `other` is the same event as JSON means it (a retry, not a change).
    public func sameContent(as other: Event) -> Bool {
        func same(_ a: String?, _ b: String?) -> Bool { a == nil ? b == nil : b.map { a!.sameBytes(as: $0) } ?? false }
        guard id.sameBytes(as: other.id), account.sameBytes(as: other.account), type == other.type,
              time.seconds == other.time.seconds, time.nanos == other.time.nanos,
              same(source, other.source), same(actor, other.actor) else { return false }
        return JSONValue.object(data ?? []).sameJSON(as: .object(other.data ?? []))
    }
}

/// An event as the log holds it: the producer's event plus the global `seq` and the
/// `recorded` time (microseconds since the epoch) the writer assigned at commit.
public struct StoredEvent: Sendable, Hashable {
    public var seq: UInt64
    public var recordedMicros: Int64
    public var event: Event

    public init(seq: UInt64, recordedMicros: Int64, event: Event) {
        self.seq = seq
        self.recordedMicros = recordedMicros
        self.event = event
    }

    /// The event as JSON with `seq` and `recorded` added: what `dump` prints.
    public var jsonValue: JSONValue {
        var m = event.envelopeMembers
        m.append(JSONMember("seq", .number(String(seq))))
        m.append(JSONMember("recorded", .string(Timestamp.utc(microseconds: recordedMicros).description)))
        return .object(m)
    }
}
