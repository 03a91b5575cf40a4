import EventLog
import Foundation
import GRDB
import Scoring
import ThroughlineCore

extension ProjectionStore {
    /// An account's history folded from its stored records (with the fold a replay of the log
    /// uses), or nil if it has none. `from`/`to` limit it to events with times between them
    /// (inclusive), `only` to some types; the records left out are skipped undecoded.
    /// `usageAfter` leaves out (undecoded, but counted towards the first event time) usage records
    /// at or before it: those no score from some day on can read (`Signals.usageIrrelevant`).
    public func history(_ account: String, from: Int64? = nil, to: Int64? = nil, only: Set<EventType>? = nil,
                        usageAfter: Int64? = nil) throws -> AccountHistory? {
        try read { db in try Self.history(db, account, from: from, to: to, only: only, usageAfter: usageAfter) }
    }

    static func history(_ db: Database, _ account: String, from: Int64? = nil, to: Int64? = nil,
                        only: Set<EventType>? = nil, usageAfter: Int64? = nil) throws -> AccountHistory? {
        var sql = "SELECT records FROM account_records WHERE account = ?"
        var args: StatementArguments = [account]
        if let from {
            sql += " AND span >= ?"
            args += [RecordChunk.span(ofMicros: from)]
        }
        if let to {
            sql += " AND span <= ?"
            args += [RecordChunk.span(ofMicros: to)]
        }
        var history = AccountHistory(account: account)
        var found = false
        let chunks = try Data.fetchCursor(db.cachedStatement(sql: sql + " ORDER BY span, part"), arguments: args)
        while let data = try chunks.next() {
            found = true
            do {
                let raw = try data.withUnsafeBytes { try RecordChunk.open($0) }
                try raw.withUnsafeBytes { buf in
                    try RecordChunk.forEach(raw: buf) { view in
                        if let only, !only.contains(view.type) { return }
                        let t = view.time.microseconds
                        if let from, t < from { return }
                        if let to, t > to { return }
                        if let usageAfter, t <= usageAfter, view.type == .usageRecorded {
                            history.noteTime(t)
                            return
                        }
                        let (e, payload) = try Projector.decode(view)
                        history.add(e, payload)
                    }
                }
            } catch {
                throw StoreError(.corrupt, "the stored records of \(account) do not decode: \(error); rebuild the read models")
            }
        }
        return found ? history : nil
    }
}
