import ThroughlineCore

/// Everything the signals read about one account, folded from its events in any order: each
/// kind of fact in event order, with the seq of the event it came from. A signal asks it "as of
/// time T" and never sees an event that happened after T.
public struct AccountHistory: Sendable {
    public struct UsageDay: Sendable {
        public var day: Int
        public var activeUsers: Int
        public var events: Int
        public var features: [String]
    }

    public struct TicketOpen: Sendable {
        public var ticket: String
        public var priority: Priority
        public var category: TicketCategory?
    }

    public let account: String
    /// The time of the account's earliest event.
    public private(set) var firstTime: Int64 = .max
    public private(set) var usage = FactList<UsageDay>()
    public private(set) var profile = FactList<AccountUpdated>()
    /// Each ticket's facts (opened, updated, closed), for its state at a time.
    public private(set) var tickets: [String: FactList<TicketFact>] = [:]
    public private(set) var ticketOpens = FactList<TicketOpen>()
    /// Sentiment from calls and ticket updates, −1 to 1.
    public private(set) var sentiment = FactList<Double>()
    /// Human contact: calls and meetings, support's replies and closes.
    public private(set) var contacts = FactList<Bool>()
    public private(set) var milestones = FactList<MilestoneUpdated>()
    public private(set) var nps = FactList<Int>()
    public private(set) var community = FactList<CommunityKind>()
    public private(set) var overrides = FactList<HealthOverride>()

    public init(account: String) { self.account = account }

    public mutating func add(_ e: StoredEvent, _ payload: EventPayload) {
        let t = e.event.time.microseconds
        firstTime = min(firstTime, t)
        func fact<V>(_ v: V) -> Fact<V> { Fact(time: t, id: e.event.id, seq: e.seq, value: v) }
        if TouchRule.team(e.event, payload)?.contact == true { contacts.insert(fact(true)) }
        if let (ticket, f) = TicketFact.of(e, payload) { tickets[ticket, default: FactList()].insert(fact(f)) }
        switch payload {
        case .usageRecorded(let u):
            usage.insert(fact(UsageDay(day: u.periodStart.daysSinceEpoch, activeUsers: u.activeUsers, events: u.events ?? 0,
                                       features: (u.features ?? []).filter { $0.count > 0 }.map(\.name))))
        case .accountUpdated(let u):
            profile.insert(fact(u))
        case .ticketOpened(let o):
            ticketOpens.insert(fact(TicketOpen(ticket: o.ticketId, priority: o.priority, category: o.category)))
        case .ticketUpdated(let u):
            if let s = u.sentiment { sentiment.insert(fact(s)) }
        case .callCompleted(let c):
            if let s = c.sentiment { sentiment.insert(fact(s)) }
        case .milestoneUpdated(let m):
            milestones.insert(fact(m))
        case .surveyAnswered(let s) where s.kind == .nps:
            nps.insert(fact(s.score))
        case .communityActivity(let c):
            community.insert(fact(c.kind))
        case .healthOverride(let o):
            overrides.insert(fact(o))
        default:
            break
        }
    }

    /// The seats bought as of `t`, and the update that set them.
    public func seats(at t: Int64) -> Fact<Int>? {
        profile.upTo(t).last { $0.value.seats != nil }.map { Fact(time: $0.time, id: $0.id, seq: $0.seq, value: $0.value.seats!) }
    }

    /// The champions named as of `t`, in event order.
    public func champions(at t: Int64) -> [Fact<String>] {
        profile.upTo(t).compactMap { f in f.value.champion.map { Fact(time: f.time, id: f.id, seq: f.seq, value: $0) } }
    }

    /// The tickets open at `t`, each with its lifecycle as it stood then, by ticket id. A ticket
    /// whose last fact of all is a close at or before `t` is closed at `t` and skipped unread.
    public func openTickets(at t: Int64) -> [TicketLifecycle] {
        var open: [TicketLifecycle] = []
        for (ticket, facts) in tickets {
            guard let first = facts.items.first, first.time <= t else { continue }
            if let last = facts.items.last, last.value.kind == .closed, last.time <= t { continue }
            if let state = TicketLifecycle(ticket, facts.upTo(t).map(\.value)), state.closed == nil { open.append(state) }
        }
        return open.sorted { $0.ticket < $1.ticket }
    }
}
