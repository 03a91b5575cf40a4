import ThroughlineCore

/// An account's score history as the API answers `GET /v1/accounts/{id}/scores`, typed: the
/// pages draw it and the CLI prints it from these fields, and JSON is written once, at the edge
/// (`JSONValueEncoder`), with the keys in this order.
public struct ScoreHistoryView: Codable, Sendable, Equatable {
    /// One day's score and the band in force.
    public struct Point: Codable, Sendable, Equatable {
        public var date: CalendarDate
        public var score: Double?
        public var band: Band?

        public init(_ p: DayScore) {
            (date, score, band) = (Day(p.day).date, p.score, p.band)
        }

        // Written field by field as concrete scalars: a history has a point a day.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(date.description, forKey: .date)
            if let score { try c.encode(score, forKey: .score) } else { try c.encodeNil(forKey: .score) }
            if let band { try c.encode(band.rawValue, forKey: .band) } else { try c.encodeNil(forKey: .band) }
        }

        enum CodingKeys: String, CodingKey { case date, score, band }
    }

    /// A day the band changed, with the band before and after.
    public struct Change: Codable, Sendable, Equatable {
        public var date: CalendarDate
        public var from: Band?
        public var to: Band?
    }

    public var account: String
    public var rules: String
    /// The version's state in the read models: active, candidate, retired.
    public var rulesState: String
    public var firstDate: CalendarDate
    public var lastDate: CalendarDate
    /// The latest day's point.
    public var current: Point?
    public var bandChanges: [Change]
    public var points: [Point]

    enum CodingKeys: String, CodingKey {
        case account, rules, rulesState = "rules_state", firstDate = "first_date", lastDate = "last_date", current
        case bandChanges = "band_changes", points
    }

    /// The view of `series` under `rules`: every point's band with the rules' hysteresis from the
    /// first day, and the points and band changes from `from` to `to` (days since the epoch,
    /// inclusive; all by default).
    public init(account: String, rules: Rules, state: String, series: ScoreSeries, from: Int? = nil, to: Int? = nil) {
        let all = series.points(rules)
        let shown = (from ?? .min)...(to ?? .max)
        self.account = account
        self.rules = rules.version
        rulesState = state
        firstDate = Day(series.firstDay).date
        lastDate = Day(series.lastDay).date
        current = all.last.map(Point.init)
        bandChanges = ScoreHistory.bandChanges(all).filter { shown.contains($0.day) }.map { Change(date: Day($0.day).date, from: $0.from, to: $0.to) }
        points = all.filter { shown.contains($0.day) }.map(Point.init)
    }
}
