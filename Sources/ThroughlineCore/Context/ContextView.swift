/// The shared-context view of one account on one page, computed from its facts as of a time
/// (passed in: no clock here). Every flag carries the seqs of the events that raised it.
public enum ContextView {
    /// The attention flags the view can raise.
    public enum Flag: String, Sendable, CaseIterable {
        case contactDuringOpenTicket = "contact_during_open_ticket", usageDown = "usage_down",
             noHumanContact60d = "no_human_contact_60d", missedMilestone = "missed_milestone",
             npsDetractor = "nps_detractor", championChanged = "champion_changed",
             outreachWithoutConsent = "outreach_without_consent", messageProblem = "message_problem"
    }

    public static func build(_ f: AccountFacts, asOf: Int64) -> AccountContext {
        let today = Day(containing: asOf).number
        var flags: [AccountContext.Flag] = []
        func flag(_ name: Flag, _ message: String, _ seqs: [UInt64]) {
            flags.append(AccountContext.Flag(flag: name.rawValue, message: message, seqs: Array(Set(seqs)).sorted()))
        }

        // Profile
        var profile = f.profile.jsonValue.members ?? []
        if let renewal = f.profile.renewalDate { profile.append(JSONMember("days_to_renewal", n(renewal.daysSinceEpoch - today))) }
        profile.append(JSONMember("tenure_days", n(max(0, today - Day(containing: f.firstMicros).number))))

        // Usage
        let usage = f.usage.filter { $0.day <= today }
        func daily(_ from: Int, _ to: Int) -> [Int: Int] {
            var m: [Int: Int] = [:]
            for u in usage where u.day >= from && u.day <= to { m[u.day] = max(m[u.day] ?? 0, u.activeUsers) }
            return m
        }
        func mean(_ m: [Int: Int]) -> Double? { m.isEmpty ? nil : Double(m.values.reduce(0, +)) / Double(m.count) }
        func breadth(_ from: Int, _ to: Int) -> Int {
            Set(usage.filter { $0.day >= from && $0.day <= to }.flatMap(\.features)).count
        }
        var usageView = AccountContext.Usage()
        let last7 = daily(today - 6, today), prev28 = daily(today - 34, today - 7)
        if let now = mean(last7) {
            usageView.activeUsers7d = tenth(now)
            if let before = mean(prev28) {
                usageView.activeUsersPrev28d = tenth(before)
                let change = before > 0 ? (now - before) / before * 100 : 0
                usageView.changePct = tenth(change)
                usageView.trend = change > 10 ? "up" : change < -10 ? "down" : "flat"
            }
            if let seats = f.profile.seats, seats > 0 {
                usageView.seatUtilisationPct = tenth(Double(last7.values.max() ?? 0) / Double(seats) * 100)
            }
            usageView.featureBreadth28d = breadth(today - 27, today)
            usageView.featureBreadth28d90DaysAgo = breadth(today - 117, today - 90)
            let threeWeeksAgo = daily(today - 27, today - 21)
            if let then = mean(threeWeeksAgo), then > 0, (then - now) / then > 0.3 {
                let seqs = usage.filter { ($0.day >= today - 6 && $0.day <= today) || ($0.day >= today - 27 && $0.day <= today - 21) }.map(\.seq).sorted()
                flag(.usageDown, "active users down \(Int(((then - now) / then * 100).rounded()))% over three weeks "
                     + "(\(format(then)) a day then, \(format(now)) now)", seqs)
            }
        } else {
            usageView.trend = "no usage data in the last 7 days"
        }

        // Support
        let tickets = f.tickets.filter { $0.openedMicros <= asOf }
        let open = tickets.filter { $0.closedMicros.map { $0 > asOf } ?? true }
        let byPriority = Priority.allCases.compactMap { p in
            let c = open.filter { $0.priority == p }.count
            return c > 0 ? AccountContext.Support.Count(priority: p.rawValue, count: c) : nil
        }
        let csats = tickets.compactMap { t in t.csat.flatMap { c in t.closedMicros.map { ($0, c) } } }.filter { $0.0 <= asOf }
            + f.surveys.filter { $0.kind == .csat && $0.timeMicros <= asOf }.map { ($0.timeMicros, $0.score) }
        let support = AccountContext.Support(
            openTickets: open.count, openByPriority: byPriority, oldestOpenDays: open.map(\.openedMicros).min().map { Int((asOf - $0) / Day.micros) },
            tickets30d: tickets.filter { $0.openedMicros > asOf - 30 * Day.micros }.count,
            tickets90d: tickets.filter { $0.openedMicros > asOf - 90 * Day.micros }.count,
            latestCsat: csats.max(by: { $0.0 < $1.0 }).map { Int($0.1) })

        // Conversations
        let calls = f.calls.filter { $0.timeMicros <= asOf }.sorted { $0.timeMicros < $1.timeMicros }
        var conversations = AccountContext.Conversations()
        if let last = calls.last {
            conversations.last = .init(time: time(last.timeMicros), kind: last.kind, team: last.team, sentiment: last.sentiment.map(tenth), seq: last.seq)
            let sentiments = calls.compactMap(\.sentiment)
            if sentiments.count >= 2 {
                let recent = Array(sentiments.suffix(3)), before = Array(sentiments.dropLast(recent.count).suffix(3))
                if !before.isEmpty {
                    let delta = recent.reduce(0, +) / Double(recent.count) - before.reduce(0, +) / Double(before.count)
                    conversations.sentimentTrend = delta > 0.1 ? "improving" : delta < -0.1 ? "falling" : "steady"
                    conversations.sentimentChange = tenth(delta)
                }
            }
        }
        // Calls whose recording consent was withheld: their summaries are not read here, and a
        // call made while the account or a person on it had withdrawn consent to calls is flagged.
        let participants = Dictionary(grouping: f.mentions.filter { $0.via == .call }, by: \.seq).mapValues { $0.map(\.handle) }
        let people = PeopleDirectory(f.contacts.filter { $0.time <= asOf })
        let consent = CallConsent(account: f.consentChanges.filter { $0.timeMicros <= asOf }, people: people)
        var withheld: Set<UInt64> = []
        for call in calls {
            guard let refusal = consent.refusal(at: call.timeMicros, participants: participants[call.seq] ?? []) else { continue }
            withheld.insert(call.seq)
            if refusal.atTheTime && call.timeMicros > asOf - 90 * Day.micros {
                flag(.outreachWithoutConsent, "a \(call.kind) on \(time(call.timeMicros)) while consent to calls was withdrawn: \(refusal.message)",
                     [call.seq] + refusal.seqs)
            }
        }
        // Messages the audit found wrong (`MessageAudit`), in the 90 days.
        let wrong = f.messageFindings.filter { $0.timeMicros <= asOf && $0.timeMicros > asOf - 90 * Day.micros }
        if let latest = wrong.max(by: { ($0.timeMicros, $0.seq) < ($1.timeMicros, $1.seq) }) {
            flag(.messageProblem, "\(wrong.count) problem\(wrong.count == 1 ? "" : "s") with messages sent in 90 days; the latest: \(latest.template) "
                 + "to \(latest.recipient) on \(time(latest.timeMicros)): \(latest.detail)", wrong.flatMap(\.seqs))
        }
        // A success contact while an urgent or high ticket was open and not mentioned.
        // Only urgent and high tickets open at some time in the 90 days can be such a ticket.
        let pressing = tickets.filter { t in (t.priority == .urgent || t.priority == .high) && (t.closedMicros.map { $0 > asOf - 90 * Day.micros } ?? true) }
        for call in calls where call.team == "success" && call.timeMicros > asOf - 90 * Day.micros && !withheld.contains(call.seq) {
            for t in pressing where t.openedMicros < call.timeMicros
                && (t.closedMicros.map { $0 > call.timeMicros } ?? true) && !mentions(call.text, t) {
                flag(.contactDuringOpenTicket,
                     "a success \(call.kind) on \(time(call.timeMicros)) did not mention the open \(t.priority!.rawValue) ticket \(t.ticket)",
                     [call.seq] + t.seqs)
            }
        }

        // Milestones
        var milestones = AccountContext.Milestones()
        for m in f.milestones.sorted(by: { $0.milestone < $1.milestone }) {
            let item = AccountContext.Milestone(milestone: m.milestone, dueDate: m.due?.description)
            switch m.status {
            case .reached: milestones.reached.append(item)
            case .missed:
                milestones.missed.append(item)
                flag(.missedMilestone, "milestone \(m.milestone) was missed", [m.seq])
            case .planned:
                if let due = m.due, due.daysSinceEpoch < today { milestones.overdue.append(item) } else { milestones.planned.append(item) }
            }
        }

        // Touches and contact
        let touches = f.touches.sorted(by: { $0.team < $1.team }).filter { $0.team != "contact" && $0.timeMicros <= asOf }.map { t in
            AccountContext.Touch(team: t.team, time: time(t.timeMicros), daysAgo: Int((asOf - t.timeMicros) / Day.micros), seq: t.seq)
        }
        var contactDays: Int?
        if let contact = f.touches.first(where: { $0.team == "contact" && $0.timeMicros <= asOf }) {
            contactDays = Int((asOf - contact.timeMicros) / Day.micros)
            if contactDays! > 60 { flag(.noHumanContact60d, "no human contact for \(contactDays!) days", [contact.seq]) }
        } else if asOf - f.firstMicros > 60 * Day.micros {
            flag(.noHumanContact60d, "no human contact since the account's first event", [])
        }

        // Surveys, champion
        if let nps = f.surveys.filter({ $0.kind == .nps && $0.timeMicros <= asOf }).max(by: { $0.timeMicros < $1.timeMicros }), nps.score <= 6 {
            flag(.npsDetractor, "latest NPS is \(nps.score) (a detractor)", [nps.seq])
        }
        let champions = f.champions.filter { $0.timeMicros <= asOf }
        for (before, after) in zip(champions, champions.dropFirst()) where before.name != after.name && after.timeMicros > asOf - 90 * Day.micros {
            flag(.championChanged, "champion changed from \(before.name) to \(after.name) on \(time(after.timeMicros))",
                 [before.seq, after.seq])
        }
        // The champion lost from the people's side: left, or their sentiment fell (the latest of each kind).
        let alarms = StakeholderMap.alarms(contacts: f.contacts, mentions: f.mentions, champions: f.champions, asOf: asOf)
            .filter { $0.time > asOf - 90 * Day.micros }
        for left in [true, false] {
            guard let a = alarms.last(where: { $0.message.hasSuffix("left the company") == left }) else { continue }
            flag(.championChanged, a.message + " on \(time(a.time))", a.seqs)
        }
        let stakeholders = StakeholderMap.build(directory: people, mentions: f.mentions.filter { !($0.via == .call && withheld.contains($0.seq)) },
                                                openTickets: Set(tickets.filter { $0.closedMicros.map { $0 > asOf } ?? true }.map(\.ticket)), asOf: asOf)

        // Notes and override
        let notes = f.notes.filter { $0.timeMicros <= asOf }.sorted { $0.timeMicros > $1.timeMicros }.prefix(3).map { note in
            AccountContext.Note(time: time(note.timeMicros), author: note.author, text: note.text, seq: note.seq)
        }
        let override = f.overrides.filter { $0.timeMicros <= asOf && ($0.expires.map { $0.daysSinceEpoch >= today } ?? true) }
            .max(by: { $0.timeMicros < $1.timeMicros }).map { o in
                AccountContext.Override(band: o.band, author: o.author, reason: o.reason, since: time(o.timeMicros), expires: o.expires?.description, seq: o.seq)
            }
        return AccountContext(account: f.account, asOf: time(asOf), health: nil, profile: .object(profile), usage: usageView, support: support,
                              conversations: conversations, milestones: milestones, lastTouch: touches, daysSinceHumanContact: contactDays,
                              notes: Array(notes), override: override, stakeholders: stakeholders, flags: flags)
    }

    /// A call mentions a ticket when its summary or topics name the ticket id or its subject.
    static func mentions(_ text: String, _ t: AccountFacts.Ticket) -> Bool {
        if text.contains(t.ticket.lowercased()) { return true }
        if let s = t.subject?.lowercased(), !s.isEmpty, text.contains(s) { return true }
        return false
    }

    static func n<I: BinaryInteger>(_ v: I) -> JSONValue { .number(String(v)) }
    /// Rounded to a tenth, as the view shows figures.
    static func tenth(_ v: Double) -> Double { (v * 10).rounded() / 10 }
    /// Rounded to a hundredth (sentiments).
    static func hundredth(_ v: Double) -> Double { (v * 100).rounded() / 100 }
    static func format(_ v: Double) -> String { String((v * 10).rounded() / 10) }
    static func time(_ micros: Int64) -> String { Timestamp.utc(microseconds: micros).description }
}
