import GRDB
import Scoring
import ThroughlineCore

/// What a pass of the alert rules reads once from the store: the active health rules and the
/// day scores are computed through.
public struct AlertScope: Sendable {
    public let rules: Rules
    public let horizon: Int
}

extension ProjectionStore {
    /// The active health rules and the scoring horizon, or nil when no rules are active.
    public func alertScope() throws -> AlertScope? {
        try read { db in
            try Self.storedRules(db).first { $0.state == .active }.map { AlertScope(rules: $0.rules, horizon: try AccountScoring.horizon(db)) }
        }
    }

    /// What the alert rules read of `account` under `scope` (nil when it has no scores under them).
    func alertSubject(_ scope: AlertScope, account: String, patterns: [CohortPattern] = []) throws -> AlertSubject? {
        let loaded = try read { db -> (AccountHistory, ScoreSeries)? in
            guard let series = try AccountScoring.series(db, scope.rules.version, account), !series.scores.isEmpty,
                  let h = try Self.history(db, account) else { return nil }
            return (h, series)
        }
        guard let (h, series) = loaded else { return nil }
        return AlertSubject(history: h, series: series, rules: scope.rules, patterns: patterns.filter { $0.accounts.contains(account) }) { day in
            let asOf = Day(day).end
            return try self.facts(account, asOf: asOf).map { ContextView.build($0, asOf: asOf).flags } ?? []
        }
    }

    /// The firings of `alerts` for `account` whose moment falls on one of `days` (every scored
    /// day through the horizon if nil), with what they were derived from.
    func alertFirings(_ alerts: AlertRules, _ scope: AlertScope, account: String, days: ClosedRange<Int>? = nil,
                      patterns: [CohortPattern] = []) throws -> (subject: AlertSubject, firings: [AlertFiring])? {
        guard let subject = try alertSubject(scope, account: account, patterns: patterns) else { return nil }
        let series = subject.series
        let span = days ?? series.firstDay...max(series.firstDay, min(scope.horizon, series.lastDay))
        return (subject, try AlertEngine.firings(alerts, subject, days: span))
    }

    /// The firings of `alerts` for `account` whose moment falls on one of `days` (every scored
    /// day if nil), under the active health rules, from the read models as they stand.
    public func alertFirings(_ alerts: AlertRules, account: String, days: ClosedRange<Int>? = nil) throws -> [AlertFiring] {
        guard let scope = try alertScope() else { return [] }
        return try alertFirings(alerts, scope, account: account, days: days)?.firings ?? []
    }

    /// The cohort patterns of a week as the alerter looked at them: the firings found, and the
    /// accounts of the patterns not scored yet (looked at again once they are: `patternFirings(_:_:)`).
    public struct PatternCheck: Sendable {
        public var week: Int
        public var cohorts: [CohortPattern]
        public var firings: [AlertFiring]
        public var unscored: [String]
    }

    /// The firings of `alerts` on the cohort patterns whose first week is the last full week
    /// before the horizon, for each account that moved in one; nil when that week is `after`
    /// (already looked at) or the rules fire on no pattern.
    public func patternFirings(_ alerts: AlertRules, after: Int?) throws -> PatternCheck? {
        guard alerts.firesOnPatterns, let scope = try alertScope(), Self.lastFullWeek(horizon: scope.horizon) != after else { return nil }
        let report = try patterns(recentWeeks: 1)
        guard report.weeks > 0 else { return nil }
        var check = PatternCheck(week: report.firstDay + 7 * (report.weeks - 1), cohorts: report.cohorts, firings: [], unscored: [])
        (check.firings, check.unscored) = try patternFirings(alerts, check, accounts: Set(report.cohorts.flatMap(\.accounts)).sorted())
        return check
    }

    /// The firings of `alerts` on `check`'s patterns for `accounts`, and those of them not scored
    /// yet (a firing found twice is stored once).
    public func patternFirings(_ alerts: AlertRules, _ check: PatternCheck, accounts: [String]) throws -> (firings: [AlertFiring], unscored: [String]) {
        guard let scope = try alertScope() else { return ([], accounts) }
        var firings: [AlertFiring] = [], unscored: [String] = []
        for account in accounts {
            guard let found = try alertFirings(alerts, scope, account: account, days: (check.week + 6)...(check.week + 6), patterns: check.cohorts) else {
                unscored.append(account)
                continue
            }
            firings += found.firings
        }
        return (firings, unscored)
    }

    /// Accounts scored again under the active rules, or with an event that may fire an alert as
    /// it arrives, since the alerter last looked at them, with the mark that says which change it
    /// saw (at most `limit`, those with such an event first).
    public func alertMarks(limit: Int) throws -> [(account: String, mark: Int64)] {
        try read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT account, mark FROM alert_dirty ORDER BY live DESC LIMIT ?"), arguments: [limit]).map { ($0[0], $0[1]) }
        }
    }

    /// Marks every account for the alerter to look at once: read models built in bulk were
    /// scored without marks, and what an account's latest days would fire must not wait for
    /// its next change of score.
    public func markEveryAccountForAlerts() throws {
        try write { db in
            var rows = RowList()
            for account in try String.fetchAll(db, sql: "SELECT account FROM accounts") where !AccountRef.isKey(account) {
                rows.put(.alertDirty, account, 0)
            }
            try rows.write(db)
        }
    }

    /// Clears the marks the alerter has dealt with; an account scored again meanwhile keeps its
    /// newer mark.
    public func clearAlertMarks(_ marks: [(account: String, mark: Int64)]) throws {
        try write { db in
            for m in marks {
                try db.execute(sql: "DELETE FROM alert_dirty WHERE account = ? AND mark = ?", arguments: [m.account, m.mark])
            }
        }
    }
}

extension ProjectionStore {
    /// What `alerts` would have fired over every account's whole history under the active health
    /// rules, with each rule's figures against the churns that came (`AlertReplayReport`); the
    /// firings of each account go to `each` as they are found. Reads only.
    public func alertReplay(_ alerts: AlertRules, window: Int = 90, each: (AlertFiring) -> Void = { _ in }) throws -> AlertReplayReport {
        let accounts = try read { db in try String.fetchAll(db, sql: "SELECT account FROM accounts ORDER BY account") }
        guard let scope = try alertScope() else {
            return AlertReplayReport(alerts: alerts, rules: "", through: try read(AccountScoring.horizon), window: window, accounts: [])
        }
        var out: [AlertReplayReport.Account] = []
        let patterns = alerts.firesOnPatterns ? try self.patterns(recentWeeks: nil).cohorts : []
        for account in accounts where !AccountRef.isKey(account) {
            guard let (subject, firings) = try alertFirings(alerts, scope, account: account, patterns: patterns) else {
                // Not scored: no firings, but its churn still counts against the rules.
                let churn = try read { db in try Self.history(db, account, only: [.accountChurned, .accountRenewed]) }.flatMap(ScoreHistory.churnDay)
                out.append(AlertReplayReport.Account(account: account, churnDay: churn, firings: []))
                continue
            }
            for f in firings { each(f) }
            out.append(AlertReplayReport.Account(account: account, churnDay: ScoreHistory.churnDay(subject.history), firings: firings))
        }
        return AlertReplayReport(alerts: alerts, rules: scope.rules.version, through: scope.horizon, window: window, accounts: out)
    }
}
