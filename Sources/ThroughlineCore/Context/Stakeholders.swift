/// One person of the account as the context view's stakeholder map shows them: who they are,
/// when someone last spoke with them and who, how their sentiment on calls is moving, and the
/// open tickets they raised.
public struct Stakeholder: Sendable, Codable, Equatable {
    public struct LastContact: Sendable, Codable, Equatable {
        public var time: String
        /// `call`, `ticket` or `note`.
        public var via: String
        /// The others on the call, the note's author, or the support team.
        public var with: [String]
        public var seq: UInt64

        public init(time: String, via: String, with: [String], seq: UInt64) {
            (self.time, self.via, self.with, self.seq) = (time, via, with, seq)
        }
    }

    public struct Sentiment: Sendable, Codable, Equatable {
        /// The mean of their latest calls' sentiments, and of as many before (`SentimentShift`).
        public var recent: Double
        public var before: Double?
        public var trend: String?
        public var calls: Int
        public var seqs: [UInt64]

        public init(recent: Double, before: Double?, trend: String?, calls: Int, seqs: [UInt64]) {
            (self.recent, self.before, self.trend, self.calls, self.seqs) = (recent, before, trend, calls, seqs)
        }
    }

    public var person: String
    public var name, title, role: String?
    public var left: Bool
    public var leftAt: String?
    public var emails: [String], ids: [String]
    public var lastContact: LastContact?
    public var sentiment: Sentiment?
    public var openTickets: [String]
    /// The contact updates about them.
    public var seqs: [UInt64]

    enum CodingKeys: String, CodingKey {
        case person, name, title, role, left, leftAt = "left_at", emails, ids, lastContact = "last_contact", sentiment
        case openTickets = "open_tickets", seqs
    }

    /// What is not known is left out, not written as null.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(person, forKey: .person)
        if let name { try c.encode(name, forKey: .name) }
        if let title { try c.encode(title, forKey: .title) }
        if let role { try c.encode(role, forKey: .role) }
        try c.encode(left, forKey: .left)
        if let leftAt { try c.encode(leftAt, forKey: .leftAt) }
        try c.encode(emails, forKey: .emails)
        try c.encode(ids, forKey: .ids)
        if let lastContact { try c.encode(lastContact, forKey: .lastContact) }
        if let sentiment { try c.encode(sentiment, forKey: .sentiment) }
        try c.encode(openTickets, forKey: .openTickets)
        try c.encode(seqs, forKey: .seqs)
    }
}

extension Stakeholder.Sentiment {
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(recent, forKey: .recent)
        if let before { try c.encode(before, forKey: .before) }
        if let trend { try c.encode(trend, forKey: .trend) }
        try c.encode(calls, forKey: .calls)
        try c.encode(seqs, forKey: .seqs)
    }
}

/// A call's participant, a ticket's requester, a note's mention or a message's recipient: a
/// person named on an event other than their own contact updates. (A message is no contact
/// with them: the stakeholder map leaves messages out.)
public struct PersonMention: Sendable, Equatable {
    public enum Via: String, Sendable { case call, ticket, note, message }
    public var timeMicros: Int64
    public var seq: UInt64
    public var via: Via
    /// The person as the event names them (an email, id or name).
    public var handle: String
    /// The call's sentiment; the ticket's id; the note's author.
    public var sentiment: Double?
    public var ticket: String?
    public var author: String?

    public init(timeMicros: Int64, seq: UInt64, via: Via, handle: String, sentiment: Double? = nil, ticket: String? = nil, author: String? = nil) {
        (self.timeMicros, self.seq, self.via, self.handle) = (timeMicros, seq, via, handle)
        (self.sentiment, self.ticket, self.author) = (sentiment, ticket, author)
    }

    /// The mentions an event makes: each participant of a call, a ticket's requester, each
    /// person a note mentions.
    public static func of(_ e: StoredEvent, _ payload: EventPayload) -> [PersonMention] {
        let t = e.event.time.microseconds
        switch payload {
        case .callCompleted(let c):
            return (c.participants ?? []).map { PersonMention(timeMicros: t, seq: e.seq, via: .call, handle: $0, sentiment: c.sentiment) }
        case .ticketOpened(let o):
            return o.requester.map { [PersonMention(timeMicros: t, seq: e.seq, via: .ticket, handle: $0, ticket: o.ticketId)] } ?? []
        case .noteAdded(let n):
            return (n.mentions ?? []).map { PersonMention(timeMicros: t, seq: e.seq, via: .note, handle: $0, author: n.author) }
        case .messageSent(let m):
            return [PersonMention(timeMicros: t, seq: e.seq, via: .message, handle: m.recipient, author: e.event.actor)]
        default:
            return []
        }
    }
}

/// The stakeholder map and the champion alarms, from an account's contact updates and mentions.
public enum StakeholderMap {
    /// The people known at `asOf`, champions first, then by role and name. `contacts` and
    /// `mentions` are in event order; `openTickets` are the tickets open at `asOf`.
    public static func build(contacts: [PeopleDirectory.Update], mentions: [PersonMention], openTickets: Set<String>, asOf: Int64) -> [Stakeholder] {
        build(directory: PeopleDirectory(contacts.filter { $0.time <= asOf }), mentions: mentions, openTickets: openTickets, asOf: asOf)
    }

    /// The same, with the people known at `asOf` given.
    public static func build(directory: PeopleDirectory, mentions: [PersonMention], openTickets: Set<String>, asOf: Int64) -> [Stakeholder] {
        var resolver = PeopleDirectory.Resolver(directory)
        var last: [Int: (PersonMention, [String])] = [:]
        var samples: [Int: [(Double, UInt64)]] = [:]
        var raised: [Int: Set<String>] = [:]
        let known = mentions.filter { $0.timeMicros <= asOf && $0.via != .message }
        let bySeq = Dictionary(grouping: known.filter { $0.via == .call }, by: \.seq)
        for m in known {
            guard let i = resolver.resolve(m.handle) else { continue }
            let with: [String] = switch m.via {
            case .call: (bySeq[m.seq] ?? []).map(\.handle).filter { resolver.resolve($0) != i }
            case .ticket: ["support"]
            case .note: m.author.map { [$0] } ?? []
            case .message: []
            }
            if last[i].map({ ($0.0.timeMicros, $0.0.seq) <= (m.timeMicros, m.seq) }) ?? true { last[i] = (m, with) }
            if m.via == .call, let s = m.sentiment { samples[i, default: []].append((s, m.seq)) }
            if let ticket = m.ticket, openTickets.contains(ticket) { raised[i, default: []].insert(ticket) }
        }
        let people = directory.people.enumerated().map { i, p in
            Stakeholder(person: p.key, name: p.name, title: p.title, role: p.role?.rawValue, left: p.left,
                        leftAt: p.leftMicros.map(ContextView.time), emails: p.emails, ids: p.ids,
                        lastContact: last[i].map { m, with in
                            Stakeholder.LastContact(time: ContextView.time(m.timeMicros), via: m.via.rawValue, with: with, seq: m.seq)
                        },
                        sentiment: samples[i].flatMap { s in
                            SentimentShift(s.map(\.0)).map { shift in
                                Stakeholder.Sentiment(recent: ContextView.hundredth(shift.recent), before: shift.before.map(ContextView.hundredth),
                                                      trend: shift.trend(threshold: SentimentShift.threshold), calls: s.count,
                                                      seqs: s[shift.compared].map(\.1))
                            }
                        },
                        openTickets: (raised[i] ?? []).sorted(), seqs: p.seqs)
        }
        let rank = Dictionary(uniqueKeysWithValues: ContactRole.allCases.enumerated().map { ($1.rawValue, $0) })
        return people.sorted { a, b in
            (rank[a.role ?? ""] ?? rank.count, a.name ?? a.person) < (rank[b.role ?? ""] ?? rank.count, b.name ?? b.person)
        }
    }

    /// The champion alarms up to `asOf` (`ChampionWatch`), from the same facts and the profile's
    /// champion names.
    public static func alarms(contacts: [PeopleDirectory.Update], mentions: [PersonMention], champions: [AccountFacts.Champion],
                              asOf: Int64) -> [ChampionWatch.Alarm] {
        let calls = Dictionary(grouping: mentions.filter { $0.via == .call && $0.sentiment != nil && $0.timeMicros <= asOf }, by: \.seq)
            .values.map { ms in ChampionWatch.Call(time: ms[0].timeMicros, seq: ms[0].seq, participants: ms.map(\.handle), sentiment: ms[0].sentiment!) }
            .sorted { ($0.time, $0.seq) < ($1.time, $1.seq) }
        return ChampionWatch.alarms(contacts: contacts.filter { $0.time <= asOf }, calls: calls,
                                    champions: champions.filter { $0.timeMicros <= asOf }.map { ($0.timeMicros, $0.name) })
    }
}
