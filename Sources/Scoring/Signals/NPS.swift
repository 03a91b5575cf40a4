import ThroughlineCore

extension SignalKind { public static let nps = named(NPS.name) }

/// The latest NPS answer within `lookback_days`: 0 for a detractor (≤ `detractor_max`), 0.5
/// passive, 1 for a promoter (≥ `promoter_min`); neutral without an answer.
struct NPS: SignalDefinition {
    static let name = "nps"
    static let parameters: [SignalParameter] = [.days("lookback_days", 180), .amount("detractor_max", 6), .amount("promoter_min", 9)]

    let lookback: Int, detractorMax: Double, promoterMin: Double

    init(_ p: SignalParameters) {
        lookback = p.days("lookback_days")
        detractorMax = p.amount("detractor_max")
        promoterMin = p.amount("promoter_min")
    }

    /// An answer's value and kind.
    func value(_ score: Int) -> (Double, String) {
        let s = Double(score)
        return s <= detractorMax ? (0.0, "detractor") : s >= promoterMin ? (1.0, "promoter") : (0.5, "passive")
    }

    func read(_ h: AccountHistory, at t: Int64, explain x: Bool) -> SignalOutcome {
        guard let last = h.nps.window(after: t - Signals.days(lookback), upTo: t).last else {
            return Signals.missing(x, "no NPS answer in the last \(lookback) days")
        }
        let (value, kind) = value(last.value)
        return Signals.reading(x, value: value, figures: [Signals.figure("score", Double(last.value))], reason: "latest NPS \(last.value) (\(kind))",
                               seqs: [last.seq])
    }

    func sweep(_ h: AccountHistory, _ inputs: SweepInputs) -> SweepStep { Step(self, h.nps.items) }

    /// Carries how many answers were given by the day asked.
    final class Step: SweepStep {
        private let signal: NPS, answers: [Fact<Int>], lookback: Int64
        private var applied = 0

        init(_ signal: NPS, _ answers: [Fact<Int>]) {
            self.signal = signal
            self.answers = answers
            lookback = Signals.days(signal.lookback)
        }

        override func value(day d: Int, at t: Int64) -> Double? {
            while applied < answers.count && answers[applied].time <= t { applied += 1 }
            guard applied > 0, answers[applied - 1].time > t - lookback else { return nil }
            return signal.value(answers[applied - 1].value).0
        }
    }
}
