/// One item of an account's timeline: a call, a note, a ticket's whole lifecycle, a week of
/// usage. Items are ordered by event time, newest first; `key` makes the order total and names
/// the item (`e:<event id>`, `t:<ticket id>`, `u:<week start>`). Every item lists the seqs of the
/// events behind it.
public struct TimelineEntry: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case call, meeting, note, milestone, survey, community, override, renewal, churn, profile, ticket, usage
        case bandChange = "band_change"
        case identity, contact, forgotten, alert, task, message, triage
    }

    public var kind: Kind
    /// Event time in microseconds since the epoch (UTC).
    public var timeMicros: Int64
    public var key: String
    public var title: String
    public var source: String?
    public var seqs: [UInt64]
    public var detail: JSONValue
    /// Who sees the item, as `NoteVisibility.audience` keeps it (nil: everyone who may read the account).
    public var audience: String?

    public init(kind: Kind, timeMicros: Int64, key: String, title: String, source: String?, seqs: [UInt64], detail: JSONValue) {
        self.kind = kind
        self.timeMicros = timeMicros
        self.key = key
        self.title = title
        self.source = source
        self.seqs = seqs
        self.detail = detail
    }

    /// The item as the API shows it.
    public var jsonValue: JSONValue {
        var m: [JSONMember] = [
            JSONMember("kind", .string(kind.rawValue)),
            JSONMember("time", .string(Timestamp.utc(microseconds: timeMicros).description)),
            JSONMember("key", .string(key)),
            JSONMember("title", .string(title)),
        ]
        if let source { m.append(JSONMember("source", .string(source))) }
        m.append(JSONMember("seqs", .array(seqs.map { .number(String($0)) })))
        m.append(JSONMember("detail", detail))
        return .object(m)
    }
}

/// Order of events within an account that does not depend on arrival: event time, then id.
/// Folds that need "the latest" use it, so shuffled deliveries give the same projections.
public func eventOrder(_ a: StoredEvent, _ b: StoredEvent) -> Bool {
    let (ta, tb) = (a.event.time.microseconds, b.event.time.microseconds)
    return ta != tb ? ta < tb : a.event.id < b.event.id
}
