import EventLog
import Foundation
import Scoring
import Testing
import TestSupport
import ThroughlineCore

/// The replay reads usage and ticket records, calls, community activity and notes straight from
/// their bytes (`AccountHistory.add(_:)`), and spills them in a compact form (`FoldRecord`); the
/// history either builds must be the one the typed payloads build.
@Suite("Records read from their bytes")
struct FoldPathTests {
    /// Usage records in every form the bytes reader meets: no features, counts of 0, repeated
    /// feature names, no `events`, more than 64 features, and numbers written as `5.0` (which it
    /// leaves to the typed payload).
    static let oddLines: [String] = {
        let wide = (0..<70).map { #""w\#($0)":1"# }.joined(separator: ",")
        return [
            #"{"id":"u1","account":"odd","type":"usage.recorded","time":"2026-03-02T01:00:00Z","data":{"period_start":"2026-03-01","active_users":4}}"#,
            #"{"id":"u2","account":"odd","type":"usage.recorded","time":"2026-03-03T01:00:00Z","data":{"period_start":"2026-03-02","active_users":5,"events":7,"features":{"a":0,"b":2}}}"#,
            #"{"id":"u3","account":"odd","type":"usage.recorded","time":"2026-03-04T01:00:00Z","data":{"period_start":"2026-03-03","active_users":5.0,"features":{"c":1}}}"#,
            #"{"id":"u4","account":"odd","type":"usage.recorded","time":"2026-03-05T01:00:00Z","data":{"period_start":"2026-03-04","active_users":6,"features":{\#(wide)}}}"#,
            #"{"id":"u5","account":"odd","type":"usage.recorded","time":"2026-03-05T01:00:00Z","data":{"features":{"b":1,"d":3.0},"active_users":2,"period_start":"2026-03-04","period":"day"}}"#,
            #"{"id":"u6","account":"odd","type":"usage.recorded","time":"2026-03-06T01:00:00Z","data":{"period_start":"2026-03-05","active_users":9,"events":1.0e1}}"#,
            #"{"id":"t1","account":"odd","type":"ticket.opened","time":"2026-03-02T02:00:00Z","actor":"agent:kim","data":{"ticket_id":"T-1","priority":"high","category":"how_to","subject":"Export"}}"#,
            #"{"id":"t2","account":"odd","type":"ticket.updated","time":"2026-03-02T03:00:00Z","actor":"agent:kim","data":{"ticket_id":"T-1","status":"pending","sentiment":-1,"priority":"urgent"}}"#,
            #"{"id":"t3","account":"odd","type":"ticket.updated","time":"2026-03-02T04:00:00Z","actor":"automation:sla","data":{"ticket_id":"T-1","sentiment":0.25,"category":"bug"}}"#,
            #"{"id":"t4","account":"odd","type":"ticket.closed","time":"2026-03-03T04:00:00Z","data":{"ticket_id":"T-1","csat":5,"priority":"low"}}"#,
            #"{"id":"t5","account":"odd","type":"ticket.updated","time":"2026-03-04T04:00:00Z","actor":"csm:ana","data":{"ticket_id":"T-1","status":"closed","comment":"done"}}"#,
            #"{"id":"t6","account":"odd","type":"ticket.opened","time":"2026-03-04T05:00:00Z","data":{"ticket_id":"T-2","priority":"normal","status":7}}"#,
            #"{"id":"t7","account":"odd","type":"ticket.updated","time":"2026-03-05T05:00:00Z","actor":"bot","data":{"ticket_id":"T-2","status":"open","sentiment":1.0e-1}}"#,
            #"{"id":"n1","account":"calls","type":"note.added","time":"2026-03-01T08:00:00Z","actor":"csm:ana","data":{"author":"ana","text":"kickoff"}}"#,
            #"{"id":"c1","account":"calls","type":"call.completed","time":"2026-03-02T08:00:00Z","actor":"csm:ana","data":{"duration_s":600,"sentiment":0.5}}"#,
            #"{"id":"c2","account":"calls","type":"call.completed","time":"2026-03-03T08:00:00Z","data":{"duration_s":60,"team":"support"}}"#,
            #"{"id":"c3","account":"calls","type":"call.completed","time":"2026-03-04T08:00:00Z","data":{"sentiment":5.0e-1,"duration_s":60}}"#,
            #"{"id":"c4","account":"calls","type":"call.completed","time":"2026-03-05T08:00:00Z","actor":"ae:bo","data":{"duration_s":60,"sentiment":-1}}"#,
            #"{"id":"c5","account":"calls","type":"call.completed","time":"2026-03-05T09:00:00Z","data":{"participants":["Ana <ana@x.example.com>","csm:bo"],"duration_s":60,"sentiment":0.25}}"#,
            #"{"id":"m1","account":"calls","type":"community.activity","time":"2026-03-06T08:00:00Z","data":{"kind":"answer"}}"#,
            #"{"id":"m2","account":"calls","type":"community.activity","time":"2026-03-07T08:00:00Z","actor":"customer:li","data":{"kind":"event_attended","topic":"sso"}}"#,
        ]
    }()

    @Test("A generated log and odd usage, ticket, call, community and note records fold to the same histories and scores either way")
    func sameHistories() throws {
        let dir = TempDir()
        let store = try EventStore(directory: dir.path, holder: "test")
        let lines = generatedLines(accounts: 12, days: 200, seed: 3, peopleShare: 0.5) + Self.oddLines
        _ = try store.appendAndWait(EncodedBatch(try lines.map { try EventDecoder.encode(Array($0.utf8)) }))
        var fast: [String: AccountHistory] = [:], typed: [String: AccountHistory] = [:], folded: [String: AccountHistory] = [:]
        var readFromBytes = 0, compact = 0
        // Two coders on one table, as two readers of a replay number features.
        let table = FeatureTable()
        var coders = [FeatureCoder(table), FeatureCoder(table)]
        try store.snapshot().forEachView { view in
            let account = view.account
            if fast[account, default: AccountHistory(account: account)].add(view) {
                readFromBytes += 1
            } else {
                let (e, payload) = try view.foldable()
                fast[account]!.add(e, payload)
            }
            let (e, payload) = try view.foldable()
            typed[account, default: AccountHistory(account: account)].add(e, payload)
            var w = ByteWriter()
            if FoldRecord.encode(view, features: &coders[Int(view.seq % 2)], into: &w) {
                compact += 1
                try w.bytes.withUnsafeBytes { raw in
                    var r = ByteReader(raw)
                    try folded[account, default: AccountHistory(account: account)].add(folded: &r, features: table.names)
                    #expect(r.isAtEnd, "seq \(view.seq): the compact record is read to its end")
                }
            } else {
                #expect(w.bytes.isEmpty)
                folded[account, default: AccountHistory(account: account)].add(e, payload)
            }
            return true
        }
        try store.close()
        let read = lines.filter { line in ["usage.recorded", "ticket.", "call.completed", "community.activity", "note.added"].contains { line.contains(#""type":"\#($0)"#) } }.count
        // All but the three usage records with numbers written as fractions and the ticket with
        // an extra field of another type (t6) are read from bytes, and written in the compact form.
        #expect(readFromBytes == read - 4 && compact == readFromBytes)
        #expect(fast.count == 14 && Set(fast.keys) == Set(typed.keys) && Set(folded.keys) == Set(typed.keys))
        let rules = DefaultRules.load()
        for (account, a) in fast.map({ ($0, $1) }) + folded.map({ ($0, $1) }) {
            let b = try #require(typed[account])
            #expect(a.firstTime == b.firstTime && a.featureNames == b.featureNames, "\(account)")
            #expect(a.usage.items.map { [$0.time, Int64($0.seq), Int64($0.value.day), Int64($0.value.activeUsers), Int64($0.value.events)] }
                == b.usage.items.map { [$0.time, Int64($0.seq), Int64($0.value.day), Int64($0.value.activeUsers), Int64($0.value.events)] })
            #expect(a.usage.items.map { Set(a.featureNames(of: $0.value)) } == b.usage.items.map { Set(b.featureNames(of: $0.value)) })
            func tickets(_ h: AccountHistory) -> [String] {
                h.ticketOpens.items.map { "\($0.time) \($0.seq) \(h.ticketID($0.value.ticket)) \($0.value.priority) \(String(describing: $0.value.category))" }
                    + h.questions.items.map { "q \($0.seq)" } + h.sentiment.items.map { "s \($0.seq) \($0.value)" } + h.contacts.items.map { "c \($0.seq)" }
                    + h.community.items.map { "m \($0.seq) \($0.value)" } + h.peopleCalls.items.map { "p \($0.seq) \($0.value.participants)" }
            }
            #expect(tickets(a) == tickets(b), "\(account)")
            let through = ScoreHistory.firstDay(b)! + 240
            for day in stride(from: ScoreHistory.firstDay(b)!, through: through, by: 7) {
                let t = Day(day).end
                #expect(a.openTicketPriorities(at: t).map { "\($0.ticket) \(String(describing: $0.priority))" }
                    == b.openTicketPriorities(at: t).map { "\($0.ticket) \(String(describing: $0.priority))" })
                #expect(a.openTicketSeqs(at: t) == b.openTicketSeqs(at: t))
            }
            #expect(ScoreHistory.all(a, rules: rules, through: through) == ScoreHistory.all(b, rules: rules, through: through), "\(account)")
        }
        for histories in [fast, folded] {
            try Self.checkOdd(histories)
        }
    }

    /// The odd records' histories as the records say.
    static func checkOdd(_ histories: [String: AccountHistory]) throws {
        // The odd account's records as sent: u2 names b only (a's count is 0), u4 all 70 features.
        let odd = try #require(histories["odd"])
        #expect(odd.usage.items.map { odd.featureNames(of: $0.value).sorted() }[1] == ["b"])
        // u4 and u5 have the same time: in seq order here (the history orders them by their ids' hashes).
        #expect(odd.usage.items.sorted { $0.seq < $1.seq }.map { odd.featureNames(of: $0.value).count } == [0, 1, 1, 70, 2, 0])
        #expect(odd.usage(Day(CalendarDate(iso: "2026-03-06")!.daysSinceEpoch).end, days: 0, to: .max).featureCount == 73)
        // T-1: a how-to opened high, raised to urgent, closed, closed again by a CSM; replies by
        // people are contacts (t2, t5), the automation's (t3) and the bot's (t7) are not.
        let day = { (iso: String) in Day(CalendarDate(iso: iso)!.daysSinceEpoch).end }
        #expect(odd.openTicketPriorities(at: day("2026-03-02")).map(\.ticket) == ["T-1"])
        #expect(odd.openTicketPriorities(at: day("2026-03-02")).map(\.priority) == [.urgent])
        #expect(odd.openTicketPriorities(at: day("2026-03-04")).map(\.ticket) == ["T-2"])
        #expect(odd.questions.items.count == 1 && odd.sentiment.items.map(\.value) == [-1, 0.25, 0.1])
        #expect(odd.contacts.items.count == 2)
        // Calls are contacts whoever made them; a note gives only its time.
        let calls = try #require(histories["calls"])
        #expect(calls.contacts.items.count == 5 && calls.sentiment.items.map(\.value) == [0.5, 0.5, -1, 0.25])
        #expect(calls.peopleCalls.items.map(\.value.participants) == [["Ana <ana@x.example.com>", "csm:bo"]])
        #expect(calls.community.items.map(\.value) == [.answer, .eventAttended])
        #expect(calls.firstTime == Int64(CalendarDate(iso: "2026-03-01")!.daysSinceEpoch) * 86_400_000_000 + 8 * 3_600_000_000)
    }

    @Test("A damaged compact record is an error that names the problem, not a wrong history")
    func damagedCompact() throws {
        let line = #"{"id":"t1","account":"a","type":"ticket.opened","time":"2026-03-02T02:00:00Z","data":{"ticket_id":"T-1","priority":"high"}}"#
        let body = try EventDecoder.encode(Array(line.utf8)).body
        let table = FeatureTable()
        var coder = FeatureCoder(table)
        var w = ByteWriter()
        try body.withUnsafeBytes { raw in
            let view = try RecordView(seq: 1, recordedMicros: 0, body: raw)
            #expect(FoldRecord.encode(view, features: &coder, into: &w))
        }
        func fold(_ bytes: [UInt8]) throws {
            var h = AccountHistory(account: "a")
            try bytes.withUnsafeBytes { raw in
                var r = ByteReader(raw)
                try h.add(folded: &r, features: table.names)
            }
        }
        try fold(w.bytes)
        #expect(throws: DecodeError.self) { try fold(Array(w.bytes.dropLast())) }
        var unknown = w.bytes
        unknown[0] = 9
        let error = try #require(throws: DecodeError.self) { try fold(unknown) }
        #expect(error.description.contains("kind 9"))
        // The priority byte (after kind, seq, time, hash and flags) names a case past the four.
        var priority = w.bytes
        priority[1 + 1 + 16 + 1] = 5
        let past = try #require(throws: DecodeError.self) { try fold(priority) }
        #expect(past.description.contains("case 5 of Priority"))
    }
}
