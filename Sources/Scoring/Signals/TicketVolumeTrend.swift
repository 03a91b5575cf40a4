import ThroughlineCore

extension SignalKind { public static let ticketVolumeTrend = named(TicketVolumeTrend.name) }

/// Tickets opened per day recently against the baseline (at least one per baseline): 1 if not
/// rising, 0 at a rise of `full_rise_pct`; neutral with less history than both windows.
struct TicketVolumeTrend: SignalDefinition {
    static let name = "ticket_volume_trend"
    static let parameters: [SignalParameter] = [.days("recent_days", 30), .days("baseline_days", 90), .amount("full_rise_pct", 100)]

    let recent: Int, baseline: Int, fullRise: Double

    init(_ p: SignalParameters) {
        recent = p.days("recent_days")
        baseline = p.days("baseline_days")
        fullRise = p.amount("full_rise_pct")
    }

    /// The rise in tickets per day, the recent window against the baseline (at least one ticket
    /// in the baseline is assumed, so a first ticket is not an infinite rise).
    func rise(now: Int, before: Int) -> Double {
        let rNow = Double(now) / Double(recent), rBefore = Double(before) / Double(baseline)
        return (rNow - rBefore) / max(rBefore, 1 / Double(baseline))
    }

    func read(_ h: AccountHistory, at t: Int64, explain x: Bool) -> SignalOutcome {
        guard h.firstTime <= t - Signals.days(recent + baseline) else { return Signals.missing(x, "less than \(recent + baseline) days of history") }
        let (now, before) = Signals.windows(h.ticketOpens, t, recent: recent, baseline: baseline)
        let rise = rise(now: now.count, before: before.count)
        return Signals.reading(x, value: Signals.dropScore(-rise, full: fullRise / 100),
                               figures: [Signals.figure("recent", Double(now.count)), Signals.figure("baseline", Double(before.count)),
                                         Signals.figure("change_pct", rise * 100)],
                               reason: "\(now.count) tickets in the last \(recent) days against \(before.count) in the \(baseline) before "
                                   + "(\(Signals.pct(rise)) a day)",
                               seqs: now.map(\.seq))
    }

    func sweep(_ h: AccountHistory, _ inputs: SweepInputs) -> SweepStep {
        WindowStep(h.ticketOpens, recent: recent, baseline: baseline, historyFrom: h.firstTime) { w in
            Signals.dropScore(-rise(now: w.recent, before: w.baseline), full: fullRise / 100)
        }
    }
}
