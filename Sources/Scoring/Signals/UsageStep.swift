/// A signal whose value on a day needs only the usage reported for the days around it. Its
/// explained reading reads the history; its sweep step reads the usage summary the sweep shares,
/// through the same `value(day:_:)`.
protocol UsageSignal: SignalDefinition {
    /// The value on day `d`, `usage(first, last)` giving the usage of those days known then.
    func value(day d: Int, _ usage: (Int, Int) -> AccountHistory.UsageWindow) -> Double?
}

extension UsageSignal {
    func sweep(_ h: AccountHistory, _ inputs: SweepInputs) -> SweepStep { UsageStep(self, inputs.usage) }
}

/// The sweep step of a usage signal: it keeps no state, and reads the summary for each day.
final class UsageStep<Signal: UsageSignal>: SweepStep {
    private let signal: Signal, usage: UsageSummary

    init(_ signal: Signal, _ usage: UsageSummary) {
        self.signal = signal
        self.usage = usage
    }

    override func value(day d: Int, at t: Int64) -> Double? {
        signal.value(day: d) { usage.usage(t, days: $0, to: $1) }
    }
}
