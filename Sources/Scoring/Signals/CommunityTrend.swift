extension SignalKind { public static let communityTrend = named(CommunityTrend.name) }

/// Posts, answers, events attended and advocacy per day recently against the baseline, as
/// `RateDrop` reads them.
struct CommunityTrend: SignalDefinition {
    static let name = "community_trend"
    static let parameters = RateDrop.parameters(fullDrop: 75)

    let rate: RateDrop

    init(_ p: SignalParameters) { rate = RateDrop(p) }

    func read(_ h: AccountHistory, at t: Int64, explain x: Bool) -> SignalOutcome {
        rate.read(h.community, t, explain: x, events: "community activities", missing: "community activity")
    }

    func sweep(_ h: AccountHistory, _ inputs: SweepInputs) -> SweepStep { rate.sweep(h.community) }
}
