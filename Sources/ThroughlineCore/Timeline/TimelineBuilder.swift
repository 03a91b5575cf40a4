/// Builds timeline items from events. Pure: the same events give the same items whatever order
/// they arrived in (groups are folded in `eventOrder`).
public enum TimelineBuilder {
    /// The item of an event that stands alone (everything but tickets, usage and profile
    /// changes, which are built from their groups).
    /// What stands between a call's figures (in brackets) and its summary in its title.
    static let summarySeparator = ": "

    /// A call's item as a reader without consent to its recording sees it: without summary,
    /// transcript and participants, saying why.
    public static func withholding(_ item: TimelineEntry, _ refusal: CallConsent.Refusal) -> TimelineEntry {
        var out = item
        if let cut = item.title.firstRange(of: ")" + summarySeparator) { out.title = String(item.title[..<cut.lowerBound]) + ")" }
        out.detail = .object(CallConsent.withhold(item.detail.members ?? [], refusal))
        return out
    }

    public static func single(_ e: StoredEvent, _ payload: EventPayload) -> TimelineEntry? {
        func entry(_ kind: TimelineEntry.Kind, _ title: String, _ detail: [JSONMember]) -> TimelineEntry {
            TimelineEntry(kind: kind, timeMicros: e.event.time.microseconds, key: "e:" + e.event.id, title: title,
                          source: e.event.source, seqs: [e.seq], detail: .object(detail))
        }
        switch payload {
        case .callCompleted(let c):
            let kind: TimelineEntry.Kind = c.kind == .meeting || c.kind == .qbr ? .meeting : .call
            var parts: [String] = []
            if let team = c.team { parts.append("\(team.rawValue) team") }
            parts.append(minutes(c.durationSeconds))
            if let s = c.sentiment { parts.append("sentiment \(signed(s))") }
            let what = c.kind == .qbr ? "QBR" : kind == .meeting ? "Meeting" : "Call"
            var title = "\(what) (\(parts.joined(separator: ", ")))"
            if let summary = c.summary { title += summarySeparator + clip(summary) }
            var d: [JSONMember] = [JSONMember("duration_s", .number(String(c.durationSeconds)))]
            if let k = c.kind { d.append(JSONMember("call_kind", .string(k.rawValue))) }
            if let t = c.team { d.append(JSONMember("team", .string(t.rawValue))) }
            if let s = c.sentiment { d.append(JSONMember("sentiment", number(s))) }
            if let p = c.participants { d.append(JSONMember("participants", .array(p.map { .string($0) }))) }
            if let t = c.topics { d.append(JSONMember("topics", .array(t.map { .string($0) }))) }
            if let s = c.summary { d.append(JSONMember("summary", .string(s))) }
            return entry(kind, title, d)
        case .noteAdded(let n):
            var d: [JSONMember] = [JSONMember("author", .string(n.author)), JSONMember("text", .string(n.text))]
            if n.visibility != .public { d.append(JSONMember("visibility", .string(n.visibility.rawValue))) }
            if let t = n.tags { d.append(JSONMember("tags", .array(t.map { .string($0) }))) }
            if let m = n.mentions { d.append(JSONMember("mentions", .array(m.map { .string($0) }))) }
            var note = entry(.note, "Note by \(n.author): \(clip(n.text))", d)
            note.audience = n.visibility.audience(author: n.author)
            return note
        case .milestoneUpdated(let m):
            var title = "Milestone \(m.milestone) \(m.status.rawValue)"
            var d: [JSONMember] = [JSONMember("milestone", .string(m.milestone)), JSONMember("status", .string(m.status.rawValue))]
            if let due = m.dueDate {
                title += " (due \(due))"
                d.append(JSONMember("due_date", .string(due.description)))
            }
            return entry(.milestone, title, d)
        case .surveyAnswered(let s):
            var title = "\(s.kind == .nps ? "NPS" : "CSAT") \(s.score)"
            if let c = s.comment { title += ": " + clip(c) }
            var d: [JSONMember] = [JSONMember("survey", .string(s.kind.rawValue)), JSONMember("score", .number(String(s.score)))]
            if let c = s.comment { d.append(JSONMember("comment", .string(c))) }
            return entry(.survey, title, d)
        case .communityActivity(let c):
            var title = "Community: \(c.kind.rawValue.replacingUnderscores)"
            var d: [JSONMember] = [JSONMember("activity", .string(c.kind.rawValue))]
            if let t = c.topic {
                title += " on \(t)"
                d.append(JSONMember("topic", .string(t)))
            }
            return entry(.community, title, d)
        case .healthOverride(let o):
            var title = "Health override to \(o.band.rawValue) by \(o.author): \(clip(o.reason))"
            var d: [JSONMember] = [JSONMember("author", .string(o.author)), JSONMember("band", .string(o.band.rawValue)),
                                   JSONMember("reason", .string(o.reason))]
            if let x = o.expires {
                title += " (until \(x))"
                d.append(JSONMember("expires", .string(x.description)))
            }
            return entry(.override, title, d)
        case .accountRenewed(let r):
            var parts: [String] = []
            var d: [JSONMember] = []
            if let arr = r.arr {
                parts.append("ARR \(grouped(arr))")
                d.append(JSONMember("arr", number(arr)))
            }
            if let t = r.termMonths {
                parts.append("\(t) months")
                d.append(JSONMember("term_months", .number(String(t))))
            }
            return entry(.renewal, "Renewed" + (parts.isEmpty ? "" : ": " + parts.joined(separator: ", ")), d)
        case .accountChurned(let c):
            return entry(.churn, "Churned" + (c.reason.map { ": " + clip($0) } ?? ""),
                         c.reason.map { [JSONMember("reason", .string($0))] } ?? [])
        case .identityLinked(let l), .identityUnlinked(let l):
            let linked = if case .identityLinked = payload { true } else { false }
            var d: [JSONMember] = [JSONMember("change", .string(linked ? "linked" : "unlinked")), JSONMember("ref", l.ref.jsonValue)]
            if let r = l.reason { d.append(JSONMember("reason", .string(r))) }
            return entry(.identity, "\(linked ? "Linked" : "Unlinked") \(l.ref.description)" + (l.reason.map { ": " + clip($0) } ?? ""), d)
        case .accountMerged(let m):
            var d: [JSONMember] = [JSONMember("change", .string("merged")), JSONMember("merged", .string(e.event.account)),
                                   JSONMember("into", .string(m.into))]
            if let r = m.reason { d.append(JSONMember("reason", .string(r))) }
            return entry(.identity, "\(e.event.account) merged into \(m.into)" + (m.reason.map { ": " + clip($0) } ?? ""), d)
        case .accountUnmerged(let u):
            var d: [JSONMember] = [JSONMember("change", .string("unmerged")), JSONMember("account", .string(e.event.account))]
            if let r = u.reason { d.append(JSONMember("reason", .string(r))) }
            return entry(.identity, "\(e.event.account) is its own account again" + (u.reason.map { ": " + clip($0) } ?? ""), d)
        case .contactUpdated(let c):
            let who = c.name ?? c.email ?? c.person!
            var d: [JSONMember] = []
            var facts: [String] = []
            for (key, value) in [("person", c.person), ("email", c.email), ("name", c.name), ("title", c.title), ("role", c.role?.rawValue)] {
                guard let value else { continue }
                d.append(JSONMember(key, .string(value)))
                if key == "title" || key == "role" { facts.append(value.replacingUnderscores) }
            }
            if let left = c.left { d.append(JSONMember("left", .bool(left))) }
            let title = c.left == true ? "\(who) left the company" : "Contact \(who)" + (facts.isEmpty ? "" : " (\(facts.joined(separator: ", ")))")
            return entry(.contact, title, d)
        case .subjectForgotten(let f):
            let by = e.event.actor.map { " by \($0)" } ?? ""
            return entry(.forgotten, "Personal data forgotten\(by): what people wrote and said is erased from here on and back in time",
                         f.request.map { [JSONMember("request", .string($0))] } ?? [])
        case .alertFired(let a):
            var d: [JSONMember] = [JSONMember("rule", .string(a.rule)), JSONMember("alerts", .string(a.alerts)),
                                   JSONMember("trigger", .string(a.trigger)), JSONMember("reason", .string(a.reason))]
            if let score = a.score { d.append(JSONMember("score", number(score))) }
            if let band = a.band { d.append(JSONMember("band", .string(band.rawValue))) }
            d.append(JSONMember("behind", .array(a.seqs.map { .number(String($0)) })))
            var item = entry(.alert, "Alert \(a.rule): \(clip(a.reason))", d)
            item.seqs = Array(Set(item.seqs + a.seqs)).sorted()
            return item
        case .taskOpened(let o):
            var d: [JSONMember] = [JSONMember("task_id", .string(o.taskID)), JSONMember("title", .string(o.title))]
            if let due = o.dueDate { d.append(JSONMember("due_date", .string(due.description))) }
            if let a = o.assignee { d.append(JSONMember("assignee", .string(a))) }
            if let a = o.alert { d.append(JSONMember("alert", .string(a))) }
            let facts = [o.dueDate.map { "due \($0)" }, o.assignee.map { "for \($0)" }].compactMap { $0 }
            return entry(.task, "Task opened: \(clip(o.title))" + (facts.isEmpty ? "" : " (\(facts.joined(separator: ", ")))"), d)
        case .taskClosed(let c):
            var d: [JSONMember] = [JSONMember("task_id", .string(c.taskID))]
            if let r = c.resolution { d.append(JSONMember("resolution", .string(r))) }
            let by = e.event.actor.map { " by \($0)" } ?? ""
            return entry(.task, "Task \(c.taskID) closed\(by)" + (c.resolution.map { ": " + clip($0) } ?? ""), d)
        case .messageSent(let m):
            var d: [JSONMember] = [JSONMember("message_id", .string(m.messageID)), JSONMember("channel", .string(m.channel.rawValue)),
                                   JSONMember("template", .string(m.template)), JSONMember("recipient", .string(m.recipient))]
            if !m.fields.isEmpty { d.append(JSONMember("fields", .object(m.fields.map { JSONMember($0.name, .string($0.value)) }))) }
            if let t = m.ticketID { d.append(JSONMember("ticket_id", .string(t))) }
            let by = e.event.actor.map { " by \($0)" } ?? ""
            return entry(.message, "Message \(m.template) sent (\(m.channel.rawValue.replacingUnderscores)) to \(clip(m.recipient))\(by)", d)
        case .ticketTriaged(let t):
            let reasons = t.reasons.map { r in
                .object([JSONMember("factor", .string(r.factor)), JSONMember("points", number(r.points)), JSONMember("reason", .string(r.reason)),
                         JSONMember("behind", .array(r.seqs.map { .number(String($0)) }))])
            } as [JSONValue]
            let d: [JSONMember] = [JSONMember("ticket_id", .string(t.ticketID)), JSONMember("triage", .string(t.triage)),
                                   JSONMember("priority", .number(String(t.priority))), JSONMember("tier", .string(t.tier)),
                                   JSONMember("reasons", .array(reasons))]
            let why = t.reasons.map { "\($0.reason) \($0.points < 0 ? "" : "+")\(NumberText.plain($0.points))" }
            var item = entry(.triage, "Ticket \(t.ticketID) triaged \(t.tier.replacingUnderscores) (priority \(t.priority))"
                             + (why.isEmpty ? "" : ": " + clip(why.joined(separator: "; "))), d)
            item.seqs = Array(Set(item.seqs + t.reasons.flatMap(\.seqs))).sorted()
            return item
        case .accountUpdated, .ticketOpened, .ticketUpdated, .ticketClosed, .usageRecorded, .rulesActivated, .productReleased:
            return nil
        }
    }

    // MARK: Tickets

    /// One item for a ticket's whole lifecycle, from its facts (any order).
    public static func ticket(_ ticketID: String, _ facts: [TicketFact]) -> TimelineEntry? {
        guard let t = TicketLifecycle(ticketID, facts) else { return nil }
        var title = "Ticket \(ticketID)"
        if let priority = t.priority { title += " [\(priority.rawValue)]" }
        if let subject = t.subject { title += " " + clip(subject) }
        var d: [JSONMember] = [JSONMember("ticket_id", .string(ticketID)), JSONMember("status", .string(t.status))]
        if let priority = t.priority { d.append(JSONMember("priority", .string(priority.rawValue))) }
        if let subject = t.subject { d.append(JSONMember("subject", .string(subject))) }
        if let category = t.category { d.append(JSONMember("category", .string(category.rawValue))) }
        if let opened = t.opened { d.append(JSONMember("opened", .string(Timestamp.utc(microseconds: opened).description))) }
        d.append(JSONMember("updates", .number(String(t.updates))))
        if !t.priorityChanges.isEmpty { d.append(JSONMember("priority_changes", .array(t.priorityChanges))) }
        if let closed = t.closed {
            let seconds = max(0, (closed - t.start) / 1_000_000)
            title += ": closed after \(duration(seconds))"
            d.append(JSONMember("closed", .string(Timestamp.utc(microseconds: closed).description)))
            d.append(JSONMember("time_to_close_s", .number(String(seconds))))
        } else {
            title += ": \(t.status)"
        }
        if let csat = t.csat {
            title += ", CSAT \(csat)"
            d.append(JSONMember("csat", .number(String(csat))))
        }
        if let resolution = t.resolution { d.append(JSONMember("resolution", .string(resolution))) }
        return TimelineEntry(kind: .ticket, timeMicros: t.start, key: "t:" + ticketID, title: title, source: t.source,
                             seqs: t.seqs, detail: .object(d))
    }

    // MARK: Usage

    /// The Monday that starts the week of `date`.
    public static func weekStart(_ date: CalendarDate) -> CalendarDate {
        let days = date.daysSinceEpoch
        let weekday = ((days % 7) + 7 + 3) % 7  // 1970-01-01 was a Thursday; Monday = 0
        return CalendarDate(daysSinceEpoch: days - weekday)
    }

    /// One week's usage item: active users, events, feature breadth, and the change in active
    /// users against the average of up to four previous weeks (`previous`, oldest first).
    public static func usageWeek(_ week: CalendarDate, _ w: UsageWeek, previous: [Int]) -> TimelineEntry {
        var title = "Usage, week of \(week): \(w.activeUsers) active users"
        var d: [JSONMember] = [
            JSONMember("week_start", .string(week.description)), JSONMember("active_users", .number(String(w.activeUsers))),
            JSONMember("events", .number(String(w.events))), JSONMember("feature_breadth", .number(String(w.featureBreadth))),
            JSONMember("days_reported", .number(String(w.days))),
        ]
        if !previous.isEmpty {
            let mean = Double(previous.reduce(0, +)) / Double(previous.count)
            if mean > 0 {
                let pct = (Double(w.activeUsers) - mean) / mean * 100
                title += " (\(signedPercent(pct)) against the \(previous.count) weeks before)"
                d.append(JSONMember("active_users_change_pct", number((pct * 10).rounded() / 10)))
            }
        }
        title += ", \(grouped(Double(w.events))) events, \(w.featureBreadth) features"
        let time = Timestamp(seconds: Int64(week.daysSinceEpoch) * 86_400).microseconds
        return TimelineEntry(kind: .usage, timeMicros: time, key: "u:" + week.description, title: title, source: w.source,
                             seqs: w.seqs, detail: .object(d))
    }

    // MARK: Profile

    /// One item per profile change, each showing what it changed against the profile before it.
    public static func profileChanges(_ unordered: [StoredEvent]) -> [TimelineEntry] {
        var profile: [String: String] = [:]
        var out: [TimelineEntry] = []
        for e in unordered.sorted(by: eventOrder) {
            guard case .accountUpdated(let u)? = try? e.event.payload() else { continue }
            var changes: [JSONValue] = []
            var words: [String] = []
            for (field, value) in AccountProfile.fields(of: u) {
                let old = profile[field]
                guard old != value else { continue }
                profile[field] = value
                var m = [JSONMember("field", .string(field)), JSONMember("to", .string(value))]
                if let old { m.insert(JSONMember("from", .string(old)), at: 1) }
                changes.append(.object(m))
                words.append(old.map { "\(field) \($0) → \(value)" } ?? "\(field) \(value)")
            }
            let title = words.isEmpty ? "Profile confirmed (no change)" : "Profile: " + words.joined(separator: "; ")
            out.append(TimelineEntry(kind: .profile, timeMicros: e.event.time.microseconds, key: "e:" + e.event.id, title: clip(title, 300),
                                     source: e.event.source, seqs: [e.seq], detail: .object([JSONMember("changes", .array(changes))])))
        }
        return out
    }

    // MARK: Text

    /// A number as JSON: whole values without a fraction.
    public static func number(_ v: Double) -> JSONValue {
        .number(NumberText.plain(v))
    }

    static func clip(_ s: String, _ n: Int = 160) -> String {
        s.count <= n ? s : String(s.prefix(n - 1)) + "…"
    }

    static func minutes(_ seconds: Int) -> String { "\(Int((Double(seconds) / 60).rounded())) min" }

    static func signed(_ v: Double) -> String {
        let r = (v * 100).rounded() / 100
        return (r >= 0 ? "+" : "") + String(r)
    }

    static func signedPercent(_ v: Double) -> String { (v >= 0 ? "+" : "") + String(Int(v.rounded())) + "%" }

    /// 93784 → "1 d 2 h"; 5400 → "1 h 30 min"; 300 → "5 min".
    static func duration(_ seconds: Int64) -> String {
        let d = seconds / 86_400, h = seconds % 86_400 / 3600, m = seconds % 3600 / 60
        if d > 0 { return "\(d) d \(h) h" }
        if h > 0 { return "\(h) h \(m) min" }
        return "\(m) min"
    }

    static func grouped(_ v: Double) -> String {
        let r = v.rounded()
        return abs(r) < 9e18 ? NumberText.grouped(Int64(r)) : NumberText.plain(v)
    }
}

extension String {
    public var replacingUnderscores: String { String(map { $0 == "_" ? " " : $0 }) }
}
