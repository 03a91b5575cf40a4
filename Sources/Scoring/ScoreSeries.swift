import ThroughlineCore

/// An account's daily scores under one rules version, as the read models keep them: one point
/// per UTC day from `firstDay`, stored as the score in tenths in two bytes (0xFFFF: no score).
public struct ScoreSeries: Sendable, Equatable {
    public var firstDay: Int
    public var scores: [Double?]

    public init(firstDay: Int, scores: [Double?]) {
        self.firstDay = firstDay
        self.scores = scores
    }

    public var lastDay: Int { firstDay + scores.count - 1 }

    /// The score on `day`; nil before the first day, after the last, or when no signal had input.
    public func score(on day: Int) -> Double? {
        let i = day - firstDay
        return i >= 0 && i < scores.count ? scores[i] : nil
    }

    /// The points with their bands under `rules` (with its hysteresis, from the first day on).
    public func points(_ rules: Rules) -> [DayScore] {
        zip(scores, rules.bands(of: scores)).enumerated().map { i, p in DayScore(day: firstDay + i, score: p.0, band: p.1) }
    }

    /// The band in force on `day` under `rules`; nil outside the series or without a score.
    public func band(on day: Int, _ rules: Rules) -> Band? {
        let i = day - firstDay
        guard i >= 0 && i < scores.count else { return nil }
        return rules.hysteresis == nil ? scores[i].map(rules.band(of:)) : rules.bands(of: scores.prefix(i + 1)).last ?? nil
    }

    static let none: UInt16 = 0xFFFF

    /// Two bytes per day, little-endian.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(scores.count * 2)
        for s in scores {
            let v = s.map { UInt16(($0 * 10).rounded()) } ?? Self.none
            out.append(UInt8(v & 0xFF))
            out.append(UInt8(v >> 8))
        }
        return out
    }

    public init(firstDay: Int, bytes: some Collection<UInt8>) {
        self.firstDay = firstDay
        var scores: [Double?] = []
        scores.reserveCapacity(bytes.count / 2)
        var low: UInt8?
        for b in bytes {
            if let l = low {
                let v = UInt16(l) | UInt16(b) << 8
                scores.append(v == Self.none ? nil : Double(v) / 10)
                low = nil
            } else {
                low = b
            }
        }
        self.scores = scores
    }

    /// The series after the account's history changed from `from` on: points before `from` are
    /// kept (a day's point depends only on events up to its end), the rest computed again through
    /// the horizon (or the day the account churned). Without an earlier series, or when the
    /// history now starts earlier, every point is computed. Returns the series and the first day
    /// computed.
    public static func refreshed(_ old: ScoreSeries?, _ h: AccountHistory, rules: Rules, from: Int,
                                 horizon: Int, inputs: SweepInputs? = nil) -> (series: ScoreSeries, computedFrom: Int) {
        let through = ScoreHistory.lastDay(h, horizon: horizon)
        guard let first = ScoreHistory.firstDay(h) else { return (ScoreSeries(firstDay: through + 1, scores: []), through + 1) }
        var start = first
        var kept: [Double?] = []
        if let old, old.firstDay == first {
            start = max(first, min(from, old.lastDay + 1))
            kept = Array(old.scores.prefix(max(0, min(start, through + 1) - first)))
        }
        let computed = ScoreHistory.scores(h, rules: rules, from: start, to: through, inputs: inputs)
        return (ScoreSeries(firstDay: first, scores: kept.isEmpty ? computed : kept + computed), start)
    }
}
