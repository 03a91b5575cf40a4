import ThroughlineCore

extension TimelineEntry {
    /// The timeline item of a band change: at the end of `day` the band under `rules` moved from
    /// `from` to `to`, with the cap that held the score, if one did, and the signals that cost
    /// the most points then, and the events behind them. Keyed by rules version and day, so each
    /// version keeps its own items.
    public static func bandChange(_ h: AccountHistory, rules: Rules, day: Int, from: Band, to band: Band, previousScore: Double?) -> TimelineEntry {
        let score = Score(h, rules: rules, at: Day(day).end, band: band)
        let to = band.rawValue
        let reasons = score.topReasons.prefix(3)
        let scoreText = score.score.map { NumberText.plain($0) } ?? "none"
        return TimelineEntry(
            kind: .bandChange, timeMicros: score.at, key: bandChangeKey(rules.version, day: day),
            title: "Health \(from.rawValue) → \(to) (score \(scoreText)\(score.held.map { ", held by \($0.cap.signal.rawValue)" } ?? ""), \(rules.version))",
            source: nil, seqs: Array(Set(reasons.flatMap(\.seqs) + (score.held?.seqs ?? []))).sorted(),
            detail: .object([
                JSONMember("rules", .string(rules.version)),
                JSONMember("from", .string(from.rawValue)), JSONMember("to", .string(to)),
                JSONMember("score", score.score.map { .number(NumberText.plain($0)) } ?? .null),
                JSONMember("previous_score", previousScore.map { .number(NumberText.plain($0)) } ?? .null),
                JSONMember("reasons", .array(reasons.map { c in
                    .object([
                        JSONMember("signal", .string(c.signal.rawValue)), JSONMember("reason", .string(c.reason)),
                        JSONMember("points_lost", .number(NumberText.plain(((c.maxPoints - c.points) * 10).rounded() / 10))),
                    ])
                })),
            ] + (score.held.flatMap { try? JSONValueEncoder.encode($0.explained) }.map { [JSONMember("capped", $0)] } ?? [])))
    }

    /// `band:<version>:<date>`. Every band-change key of a version lies between the version's
    /// prefix and `bandChangeKeyEnd` (dates are digits and dashes).
    public static func bandChangeKey(_ version: String, day: Int) -> String {
        bandChangePrefix(version) + CalendarDate(daysSinceEpoch: day).description
    }

    public static func bandChangePrefix(_ version: String) -> String { "band:\(version):" }

    public static func bandChangeKeyEnd(_ version: String) -> String { bandChangePrefix(version) + "A" }
}
