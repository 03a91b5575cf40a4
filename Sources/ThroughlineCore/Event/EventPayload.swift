/// The typed `data` of an event, one case per v1 type. Decoding checks every rule of
/// `schemas/events/<type>.schema.json`; unknown extra fields are allowed (and kept in the log).
public enum EventPayload: Sendable {
    case accountUpdated(AccountUpdated)
    case callCompleted(CallCompleted)
    case ticketOpened(TicketOpened)
    case ticketUpdated(TicketUpdated)
    case ticketClosed(TicketClosed)
    case usageRecorded(UsageRecorded)
    case milestoneUpdated(MilestoneUpdated)
    case noteAdded(NoteAdded)
    case healthOverride(HealthOverride)
    case surveyAnswered(SurveyAnswered)
    case communityActivity(CommunityActivity)
    case accountRenewed(AccountRenewed)
    case accountChurned(AccountChurned)
    case identityLinked(IdentityLink)
    case identityUnlinked(IdentityLink)
    case accountMerged(AccountMerged)
    case accountUnmerged(AccountUnmerged)
    case contactUpdated(ContactUpdated)
    case subjectForgotten(SubjectForgotten)
    case rulesActivated(RulesActivated)
    case alertFired(AlertFired)
    case taskOpened(TaskOpened)
    case taskClosed(TaskClosed)
    case messageSent(MessageSent)
    case ticketTriaged(TicketTriaged)
    case productReleased(ProductReleased)

    /// Decodes `data` (its members; empty when the event had none) as the payload of `type`.
    public init(type: EventType, data: [JSONMember]) throws(ValidationError) {
        var w = ByteWriter(capacity: 256)
        RecordCodec.encodeMembers(data, into: &w)
        let result: Result<EventPayload, ValidationError> = w.bytes.withUnsafeBytes { b in
            do throws(ValidationError) {
                return .success(try EventPayload(type: type, data: FieldReader(BinaryObject(bytes: b, countOffset: 0), path: "data")))
            } catch {
                return .failure(error)
            }
        }
        self = try result.get()
    }

    /// Decodes the binary-encoded `data` object read by `r` as the payload of `type`.
    public init(type: EventType, data r: FieldReader) throws(ValidationError) {
        switch type {
        case .accountUpdated: self = .accountUpdated(try AccountUpdated(r))
        case .callCompleted: self = .callCompleted(try CallCompleted(r))
        case .ticketOpened: self = .ticketOpened(try TicketOpened(r))
        case .ticketUpdated: self = .ticketUpdated(try TicketUpdated(r))
        case .ticketClosed: self = .ticketClosed(try TicketClosed(r))
        case .usageRecorded: self = .usageRecorded(try UsageRecorded(r))
        case .milestoneUpdated: self = .milestoneUpdated(try MilestoneUpdated(r))
        case .noteAdded: self = .noteAdded(try NoteAdded(r))
        case .healthOverride: self = .healthOverride(try HealthOverride(r))
        case .surveyAnswered: self = .surveyAnswered(try SurveyAnswered(r))
        case .communityActivity: self = .communityActivity(try CommunityActivity(r))
        case .accountRenewed: self = .accountRenewed(try AccountRenewed(r))
        case .accountChurned: self = .accountChurned(try AccountChurned(r))
        case .identityLinked: self = .identityLinked(try IdentityLink(r))
        case .identityUnlinked: self = .identityUnlinked(try IdentityLink(r))
        case .accountMerged: self = .accountMerged(try AccountMerged(r))
        case .accountUnmerged: self = .accountUnmerged(try AccountUnmerged(r))
        case .contactUpdated: self = .contactUpdated(try ContactUpdated(r))
        case .subjectForgotten: self = .subjectForgotten(try SubjectForgotten(r))
        case .rulesActivated: self = .rulesActivated(try RulesActivated(r))
        case .alertFired: self = .alertFired(try AlertFired(r))
        case .taskOpened: self = .taskOpened(try TaskOpened(r))
        case .taskClosed: self = .taskClosed(try TaskClosed(r))
        case .messageSent: self = .messageSent(try MessageSent(r))
        case .ticketTriaged: self = .ticketTriaged(try TicketTriaged(r))
        case .productReleased: self = .productReleased(try ProductReleased(r))
        }
    }
}

/// The largest values the numeric fields take (`maximum` in `schemas/events/`): far above any
/// real account, and low enough that every sum and conversion the folds make stays exact.
public enum Bounds {
    /// An amount of money (ARR): 10^15.
    public static let money = 1e15
    /// A number of people (seats, active users): 10^9.
    public static let people = 1_000_000_000
    /// A count of things done (usage events, uses of a feature): 10^12.
    public static let count = 1_000_000_000_000
    /// A call's length: 10^7 seconds (about 116 days).
    public static let durationSeconds = 10_000_000
    /// A contract's term: 100 years.
    public static let termMonths = 1200
    /// The years an event's time and its data's dates may fall in.
    public static let years = 1970...2999
    /// `years` as error messages name them.
    public static let yearsText = "the years \(years.lowerBound) to \(years.upperBound)"
}

/// `account.updated`: a partial update of the account's profile; at least one field.
public struct AccountUpdated: Sendable {
    public var name, plan, tier, csm, stage, champion: String?
    /// The customer's internet domain, lowercase (`example.com`).
    public var domain: String?
    public var arr: Double?
    public var seats: Int?
    public var renewalDate: CalendarDate?
    public var consent: Consent?

    /// Consent flags; each one present is an update.
    public struct Consent: Sendable {
        public var email, calls, productAnalytics: Bool?
    }

    init(_ r: FieldReader) throws(ValidationError) {
        if r.object.count == 0 { throw ValidationError(field: "data", "must name at least one profile field to update") }
        name = try r.string("name", maxLength: 256)
        plan = try r.string("plan", maxLength: 128)
        tier = try r.string("tier", maxLength: 128)
        csm = try r.string("csm", maxLength: 128)
        stage = try r.string("stage", maxLength: 128)
        champion = try r.string("champion", maxLength: 256)
        domain = try r.string("domain", maxLength: 253)
        if let d = domain, !Self.isDomain(d) {
            throw r.fail("domain", "must be an internet domain in lowercase letters, digits and hyphens, with a dot (example.com), not \"\(d)\"")
        }
        arr = try r.number("arr", min: 0, max: Bounds.money)
        seats = try r.integer("seats", min: 0, max: Bounds.people)
        renewalDate = try r.date("renewal_date")
        if let c = try r.object("consent") {
            consent = Consent(email: try c.bool("email"), calls: try c.bool("calls"),
                              productAnalytics: try c.bool("product_analytics"))
        }
    }
}

extension AccountUpdated {
    /// A domain name as the schema has it: labels of 1–63 lowercase letters, digits and hyphens
    /// (no hyphen first or last), at least two, the last 2–63 letters.
    static func isDomain(_ d: String) -> Bool {
        let labels = d.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard labels.count >= 2, let top = labels.last, (2...63).contains(top.count),
              top.allSatisfy({ (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) }) else { return false }
        return labels.dropLast().allSatisfy { label in
            (1...63).contains(label.count) && label.first != UInt8(ascii: "-") && label.last != UInt8(ascii: "-")
                && label.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "-") }
        }
    }
}

/// `call.completed`: a call, meeting or QBR with the customer.
public struct CallCompleted: Sendable {
    public var kind: CallKind?
    public var durationSeconds: Int
    public var team: Team?
    public var participants: [String]?
    public var sentiment: Double?
    public var summary: String?
    /// What was said, as the call analysis transcribed it.
    public var transcript: String?
    public var topics: [String]?

    init(_ r: FieldReader) throws(ValidationError) {
        kind = try r.oneOf("kind", CallKind.self)
        durationSeconds = try r.requiredInteger("duration_s", min: 0, max: Bounds.durationSeconds)
        team = try r.oneOf("team", Team.self)
        participants = try r.stringArray("participants")
        sentiment = try r.number("sentiment", min: -1, max: 1)
        summary = try r.string("summary")
        transcript = try r.string("transcript", maxLength: 100_000)
        topics = try r.stringArray("topics")
    }
}

/// `ticket.opened`: a support ticket was opened.
public struct TicketOpened: Sendable {
    public var ticketId: String
    public var priority: Priority
    public var category: TicketCategory?
    public var subject: String?
    public var channel: String?
    /// Who raised it: a person's email, id or name (`PeopleDirectory.resolve`).
    public var requester: String?

    init(_ r: FieldReader) throws(ValidationError) {
        ticketId = try r.requiredKey("ticket_id", maxLength: 128)
        priority = try r.requiredOneOf("priority", Priority.self)
        category = try r.oneOf("category", TicketCategory.self)
        subject = try r.string("subject")
        channel = try r.string("channel", maxLength: 128)
        requester = try r.string("requester", maxLength: 256, nonEmpty: true)
    }
}

/// `ticket.updated`: status, priority or sentiment of a ticket changed, or a comment was added.
public struct TicketUpdated: Sendable {
    public var ticketId: String
    public var status: String?
    public var priority: Priority?
    public var sentiment: Double?
    public var comment: String?

    init(_ r: FieldReader) throws(ValidationError) {
        ticketId = try r.requiredKey("ticket_id", maxLength: 128)
        status = try r.string("status", maxLength: 128)
        priority = try r.oneOf("priority", Priority.self)
        sentiment = try r.number("sentiment", min: -1, max: 1)
        comment = try r.string("comment")
    }
}

/// `ticket.closed`: a ticket was resolved, with the customer's CSAT if they gave one.
public struct TicketClosed: Sendable {
    public var ticketId: String
    public var resolution: String?
    public var csat: Int?

    init(_ r: FieldReader) throws(ValidationError) {
        ticketId = try r.requiredKey("ticket_id", maxLength: 128)
        resolution = try r.string("resolution", maxLength: 1000)
        csat = try r.integer("csat", min: 1, max: 5)
    }
}

/// `usage.recorded`: product usage over one day or week starting `period_start`.
public struct UsageRecorded: Sendable {
    public var periodStart: CalendarDate
    public var period: UsagePeriod?
    public var activeUsers: Int
    public var events: Int?
    /// Feature name and use count, in the order sent.
    public var features: [(name: String, count: Int)]?

    init(_ r: FieldReader) throws(ValidationError) {
        periodStart = try r.requiredDate("period_start")
        period = try r.oneOf("period", UsagePeriod.self)
        activeUsers = try r.requiredInteger("active_users", min: 0, max: Bounds.people)
        events = try r.integer("events", min: 0, max: Bounds.count)
        if let f = try r.object("features") {
            var list: [(name: String, count: Int)] = []
            list.reserveCapacity(f.object.count)
            for i in 0..<f.object.count {
                let name = f.object.key(at: i)
                try f.requireNFC(name, f.object.entries[i].key)
                list.append((name, try FieldReader.integer(f.object.value(at: i), path: f.fieldPath(name), min: 0, max: Bounds.count)))
            }
            features = list
        }
    }
}

/// `milestone.updated`: an onboarding or success milestone was planned, reached or missed.
public struct MilestoneUpdated: Sendable {
    public var milestone: String
    public var status: MilestoneStatus
    public var dueDate: CalendarDate?

    init(_ r: FieldReader) throws(ValidationError) {
        milestone = try r.requiredKey("milestone", maxLength: 256)
        status = try r.requiredOneOf("status", MilestoneStatus.self)
        dueDate = try r.date("due_date")
    }
}

/// `note.added`: a person wrote a note about the account.
public struct NoteAdded: Sendable {
    public var author: String
    public var text: String
    public var tags: [String]?
    public var visibility: NoteVisibility
    /// The people the note is about: emails, ids or names (`PeopleDirectory.resolve`).
    public var mentions: [String]?

    init(_ r: FieldReader) throws(ValidationError) {
        author = try r.requiredString("author", maxLength: 256)
        text = try r.requiredString("text", maxLength: 100_000)
        tags = try r.stringArray("tags")
        mentions = try r.stringArray("mentions")
        visibility = try r.oneOf("visibility", NoteVisibility.self) ?? .public
    }
}

/// `health.override`: a CSM sets the band by hand, with a reason, until `expires`.
public struct HealthOverride: Sendable {
    public var author: String
    public var band: Band
    public var reason: String
    public var expires: CalendarDate?

    init(_ r: FieldReader) throws(ValidationError) {
        author = try r.requiredString("author", maxLength: 256)
        band = try r.requiredOneOf("band", Band.self)
        reason = try r.requiredString("reason")
        expires = try r.date("expires")
    }
}

/// `survey.answered`: an NPS (0–10) or CSAT (1–5) answer.
public struct SurveyAnswered: Sendable {
    public var kind: SurveyKind
    public var score: Int
    public var comment: String?

    init(_ r: FieldReader) throws(ValidationError) {
        kind = try r.requiredOneOf("kind", SurveyKind.self)
        score = kind == .nps ? try r.requiredInteger("score", min: 0, max: 10)
                             : try r.requiredInteger("score", min: 1, max: 5)
        comment = try r.string("comment")
    }
}

/// `community.activity`: the customer took part in the community.
public struct CommunityActivity: Sendable {
    public var kind: CommunityKind
    public var topic: String?

    init(_ r: FieldReader) throws(ValidationError) {
        kind = try r.requiredOneOf("kind", CommunityKind.self)
        topic = try r.string("topic", maxLength: 256)
    }
}

/// `account.renewed`: the contract renewed (an outcome the backtest learns from).
public struct AccountRenewed: Sendable {
    public var arr: Double?
    public var termMonths: Int?

    init(_ r: FieldReader) throws(ValidationError) {
        arr = try r.number("arr", min: 0, max: Bounds.money)
        termMonths = try r.integer("term_months", min: 1, max: Bounds.termMonths)
    }
}

/// `account.churned`: the customer left (an outcome the backtest learns from).
public struct AccountChurned: Sendable {
    public var reason: String?

    init(_ r: FieldReader) throws(ValidationError) {
        reason = try r.string("reason", maxLength: 1000)
    }
}

/// `subject.forgotten`: the account the event is filed under, or one person of it, asked to be
/// forgotten. Applying it destroys the keys their personal values (`PersonalFields`) are sealed
/// with and folds the account again: they read as erased everywhere from then on. For an
/// account: its own key, those of the references linked to it, and those of all its people; for
/// a person: the keys of their emails, ids and the handles that name them (`ErasurePlan`). Only
/// an admin may append it.
/// `rules.activated`: from this event on, every node scores with these health rules (a new version
/// is scored over all history first, then made active). Filed under `RulesActivated.account`,
/// no customer's; appended by `serve --rules` or `rules activate`, an admin's act.
public struct RulesActivated: Sendable {
    /// The account field every `rules.activated` carries: the rules belong to no customer.
    public static let account = "throughline:rules"

    public var version: String
    /// The rules file as written (YAML), which the version names.
    public var text: String

    init(_ r: FieldReader) throws(ValidationError) {
        version = try r.requiredString("version", maxLength: 64)
        text = try r.requiredString("text", maxLength: 500_000)
    }

    /// The event that switches to the rules `text` (of `version`) at `micros`, by `actor`, under a
    /// fresh id: each switch is its own act (switching back to an earlier version is one too).
    public static func event(version: String, text: String, actor: String, micros: Int64) -> Event {
        Event(id: "rules-\(version)-\(String(UInt64.random(in: 0...UInt64.max), radix: 16))", account: account, type: .rulesActivated,
              time: .utc(microseconds: micros), source: "throughline", actor: actor,
              data: [JSONMember("version", .string(version)), JSONMember("text", .string(text))])
    }
}

public struct SubjectForgotten: Sendable {
    /// Why, for the record (a ticket of the request, say); not personal.
    public var request: String?
    /// The person to forget (their email, id or name, as a handle); nil: the whole account.
    public var person: String?

    init(_ r: FieldReader) throws(ValidationError) {
        request = try r.string("request", maxLength: 256)
        person = try r.string("person", maxLength: 256, nonEmpty: true)
    }
}
