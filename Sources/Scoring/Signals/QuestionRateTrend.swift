extension SignalKind { public static let questionRateTrend = named(QuestionRateTrend.name) }

/// Question and how-to tickets per day recently against the baseline (customers who stop asking
/// have often stopped trying), as `RateDrop` reads them.
struct QuestionRateTrend: SignalDefinition {
    static let name = "question_rate_trend"
    static let parameters = RateDrop.parameters(fullDrop: 60)

    let rate: RateDrop

    init(_ p: SignalParameters) { rate = RateDrop(p) }

    func read(_ h: AccountHistory, at t: Int64, explain x: Bool) -> SignalOutcome {
        rate.read(h.questions, t, explain: x, events: "questions", missing: "questions")
    }

    func sweep(_ h: AccountHistory, _ inputs: SweepInputs) -> SweepStep { rate.sweep(h.questions) }
}
