import EventLog
import Foundation
@testable import Projections
import Testing
import TestSupport
import ThroughlineCore

@Suite("Events that no longer fold")
struct ProjectionErrorTests {
    /// Events a store may hold from before a rule tightened: valid then, refused by ingest now.
    static func legacy(_ account: String) -> [EncodedEvent] {
        let time = Timestamp(rfc3339: "2026-02-01T09:00:00Z")!
        return [
            Event(id: "legacy-arr", account: account, type: .accountUpdated, time: time, data: [JSONMember("arr", .number("1e19"))]),
            Event(id: "legacy-renewal", account: account, type: .accountRenewed, time: time, data: [JSONMember("arr", .number("9.3e18"))]),
            Event(id: "legacy-year", account: "old-" + account, type: .accountChurned, time: Timestamp(rfc3339: "0001-01-01T00:00:00Z")!),
        ].map(EncodedEvent.init)
    }

    @Test("An event stored before a bound existed is filed as a projection error and left out, the same way live and in a rebuild")
    func filedAndSkipped() throws {
        let lines = generatedLines(accounts: 4, days: 60, seed: 9)
        let dir = TempDir()
        let store = try EventStore(directory: dir.path, holder: "test")
        let good = try lines.map { try EventDecoder.encode(Array($0.utf8)) }
        _ = try store.appendAndWait(EncodedBatch(Array(good.prefix(200))))
        let bad = try store.appendAndWait(EncodedBatch(Self.legacy("acct-00001")))
        _ = try store.appendAndWait(EncodedBatch(Array(good.dropFirst(200))))
        let live = try ProjectionStore(directory: dir.path)
        try Projector(store: live, batchSize: 57).catchUp(store.snapshot())
        #expect(try live.checkpoint() == store.snapshot().position)

        let (count, errors) = try live.projectionErrors()
        #expect(count == 3)
        #expect(errors.map(\.seq) == bad.map(\.seq))
        #expect(errors[0].error.contains("data.arr: must be at most 1000000000000000"))
        #expect(errors[2].account == "old-acct-00001" && errors[2].error.contains("time"))
        // Left out: the profile keeps its earlier ARR, the old account has no timeline.
        #expect(try live.timeline("old-acct-00001", TimelineFilter()) == nil)
        #expect(try allItems(live, "acct-00001").allSatisfy { !$0.seqs.contains(bad[0].seq) })

        let before = try live.allRows()
        try Rebuild.run(store.snapshot(), directory: dir.path, eventsPerPart: 300)
        let rebuilt = try ProjectionStore(directory: dir.path).allRows()
        for (table, rows) in before { #expect(rebuilt[table] == rows, "\(table)") }
        try store.close()
    }
}
