/// A ticket in the triage queue: the ticket, its account, and its latest triage.
public struct QueuedTicket: Sendable, Equatable {
    public var account: String
    public var accountName: String?
    public var plan: String?
    public var arr: Double?
    /// The account's band under the active health rules now.
    public var band: Band?
    public var ticket: String
    public var subject: String?
    public var ticketPriority: Priority?
    public var category: TicketCategory?
    public var openedMicros: Int64
    public var triage: String
    public var priority: Int
    public var tier: String
    public var reasons: [TicketTriaged.Reason]
    /// The seq of the `ticket.triaged`.
    public var seq: UInt64

    public init(account: String, accountName: String?, plan: String?, arr: Double?, band: Band?, ticket: String, subject: String?,
                ticketPriority: Priority?, category: TicketCategory?, openedMicros: Int64, triage: String, priority: Int, tier: String,
                reasons: [TicketTriaged.Reason], seq: UInt64) {
        (self.account, self.accountName, self.plan, self.arr, self.band, self.ticket, self.subject) = (account, accountName, plan, arr, band, ticket, subject)
        (self.ticketPriority, self.category, self.openedMicros, self.triage, self.priority, self.tier) = (ticketPriority, category, openedMicros, triage, priority, tier)
        (self.reasons, self.seq) = (reasons, seq)
    }
}

extension QueuedTicket {
    /// As the queue API and `triage queue --json` give it (the subject as the read models hold it).
    public var json: JSONValue {
        var m: [JSONMember] = [JSONMember("account", .string(account))]
        for (k, v) in [("account_name", accountName), ("plan", plan), ("band", band?.rawValue)] { if let v { m.append(JSONMember(k, .string(v))) } }
        if let arr { m.append(JSONMember("arr", .number(NumberText.plain(arr)))) }
        m.append(JSONMember("ticket_id", .string(ticket)))
        for (k, v) in [("subject", subject), ("ticket_priority", ticketPriority?.rawValue), ("category", category?.rawValue)] {
            if let v { m.append(JSONMember(k, .string(v))) }
        }
        m += [JSONMember("opened", .string(Timestamp.utc(microseconds: openedMicros).description)), JSONMember("triage", .string(triage)),
              JSONMember("priority", .number(String(priority))), JSONMember("tier", .string(tier)),
              JSONMember("reasons", .array(reasons.map(\.json))), JSONMember("seq", .number(String(seq)))]
        return .object(m)
    }
}
