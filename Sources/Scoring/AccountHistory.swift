import ThroughlineCore

/// Everything the signals read about one account, folded from its events in any order: each
/// kind of fact in event order, with the seq of the event it came from. A signal asks it "as of
/// time T" and never sees an event that happened after T.
public struct AccountHistory: Sendable {
    public struct UsageDay: Sendable {
        public var day: Int
        public var activeUsers: Int
        public var events: Int
        /// Indexes into the history's `featureNames`.
        public var features: [Int32]
    }

    public struct TicketOpen: Sendable {
        public var ticket: String
        public var priority: Priority
        public var category: TicketCategory?
    }

    public let account: String
    /// Every feature name the account's usage mentions, each once; usage days refer to them by index.
    public private(set) var featureNames: [String] = []
    private var featureIndex: [String: Int32] = [:]
    /// The time of the account's earliest event.
    public private(set) var firstTime: Int64 = .max
    public private(set) var usage = FactList<UsageDay>()
    public private(set) var profile = FactList<AccountUpdated>()
    /// Each ticket's facts (opened, updated, closed), for its state at a time.
    public private(set) var tickets: [String: FactList<TicketFact>] = [:]
    public private(set) var ticketOpens = FactList<TicketOpen>()
    /// Per ticket, by position: its id, its first fact's time, and the time of its last fact if
    /// that is a close (`Int64.max` otherwise), so the tickets open at a time are found without
    /// reading every ticket's facts.
    private var ticketIDs: [String] = []
    private var ticketFirst: [Int64] = []
    private var ticketClosedFinally: [Int64] = []
    private var ticketPosition: [String: Int] = [:]
    /// Sentiment from calls and ticket updates, −1 to 1.
    public private(set) var sentiment = FactList<Double>()
    /// Human contact: calls and meetings, support's replies and closes.
    public private(set) var contacts = FactList<Bool>()
    public private(set) var milestones = FactList<MilestoneUpdated>()
    public private(set) var nps = FactList<Int>()
    public private(set) var community = FactList<CommunityKind>()
    public private(set) var overrides = FactList<HealthOverride>()
    /// Churns (false) and renewals (true), for where the account's scores end.
    public private(set) var outcomes = FactList<Bool>()

    public init(account: String) { self.account = account }

    public mutating func add(_ e: StoredEvent, _ payload: EventPayload) {
        let t = e.event.time.microseconds
        firstTime = min(firstTime, t)
        func fact<V>(_ v: V) -> Fact<V> { Fact(time: t, id: e.event.id, seq: e.seq, value: v) }
        if TouchRule.team(e.event, payload)?.contact == true { contacts.insert(fact(true)) }
        if let (ticket, f) = TicketFact.of(e, payload) {
            tickets[ticket, default: FactList()].insert(fact(f))
            let items = tickets[ticket]!.items
            let i = ticketPosition[ticket] ?? {
                ticketPosition[ticket] = ticketIDs.count
                ticketIDs.append(ticket)
                ticketFirst.append(0)
                ticketClosedFinally.append(0)
                return ticketIDs.count - 1
            }()
            ticketFirst[i] = items[0].time
            ticketClosedFinally[i] = items[items.count - 1].value.kind == .closed ? items[items.count - 1].time : .max
        }
        switch payload {
        case .usageRecorded(let u):
            usage.insert(fact(UsageDay(day: u.periodStart.daysSinceEpoch, activeUsers: u.activeUsers, events: u.events ?? 0,
                                       features: (u.features ?? []).filter { $0.count > 0 }.map { feature($0.name) })))
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
        case .accountChurned:
            outcomes.insert(fact(false))
        case .accountRenewed:
            outcomes.insert(fact(true))
        default:
            break
        }
    }

    private mutating func feature(_ name: String) -> Int32 {
        if let i = featureIndex[name] { return i }
        let i = Int32(featureNames.count)
        featureNames.append(name)
        featureIndex[name] = i
        return i
    }

    /// How many distinct features the usage records name.
    public func featureCount(_ records: some Sequence<Fact<UsageDay>>) -> Int {
        var bits = [UInt64](repeating: 0, count: (featureNames.count + 63) / 64)
        for r in records {
            for f in r.value.features { bits[Int(f) >> 6] |= 1 << UInt64(f & 63) }
        }
        return bits.reduce(0) { $0 + $1.nonzeroBitCount }
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
        for i in ticketIDs.indices where ticketFirst[i] <= t && ticketClosedFinally[i] > t {
            let ticket = ticketIDs[i]
            if let state = TicketLifecycle(ticket, tickets[ticket]!.upTo(t).map(\.value)), state.closed == nil { open.append(state) }
        }
        return open.sorted { $0.ticket < $1.ticket }
    }
}
