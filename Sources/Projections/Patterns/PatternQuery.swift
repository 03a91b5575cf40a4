import Foundation
import GRDB
import Scoring
import ThroughlineCore

/// What the cross-account patterns found: cohorts that moved together, and accounts whose
/// trajectory resembles that of accounts before they churned.
public struct PatternReport: Sendable {
    public var through: Int
    /// The health rules the trajectories are scored with.
    public var rules: String?
    /// The weeks looked at: from `firstDay`, `weeks` full weeks (the week of the horizon is left
    /// out until it is over).
    public var firstDay: Int
    public var weeks: Int
    public var cohorts: [CohortPattern]
    public var resemblances: [Resemblance]
}

extension ProjectionStore {
    /// The most weeks of history the cohort patterns read (two years).
    public static let patternWeeks = 104

    /// The cohort patterns whose first week is among the last `recentWeeks` (every week read if
    /// nil), and the accounts resembling churned ones, from the read models as they stand.
    public func patterns(recentWeeks: Int? = 52) throws -> PatternReport {
        try read { db in
            let horizon = try AccountScoring.horizon(db)
            let (data, rows) = try Self.cohortData(db, horizon: horizon)
            let from = recentWeeks.map { max(0, data.weeks - $0) } ?? 0
            let cohorts = CohortPatterns.find(data, fromWeek: from)
            let active = try Self.storedRules(db).first { $0.state == .active }
            var series: [ChurnResemblance.Series] = []
            if let active {
                for r in try Row.fetchAll(db.cachedStatement(sql: "SELECT account, first_day, points FROM scores WHERE rules = ?"), arguments: [active.rules.version]) {
                    let account: String = r[0]
                    guard !AccountRef.isKey(account) else { continue }
                    let bytes: Data = r[2]
                    let s = ScoreSeries(firstDay: r[1], bytes: bytes)
                    series.append(.init(account: account, firstDay: s.firstDay, scores: s.scores, churnDay: rows[account]?.churnDay))
                }
            }
            return PatternReport(through: horizon, rules: active?.rules.version, firstDay: data.firstDay, weeks: data.weeks, cohorts: cohorts,
                                 resemblances: ChurnResemblance.find(series, horizon: horizon))
        }
    }

    /// The first day of the last full week (Monday to Sunday) through `horizon`: the week of the
    /// horizon once it is over, else the one before.
    static func lastFullWeek(horizon: Int) -> Int {
        // Before any event, the horizon lies far in the past.
        let horizon = max(0, horizon)
        let monday = TimelineBuilder.weekStart(CalendarDate(daysSinceEpoch: horizon)).daysSinceEpoch
        return horizon - monday == 6 ? monday : monday - 7
    }

    /// The accounts, their profile's text fields, and their weekly tickets (all, and by
    /// category), active users and call sentiment, over the full weeks up to `horizon`.
    static func cohortData(_ db: Database, horizon: Int) throws -> (CohortData, [String: (index: Int, churnDay: Int?)]) {
        var accounts: [CohortData.Account] = []
        var index: [String: (index: Int, churnDay: Int?)] = [:]
        var earliest = Int.max
        let personal = Set(PersonalFields.members(of: .accountUpdated).map(\.name))
        for r in try Row.fetchAll(db, sql: "SELECT account, profile, first_us, outcome, outcome_us FROM accounts ORDER BY account") {
            let account: String = r[0]
            guard !AccountRef.isKey(account) else { continue }
            var fields: [String: String] = [:]
            if let profile = try? JSONParser.parse(r[1] as String), let members = profile.members {
                // A person's name (the champion) makes no cohort; the account's own name is the account.
                for m in members where !personal.contains(m.key) && m.key != "name" {
                    if case .string(let v) = m.value, !v.isEmpty { fields[m.key] = v }
                }
            }
            let churn = (r[3] as String?) == "churned" ? (r[4] as Int64?).map { Day(containing: $0).number } : nil
            index[account] = (accounts.count, churn)
            accounts.append(.init(account: account, fields: fields, firstDay: Day(containing: r[2]).number, churnDay: churn))
            earliest = min(earliest, Day(containing: r[2]).number)
        }
        // No account yet (or no day scores reach): nothing to read.
        guard !accounts.isEmpty, earliest <= horizon else {
            return (CohortData(accounts: accounts, firstDay: lastFullWeek(horizon: horizon), weeks: 0, metrics: [], releases: []), index)
        }
        let monday = { (day: Int) in TimelineBuilder.weekStart(CalendarDate(daysSinceEpoch: day)).daysSinceEpoch }
        let last = lastFullWeek(horizon: horizon)
        let first = max(monday(earliest == .max ? horizon : earliest), last - 7 * (patternWeeks - 1))
        let weeks = max(0, (last - first) / 7 + 1)
        func week(_ day: Int) -> Int? {
            let w = (day - first) >= 0 ? (day - first) / 7 : -1
            return w >= 0 && w < weeks ? w : nil
        }
        let empty = [[Double?]](repeating: [Double?](repeating: nil, count: weeks), count: accounts.count)
        var tickets = CohortData.Metric(name: "tickets", kind: .count, values: empty.map { $0.map { _ in 0 } })
        var byCategory: [String: CohortData.Metric] = [:]
        let from = Day(first).start, to = Day(max(first, last + 6)).end
        for r in try Row.fetchAll(db.cachedStatement(sql: "SELECT account, time_us, category, seq FROM ticket_events WHERE kind = 1 AND time_us BETWEEN ? AND ?"),
                                  arguments: [from, to]) {
            guard let a = index[r[0] as String]?.index, let w = week(Day(containing: r[1]).number) else { continue }
            let seq = UInt64(r[3] as Int64)
            tickets.values[a][w]! += 1
            tickets.seqs[a * weeks + w, default: []].append(seq)
            if let category = r[2] as String? {
                // Changed in place: a copy taken out of the dictionary would copy every account's weeks.
                if byCategory[category] == nil {
                    byCategory[category] = CohortData.Metric(name: "tickets:" + category, kind: .count, values: empty.map { $0.map { _ in 0 } })
                }
                byCategory[category]!.values[a][w]! += 1
                byCategory[category]!.seqs[a * weeks + w, default: []].append(seq)
            }
        }
        var users = CohortData.Metric(name: "active_users", kind: .level, values: empty)
        for r in try Row.fetchAll(db.cachedStatement(sql: "SELECT account, week, active_users FROM usage_weeks WHERE week BETWEEN ? AND ?"),
                                  arguments: [CalendarDate(daysSinceEpoch: first).description, CalendarDate(daysSinceEpoch: last).description]) {
            guard let a = index[r[0] as String]?.index, let day = CalendarDate(iso: r[1] as String)?.daysSinceEpoch, let w = week(day) else { continue }
            users.values[a][w] = Double(r[2] as Int)
        }
        var sentiment = CohortData.Metric(name: "sentiment", kind: .mean, values: empty)
        var sums: [Int: (sum: Double, n: Int)] = [:]
        for r in try Row.fetchAll(db.cachedStatement(sql: "SELECT account, time_us, sentiment, seq FROM calls WHERE sentiment IS NOT NULL AND time_us BETWEEN ? AND ?"),
                                  arguments: [from, to]) {
            guard let a = index[r[0] as String]?.index, let w = week(Day(containing: r[1]).number) else { continue }
            let s = sums[a * weeks + w] ?? (0, 0)
            sums[a * weeks + w] = (s.sum + (r[2] as Double), s.n + 1)
            sentiment.seqs[a * weeks + w, default: []].append(UInt64(r[3] as Int64))
        }
        for (key, s) in sums { sentiment.values[key / weeks][key % weeks] = s.sum / Double(s.n) }
        let releases = try Row.fetchAll(db, sql: "SELECT seq, day, version, plans FROM releases ORDER BY seq").map { r in
            CohortData.Release(seq: UInt64(r[0] as Int64), day: r[1], version: r[2], plans: (r[3] as String?).map { $0.split(separator: "\n").map(String.init) })
        }
        let metrics = [tickets] + byCategory.sorted { $0.key < $1.key }.map(\.value) + [users, sentiment]
        return (CohortData(accounts: accounts, firstDay: first, weeks: weeks, metrics: metrics, releases: releases), index)
    }
}

extension PatternReport {
    /// As the patterns API and `patterns --json` give it.
    public var json: JSONValue {
        .object([JSONMember("through", .string(CalendarDate(daysSinceEpoch: through).description)),
                 JSONMember("first_week", .string(CalendarDate(daysSinceEpoch: firstDay).description)), JSONMember("weeks", .number(String(weeks))),
                 JSONMember("rules", rules.map { .string($0) } ?? .null),
                 JSONMember("cohorts", .array(cohorts.map(\.json))), JSONMember("resemblances", .array(resemblances.map(\.json)))])
    }
}
