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
        var history = AccountHistory(account: account)
        // Tickets and notes are folded from fields that are not personal: left sealed (`RecordView.readWhileSealed`).
        let found = try forEachAccountRecord(db, account, from: from, to: to, opening: .readers) { view in
            if let only, !only.contains(view.type) { return }
            let t = view.time.microseconds
            if let from, t < from { return }
            if let to, t > to { return }
            if let usageAfter, t <= usageAfter, view.type == .usageRecorded {
                history.noteTime(t)
                return
            }
            // Usage, tickets, calls, community and notes read from their bytes, as a replay reads them.
            if history.add(view) { return }
            let (e, payload) = try Projector.decode(view.isSealed ? try RecordView(seq: view.seq, recordedMicros: view.recordedMicros, body: view.stored) : view)
            history.add(e, payload)
        }
        return found ? history : nil
    }

    /// Calls `body` with each record the read models keep for `account` in the spans of days
    /// holding event times `from` to `to` (all by default), span by span; returns whether the
    /// account has any records there. Records outside `from`/`to` within those spans are passed
    /// too. A record that does not decode, or an error of `body`, is damage in the read models.
    @discardableResult
    static func forEachAccountRecord(_ db: Database, _ account: String, from: Int64? = nil, to: Int64? = nil, opening: RecordView.Opening = .all,
                                     _ body: (RecordView) throws -> Void) throws -> Bool {
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
        var found = false
        let chunks = try Data.fetchCursor(db.cachedStatement(sql: sql + " ORDER BY span, part"), arguments: args)
        while let data = try chunks.next() {
            found = true
            do {
                let raw = try data.withUnsafeBytes { try RecordChunk.open($0) }
                try raw.withUnsafeBytes { buf in try RecordChunk.forEach(raw: buf, opening: opening, body) }
            } catch {
                throw ReadModelError(.damaged, "the stored records of \(account) do not decode: \(error); rebuild the read models")
            }
        }
        return found
    }
}

extension ProjectionStore {
    /// One account's stored events not yet at `after`, in seq order, from the records the read models
    /// keep per account (so the cost is the account's, not the log's): NDJSON lines appended to
    /// `out`, stopping after `limit` lines or once `out` holds `maxBytes`. Returns how many lines
    /// were written, the last seq written if it stopped early, and the checkpoint the records
    /// reach: every event of the account up to it is here; later ones are in the log only.
    public func accountEvents(_ account: String, after: LogPosition, limit: Int, maxBytes: Int, into out: inout [UInt8],
                              as shown: EventShowing = .asStored) throws -> (written: Int, stoppedAt: UInt64?, checkpoint: LogPosition) {
        try read { db in
            let checkpoint = try Self.checkpoint(db, after.partitioning)
            // First the seqs and sizes alone, to find where the page ends; then the page's records,
            // so memory is the page's, however many events the account has.
            var sizes: [(seq: UInt64, bytes: Int)] = []
            try Self.forEachAccountRecord(db, account) { view in
                if !after.covers(view.seq) { sizes.append((view.seq, view.body.count)) }
            }
            sizes.sort { $0.seq < $1.seq }
            var end = 0, bytes = 0
            while end < sizes.count, end < limit, end == 0 || bytes < maxBytes {
                bytes += sizes[end].bytes + 64
                end += 1
            }
            guard end > 0 else { return (0, nil, checkpoint) }
            let last = sizes[end - 1].seq
            var page: [(seq: UInt64, line: [UInt8])] = []
            page.reserveCapacity(end)
            try Self.forEachAccountRecord(db, account) { view in
                guard !after.covers(view.seq), view.seq <= last else { return }
                var line: [UInt8] = []
                try LogSnapshot.writeLine(view, into: &line, as: shown)
                page.append((view.seq, line))
            }
            for p in page.sorted(by: { $0.seq < $1.seq }) { out += p.line }
            return (end, end < sizes.count ? last : nil, checkpoint)
        }
    }

}
