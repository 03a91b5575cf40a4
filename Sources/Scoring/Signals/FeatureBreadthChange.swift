import ThroughlineCore

extension SignalKind { public static let featureBreadthChange = named(FeatureBreadthChange.name) }

/// Distinct features used over the window against the same span `lookback_days` earlier: 1 if
/// not fewer, falling linearly to 0 at a drop of `full_drop_pct`.
struct FeatureBreadthChange: SignalDefinition {
    static let name = "feature_breadth_change"
    static let parameters: [SignalParameter] = [.days("window_days", 28), .days("lookback_days", 90), .amount("full_drop_pct", 50)]

    let window: Int, lookback: Int, fullDrop: Double

    init(_ p: SignalParameters) {
        window = p.days("window_days")
        lookback = p.days("lookback_days")
        fullDrop = p.amount("full_drop_pct")
    }

    var usageDays: Int { lookback + window }

    /// The change (a fraction) from `before` to `now` features used; 0 from none.
    static func change(now a: Int, before b: Int) -> Double { b > 0 ? Double(a - b) / Double(b) : 0 }

    func read(_ h: AccountHistory, at t: Int64, explain x: Bool) -> SignalOutcome {
        let d = Day(containing: t).number, w = window, l = lookback
        guard let a = h.usage(t, days: d - w + 1, to: d).features else { return Signals.missing(x, "no usage reported in the last \(w) days") }
        guard let b = h.usage(t, days: d - l - w + 1, to: d - l).features else { return Signals.missing(x, "no usage reported \(l) days ago") }
        let change = Self.change(now: a, before: b)
        return Signals.reading(x, value: Signals.dropScore(change, full: fullDrop / 100),
                               figures: [Signals.figure("features_now", Double(a)), Signals.figure("features_then", Double(b)),
                                         Signals.figure("change_pct", change * 100)],
                               reason: "\(a) features used in the last \(w) days against \(b) in the same span \(l) days ago",
                               seqs: (Signals.usageRecords(h, t, days: d - l - w + 1, to: d - l) + Signals.usageRecords(h, t, days: d - w + 1, to: d)).map(\.seq))
    }

    func sweep(_ h: AccountHistory, _ inputs: SweepInputs) -> SweepStep { Step(self, inputs.usage) }

    /// Reads the usage summary for each day.
    final class Step: SweepStep {
        private let signal: FeatureBreadthChange, usage: UsageSummary

        init(_ signal: FeatureBreadthChange, _ usage: UsageSummary) {
            self.signal = signal
            self.usage = usage
        }

        override func value(day d: Int, at t: Int64) -> Double? {
            let (window, lookback) = (signal.window, signal.lookback)
            guard let a = usage.usage(t, days: d - window + 1, to: d).features,
                  let b = usage.usage(t, days: d - lookback - window + 1, to: d - lookback).features else { return nil }
            return Signals.dropScore(FeatureBreadthChange.change(now: a, before: b), full: signal.fullDrop / 100)
        }
    }
}
