import ThroughlineCore

extension SignalKind { public static let championChange = named(ChampionChange.name) }

/// 0 if the champion named in the profile changed within `window_days`, else 1; neutral while
/// no champion is named.
struct ChampionChange: SignalDefinition {
    static let name = "champion_change"
    static let parameters: [SignalParameter] = [.days("window_days", 90)]

    let window: Int

    init(_ p: SignalParameters) { window = p.days("window_days") }

    func read(_ h: AccountHistory, at t: Int64, explain x: Bool) -> SignalOutcome {
        let named = h.champions(at: t)
        guard let current = named.last else { return Signals.missing(x, "no champion named") }
        let since = t - Signals.days(window)
        if let change = Array(zip(named, named.dropFirst())).last(where: { $0.0.value != $0.1.value && $0.1.time > since }) {
            return Signals.reading(x, value: 0, figures: [],
                                   reason: "champion changed from \(change.0.value) to \(change.1.value) within \(window) days",
                                   seqs: [change.0.seq, change.1.seq])
        }
        return Signals.reading(x, value: 1, figures: [], reason: "champion \(current.value), unchanged for \(window) days", seqs: [current.seq])
    }

    func sweep(_ h: AccountHistory, _ inputs: SweepInputs) -> SweepStep { Step(self, h.profile.items) }

    /// Carries the champion named last, and when a fact last named another champion than the
    /// one before it.
    final class Step: SweepStep {
        private let window: Int64, profile: [Fact<AccountUpdated>]
        private var applied = 0
        private var champion: String?
        private var changed = Int64.min

        init(_ signal: ChampionChange, _ profile: [Fact<AccountUpdated>]) {
            window = Signals.days(signal.window)
            self.profile = profile
        }

        override func value(day d: Int, at t: Int64) -> Double? {
            while applied < profile.count && profile[applied].time <= t {
                if let named = profile[applied].value.champion {
                    if let before = champion, before != named { changed = profile[applied].time }
                    champion = named
                }
                applied += 1
            }
            guard champion != nil else { return nil }
            return changed > t - window ? 0 : 1
        }
    }
}
