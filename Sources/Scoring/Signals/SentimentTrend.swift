import ThroughlineCore

extension SignalKind { public static let sentimentTrend = named(SentimentTrend.name) }

/// Mean sentiment of calls and ticket updates recently against the baseline: 1 if not falling,
/// 0 at a fall of `full_drop` on the −1..1 scale; neutral without sentiment in either window.
struct SentimentTrend: SignalDefinition {
    static let name = "sentiment_trend"
    static let parameters: [SignalParameter] = [.days("recent_days", 30), .days("baseline_days", 90), .amount("full_drop", 0.5)]

    let recent: Int, baseline: Int, fullDrop: Double

    init(_ p: SignalParameters) {
        recent = p.days("recent_days")
        baseline = p.days("baseline_days")
        fullDrop = p.amount("full_drop")
    }

    /// 1 when the mean sentiment did not fall, 0 when it fell by `fullDrop`.
    func value(_ delta: Double) -> Double { delta >= 0 ? 1 : fullDrop > 0 ? max(0, 1 + delta / fullDrop) : 0 }

    func read(_ h: AccountHistory, at t: Int64, explain x: Bool) -> SignalOutcome {
        let (now, before) = Signals.windows(h.sentiment, t, recent: recent, baseline: baseline)
        guard !now.isEmpty else { return Signals.missing(x, "no call or ticket sentiment in the last \(recent) days") }
        guard !before.isEmpty else { return Signals.missing(x, "no call or ticket sentiment in the \(baseline) days before") }
        let a = now.reduce(0) { $0 + $1.value } / Double(now.count), b = before.reduce(0) { $0 + $1.value } / Double(before.count)
        let delta = a - b
        return Signals.reading(x, value: value(delta),
                               figures: [Signals.figure("recent", a), Signals.figure("baseline", b), Signals.figure("change", delta)],
                               reason: "sentiment \(NumberText.plain((a * 100).rounded() / 100)) over \(recent) days against "
                                   + "\(NumberText.plain((b * 100).rounded() / 100)) before",
                               seqs: (before + now).map(\.seq))
    }

    func sweep(_ h: AccountHistory, _ inputs: SweepInputs) -> SweepStep {
        WindowStep(h.sentiment, recent: recent, baseline: baseline, values: { $0 }) { w in
            guard w.recent > 0 && w.baseline > 0 else { return nil }
            return value(w.recentSum / Double(w.recent) - w.baselineSum / Double(w.baseline))
        }
    }
}
