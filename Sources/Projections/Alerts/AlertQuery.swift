import GRDB
import Scoring
import ThroughlineCore

extension ProjectionStore {
    /// The firings of `alerts` for `account` whose moment falls on one of `days` (every scored
    /// day if nil), under the active health rules, from the read models as they stand.
    public func alertFirings(_ alerts: AlertRules, account: String, days: ClosedRange<Int>? = nil) throws -> [AlertFiring] {
        let loaded = try read { db -> (AccountHistory, ScoreSeries, Rules, Int)? in
            guard let active = try Self.storedRules(db).first(where: { $0.state == .active }),
                  let series = try AccountScoring.series(db, active.version, account), !series.scores.isEmpty,
                  let h = try Self.history(db, account) else { return nil }
            return (h, series, active.rules, try AccountScoring.horizon(db))
        }
        guard let (h, series, rules, horizon) = loaded else { return [] }
        let span = days ?? series.firstDay...max(series.firstDay, min(horizon, series.lastDay))
        let subject = AlertSubject(history: h, series: series, rules: rules) { day in
            let asOf = Day(day).end
            return try self.facts(account, asOf: asOf).map { ContextView.build($0, asOf: asOf).flags } ?? []
        }
        return try AlertEngine.firings(alerts, subject, days: span)
    }

    /// The day scores are computed through (`AccountScoring.horizon`).
    public func scoreHorizon() throws -> Int { try read(AccountScoring.horizon) }

    /// Accounts scored again under the active rules since the alerter last looked at them, with
    /// the mark that says which scoring it saw (at most `limit`).
    public func alertMarks(limit: Int) throws -> [(account: String, mark: Int64)] {
        try read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT account, mark FROM alert_dirty LIMIT ?"), arguments: [limit]).map { ($0[0], $0[1]) }
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
        let (accounts, horizon, active) = try read { db in
            (try String.fetchAll(db, sql: "SELECT account FROM accounts ORDER BY account"), try AccountScoring.horizon(db),
             try Self.storedRules(db).first { $0.state == .active }?.version ?? "")
        }
        var out: [AlertReplayReport.Account] = []
        for account in accounts where !AccountRef.isKey(account) {
            let firings = try alertFirings(alerts, account: account)
            for f in firings { each(f) }
            let churn = try read { db in try Self.history(db, account, only: [.accountChurned, .accountRenewed]) }.flatMap(ScoreHistory.churnDay)
            out.append(AlertReplayReport.Account(account: account, churnDay: churn, firings: firings))
        }
        return AlertReplayReport(alerts: alerts, rules: active, through: horizon, window: window, accounts: out)
    }
}
