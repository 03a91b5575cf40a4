import Foundation
import GRDB
import ThroughlineCore

/// The quick way to apply links of references that held their events alone until now: their
/// rows are moved under the account with `UPDATE`, instead of folding the account and the
/// references again from their stored records. Taken only where the rows a fold would write are
/// exactly the moved ones: no profile or outcome of the reference, no usage on both sides (a
/// week's item compares it with the weeks before), no ticket id on both sides (a ticket's item
/// is folded from all its facts). Anything else, and every merge and unlink, takes the fold.
extension ProjectionStore {
    /// Moves the rows of every reference `changes` links, and true; or false, moving nothing,
    /// when a change is not such a link.
    static func moveReferences(_ db: Database, _ changes: [(key: String, from: String, to: String)]) throws -> Bool {
        let targets = Set(changes.map(\.to))
        guard changes.allSatisfy({ $0.key == $0.from && AccountRef.isKey($0.key) }), targets.count == changes.count,
              targets.isDisjoint(with: changes.map(\.key)) else { return false }
        for c in changes where try !movable(db, c.key, into: c.to) { return false }
        for c in changes { try move(db, c.key, into: c.to) }
        return true
    }

    static func movable(_ db: Database, _ key: String, into account: String) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: """
            SELECT NOT EXISTS (SELECT 1 FROM profile_events WHERE account = ?1)
               AND NOT EXISTS (SELECT 1 FROM accounts WHERE account = ?1 AND outcome IS NOT NULL)
               AND NOT (EXISTS (SELECT 1 FROM usage_weeks WHERE account = ?1) AND EXISTS (SELECT 1 FROM usage_weeks WHERE account = ?2))
               AND NOT EXISTS (SELECT 1 FROM ticket_events k WHERE k.account = ?1
                               AND EXISTS (SELECT 1 FROM ticket_events a WHERE a.account = ?2 AND a.ticket = k.ticket))
            """), arguments: [key, account]) ?? false
    }

    /// Moves `key`'s rows under `account`: the account's counts take the reference's, its scores
    /// are computed again from the reference's first day, and a span of days both hold records
    /// of becomes one part in seq order (as a fold writes it).
    static func move(_ db: Database, _ key: String, into account: String) throws {
        for table in accountTables where !["accounts", "account_records", "scores", "score_dirty"].contains(table) {
            try db.execute(sql: "UPDATE \(table) SET account = ? WHERE account = ?", arguments: [account, key])
        }
        if let r = try Row.fetchOne(db.cachedStatement(sql: "SELECT events, first_us, last_us, last_contact_us FROM accounts WHERE account = ?"),
                                    arguments: [key]) {
            try db.execute(sql: RowStatement.account.sql, arguments: [account, r[0], r[1], r[2], r[3]])
            try db.execute(sql: "DELETE FROM accounts WHERE account = ?", arguments: [key])
            try db.execute(sql: RowStatement.scoreDirty.sql, arguments: [account, Day(containing: r[1] as Int64).number])
        }
        let shared = try Int.fetchAll(db.cachedStatement(sql: """
            SELECT DISTINCT span FROM account_records WHERE account = ? AND span IN (SELECT span FROM account_records WHERE account = ?)
            """), arguments: [key, account])
        for span in shared {
            var records: [(seq: UInt64, recorded: Int64, body: [UInt8])] = []
            var first = Int64.max
            for r in try Row.fetchAll(db.cachedStatement(sql: "SELECT part, records FROM account_records WHERE account IN (?, ?) AND span = ?"),
                                      arguments: [key, account, span]) {
                first = min(first, r[0])
                let data: Data = r[1]
                let raw = try data.withUnsafeBytes { try RecordChunk.open($0) }
                try raw.withUnsafeBytes { buf in try RecordChunk.forEach(raw: buf) { records.append(($0.seq, $0.recordedMicros, Array($0.stored))) } }
            }
            var w = ByteWriter()
            for r in records.sorted(by: { $0.seq < $1.seq }) {
                r.body.withUnsafeBytes { RecordChunk.append(seq: r.seq, recorded: r.recorded, body: $0, to: &w) }
            }
            try db.execute(sql: "DELETE FROM account_records WHERE account IN (?, ?) AND span = ?", arguments: [key, account, span])
            try db.execute(sql: RowStatement.accountRecords.sql, arguments: [account, span, first, Data(RecordChunk.seal(w.bytes))])
        }
        try db.execute(sql: "UPDATE account_records SET account = ? WHERE account = ?", arguments: [account, key])
    }
}
