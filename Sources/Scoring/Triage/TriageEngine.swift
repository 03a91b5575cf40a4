import ThroughlineCore

/// A ticket as triage reads it: the fields of its `ticket.opened`.
public struct TriageTicket: Sendable, Equatable {
    public var ticket: String
    public var seq: UInt64
    public var time: Int64
    public var priority: Priority
    public var category: TicketCategory?
    /// The subject and the requester as written (personal: read, never copied into the triage).
    public var subject: String?
    public var requester: String?

    public init(ticket: String, seq: UInt64, time: Int64, priority: Priority, category: TicketCategory? = nil,
                subject: String? = nil, requester: String? = nil) {
        (self.ticket, self.seq, self.time, self.priority, self.category, self.subject, self.requester) = (ticket, seq, time, priority, category, subject, requester)
    }
}

/// The triage of one ticket: its priority (0–100), its tier, and each factor that counted.
public struct TicketTriage: Sendable, Equatable {
    public var version: String
    public var account: String
    public var ticket: String
    /// The seq of the ticket's `ticket.opened`.
    public var seq: UInt64
    public var time: Int64
    public var priority: Int
    public var tier: String
    public var reasons: [Reason]
    /// Each factor that held: its points, what it found (no personal data), and the events behind it.
    public typealias Reason = TicketTriaged.Reason

    public init(version: String, account: String, ticket: String, seq: UInt64, time: Int64, priority: Int, tier: String, reasons: [Reason]) {
        (self.version, self.account, self.ticket, self.seq, self.time) = (version, account, ticket, seq, time)
        (self.priority, self.tier, self.reasons) = (priority, tier, reasons)
    }
}

/// What triage reads of an account besides its history: its daily scores and bands under the
/// health rules in force.
public struct TriageSubject {
    public let history: AccountHistory
    let points: [DayScore]
    let rules: Rules
    /// What the triages of one account's tickets share: the seqs behind a day's score, the
    /// champion's losses (each found once, not once per ticket).
    let cache = Cache()

    final class Cache {
        var reasons: [Int: [UInt64]] = [:]
        var losses: [(time: Int64, reason: String, seqs: [UInt64])]?
        /// The people as of the last ticket asked about, and how many contact updates made them.
        var people: (updates: Int, directory: PeopleDirectory)?
    }

    /// Whether triages name the events behind a day's score (false: a shadow-mode replay, which
    /// reads priorities and tiers only, is spared a full score per day with a ticket).
    let explains: Bool

    public init(history: AccountHistory, series: ScoreSeries?, rules: Rules, explains: Bool = true) {
        (self.history, self.rules, self.explains) = (history, rules, explains)
        points = series?.points(rules) ?? []
    }

    /// The latest scored day before `day` (the ticket's day is not over when it opens).
    func before(_ day: Int) -> DayScore? {
        guard let first = points.first else { return nil }
        var i = min(day - 1 - first.day, points.count - 1)
        while i >= 0 {
            if points[i].score != nil { return points[i] }
            i -= 1
        }
        return nil
    }
}

/// Ticket triage: a pure function of a ticket, its account's history up to the ticket's moment,
/// the account's scores before that day, and the triage rules, so the server (as each ticket
/// arrives) and a replay (over every ticket of history) agree.
public enum TriageEngine {
    public static func triage(_ rules: TriageRules, _ s: TriageSubject, _ ticket: TriageTicket) -> TicketTriage {
        let h = s.history, t = ticket.time
        let day = Day(containing: t).number
        let point = s.before(day)
        let profile = AlertEngine.Profile(h, at: t)
        let profileSeqs = h.profile.upTo(t).suffix(1).map(\.seq)
        var reasons: [TicketTriage.Reason] = []
        for factor in rules.factors {
            guard let (found, seqs) = holds(factor.when, s, ticket, profile: profile, profileSeqs: profileSeqs, point: point) else { continue }
            reasons.append(.init(factor: factor.id, points: factor.points, reason: found.joined(separator: ", "), seqs: distinctSorted(seqs)))
        }
        let total = min(100, max(0, rules.base + reasons.reduce(0) { $0 + $1.points }))
        return TicketTriage(version: rules.version, account: h.account, ticket: ticket.ticket, seq: ticket.seq, time: t,
                            priority: Int(total.rounded()), tier: rules.tier(of: total.rounded()), reasons: reasons)
    }

    /// What the conditions found and the events behind them, or nil when one does not hold.
    static func holds(_ w: TriageRules.When, _ s: TriageSubject, _ ticket: TriageTicket, profile: AlertEngine.Profile,
                      profileSeqs: [UInt64], point: DayScore?) -> ([String], [UInt64])? {
        let h = s.history, t = ticket.time
        var found: [String] = [], seqs: [UInt64] = []
        if let p = w.priorities {
            guard p.contains(ticket.priority) else { return nil }
            found.append("\(ticket.priority.rawValue) ticket")
            seqs.append(ticket.seq)
        }
        if let c = w.categories {
            guard let category = ticket.category, c.contains(category) else { return nil }
            found.append("category \(category.rawValue.replacingUnderscores)")
            seqs.append(ticket.seq)
        }
        if let phrases = w.subjectWords, let split = w.phrases {
            let said = words(ticket.subject ?? "")
            let hits = zip(phrases, split).filter { contains(said, $0.1) }.map(\.0)
            guard !hits.isEmpty else { return nil }
            found.append("the subject says " + hits.map { "\"\($0)\"" }.joined(separator: ", "))
            seqs.append(ticket.seq)
        }
        if let roles = w.requesterRoles {
            guard let requester = ticket.requester, let (role, about) = requesterRole(s, requester, at: t), roles.contains(role) else { return nil }
            found.append("raised by the account's \(role.rawValue.replacingUnderscores)")
            seqs += about + [ticket.seq]
        }
        // The account's conditions, as alert rules read them, with the band in force before the ticket's day.
        guard let met = try? AlertEngine.holds(w.account, h, profile, at: t, band: point?.band) else { return nil }
        found += met
        let c = w.account
        if c.plans != nil || c.arrAtLeast != nil || c.arrBelow != nil || c.renewalWithinDays != nil { seqs += profileSeqs }
        if c.bands != nil || !c.signalsBelow.isEmpty { seqs += reasonSeqs(s, day: point?.day) }
        if let drop = w.scoreDrop {
            guard let now = point, let score = now.score else { return nil }
            // The points are one a day from the first: the days before `now` within `drop.days`.
            let first = s.points[0].day
            let window = s.points[max(0, now.day - drop.days - first)..<max(0, now.day - first)]
            let peak = window.filter { $0.score != nil }.max { $0.score! < $1.score! }
            guard let peak, peak.score! - score >= drop.points else { return nil }
            found.append("score fell \(AlertEngine.text(peak.score! - score)) points in \(now.day - peak.day) days")
            seqs += reasonSeqs(s, day: now.day)
        }
        if let open = w.openTickets {
            let others = h.openTicketPlaces(at: t).filter { $0.priority.map(open.priorities.contains) ?? false && h.ticketID($0.place) != ticket.ticket }
            guard others.count >= open.atLeast else { return nil }
            found.append("\(others.count) other \(open.priorities.count == Priority.allCases.count ? "" : open.priorities.map(\.rawValue).joined(separator: "/") + " ")ticket\(others.count == 1 ? "" : "s") open")
            if s.explains {
                let places = Set(others.map(\.place))
                seqs += h.ticketOpens.upTo(t).filter { places.contains($0.value.ticket) }.map(\.seq)
            }
        }
        if let within = w.championLostWithinDays {
            let from = t - Int64(within) * Day.micros
            let losses = s.cache.losses ?? AlertEngine.championLosses(h)
            s.cache.losses = losses
            guard let lost = losses.last(where: { $0.time > from && $0.time <= t }) else { return nil }
            found.append("champion lost \((t - lost.time) / Day.micros) days before")
            seqs += lost.seqs
        }
        return (found, seqs)
    }

    /// The role of the person `handle` names as of `t`, and the updates that say so: the
    /// people's role, or champion when the profile names them its champion.
    static func requesterRole(_ s: TriageSubject, _ handle: String, at t: Int64) -> (ContactRole, [UInt64])? {
        let h = s.history
        let updates = h.contactUpdates.upTo(t)
        // The people as of `t`: those of the account's previous ticket unless an update came since.
        let people: PeopleDirectory
        if let known = s.cache.people, known.updates == updates.count {
            people = known.directory
        } else {
            people = PeopleDirectory(updates.map { PeopleDirectory.Update(time: $0.time, seq: $0.seq, contact: $0.value) })
            s.cache.people = (updates.count, people)
        }
        let person = people.resolve(handle).map { people.people[$0] }
        let names = person.map { [$0.name, $0.key].compactMap { $0 } + $0.emails } ?? PeopleDirectory.candidates(handle)
        if let champion = h.champions(at: t).last,
           names.contains(where: { PeopleDirectory.normalisedName($0) == PeopleDirectory.normalisedName(champion.value) }) {
            return (.champion, [champion.seq] + (person?.seqs ?? []))
        }
        guard let person, let role = person.role else { return nil }
        return (role, person.seqs)
    }

    /// The seqs behind a day's score: its three costliest signals' events.
    static func reasonSeqs(_ s: TriageSubject, day: Int?) -> [UInt64] {
        guard let day, s.explains else { return [] }
        if let known = s.cache.reasons[day] { return known }
        let score = Score(s.history, rules: s.rules, at: Day(day).end)
        let seqs = score.topReasons.prefix(3).flatMap(\.seqs) + (score.held?.seqs ?? [])
        s.cache.reasons[day] = seqs
        return seqs
    }

    /// The words of `text`: runs of letters and digits, lowercased.
    static func words(_ text: String) -> [Substring] {
        // Most subjects are ASCII: split and lowercase their bytes without asking each character's properties.
        var text = text
        let ascii = text.withUTF8 { bytes -> String? in
            guard !bytes.contains(where: { $0 >= 0x80 }) else { return nil }
            return String(unsafeUninitializedCapacity: bytes.count) { out in
                for (i, b) in bytes.enumerated() {
                    let lower = b | 0x20
                    out[i] = (b >= 0x30 && b <= 0x39) || (lower >= 0x61 && lower <= 0x7a) ? (b >= 0x41 && b <= 0x5a ? lower : b) : 0x20
                }
                return bytes.count
            }
        }
        // Split on the space byte: splitting on a Character would find grapheme boundaries first.
        if let ascii { return Substring(ascii).utf8.split(separator: 0x20).map { Substring($0) } }
        return text.lowercased().split { !($0.isLetter || $0.isNumber) }
    }

    /// Whether `said` holds `phrase` as consecutive words, each word of the phrase beginning one
    /// of them (`cancel` finds cancelled and cancellation).
    static func contains(_ said: [Substring], _ phrase: [Substring]) -> Bool {
        guard !phrase.isEmpty, said.count >= phrase.count else { return false }
        for start in 0...(said.count - phrase.count) where zip(said[start...], phrase).allSatisfy({ $0.utf8.starts(with: $1.utf8) }) { return true }
        return false
    }

    /// `seqs` in increasing order, each once.
    static func distinctSorted(_ seqs: [UInt64]) -> [UInt64] {
        var out: [UInt64] = []
        out.reserveCapacity(seqs.count)
        for seq in seqs.sorted() where out.last != seq { out.append(seq) }
        return out
    }
}

extension TicketTriage {
    /// The `ticket.triaged` event of this triage: its id and content are functions of the triage
    /// alone, so every node that derives it appends the same event.
    public var event: Event {
        let data: [JSONMember] = [JSONMember("triage", .string(version)), JSONMember("ticket_id", .string(ticket)),
                                  JSONMember("priority", .number(String(priority))), JSONMember("tier", .string(tier)),
                                  JSONMember("reasons", .array(reasons.map(\.json)))]
        return Event(id: TicketTriaged.id(version: version, account: account, ticket: ticket), account: account, type: .ticketTriaged,
                     time: .utc(microseconds: time), source: "throughline", actor: TicketTriaged.actor, data: data)
    }
}
