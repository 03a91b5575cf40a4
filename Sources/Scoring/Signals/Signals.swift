import ThroughlineCore

/// What a signal read from an account's history at a time.
public enum SignalOutcome: Sendable {
    /// A health value from 0 (at risk) to 1 (healthy), the figures it came from, a one-line
    /// reason and the seqs of the events behind it.
    case reading(value: Double, figures: [JSONMember], reason: String, seqs: [UInt64])
    /// No input (no usage data yet, no survey answered): neutral, left out of the score.
    case missing(String)
}

/// What the signals (each defined in a file of its own beside this one) share. A signal is a
/// pure function of an account's history up to a time (passed in; no clock). Windows are in
/// days and end at the time asked: "the last 7 days" is (t − 7 d, t].
public enum Signals {
    /// Evaluates one signal. With `explain: false` only the value is computed (the same
    /// arithmetic), without figures, reasons or seqs: what a score history needs for each day.
    public static func evaluate(_ signal: Rules.Signal, _ h: AccountHistory, at t: Int64, explain: Bool = true) -> SignalOutcome {
        signal.definition.read(h, at: t, explain: explain)
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
    static func days(_ d: Int) -> Int64 { Int64(d) * Day.micros }

    /// The last time at or before which no usage record can change a score on `day` or later
    /// under `rules`: records are read for at most the widest usage window before the day,
    /// with a week of slack for late reports.
    public static func usageIrrelevant(before day: Int, _ rules: Rules) -> Int64 {
        let widest = rules.signals.map(\.definition.usageDays).max() ?? 0
        return AccountHistory.usageRecordedAfter(firstDay: day - widest + 1)
    }

    /// The usage records of the days `first` to `last` known at `t` (the ones
    /// `AccountHistory.usage(_:days:to:)` sums up), in event order: the seqs behind a reading.
    static func usageRecords(_ h: AccountHistory, _ t: Int64, days first: Int, to last: Int) -> [Fact<AccountHistory.UsageDay>] {
        h.usage.window(after: AccountHistory.usageRecordedAfter(firstDay: first), upTo: t).filter { $0.value.day >= first && $0.value.day <= last }
    }

    /// A list's facts in the recent window (t − recent, t] and in the baseline window before it.
    static func windows<V>(_ list: FactList<V>, _ t: Int64, recent: Int, baseline: Int)
        -> (recent: ArraySlice<Fact<V>>, before: ArraySlice<Fact<V>>) {
        let split = t - days(recent)
        return (list.window(after: split, upTo: t), list.window(after: split - days(baseline), upTo: split))
    }
}
