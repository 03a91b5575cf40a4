import Testing
import ThroughlineCore

@Suite struct UsageWeekTests {
    /// A week's usage records (some days reported twice, by two sources), each with its seq.
    static func records() throws -> [(StoredEvent, UsageRecorded)] {
        let days = [2, 0, 4, 1, 4, 6, 3, 0]
        return try days.enumerated().map { n, day in
            let line = #"{"id":"u-\#(n)","account":"acme","type":"usage.recorded","time":"2026-03-0\#(2 + day)T0\#(n):00:00Z","#
                + #""source":"\#(n % 2 == 0 ? "telemetry" : "warehouse")","data":{"period_start":"2026-03-0\#(2 + day)","#
                + #""active_users":\#(10 + 3 * n % 7),"events":\#(100 + n),"features":{"f\#(n % 3)":1,"g\#(n)":\#(n % 2)}}}"#
            let event = try EventDecoder.decode(line)
            guard case .usageRecorded(let u) = try event.payload() else { throw UsageWeekTestError.notUsage }
            return (StoredEvent(seq: UInt64(40 - 3 * n), recordedMicros: 0, event: event), u)
        }
    }

    enum UsageWeekTestError: Error { case notUsage }

    static func folded(_ records: some Sequence<(StoredEvent, UsageRecorded)>) -> UsageWeek {
        var week = UsageWeek()
        for (e, u) in records { week.add(e, u) }
        return week
    }

    @Test("A week folds to the same figures whatever order its records come in, and whichever parts are merged: seqs in order once each, the earliest record first")
    func foldsInAnyOrder() throws {
        let records = try Self.records()
        let whole = Self.folded(records)
        #expect(whole.seqs == records.map(\.0.seq).sorted())
        #expect(whole.firstID == "u-1" && whole.source == "warehouse")
        #expect(whole.activeUsers == records.map(\.1.activeUsers).max())
        #expect(whole.events == records.reduce(0) { $0 + ($1.1.events ?? 0) })
        #expect(whole.dayBits == 0b0101_1111)
        #expect(whole.features == ((0..<8).filter { $0 % 2 == 1 }.map { "g\($0)" } + ["f0", "f1", "f2"]).sorted())
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20 {
            let shuffled = records.shuffled(using: &generator)
            #expect(Self.folded(shuffled) == whole)
            let cut = Int.random(in: 0...shuffled.count, using: &generator)
            var merged = Self.folded(shuffled[..<cut])
            merged.merge(Self.folded(shuffled[cut...]))
            #expect(merged == whole)
            // A part merged twice (a batch's records read again) adds its events twice but no seq.
            var again = whole
            again.merge(Self.folded(shuffled[..<cut]))
            #expect(again.seqs == whole.seqs && again.firstID == whole.firstID)
        }
    }
}
