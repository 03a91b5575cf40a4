import EventLog
import GRDB
import Scoring
import ThroughlineCore

/// Keeping scores current. Each batch marks the accounts its events touched, with the day of
/// the earliest (`score_dirty`); a pass scores them again from that day through the horizon,
/// loading each account's history from its stored records with the fold a replay uses. In the
/// background, a pending rules version is scored over every account's whole history, then made
/// active, and the active version's series are carried forward as the horizon moves on.
extension Projector {
    /// Accounts scored per transaction.
    public static let scoreChunk = 200

    /// Scores the marked accounts under the versions kept current (the active one, and a pending
    /// one for the accounts it has reached), `chunk` per transaction, all of them or at most
    /// `limit`; returns how many.
    @discardableResult
    public func scoreMarked(limit: Int = .max, chunk: Int = scoreChunk) throws -> Int {
        var total = 0
        while total < limit {
            let size = min(chunk, limit - total)
            let n = try store.write { db -> Int in
                let marked = try Row.fetchAll(db.cachedStatement(sql: "SELECT account, from_day FROM score_dirty LIMIT ?"),
                                              arguments: [size])
                guard !marked.isEmpty else { return 0 }
                let versions = try ProjectionStore.storedRules(db).filter { $0.state != .retired }
                let horizon = try AccountScoring.horizon(db)
                var rows = RowList()
                for r in marked {
                    let account: String = r[0], from: Int = r[1]
                    // A pending version scores an account whole when its pass reaches it.
                    let current = versions.filter { v in
                        v.state != .pending || (v.cursor.map { !$0.utf8.lexicographicallyPrecedes(account.utf8) } ?? false)
                    }
                    try AccountScoring.refresh(db, account, from: from, versions: current, horizon: horizon, &rows)
                    rows.put(.scoresDone, account)
                }
                try rows.write(db)
                return marked.count
            }
            total += n
            if n < size { break }
        }
        return total
    }

    /// One step of background scoring, `scoreChunk` accounts at most: a pending version's next
    /// accounts (made active after the last), else the active version's series that end before
    /// the horizon. Returns false when nothing is left to do.
    public func scoreBackground() throws -> Bool {
        try store.write { db -> Bool in
            let versions = try ProjectionStore.storedRules(db)
            let horizon = try AccountScoring.horizon(db)
            var rows = RowList()
            if let pending = versions.first(where: { $0.state == .pending }) {
                let accounts = try String.fetchAll(db.cachedStatement(sql: "SELECT account FROM accounts WHERE account > ? ORDER BY account LIMIT ?"),
                                                   arguments: [pending.cursor ?? "", Self.scoreChunk])
                for account in accounts {
                    try AccountScoring.refresh(db, account, from: .min, versions: [pending], horizon: horizon, &rows)
                }
                try rows.write(db)
                if accounts.count < Self.scoreChunk {
                    try db.execute(sql: "UPDATE rules SET state = 'retired' WHERE state = 'active'")
                    try db.execute(sql: "UPDATE rules SET state = 'active', cursor = NULL WHERE version = ?", arguments: [pending.version])
                    try db.execute(sql: """
                        UPDATE accounts SET (score, band) = (SELECT score, band FROM scores WHERE rules = ? AND scores.account = accounts.account)
                        """, arguments: [pending.version])
                } else {
                    try db.execute(sql: "UPDATE rules SET cursor = ? WHERE version = ?", arguments: [accounts.last, pending.version])
                }
                return true
            }
            guard let active = versions.first(where: { $0.state == .active }) else { return false }
            let stale = try Row.fetchAll(db.cachedStatement(sql: "SELECT account, last_day FROM scores WHERE rules = ? AND complete = 0 AND last_day < ? LIMIT ?"),
                                         arguments: [active.version, horizon, Self.scoreChunk])
            for r in stale {
                let account: String = r[0], last: Int = r[1]
                try AccountScoring.refresh(db, account, from: last + 1, versions: [active], horizon: horizon, &rows)
            }
            try rows.write(db)
            return stale.count == Self.scoreChunk
        }
    }
}

/// How far the scores are from current: what `GET /v1/health` reports.
public struct ScoreStatus: Sendable {
    public var active: String?
    /// A version being scored over all history, and how many accounts it has reached.
    public var pending: String?
    public var pendingAccounts = 0
    public var accounts = 0
    /// Accounts marked by new events and not yet scored again.
    public var marked = 0
    /// Accounts whose active series end before the latest day.
    public var behind = 0

    public var current: Bool { pending == nil && marked == 0 && behind == 0 }
}

extension ProjectionStore {
    public func scoreStatus() throws -> ScoreStatus {
        try read { db in
            var s = ScoreStatus()
            let rules = try Self.storedRules(db)
            s.active = rules.first { $0.state == .active }?.version
            s.accounts = try Int.fetchOne(db, sql: "SELECT count(*) FROM accounts") ?? 0
            s.marked = try Int.fetchOne(db, sql: "SELECT count(*) FROM score_dirty") ?? 0
            if let p = rules.first(where: { $0.state == .pending }) {
                s.pending = p.version
                s.pendingAccounts = try Int.fetchOne(db, sql: "SELECT count(*) FROM accounts WHERE account <= ?", arguments: [p.cursor ?? ""]) ?? 0
            }
            if let active = s.active {
                s.behind = try Int.fetchOne(db, sql: "SELECT count(*) FROM scores WHERE rules = ? AND complete = 0 AND last_day < ?",
                                            arguments: [active, try AccountScoring.horizon(db)]) ?? 0
            }
            return s
        }
    }
}
