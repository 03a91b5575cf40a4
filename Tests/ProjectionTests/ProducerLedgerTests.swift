import EventLog
import Foundation
import Projections
import Testing
import TestSupport
import ThroughlineCore

@Suite("Producers' rejected lines")
struct ProducerLedgerTests {
    static let day: Int64 = 86_400_000_000

    /// A tally of `accepted` and `rejected` lines from `source`, as an ingest counts them.
    static func tally(_ source: String, accepted: Int, rejected: Int) async throws -> ProducerTally {
        var lines = (0..<accepted).map { #"{"id":"\#(source)-a\#($0)-\#(UUID())","account":"x","type":"note.added","time":"2026-02-01T00:00:00Z","source":"\#(source)","data":{"author":"a","text":"b"}}"# }
        lines += (0..<rejected).map { #"{"id":"\#(source)-r\#($0)","account":"x","type":"note.added","time":"2026-02-01T00:00:00Z","source":"\#(source)","data":{}}"# }
        let dir = TempDir()
        let store = try EventStore(directory: dir.path, holder: "test")
        defer { try? store.close() }
        let session = IngestSession(store: store)
        for (i, line) in lines.enumerated() {
            Array(line.utf8).withUnsafeBufferPointer { session.take(i + 1, .text($0)) }
        }
        _ = try await session.finish()
        return session.producers
    }

    @Test("Counted by day, a producer's share of rejected lines over the last 7 days against the 28 before: rising is named, steady is not")
    func rising() async throws {
        let dir = TempDir()
        let ledger = try ProducerLedger(directory: dir.path)
        let now = 20_000 * Self.day + 12 * 3_600_000_000
        let a = try await Self.tally("crm", accepted: 99, rejected: 1)
        #expect(a.accepted == ["crm": 99] && a.rejected == ["crm": 1] && a.rejections["crm"]?.first?.id == "crm-r0")
        ledger.record(a, at: now - 20 * Self.day)
        ledger.record(try await Self.tally("crm", accepted: 45, rejected: 5), at: now - 2 * Self.day)
        ledger.record(try await Self.tally("helpdesk", accepted: 90, rejected: 10), at: now - 20 * Self.day)
        ledger.record(try await Self.tally("helpdesk", accepted: 90, rejected: 10), at: now)
        // Long ago: outside both windows.
        ledger.record(try await Self.tally("billing", accepted: 100, rejected: 0), at: now - 60 * Self.day)
        ledger.record(try await Self.tally("billing", accepted: 0, rejected: 2), at: now)
        let rising = try ledger.rising(now: now)
        #expect(rising.map(\.source) == ["crm"])
        #expect(rising.first?.text == "crm had 10.0% of its lines rejected in the last 7 days (5 of 50), against 1.0% in the 28 days before")
        // The latest five rejections, newest first.
        #expect(rising.first?.examples.map(\.id) == ["crm-r4", "crm-r3", "crm-r2", "crm-r1", "crm-r0"])
        #expect(rising.first?.examples.first?.reason == "line 50: data.author: is required")
    }

    @Test("Tallies recorded without waiting are in the file once flushed: a ledger opened again reads them")
    func flushed() async throws {
        let dir = TempDir()
        let now = 20_000 * Self.day
        do {
            let ledger = try ProducerLedger(directory: dir.path)
            ledger.record(try await Self.tally("crm", accepted: 10, rejected: 0), at: now - 20 * Self.day)
            for i in 0..<3 { ledger.record(try await Self.tally("crm", accepted: 3, rejected: 1), at: now + Int64(i)) }
            try ledger.flush()
        }
        let again = try ProducerLedger(directory: dir.path)
        let rising = try again.rising(now: now)
        #expect(rising.first?.text == "crm had 25.0% of its lines rejected in the last 7 days (3 of 12), against 0.0% in the 28 days before")
        #expect(rising.first?.examples.map(\.id) == ["crm-r0", "crm-r0", "crm-r0"])
    }
}
