import ThroughlineCore

/// Everything the signals read about one account, folded from its events in any order: each
/// kind of fact in event order, with the seq of the event it came from. A signal asks it "as of
/// time T" and never sees an event that happened after T.
public struct AccountHistory: Sendable {
    public struct UsageDay: Sendable {
        public var day: Int
        public var activeUsers: Int
        public var events: Int
        /// The features used (`featureNames(of:)` names them).
        public var features: UsageFeatures
    }

    /// A usage record's features as bits over the history's `featureNames`: the first 64 in one
    /// word, the rest (rare) in more words kept by the history, so a usage fact holds no array.
    public struct UsageFeatures: Sendable {
        public var low: UInt64
        /// Where the words past the first are in the history's table (−1: none).
        var wide: Int32
    }

    /// A usage record's features as they are read.
    struct FeatureBits {
        var low: UInt64 = 0
        var more: [UInt64] = []

        mutating func insert(_ i: Int32) {
            guard i >= 64 else { return low |= 1 << UInt64(i) }
            let w = Int(i) / 64 - 1
            if more.count <= w { more += repeatElement(0, count: w - more.count + 1) }
            more[w] |= 1 << UInt64(i & 63)
        }

        /// The indexes set, in increasing order.
        var indexes: [Int32] {
            ([low] + more).enumerated().flatMap { w, word in (0..<64).filter { word & (1 << UInt64($0)) != 0 }.map { Int32(w * 64 + $0) } }
        }
    }

    /// The names of the features a usage record names as used.
    public func featureNames(of u: UsageDay) -> [String] {
        FeatureBits(low: u.features.low, more: usageTable.wide(u.features.wide)).indexes.map { featureNames[Int($0)] }
    }

    public struct TicketOpen: Sendable {
        /// The ticket's place (`ticketID(_:)` names it).
        public var ticket: Int32
        public var priority: Priority
        public var category: TicketCategory?
    }

    /// What a ticket fact says of the ticket's state: its kind, the priority it gives, and
    /// whether the status it gives (if any) is closed.
    public struct TicketStep: Sendable {
        public var kind: TicketFact.Kind
        public var priority: Priority?
        public var closes: Bool?
    }

    public let account: String
    /// Every feature name the account's usage mentions, each once; usage days refer to them by index.
    public private(set) var featureNames: [String] = []
    private var featureIndex = ByteStringIndex()
    /// The features of the last usage record read from bytes, by position: an account's records
    /// mostly name the same features in the same order, so most are matched with one comparison.
    private var lastFeatures: [Int32] = []
    /// The index of each feature a `FeatureTable` numbers (−1: not met yet), for records read
    /// in their compact form (`FoldRecord`).
    private var tableFeatures: [Int32] = []
    /// The usage records again, by the day they report (for windows of days).
    private(set) var usageTable = UsageTable()
    /// The time of the account's earliest event.
    public private(set) var firstTime: Int64 = .max
    public private(set) var usage = FactList<UsageDay>()
    public private(set) var profile = FactList<AccountUpdated>()
    public private(set) var ticketOpens = FactList<TicketOpen>()
    /// The tickets opened as questions or how-tos (the question rate).
    public private(set) var questions = FactList<TicketOpen>()
    /// The tickets, their facts and their states after each.
    private var tickets = TicketTable()
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
    /// The people: contact updates, and calls with a sentiment that name who took part.
    public private(set) var contactUpdates = FactList<ContactUpdated>()
    public private(set) var peopleCalls = FactList<ChampionWatch.Call>()
    /// The messages sent to its people, with who sent them (`MessageAudit`).
    public private(set) var messages = FactList<SentMessage>()

    public struct SentMessage: Sendable {
        public var message: MessageSent
        public var actor: String?
    }

    public init(account: String) { self.account = account }

    /// Counts an event that is not added (a usage record too old for the days scored) towards
    /// the account's first event time, which some signals measure from.
    public mutating func noteTime(_ t: Int64) { firstTime = min(firstTime, t) }

    public mutating func add(_ e: StoredEvent, _ payload: EventPayload) {
        let t = e.event.time.microseconds
        firstTime = min(firstTime, t)
        let order = Hash64.hash(e.event.id)
        if let ticket = TicketFields(e.event, payload) { return addTicket(ticket, time: t, order: order, seq: e.seq) }
        func fact<V>(_ v: V) -> Fact<V> { Fact(time: t, order: order, seq: e.seq, value: v) }
        if TouchRule.team(e.event, payload)?.contact == true { contacts.insert(fact(true)) }
        switch payload {
        case .usageRecorded(let u):
            var bits = FeatureBits()
            for f in u.features ?? [] where f.count > 0 { bits.insert(feature(f.name)) }
            addUsage(fact((u.periodStart.daysSinceEpoch, u.activeUsers, u.events ?? 0)), bits)
        case .accountUpdated(let u):
            profile.insert(fact(u))
        case .callCompleted(let c):
            if let s = c.sentiment { addCallSentiment(s, c.participants ?? [], fact) }
        case .contactUpdated(let c):
            contactUpdates.insert(fact(c))
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
        case .messageSent(let m):
            messages.insert(fact(SentMessage(message: m, actor: e.event.actor)))
        default:
            break
        }
    }

    /// Adds a stored record read straight from its bytes, as `add(_:_:)` adds it from its typed
    /// payload: usage and ticket records, calls, community activity and notes, nine in ten of a
    /// log. False, adding nothing, for other records and other forms: those take `add(_:_:)`.
    public mutating func add(_ view: RecordView) -> Bool {
        addUsage(view) || addTicket(view) || addActivity(view)
    }

    /// Adds a call, community activity or note read from its bytes (`ActivityFields`).
    private mutating func addActivity(_ view: RecordView) -> Bool {
        guard let activity = ActivityFields(view) else { return false }
        addActivity(activity, time: view.time.microseconds, order: Hash64.hash(view.idBytes), seq: view.seq)
        return true
    }

    mutating func addActivity(_ activity: ActivityFields, time t: Int64, order: UInt64, seq: UInt64) {
        firstTime = min(firstTime, t)
        func fact<V>(_ v: V) -> Fact<V> { Fact(time: t, order: order, seq: seq, value: v) }
        switch activity {
        case .call(let s, let participants):
            // A call is a human contact whoever made it (`TouchRule`).
            contacts.insert(fact(true))
            if let s { addCallSentiment(s, participants, fact) }
        case .community(let kind):
            community.insert(fact(kind))
        case .note:
            break
        }
    }

    /// Adds a call's sentiment, and who took part for the champion watch.
    private mutating func addCallSentiment(_ s: Double, _ participants: [String], _ fact: (Double) -> Fact<Double>) {
        let f = fact(s)
        sentiment.insert(f)
        if !participants.isEmpty { peopleCalls.insert(f.with(ChampionWatch.Call(time: f.time, seq: f.seq, participants: participants, sentiment: s))) }
    }

    /// Adds a stored usage record read straight from its bytes (`UsageFields`), as `add(_:_:)`
    /// adds it from its typed payload; false, adding nothing, if it is not one that reads so.
    public mutating func addUsage(_ view: RecordView) -> Bool {
        guard let u = UsageFields(view) else { return false }
        var bits = FeatureBits()
        var position = 0
        var names = u.featuresUsed
        while let name = names.next() {
            if position < lastFeatures.count && featureIndex.holds(Int(lastFeatures[position]), name) {
                bits.insert(lastFeatures[position])
            } else {
                let i = feature(name)
                if position < lastFeatures.count { lastFeatures[position] = i } else { lastFeatures.append(i) }
                bits.insert(i)
            }
            position += 1
        }
        addUsage(day: u.periodStart.daysSinceEpoch, users: u.activeUsers, events: u.events ?? 0, bits, time: view.time.microseconds,
                 order: Hash64.hash(view.idBytes), seq: view.seq)
        return true
    }

    /// Adds a stored ticket record read straight from its bytes (`TicketFields`), as `add(_:_:)`
    /// adds it from its typed payload; false, adding nothing, if it is not one that reads so.
    public mutating func addTicket(_ view: RecordView) -> Bool {
        guard let ticket = TicketFields(view) else { return false }
        addTicket(ticket, time: view.time.microseconds, order: Hash64.hash(view.idBytes), seq: view.seq)
        return true
    }

    private mutating func addTicket(_ f: TicketFields, time t: Int64, order: UInt64, seq: UInt64) {
        var ticket = f.ticket
        ticket.withUTF8 { id in
            addTicket(UnsafeRawBufferPointer(id), TicketStep(kind: f.kind, priority: f.priority, closes: f.status.map { $0 == "closed" }),
                      category: f.category, sentiment: f.sentiment, contact: f.contact, time: t, order: order, seq: seq)
        }
    }

    /// Adds a ticket fact: the ticket's id (its UTF-8 bytes), what it says of the ticket's state,
    /// and (when it opens the ticket) the category; the sentiment it carries; whether it is a
    /// human contact.
    mutating func addTicket(_ id: UnsafeRawBufferPointer, _ step: TicketStep, category: TicketCategory?, sentiment s: Double?,
                            contact: Bool, time t: Int64, order: UInt64, seq: UInt64) {
        firstTime = min(firstTime, t)
        func fact<V>(_ v: V) -> Fact<V> { Fact(time: t, order: order, seq: seq, value: v) }
        if contact { contacts.insert(fact(true)) }
        let ticket = tickets.add(id, fact(step))
        if step.kind == .opened, let priority = step.priority {
            let open = fact(TicketOpen(ticket: Int32(ticket), priority: priority, category: category))
            ticketOpens.insert(open)
            if category == .question || category == .howTo { questions.insert(open) }
        }
        if let s { sentiment.insert(fact(s)) }
    }

    /// Adds a usage record: the day it reports, its active users and events, and its features.
    mutating func addUsage(day: Int, users: Int, events: Int, _ bits: FeatureBits, time t: Int64, order: UInt64, seq: UInt64) {
        firstTime = min(firstTime, t)
        addUsage(Fact(time: t, order: order, seq: seq, value: (day, users, events)), bits)
    }

    /// The history's index of the feature a `FeatureTable` numbers `n` (`names` names them).
    mutating func foldedFeature(_ n: Int, _ names: [String]) -> Int32 {
        if n < tableFeatures.count && tableFeatures[n] >= 0 { return tableFeatures[n] }
        if n >= tableFeatures.count { tableFeatures += repeatElement(-1, count: n - tableFeatures.count + 1) }
        tableFeatures[n] = feature(names[n])
        return tableFeatures[n]
    }

    /// Adds a usage record (its day, active users and events) with its features.
    private mutating func addUsage(_ record: Fact<(day: Int, users: Int, events: Int)>, _ bits: FeatureBits) {
        let (day, users, events) = record.value
        let features = UsageFeatures(low: bits.low, wide: bits.more.isEmpty ? -1 : usageTable.nextWide)
        guard usage.insert(record.with(UsageDay(day: day, activeUsers: users, events: events, features: features))) else { return }
        usageTable.add(day: day, users: users, features: features, more: bits.more, time: record.time)
    }

    private mutating func feature(_ name: String) -> Int32 {
        var name = name
        return name.withUTF8 { feature(UnsafeRawBufferPointer($0)) }
    }

    private mutating func feature(_ name: UnsafeRawBufferPointer) -> Int32 {
        let (i, new) = featureIndex.index(of: name)
        if new { featureNames.append(String(decoding: name, as: UTF8.self)) }
        return Int32(i)
    }

    /// The usage reported for the days `first` to `last` (inclusive) as known at `t`: records
    /// recorded by `t`, and (a week of slack for late reports) after the eighth day before `first`.
    public struct UsageWindow {
        /// Days with a record; the sum over them of each day's highest active users; the highest.
        public var days = 0, sum = 0, highest = 0
        /// Distinct features named.
        public var featureCount = 0

        /// The mean over reported days of each day's highest active users; nil without records.
        public var mean: Double? { days > 0 ? Double(sum) / Double(days) : nil }
        public var peak: Int? { days > 0 ? highest : nil }
        public var features: Int? { days > 0 ? featureCount : nil }

        /// Counts a day whose highest active users were `top` (−1: no record of it was read).
        mutating func count(day top: Int) {
            guard top >= 0 else { return }
            days += 1
            sum += top
            highest = max(highest, top)
        }

        /// Counts the distinct features whose bits were or-ed into `bits` and `wide`.
        mutating func countFeatures(_ bits: UInt64, _ wide: [UInt64]) {
            featureCount = bits.nonzeroBitCount + wide.reduce(0) { $0 + $1.nonzeroBitCount }
        }
    }

    /// Usage records for days from `first` on are read if recorded after this: a week of slack
    /// before the window for late reports (one recorded earlier does not count).
    public static func usageRecordedAfter(firstDay first: Int) -> Int64 { Day(first - 8).start }

    public func usage(_ t: Int64, days first: Int, to last: Int) -> UsageWindow { usageTable.usage(t, days: first, to: last) }

    /// The seats bought as of `t`, and the update that set them.
    public func seats(at t: Int64) -> Fact<Int>? {
        profile.upTo(t).last { $0.value.seats != nil }.map { $0.with($0.value.seats!) }
    }

    /// The champions named as of `t`, in event order.
    public func champions(at t: Int64) -> [Fact<String>] {
        profile.upTo(t).compactMap { f in f.value.champion.map { f.with($0) } }
    }

    /// When the champion was lost from the people's side (`ChampionWatch`), over the whole history.
    public func championAlarms(drop: Double) -> [ChampionWatch.Alarm] {
        ChampionWatch.alarms(contacts: contactUpdates.items.map { PeopleDirectory.Update(time: $0.time, seq: $0.seq, contact: $0.value) },
                             calls: peopleCalls.items.map(\.value),
                             champions: profile.items.compactMap { f in f.value.champion.map { (f.time, $0) } }, drop: drop)
    }

    /// The tickets open at `t` with their priority then, by ticket id.
    public func openTicketPriorities(at t: Int64) -> [(ticket: String, priority: Priority?)] { tickets.openPriorities(at: t) }

    /// The tickets open at `t` by place (`ticketID(_:)` names them), with their priorities, in no order.
    public func openTicketPlaces(at t: Int64) -> [(place: Int32, priority: Priority?)] { tickets.openPlaces(at: t) }

    /// Every ticket fact as a change of its ticket's state (open or not, and priority), in time
    /// order (a ticket's facts of the same time in their order: `step` is the fact's place among
    /// its ticket's): what a sweep over days applies to know the tickets open at each day's end.
    func ticketStateChanges() -> [TicketTable.Change] { tickets.stateChanges() }

    /// The number of tickets the account has facts about.
    public var ticketCount: Int { tickets.count }

    /// The id of the ticket at `place` (`TicketOpen.ticket`).
    public func ticketID(_ place: Int32) -> String { tickets.ids[Int(place)] }

    /// The seqs of the facts known at `t` of the tickets open at `t`, in increasing order: the
    /// events behind the open-ticket load.
    public func openTicketSeqs(at t: Int64) -> [UInt64] { tickets.openSeqs(at: t) }
}
