import ThroughlineCore

/// One firing of an alert rule: the account, the moment, why, and the events behind it.
public struct AlertFiring: Sendable, Equatable {
    public var rule: String
    public var trigger: String
    public var account: String
    /// When: the last microsecond of the day for a change seen at a day's end; the event's own
    /// time for a ticket or a champion lost.
    public var time: Int64
    /// What makes this firing one of its own for the rule and account: the date, or the ticket
    /// or event behind it (part of the firing's id).
    public var key: String
    public var reason: String
    public var seqs: [UInt64]
    public var score: Double?
    public var band: Band?
    /// The task the firing opens, if its rule opens one.
    public var task: OpenedTask?

    public var day: Int { Day(containing: time).number }

    public struct OpenedTask: Sendable, Equatable {
        public var title: String
        public var dueDay: Int
        public var assignee: String?

        public init(title: String, dueDay: Int, assignee: String?) {
            self.title = title
            self.dueDay = dueDay
            self.assignee = assignee
        }
    }
}

/// What the alert rules read of one account: its history, its daily scores under the health
/// rules in force, and the context view's attention flags at a day's end (asked only by rules
/// with a flag trigger).
public struct AlertSubject {
    public let history: AccountHistory
    public let series: ScoreSeries
    public let rules: Rules
    public let flags: (Int) throws -> [AccountContext.Flag]
    /// The cohort patterns the account is one of the movers of (asked only by rules with a pattern trigger).
    public var patterns: [CohortPattern]

    public init(history: AccountHistory, series: ScoreSeries, rules: Rules, patterns: [CohortPattern] = [],
                flags: @escaping (Int) throws -> [AccountContext.Flag]) {
        (self.history, self.series, self.rules, self.patterns, self.flags) = (history, series, rules, patterns, flags)
    }
}

/// The firings of alert rules over an account: a pure function of its history, its scores and
/// the rules, so the server (over the latest days) and a replay (over every day) agree.
public enum AlertEngine {
    /// The firings of `alerts` whose moment falls on one of `days`, in time order.
    public static func firings(_ alerts: AlertRules, _ s: AlertSubject, days: ClosedRange<Int>) throws -> [AlertFiring] {
        let h = s.history
        let points = s.series.points(s.rules)
        func point(_ day: Int) -> DayScore? {
            let i = day - s.series.firstDay
            return i >= 0 && i < points.count ? points[i] : nil
        }
        var flagCache: [Int: [AccountContext.Flag]] = [:]
        func flags(_ day: Int) throws -> [AccountContext.Flag] {
            if let f = flagCache[day] { return f }
            let f = try s.flags(day)
            flagCache[day] = f
            return f
        }
        // The seqs behind a day's score: its three costliest signals' events.
        func reasons(_ day: Int) -> [UInt64] {
            let score = Score(h, rules: s.rules, at: Day(day).end)
            return Array(Set(score.topReasons.prefix(3).flatMap(\.seqs) + (score.held?.seqs ?? []))).sorted()
        }
        var out: [AlertFiring] = []
        for rule in alerts.rules {
            var found: [AlertFiring] = []
            func fire(_ time: Int64, key: String, _ reason: String, _ seqs: [UInt64]) {
                let p = point(Day(containing: time).number)
                found.append(AlertFiring(rule: rule.id, trigger: rule.trigger.name, account: h.account, time: time, key: key, reason: reason,
                                         seqs: seqs, score: p?.score, band: p?.band))
            }
            switch rule.trigger {
            case .bandChange(let to, let drop):
                for day in days {
                    guard let now = point(day), let before = point(day - 1), let b = now.band, let was = before.band, b != was else { continue }
                    guard to.map({ $0 == b }) ?? true, drop.map({ rank(b) - rank(was) >= $0 }) ?? true else { continue }
                    fire(Day(day).end, key: date(day), "health turned \(b.rawValue) (score \(text(now.score)), was \(was.rawValue) at \(text(before.score)))",
                         reasons(day))
                }
            case .scoreDrop(let points, let span):
                func fall(_ day: Int) -> (peak: DayScore, now: DayScore)? {
                    guard let now = point(day), let score = now.score else { return nil }
                    let peak = ((day - span)...(day - 1)).compactMap(point).filter { $0.score != nil }.max { $0.score! < $1.score! }
                    guard let peak, peak.score! - score >= points else { return nil }
                    return (peak, now)
                }
                for day in days {
                    guard let (peak, now) = fall(day), fall(day - 1) == nil else { continue }
                    fire(Day(day).end, key: date(day), "score fell \(text(peak.score! - now.score!)) points in \(day - peak.day) days "
                         + "(\(text(peak.score)) on \(date(peak.day)), \(text(now.score)) now)", reasons(day))
                }
            case .flag(let flag):
                // The conditions first: they cost less than the flags (a context view each day).
                for day in days {
                    var asked = Findings(keeps: false)
                    guard try holds(rule.conditions, h, Profile(h, at: Day(day).end), at: Day(day).end, band: point(day)?.band, into: &asked) else { continue }
                    guard let raised = try flags(day).first(where: { $0.flag == flag.rawValue }),
                          try !flags(day - 1).contains(where: { $0.flag == flag.rawValue }) else { continue }
                    fire(Day(day).end, key: date(day), "\(flag.rawValue.replacingUnderscores): \(raised.message)", raised.seqs)
                }
            case .ticketOpened(let priorities, let categories):
                for open in h.ticketOpens.items where days.contains(Day(containing: open.time).number) {
                    guard priorities.contains(open.value.priority), categories.map({ c in open.value.category.map(c.contains) ?? false }) ?? true else { continue }
                    let id = h.ticketID(open.value.ticket)
                    fire(open.time, key: "ticket:" + id, "\(open.value.priority.rawValue) ticket \(id) opened"
                         + (open.value.category.map { " (\($0.rawValue.replacingUnderscores))" } ?? ""), [open.seq])
                }
            case .championLeft:
                for lost in championLosses(h) where days.contains(Day(containing: lost.time).number) {
                    fire(lost.time, key: "champion:\(lost.seqs.last ?? 0)", lost.reason, lost.seqs)
                }
            case .pattern(let metrics, let direction):
                for p in s.patterns where days.contains(p.startDay + 6) && p.accounts.contains(h.account) {
                    guard metrics.map({ $0.contains { m in p.metric == m || p.metric.hasPrefix(m + ":") } }) ?? true,
                          direction.map({ $0 == p.direction }) ?? true else { continue }
                    fire(Day(p.startDay + 6).end, key: "pattern:\(p.metric):\(p.field ?? "all")=\(p.value ?? ""):\(date(p.startDay))", p.summary, p.seqs)
                }
            }
            for var f in found {
                let profile = Profile(h, at: f.time)
                guard let met = try holds(rule.conditions, h, profile, at: f.time, band: f.band) else { continue }
                if !met.isEmpty { f.reason += " · " + met.joined(separator: ", ") }
                if let spec = rule.task {
                    f.task = .init(title: spec.title, dueDay: f.day + spec.dueDays, assignee: spec.assignee ?? profile.csm)
                }
                out.append(f)
            }
        }
        return out.sorted { ($0.time, $0.rule, $0.key) < ($1.time, $1.rule, $1.key) }
    }

    /// What the account's profile said at a moment: the facts conditions and tasks read.
    struct Profile {
        var plan: String?, arr: Double?, renewal: CalendarDate?, csm: String?

        init(_ h: AccountHistory, at t: Int64) {
            for f in h.profile.upTo(t) {
                plan = f.value.plan ?? plan
                arr = f.value.arr ?? arr
                renewal = f.value.renewalDate ?? renewal
                csm = f.value.csm ?? csm
            }
        }
    }

    /// What the conditions found, for the firing's reason, or nil when one does not hold.
    static func holds(_ c: AlertRules.Conditions, _ h: AccountHistory, _ profile: Profile, at t: Int64, band: Band?) throws -> [String]? {
        var found = Findings(keeps: true)
        return try holds(c, h, profile, at: t, band: band, into: &found) ? found.texts : nil
    }

    /// Whether every condition holds, noting what each found in `found`.
    static func holds(_ c: AlertRules.Conditions, _ h: AccountHistory, _ profile: Profile, at t: Int64, band: Band?,
                      into found: inout Findings) throws -> Bool {
        let (plan, arr, renewal) = (profile.plan, profile.arr, profile.renewal)
        if let plans = c.plans {
            guard let plan, plans.contains(plan) else { return false }
            found.note("plan \(plan)")
        }
        if c.arrAtLeast != nil || c.arrBelow != nil {
            guard let arr, arr >= c.arrAtLeast ?? 0, arr < c.arrBelow ?? .infinity else { return false }
            found.note("ARR \(NumberText.plain(arr))")
        }
        if let within = c.renewalWithinDays {
            let days = renewal.map { $0.daysSinceEpoch - Day(containing: t).number }
            guard let days, days >= 0, days <= within else { return false }
            found.note("renews in \(days) days")
        }
        if let bands = c.bands {
            guard let band, bands.contains(band) else { return false }
            found.note("band \(band.rawValue)")
        }
        for below in c.signalsBelow {
            let signal = Rules.Signal(kind: below.signal, weight: 1, group: "alert", parameters: [:])
            guard case .reading(let value, _, _, _) = Signals.evaluate(signal, h, at: t, explain: false), value < below.below else { return false }
            found.note("\(below.signal.rawValue) \(text(value))")
        }
        return true
    }

    /// When the champion was lost: the profile named another champion, or the people say the
    /// champion left or their sentiment fell (`ChampionWatch`).
    static func championLosses(_ h: AccountHistory) -> [(time: Int64, reason: String, seqs: [UInt64])] {
        let named = h.champions(at: .max)
        let changes = zip(named, named.dropFirst()).filter { $0.value != $1.value }.map { a, b in
            (time: b.time, reason: "champion changed from \(a.value) to \(b.value)", seqs: [a.seq, b.seq])
        }
        let alarms = h.championAlarms(drop: SentimentShift.threshold).map { (time: $0.time, reason: $0.message, seqs: $0.seqs) }
        return (changes + alarms).sorted { $0.time < $1.time }
    }

    static func rank(_ b: Band) -> Int { Band.allCases.firstIndex(of: b)! }

    static func date(_ day: Int) -> String { CalendarDate(daysSinceEpoch: day).description }

    static func text(_ v: Double?) -> String { v.map { NumberText.plain(($0 * 10).rounded() / 10) } ?? "none" }
}

extension AlertFiring {
    /// The `alert.fired` event of this firing under alert rules `version`: its id and content
    /// are functions of the firing alone, so every node that derives it appends the same event.
    public func event(version: String) -> Event {
        var data: [JSONMember] = [JSONMember("alerts", .string(version)), JSONMember("rule", .string(rule)),
                                  JSONMember("trigger", .string(trigger)), JSONMember("reason", .string(reason)),
                                  JSONMember("seqs", .array(seqs.map { .number(String($0)) }))]
        if let score { data.append(JSONMember("score", .number(NumberText.plain(score)))) }
        if let band { data.append(JSONMember("band", .string(band.rawValue))) }
        return Event(id: AlertFired.id(version: version, rule: rule, account: account, key: key), account: account, type: .alertFired,
                     time: .utc(microseconds: time), source: "throughline", actor: AlertFired.actor, data: data)
    }

    /// The firing's events: its `alert.fired`, then the `task.opened` its rule opens, if any
    /// (under an id made of the alert's).
    public func events(version: String) -> [Event] {
        let alert = event(version: version)
        guard let task else { return [alert] }
        let id = TaskOpened.id(alert: alert.id)
        var data: [JSONMember] = [JSONMember("task_id", .string(id)), JSONMember("title", .string(task.title)),
                                  JSONMember("due_date", .string(CalendarDate(daysSinceEpoch: task.dueDay).description))]
        if let a = task.assignee { data.append(JSONMember("assignee", .string(a))) }
        data.append(JSONMember("alert", .string(alert.id)))
        return [alert, Event(id: id, account: account, type: .taskOpened, time: alert.time, source: "throughline", actor: AlertFired.actor, data: data)]
    }
}
