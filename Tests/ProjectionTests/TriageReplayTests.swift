import EventLog
import Foundation
import Projections
import Scoring
import Testing
import TestSupport
import ThroughlineCore

@Suite("Triage replay from the log")
struct TriageReplayTests {
    static func rules(_ version: String, urgent points: Int) throws -> TriageRules {
        try TriageRules.load(yaml: """
            version: \(version)
            factors:
              - {id: urgent, when: {priority: urgent}, points: \(points)}
              - {id: large, when: {arr_at_least: 100000}, points: 10}
            tiers:
              - {name: high, at_least: 50}
              - {name: low, at_least: 0}
            """, file: "\(version).yaml")
    }

    @Test("triage replay reads each ticket's first opening (the first in seq of two at one moment) and its first close, counts every account's tickets once, and hands over each ticket whose tier moved, with its reasons, in account order")
    func firstOpeningsAndCloses() throws {
        let dir = TempDir()
        let store = try EventStore(directory: dir.path, holder: "test")
        defer { try? store.close() }
        let projections = try ProjectionStore(directory: dir.path)
        let projector = Projector(store: projections, batchSize: 1000)
        let base = Int64(Date().timeIntervalSince1970) / 3600 * 3600 - 200 * 3600
        func at(_ hours: Int) -> String { Timestamp.utc(microseconds: (base + Int64(hours) * 3600) * 1_000_000).description }
        func ticket(_ id: String, _ account: String, _ type: String, _ hours: Int, _ data: String) -> String {
            #"{"id":"\#(id)","account":"\#(account)","type":"\#(type)","time":"\#(at(hours))","data":{\#(data)}}"#
        }
        let lines = [
            ticket("p-acme", "acme", "account.updated", 0, #""name":"Acme","arr":150000"#),
            ticket("p-bolt", "bolt", "account.updated", 0, #""name":"Bolt","arr":1000"#),
            // T1 opens twice and closes twice: its first opening (urgent) and first close (20 hours on) count.
            ticket("o1", "acme", "ticket.opened", 10, #""ticket_id":"T1","priority":"urgent","subject":"Export fails""#),
            ticket("o1b", "acme", "ticket.opened", 20, #""ticket_id":"T1","priority":"low","subject":"Export fails again""#),
            ticket("c1", "acme", "ticket.closed", 30, #""ticket_id":"T1""#),
            ticket("c1b", "acme", "ticket.closed", 40, #""ticket_id":"T1""#),
            // T5 opens twice at one moment: the first appended is its opening.
            ticket("o5", "acme", "ticket.opened", 50, #""ticket_id":"T5","priority":"urgent""#),
            ticket("o5b", "acme", "ticket.opened", 50, #""ticket_id":"T5","priority":"low""#),
            // Still open; and a close of a ticket never opened, which counts nowhere.
            ticket("o3", "acme", "ticket.opened", 60, #""ticket_id":"T3","priority":"normal""#),
            ticket("c9", "acme", "ticket.closed", 61, #""ticket_id":"T9""#),
            ticket("b1", "bolt", "ticket.opened", 70, #""ticket_id":"B1","priority":"urgent""#),
            ticket("bc", "bolt", "ticket.closed", 75, #""ticket_id":"B1""#),
        ]
        _ = try store.appendAndWait(EncodedBatch(try lines.map { try EventDecoder.encode(Array($0.utf8)) }))
        try projector.catchUp(store.snapshot())
        try projector.scoreMarked()

        let now = try Self.rules("now", urgent: 40), calm = try Self.rules("calm", urgent: 1)
        var moved: [String] = []
        let report = try projections.triageReplay(now, against: calm, log: store.snapshot(), spill: dir.path + "/replays/t") { t, before in
            moved.append("\(t.account) \(t.ticket) \(before.tier)->\(t.tier) \(t.reasons.map(\.factor))")
        }
        #expect(report.tickets == 4 && report.accounts == 2, "\(report)")
        let high = try #require(report.tiers.first { $0.tier == "high" }), low = try #require(report.tiers.first { $0.tier == "low" })
        // Acme's T1 and T5 (urgent, large: 50) and Bolt's B1 (urgent: 40, low).
        #expect(high.tickets == 2 && high.accounts == 1 && high.closed == 1 && high.medianHoursToClose == 20, "\(high)")
        #expect(low.tickets == 2 && low.accounts == 2 && low.closed == 1 && low.medianHoursToClose == 5, "\(low)")
        #expect(report.moves?.compared == 4 && report.moves?.escalated == 2 && report.moves?.lowered == 0, "\(String(describing: report.moves))")
        #expect(moved == ["acme T1 low->high [\"urgent\", \"large\"]", "acme T5 low->high [\"urgent\", \"large\"]"], "\(moved)")
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/replays/t"))
    }
}
