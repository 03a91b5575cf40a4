import EventLog
import GRDB
import ThroughlineCore

/// Folds committed events into the read models. Each batch and the checkpoint that covers it
/// commit in one SQLite transaction, so a crash never applies an event twice or skips one.
/// Every result is independent of the order events arrived in: standalone items are written
/// as they are; a week of usage merges commutatively (max, sum, union); a ticket's lifecycle and
/// the profile's changes are refolded from their stored facts in event order, once per batch.
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
            var fold = BatchFold()
            var last: UInt64 = checkpoint
            var count = 0
            try snapshot.forEachView(from: checkpoint + 1) { view in
                let e = StoredEvent(seq: view.seq, recordedMicros: view.recordedMicros, event: try view.event())
                do { try fold.add(e, try e.event.payload()) } catch let error as ValidationError {
                    throw StoreError(.corrupt, "seq \(e.seq) does not decode to a v1 event: \(error)")
                }
                last = view.seq
                count += 1
                return count < batchSize
            }
            guard last > checkpoint else { break }
            try store.write { db in
                try fold.write(db)
                try db.execute(sql: "UPDATE meta SET value = ? WHERE key = 'checkpoint'", arguments: [Int64(last)])
            }
            checkpoint = last
            if !progress(checkpoint) { break }
        }
        return checkpoint
    }
}

/// One batch, folded in memory first: per-account counts, standalone items, ticket facts,
/// usage weeks and profile updates; written with one statement per row touched.
struct BatchFold {
    struct WeekKey: Hashable {
        let account: String
        let week: CalendarDate
    }

    struct TicketKey: Hashable {
        let account: String
        let ticket: String
    }

    var accounts: [String: (events: Int, first: Int64, last: Int64)] = [:]
    var items: [(String, TimelineEntry)] = []
    var tickets: [TicketKey: [TicketFact]] = [:]
    var weeks: [WeekKey: UsageWeek] = [:]
    var profiles: [String: [StoredEvent]] = [:]
    /// Events that also leave a row of facts for the context view.
    var facts: [(StoredEvent, EventPayload)] = []

    mutating func add(_ e: StoredEvent, _ payload: EventPayload) throws {
        let account = e.event.account
        let t = e.event.time.microseconds
        facts.append((e, payload))
        if let a = accounts[account] {
            accounts[account] = (a.events + 1, min(a.first, t), max(a.last, t))
        } else {
            accounts[account] = (1, t, t)
        }
        if let item = TimelineBuilder.single(e, payload) {
            items.append((account, item))
        } else if let (ticket, fact) = TicketFact.of(e, payload) {
            tickets[TicketKey(account: account, ticket: ticket), default: []].append(fact)
        } else if case .usageRecorded(let u) = payload {
            weeks[WeekKey(account: account, week: TimelineBuilder.weekStart(u.periodStart)), default: UsageWeek()].add(e, u)
        } else if case .accountUpdated = payload {
            profiles[account, default: []].append(e)
        }
    }

    /// Writes in account order: every table's key starts with the account, so sorted writes
    /// walk each B-tree once instead of jumping across it (this matters once the database is
    /// larger than the page cache, as in a rebuild).
    func write(_ db: Database) throws {
        for (account, a) in accounts.sorted(by: { $0.key < $1.key }) {
            try db.cachedStatement(sql: """
                INSERT INTO accounts (account, events, first_us, last_us) VALUES (?, ?, ?, ?)
                ON CONFLICT (account) DO UPDATE SET events = events + excluded.events,
                    first_us = min(first_us, excluded.first_us), last_us = max(last_us, excluded.last_us)
                """).execute(arguments: [account, a.events, a.first, a.last])
        }
        for (account, item) in items.sorted(by: { ($0.0, $0.1.key) < ($1.0, $1.1.key) }) { try Self.upsert(item, account: account, db) }
        for (key, facts) in tickets.sorted(by: { ($0.key.account, $0.key.ticket) < ($1.key.account, $1.key.ticket) }) {
            try Self.ticket(db, key, facts)
        }
        var touched = Set<WeekKey>()
        for (key, week) in weeks.sorted(by: { ($0.key.account, $0.key.week) < ($1.key.account, $1.key.week) }) {
            try Self.mergeWeek(db, key, week)
            // A week's item compares it with the four before, so the four after it change too.
            for k in 0...4 { touched.insert(WeekKey(account: key.account, week: CalendarDate(daysSinceEpoch: key.week.daysSinceEpoch + 7 * k))) }
        }
        for key in touched.sorted(by: { ($0.account, $0.week) < ($1.account, $1.week) }) { try Self.usageItem(db, key) }
        for (account, updates) in profiles.sorted(by: { $0.key < $1.key }) { try Self.profile(db, account, updates) }
        for (e, payload) in facts.sorted(by: { ($0.0.event.account, $0.0.seq) < ($1.0.event.account, $1.0.seq) }) {
            try Self.fact(db, e, payload)
        }
    }

    // MARK: Facts for the context view

    static func fact(_ db: Database, _ e: StoredEvent, _ payload: EventPayload) throws {
        let a = e.event.account, t = e.event.time.microseconds, id = e.event.id, seq = Int64(e.seq)
        let touch = TouchRule.team(e.event, payload)
        if let touch {
            for team in touch.contact ? [touch.team, "contact"] : [touch.team] {
                try db.cachedStatement(sql: "INSERT OR REPLACE INTO touch_events (account, team, time_us, id, seq) VALUES (?, ?, ?, ?, ?)")
                    .execute(arguments: [a, team, t, id, seq])
            }
            if touch.contact {
                try db.cachedStatement(sql: "UPDATE accounts SET last_contact_us = max(coalesce(last_contact_us, ?), ?) WHERE account = ?")
                    .execute(arguments: [t, t, a])
            }
        }
        switch payload {
        case .usageRecorded(let u):
            try db.cachedStatement(sql: "INSERT OR REPLACE INTO usage_days (account, day, id, seq, time_us, active_users, events, features) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
                .execute(arguments: [a, u.periodStart.daysSinceEpoch, id, seq, t, u.activeUsers, u.events ?? 0,
                                     (u.features ?? []).filter { $0.count > 0 }.map(\.name).joined(separator: "\n")])
        case .callCompleted(let c):
            let text = ([c.summary ?? ""] + (c.topics ?? [])).joined(separator: " ").lowercased()
            try db.cachedStatement(sql: "INSERT OR REPLACE INTO calls (account, time_us, id, seq, kind, team, sentiment, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
                .execute(arguments: [a, t, id, seq, (c.kind ?? .call).rawValue, touch?.team,
                                     c.sentiment, text])
        case .milestoneUpdated(let m):
            try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO milestone_events (account, milestone, time_us, id, seq, status, due) VALUES (?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [a, m.milestone, t, id, seq, m.status.rawValue, m.dueDate?.description])
        case .surveyAnswered(let v):
            try db.cachedStatement(sql: "INSERT OR REPLACE INTO surveys (account, time_us, id, seq, kind, score) VALUES (?, ?, ?, ?, ?, ?)")
                .execute(arguments: [a, t, id, seq, v.kind.rawValue, v.score])
        case .healthOverride(let o):
            try db.cachedStatement(sql: "INSERT OR REPLACE INTO overrides (account, time_us, id, seq, author, band, reason, expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
                .execute(arguments: [a, t, id, seq, o.author, o.band.rawValue, o.reason, o.expires?.description])
        case .noteAdded(let n):
            try db.cachedStatement(sql: "INSERT OR REPLACE INTO notes (account, time_us, id, seq, author, text) VALUES (?, ?, ?, ?, ?, ?)")
                .execute(arguments: [a, t, id, seq, n.author, n.text])
        default:
            break
        }
    }

    static func upsert(_ item: TimelineEntry, account: String, _ db: Database) throws {
        try db.cachedStatement(sql: """
            INSERT OR REPLACE INTO items (account, key, time_us, kind, title, source, seqs, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [account, item.key, item.timeMicros, item.kind.rawValue, item.title, item.source,
                                     item.seqs.map(String.init).joined(separator: ","), JSONWriter.string(item.detail)])
    }

    // MARK: Tickets

    static func ticket(_ db: Database, _ key: TicketKey, _ new: [TicketFact]) throws {
        for f in new {
            try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO ticket_events (account, ticket, time_us, id, seq, kind, priority, status, csat, subject, category, resolution, source)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [key.account, key.ticket, f.timeMicros, f.id, Int64(f.seq), f.kind.rawValue, f.priority?.rawValue,
                                         f.status, f.csat, f.subject, f.category?.rawValue, f.resolution, f.source])
        }
        let facts = try Row.fetchAll(db.cachedStatement(sql: "SELECT \(ticketColumns) FROM ticket_events WHERE account = ? AND ticket = ?"),
                                     arguments: [key.account, key.ticket]).map(ticketFact)
        if let item = TimelineBuilder.ticket(key.ticket, facts) { try upsert(item, account: key.account, db) }

    }

    // MARK: Usage

    static func mergeWeek(_ db: Database, _ key: WeekKey, _ new: UsageWeek) throws {
        var week = new
        if let stored = try readWeek(db, key.account, key.week.description) { week.merge(stored) }
        try db.cachedStatement(sql: """
            INSERT OR REPLACE INTO usage_weeks (account, week, active_users, events, features, day_bits, seqs, first_us, first_id, source)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [key.account, key.week.description, week.activeUsers, week.events,
                                     week.features.sorted().joined(separator: "\n"), Int(week.dayBits),
                                     week.seqs.map(String.init).joined(separator: ","), week.firstTime, week.firstID, week.source])
    }

    static func readWeek(_ db: Database, _ account: String, _ week: String) throws -> UsageWeek? {
        guard let r = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT active_users, events, features, day_bits, seqs, first_us, first_id, source FROM usage_weeks WHERE account = ? AND week = ?
            """), arguments: [account, week]) else { return nil }
        var w = UsageWeek()
        w.activeUsers = r["active_users"]
        w.events = r["events"]
        let features: String = r["features"]
        w.features = Set(features.split(separator: "\n").map(String.init))
        w.dayBits = UInt8(truncatingIfNeeded: r["day_bits"] as Int)
        w.seqs = parseSeqs(r["seqs"])
        w.firstTime = r["first_us"]
        w.firstID = r["first_id"]
        w.source = r["source"]
        return w
    }

    /// The timeline item of a week, from its row and the four weeks before.
    static func usageItem(_ db: Database, _ key: WeekKey) throws {
        guard let week = try readWeek(db, key.account, key.week.description) else { return }
        let previous = try Int.fetchAll(db.cachedStatement(sql: """
            SELECT active_users FROM usage_weeks WHERE account = ? AND week >= ? AND week < ? ORDER BY week
            """), arguments: [key.account, CalendarDate(daysSinceEpoch: key.week.daysSinceEpoch - 28).description, key.week.description])
        try upsert(TimelineBuilder.usageWeek(key.week, week, previous: previous), account: key.account, db)
    }

    // MARK: Profile

    static func profile(_ db: Database, _ account: String, _ new: [StoredEvent]) throws {
        for e in new {
            try db.cachedStatement(sql: "INSERT OR REPLACE INTO profile_events (account, time_us, id, seq, event) VALUES (?, ?, ?, ?, ?)")
                .execute(arguments: [account, e.event.time.microseconds, e.event.id, Int64(e.seq), JSONWriter.string(e.event.jsonValue)])
        }
        let updates = try profileUpdates(db, account)
        for item in TimelineBuilder.profileChanges(updates) { try upsert(item, account: account, db) }
        var profile = AccountProfile()
        for e in updates {
            if case .accountUpdated(let u)? = try? e.event.payload() { profile.apply(u) }
        }
        try db.cachedStatement(sql: "UPDATE accounts SET profile = ?, name = ?, plan = ?, csm = ?, arr = ?, renewal_date = ? WHERE account = ?")
            .execute(arguments: [JSONWriter.string(profile.jsonValue), profile.name, profile.plan, profile.csm, profile.arr,
                                 profile.renewalDate?.description, account])
    }
}

/// An account's stored profile updates with event time up to `asOf`, decoded, in `eventOrder`
/// (sorted here, not by SQLite, whose text order may differ from Swift's for non-ASCII ids).
func profileUpdates(_ db: Database, _ account: String, upTo asOf: Int64 = .max) throws -> [StoredEvent] {
    try Row.fetchAll(db.cachedStatement(sql: "SELECT seq, event FROM profile_events WHERE account = ? AND time_us <= ?"),
                     arguments: [account, asOf]).map { row in
        let text: String = row["event"]
        do {
            return StoredEvent(seq: UInt64(row["seq"] as Int64), recordedMicros: 0, event: try EventDecoder.decode(text))
        } catch {
            throw StoreError(.corrupt, "a stored profile event of \(account) does not decode: \(error); rebuild the read models")
        }
    }.sorted(by: eventOrder)
}

/// The columns `ticketFact` reads.
let ticketColumns = "ticket, time_us, id, seq, kind, priority, status, csat, subject, category, resolution, source"

/// A ticket fact from a `ticket_events` row.
func ticketFact(_ r: Row) -> TicketFact {
    TicketFact(seq: UInt64(r["seq"] as Int64), id: r["id"], timeMicros: r["time_us"],
               kind: TicketFact.Kind(rawValue: r["kind"]) ?? .updated,
               priority: (r["priority"] as String?).flatMap(Priority.init(rawValue:)), status: r["status"], csat: r["csat"],
               subject: r["subject"], category: (r["category"] as String?).flatMap(TicketCategory.init(rawValue:)),
               resolution: r["resolution"], source: r["source"])
}

/// `1,2,3` → [1, 2, 3].
func parseSeqs(_ text: String) -> [UInt64] { text.split(separator: ",").compactMap { UInt64($0) } }
