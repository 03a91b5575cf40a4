import ThroughlineCore

extension SignalKind { public static let featureBreadthChange = named(FeatureBreadthChange.name) }

/// Distinct features used over the window against the same span `lookback_days` earlier: 1 if
/// not fewer, falling linearly to 0 at a drop of `full_drop_pct`.
struct FeatureBreadthChange: UsageSignal {
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

    /// The last `window` days up to day `d`, and the same span `lookback` days earlier.
    func windows(day d: Int) -> (now: ClosedRange<Int>, then: ClosedRange<Int>) {
        ((d - window + 1)...d, (d - lookback - window + 1)...(d - lookback))
    }

    func value(now a: Int, before b: Int) -> Double { Signals.dropScore(Self.change(now: a, before: b), full: fullDrop / 100) }

    func value(day d: Int, _ usage: (Int, Int) -> AccountHistory.UsageWindow) -> Double? {
        let w = windows(day: d)
        guard let a = usage(w.now.lowerBound, w.now.upperBound).features, let b = usage(w.then.lowerBound, w.then.upperBound).features else { return nil }
        return value(now: a, before: b)
    }

    func read(_ h: AccountHistory, at t: Int64, explain x: Bool) -> SignalOutcome {
        let d = Day(containing: t).number, w = windows(day: d)
        guard let a = h.usage(t, days: w.now.lowerBound, to: w.now.upperBound).features else {
            return Signals.missing(x, "no usage reported in the last \(window) days")
        }
        guard let b = h.usage(t, days: w.then.lowerBound, to: w.then.upperBound).features else {
            return Signals.missing(x, "no usage reported \(lookback) days ago")
        }
        let change = Self.change(now: a, before: b)
        return Signals.reading(x, value: value(now: a, before: b),
                               figures: [Signals.figure("features_now", Double(a)), Signals.figure("features_then", Double(b)),
                                         Signals.figure("change_pct", change * 100)],
                               reason: "\(a) features used in the last \(window) days against \(b) in the same span \(lookback) days ago",
                               seqs: (Signals.usageRecords(h, t, days: w.then.lowerBound, to: w.then.upperBound)
                                   + Signals.usageRecords(h, t, days: w.now.lowerBound, to: w.now.upperBound)).map(\.seq))
    }
}
