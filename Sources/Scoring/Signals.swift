import ThroughlineCore

/// What a signal read from an account's history at a time.
public enum SignalOutcome: Sendable {
    /// A health value from 0 (at risk) to 1 (healthy), the figures it came from, a one-line
    /// reason and the seqs of the events behind it.
    case reading(value: Double, figures: [JSONMember], reason: String, seqs: [UInt64])
    /// No input (no usage data yet, no survey answered): neutral, left out of the score.
    case missing(String)
}

/// The signals as pure functions of an account's history up to a time (passed in; no clock).
/// Windows are in days and end at the time asked: "the last 7 days" is (t − 7 d, t].
public enum Signals {
    static let day = ContextView.day

    /// Evaluates one signal. With `explain: false` only the value is computed (the same
    /// arithmetic), without figures, reasons or seqs: what a score history needs for each day.
    public static func evaluate(_ signal: Rules.Signal, _ h: AccountHistory, at t: Int64, explain: Bool = true) -> SignalOutcome {
        Bound(signal).read(explain, h, t)
    }

    /// A signal with its parameters looked up once, for a score history that reads it on every
    /// day. Plain values, no closure: reading it retains nothing.
    enum Bound: Sendable {
        case usageTrend(recent: Double, baseline: Double, fullDrop: Double)
        case seatUtilisation(window: Double, healthy: Double)
        case featureBreadth(window: Double, lookback: Double, fullDrop: Double)
        case openTickets(weights: (Double, Double, Double, Double), full: Double)
        case ticketVolume(recent: Double, baseline: Double, fullRise: Double)
        case questionRate(recent: Double, baseline: Double, fullDrop: Double)
        case sentimentTrend(recent: Double, baseline: Double, fullDrop: Double)
        case humanContact(healthy: Double, full: Double)
        case milestones(overdue: Double, missed: Double)
        case nps(lookback: Double, detractorMax: Double, promoterMin: Double)
        case community(recent: Double, baseline: Double, fullDrop: Double)
        case championChange(window: Double)

        init(_ signal: Rules.Signal) {
            let p = signal.parameter
            switch signal.kind {
            case .usageTrend: self = .usageTrend(recent: p("recent_days"), baseline: p("baseline_days"), fullDrop: p("full_drop_pct"))
            case .seatUtilisation: self = .seatUtilisation(window: p("window_days"), healthy: p("healthy_pct"))
            case .featureBreadthChange: self = .featureBreadth(window: p("window_days"), lookback: p("lookback_days"), fullDrop: p("full_drop_pct"))
            case .openTickets:
                let w = ticketWeights(signal)
                self = .openTickets(weights: (w[0], w[1], w[2], w[3]), full: p("full_load"))
            case .ticketVolumeTrend: self = .ticketVolume(recent: p("recent_days"), baseline: p("baseline_days"), fullRise: p("full_rise_pct"))
            case .questionRateTrend: self = .questionRate(recent: p("recent_days"), baseline: p("baseline_days"), fullDrop: p("full_drop_pct"))
            case .sentimentTrend: self = .sentimentTrend(recent: p("recent_days"), baseline: p("baseline_days"), fullDrop: p("full_drop"))
            case .daysSinceHumanContact: self = .humanContact(healthy: p("healthy_days"), full: p("full_days"))
            case .milestones: self = .milestones(overdue: p("overdue_penalty"), missed: p("missed_penalty"))
            case .nps: self = .nps(lookback: p("lookback_days"), detractorMax: p("detractor_max"), promoterMin: p("promoter_min"))
            case .communityTrend: self = .community(recent: p("recent_days"), baseline: p("baseline_days"), fullDrop: p("full_drop_pct"))
            case .championChange: self = .championChange(window: p("window_days"))
            }
        }

        /// The signal's reading of `h` at `t`, explained or not.
        func read(_ x: Bool, _ h: AccountHistory, _ t: Int64) -> SignalOutcome {
            switch self {
            case .usageTrend(let recent, let baseline, let fullDrop): Signals.usageTrend(x, h, t, recent: recent, baseline: baseline, fullDrop: fullDrop)
            case .seatUtilisation(let window, let healthy): Signals.seatUtilisation(x, h, t, window: window, healthy: healthy)
            case .featureBreadth(let window, let lookback, let fullDrop):
                Signals.featureBreadth(x, h, t, window: window, lookback: lookback, fullDrop: fullDrop)
            case .openTickets(let w, let full): Signals.openTickets(x, h, t, weights: [w.0, w.1, w.2, w.3], full: full)
            case .ticketVolume(let recent, let baseline, let fullRise): Signals.ticketVolume(x, h, t, recent: recent, baseline: baseline, fullRise: fullRise)
            case .questionRate(let recent, let baseline, let fullDrop): Signals.questionRate(x, h, t, recent: recent, baseline: baseline, fullDrop: fullDrop)
            case .sentimentTrend(let recent, let baseline, let fullDrop): Signals.sentimentTrend(x, h, t, recent: recent, baseline: baseline, fullDrop: fullDrop)
            case .humanContact(let healthy, let full): Signals.humanContact(x, h, t, healthy: healthy, full: full)
            case .milestones(let overdue, let missed): Signals.milestones(x, h, t, overdue: overdue, missed: missed)
            case .nps(let lookback, let detractorMax, let promoterMin): Signals.nps(x, h, t, lookback: lookback, detractorMax: detractorMax, promoterMin: promoterMin)
            case .community(let recent, let baseline, let fullDrop): Signals.community(x, h, t, recent: recent, baseline: baseline, fullDrop: fullDrop)
            case .championChange(let window): Signals.championChange(x, h, t, window: window)
            }
        }
    }

    // MARK: Shapes

    /// A reading; its figures, reason and seqs only built when explaining.
    static func reading(_ explain: Bool, value: Double, figures: @autoclosure () -> [JSONMember], reason: @autoclosure () -> String,
                        seqs: @autoclosure () -> [UInt64]) -> SignalOutcome {
        explain ? .reading(value: value, figures: figures(), reason: reason(), seqs: seqs()) : .reading(value: value, figures: [], reason: "", seqs: [])
    }

    static func missing(_ explain: Bool, _ why: @autoclosure () -> String) -> SignalOutcome { .missing(explain ? why() : "") }

    /// 1 when `change` (a fraction) is 0 or better, falling linearly to 0 at `-full`.
    static func dropScore(_ change: Double, full: Double) -> Double {
        change >= 0 ? 1 : full <= 0 ? 0 : max(0, 1 + change / full)
    }

    static func figure(_ name: String, _ v: Double) -> JSONMember { JSONMember(name, .number(NumberText.plain((v * 100).rounded() / 100))) }
    static func pct(_ v: Double) -> String { (v >= 0 ? "+" : "") + NumberText.plain((v * 1000).rounded() / 10) + "%" }
    static func days(_ d: Double) -> Int64 { Int64(d) * day }

    /// The last time at or before which no usage record can change a score on `day` or later
    /// under `rules`: records are read for at most the widest usage window before the day,
    /// with a week of slack for late reports.
    public static func usageIrrelevant(before day: Int, _ rules: Rules) -> Int64 {
        let widest = rules.signals.map { s -> Double in
            switch s.kind {
            case .usageTrend: s.parameter("recent_days") + s.parameter("baseline_days")
            case .seatUtilisation: s.parameter("window_days")
            case .featureBreadthChange: s.parameter("lookback_days") + s.parameter("window_days")
            default: 0
            }
        }.max() ?? 0
        return AccountHistory.usageRecordedAfter(firstDay: day - Int(widest) + 1)
    }

    /// The usage records of the days `first` to `last` known at `t` (the ones
    /// `AccountHistory.usage(_:days:to:)` sums up), in event order: the seqs behind a reading.
    static func usageRecords(_ h: AccountHistory, _ t: Int64, days first: Int, to last: Int) -> [Fact<AccountHistory.UsageDay>] {
        h.usage.window(after: AccountHistory.usageRecordedAfter(firstDay: first), upTo: t).filter { $0.value.day >= first && $0.value.day <= last }
    }

    // MARK: Adoption

    static func usageTrend(_ x: Bool, _ h: AccountHistory, _ t: Int64, recent: Double, baseline: Double,
                           fullDrop: Double) -> SignalOutcome {
        let d = ContextView.dayNumber(t), r = Int(recent), b = Int(baseline)
        guard let n = h.usage(t, days: d - r + 1, to: d).mean else { return missing(x, "no usage reported in the last \(r) days") }
        guard let m = h.usage(t, days: d - r - b + 1, to: d - r).mean else {
            return missing(x, "no usage reported in the \(b) days before the last \(r)")
        }
        let change = usageChange(now: n, before: m)
        return reading(x, value: dropScore(change, full: fullDrop / 100),
                        figures: [figure("active_users_recent", n), figure("active_users_baseline", m), figure("change_pct", change * 100)],
                        reason: "active users \(NumberText.plain((n * 10).rounded() / 10)) a day over \(r) days against "
                            + "\(NumberText.plain((m * 10).rounded() / 10)) over the \(b) before (\(pct(change)))",
                        seqs: (usageRecords(h, t, days: d - r - b + 1, to: d - r) + usageRecords(h, t, days: d - r + 1, to: d)).map(\.seq))
    }

    /// The change (a fraction) from `before` to `now` active users a day; 1 from none to some.
    static func usageChange(now n: Double, before m: Double) -> Double { m > 0 ? (n - m) / m : (n > 0 ? 1 : 0) }

    static func seatUtilisation(_ x: Bool, _ h: AccountHistory, _ t: Int64, window: Double, healthy: Double) -> SignalOutcome {
        guard let seats = h.seats(at: t), seats.value > 0 else { return missing(x, "no seat count in the profile") }
        let d = ContextView.dayNumber(t), w = Int(window)
        guard let peak = h.usage(t, days: d - w + 1, to: d).peak else { return missing(x, "no usage reported in the last \(w) days") }
        let used = Double(peak) / Double(seats.value)
        return reading(x, value: seatValue(peak: peak, seats: seats.value, healthy: healthy),
                        figures: [figure("peak_active_users", Double(peak)), figure("seats", Double(seats.value)),
                                  figure("utilisation_pct", used * 100)],
                        reason: "\(peak) of \(seats.value) seats used at the peak of the last \(w) days "
                            + "(\(NumberText.plain((used * 1000).rounded() / 10))%)",
                        seqs: [seats.seq] + usageRecords(h, t, days: d - w + 1, to: d).filter { $0.value.activeUsers == peak }.prefix(1).map(\.seq))
    }

    /// The peak of active users against the seats bought (> 0): 1 at `healthy` percent or more.
    static func seatValue(peak: Int, seats: Int, healthy: Double) -> Double {
        healthy > 0 ? min(1, Double(peak) * 100 / (Double(seats) * healthy)) : 1
    }

    /// The change (a fraction) from `before` to `now` features used; 0 from none.
    static func featureChange(now a: Int, before b: Int) -> Double { b > 0 ? Double(a - b) / Double(b) : 0 }

    static func featureBreadth(_ x: Bool, _ h: AccountHistory, _ t: Int64, window: Double, lookback: Double,
                               fullDrop: Double) -> SignalOutcome {
        let d = ContextView.dayNumber(t), w = Int(window), l = Int(lookback)
        guard let a = h.usage(t, days: d - w + 1, to: d).features else { return missing(x, "no usage reported in the last \(w) days") }
        guard let b = h.usage(t, days: d - l - w + 1, to: d - l).features else { return missing(x, "no usage reported \(l) days ago") }
        let change = featureChange(now: a, before: b)
        return reading(x, value: dropScore(change, full: fullDrop / 100),
                        figures: [figure("features_now", Double(a)), figure("features_then", Double(b)), figure("change_pct", change * 100)],
                        reason: "\(a) features used in the last \(w) days against \(b) in the same span \(l) days ago",
                        seqs: (usageRecords(h, t, days: d - l - w + 1, to: d - l) + usageRecords(h, t, days: d - w + 1, to: d)).map(\.seq))
    }

    // MARK: Support

    /// The open-ticket weights by priority, in `Priority.allCases` order.
    static func ticketWeights(_ signal: Rules.Signal) -> [Double] { Priority.allCases.map { signal.parameter($0.rawValue) } }

    /// A priority's place in `Priority.allCases` (a ticket without one counts as normal).
    static func slot(_ p: Priority?) -> Int {
        switch p ?? .normal {
        case .urgent: 0
        case .high: 1
        case .normal: 2
        case .low: 3
        }
    }

    /// The open tickets' weighted load from how many are open at each priority, and its value:
    /// 1 without load, 0 from `full`.
    static func ticketLoadValue(_ counts: [Int], weights: [Double], full: Double) -> (load: Double, value: Double) {
        var load = 0.0
        for i in counts.indices { load += Double(counts[i]) * weights[i] }
        return (load, full > 0 ? max(0, 1 - load / full) : (load > 0 ? 0 : 1))
    }

    static func openTickets(_ x: Bool, _ h: AccountHistory, _ t: Int64, weights: [Double], full: Double) -> SignalOutcome {
        let open = h.openTicketPriorities(at: t)
        var counts = [Int](repeating: 0, count: Priority.allCases.count)
        for ticket in open { counts[slot(ticket.priority)] += 1 }
        let (load, value) = ticketLoadValue(counts, weights: weights, full: full)
        let text = Priority.allCases.compactMap { pr in counts[slot(pr)] > 0 ? "\(counts[slot(pr)]) \(pr.rawValue)" : nil }.joined(separator: ", ")
        return reading(x, value: value,
                        figures: [figure("open", Double(open.count)), figure("weighted_load", load)],
                        reason: open.isEmpty ? "no open tickets" : "\(open.count) open (\(text)), weighted load \(NumberText.plain(load))",
                        seqs: h.openTicketSeqs(at: t))
    }

    /// A list's facts in the recent window (t − recent, t] and in the baseline window before it.
    static func windows<V>(_ list: FactList<V>, _ t: Int64, recent: Double, baseline: Double)
        -> (recent: ArraySlice<Fact<V>>, before: ArraySlice<Fact<V>>) {
        let split = t - days(recent)
        return (list.window(after: split, upTo: t), list.window(after: split - days(baseline), upTo: split))
    }

    /// Events per day in the recent window against the baseline: 1 if not falling, 0 at a fall of
    /// `fullDrop` percent; neutral without events in the baseline (the question rate, community).
    static func rateDrop(_ x: Bool, now: Int, before: Int, seqs: @autoclosure () -> [UInt64], recent: Double, baseline: Double,
                         fullDrop: Double, events: String, missing: String) -> SignalOutcome {
        guard before > 0 else { return Self.missing(x, "no \(missing) in the \(Int(baseline)) days before the last \(Int(recent))") }
        let change = rateChange(now: now, before: before, recent: recent, baseline: baseline)
        return reading(x, value: dropScore(change, full: fullDrop / 100),
                        figures: [figure("recent", Double(now)), figure("baseline", Double(before)), figure("change_pct", change * 100)],
                        reason: "\(now) \(events) in the last \(Int(recent)) days against \(before) in the \(Int(baseline)) before "
                            + "(\(pct(change)) a day)",
                        seqs: seqs())
    }

    /// The change in events per day, the recent window against the baseline (`before` > 0).
    static func rateChange(now: Int, before: Int, recent: Double, baseline: Double) -> Double {
        let rBefore = Double(before) / baseline
        return (Double(now) / recent - rBefore) / rBefore
    }

    /// The rise in tickets per day, the recent window against the baseline (at least one ticket
    /// in the baseline is assumed, so a first ticket is not an infinite rise).
    static func ticketRise(now: Int, before: Int, recent: Double, baseline: Double) -> Double {
        let rNow = Double(now) / recent, rBefore = Double(before) / baseline
        return (rNow - rBefore) / max(rBefore, 1 / baseline)
    }

    static func ticketVolume(_ x: Bool, _ h: AccountHistory, _ t: Int64, recent: Double, baseline: Double, fullRise: Double) -> SignalOutcome {
        guard h.firstTime <= t - days(recent + baseline) else {
            return missing(x, "less than \(Int(recent + baseline)) days of history")
        }
        let (now, before) = windows(h.ticketOpens, t, recent: recent, baseline: baseline)
        let rise = ticketRise(now: now.count, before: before.count, recent: recent, baseline: baseline)
        return reading(x, value: dropScore(-rise, full: fullRise / 100),
                        figures: [figure("recent", Double(now.count)), figure("baseline", Double(before.count)), figure("change_pct", rise * 100)],
                        reason: "\(now.count) tickets in the last \(Int(recent)) days against \(before.count) in the \(Int(baseline)) before "
                            + "(\(pct(rise)) a day)",
                        seqs: now.map(\.seq))
    }

    static func questionRate(_ x: Bool, _ h: AccountHistory, _ t: Int64, recent: Double, baseline: Double, fullDrop: Double) -> SignalOutcome {
        let (now, before) = windows(h.questions, t, recent: recent, baseline: baseline)
        return rateDrop(x, now: now.count, before: before.count, seqs: (before + now).map(\.seq), recent: recent, baseline: baseline,
                        fullDrop: fullDrop, events: "questions", missing: "questions")
    }

    // MARK: Relationship

    /// 1 when the mean sentiment did not fall, 0 when it fell by `fullDrop`.
    static func sentimentValue(_ delta: Double, fullDrop: Double) -> Double { delta >= 0 ? 1 : fullDrop > 0 ? max(0, 1 + delta / fullDrop) : 0 }

    static func sentimentTrend(_ x: Bool, _ h: AccountHistory, _ t: Int64, recent: Double, baseline: Double, fullDrop: Double) -> SignalOutcome {
        let (now, before) = windows(h.sentiment, t, recent: recent, baseline: baseline)
        guard !now.isEmpty else { return missing(x, "no call or ticket sentiment in the last \(Int(recent)) days") }
        guard !before.isEmpty else { return missing(x, "no call or ticket sentiment in the \(Int(baseline)) days before") }
        let a = now.reduce(0) { $0 + $1.value } / Double(now.count), b = before.reduce(0) { $0 + $1.value } / Double(before.count)
        let delta = a - b
        return reading(x, value: sentimentValue(delta, fullDrop: fullDrop),
                        figures: [figure("recent", a), figure("baseline", b), figure("change", delta)],
                        reason: "sentiment \(NumberText.plain((a * 100).rounded() / 100)) over \(Int(recent)) days against "
                            + "\(NumberText.plain((b * 100).rounded() / 100)) before",
                        seqs: (before + now).map(\.seq))
    }

    static func humanContact(_ x: Bool, _ h: AccountHistory, _ t: Int64, healthy: Double, full: Double) -> SignalOutcome {
        guard h.firstTime <= t else { return missing(x, "no events yet") }
        let last = h.contacts.latest(atOrBefore: t)
        let d = Double((t - (last?.time ?? h.firstTime)) / day)
        return reading(x, value: contactValue(days: d, healthy: healthy, full: full), figures: [figure("days", d)],
                        reason: last == nil ? "no human contact in \(Int(d)) days since the first event" : "last human contact \(Int(d)) days ago",
                        seqs: last.map { [$0.seq] } ?? [])
    }

    /// Whole days since the last human contact: 1 up to `healthy`, 0 from `full`.
    static func contactValue(days d: Double, healthy: Double, full: Double) -> Double {
        d <= healthy ? 1 : d >= full ? 0 : 1 - (d - healthy) / max(1, full - healthy)
    }

    /// A milestone still planned after its due date (as its latest fact says) is overdue on day `d`.
    static func isOverdue(_ m: MilestoneUpdated, on d: Int) -> Bool { m.status == .planned && (m.dueDate.map { $0.daysSinceEpoch < d } ?? false) }

    static func milestonesValue(overdue: Int, missed: Int, penalties: (overdue: Double, missed: Double)) -> Double {
        max(0, 1 - Double(overdue) * penalties.overdue - Double(missed) * penalties.missed)
    }

    static func milestones(_ x: Bool, _ h: AccountHistory, _ t: Int64, overdue: Double, missed: Double) -> SignalOutcome {
        // Each milestone's latest fact (few per account: a list beats a dictionary here).
        var latest: [Fact<MilestoneUpdated>] = []
        for f in h.milestones.upTo(t) {
            if let i = latest.firstIndex(where: { $0.value.milestone == f.value.milestone }) { latest[i] = f } else { latest.append(f) }
        }
        guard !latest.isEmpty else { return missing(x, "no milestones") }
        let d = ContextView.dayNumber(t)
        let isLate = { (f: Fact<MilestoneUpdated>) in isOverdue(f.value, on: d) }
        let isLost = { (f: Fact<MilestoneUpdated>) in f.value.status == .missed }
        let lateCount = latest.lazy.filter(isLate).count, lostCount = latest.lazy.filter(isLost).count
        func reason() -> String {
            let names = { (l: [Fact<MilestoneUpdated>]) in l.map(\.value.milestone).sorted().joined(separator: ", ") }
            var reason = "\(latest.count) milestones"
            if lateCount > 0 { reason += ", overdue: \(names(latest.filter(isLate)))" }
            if lostCount > 0 { reason += ", missed: \(names(latest.filter(isLost)))" }
            return reason
        }
        return reading(x, value: milestonesValue(overdue: lateCount, missed: lostCount, penalties: (overdue, missed)),
                        figures: [figure("overdue", Double(lateCount)), figure("missed", Double(lostCount))],
                        reason: reason(), seqs: latest.filter { isLate($0) || isLost($0) }.map(\.seq).sorted())
    }

    static func nps(_ x: Bool, _ h: AccountHistory, _ t: Int64, lookback: Double, detractorMax: Double, promoterMin: Double) -> SignalOutcome {
        guard let last = h.nps.window(after: t - days(lookback), upTo: t).last else {
            return missing(x, "no NPS answer in the last \(Int(lookback)) days")
        }
        let (value, kind) = npsValue(last.value, detractorMax: detractorMax, promoterMin: promoterMin)
        return reading(x, value: value, figures: [figure("score", Double(last.value))], reason: "latest NPS \(last.value) (\(kind))", seqs: [last.seq])
    }

    /// An NPS answer's value and kind: 0 for a detractor, 0.5 passive, 1 promoter.
    static func npsValue(_ score: Int, detractorMax: Double, promoterMin: Double) -> (Double, String) {
        let s = Double(score)
        return s <= detractorMax ? (0.0, "detractor") : s >= promoterMin ? (1.0, "promoter") : (0.5, "passive")
    }

    static func community(_ x: Bool, _ h: AccountHistory, _ t: Int64, recent: Double, baseline: Double, fullDrop: Double) -> SignalOutcome {
        let (now, before) = windows(h.community, t, recent: recent, baseline: baseline)
        return rateDrop(x, now: now.count, before: before.count, seqs: (before + now).map(\.seq), recent: recent, baseline: baseline,
                        fullDrop: fullDrop, events: "community activities", missing: "community activity")
    }

    static func championChange(_ x: Bool, _ h: AccountHistory, _ t: Int64, window: Double) -> SignalOutcome {
        let named = h.champions(at: t)
        guard let current = named.last else { return missing(x, "no champion named") }
        let since = t - days(window)
        if let change = Array(zip(named, named.dropFirst())).last(where: { $0.0.value != $0.1.value && $0.1.time > since }) {
            return reading(x, value: 0, figures: [],
                            reason: "champion changed from \(change.0.value) to \(change.1.value) within \(Int(window)) days",
                            seqs: [change.0.seq, change.1.seq])
        }
        return reading(x, value: 1, figures: [], reason: "champion \(current.value), unchanged for \(Int(window)) days", seqs: [current.seq])
    }
}
