/// What one ticket event says, in a form the read models store in columns (no JSON), and from
/// which a ticket's lifecycle is folded.
public struct TicketFact: Sendable, Equatable {
    public enum Kind: Int, Sendable { case opened = 1, updated = 2, closed = 3 }

    public var seq: UInt64
    public var id: String
    public var timeMicros: Int64
    public var kind: Kind
    public var priority: Priority?
    public var status: String?
    public var csat: Int?
    public var subject: String?
    public var category: TicketCategory?
    public var resolution: String?
    public var source: String?

    public init(seq: UInt64, id: String, timeMicros: Int64, kind: Kind, priority: Priority? = nil, status: String? = nil, csat: Int? = nil,
                subject: String? = nil, category: TicketCategory? = nil, resolution: String? = nil, source: String? = nil) {
        self.seq = seq
        self.id = id
        self.timeMicros = timeMicros
        self.kind = kind
        self.priority = priority
        self.status = status
        self.csat = csat
        self.subject = subject
        self.category = category
        self.resolution = resolution
        self.source = source
    }

    /// The ticket id and fact of a ticket event; nil for other events.
    public static func of(_ e: StoredEvent, _ payload: EventPayload) -> (ticket: String, fact: TicketFact)? {
        let t = e.event.time.microseconds
        switch payload {
        case .ticketOpened(let o):
            return (o.ticketId, TicketFact(seq: e.seq, id: e.event.id, timeMicros: t, kind: .opened, priority: o.priority,
                                           subject: o.subject, category: o.category, source: e.event.source))
        case .ticketUpdated(let u):
            return (u.ticketId, TicketFact(seq: e.seq, id: e.event.id, timeMicros: t, kind: .updated, priority: u.priority,
                                           status: u.status, source: e.event.source))
        case .ticketClosed(let c):
            return (c.ticketId, TicketFact(seq: e.seq, id: e.event.id, timeMicros: t, kind: .closed, csat: c.csat,
                                           resolution: c.resolution, source: e.event.source))
        default:
            return nil
        }
    }
}

extension TicketLifecycle {
    /// Whether the ticket is open, and its priority, once a fact of `kind` follows facts that
    /// left it `before` (nil: no fact before): what a lifecycle says of both, folded one fact at a
    /// time. `closes` is whether the fact's status, if it gives one, is closed. A close closes,
    /// an update's status decides, an open changes neither; the latest priority given counts.
    public static func openAndPriority(kind: TicketFact.Kind, priority: Priority?, closes: Bool?,
                                       _ before: (open: Bool, priority: Priority?)?) -> (open: Bool, priority: Priority?) {
        var open = before?.open ?? true
        switch kind {
        case .opened: break
        case .updated: if let closes { open = !closes }
        case .closed: open = false
        }
        return (open, priority ?? before?.priority)
    }
}

/// A ticket's lifecycle folded from its facts in event order: opened, priority changes, status,
/// closed (when its last word is a close), CSAT.
public struct TicketLifecycle: Sendable, Equatable {
    public var ticket: String
    /// When it was opened (or first heard of).
    public var start: Int64
    public var opened: Int64?
    /// Set while the ticket is closed.
    public var closed: Int64?
    public var status = "open"
    public var priority: Priority?
    public var subject: String?
    public var category: TicketCategory?
    public var csat: Int?
    public var resolution: String?
    public var priorityChanges: [JSONValue] = []
    public var updates = 0
    public var source: String?
    public var seqs: [UInt64]

    public init?(_ ticket: String, _ unordered: [TicketFact]) {
        // The order a score's history keeps a ticket's facts in (`Fact`): time, the id's hash, seq.
        let facts = unordered.map { (Hash64.hash($0.id), $0) }.sorted { ($0.1.timeMicros, $0.0, $0.1.seq) < ($1.1.timeMicros, $1.0, $1.1.seq) }.map(\.1)
        guard let first = facts.first else { return nil }
        self.ticket = ticket
        seqs = facts.map(\.seq).sorted()
        start = first.timeMicros
        for f in facts {
            let t = f.timeMicros
            if let np = f.priority {
                if let old = priority, old != np {
                    priorityChanges.append(.object([JSONMember("time", .string(Timestamp.utc(microseconds: t).description)),
                                                    JSONMember("from", .string(old.rawValue)), JSONMember("to", .string(np.rawValue))]))
                }
                priority = np
            }
            switch f.kind {
            case .opened:
                opened = opened ?? t
                source = source ?? f.source
                subject = f.subject ?? subject
                category = f.category ?? category
            case .updated:
                updates += 1
                if let s = f.status {
                    status = s
                    closed = s == "closed" ? (closed ?? t) : nil
                }
            case .closed:
                closed = t
                status = "closed"
                csat = f.csat ?? csat
                resolution = f.resolution ?? resolution
            }
        }
        start = opened ?? start
        if status != "closed" { closed = nil }
    }
}
