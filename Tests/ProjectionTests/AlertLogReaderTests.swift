import EventLog
import Foundation
import Projections
import Scoring
import Testing
import TestSupport
import ThroughlineCore

@Suite("Alerts read from the log")
struct AlertLogReaderTests {
    static func iso(hoursAgo: Double) -> String {
        Timestamp.utc(microseconds: Int64((Date().timeIntervalSince1970 - hoursAgo * 3600) * 1e6)).description
    }

    static func append(_ store: EventStore, _ lines: [String]) throws -> [UInt64] {
        let outcomes = try store.appendAndWait(EncodedBatch(try lines.map { try EventDecoder.encode(Array($0.utf8)) }))
        return outcomes.map(\.seq)
    }

    @Test("An urgent ticket the read models do not hold yet fires from the log, with the conditions read from the read models; an old ticket appended now does not; once projected, the read models derive the same firing")
    func firesBeforeTheProjector() throws {
        let dir = TempDir()
        let store = try EventStore(directory: dir.path, holder: "test")
        defer { try? store.close() }
        let projections = try ProjectionStore(directory: dir.path)
        let projector = Projector(store: projections, batchSize: 1000)
        let alerts = try AlertRules.load(yaml: """
            version: a1
            rules:
              - {id: urgent, trigger: {ticket_opened: {priority: urgent}}, conditions: {arr_at_least: 50000}}
            """, file: "a.yaml")
        _ = try Self.append(store, [
            #"{"id":"p","account":"acme","type":"account.updated","time":"\#(Self.iso(hoursAgo: 30))","data":{"name":"Acme","arr":120000}}"#,
            #"{"id":"b","account":"bolt","type":"account.updated","time":"\#(Self.iso(hoursAgo: 30))","data":{"name":"Bolt","arr":1000}}"#,
            #"{"id":"u","account":"acme","type":"usage.recorded","time":"\#(Self.iso(hoursAgo: 3))","data":{"period_start":"\#(Self.iso(hoursAgo: 3).prefix(10))","active_users":5}}"#,
            #"{"id":"v","account":"bolt","type":"usage.recorded","time":"\#(Self.iso(hoursAgo: 3))","data":{"period_start":"\#(Self.iso(hoursAgo: 3).prefix(10))","active_users":5}}"#,
        ])
        try projector.catchUp(store.snapshot())
        try projector.scoreMarked()
        let reader = AlertLogReader(alerts: alerts, store: projections, snapshot: { store.snapshot() })
        #expect(try reader.firings().isEmpty)  // starts at the log's end

        let seqs = try Self.append(store, [
            #"{"id":"t1","account":"acme","type":"ticket.opened","time":"\#(Self.iso(hoursAgo: 0.1))","data":{"ticket_id":"T1","priority":"urgent"}}"#,
            #"{"id":"t2","account":"bolt","type":"ticket.opened","time":"\#(Self.iso(hoursAgo: 0.1))","data":{"ticket_id":"B1","priority":"urgent"}}"#,
            #"{"id":"t3","account":"acme","type":"ticket.opened","time":"\#(Self.iso(hoursAgo: 24 * 30))","data":{"ticket_id":"OLD","priority":"urgent"}}"#,
        ])
        let fired = try reader.firings()
        #expect(fired.map { "\($0.account) \($0.key) \($0.seqs)" } == ["acme ticket:T1 [\(seqs[0])]"], "\(fired)")
        #expect(fired.first?.reason.contains("ARR 120000") == true)
        #expect(try reader.firings().isEmpty)  // each event is read once

        // Once the read models hold the ticket, they derive the same firing (one id: stored once).
        try projector.catchUp(store.snapshot())
        try projector.scoreMarked()
        let day = Day(containing: Int64(Date().timeIntervalSince1970 * 1e6)).number
        let later = try projections.alertFirings(alerts, account: "acme", days: (day - 1)...day)
        #expect(later.map { $0.event(version: "a1").id } == fired.map { $0.event(version: "a1").id })
    }
}
