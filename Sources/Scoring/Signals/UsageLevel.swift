import ThroughlineCore

extension SignalKind { public static let usageLevel = named(UsageLevel.name) }

/// Mean daily active users over the recent days against the account's usual level: the mean
/// over the baseline days that end `gap_days` before the recent ones (so a decline of the last
/// weeks does not drag its own baseline down). 1 at or above the usual level, falling linearly
/// to 0 at a drop of `full_drop_pct`. A decline that builds over months, too slowly for a week
/// against the month before (`usage_trend`), shows here as the distance it has gone.
struct UsageLevel: UsageSignal {
    static let name = "usage_level"
    static let group = "adoption"
    static let parameters: [SignalParameter] = [.days("recent_days", 14), .days("gap_days", 28), .days("baseline_days", 150),
                                                .amount("full_drop_pct", 60)]

    let recent: Int, gap: Int, baseline: Int, fullDrop: Double

    init(_ p: SignalParameters) {
        recent = p.days("recent_days")
        gap = p.days("gap_days")
        baseline = p.days("baseline_days")
        fullDrop = p.amount("full_drop_pct")
    }

    var usageDays: Int { recent + gap + baseline }

    /// The recent days and the baseline days, for day `d`.
    func windows(day d: Int) -> (recent: ClosedRange<Int>, baseline: ClosedRange<Int>) {
        let end = d - recent - gap
        return ((d - recent + 1)...d, (end - baseline + 1)...end)
    }

    /// Baseline days with usage needed for a usual level.
    var fewestBaselineDays: Int { max(1, baseline / 3) }

    func value(now n: Double, usual m: Double) -> Double { Signals.dropScore(UsageTrend.change(now: n, before: m), full: fullDrop / 100) }

    func value(day d: Int, _ usage: (Int, Int) -> AccountHistory.UsageWindow) -> Double? {
        let w = windows(day: d)
        let before = usage(w.baseline.lowerBound, w.baseline.upperBound)
        guard before.days >= fewestBaselineDays, let m = before.mean, let n = usage(w.recent.lowerBound, w.recent.upperBound).mean else { return nil }
        return value(now: n, usual: m)
    }

    func read(_ h: AccountHistory, at t: Int64, explain x: Bool) -> SignalOutcome {
        let d = Day(containing: t).number, w = windows(day: d)
        let before = h.usage(t, days: w.baseline.lowerBound, to: w.baseline.upperBound)
        guard before.days >= fewestBaselineDays, let m = before.mean else {
            return Signals.missing(x, "usage reported on fewer than \(fewestBaselineDays) of the \(baseline) days that end \(gap) days before the last \(recent)")
        }
        guard let n = h.usage(t, days: w.recent.lowerBound, to: w.recent.upperBound).mean else {
            return Signals.missing(x, "no usage reported in the last \(recent) days")
        }
        let change = UsageTrend.change(now: n, before: m)
        return Signals.reading(x, value: value(now: n, usual: m),
                               figures: [Signals.figure("active_users_recent", n), Signals.figure("active_users_usual", m),
                                         Signals.figure("change_pct", change * 100)],
                               reason: "active users \(NumberText.plain((n * 10).rounded() / 10)) a day over \(recent) days against a usual "
                                   + "\(NumberText.plain((m * 10).rounded() / 10)) (\(Signals.pct(change)))",
                               seqs: (Signals.usageRecords(h, t, days: w.baseline.lowerBound, to: w.baseline.upperBound)
                                   + Signals.usageRecords(h, t, days: w.recent.lowerBound, to: w.recent.upperBound)).map(\.seq))
    }
}
