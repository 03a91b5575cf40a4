/// The facts of one account that the shared-context view is computed from, as the read models
/// keep them. Each is a plain value taken from one event (with its seq), so the view can name
/// the events behind every number and flag.
public struct AccountFacts: Sendable {
    public struct UsageDay: Sendable, Equatable {
        public var day: Int  // days since 1970-01-01
        public var activeUsers: Int
        public var events: Int
        public var features: [String]
        public var seq: UInt64
        public init(day: Int, activeUsers: Int, events: Int, features: [String], seq: UInt64) {
            self.day = day
            self.activeUsers = activeUsers
            self.events = events
            self.features = features
            self.seq = seq
        }
    }

    public struct Ticket: Sendable, Equatable {
        public var ticket: String
        public var openedMicros: Int64
        public var closedMicros: Int64?
        public var priority: Priority?
        public var subject: String?
        public var csat: Int?
        public var seqs: [UInt64]
        public init(ticket: String, openedMicros: Int64, closedMicros: Int64?, priority: Priority?, subject: String?, csat: Int?, seqs: [UInt64]) {
            self.ticket = ticket
            self.openedMicros = openedMicros
            self.closedMicros = closedMicros
            self.priority = priority
            self.subject = subject
            self.csat = csat
            self.seqs = seqs
        }
    }

    public struct Call: Sendable, Equatable {
        public var timeMicros: Int64
        public var kind: String
        public var team: String?
        public var sentiment: Double?
        /// Summary and topics, lowercased, for "was the ticket mentioned?".
        public var text: String
        public var seq: UInt64
        public init(timeMicros: Int64, kind: String, team: String?, sentiment: Double?, text: String, seq: UInt64) {
            self.timeMicros = timeMicros
            self.kind = kind
            self.team = team
            self.sentiment = sentiment
            self.text = text
            self.seq = seq
        }
    }

    public struct Milestone: Sendable, Equatable {
        public var milestone: String
        public var status: MilestoneStatus
        public var due: CalendarDate?
        public var seq: UInt64
        public init(milestone: String, status: MilestoneStatus, due: CalendarDate?, seq: UInt64) {
            self.milestone = milestone
            self.status = status
            self.due = due
            self.seq = seq
        }
    }

    /// The latest event of a team (or the latest human contact, team `contact`).
    public struct Touch: Sendable, Equatable {
        public var team: String
        public var timeMicros: Int64
        public var seq: UInt64
        public init(team: String, timeMicros: Int64, seq: UInt64) {
            self.team = team
            self.timeMicros = timeMicros
            self.seq = seq
        }
    }

    public struct Survey: Sendable, Equatable {
        public var timeMicros: Int64
        public var kind: SurveyKind
        public var score: Int
        public var seq: UInt64
        public init(timeMicros: Int64, kind: SurveyKind, score: Int, seq: UInt64) {
            self.timeMicros = timeMicros
            self.kind = kind
            self.score = score
            self.seq = seq
        }
    }

    public struct Override: Sendable, Equatable {
        public var timeMicros: Int64
        public var author: String
        public var band: Band
        public var reason: String
        public var expires: CalendarDate?
        public var seq: UInt64
        public init(timeMicros: Int64, author: String, band: Band, reason: String, expires: CalendarDate?, seq: UInt64) {
            self.timeMicros = timeMicros
            self.author = author
            self.band = band
            self.reason = reason
            self.expires = expires
            self.seq = seq
        }
    }

    public struct Note: Sendable, Equatable {
        public var timeMicros: Int64
        public var author: String
        public var text: String
        public var seq: UInt64
        public init(timeMicros: Int64, author: String, text: String, seq: UInt64) {
            self.timeMicros = timeMicros
            self.author = author
            self.text = text
            self.seq = seq
        }
    }

    /// A champion named by a profile update, in event order.
    public struct Champion: Sendable, Equatable {
        public var timeMicros: Int64
        public var name: String
        public var seq: UInt64
        public init(timeMicros: Int64, name: String, seq: UInt64) {
            self.timeMicros = timeMicros
            self.name = name
            self.seq = seq
        }
    }

    public var account: String
    public var profile = AccountProfile()
    public var firstMicros: Int64 = 0
    public var usage: [UsageDay] = []
    public var tickets: [Ticket] = []
    public var calls: [Call] = []
    public var milestones: [Milestone] = []
    public var touches: [Touch] = []
    public var surveys: [Survey] = []
    public var overrides: [Override] = []
    public var notes: [Note] = []
    public var champions: [Champion] = []
    /// The contact updates, and the people named on calls, tickets and notes, in event order.
    public var contacts: [PeopleDirectory.Update] = []
    public var mentions: [PersonMention] = []
    /// The account's consent to calls as its profile updates changed it, in event order.
    public var consentChanges: [CallConsent.Change] = []
    /// What the message audit found wrong with the messages sent up to then.
    public var messageFindings: [MessageFinding] = []

    public init(account: String) { self.account = account }
}

/// Which team an event counts as a touch by, and whether it is a human contact with the
/// customer: calls and meetings (their `team`, else the actor's), and support's replies and
/// closes of tickets. Usage telemetry touches nobody. Actors map by prefix: `agent:` support, `csm:` success, `ae:`/`sales:`
/// sales, `pm:`/`product:` product, `automation:` automation; customers' own events touch nobody.
public enum TouchRule {
    public static func team(_ e: Event, _ payload: EventPayload) -> (team: String, contact: Bool)? {
        if case .usageRecorded = payload { return nil }  // telemetry is not a touch
        if case .callCompleted(let c) = payload {
            return (c.team?.rawValue ?? actorTeam(e.actor) ?? "success", true)
        }
        guard let team = actorTeam(e.actor) else { return nil }
        switch payload {
        case .ticketUpdated, .ticketClosed: return (team, ticketContact(team: team))
        default: return (team, false)
        }
    }

    /// A ticket update or close is a human contact when a team's person (not automation) made it.
    public static func ticketContact(team: String?) -> Bool { team.map { $0 != "automation" } ?? false }

    static func actorTeam(_ actor: String?) -> String? {
        guard let actor, let colon = actor.firstIndex(of: ":") else { return nil }
        return team(ofActorKind: actor[..<colon])
    }

    /// The team of an actor given as UTF-8 bytes (`kind:name`).
    public static func actorTeam(_ actor: UnsafeRawBufferPointer) -> String? {
        guard let colon = actor.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        return team(ofActorKind: Substring(String(decoding: UnsafeRawBufferPointer(rebasing: actor[..<colon]), as: UTF8.self)))
    }

    /// The team an actor's kind (before the colon) names.
    static func team(ofActorKind kind: Substring) -> String? {
        switch kind {
        case "agent", "support": return "support"
        case "csm", "success": return "success"
        case "ae", "sales": return "sales"
        case "pm", "product": return "product"
        case "automation", "bot": return "automation"
        default: return nil
        }
    }
}
