import ThroughlineCore

/// What a triage rules version would have said of every ticket of history, against what
/// happened: per tier, how many tickets, how often the account churned within `window` days
/// after the ticket, and how long the tickets took to close; and against the triage in force
/// (another version, or what the server recorded), the tickets the new rules would have
/// escalated or lowered, and how often those accounts churned.
public struct TriageReplayReport: Sendable, Encodable {
    /// One ticket as both triages saw it, and what came of it.
    public struct Ticket: Sendable {
        public var triage: TicketTriage
        /// The triage it is compared with (nil: none).
        public var before: (priority: Int, tier: String)?
        public var closedMicros: Int64?
        public var churnDay: Int?

        public init(triage: TicketTriage, before: (priority: Int, tier: String)?, closedMicros: Int64?, churnDay: Int?) {
            (self.triage, self.before, self.closedMicros, self.churnDay) = (triage, before, closedMicros, churnDay)
        }

        var day: Int { Day(containing: triage.time).number }

        /// Whether the account churned within `window` days after the ticket opened.
        func churned(within window: Int) -> Bool { churnDay.map { $0 >= day && $0 <= day + window } ?? false }
    }

    public struct Tier: Sendable, Encodable {
        public var tier: String
        public var tickets: Int
        public var accounts: Int
        /// Tickets whose window has passed or whose account churned within it, and the share of them it did.
        public var judged: Int
        public var churnShare: Double?
        public var closed: Int
        public var medianHoursToClose: Double?

        enum CodingKeys: String, CodingKey {
            case tier, tickets, accounts, judged, churnShare = "churn_share", closed, medianHoursToClose = "median_hours_to_close"
        }
    }

    /// Tickets whose tier moved between the compared triage and this one.
    public struct Moves: Sendable, Encodable {
        public var compared: Int
        public var escalated: Int
        public var lowered: Int
        /// Of the escalated (lowered) tickets judged, the share followed by a churn within the window.
        public var escalatedChurnShare: Double?
        public var loweredChurnShare: Double?

        enum CodingKeys: String, CodingKey {
            case compared, escalated, lowered, escalatedChurnShare = "escalated_churn_share", loweredChurnShare = "lowered_churn_share"
        }
    }

    public var triage: String
    public var against: String?
    public var rules: String
    public var through: String
    public var window: Int
    public var tickets: Int
    public var accounts: Int
    public var churnedAccounts: Int
    /// Of all tickets judged, the share followed by a churn: what a tier's share is measured against.
    public var baseChurnShare: Double?
    public var tiers: [Tier]
    public var moves: Moves?

    enum CodingKeys: String, CodingKey {
        case triage, against, rules, through, window, tickets, accounts, churnedAccounts = "churned_accounts", baseChurnShare = "base_churn_share", tiers, moves
    }

    public init(triage: TriageRules, against: String?, rules: String, through horizon: Int, window: Int = 90, tickets: [Ticket]) {
        self.triage = triage.version
        self.against = against
        self.rules = rules
        through = CalendarDate(daysSinceEpoch: horizon).description
        self.window = window
        self.tickets = tickets.count
        accounts = Set(tickets.map(\.triage.account)).count
        churnedAccounts = Set(tickets.filter { $0.churnDay != nil }.map(\.triage.account)).count
        func judged(_ t: Ticket) -> Bool { t.churned(within: window) || t.day + window <= horizon }
        func share(_ some: [Ticket]) -> Double? {
            let j = some.filter(judged)
            return j.isEmpty ? nil : (Double(j.filter { $0.churned(within: window) }.count) / Double(j.count) * 1000).rounded() / 1000
        }
        baseChurnShare = share(tickets)
        tiers = triage.tiers.map { tier in
            let mine = tickets.filter { $0.triage.tier == tier.name }
            let hours = mine.compactMap { t in t.closedMicros.map { Double(max(0, $0 - t.triage.time)) / 3_600_000_000 } }.sorted()
            let median = hours.isEmpty ? nil : hours.count % 2 == 1 ? hours[hours.count / 2] : (hours[hours.count / 2 - 1] + hours[hours.count / 2]) / 2
            return Tier(tier: tier.name, tickets: mine.count, accounts: Set(mine.map(\.triage.account)).count, judged: mine.filter(judged).count,
                        churnShare: share(mine), closed: hours.count, medianHoursToClose: median.map { ($0 * 10).rounded() / 10 })
        }
        let compared = tickets.filter { $0.before != nil }
        if against != nil {
            let up = compared.filter { triage.rank($0.triage.tier) < triage.rank($0.before!.tier) }
            let down = compared.filter { triage.rank($0.triage.tier) > triage.rank($0.before!.tier) }
            moves = Moves(compared: compared.count, escalated: up.count, lowered: down.count, escalatedChurnShare: share(up), loweredChurnShare: share(down))
        }
    }
}
