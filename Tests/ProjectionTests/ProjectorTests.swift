import EventLog
import Foundation
import GRDB
@testable import Projections
import Scoring
import Testing
import TestSupport
import ThroughlineCore

/// A store holding `lines` in the given order, and its read models caught up; with
/// `scoreEachBatch`, scores are kept current after every batch as the server does when idle.
func projected(_ lines: [String], batchSize: Int = 20_000, scoreEachBatch: Bool = false) throws -> (TempDir, ProjectionStore) {
    let dir = TempDir()
    let store = try EventStore(directory: dir.path, holder: "test")
    for chunk in stride(from: 0, to: lines.count, by: 5000) {
        let events = try lines[chunk..<min(lines.count, chunk + 5000)].map { try EventDecoder.encode(Array($0.utf8)) }
        _ = try store.appendAndWait(EncodedBatch(events))
    }
    let projections = try ProjectionStore(directory: dir.path)
    let projector = Projector(store: projections, batchSize: batchSize)
    try projector.catchUp(store.snapshot()) { _ in
        if scoreEachBatch {
            try? projector.scoreMarked()
            while (try? projector.scoreBackground()) == true {}
        }
        return true
    }
    try store.close()
    return (dir, projections)
}

/// Every item of an account, newest first, read page by page through the cursor.
func allItems(_ p: ProjectionStore, _ account: String, pageSize: Int = 37) throws -> [TimelineEntry] {
    var filter = TimelineFilter()
    filter.limit = pageSize
    var out: [TimelineEntry] = []
    while true {
        let page = try #require(try p.timeline(account, filter))
        out += page.items
        guard let next = page.nextCursor else { return out }
        filter.cursor = next
    }
}

extension EventDecoder {
    static func encode(_ bytes: [UInt8]) throws -> EncodedEvent {
        try bytes.withUnsafeBufferPointer { try EventDecoder.encode($0) }
    }
}

@Suite("The projector and the timeline")
struct ProjectorTests {
    static let lines = generatedLines(accounts: 12, days: 120, seed: 4, peopleShare: 0.6)

    @Test("Item counts per account equal an independent count straight from the NDJSON")
    func countsFromNDJSON() throws {
        let (_, p) = try projected(Self.lines)
        // Independent: one item per standalone event, per ticket, per usage week, per profile update.
        var expected: [String: Set<String>] = [:]
        for line in Self.lines {
            let json = try JSONParser.parse(line)
            guard case .string(let account)? = json["account"], case .string(let type)? = json["type"],
                  case .string(let id)? = json["id"], EventType(rawValue: type)?.belongsToNoAccount == false else { continue }
            let key: String
            switch type {
            case "ticket.opened", "ticket.updated", "ticket.closed":
                guard case .string(let t)? = json["data"]?["ticket_id"] else { continue }
                key = "t:" + t
            case "usage.recorded":
                guard case .string(let d)? = json["data"]?["period_start"], let date = CalendarDate(iso: d) else { continue }
                key = "u:" + TimelineBuilder.weekStart(date).description
            default:
                key = "e:" + id
            }
            expected[account, default: []].insert(key)
        }
        #expect(expected.count == 12)
        for (account, keys) in expected {
            let all = try allItems(p, account)
            // Band changes are items of the scores, not of events (checked against the log elsewhere).
            let items = all.filter { $0.kind != .bandChange }
            #expect(Set(items.map(\.key)) == keys, "\(account)")
            #expect(items.count == keys.count)
            // Newest first, strictly ordered.
            #expect(zip(all, all.dropFirst()).allSatisfy { ($0.timeMicros, $0.key) > ($1.timeMicros, $1.key) })
        }
        #expect(try p.timeline("nobody", TimelineFilter()) == nil)
    }

    @Test("Shuffled delivery with duplicates gives the same projections as time order, in small batches too")
    func orderIndependence() throws {
        let (_, ordered) = try projected(Self.lines)
        var rng = SystemRandomNumberGenerator()
        var shuffled = Self.lines.shuffled(using: &rng)
        shuffled += Self.lines.prefix(300)  // duplicates: stored once
        let (_, mixed) = try projected(shuffled, batchSize: 997)
        for n in 0..<12 {
            let account = String(format: "acct-%05d", n)
            let a = try allItems(ordered, account).map { JSONWriter.string($0.jsonValue.withoutSeqs) }
            let b = try allItems(mixed, account).map { JSONWriter.string($0.jsonValue.withoutSeqs) }
            #expect(a == b, "\(account)")
            #expect(!a.isEmpty)
        }
    }

    @Test("A long backlog is worked off in the larger batches, the last ten small batches' worth in small ones; the rows are the same")
    func backlogBatches() throws {
        let (dir, small) = try projected(Self.lines, batchSize: 20)
        let store = try EventStore(directory: dir.path, holder: "test")
        defer { try? store.close() }
        let other = TempDir()
        let projector = Projector(store: try ProjectionStore(directory: other.path), batchSize: 20, backlogBatchSize: 200)
        var sizes: [UInt64] = [], applied: UInt64 = 0
        try projector.catchUp(store.snapshot()) { position in
            sizes.append(position.events - applied)
            applied = position.events
            return true
        }
        let total = store.snapshot().events
        var expected: [UInt64] = [], done: UInt64 = 0
        while done < total {
            let left = total - done
            expected.append(min(left, left > 200 ? 200 : 20))
            done += expected.last!
        }
        #expect(total > 2000)
        #expect(sizes == expected)
        let rows = try projector.store.allRows()
        for (table, want) in try small.allRows() {
            #expect(rows[table] == want, "\(table)")
        }
    }

    @Test("A rebuild writes exactly the rows and indexes the live projector wrote, table by table, whatever the range size")
    func rebuildEqualsLive() throws {
        var rng = SystemRandomNumberGenerator()
        // Tasks come from the CRM here, messages from a bot, triages from a triager (the generator writes none of them): tasks opened, some closed, one closed before it opened.
        let tasks = (0..<6).flatMap { n -> [String] in
            let account = String(format: "acct-%05d", n)
            let opened = #"{"id":"crm-task-\#(n)","account":"\#(account)","type":"task.opened","time":"2026-01-0\#(n + 1)T09:00:00Z","data":{"task_id":"T\#(n)","title":"Call them","due_date":"2026-01-1\#(n)"}}"#
            let closed = #"{"id":"crm-done-\#(n)","account":"\#(account)","type":"task.closed","time":"2026-01-0\#(n == 4 ? 2 : n + 3)T09:00:00Z","data":{"task_id":"T\#(n)"}}"#
            let message = #"{"id":"bot-\#(n)","account":"\#(account)","type":"message.sent","time":"2026-01-0\#(n + 1)T08:00:00Z","actor":"automation:bot","data":{"message_id":"M\#(n)","channel":"email","template":"hello","recipient":"p\#(n)@example.com","fields":{"first_name":"P"}}}"#
            let triaged = #"{"id":"triage:t:\#(account):X\#(n)","account":"\#(account)","type":"ticket.triaged","time":"2026-01-0\#(n + 1)T10:00:00Z","actor":"throughline:triage","data":{"triage":"t","ticket_id":"X\#(n)","priority":\#(n * 10),"tier":"assisted","reasons":[{"factor":"f","points":5,"reason":"why","seqs":[1]}]}}"#
            return (n % 2 == 0 ? [opened, closed] : [opened]) + [message, triaged]
        }
        let release = #"{"id":"rel-1","account":"throughline:product","type":"product.released","time":"2026-01-03T06:00:00Z","data":{"version":"1.0","plans":["growth"]}}"#
        let (dir, live) = try projected((Self.lines + tasks + [release]).shuffled(using: &rng), batchSize: 97)
        let before = try live.allRows()
        // Every table, and the layout: a rebuild leaves the same indexes as the live read models.
        #expect(before.count == ProjectionStore.tables.count + 1 && before["sqlite_master"]?.contains { $0.contains("items_by_time") } == true)
        // Pages of 16 KiB, in a file made new and in a rebuilt one (a rebuild is faster with them).
        let pageSize = { ProjectionStore.reading(dir.path + "/projections.sqlite") { try Int.fetchOne($0, sql: "PRAGMA page_size") } ?? nil }
        #expect(pageSize() == 16_384)
        let store = try EventStore(directory: dir.path, holder: "test")
        defer { try? store.close() }
        for eventsPerPart in [1_000_000, 2_500] {
            try Rebuild.run(store.snapshot(), directory: dir.path, eventsPerPart: eventsPerPart)
            let rebuilt = try ProjectionStore(directory: dir.path).allRows()
            #expect(pageSize() == 16_384)
            for (table, rows) in before {
                let other = rebuilt[table] ?? []
                let differing = zip(rows, other).first { $0 != $1 }.map { "live \($0.0)\nrebuilt \($0.1)" }
                #expect(other.count == rows.count && differing == nil,
                        "\(table) after a rebuild in ranges of \(eventsPerPart): \(rows.count) rows against \(other.count); \(differing ?? "")")
                #expect(!rows.isEmpty || ["score_dirty", "projection_errors", "identity", "owners"].contains(table), "\(table)")
            }
        }
        #expect(try ProjectionStore(directory: dir.path).checkpoint() == store.snapshot().position)
    }

    @Test("Live equals replay: scores kept live over a shuffled delivery with duplicates and late events equal a computation from scratch over the log, day by day")
    func liveScoresEqualReplay() throws {
        var rng = SystemRandomNumberGenerator()
        // Small batches scored one by one: each account refreshed from the day a batch touched, the
        // others carried forward as the latest day moves on (in time order it moves every batch).
        for lines in [Self.lines.shuffled(using: &rng) + Self.lines.prefix(200), Self.lines] {
            try liveScores(lines, accounts: 12, batchSize: 97)
        }
        // A longer history: an account scored from a day on reads only the usage records the
        // widest window before that day can see (the rest are left out, counted for the first day).
        try liveScores(generatedLines(accounts: 6, days: 300, seed: 12), accounts: 6, batchSize: 400)
    }

    func liveScores(_ lines: [String], accounts: Int, batchSize: Int) throws {
        let (dir, p) = try projected(lines, batchSize: batchSize, scoreEachBatch: true)
        let store = try EventStore(directory: dir.path, holder: "test")
        defer { try? store.close() }
        var fromLog: [String: AccountHistory] = [:]
        var latest = Int64.min
        try store.snapshot().forEachEvent { e in
            guard !e.event.type.belongsToNoAccount else { return true }
            fromLog[e.event.account, default: AccountHistory(account: e.event.account)].add(e, try e.event.payload())
            latest = max(latest, e.event.time.microseconds)
            return true
        }
        let rules = DefaultRules.load()
        let horizon = Day(containing: latest).number  // appended just now, so the latest event time bounds it
        #expect(fromLog.count == accounts)
        var changes = 0, churned = 0
        for (account, logged) in fromLog {
            let stored = try #require(try p.history(account))
            #expect(stored.usage.items.count == logged.usage.items.count && stored.ticketCount == logged.ticketCount)
            let through = ScoreHistory.lastDay(logged, horizon: horizon)  // the churn day for churned accounts
            let replay = ScoreHistory.all(logged, rules: rules, through: through)
            let (version, live) = try #require(try p.scoreSeries(account))
            #expect(version.version == "health-v3" && version.state == .active)
            #expect(live.points(rules) == replay, "\(account)")
            // The daily points (values alone) agree with the explained score of each day.
            #expect(replay.allSatisfy { Score(logged, rules: rules, at: Day($0.day).end).score == $0.score }, "\(account)")
            #expect(live.firstDay == ScoreHistory.firstDay(logged) && live.lastDay == through)
            churned += through < horizon ? 1 : 0
            // One timeline item per band change, on its day.
            let expected = ScoreHistory.bandChanges(replay).filter { $0.from != nil && $0.to != nil }
            var filter = TimelineFilter()
            filter.kinds = [.bandChange]
            filter.limit = 500
            let items = try #require(try p.timeline(account, filter)).items
            #expect(items.map(\.key).sorted() == expected.map { TimelineEntry.bandChangeKey("health-v3", day: $0.day) }.sorted(), "\(account)")
            changes += expected.count
        }
        #expect(changes > 0 && churned > 0)
        #expect(try p.history("nobody") == nil && p.scoreSeries("nobody") == nil)
    }

    @Test("Replaying the active rules from the log reproduces the live score history exactly; --from/--to and filters cut it")
    func replayEqualsLive() throws {
        var rng = SystemRandomNumberGenerator()
        let (dir, p) = try projected(Self.lines.shuffled(using: &rng), batchSize: 500, scoreEachBatch: true)
        let store = try EventStore(directory: dir.path, holder: "test")
        defer { try? store.close() }
        let spill = TempDir()
        let result = try Replay.run(store.snapshot(), rules: [DefaultRules.load()], spill: spill.path + "/spill")
        #expect(result.accounts[0].count == 12 && result.events == Self.lines.count)
        for a in result.accounts[0] {
            #expect(a.series == (try p.scoreSeries(a.account)?.series), "\(a.account)")
        }
        // Cut into many small parts (each read by both readers), the same answer in the same order.
        var small = Replay.Options()
        small.eventsPerPart = Self.lines.count / 7
        let parted = try Replay.run(store.snapshot(), rules: [DefaultRules.load()], spill: spill.path + "/spill", options: small)
        #expect(parted.accounts[0].map(\.account) == result.accounts[0].map(\.account))
        #expect(parted.accounts[0].map(\.series) == result.accounts[0].map(\.series) && parted.events == result.events)
        #expect(result.accounts[0].contains { $0.churnDay != nil })
        // Two versions share each account's usage summary and ticket changes: each gets the
        // series it gets alone, whether or not it weighs open tickets.
        var other = DefaultRules.load()
        other.version = "no-tickets"
        other.signals.removeAll { $0.kind == .openTickets }
        other.signals[0].weight *= 3
        let alone = try Replay.run(store.snapshot(), rules: [other], spill: spill.path + "/spill")
        let both = try Replay.run(store.snapshot(), rules: [other, DefaultRules.load()], spill: spill.path + "/spill")
        #expect(both.accounts[0].map(\.series) == alone.accounts[0].map(\.series))
        #expect(both.accounts[1].map(\.series) == result.accounts[0].map(\.series))
        #expect(alone.accounts[0].map(\.series) != result.accounts[0].map(\.series))
        var options = Replay.Options()
        let day = result.accounts[0][0].series.firstDay + 30
        options.from = day
        options.to = day + 9
        options.accounts = ["acct-00003", "acct-00004"]
        let cut = try Replay.run(store.snapshot(), rules: [DefaultRules.load()], spill: spill.path + "/spill", options: options)
        #expect(cut.accounts[0].map(\.account) == ["acct-00003", "acct-00004"])
        for a in cut.accounts[0] {
            let full = try #require(result.accounts[0].first { $0.account == a.account })
            #expect(a.series.firstDay == max(day, full.series.firstDay))
            #expect(a.series.points(DefaultRules.load()).allSatisfy { full.series.score(on: $0.day) == $0.score } && a.series.lastDay <= day + 9)
        }
    }

    @Test("The replay's CSV tables quote fields that need it")
    func reportCSVQuotes() throws {
        let report = hostileReplayReport(account: "<script>alert('x')</script>,\"q\"")
        let csv = try #require(WhatIfStore.csvTables(report).first { $0.0 == "band_differences.csv" }?.1)
        #expect(csv.hasSuffix("\"<script>alert('x')</script>,\"\"q\"\"\",2026-01-01,red,green,\n"))
    }

    @Test("A ticket is one item carrying its lifecycle; usage rolls up per week; profile changes say what changed")
    func itemShapes() throws {
        let lines = [
            #"{"id":"t1","account":"a","type":"ticket.opened","time":"2026-03-02T09:00:00Z","source":"zendesk","data":{"ticket_id":"48213","priority":"normal","subject":"Export times out"}}"#,
            #"{"id":"t3","account":"a","type":"ticket.closed","time":"2026-03-04T13:30:00Z","data":{"ticket_id":"48213","csat":4}}"#,
            #"{"id":"t2","account":"a","type":"ticket.updated","time":"2026-03-03T10:00:00Z","data":{"ticket_id":"48213","priority":"urgent"}}"#,
            #"{"id":"u1","account":"a","type":"usage.recorded","time":"2026-03-02T23:00:00Z","data":{"period_start":"2026-03-02","active_users":10,"events":100,"features":{"export":3,"search":1}}}"#,
            #"{"id":"u2","account":"a","type":"usage.recorded","time":"2026-03-03T23:00:00Z","data":{"period_start":"2026-03-03","active_users":12,"events":50,"features":{"export":1,"share":0}}}"#,
            #"{"id":"u3","account":"a","type":"usage.recorded","time":"2026-03-10T23:00:00Z","data":{"period_start":"2026-03-10","active_users":9,"events":40}}"#,
            #"{"id":"p2","account":"a","type":"account.updated","time":"2026-03-05T00:00:00Z","data":{"plan":"growth","seats":20}}"#,
            #"{"id":"p1","account":"a","type":"account.updated","time":"2026-01-01T00:00:00Z","data":{"name":"Acme","plan":"starter","seats":15}}"#,
        ]
        let (_, p) = try projected(lines)
        let items = try allItems(p, "a")
        let byKey = Dictionary(uniqueKeysWithValues: items.map { ($0.key, $0) })
        let ticket = try #require(byKey["t:48213"])
        #expect(ticket.title == "Ticket 48213 [urgent] Export times out: closed after 2 d 4 h, CSAT 4")
        #expect(ticket.seqs == [1, 2, 3])
        #expect(ticket.source == "zendesk")
        #expect(ticket.detail["priority_changes"] == .array([.object([
            JSONMember("time", .string("2026-03-03T10:00:00Z")), JSONMember("from", .string("normal")), JSONMember("to", .string("urgent")),
        ])]))
        #expect(ticket.detail["time_to_close_s"] == .number("189000"))
        let week1 = try #require(byKey["u:2026-03-02"])
        #expect(week1.title == "Usage, week of 2026-03-02: 12 active users, 150 events, 2 features")
        let week2 = try #require(byKey["u:2026-03-09"])
        #expect(week2.title == "Usage, week of 2026-03-09: 9 active users (-25% against the 1 weeks before), 40 events, 0 features")
        #expect(byKey["e:p2"]?.title == "Profile: plan starter → growth; seats 15 → 20")
        #expect(byKey["e:p1"]?.title == "Profile: name Acme; plan starter; seats 15")
        // Filters: kinds, time window.
        var filter = TimelineFilter()
        filter.kinds = [.ticket]
        #expect(try p.timeline("a", filter)?.items.map(\.key) == ["t:48213"])
        filter = TimelineFilter()
        filter.since = Timestamp(rfc3339: "2026-03-03T00:00:00Z")!.microseconds
        #expect(try p.timeline("a", filter)?.items.map(\.key).filter { !$0.hasPrefix("band:") } == ["u:2026-03-09", "e:p2"])
    }
}

extension JSONValue {
    /// The item without its seqs (which depend on arrival order; everything else must not).
    var withoutSeqs: JSONValue {
        guard case .object(let m) = self else { return self }
        return .object(m.filter { $0.key != "seqs" })
    }
}

@Suite("The context view against an independent computation")
struct ContextProjectionTests {
    @Test("Open tickets, days since human contact and 7-day active users equal a computation straight from the NDJSON")
    func independent() throws {
        let lines = generatedLines(accounts: 10, days: 150, seed: 9)
        let (_, p) = try projected(lines)
        let asOf = Timestamp(rfc3339: "2025-05-20T00:00:00Z")!.microseconds
        let day: Int64 = 86_400_000_000
        let today = Day(containing: asOf).number
        var tickets: [String: [String: [(Int64, String, String)]]] = [:]  // account → ticket → (time, id, type)
        var contact: [String: Int64] = [:]
        var usage: [String: [Int: Int]] = [:]
        for line in lines {
            let e = try EventDecoder.decode(line)
            let t = e.time.microseconds
            guard t <= asOf else { continue }
            switch try e.payload() {
            case .ticketOpened(let o): tickets[e.account, default: [:]][o.ticketId, default: []].append((t, e.id, "opened"))
            case .ticketUpdated(let u):
                tickets[e.account, default: [:]][u.ticketId, default: []].append((t, e.id, u.status == "closed" ? "closed" : "updated"))
                if e.actor?.hasPrefix("agent:") == true { contact[e.account] = max(contact[e.account] ?? .min, t) }
            case .ticketClosed(let c):
                tickets[e.account, default: [:]][c.ticketId, default: []].append((t, e.id, "closed"))
                if e.actor?.hasPrefix("agent:") == true { contact[e.account] = max(contact[e.account] ?? .min, t) }
            case .callCompleted: contact[e.account] = max(contact[e.account] ?? .min, t)
            case .usageRecorded(let u):
                let d = u.periodStart.daysSinceEpoch
                if d >= today - 6 && d <= today { usage[e.account, default: [:]][d] = max(usage[e.account]?[d] ?? 0, u.activeUsers) }
            default: break
            }
        }
        for n in 0..<10 {
            let account = String(format: "acct-%05d", n)
            let view = try JSONValueEncoder.encode(try #require(try p.context(account, asOf: asOf)))
            let open = (tickets[account] ?? [:]).values.filter { events in
                events.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.last?.2 != "closed"
            }.count
            #expect(view["support"]?["open_tickets"] == .number(String(open)), "\(account)")
            if let last = contact[account] {
                #expect(view["days_since_human_contact"] == .number(String((asOf - last) / day)), "\(account)")
            }
            if let days = usage[account], !days.isEmpty {
                let mean = Double(days.values.reduce(0, +)) / Double(days.count)
                #expect(view["usage"]?["active_users_7d"]?.doubleValue == (mean * 10).rounded() / 10, "\(account)")
            }
        }
        #expect(try p.context("nobody", asOf: asOf) == nil)
    }

    @Test("The view folds only the tickets and calls it can show, and says exactly what the whole history says")
    func cutEqualsWhole() throws {
        // A year of tickets: closed with and without a CSAT, some left open, some reopened after
        // their close; calls for 300 days, with and without sentiment; then quiet months, when
        // the latest CSAT and the sentiment trend come from long before the view's windows.
        var lines: [String] = []
        let start = CalendarDate(iso: "2024-01-01")!.daysSinceEpoch
        func time(_ d: Int, _ h: Int = 9) -> String { "\(CalendarDate(daysSinceEpoch: start + d))T\(h < 10 ? "0" : "")\(h):00:00Z" }
        for t in 0..<80 {
            let d = t * 5, id = "T\(t)", priority = ["urgent", "high", "normal", "low"][t % 4]
            lines.append(#"{"id":"o\#(t)","account":"a","type":"ticket.opened","time":"\#(time(d))","data":{"ticket_id":"\#(id)","priority":"\#(priority)","subject":"S\#(t)"}}"#)
            if t % 7 == 3 { continue }  // never closed
            let csat = t % 3 == 0 ? #","csat":\#(t % 5 + 1)"# : ""
            lines.append(#"{"id":"c\#(t)","account":"a","type":"ticket.closed","time":"\#(time(d + 2))","data":{"ticket_id":"\#(id)"\#(csat)}}"#)
            if t % 11 == 5 { lines.append(#"{"id":"r\#(t)","account":"a","type":"ticket.updated","time":"\#(time(d + 4))","data":{"ticket_id":"\#(id)","status":"open"}}"#) }
            if t % 13 == 2 { lines.append(#"{"id":"p\#(t)","account":"a","type":"ticket.updated","time":"\#(time(d + 3))","data":{"ticket_id":"\#(id)","priority":"low"}}"#) }
        }
        for c in 0..<100 {
            let sentiment = c % 4 == 0 ? "" : #","sentiment":\#(Double(c % 9) / 10 - 0.4)"#
            lines.append(#"{"id":"k\#(c)","account":"a","type":"call.completed","time":"\#(time(c * 3, 15))","data":{"duration_s":600,"team":"\#(c % 2 == 0 ? "success" : "support")"\#(sentiment)}}"#)
        }
        let (_, p) = try projected(lines)
        for d in stride(from: 10, through: 640, by: 15) {
            let asOf = Timestamp(rfc3339: time(d, 12))!.microseconds
            let cut = try #require(try p.facts("a", asOf: asOf)), whole = try #require(try p.facts("a", asOf: asOf, everything: true))
            #expect(ContextView.build(cut, asOf: asOf) == ContextView.build(whole, asOf: asOf), "as of day \(d)")
            if d > 200 { #expect(cut.tickets.count < whole.tickets.count && cut.calls.count < whole.calls.count, "as of day \(d)") }
        }
    }
}
