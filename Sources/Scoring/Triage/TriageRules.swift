import ThroughlineCore

/// A ticket triage rules file: its version, the factors that add to (or take from) a ticket's
/// priority, and the tiers the priority falls in. A pure input like the health rules: the triage
/// a log gives under a version is a function of the log, the health rules and this file
/// (`TriageEngine`).
public struct TriageRules: Sendable, Equatable {
    public var version: String
    public var description: String?
    /// The priority every ticket starts from (0–100).
    public var base: Double
    public var factors: [Factor]
    /// Highest first: a ticket is of the first tier whose `atLeast` its priority reaches.
    public var tiers: [Tier]

    public init(version: String, description: String? = nil, base: Double = 0, factors: [Factor], tiers: [Tier]) {
        (self.version, self.description, self.base, self.factors, self.tiers) = (version, description, base, factors, tiers)
    }

    /// One thing about a ticket or its account, and the points it adds when it holds.
    public struct Factor: Sendable, Equatable {
        /// Names the factor in every triage's reasons: letters, digits, `-`, `_`.
        public var id: String
        public var description: String?
        /// Points added (negative: taken) when every condition of `when` holds.
        public var points: Double
        public var when: When

        public init(id: String, description: String? = nil, points: Double, when: When) {
            (self.id, self.description, self.points, self.when) = (id, description, points, when)
        }
    }

    /// A tier of the queue: the tickets whose priority is `atLeast` or more (and below the tier above).
    public struct Tier: Sendable, Equatable {
        public var name: String
        public var atLeast: Double

        public init(name: String, atLeast: Double) { (self.name, self.atLeast) = (name, atLeast) }
    }

    /// What must hold of the ticket and its account as it stood when the ticket opened. Every
    /// condition given must hold; an empty one always does.
    public struct When: Sendable, Equatable {
        /// The ticket's own priority and category.
        public var priorities: [Priority]?
        public var categories: [TicketCategory]?
        /// Words or phrases, any of which the subject contains (case aside, whole words).
        public var subjectWords: [String]? {
            didSet { phrases = subjectWords?.map(SubjectWords.init) }
        }
        /// Each of `subjectWords` as its words, split once.
        private(set) var phrases: [SubjectWords]?
        /// The role of the person who raised it, as the account's people say (`champion` also
        /// when the profile names them its champion).
        public var requesterRoles: [ContactRole]?
        /// The account's profile, band and signals, as alert rules read them.
        public var account: AlertRules.Conditions
        /// The score fell `points` or more below its highest of the `days` days before.
        public var scoreDrop: (points: Double, days: Int)?
        /// At least `atLeast` other tickets of `priorities` were open.
        public var openTickets: (priorities: [Priority], atLeast: Int)?
        /// The champion was lost (left, turned, replaced) within this many days before.
        public var championLostWithinDays: Int?

        public init(priorities: [Priority]? = nil, categories: [TicketCategory]? = nil, subjectWords: [String]? = nil,
                    requesterRoles: [ContactRole]? = nil, account: AlertRules.Conditions = .init(), scoreDrop: (points: Double, days: Int)? = nil,
                    openTickets: (priorities: [Priority], atLeast: Int)? = nil, championLostWithinDays: Int? = nil) {
            (self.priorities, self.categories, self.subjectWords, self.requesterRoles, self.account) = (priorities, categories, subjectWords, requesterRoles, account)
            phrases = subjectWords?.map(SubjectWords.init)
            (self.scoreDrop, self.openTickets, self.championLostWithinDays) = (scoreDrop, openTickets, championLostWithinDays)
        }

        public static func == (a: When, b: When) -> Bool {
            a.priorities == b.priorities && a.categories == b.categories && a.subjectWords == b.subjectWords && a.requesterRoles == b.requesterRoles
                && a.account == b.account && a.scoreDrop?.points == b.scoreDrop?.points && a.scoreDrop?.days == b.scoreDrop?.days
                && a.openTickets?.priorities == b.openTickets?.priorities && a.openTickets?.atLeast == b.openTickets?.atLeast
                && a.championLostWithinDays == b.championLostWithinDays
        }

        /// The keys of a factor's `when`, besides the account conditions alert rules share.
        public static let names = ["priority", "category", "subject_words", "requester_role", "score_drop", "open_tickets", "champion_lost_within_days"]
    }

    /// The tier of `priority`: the first whose threshold it reaches (the last tier otherwise).
    public func tier(of priority: Double) -> String {
        (tiers.first { priority >= $0.atLeast } ?? tiers.last)?.name ?? ""
    }

    /// Whether `tier` is above `other` in this file's order (an unknown tier is below all).
    public func rank(_ tier: String) -> Int { tiers.firstIndex { $0.name == tier } ?? tiers.count }
}
