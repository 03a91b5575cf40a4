import EventLog
import Foundation
import GRDB
import Scoring
import ThroughlineCore

/// A batch of events folded in memory first: per-account counts, standalone items, ticket facts,
/// usage weeks and profile updates; then written with one row per thing touched. Groups that
/// span batches (a ticket's lifecycle, a week of usage, the profile) are merged with what the
/// read models already hold, or, when the batch holds its accounts' whole history (a rebuild),
/// folded from memory alone.
struct BatchFold {
    struct WeekKey: Hashable {
        let account: String
        let week: CalendarDate
    }

    struct TicketKey: Hashable {
        let account: String
        let ticket: String
    }

    var accounts: [String: (events: Int, first: Int64, last: Int64, contact: Int64?)] = [:]
    /// Each account's latest outcome in the batch (by event time, then seq): churned or not.
    var outcomes: [String: (time: Int64, seq: UInt64, churned: Bool)] = [:]
    /// The latest event time and append time in the batch (for the scores' horizon).
    var latestTime = Int64.min, latestRecorded = Int64.min
    /// The rows of the events that are items of their own, and of the facts of every event, put
    /// as each event comes; written in account order (then item key, or seq) from the stretches.
    var itemRows = RowList(), factRows = RowList()
    var items: [(account: String, key: String, rows: RowList.Stretch)] = []
    var tickets: [TicketKey: [TicketFact]] = [:]
    var weeks: [WeekKey: UsageWeek] = [:]
    var profiles: [String: [StoredEvent]] = [:]
    /// Each event's rows of facts for the context view, with its account and seq.
    var facts: [(account: String, seq: UInt64, rows: RowList.Stretch)] = []
    /// The identity statements of the batch (links, merges), kept for the identity table.
    var statements: [IdentityMap.Statement] = []
    /// Accounts with an event of one of `alertTypes` of the day it was appended or the day
    /// before: the live projector has the alert rules look at them at once, not only once they
    /// are scored again.
    var recent: Set<String> = []
    var alertTypes: Set<EventType> = []
    /// Accounts whose every row the fold writes anew (their stored rows were deleted: see
    /// `ProjectionStore.rehome`): nothing stored is read for them.
    var fresh: Set<String> = []

    /// The read models to merge `account`'s rows with: none for an account folded anew.
    private func merging(_ db: Database?, _ account: String) -> Database? { fresh.contains(account) ? nil : db }

    typealias Touch = (team: String, contact: Bool)
    /// Each account's records, by span of days: the first seq, and the raw `RecordChunk` entries
    /// in seq order.
    var chunks: [SpanKey: (first: UInt64, records: ByteWriter)] = [:]
    static let maxParts = 16

    struct SpanKey: Hashable {
        let account: String
        let span: Int
    }

    /// Records that could not be folded: filed as projection errors, left out of every read
    /// model, the same way by the projector and the rebuild (and left out by a replay).
    var unfoldable: [(seq: UInt64, account: String, reason: String)] = []

    /// The record as the folds take it, or nil when it does not decode to a v1 event under this
    /// version's rules (an event stored before a rule tightened, say): it is then filed in
    /// `unfoldable`, and the fold goes on without it.
    /// A `rules.activated` or a `product.released` belongs to no account and does not move the
    /// scores' horizon: the projector applies it (`RulesSwitch`, `ProductRelease`), and no fold takes it.
    mutating func foldable(_ view: RecordView) -> (StoredEvent, EventPayload)? {
        if view.type.belongsToNoAccount { return nil }
        do { return try view.foldable() } catch {
            unfoldable.append((view.seq, String(decoding: view.accountBytes, as: UTF8.self), "\(error)"))
            // The scores' horizon counts every account's record, as a rebuild's partitioning does.
            latestTime = max(latestTime, view.time.microseconds)
            latestRecorded = max(latestRecorded, view.recordedMicros)
            return nil
        }
    }

    /// Adds one event and its record (the body as the log stores it) to `account`, the account it
    /// belongs to (`IdentityMap.account(of:)` of the key it is filed under).
    mutating func add(_ e: StoredEvent, _ payload: EventPayload, record: RecordView, to account: String) throws {
        let t = e.event.time.microseconds
        let touch = TouchRule.team(e.event, payload)
        facts.append((account, e.seq, factRows.stretch { Self.fact(e, payload, account: account, touch: touch, &$0) }))
        if let statement = IdentityMap.Statement(e, payload) { statements.append(statement) }
        let key = SpanKey(account: account, span: RecordChunk.span(ofMicros: t))
        RecordChunk.append(seq: record.seq, recorded: record.recordedMicros, body: record.stored,
                           to: &chunks[key, default: (record.seq, ByteWriter())].records)
        let contact = touch?.contact == true ? t : nil
        latestTime = max(latestTime, t)
        latestRecorded = max(latestRecorded, record.recordedMicros)
        if alertTypes.contains(e.event.type), AlertRules.arrivesLive(time: t, recorded: record.recordedMicros) { recent.insert(account) }
        Self.count(&accounts[account, default: (0, t, t, nil)], time: t, contact: contact)
        switch payload {
        case .accountChurned, .accountRenewed:
            let churned = if case .accountChurned = payload { true } else { false }
            if outcomes[account].map({ ($0.time, $0.seq) < (t, e.seq) }) ?? true { outcomes[account] = (t, e.seq, churned) }
        default: break
        }
        if let item = TimelineBuilder.single(e, payload) {
            items.append((account, item.key, itemRows.stretch { Self.put(item, account: account, &$0) }))
        } else if let (ticket, fact) = TicketFact.of(e, payload) {
            tickets[TicketKey(account: account, ticket: ticket), default: []].append(fact)
        } else if case .usageRecorded(let u) = payload {
            weeks[WeekKey(account: account, week: TimelineBuilder.weekStart(u.periodStart)), default: UsageWeek()].add(e, u)
        } else if case .accountUpdated = payload {
            profiles[account, default: []].append(e)
        }
    }

    /// Counts one event at `t` (a contact, if `contact` is its time) into an account's tally.
    private static func count(_ a: inout (events: Int, first: Int64, last: Int64, contact: Int64?), time t: Int64, contact: Int64?) {
        a.events += 1
        a.first = min(a.first, t)
        a.last = max(a.last, t)
        if let contact, a.contact.map({ contact > $0 }) ?? true { a.contact = contact }
    }

    /// Puts every row the batch changes into `rows`, merging with the rows `stored` already holds
    /// (nil when no account of the batch has rows yet). Nothing is written while this reads, so
    /// what it reads is the state before the batch, merged with the batch in memory. Rows go in
    /// account order: every table's key starts with the account, so sorted writes walk each
    /// B-tree once.
    func write(to rows: inout RowList, stored: Database?) throws {
        for u in unfoldable { rows.put(.projectionError, Int64(u.seq), u.account, u.reason) }
        let order = accounts.keys.sorted()
        for account in order {
            let a = accounts[account]!
            rows.put(.account, account, a.events, a.first, a.last, a.contact)
            if let o = outcomes[account] { rows.put(.accountOutcome, o.churned ? "churned" : "renewed", o.time, account, o.time) }
            // The live projector scores the account again from the day of its earliest new event
            // (a reference no account is linked to yet has no score).
            if stored != nil && !AccountRef.isKey(account) {
                rows.put(.scoreDirty, account, Day(containing: a.first).number)
                if recent.contains(account) { rows.put(.alertDirty, account, 1) }
            }
        }
        if latestTime > .min {
            rows.put(.logDay, Day(containing: latestTime).number, "max_event_day")
            rows.put(.logDay, Day(containing: latestRecorded).number, "max_recorded_day")
        }
        // Sort positions by small keys (the account's rank, not its text), not the large values.
        let rank = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
        let itemKeys = items.map { (rank[$0.account]!, $0.key) }
        for i in items.indices.sorted(by: { itemKeys[$0] < itemKeys[$1] }) {
            rows.append(items[i].rows, of: itemRows)
        }
        for (key, new) in tickets.sorted(by: { ($0.key.account, $0.key.ticket) < ($1.key.account, $1.key.ticket) }) {
            for f in new {
                rows.put(.ticketEvent, key.account, key.ticket, f.timeMicros, f.id, Int64(f.seq), f.kind.rawValue, f.priority?.rawValue,
                             f.status, f.csat, f.subject, f.category?.rawValue, f.resolution, f.source)
            }
            let all = try merging(stored, key.account).map { db in
                try Row.fetchAll(db.cachedStatement(sql: "SELECT \(ticketColumns) FROM ticket_events WHERE account = ? AND ticket = ?"),
                                 arguments: [key.account, key.ticket]).map(ticketFact) + new
            } ?? new
            if let item = TimelineBuilder.ticket(key.ticket, all) { Self.put(item, account: key.account, &rows) }
        }
        // The stored weeks each new week is merged into or compared with: for each account, one
        // range read from four weeks before its earliest new week to four weeks after its latest.
        var storedWeeks: [WeekKey: UsageWeek] = [:]
        if let db = stored {
            var spans: [String: (CalendarDate, CalendarDate)] = [:]
            for key in weeks.keys where !fresh.contains(key.account) {
                let s = spans[key.account]
                spans[key.account] = (min(s?.0 ?? key.week, key.week), max(s?.1 ?? key.week, key.week))
            }
            for (account, (first, last)) in spans {
                for (week, w) in try Self.readWeeks(db, account, from: CalendarDate(daysSinceEpoch: first.daysSinceEpoch - 28),
                                                    to: CalendarDate(daysSinceEpoch: last.daysSinceEpoch + 28)) {
                    storedWeeks[WeekKey(account: account, week: week)] = w
                }
            }
        }
        var merged = weeks
        for key in weeks.keys {
            if let old = storedWeeks[key] { merged[key]?.merge(old) }
        }
        var touched = Set<WeekKey>()
        for (key, week) in merged.sorted(by: { ($0.key.account, $0.key.week) < ($1.key.account, $1.key.week) }) {
            rows.put(.usageWeek, key.account, key.week.description, week.activeUsers, week.events,
                         week.features.joined(separator: "\n"), Int(week.dayBits),
                         SeqsText(week.seqs), week.firstTime, week.firstID, week.source)
            // A week's item compares it with the four before, so the four after it change too.
            for k in 0...4 { touched.insert(WeekKey(account: key.account, week: CalendarDate(daysSinceEpoch: key.week.daysSinceEpoch + 7 * k))) }
        }
        func week(_ k: WeekKey) -> UsageWeek? { merged[k] ?? storedWeeks[k] }
        for key in touched.sorted(by: { ($0.account, $0.week) < ($1.account, $1.week) }) {
            guard let this = week(key) else { continue }
            let previous = (1...4).reversed().compactMap { k in
                week(WeekKey(account: key.account, week: CalendarDate(daysSinceEpoch: key.week.daysSinceEpoch - 7 * k)))?.activeUsers
            }
            Self.put(TimelineBuilder.usageWeek(key.week, this, previous: previous), account: key.account, &rows)
        }
        for (account, new) in profiles.sorted(by: { $0.key < $1.key }) {
            for e in new {
                rows.put(.profileEvent, account, e.event.time.microseconds, e.event.id, Int64(e.seq), JSONText(e.event.jsonValue))
            }
            let updates = (try merging(stored, account).map { try profileUpdates($0, account) + new } ?? new).sorted(by: eventOrder)
            for item in TimelineBuilder.profileChanges(updates) { Self.put(item, account: account, &rows) }
            var profile = AccountProfile()
            for e in updates {
                if case .accountUpdated(let u)? = try? e.event.payload() { profile.apply(u) }
            }
            rows.put(.accountProfile, JSONText(profile.jsonValue), profile.name, profile.plan, profile.csm, profile.arr,
                         profile.renewalDate?.description, account)
        }
        // Each batch adds one row per account and span (its part, named by its first seq); once a
        // span has `maxParts` parts they are folded into one, so a chunk is rewritten once per
        // `maxParts` batches that touch it, not on every batch.
        for key in chunks.keys.sorted(by: { (rank[$0.account]!, $0.span) < (rank[$1.account]!, $1.span) }) {
            let chunk = chunks[key]!
            var raw = chunk.records.bytes
            var part = Int64(chunk.first)
            if let db = merging(stored, key.account), try Int.fetchOne(db.cachedStatement(sql: "SELECT count(*) FROM account_records WHERE account = ? AND span = ?"),
                                                 arguments: [key.account, key.span]) ?? 0 >= Self.maxParts - 1 {
                var merged: [UInt8] = []
                for r in try Row.fetchAll(db.cachedStatement(sql: "SELECT part, records FROM account_records WHERE account = ? AND span = ? ORDER BY part"),
                                          arguments: [key.account, key.span]) {
                    part = min(part, r[0])
                    let data: Data = r[1]
                    merged += try data.withUnsafeBytes { try RecordChunk.open($0) }
                }
                raw = merged + raw
                rows.put(.dropAccountRecords, key.account, key.span)
            }
            rows.put(.accountRecords, key.account, key.span, part, Data(RecordChunk.seal(raw)))
        }
        let factKeys = facts.map { (rank[$0.account]!, $0.seq) }
        for i in facts.indices.sorted(by: { factKeys[$0] < factKeys[$1] }) {
            rows.append(facts[i].rows, of: factRows)
        }
        for s in statements { rows.put(.identity, Int64(s.seq), s.kind.rawValue, s.subject, s.target, s.time, s.id) }
    }

    /// The rows of facts the context view reads, for one event of `a`.
    static func fact(_ e: StoredEvent, _ payload: EventPayload, account a: String, touch: Touch?, _ rows: inout RowList) {
        let t = e.event.time.microseconds, id = e.event.id, seq = Int64(e.seq)
        if let touch {
            for team in touch.contact ? [touch.team, "contact"] : [touch.team] {
                rows.put(.touchEvent, a, team, t, id, seq)
            }
        }
        switch payload {
        case .callCompleted(let c):
            let text = ([c.summary ?? ""] + (c.topics ?? [])).joined(separator: " ").lowercased()
            rows.put(.call, a, t, id, seq, (c.kind ?? .call).rawValue, touch?.team, c.sentiment, text)
        case .milestoneUpdated(let m):
            rows.put(.milestoneEvent, a, m.milestone, t, id, seq, m.status.rawValue, m.dueDate?.description)
        case .surveyAnswered(let v):
            rows.put(.survey, a, t, id, seq, v.kind.rawValue, v.score)
        case .healthOverride(let o):
            rows.put(.override, a, t, id, seq, o.author, o.band.rawValue, o.reason, o.expires?.description)
        case .noteAdded(let n):
            rows.put(.note, a, t, id, seq, n.author, n.text, n.visibility.audience(author: n.author))
        case .taskOpened(let o):
            rows.put(.taskEvent, a, t, id, seq, o.taskID, "opened", o.title, o.dueDate?.description, o.assignee, o.alert, e.event.actor, RowList.null)
        case .taskClosed(let c):
            rows.put(.taskEvent, a, t, id, seq, c.taskID, "closed", RowList.null, RowList.null, RowList.null, RowList.null, e.event.actor, c.resolution)
        case .messageSent(let m):
            rows.put(.messageEvent, a, t, id, seq, m.messageID, m.channel.rawValue, m.template, e.event.actor, m.ticketID)
        case .ticketTriaged(let r):
            rows.put(.triageEvent, a, t, id, seq, r.ticketID, r.triage, r.priority, r.tier, JSONText(.array(r.reasons.map(\.json))))
        case .contactUpdated(let c):
            rows.put(.contact, a, t, id, seq, c.person, c.email, c.name, c.title, c.role?.rawValue, c.left, c.consentCalls, c.consentEmail)
        default:
            break
        }
        for (n, m) in PersonMention.of(e, payload).enumerated() {
            rows.put(.mention, a, t, id, n, seq, m.via.rawValue, m.handle, m.sentiment, m.ticket, m.author)
        }
    }

    static func put(_ item: TimelineEntry, account: String, _ rows: inout RowList) {
        rows.put(.item, account, item.key, item.timeMicros, item.kind.rawValue, item.title, item.source,
                     SeqsText(item.seqs), JSONText(item.detail), item.audience)
    }

    /// An account's stored weeks from `from` to `to` (inclusive), by week start.
    static func readWeeks(_ db: Database, _ account: String, from: CalendarDate, to: CalendarDate) throws -> [(CalendarDate, UsageWeek)] {
        var out: [(CalendarDate, UsageWeek)] = []
        let rows = try Row.fetchCursor(db.cachedStatement(sql: """
            SELECT week, active_users, events, features, day_bits, seqs, first_us, first_id, source FROM usage_weeks
            WHERE account = ? AND week >= ? AND week <= ?
            """), arguments: [account, from.description, to.description])
        while let r = try rows.next() {
            guard let week = CalendarDate(iso: r[0]) else {
                throw ReadModelError(.damaged, "a usage week of \(account) has an unreadable start; rebuild the read models")
            }
            var w = UsageWeek()
            w.activeUsers = r[1]
            w.events = r[2]
            let features: String = r[3]
            for f in features.split(separator: "\n") { w.addFeature(String(f)) }
            w.dayBits = UInt8(truncatingIfNeeded: r[4] as Int)
            w.seqs = parseSeqs(r[5])
            w.firstTime = r[6]
            w.firstID = r[7]
            w.source = r[8]
            out.append((week, w))
        }
        return out
    }
}
