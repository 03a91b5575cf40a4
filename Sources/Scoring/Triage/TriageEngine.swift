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
        var reasons: [TicketTriage.Reason] = []
        let total = evaluate(rules, s, ticket, keeps: true) { factor, found in
            reasons.append(.init(factor: factor.id, points: factor.points, reason: found.texts.joined(separator: ", "), seqs: distinctSorted(found.seqs)))
        }
        return TicketTriage(version: rules.version, account: s.history.account, ticket: ticket.ticket, seq: ticket.seq, time: ticket.time,
                            priority: Int(total), tier: rules.tier(of: total), reasons: reasons)
    }

    /// The priority and tier `triage` gives, without its reasons (what a shadow-mode replay reads).
    public static func priority(_ rules: TriageRules, _ s: TriageSubject, _ ticket: TriageTicket) -> (priority: Int, tier: String) {
        let total = evaluate(rules, s, ticket, keeps: false) { _, _ in }
        return (Int(total), rules.tier(of: total))
    }

    /// The ticket's priority (rounded, 0–100), handing each factor that held to `held` with what it found.
    static func evaluate(_ rules: TriageRules, _ s: TriageSubject, _ ticket: TriageTicket, keeps: Bool,
                         _ held: (TriageRules.Factor, Findings) -> Void) -> Double {
        let t = ticket.time
        let point = s.before(Day(containing: t).number)
        let profile = AlertEngine.Profile(s.history, at: t)
        var points = 0.0
        // The factors read in place, not copied one by one.
        rules.factors.withUnsafeBufferPointer { factors in
            for i in factors.indices {
                var found = Findings(keeps: keeps)
                guard holds(factors.baseAddress! + i, s, ticket, profile: profile, point: point, into: &found) else { continue }
                points += factors[i].points
                held(factors[i], found)
            }
        }
        return min(100, max(0, rules.base + points)).rounded()
    }

    /// Whether every condition of `factor` holds, noting what each found and the events behind
    /// it. The factor is read in place through its address: passed by value, its conditions (a
    /// struct of arrays) were copied for each factor of each ticket, a fifth of a replay's triage.
    @inline(__always)
    static func holds(_ factor: UnsafePointer<TriageRules.Factor>, _ s: TriageSubject, _ ticket: TriageTicket, profile: AlertEngine.Profile,
                      point: DayScore?, into found: inout Findings) -> Bool {
        let h = s.history, t = ticket.time
        if let p = factor.pointee.when.priorities {
            guard p.contains(ticket.priority) else { return false }
            found.note("\(ticket.priority.rawValue) ticket", [ticket.seq])
        }
        if let c = factor.pointee.when.categories {
            guard let category = ticket.category, c.contains(category) else { return false }
            found.note("category \(category.rawValue.replacingUnderscores)", [ticket.seq])
        }
        if let phrases = factor.pointee.when.subjectWords, let split = factor.pointee.when.phrases {
            let said = SubjectWords(ticket.subject ?? "")
            guard split.contains(where: said.contains) else { return false }
            found.note("the subject says " + zip(phrases, split).filter { said.contains($0.1) }.map { "\"\($0.0)\"" }.joined(separator: ", "), [ticket.seq])
        }
        if let roles = factor.pointee.when.requesterRoles {
            guard let requester = ticket.requester, let (role, about) = requesterRole(s, requester, at: t), roles.contains(role) else { return false }
            found.note("raised by the account's \(role.rawValue.replacingUnderscores)", about + [ticket.seq])
        }
        // The account's conditions, as alert rules read them, with the band in force before the ticket's day.
        guard (try? AlertEngine.holds(factor.pointee.when.account, h, profile, at: t, band: point?.band, into: &found)) == true else { return false }
        if found.keeps {
            let c = factor.pointee.when.account
            if c.plans != nil || c.arrAtLeast != nil || c.arrBelow != nil || c.renewalWithinDays != nil { found.cite(h.profile.upTo(t).suffix(1).map(\.seq)) }
            if c.bands != nil || !c.signalsBelow.isEmpty { found.cite(reasonSeqs(s, day: point?.day)) }
        }
        if let drop = factor.pointee.when.scoreDrop {
            guard let now = point, let score = now.score else { return false }
            // The points are one a day from the first: the days before `now` within `drop.days`.
            let first = s.points[0].day
            var peak: DayScore?
            for p in s.points[max(0, now.day - drop.days - first)..<max(0, now.day - first)] where p.score != nil && p.score! > (peak?.score ?? -.infinity) { peak = p }
            guard let peak, peak.score! - score >= drop.points else { return false }
            found.note("score fell \(AlertEngine.text(peak.score! - score)) points in \(now.day - peak.day) days", reasonSeqs(s, day: now.day))
        }
        if let open = factor.pointee.when.openTickets {
            let others = h.openTicketPlaces(at: t).filter { $0.priority.map(open.priorities.contains) ?? false && h.ticketID($0.place) != ticket.ticket }
            guard others.count >= open.atLeast else { return false }
            found.note("\(others.count) other \(open.priorities.count == Priority.allCases.count ? "" : open.priorities.map(\.rawValue).joined(separator: "/") + " ")ticket\(others.count == 1 ? "" : "s") open")
            if s.explains {
                let places = Set(others.map(\.place))
                found.cite(h.ticketOpens.upTo(t).filter { places.contains($0.value.ticket) }.map(\.seq))
            }
        }
        if let within = factor.pointee.when.championLostWithinDays {
            let from = t - Int64(within) * Day.micros
            let losses = s.cache.losses ?? AlertEngine.championLosses(h)
            s.cache.losses = losses
            guard let lost = losses.last(where: { $0.time > from && $0.time <= t }) else { return false }
            found.note("champion lost \((t - lost.time) / Day.micros) days before", lost.seqs)
        }
        return true
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
