import ThroughlineCore

extension SignalKind { public static let championChange = named(ChampionChange.name) }

/// 0 if the champion was lost within `window_days`: the profile named another champion, or the
/// people say the champion left the company or their own sentiment on calls fell by
/// `sentiment_drop` (`ChampionWatch`); else 1. Neutral while no champion is known (none named in
/// the profile, no person with the champion's role).
struct ChampionChange: SignalDefinition {
    static let name = "champion_change"
    static let parameters: [SignalParameter] = [.days("window_days", 90), .amount("sentiment_drop", SentimentShift.threshold)]

    let window: Int
    let drop: Double

    init(_ p: SignalParameters) {
        window = p.days("window_days")
        drop = p.amount("sentiment_drop")
    }

    /// When a champion is first known: named in the profile, or a person given the role.
    static func firstKnown(_ h: AccountHistory) -> Int64? {
        [h.profile.items.first { $0.value.champion != nil }?.time,
         h.contactUpdates.items.first { $0.value.role == .champion }?.time].compactMap { $0 }.min()
    }

    func read(_ h: AccountHistory, at t: Int64, explain x: Bool) -> SignalOutcome {
        guard let known = Self.firstKnown(h), known <= t else { return Signals.missing(x, "no champion known") }
        let named = h.champions(at: t)
        let since = t - Signals.days(window)
        var lost: (time: Int64, reason: String, seqs: [UInt64])?
        if let change = Array(zip(named, named.dropFirst())).last(where: { $0.0.value != $0.1.value && $0.1.time > since }) {
            lost = (change.1.time, "champion changed from \(change.0.value) to \(change.1.value) within \(window) days", [change.0.seq, change.1.seq])
        }
        if let alarm = h.championAlarms(drop: drop).last(where: { $0.time <= t && $0.time > since }), alarm.time >= lost?.time ?? .min {
            lost = (alarm.time, "\(alarm.message) within \(window) days", alarm.seqs)
        }
        if let lost { return Signals.reading(x, value: 0, figures: [], reason: lost.reason, seqs: lost.seqs) }
        if let current = named.last {
            return Signals.reading(x, value: 1, figures: [], reason: "champion \(current.value), unchanged for \(window) days", seqs: [current.seq])
        }
        return Signals.reading(x, value: 1, figures: [], reason: "champion kept for \(window) days", seqs: [])
    }

    func sweep(_ h: AccountHistory, _ inputs: SweepInputs) -> SweepStep {
        Step(self, h.profile.items, alarms: h.championAlarms(drop: drop).map(\.time), known: Self.firstKnown(h))
    }

    /// Carries the champion named last, when a fact last named another champion than the one
    /// before it, and the latest champion alarm.
    final class Step: SweepStep {
        private let window: Int64, profile: [Fact<AccountUpdated>], alarms: [Int64], known: Int64
        private var applied = 0, alarmed = 0
        private var champion: String?
        private var changed = Int64.min

        init(_ signal: ChampionChange, _ profile: [Fact<AccountUpdated>], alarms: [Int64], known: Int64?) {
            window = Signals.days(signal.window)
            self.profile = profile
            self.alarms = alarms
            self.known = known ?? .max
        }

        override func value(day d: Int, at t: Int64) -> Double? {
            while applied < profile.count && profile[applied].time <= t {
                if let named = profile[applied].value.champion {
                    if let before = champion, before != named { changed = max(changed, profile[applied].time) }
                    champion = named
                }
                applied += 1
            }
            while alarmed < alarms.count && alarms[alarmed] <= t {
                changed = max(changed, alarms[alarmed])
                alarmed += 1
            }
            guard known <= t else { return nil }
            return changed > t - window ? 0 : 1
        }
    }
}
