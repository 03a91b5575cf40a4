import ThroughlineCore

/// An account's score at the end of each day in turn, equal to `Score.value` there (tests hold
/// them equal on generated and on random histories) but computed as one sweep over the days:
/// each signal's parameters are looked up once; the signals whose input is a state (the tickets
/// open, each milestone's latest word, the champion named) carry it from one day to the next,
/// applying only the facts of the new day instead of folding every fact again; and the signals
/// that compare two windows move the windows' edges forward instead of searching for them.
struct DaySweep {
    private enum Reader {
        case usageTrend(recent: Int, baseline: Int, fullDrop: Double)
        case featureBreadth(window: Int, lookback: Int, fullDrop: Double)
        case openTickets(full: Double)
        case milestones(penalties: (overdue: Double, missed: Double))
        case championChange(window: Int64)
        case humanContact(healthy: Double, full: Double)
        case nps(lookback: Int64, detractorMax: Double, promoterMin: Double)
        case seats(window: Int, healthy: Double)
        /// A count or mean over the recent window against the baseline before it, of the facts
        /// at `windowTimes[facts]` (with `windowValues[facts]` for the sentiment).
        case windows(WindowSignal, facts: Range<Int>, recent: Double, baseline: Double, full: Double)
    }

    private enum WindowSignal { case ticketVolume, rateDrop, sentiment }

    /// Per reader, how many of its facts happened at or before the baseline's start, the split
    /// between the windows and the day's end (each only moves forward).
    private var edges: [(Int, Int, Int)] = []
    /// Per window reader, its value at the edges it last computed it for: the facts in its
    /// windows are the same until an edge moves, and so is the value (same sums, same order).
    private var lastWindows: [(edges: (Int, Int, Int), value: Double?)?] = []

    private let history: AccountHistory
    /// The usage table summed up, for the usage signals.
    private let usage: UsageSummary
    private var readers: [(weight: Double, reader: Reader)] = []
    /// The window readers' fact times (and values), one stretch per reader; the open-ticket weights.
    private var windowTimes: [Int64] = [], windowValues: [Double] = []
    private var ticketWeights: [Double] = []
    private var readings: [(Double, Double)] = []
    private var lastDay = Int.min

    /// Open tickets: each ticket's state changes in time order, how many are applied, each
    /// ticket's state, and how many are open at each priority (`Signals.slot`).
    private var ticketChanges: [TicketTable.Change] = []
    private var ticketsApplied = 0
    private var ticketState: [TicketTable.State] = []
    private var openCounts = [Int](repeating: 0, count: Priority.allCases.count)
    /// Milestones: facts applied and each milestone's latest.
    private var milestonesApplied = 0
    private var latestMilestones: [MilestoneUpdated] = []
    /// The champion: profile facts applied, the champion named last, and when a fact last named
    /// another champion than the one before it.
    private var profileApplied = 0
    private var champion: String?
    private var championChanged = Int64.min
    /// The seats bought as last set; human contacts and NPS answers applied.
    private var seats: Int?
    private var contactsApplied = 0, npsApplied = 0

    init(_ h: AccountHistory, rules: Rules, inputs: SweepInputs? = nil) {
        history = h
        let inputs = inputs ?? SweepInputs(h, for: [rules])
        usage = inputs.usage
        for signal in rules.signals where signal.weight > 0 {
            let reader: Reader
            switch signal.kind {
            case .usageTrend:
                reader = .usageTrend(recent: Int(signal.parameter("recent_days")), baseline: Int(signal.parameter("baseline_days")),
                                     fullDrop: signal.parameter("full_drop_pct"))
            case .featureBreadthChange:
                reader = .featureBreadth(window: Int(signal.parameter("window_days")), lookback: Int(signal.parameter("lookback_days")),
                                         fullDrop: signal.parameter("full_drop_pct"))
            case .openTickets:
                ticketWeights = Signals.ticketWeights(signal)
                precondition(inputs.tickets, "sweep inputs worked out for rules that do not weigh open tickets")
                ticketChanges = inputs.ticketChanges
                ticketState = Array(repeating: (false, nil), count: h.ticketCount)
                reader = .openTickets(full: signal.parameter("full_load"))
            case .milestones: reader = .milestones(penalties: (signal.parameter("overdue_penalty"), signal.parameter("missed_penalty")))
            case .championChange: reader = .championChange(window: Signals.days(signal.parameter("window_days")))
            case .daysSinceHumanContact: reader = .humanContact(healthy: signal.parameter("healthy_days"), full: signal.parameter("full_days"))
            case .nps:
                reader = .nps(lookback: Signals.days(signal.parameter("lookback_days")), detractorMax: signal.parameter("detractor_max"),
                              promoterMin: signal.parameter("promoter_min"))
            case .seatUtilisation: reader = .seats(window: Int(signal.parameter("window_days")), healthy: signal.parameter("healthy_pct"))
            case .ticketVolumeTrend: reader = windows(.ticketVolume, h.ticketOpens, { _ in 0 }, signal, full: "full_rise_pct")
            case .questionRateTrend: reader = windows(.rateDrop, h.questions, { _ in 0 }, signal, full: "full_drop_pct")
            case .communityTrend: reader = windows(.rateDrop, h.community, { _ in 0 }, signal, full: "full_drop_pct")
            case .sentimentTrend: reader = windows(.sentiment, h.sentiment, { $0 }, signal, full: "full_drop")
            }
            readers.append((signal.weight, reader))
        }
        readings.reserveCapacity(readers.count)
        edges = Array(repeating: (0, 0, 0), count: readers.count)
        lastWindows = Array(repeating: nil, count: readers.count)
    }

    private mutating func windows<V>(_ kind: WindowSignal, _ list: FactList<V>, _ value: (V) -> Double, _ signal: Rules.Signal,
                                     full: String) -> Reader {
        let start = windowTimes.count
        windowTimes += list.items.lazy.map(\.time)
        windowValues += list.items.lazy.map { value($0.value) }
        return .windows(kind, facts: start..<windowTimes.count, recent: signal.parameter("recent_days"), baseline: signal.parameter("baseline_days"),
                        full: signal.parameter(full))
    }

    /// The score at the end of day `d`. Days are asked in increasing order.
    mutating func score(day d: Int) -> Double? {
        precondition(d > lastDay, "a sweep goes forward")
        lastDay = d
        let t = ScoreHistory.endOf(d)
        advance(to: t)
        readings.removeAll(keepingCapacity: true)
        for i in readers.indices {
            if let v = value(i, at: t, day: d) { readings.append((readers[i].weight, v)) }
        }
        return Score.combine(readings)
    }

    private mutating func value(_ i: Int, at t: Int64, day d: Int) -> Double? {
        switch readers[i].reader {
        // The usage signals' windows, as `Signals.usageTrend`, `seatUtilisation` and
        // `featureBreadth` read them: every one ends by day d, as the summary needs.
        case .usageTrend(let recent, let baseline, let fullDrop):
            guard let n = usage.usage(t, days: d - recent + 1, to: d).mean,
                  let m = usage.usage(t, days: d - recent - baseline + 1, to: d - recent).mean else { return nil }
            return Signals.dropScore(Signals.usageChange(now: n, before: m), full: fullDrop / 100)
        case .featureBreadth(let window, let lookback, let fullDrop):
            guard let a = usage.usage(t, days: d - window + 1, to: d).features,
                  let b = usage.usage(t, days: d - lookback - window + 1, to: d - lookback).features else { return nil }
            return Signals.dropScore(Signals.featureChange(now: a, before: b), full: fullDrop / 100)
        case .openTickets(let full):
            return Signals.ticketLoadValue(openCounts, weights: ticketWeights, full: full).value
        case .milestones(let penalties):
            guard !latestMilestones.isEmpty else { return nil }
            var overdue = 0, missed = 0
            for m in latestMilestones {
                if Signals.isOverdue(m, on: d) { overdue += 1 }
                if m.status == .missed { missed += 1 }
            }
            return Signals.milestonesValue(overdue: overdue, missed: missed, penalties: penalties)
        case .championChange(let window):
            guard champion != nil else { return nil }
            return championChanged > t - window ? 0 : 1
        case .humanContact(let healthy, let full):
            // As `Signals.humanContact`: days since the latest contact by `t`, or since the first event.
            guard history.firstTime <= t else { return nil }
            let last = contactsApplied > 0 ? history.contacts.items[contactsApplied - 1].time : history.firstTime
            return Signals.contactValue(days: Double((t - last) / Signals.day), healthy: healthy, full: full)
        case .nps(let lookback, let detractorMax, let promoterMin):
            // The latest answer by `t`, if it is within the lookback.
            guard npsApplied > 0, history.nps.items[npsApplied - 1].time > t - lookback else { return nil }
            return Signals.npsValue(history.nps.items[npsApplied - 1].value, detractorMax: detractorMax, promoterMin: promoterMin).0
        case .seats(let window, let healthy):
            guard let seats, seats > 0, let peak = usage.usage(t, days: d - window + 1, to: d).peak else { return nil }
            return Signals.seatValue(peak: peak, seats: seats, healthy: healthy)
        case .windows(let kind, let facts, let recent, let baseline, let full):
            // The same windows as `Signals.windows`: (split − baseline, split] and (split, t].
            // Edges count from the start of the reader's facts.
            let split = t - Signals.days(recent)
            func advance(_ n: inout Int, to x: Int64) {
                while n < facts.count && windowTimes[facts.lowerBound + n] <= x { n += 1 }
            }
            advance(&edges[i].0, to: split - Signals.days(baseline))
            advance(&edges[i].1, to: split)
            advance(&edges[i].2, to: t)
            if kind == .ticketVolume {
                guard history.firstTime <= t - Signals.days(recent + baseline) else { return nil }
            }
            if let last = lastWindows[i], last.edges == edges[i] { return last.value }
            let value = windowValue(kind, facts, edges[i], recent: recent, baseline: baseline, full: full)
            lastWindows[i] = (edges[i], value)
            return value
        }
    }

    /// A window reader's value with `edges` (from the start of its facts): the counts, or the
    /// means of the sentiments, of the recent window against the baseline.
    private func windowValue(_ kind: WindowSignal, _ facts: Range<Int>, _ edges: (Int, Int, Int), recent: Double, baseline: Double,
                             full: Double) -> Double? {
        let (start, middle, end) = edges
        let (now, before) = (end - middle, middle - start)
        switch kind {
        case .ticketVolume:
            return Signals.dropScore(-Signals.ticketRise(now: now, before: before, recent: recent, baseline: baseline), full: full / 100)
        case .rateDrop:
            guard before > 0 else { return nil }
            return Signals.dropScore(Signals.rateChange(now: now, before: before, recent: recent, baseline: baseline), full: full / 100)
        case .sentiment:
            guard now > 0 && before > 0 else { return nil }
            let o = facts.lowerBound
            let a = windowValues[(o + middle)..<(o + end)].reduce(0, +) / Double(now), b = windowValues[(o + start)..<(o + middle)].reduce(0, +) / Double(before)
            return Signals.sentimentValue(a - b, fullDrop: full)
        }
    }

    /// Applies the facts up to `t` to the carried states.
    private mutating func advance(to t: Int64) {
        while contactsApplied < history.contacts.items.count && history.contacts.items[contactsApplied].time <= t { contactsApplied += 1 }
        while npsApplied < history.nps.items.count && history.nps.items[npsApplied].time <= t { npsApplied += 1 }
        while ticketsApplied < ticketChanges.count && ticketChanges[ticketsApplied].time <= t {
            let c = ticketChanges[ticketsApplied]
            let old = ticketState[c.ticket]
            if old.open { openCounts[Signals.slot(old.priority)] -= 1 }
            if c.open { openCounts[Signals.slot(c.priority)] += 1 }
            ticketState[c.ticket] = (c.open, c.priority)
            ticketsApplied += 1
        }
        let milestones = history.milestones.items
        while milestonesApplied < milestones.count && milestones[milestonesApplied].time <= t {
            let m = milestones[milestonesApplied].value
            if let i = latestMilestones.firstIndex(where: { $0.milestone == m.milestone }) { latestMilestones[i] = m } else { latestMilestones.append(m) }
            milestonesApplied += 1
        }
        let profile = history.profile.items
        while profileApplied < profile.count && profile[profileApplied].time <= t {
            if let bought = profile[profileApplied].value.seats { seats = bought }
            if let named = profile[profileApplied].value.champion {
                if let before = champion, before != named { championChanged = profile[profileApplied].time }
                champion = named
            }
            profileApplied += 1
        }
    }
}

/// What a sweep reads of a history under any rules: the usage summary, and the tickets' state
/// changes in time order (only if some rules weigh open tickets). Worked out once for an account
/// that several rules versions score.
public struct SweepInputs {
    let usage: UsageSummary
    let ticketChanges: [TicketTable.Change]
    let tickets: Bool

    public init(_ h: AccountHistory, for rules: [Rules]) {
        usage = UsageSummary(h)
        tickets = rules.contains { $0.signals.contains { $0.kind == .openTickets && $0.weight > 0 } }
        ticketChanges = tickets ? h.ticketStateChanges() : []
    }
}
