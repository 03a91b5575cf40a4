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

    /// The counts the report is made of, added to ticket by ticket; tallies of different
    /// accounts (a replay's parts, on every core) are merged.
    public struct Tally: Sendable {
        struct Count: Sendable {
            var tickets = 0, judged = 0, churned = 0
            var accounts = Set<String>(), last: String?
            var hours: [Double] = []

            mutating func add(_ t: Ticket, judged j: Bool, churned c: Bool) {
                tickets += 1
                if j { judged += 1 }
                if j && c { churned += 1 }
                // Tickets come account by account: a set insertion per account, not per ticket.
                if last != t.triage.account {
                    accounts.insert(t.triage.account)
                    last = t.triage.account
                }
            }

            mutating func merge(_ o: Count) {
                (tickets, judged, churned) = (tickets + o.tickets, judged + o.judged, churned + o.churned)
                accounts.formUnion(o.accounts)
                hours += o.hours
                last = nil
            }

            var share: Double? { judged == 0 ? nil : (Double(churned) / Double(judged) * 1000).rounded() / 1000 }
        }

        let triage: TriageRules
        let window: Int, horizon: Int
        var all = Count(), up = Count(), down = Count()
        /// The tickets that had a triage to compare with.
        public private(set) var compared = 0
        var byTier: [Count]
        var churnedAccounts = Set<String>(), lastChurned: String?

        public init(triage: TriageRules, through horizon: Int, window: Int = 90) {
            (self.triage, self.horizon, self.window) = (triage, horizon, window)
            byTier = [Count](repeating: Count(), count: triage.tiers.count)
        }

        public mutating func add(_ t: Ticket) {
            let churned = t.churned(within: window)
            let judged = churned || t.day + window <= horizon
            all.add(t, judged: judged, churned: churned)
            if t.churnDay != nil && lastChurned != t.triage.account {
                churnedAccounts.insert(t.triage.account)
                lastChurned = t.triage.account
            }
            // A tier's place among the file's few: a comparison of short names, not a hash per ticket.
            let now = triage.rank(t.triage.tier)
            if now < byTier.count {
                byTier[now].add(t, judged: judged, churned: churned)
                if let closed = t.closedMicros { byTier[now].hours.append(Double(max(0, closed - t.triage.time)) / 3_600_000_000) }
            }
            guard let before = t.before else { return }
            compared += 1
            let then = triage.rank(before.tier)
            if now < then { up.add(t, judged: judged, churned: churned) }
            if now > then { down.add(t, judged: judged, churned: churned) }
        }

        /// Adds the counts of `other`, a tally of other accounts under the same rules.
        public mutating func merge(_ other: Tally) {
            all.merge(other.all)
            up.merge(other.up)
            down.merge(other.down)
            compared += other.compared
            for i in byTier.indices { byTier[i].merge(other.byTier[i]) }
            churnedAccounts.formUnion(other.churnedAccounts)
            lastChurned = nil
        }
    }

    public init(triage: TriageRules, against: String?, rules: String, through horizon: Int, window: Int = 90, tickets: [Ticket]) {
        var tally = Tally(triage: triage, through: horizon, window: window)
        for t in tickets { tally.add(t) }
        self.init(against: against, rules: rules, tally)
    }

    /// The report of the tickets `tally` counted.
    public init(against: String?, rules: String, _ tally: Tally) {
        triage = tally.triage.version
        self.against = against
        self.rules = rules
        through = CalendarDate(daysSinceEpoch: tally.horizon).description
        window = tally.window
        tickets = tally.all.tickets
        accounts = tally.all.accounts.count
        churnedAccounts = tally.churnedAccounts.count
        baseChurnShare = tally.all.share
        tiers = zip(tally.triage.tiers, tally.byTier).map { tier, count in
            let hours = count.hours.sorted()
            let median = hours.isEmpty ? nil : hours.count % 2 == 1 ? hours[hours.count / 2] : (hours[hours.count / 2 - 1] + hours[hours.count / 2]) / 2
            return Tier(tier: tier.name, tickets: count.tickets, accounts: count.accounts.count, judged: count.judged,
                        churnShare: count.share, closed: hours.count, medianHoursToClose: median.map { ($0 * 10).rounded() / 10 })
        }
        if against != nil {
            moves = Moves(compared: tally.compared, escalated: tally.up.tickets, lowered: tally.down.tickets,
                          escalatedChurnShare: tally.up.share, loweredChurnShare: tally.down.share)
        }
    }
}
