import ThroughlineCore

extension SignalKind { public static let usageTrend = named(UsageTrend.name) }

/// Mean daily active users over the recent days against the baseline days before them: 1 if
/// flat or up, falling linearly to 0 at a drop of `full_drop_pct`.
struct UsageTrend: UsageSignal {
    static let name = "usage_trend"
    static let parameters: [SignalParameter] = [.days("recent_days", 7), .days("baseline_days", 28), .amount("full_drop_pct", 50)]

    let recent: Int, baseline: Int, fullDrop: Double

    init(_ p: SignalParameters) {
        recent = p.days("recent_days")
        baseline = p.days("baseline_days")
        fullDrop = p.amount("full_drop_pct")
    }

    var usageDays: Int { recent + baseline }

    /// The change (a fraction) from `before` to `now` active users a day; 1 from none to some.
    static func change(now n: Double, before m: Double) -> Double { m > 0 ? (n - m) / m : (n > 0 ? 1 : 0) }

    /// The recent days and the baseline days before them, for day `d`.
    func windows(day d: Int) -> (recent: ClosedRange<Int>, baseline: ClosedRange<Int>) {
        ((d - recent + 1)...d, (d - recent - baseline + 1)...(d - recent))
    }

    func value(now n: Double, before m: Double) -> Double { Signals.dropScore(Self.change(now: n, before: m), full: fullDrop / 100) }

    func value(day d: Int, _ usage: (Int, Int) -> AccountHistory.UsageWindow) -> Double? {
        let w = windows(day: d)
        guard let n = usage(w.recent.lowerBound, w.recent.upperBound).mean,
              let m = usage(w.baseline.lowerBound, w.baseline.upperBound).mean else { return nil }
        return value(now: n, before: m)
    }

    func read(_ h: AccountHistory, at t: Int64, explain x: Bool) -> SignalOutcome {
        let d = Day(containing: t).number, r = recent, b = baseline, w = windows(day: d)
        guard let n = h.usage(t, days: w.recent.lowerBound, to: w.recent.upperBound).mean else {
            return Signals.missing(x, "no usage reported in the last \(r) days")
        }
        guard let m = h.usage(t, days: w.baseline.lowerBound, to: w.baseline.upperBound).mean else {
            return Signals.missing(x, "no usage reported in the \(b) days before the last \(r)")
        }
        let change = Self.change(now: n, before: m)
        return Signals.reading(x, value: value(now: n, before: m),
                               figures: [Signals.figure("active_users_recent", n), Signals.figure("active_users_baseline", m),
                                         Signals.figure("change_pct", change * 100)],
                               reason: "active users \(NumberText.plain((n * 10).rounded() / 10)) a day over \(r) days against "
                                   + "\(NumberText.plain((m * 10).rounded() / 10)) over the \(b) before (\(Signals.pct(change)))",
                               seqs: (Signals.usageRecords(h, t, days: w.baseline.lowerBound, to: w.baseline.upperBound)
                                   + Signals.usageRecords(h, t, days: w.recent.lowerBound, to: w.recent.upperBound)).map(\.seq))
    }
}
