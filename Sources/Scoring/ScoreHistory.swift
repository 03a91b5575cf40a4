import ThroughlineCore

/// An account's score on one UTC day: the score at the day's last microsecond.
public struct DayScore: Sendable, Equatable {
    /// Days since 1970-01-01.
    public var day: Int
    public var score: Double?
    public var band: Band?

    public init(day: Int, score: Double?, band: Band?) {
        self.day = day
        self.score = score
        self.band = band
    }
}

/// Score histories: one point per account per UTC day from its first event. Each point depends
/// only on the events up to the end of its day, so a backdated event changes the points from
/// its day on and none before.
public enum ScoreHistory {

    /// The day of the account's first event, or nil if it has none.
    public static func firstDay(_ h: AccountHistory) -> Int? { h.firstTime == .max ? nil : Day(containing: h.firstTime).number }

    /// Points for each day from `from` to `to` (inclusive): each `Score.value` at the day's end,
    /// computed in one sweep over the days, with bands from `from` on.
    public static func days(_ h: AccountHistory, rules: Rules, from: Int, to: Int) -> [DayScore] {
        ScoreSeries(firstDay: from, scores: scores(h, rules: rules, from: from, to: to)).points(rules)
    }

    /// The scores alone of the days `from` to `to` (what a stored series keeps); `inputs` when
    /// other versions score the account too.
    public static func scores(_ h: AccountHistory, rules: Rules, from: Int, to: Int, inputs: SweepInputs? = nil) -> [Double?] {
        guard from <= to else { return [] }
        var sweep = DaySweep(h, rules: rules, inputs: inputs)
        return (from...to).map { sweep.score(day: $0) }
    }

    /// The last day an account is scored when the log reaches `horizon`: the day it churned, if
    /// its latest outcome is a churn (a renewal after it starts the scores again), else `horizon`.
    public static func lastDay(_ h: AccountHistory, horizon: Int) -> Int { min(horizon, churnDay(h) ?? horizon) }

    /// The day the account churned, if its latest outcome is a churn.
    public static func churnDay(_ h: AccountHistory) -> Int? {
        h.outcomes.items.last.flatMap { $0.value ? nil : Day(containing: $0.time).number }
    }

    /// Points from the account's first event's day through `through`.
    public static func all(_ h: AccountHistory, rules: Rules, through: Int) -> [DayScore] {
        guard let first = firstDay(h) else { return [] }
        return days(h, rules: rules, from: first, to: through)
    }

    /// The days on which the band changed, with the band before and after.
    public static func bandChanges(_ points: [DayScore]) -> [(day: Int, from: Band?, to: Band?)] {
        zip(points, points.dropFirst()).compactMap { a, b in a.band != b.band ? (b.day, a.band, b.band) : nil }
    }
}
