import ThroughlineCore

extension CohortPattern {
    /// As the patterns API and `patterns --json` give it.
    public var json: JSONValue {
        var m: [JSONMember] = [JSONMember("cohort", .string(cohort))]
        if let field { m.append(JSONMember("field", .string(field))) }
        if let value { m.append(JSONMember("value", .string(value))) }
        m += [JSONMember("metric", .string(metric)), JSONMember("direction", .string(direction)),
              JSONMember("start", .string(CalendarDate(daysSinceEpoch: startDay).description)), JSONMember("weeks", .number(String(weeks))),
              JSONMember("baseline", .number(NumberText.plain((baseline * 10).rounded() / 10))), JSONMember("peak", .number(NumberText.plain((peak * 10).rounded() / 10))),
              JSONMember("z", .number(NumberText.plain(z))), JSONMember("cohort_size", .number(String(cohortSize))),
              JSONMember("accounts", .array(accounts.map { .string($0) }))]
        if let release { m.append(JSONMember("release", .string(release))) }
        if let releaseDay { m.append(JSONMember("release_date", .string(CalendarDate(daysSinceEpoch: releaseDay).description))) }
        m.append(JSONMember("seqs", .array(seqs.map { .number(String($0)) })))
        return .object(m)
    }

    /// One line: who, what, how far, since when, after what.
    public var summary: String {
        let change = baseline == 0 ? "" : " (\(peak >= baseline ? "+" : "")\(NumberText.plain(((peak - baseline) / abs(baseline) * 100).rounded()))%)"
        return "\(cohort): \(metric.replacingOccurrences(of: ":", with: " ").replacingUnderscores) \(direction) from \(NumberText.plain((baseline * 10).rounded() / 10)) "
            + "to \(NumberText.plain((peak * 10).rounded() / 10)) a week\(change) from \(CalendarDate(daysSinceEpoch: startDay))"
            + (weeks > 1 ? " for \(weeks) weeks" : "") + ", \(accounts.count) of \(cohortSize) accounts"
            + (release.map { " · after release \($0)" + (releaseDay.map { " (\(CalendarDate(daysSinceEpoch: $0)))" } ?? "") } ?? "")
    }
}

extension Resemblance {
    public var json: JSONValue {
        .object([JSONMember("account", .string(account)), JSONMember("share", .number(NumberText.plain(share))),
                 JSONMember("resembles", .array(resembles.map {
                     .object([JSONMember("account", .string($0.account)), JSONMember("churned", .string(CalendarDate(daysSinceEpoch: $0.churnDay).description)),
                              JSONMember("distance", .number(NumberText.plain($0.distance)))])
                 }))])
    }
}
