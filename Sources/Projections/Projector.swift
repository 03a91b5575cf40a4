import EventLog
import GRDB
import ThroughlineCore

/// Folds committed events into the read models. Each batch and the checkpoint that covers it
/// commit in one SQLite transaction, so a crash never applies an event twice or skips one.
/// Items that depend on several events (a ticket's lifecycle, a week of usage, profile changes)
/// are recomputed from their stored group once per batch, in event order, so the result does
/// not depend on the order events arrived in.
public final class Projector: Sendable {
    public let store: ProjectionStore
    /// Events per transaction.
    public let batchSize: Int

    public init(store: ProjectionStore, batchSize: Int = 20_000) {
        self.store = store
        self.batchSize = batchSize
    }

    /// Applies everything in `snapshot` after the checkpoint; returns the new checkpoint.
    /// `progress(applied)` is called after each batch; returning false stops after that batch.
    @discardableResult
    public func catchUp(_ snapshot: LogSnapshot, progress: (UInt64) -> Bool = { _ in true }) throws -> UInt64 {
        var checkpoint = try store.checkpoint()
        while checkpoint < snapshot.lastSeq {
            var batch: [StoredEvent] = []
            batch.reserveCapacity(min(batchSize, Int(snapshot.lastSeq - checkpoint)))
            try snapshot.forEachView(from: checkpoint + 1) { view in
                batch.append(StoredEvent(seq: view.seq, recordedMicros: view.recordedMicros, event: try view.event()))
                return batch.count < batchSize
            }
            guard let last = batch.last?.seq else { break }
            try store.write { db in
                var dirty = Dirty()
                for e in batch { try apply(e, db, &dirty) }
                try dirty.flush(db)
                try db.execute(sql: "UPDATE meta SET value = ? WHERE key = 'checkpoint'", arguments: [Int64(last)])
            }
            checkpoint = last
            if !progress(checkpoint) { break }
        }
        return checkpoint
    }

    private func apply(_ e: StoredEvent, _ db: Database, _ dirty: inout Dirty) throws {
        let account = e.event.account
        let t = e.event.time.microseconds
        try db.cachedStatement(sql: """
            INSERT INTO accounts (account, events, first_us, last_us) VALUES (?, 1, ?, ?)
            ON CONFLICT (account) DO UPDATE SET events = events + 1,
                first_us = min(first_us, excluded.first_us), last_us = max(last_us, excluded.last_us)
            """).execute(arguments: [account, t, t])
        let payload: EventPayload
        do { payload = try e.event.payload() } catch {
            throw StoreError(.corrupt, "seq \(e.seq) does not decode to a v1 event: \(error)")
        }
        if let item = TimelineBuilder.single(e, payload) {
            try Self.upsert(item, account: account, db)
            return
        }
        let group: String
        switch payload {
        case .ticketOpened(let p): group = "t:" + p.ticketId
        case .ticketUpdated(let p): group = "t:" + p.ticketId
        case .ticketClosed(let p): group = "t:" + p.ticketId
        case .usageRecorded(let p): group = "u:" + TimelineBuilder.weekStart(p.periodStart).description
        case .accountUpdated: group = "p"
        default: return
        }
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO grouped (account, grp, time_us, id, seq, event) VALUES (?, ?, ?, ?, ?, ?)")
            .execute(arguments: [account, group, t, e.event.id, Int64(e.seq), JSONWriter.string(e.event.jsonValue)])
        dirty.groups.insert(Dirty.Key(account: account, group: group))
    }

    static func upsert(_ item: TimelineEntry, account: String, _ db: Database) throws {
        try db.cachedStatement(sql: """
            INSERT OR REPLACE INTO items (account, key, time_us, kind, title, source, seqs, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [account, item.key, item.timeMicros, item.kind.rawValue, item.title, item.source,
                                     JSONWriter.string(.array(item.seqs.map { .number(String($0)) })), JSONWriter.string(item.detail)])
    }
}

/// Groups touched by a batch, recomputed once at its end.
struct Dirty {
    struct Key: Hashable {
        let account: String
        let group: String
    }

    var groups = Set<Key>()

    func flush(_ db: Database) throws {
        var weeks = Set<Key>()
        for key in groups {
            if key.group.hasPrefix("t:") {
                let events = try Self.events(db, key.account, key.group)
                if let item = TimelineBuilder.ticket(String(key.group.dropFirst(2)), events) {
                    try Projector.upsert(item, account: key.account, db)
                }
            } else if key.group == "p" {
                try Self.profile(db, key.account)
            } else if key.group.hasPrefix("u:"), let week = CalendarDate(iso: String(key.group.dropFirst(2))) {
                try Self.foldWeek(db, key)
                // A week's item compares it with the four before, so the four after it change too.
                for k in 0...4 {
                    let w = CalendarDate(daysSinceEpoch: week.daysSinceEpoch + 7 * k)
                    weeks.insert(Key(account: key.account, group: w.description))
                }
            }
        }
        for key in weeks { try Self.usageItem(db, key) }
    }

    static func events(_ db: Database, _ account: String, _ group: String) throws -> [StoredEvent] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT seq, event FROM grouped WHERE account = ? AND grp = ?"),
                         arguments: [account, group]).map { row in
            let text: String = row["event"]
            do {
                return StoredEvent(seq: UInt64(row["seq"] as Int64), recordedMicros: 0, event: try EventDecoder.decode(text))
            } catch {
                throw StoreError(.corrupt, "a stored event of \(account) does not decode: \(error); rebuild the read models")
            }
        }
    }

    /// Folds a week's records into its `usage_weeks` row.
    static func foldWeek(_ db: Database, _ key: Key) throws {
        guard let w = UsageWeek(records: try events(db, key.account, key.group)) else { return }
        try db.cachedStatement(sql: """
            INSERT OR REPLACE INTO usage_weeks (account, week, active_users, events, feature_breadth, days, seqs, source)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [key.account, String(key.group.dropFirst(2)), w.activeUsers, w.events, w.featureBreadth, w.days,
                                     JSONWriter.string(.array(w.seqs.map { .number(String($0)) })), w.source])
    }

    /// The timeline item of week `key.group` (a date), from its row and the four weeks before.
    static func usageItem(_ db: Database, _ key: Key) throws {
        guard let week = CalendarDate(iso: key.group) else { return }
        let from = CalendarDate(daysSinceEpoch: week.daysSinceEpoch - 28).description
        let rows = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT week, active_users, events, feature_breadth, days, seqs, source FROM usage_weeks
            WHERE account = ? AND week >= ? AND week <= ? ORDER BY week
            """), arguments: [key.account, from, key.group])
        guard let row = rows.last, row["week"] as String == key.group else { return }
        let seqsText: String = row["seqs"]
        guard case .array(let list)? = try? JSONParser.parse(seqsText) else {
            throw StoreError(.corrupt, "usage of \(key.account) is unreadable; rebuild the read models")
        }
        let w = UsageWeek(activeUsers: row["active_users"], events: row["events"], featureBreadth: row["feature_breadth"], days: row["days"],
                          seqs: list.compactMap { if case .number(let n) = $0 { UInt64(n) } else { nil } }, source: row["source"])
        let item = TimelineBuilder.usageWeek(week, w, previous: rows.dropLast().map { $0["active_users"] as Int })
        try Projector.upsert(item, account: key.account, db)
    }

    static func profile(_ db: Database, _ account: String) throws {
        let updates = try events(db, account, "p")
        for item in TimelineBuilder.profileChanges(updates) { try Projector.upsert(item, account: account, db) }
        var profile = AccountProfile()
        for e in updates.sorted(by: eventOrder) {
            if case .accountUpdated(let u)? = try? e.event.payload() { profile.apply(u) }
        }
        try db.cachedStatement(sql: "UPDATE accounts SET profile = ? WHERE account = ?")
            .execute(arguments: [JSONWriter.string(profile.jsonValue), account])
    }
}
