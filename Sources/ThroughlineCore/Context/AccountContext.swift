/// The shared-context view of one account (`GET /v1/accounts/{id}/context`), typed: what
/// `ContextView.build` computes and the health section the read models add, which the account
/// page and `throughline context` render from these fields; JSON is written once, at the edge,
/// with the keys in the order below. A key without a value is left out, as the API has always
/// answered (an account without usage has no `active_users_7d`).
public struct AccountContext: Codable, Sendable, Equatable {
    /// An attention flag with the seqs of the events that raised it.
    public struct Flag: Codable, Sendable, Equatable {
        public var flag: String
        public var message: String
        public var seqs: [UInt64]

        public init(flag: String, message: String, seqs: [UInt64]) { (self.flag, self.message, self.seqs) = (flag, message, seqs) }
    }

    public struct Usage: Codable, Sendable, Equatable {
        public var activeUsers7d: Double?
        public var activeUsersPrev28d: Double?
        public var changePct: Double?
        /// up, down, flat, or why there is none.
        public var trend: String?
        public var seatUtilisationPct: Double?
        public var featureBreadth28d: Int?
        public var featureBreadth28d90DaysAgo: Int?

        enum CodingKeys: String, CodingKey {
            case activeUsers7d = "active_users_7d", activeUsersPrev28d = "active_users_prev_28d", changePct = "change_pct", trend
            case seatUtilisationPct = "seat_utilisation_pct", featureBreadth28d = "feature_breadth_28d"
            case featureBreadth28d90DaysAgo = "feature_breadth_28d_90_days_ago"
        }
    }

    public struct Support: Codable, Sendable, Equatable {
        public var openTickets: Int
        /// Open tickets per priority, most urgent first; priorities without one left out.
        public var openByPriority: [Count]
        public var oldestOpenDays: Int?
        public var tickets30d: Int
        public var tickets90d: Int
        public var latestCsat: Int?

        public struct Count: Sendable, Equatable {
            public init(priority: String, count: Int) { (self.priority, self.count) = (priority, count) }

            public var priority: String
            public var count: Int
        }

        enum CodingKeys: String, CodingKey {
            case openTickets = "open_tickets", openByPriority = "open_by_priority", oldestOpenDays = "oldest_open_days"
            case tickets30d = "tickets_30d", tickets90d = "tickets_90d", latestCsat = "latest_csat"
        }
    }

    public struct Conversations: Codable, Sendable, Equatable {
        public struct Last: Codable, Sendable, Equatable {
            public var time: String
            public var kind: String
            public var team: String?
            public var sentiment: Double?
            public var seq: UInt64
        }

        public var last: Last?
        /// improving, falling or steady: the last three sentiments against the three before.
        public var sentimentTrend: String?
        public var sentimentChange: Double?

        enum CodingKeys: String, CodingKey { case last, sentimentTrend = "sentiment_trend", sentimentChange = "sentiment_change" }
    }

    public struct Milestone: Codable, Sendable, Equatable {
        public var milestone: String
        public var dueDate: String?

        enum CodingKeys: String, CodingKey { case milestone, dueDate = "due_date" }
    }

    public struct Milestones: Codable, Sendable, Equatable {
        public var reached: [Milestone] = [], planned: [Milestone] = [], overdue: [Milestone] = [], missed: [Milestone] = []
    }

    /// The latest touch of one team.
    public struct Touch: Sendable, Equatable {
        public var team: String
        public var time: String
        public var daysAgo: Int
        public var seq: UInt64
    }

    public struct Note: Codable, Sendable, Equatable {
        public var time: String
        public var author: String
        public var text: String
        public var seq: UInt64
    }

    public struct Override: Codable, Sendable, Equatable {
        public var band: Band
        public var author: String
        public var reason: String
        public var since: String
        public var expires: String?
        public var seq: UInt64
    }

    /// The score under the active rules on the last whole day before `as_of`, how it moved, the
    /// reasons that cost the most points, the cap that holds it (if one does), and the CSM's
    /// override beside it.
    public struct Health: Codable, Sendable, Equatable {
        public struct Reason: Codable, Sendable, Equatable {
            public var signal: String
            public var reason: String
            public var pointsLost: Double
            public var seqs: [UInt64]

            enum CodingKeys: String, CodingKey { case signal, reason, pointsLost = "points_lost", seqs }
        }

        /// What the read models keep of the latest day's score (the health section without its
        /// rules, date and changes).
        public struct Summary: Codable, Sendable, Equatable {
            public var score: Double?
            public var band: Band?
            public var topReasons: [Reason]
            /// The cap, as the explanation shows it.
            public var capped: JSONValue?
            public var overrideBand: Band?
            public var overrideDisagrees: Bool?

            enum CodingKeys: String, CodingKey {
                case score, band, topReasons = "top_reasons", capped, overrideBand = "override_band", overrideDisagrees = "override_disagrees"
            }
        }

        public var rules: String
        public var date: String
        public var change7d: Double?
        public var change30d: Double?
        public var summary: Summary

        public init(rules: String, date: String, change7d: Double?, change30d: Double?, summary: Summary) {
            (self.rules, self.date, self.change7d, self.change30d, self.summary) = (rules, date, change7d, change30d, summary)
        }

        enum CodingKeys: String, CodingKey {
            case rules, date, score, band, change7d = "change_7d", change30d = "change_30d", topReasons = "top_reasons", capped
            case overrideBand = "override_band", overrideDisagrees = "override_disagrees"
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            rules = try c.decode(String.self, forKey: .rules)
            date = try c.decode(String.self, forKey: .date)
            change7d = try c.decodeIfPresent(Double.self, forKey: .change7d)
            change30d = try c.decodeIfPresent(Double.self, forKey: .change30d)
            summary = Summary(score: try c.decodeIfPresent(Double.self, forKey: .score), band: try c.decodeIfPresent(Band.self, forKey: .band),
                              topReasons: try c.decode([Reason].self, forKey: .topReasons), capped: try c.decodeIfPresent(JSONValue.self, forKey: .capped),
                              overrideBand: try c.decodeIfPresent(Band.self, forKey: .overrideBand),
                              overrideDisagrees: try c.decodeIfPresent(Bool.self, forKey: .overrideDisagrees))
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(rules, forKey: .rules)
            try c.encode(date, forKey: .date)
            try c.encode(summary.score, forKey: .score)
            try c.encode(summary.band, forKey: .band)
            try c.encode(change7d, forKey: .change7d)
            try c.encode(change30d, forKey: .change30d)
            try c.encode(summary.topReasons, forKey: .topReasons)
            if let capped = summary.capped { try c.encode(capped, forKey: .capped) }
            if let b = summary.overrideBand { try c.encode(b, forKey: .overrideBand) }
            if let d = summary.overrideDisagrees { try c.encode(d, forKey: .overrideDisagrees) }
        }
    }

    public var account: String
    public var asOf: String
    public var health: Health?
    /// The CRM's profile as the latest `account.updated` events left it, with `days_to_renewal`
    /// and `tenure_days` (its fields are the profile's own: an object).
    public var profile: JSONValue
    public var usage: Usage
    public var support: Support
    public var conversations: Conversations
    public var milestones: Milestones
    /// Each team's latest touch, by team name.
    public var lastTouch: [Touch]
    public var daysSinceHumanContact: Int?
    /// The three latest notes, newest first.
    public var notes: [Note]
    public var override: Override?
    /// The people behind the account (`StakeholderMap`).
    public var stakeholders: [Stakeholder]
    public var flags: [Flag]
    /// The tasks open on the account at the time, soonest due first (the read models add them).
    public var tasks: [OpenTask] = []

    public struct OpenTask: Codable, Sendable, Equatable {
        public var taskID: String
        public var title: String
        public var dueDate: String?
        public var assignee: String?
        public var alert: String?
        public var seq: UInt64

        public init(_ t: TaskItem) {
            (taskID, title, dueDate, assignee, alert, seq) = (t.taskID, t.title, t.dueDate?.description, t.assignee, t.alert, t.openedSeq)
        }

        enum CodingKeys: String, CodingKey { case taskID = "task_id", title, dueDate = "due_date", assignee, alert, seq }
    }

    /// The tickets open at the time with their latest triage, highest priority first (the read models add them).
    public var triage: [TriagedTicket] = []

    public struct TriagedTicket: Codable, Sendable, Equatable {
        public var ticketID: String
        public var triage: String
        public var priority: Int
        public var tier: String
        public var reasons: [String]
        /// The `ticket.triaged`'s seq.
        public var seq: UInt64

        public init(ticketID: String, triage: String, priority: Int, tier: String, reasons: [String], seq: UInt64) {
            (self.ticketID, self.triage, self.priority, self.tier, self.reasons, self.seq) = (ticketID, triage, priority, tier, reasons, seq)
        }

        enum CodingKeys: String, CodingKey { case ticketID = "ticket_id", triage, priority, tier, reasons, seq }
    }

    enum CodingKeys: String, CodingKey {
        case account, asOf = "as_of", health, profile, usage, support, conversations, milestones, lastTouch = "last_touch"
        case daysSinceHumanContact = "days_since_human_contact", notes, override, stakeholders, flags, tasks, triage
    }
}

/// A key named at run time (a priority, a team).
struct NamedKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension AccountContext.Support {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        openTickets = try c.decode(Int.self, forKey: .openTickets)
        let byPriority = try c.nestedContainer(keyedBy: NamedKey.self, forKey: .openByPriority)
        openByPriority = try Priority.allCases.compactMap { p in
            try byPriority.decodeIfPresent(Int.self, forKey: NamedKey(stringValue: p.rawValue)).map { Count(priority: p.rawValue, count: $0) }
        }
        oldestOpenDays = try c.decodeIfPresent(Int.self, forKey: .oldestOpenDays)
        tickets30d = try c.decode(Int.self, forKey: .tickets30d)
        tickets90d = try c.decode(Int.self, forKey: .tickets90d)
        latestCsat = try c.decodeIfPresent(Int.self, forKey: .latestCsat)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(openTickets, forKey: .openTickets)
        var byPriority = c.nestedContainer(keyedBy: NamedKey.self, forKey: .openByPriority)
        for e in openByPriority { try byPriority.encode(e.count, forKey: NamedKey(stringValue: e.priority)) }
        if let oldestOpenDays { try c.encode(oldestOpenDays, forKey: .oldestOpenDays) }
        try c.encode(tickets30d, forKey: .tickets30d)
        try c.encode(tickets90d, forKey: .tickets90d)
        if let latestCsat { try c.encode(latestCsat, forKey: .latestCsat) }
    }
}

extension AccountContext.Usage {
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if let activeUsers7d { try c.encode(activeUsers7d, forKey: .activeUsers7d) }
        if let activeUsersPrev28d { try c.encode(activeUsersPrev28d, forKey: .activeUsersPrev28d) }
        if let changePct { try c.encode(changePct, forKey: .changePct) }
        if let trend { try c.encode(trend, forKey: .trend) }
        if let seatUtilisationPct { try c.encode(seatUtilisationPct, forKey: .seatUtilisationPct) }
        if let featureBreadth28d { try c.encode(featureBreadth28d, forKey: .featureBreadth28d) }
        if let featureBreadth28d90DaysAgo { try c.encode(featureBreadth28d90DaysAgo, forKey: .featureBreadth28d90DaysAgo) }
    }
}

extension AccountContext.Conversations {
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if let last { try c.encode(last, forKey: .last) }
        if let sentimentTrend { try c.encode(sentimentTrend, forKey: .sentimentTrend) }
        if let sentimentChange { try c.encode(sentimentChange, forKey: .sentimentChange) }
    }
}

extension AccountContext.Conversations.Last {
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(time, forKey: .time)
        try c.encode(kind, forKey: .kind)
        if let team { try c.encode(team, forKey: .team) }
        if let sentiment { try c.encode(sentiment, forKey: .sentiment) }
        try c.encode(seq, forKey: .seq)
    }
}

extension AccountContext.Milestone {
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(milestone, forKey: .milestone)
        if let dueDate { try c.encode(dueDate, forKey: .dueDate) }
    }
}

extension AccountContext.Override {
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(band, forKey: .band)
        try c.encode(author, forKey: .author)
        try c.encode(reason, forKey: .reason)
        try c.encode(since, forKey: .since)
        if let expires { try c.encode(expires, forKey: .expires) }
        try c.encode(seq, forKey: .seq)
    }
}

extension AccountContext {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        account = try c.decode(String.self, forKey: .account)
        asOf = try c.decode(String.self, forKey: .asOf)
        health = try c.decodeIfPresent(Health.self, forKey: .health)
        profile = try c.decode(JSONValue.self, forKey: .profile)
        usage = try c.decode(Usage.self, forKey: .usage)
        support = try c.decode(Support.self, forKey: .support)
        conversations = try c.decode(Conversations.self, forKey: .conversations)
        milestones = try c.decode(Milestones.self, forKey: .milestones)
        let touches = try c.nestedContainer(keyedBy: NamedKey.self, forKey: .lastTouch)
        lastTouch = try touches.allKeys.map { key in
            let t = try touches.nestedContainer(keyedBy: TouchKeys.self, forKey: key)
            return Touch(team: key.stringValue, time: try t.decode(String.self, forKey: .time), daysAgo: try t.decode(Int.self, forKey: .daysAgo),
                         seq: try t.decode(UInt64.self, forKey: .seq))
        }.sorted { $0.team < $1.team }
        daysSinceHumanContact = try c.decodeIfPresent(Int.self, forKey: .daysSinceHumanContact)
        notes = try c.decode([Note].self, forKey: .notes)
        override = try c.decodeIfPresent(Override.self, forKey: .override)
        stakeholders = try c.decodeIfPresent([Stakeholder].self, forKey: .stakeholders) ?? []
        flags = try c.decode([Flag].self, forKey: .flags)
        tasks = try c.decodeIfPresent([OpenTask].self, forKey: .tasks) ?? []
        triage = try c.decodeIfPresent([TriagedTicket].self, forKey: .triage) ?? []
    }

    enum TouchKeys: String, CodingKey { case time, daysAgo = "days_ago", seq }

    /// The touches as the view writes them: an object by team name.
    public struct TouchList: Encodable {
        public var touches: [Touch]

        public init(touches: [Touch]) { self.touches = touches }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: NamedKey.self)
            for t in touches {
                var m = c.nestedContainer(keyedBy: TouchKeys.self, forKey: NamedKey(stringValue: t.team))
                try m.encode(t.time, forKey: .time)
                try m.encode(t.daysAgo, forKey: .daysAgo)
                try m.encode(t.seq, forKey: .seq)
            }
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(account, forKey: .account)
        try c.encode(asOf, forKey: .asOf)
        if let health { try c.encode(health, forKey: .health) }
        try c.encode(profile, forKey: .profile)
        try c.encode(usage, forKey: .usage)
        try c.encode(support, forKey: .support)
        try c.encode(conversations, forKey: .conversations)
        try c.encode(milestones, forKey: .milestones)
        try c.encode(TouchList(touches: lastTouch), forKey: .lastTouch)
        if let daysSinceHumanContact { try c.encode(daysSinceHumanContact, forKey: .daysSinceHumanContact) }
        try c.encode(notes, forKey: .notes)
        if let override { try c.encode(override, forKey: .override) }
        try c.encode(stakeholders, forKey: .stakeholders)
        try c.encode(flags, forKey: .flags)
        try c.encode(tasks, forKey: .tasks)
        try c.encode(triage, forKey: .triage)
    }
}
