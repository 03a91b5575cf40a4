/// The fields of a stored ticket record (`ticket.opened`, `.updated`, `.closed`) that scores
/// read, straight from the record's bytes, the way `UsageFields` reads usage: the ticket, its
/// kind, priority, category, status and sentiment, and whether the event is a human contact.
/// The typed payloads read the same fields with every check.
public struct TicketFields {
    public var kind: TicketFact.Kind
    public var ticket: String
    public var priority: Priority?
    public var category: TicketCategory?
    public var status: String?
    public var sentiment: Double?
    /// An update or close by a person of a team (`TouchRule`).
    public var contact: Bool

    /// The fields of `view`; nil when it is not a ticket record or a field is not in the plain
    /// form this reader takes (then the typed payload reads it, and names any problem).
    public init?(_ view: RecordView) {
        switch view.type {
        case .ticketOpened: kind = .opened
        case .ticketUpdated: kind = .updated
        case .ticketClosed: kind = .closed
        default: return nil
        }
        let data: Int?, actor: UnsafeRawBufferPointer?
        do { (data, actor) = (try view.dataOffset(), try view.actorBytes()) } catch { return nil }
        guard let data else { return nil }
        let b = view.body
        var ticket: String?, priority: Priority??, category: TicketCategory??, status: String??, sentiment: Double??
        BinaryObject.forEachFirstMember(b, countOffset: data, named: Self.keys) { k, v in
            switch k {
            case 0: ticket = v.stringRange.flatMap { $0.isEmpty || $0.count > 128 ? nil : String(decoding: UnsafeRawBufferPointer(rebasing: b[$0]), as: UTF8.self) }
            case 1: priority = .some(v.oneOf(Priority.self))
            case 2: category = .some(v.oneOf(TicketCategory.self))
            case 3: status = .some(v.stringRange.flatMap { $0.count > 128 ? nil : String(decoding: UnsafeRawBufferPointer(rebasing: b[$0]), as: UTF8.self) })
            default: sentiment = .some(v.sentiment)
            }
        }
        // A field present in another form than the one read here goes to the typed payload.
        guard let ticket, priority != .some(nil), category != .some(nil), status != .some(nil), sentiment != .some(nil) else { return nil }
        self.ticket = ticket
        self.priority = priority ?? nil
        self.category = category ?? nil
        self.status = status ?? nil
        self.sentiment = sentiment ?? nil
        switch kind {
        case .opened:
            guard self.priority != nil else { return nil }
            contact = false
        case .updated, .closed:
            contact = TouchRule.ticketContact(team: actor.flatMap(TouchRule.actorTeam))
        }
        // Only the fields each kind has are read, as the typed payloads read them.
        if kind != .opened { self.category = nil }
        if kind != .updated { (self.status, self.sentiment) = (nil, nil) }
        if kind == .closed { self.priority = nil }
    }

    /// The same fields from a ticket event's typed payload; nil for other events.
    public init?(_ e: Event, _ payload: EventPayload) {
        (priority, category, status, sentiment) = (nil, nil, nil, nil)
        switch payload {
        case .ticketOpened(let o): (kind, ticket, priority, category) = (.opened, o.ticketId, o.priority, o.category)
        case .ticketUpdated(let u): (kind, ticket, priority, status, sentiment) = (.updated, u.ticketId, u.priority, u.status, u.sentiment)
        case .ticketClosed(let c): (kind, ticket) = (.closed, c.ticketId)
        default: return nil
        }
        contact = TouchRule.team(e, payload)?.contact ?? false
    }

    static let keys: [StaticString] = ["ticket_id", "priority", "category", "status", "sentiment"]
}
