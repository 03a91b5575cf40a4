/// The shared-context view of one account on one page, computed from its facts as of a time
/// (passed in: no clock here). Every flag carries the seqs of the events that raised it.
public enum ContextView {
    /// The attention flags the view can raise.
    public enum Flag: String, Sendable, CaseIterable {
        case contactDuringOpenTicket = "contact_during_open_ticket", usageDown = "usage_down",
             noHumanContact60d = "no_human_contact_60d", missedMilestone = "missed_milestone",
             npsDetractor = "nps_detractor", championChanged = "champion_changed"
    }

    public static func build(_ f: AccountFacts, asOf: Int64) -> JSONValue {
        let today = Day(containing: asOf).number
        var flags: [JSONValue] = []
        func flag(_ name: Flag, _ message: String, _ seqs: [UInt64]) {
            flags.append(.object([JSONMember("flag", .string(name.rawValue)), JSONMember("message", .string(message)),
                                  JSONMember("seqs", .array(Array(Set(seqs)).sorted().map { n($0) }))]))
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
        var usageView: [JSONMember] = []
        let last7 = daily(today - 6, today), prev28 = daily(today - 34, today - 7)
        if let now = mean(last7) {
            usageView.append(JSONMember("active_users_7d", number(now)))
            if let before = mean(prev28) {
                usageView.append(JSONMember("active_users_prev_28d", number(before)))
                let change = before > 0 ? (now - before) / before * 100 : 0
                usageView.append(JSONMember("change_pct", number(change)))
                usageView.append(JSONMember("trend", .string(change > 10 ? "up" : change < -10 ? "down" : "flat")))
            }
            if let seats = f.profile.seats, seats > 0 {
                usageView.append(JSONMember("seat_utilisation_pct", number(Double(last7.values.max() ?? 0) / Double(seats) * 100)))
            }
            usageView.append(JSONMember("feature_breadth_28d", n(breadth(today - 27, today))))
            usageView.append(JSONMember("feature_breadth_28d_90_days_ago", n(breadth(today - 117, today - 90))))
            let threeWeeksAgo = daily(today - 27, today - 21)
            if let then = mean(threeWeeksAgo), then > 0, (then - now) / then > 0.3 {
                let seqs = usage.filter { ($0.day >= today - 6 && $0.day <= today) || ($0.day >= today - 27 && $0.day <= today - 21) }.map(\.seq).sorted()
                flag(.usageDown, "active users down \(Int(((then - now) / then * 100).rounded()))% over three weeks "
                     + "(\(format(then)) a day then, \(format(now)) now)", seqs)
            }
        } else {
            usageView.append(JSONMember("trend", .string("no usage data in the last 7 days")))
        }

        // Support
        let tickets = f.tickets.filter { $0.openedMicros <= asOf }
        let open = tickets.filter { $0.closedMicros.map { $0 > asOf } ?? true }
        var byPriority: [JSONMember] = []
        for p in Priority.allCases {
            let c = open.filter { $0.priority == p }.count
            if c > 0 { byPriority.append(JSONMember(p.rawValue, n(c))) }
        }
        var support: [JSONMember] = [JSONMember("open_tickets", n(open.count)), JSONMember("open_by_priority", .object(byPriority))]
        if let oldest = open.map(\.openedMicros).min() { support.append(JSONMember("oldest_open_days", n(Int((asOf - oldest) / Day.micros)))) }
        support.append(JSONMember("tickets_30d", n(tickets.filter { $0.openedMicros > asOf - 30 * Day.micros }.count)))
        support.append(JSONMember("tickets_90d", n(tickets.filter { $0.openedMicros > asOf - 90 * Day.micros }.count)))
        let csats = tickets.compactMap { t in t.csat.flatMap { c in t.closedMicros.map { ($0, c) } } }.filter { $0.0 <= asOf }
            + f.surveys.filter { $0.kind == .csat && $0.timeMicros <= asOf }.map { ($0.timeMicros, $0.score) }
        if let latest = csats.max(by: { $0.0 < $1.0 }) { support.append(JSONMember("latest_csat", n(latest.1))) }

        // Conversations
        let calls = f.calls.filter { $0.timeMicros <= asOf }.sorted { $0.timeMicros < $1.timeMicros }
        var conversations: [JSONMember] = []
        if let last = calls.last {
            var m: [JSONMember] = [JSONMember("time", time(last.timeMicros)), JSONMember("kind", .string(last.kind))]
            if let t = last.team { m.append(JSONMember("team", .string(t))) }
            if let s = last.sentiment { m.append(JSONMember("sentiment", number(s))) }
            m.append(JSONMember("seq", n(last.seq)))
            conversations.append(JSONMember("last", .object(m)))
            let sentiments = calls.compactMap(\.sentiment)
            if sentiments.count >= 2 {
                let recent = Array(sentiments.suffix(3)), before = Array(sentiments.dropLast(recent.count).suffix(3))
                if !before.isEmpty {
                    let delta = recent.reduce(0, +) / Double(recent.count) - before.reduce(0, +) / Double(before.count)
                    conversations.append(JSONMember("sentiment_trend", .string(delta > 0.1 ? "improving" : delta < -0.1 ? "falling" : "steady")))
                    conversations.append(JSONMember("sentiment_change", number(delta)))
                }
            }
        }
        // A success contact while an urgent or high ticket was open and not mentioned.
        // Only urgent and high tickets open at some time in the 90 days can be such a ticket.
        let pressing = tickets.filter { t in (t.priority == .urgent || t.priority == .high) && (t.closedMicros.map { $0 > asOf - 90 * Day.micros } ?? true) }
        for call in calls where call.team == "success" && call.timeMicros > asOf - 90 * Day.micros {
            for t in pressing where t.openedMicros < call.timeMicros
                && (t.closedMicros.map { $0 > call.timeMicros } ?? true) && !mentions(call.text, t) {
                flag(.contactDuringOpenTicket,
                     "a success \(call.kind) on \(time(call.timeMicros).text) did not mention the open \(t.priority!.rawValue) ticket \(t.ticket)",
                     [call.seq] + t.seqs)
            }
        }

        // Milestones
        var reached: [JSONValue] = [], planned: [JSONValue] = [], overdue: [JSONValue] = [], missed: [JSONValue] = []
        for m in f.milestones.sorted(by: { $0.milestone < $1.milestone }) {
            var item: [JSONMember] = [JSONMember("milestone", .string(m.milestone))]
            if let due = m.due { item.append(JSONMember("due_date", .string(due.description))) }
            switch m.status {
            case .reached: reached.append(.object(item))
            case .missed:
                missed.append(.object(item))
                flag(.missedMilestone, "milestone \(m.milestone) was missed", [m.seq])
            case .planned:
                if let due = m.due, due.daysSinceEpoch < today { overdue.append(.object(item)) } else { planned.append(.object(item)) }
            }
        }

        // Touches and contact
        var touches: [JSONMember] = []
        for t in f.touches.sorted(by: { $0.team < $1.team }) where t.team != "contact" && t.timeMicros <= asOf {
            touches.append(JSONMember(t.team, .object([JSONMember("time", time(t.timeMicros)), JSONMember("days_ago", n(Int((asOf - t.timeMicros) / Day.micros))),
                                                       JSONMember("seq", n(t.seq))])))
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
            flag(.championChanged, "champion changed from \(before.name) to \(after.name) on \(time(after.timeMicros).text)",
                 [before.seq, after.seq])
        }

        // Notes and override
        let notes = f.notes.filter { $0.timeMicros <= asOf }.sorted { $0.timeMicros > $1.timeMicros }.prefix(3).map { note in
            JSONValue.object([JSONMember("time", time(note.timeMicros)), JSONMember("author", .string(note.author)),
                              JSONMember("text", .string(note.text)), JSONMember("seq", n(note.seq))])
        }
        var body: [JSONMember] = [
            JSONMember("account", .string(f.account)),
            JSONMember("as_of", time(asOf)),
            JSONMember("profile", .object(profile)),
            JSONMember("usage", .object(usageView)),
            JSONMember("support", .object(support)),
            JSONMember("conversations", .object(conversations)),
            JSONMember("milestones", .object([JSONMember("reached", .array(reached)), JSONMember("planned", .array(planned)),
                                              JSONMember("overdue", .array(overdue)), JSONMember("missed", .array(missed))])),
            JSONMember("last_touch", .object(touches)),
        ]
        if let contactDays { body.append(JSONMember("days_since_human_contact", n(contactDays))) }
        body.append(JSONMember("notes", .array(notes)))
        if let o = f.overrides.filter({ $0.timeMicros <= asOf && ($0.expires.map { $0.daysSinceEpoch >= today } ?? true) })
            .max(by: { $0.timeMicros < $1.timeMicros }) {
            var m: [JSONMember] = [JSONMember("band", .string(o.band.rawValue)), JSONMember("author", .string(o.author)),
                                   JSONMember("reason", .string(o.reason)), JSONMember("since", time(o.timeMicros))]
            if let x = o.expires { m.append(JSONMember("expires", .string(x.description))) }
            m.append(JSONMember("seq", n(o.seq)))
            body.append(JSONMember("override", .object(m)))
        }
        body.append(JSONMember("flags", .array(flags)))
        return .object(body)
    }

    /// A call mentions a ticket when its summary or topics name the ticket id or its subject.
    static func mentions(_ text: String, _ t: AccountFacts.Ticket) -> Bool {
        if text.contains(t.ticket.lowercased()) { return true }
        if let s = t.subject?.lowercased(), !s.isEmpty, text.contains(s) { return true }
        return false
    }

    static func n<I: BinaryInteger>(_ v: I) -> JSONValue { .number(String(v)) }
    static func number(_ v: Double) -> JSONValue { TimelineBuilder.number((v * 10).rounded() / 10) }
    static func format(_ v: Double) -> String { String((v * 10).rounded() / 10) }
    static func time(_ micros: Int64) -> JSONValue { .string(Timestamp.utc(microseconds: micros).description) }
}

extension JSONValue {
    /// The string of a `.string`, else "".
    var text: String { if case .string(let s) = self { s } else { "" } }
}
