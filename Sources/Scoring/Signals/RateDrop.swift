import ThroughlineCore

/// Events per day in the recent window against the baseline: 1 if not falling, 0 at a fall of
/// `full_drop_pct`; neutral without events in the baseline. The arithmetic of the signals that
/// watch a kind of event die down (the question rate, community activity).
struct RateDrop: Sendable {
    static func parameters(fullDrop: Double) -> [SignalParameter] {
        [.days("recent_days", 30), .days("baseline_days", 90), .amount("full_drop_pct", fullDrop)]
    }

    let recent: Int, baseline: Int, fullDrop: Double

    init(_ p: SignalParameters) {
        recent = p.days("recent_days")
        baseline = p.days("baseline_days")
        fullDrop = p.amount("full_drop_pct")
    }

    /// The change in events per day, the recent window against the baseline (`before` > 0).
    func change(now: Int, before: Int) -> Double {
        let rBefore = Double(before) / Double(baseline)
        return (Double(now) / Double(recent) - rBefore) / rBefore
    }

    /// The reading of `list`'s facts at `t`, naming them `events` (and `missing` when the
    /// baseline has none).
    func read<V>(_ list: FactList<V>, _ t: Int64, explain x: Bool, events: String, missing: String) -> SignalOutcome {
        let (now, before) = Signals.windows(list, t, recent: recent, baseline: baseline)
        guard before.count > 0 else { return Signals.missing(x, "no \(missing) in the \(baseline) days before the last \(recent)") }
        let change = change(now: now.count, before: before.count)
        return Signals.reading(x, value: Signals.dropScore(change, full: fullDrop / 100),
                               figures: [Signals.figure("recent", Double(now.count)), Signals.figure("baseline", Double(before.count)),
                                         Signals.figure("change_pct", change * 100)],
                               reason: "\(now.count) \(events) in the last \(recent) days against \(before.count) in the \(baseline) before "
                                   + "(\(Signals.pct(change)) a day)",
                               seqs: (before + now).map(\.seq))
    }

    func sweep<V>(_ list: FactList<V>) -> SweepStep {
        WindowStep(list, recent: recent, baseline: baseline) { w in
            guard w.baseline > 0 else { return nil }
            return Signals.dropScore(change(now: w.recent, before: w.baseline), full: fullDrop / 100)
        }
    }
}
