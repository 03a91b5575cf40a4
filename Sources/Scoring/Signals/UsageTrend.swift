import ThroughlineCore

extension SignalKind { public static let usageTrend = named(UsageTrend.name) }

/// Mean daily active users over the recent days against the baseline days before them: 1 if
/// flat or up, falling linearly to 0 at a drop of `full_drop_pct`.
struct UsageTrend: SignalDefinition {
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

    func read(_ h: AccountHistory, at t: Int64, explain x: Bool) -> SignalOutcome {
        let d = Day(containing: t).number, r = recent, b = baseline
        guard let n = h.usage(t, days: d - r + 1, to: d).mean else { return Signals.missing(x, "no usage reported in the last \(r) days") }
        guard let m = h.usage(t, days: d - r - b + 1, to: d - r).mean else {
            return Signals.missing(x, "no usage reported in the \(b) days before the last \(r)")
        }
        let change = Self.change(now: n, before: m)
        return Signals.reading(x, value: Signals.dropScore(change, full: fullDrop / 100),
                               figures: [Signals.figure("active_users_recent", n), Signals.figure("active_users_baseline", m),
                                         Signals.figure("change_pct", change * 100)],
                               reason: "active users \(NumberText.plain((n * 10).rounded() / 10)) a day over \(r) days against "
                                   + "\(NumberText.plain((m * 10).rounded() / 10)) over the \(b) before (\(Signals.pct(change)))",
                               seqs: (Signals.usageRecords(h, t, days: d - r - b + 1, to: d - r) + Signals.usageRecords(h, t, days: d - r + 1, to: d)).map(\.seq))
    }

    func sweep(_ h: AccountHistory, _ inputs: SweepInputs) -> SweepStep { Step(self, inputs.usage) }

    /// Reads the usage summary for each day.
    final class Step: SweepStep {
        private let signal: UsageTrend, usage: UsageSummary

        init(_ signal: UsageTrend, _ usage: UsageSummary) {
            self.signal = signal
            self.usage = usage
        }

        override func value(day d: Int, at t: Int64) -> Double? {
            let (recent, baseline) = (signal.recent, signal.baseline)
            guard let n = usage.usage(t, days: d - recent + 1, to: d).mean,
                  let m = usage.usage(t, days: d - recent - baseline + 1, to: d - recent).mean else { return nil }
            return Signals.dropScore(UsageTrend.change(now: n, before: m), full: signal.fullDrop / 100)
        }
    }
}
