import ThroughlineCore

extension SignalKind { public static let daysSinceHumanContact = named(DaysSinceHumanContact.name) }

/// Whole days since the last call, meeting or human touch (or since the first event): 1 up to
/// `healthy_days`, falling linearly to 0 at `full_days`.
struct DaysSinceHumanContact: SignalDefinition {
    static let name = "days_since_human_contact"
    static let parameters: [SignalParameter] = [.days("healthy_days", 14), .days("full_days", 60)]

    let healthy: Double, full: Double

    init(_ p: SignalParameters) {
        healthy = Double(p.days("healthy_days"))
        full = Double(p.days("full_days"))
    }

    /// 1 up to `healthy` days, 0 from `full`.
    func value(days d: Double) -> Double {
        d <= healthy ? 1 : d >= full ? 0 : 1 - (d - healthy) / max(1, full - healthy)
    }

    func read(_ h: AccountHistory, at t: Int64, explain x: Bool) -> SignalOutcome {
        guard h.firstTime <= t else { return Signals.missing(x, "no events yet") }
        let last = h.contacts.latest(atOrBefore: t)
        let d = Double((t - (last?.time ?? h.firstTime)) / Day.micros)
        return Signals.reading(x, value: value(days: d), figures: [Signals.figure("days", d)],
                               reason: last == nil ? "no human contact in \(Int(d)) days since the first event" : "last human contact \(Int(d)) days ago",
                               seqs: last.map { [$0.seq] } ?? [])
    }

    func sweep(_ h: AccountHistory, _ inputs: SweepInputs) -> SweepStep { Step(self, h) }

    /// Carries how many contacts happened by the day asked.
    final class Step: SweepStep {
        private let signal: DaysSinceHumanContact, contacts: [Fact<Bool>], first: Int64
        private var applied = 0

        init(_ signal: DaysSinceHumanContact, _ h: AccountHistory) {
            self.signal = signal
            contacts = h.contacts.items
            first = h.firstTime
        }

        override func value(day d: Int, at t: Int64) -> Double? {
            while applied < contacts.count && contacts[applied].time <= t { applied += 1 }
            guard first <= t else { return nil }
            let last = applied > 0 ? contacts[applied - 1].time : first
            return signal.value(days: Double((t - last) / Day.micros))
        }
    }
}
