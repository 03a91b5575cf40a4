import ThroughlineCore

extension SignalKind { public static let seatUtilisation = named(SeatUtilisation.name) }

/// The peak of daily active users over the window against the seats bought: 1 at `healthy_pct`
/// or more, falling linearly to 0 with no one active.
struct SeatUtilisation: SignalDefinition {
    static let name = "seat_utilisation"
    static let parameters: [SignalParameter] = [.days("window_days", 7), .amount("healthy_pct", 80)]

    let window: Int, healthy: Double

    init(_ p: SignalParameters) {
        window = p.days("window_days")
        healthy = p.amount("healthy_pct")
    }

    var usageDays: Int { window }

    /// The peak of active users against the seats bought (> 0): 1 at `healthy` percent or more.
    static func value(peak: Int, seats: Int, healthy: Double) -> Double {
        healthy > 0 ? min(1, Double(peak) * 100 / (Double(seats) * healthy)) : 1
    }

    func read(_ h: AccountHistory, at t: Int64, explain x: Bool) -> SignalOutcome {
        guard let seats = h.seats(at: t), seats.value > 0 else { return Signals.missing(x, "no seat count in the profile") }
        let d = Day(containing: t).number, w = window
        guard let peak = h.usage(t, days: d - w + 1, to: d).peak else { return Signals.missing(x, "no usage reported in the last \(w) days") }
        let used = Double(peak) / Double(seats.value)
        return Signals.reading(x, value: Self.value(peak: peak, seats: seats.value, healthy: healthy),
                               figures: [Signals.figure("peak_active_users", Double(peak)), Signals.figure("seats", Double(seats.value)),
                                         Signals.figure("utilisation_pct", used * 100)],
                               reason: "\(peak) of \(seats.value) seats used at the peak of the last \(w) days "
                                   + "(\(NumberText.plain((used * 1000).rounded() / 10))%)",
                               seqs: [seats.seq] + Signals.usageRecords(h, t, days: d - w + 1, to: d).filter { $0.value.activeUsers == peak }.prefix(1).map(\.seq))
    }

    func sweep(_ h: AccountHistory, _ inputs: SweepInputs) -> SweepStep { Step(self, h, inputs.usage) }

    /// Carries the seats bought as last set from one day to the next.
    final class Step: SweepStep {
        private let signal: SeatUtilisation, profile: [Fact<AccountUpdated>], usage: UsageSummary
        private var applied = 0
        private var seats: Int?

        init(_ signal: SeatUtilisation, _ h: AccountHistory, _ usage: UsageSummary) {
            self.signal = signal
            profile = h.profile.items
            self.usage = usage
        }

        override func value(day d: Int, at t: Int64) -> Double? {
            while applied < profile.count && profile[applied].time <= t {
                if let bought = profile[applied].value.seats { seats = bought }
                applied += 1
            }
            guard let seats, seats > 0, let peak = usage.usage(t, days: d - signal.window + 1, to: d).peak else { return nil }
            return SeatUtilisation.value(peak: peak, seats: seats, healthy: signal.healthy)
        }
    }
}
