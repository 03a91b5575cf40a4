import EventLog
import Foundation
import GRDB
import Scoring
import ThroughlineCore

extension ProjectionStore {
    /// The rules version `version` names (the active one when nil), or an error naming the
    /// versions the read models hold.
    func rulesVersion(_ db: Database, _ version: String?) throws -> StoredRules {
        let stored = try Self.storedRules(db)
        if let r = stored.first(where: { version == nil ? $0.state == .active : $0.version == version }) { return r }
        let known = stored.map { "\($0.version) (\($0.state.rawValue))" }.joined(separator: ", ")
        throw ReadModelError(.notFound, "rules: no version \(version ?? "active") is stored; the read models hold \(known)")
    }

    /// An account's daily scores under a rules version (the active one by default), or nil if
    /// the account has none.
    public func scoreSeries(_ account: String, rules version: String? = nil) throws -> (rules: StoredRules, series: ScoreSeries)? {
        try read { db in
            let rules = try rulesVersion(db, version)
            return try AccountScoring.series(db, rules.version, account).map { (rules, $0) }
        }
    }

    /// An account's score history as the API shows it: one point per day from `from` to `to`
    /// (days since the epoch, inclusive; the whole series by default), the current score and
    /// the band changes; nil if the account has no scores.
    public func scores(_ account: String, rules version: String? = nil, from: Int? = nil, to: Int? = nil) throws -> ScoreHistoryView? {
        guard let (stored, series) = try scoreSeries(account, rules: version) else { return nil }
        return ScoreHistoryView(account: account, rules: stored.rules, state: stored.state.rawValue, series: series, from: from, to: to)
    }

    /// Why an account scores what it does at the end of the day of `at` (the latest scored day
    /// by default), computed from the account's history; nil if it has no events.
    public func explain(_ account: String, at: Int64? = nil, rules version: String? = nil) throws -> ScoreExplanation? {
        try read { db in
            let rules = try rulesVersion(db, version)
            let series = try AccountScoring.series(db, rules.version, account)
            // A store that has projected nothing has no horizon yet (its marker is far before 1970).
            let day = try at.map { Day(containing: $0).number } ?? series?.lastDay ?? max(AccountScoring.horizon(db), 0)
            return try Self.score(db, account, rules.rules, day: day, series: series).map { score in
                var explained = score.explanation
                explained.account = account
                return explained
            }
        }
    }

    /// The account's score at the end of `day`, explained, from its history up to then (without
    /// the usage records no window of that day reads), with the band in force that day in its
    /// stored `series` if the series has the day; nil if it has no events.
    static func score(_ db: Database, _ account: String, _ rules: Rules, day: Int, series: ScoreSeries?) throws -> Score? {
        try history(db, account, to: Day(day).end, usageAfter: Signals.usageIrrelevant(before: day, rules)).map { h in
            let inForce = series.flatMap { day >= $0.firstDay && day <= $0.lastDay ? $0.band(on: day, rules) : nil }
            return inForce.map { Score(h, rules: rules, at: Day(day).end, band: $0) } ?? Score(h, rules: rules, at: Day(day).end)
        }
    }
}

extension ProjectionStore {
    /// The health section of the context view as of `asOf`, under the active rules: the score
    /// at the end of the last whole day before `asOf` (the latest scored day if that is later),
    /// its band, how it moved over 7 and 30 days, the reasons that cost the most points, and the
    /// CSM override in force beside it, flagged when it disagrees. The latest day's summary is
    /// stored; an earlier day's is computed from the account's history. Nil before the account's
    /// first scored day.
    func health(_ account: String, asOf: Int64) throws -> AccountContext.Health? {
        try read { db in
            let rules = try rulesVersion(db, nil)
            guard let series = try AccountScoring.series(db, rules.version, account), !series.scores.isEmpty else { return nil }
            // The last whole day before `asOf` (or the day it ends): no event after `asOf` counts.
            let day = min(Day(containing: asOf + 1).number - 1, series.lastDay)
            guard day >= series.firstDay else { return nil }
            let summary: AccountContext.Health.Summary
            if day == series.lastDay, let stored = try AccountScoring.summary(db, rules.version, account) {
                do { summary = try JSONValueDecoder.decode(AccountContext.Health.Summary.self, from: stored) } catch {
                    throw ReadModelError(.damaged, "the stored health summary of \(account) under \(rules.version) is not a summary: \(error); rebuild the read models")
                }
            } else if let score = try Self.score(db, account, rules.rules, day: day, series: series) {
                summary = try JSONValueDecoder.decode(AccountContext.Health.Summary.self, from: .object(score.summary))
            } else {
                return nil
            }
            let now = series.score(on: day)
            func change(_ days: Int) -> Double? {
                guard let a = now, let b = series.score(on: day - days) else { return nil }
                return ((a - b) * 10).rounded() / 10
            }
            return AccountContext.Health(rules: rules.version, date: CalendarDate(daysSinceEpoch: day).description, change7d: change(7),
                                         change30d: change(30), summary: summary)
        }
    }
}
