import Foundation
import Testing
import EventLog
import ThroughlineCore

@Suite struct EventStoreTests {
    @Test func appendsGetGapFreeSeqsInCommitOrder() throws {
        let dir = TempDir()
        let store = try EventStore(directory: dir.path, holder: "test")
        let a = try store.appendAndWait(EncodedBatch((1...3).map { note($0) }))
        let b = try store.appendAndWait(EncodedBatch((4...5).map { note($0) }))
        #expect(a.map(\.seq) == [1, 2, 3] && b.map(\.seq) == [4, 5])
        #expect((a + b).allSatisfy { $0.status == .accepted })
        #expect(store.lastSeq == 5)
        var seqs: [UInt64] = []
        try store.snapshot().forEachEvent { seqs.append($0.seq); return true }
        #expect(seqs == [1, 2, 3, 4, 5])
        try store.close()
    }

    @Test func duplicateIdReturnsOriginalSeqAcrossRestarts() throws {
        let dir = TempDir()
        do {
            let store = try EventStore(directory: dir.path, holder: "test")
            _ = try store.appendAndWait(EncodedBatch((1...10).map { note($0) }))
            try store.close()
        }
        let store = try EventStore(directory: dir.path, holder: "test")
        let again = try store.appendAndWait(EncodedBatch([note(4), note(11), note(7, text: "changed")]))
        #expect(again == [AppendOutcome(.duplicate, seq: 4), AppendOutcome(.accepted, seq: 11), AppendOutcome(.conflict, seq: 7)])
        #expect(try storedIDs(store).count == 11)
        try store.close()
    }

    @Test func deletingTheIdIndexIsSafe() throws {
        let dir = TempDir()
        do {
            let store = try EventStore(directory: dir.path, holder: "test")
            for b in 0..<5 { _ = try store.appendAndWait(EncodedBatch((0..<20_000).map { note(b * 20_000 + $0) })) }
            try store.close()
        }
        try FileManager.default.removeItem(atPath: dir.path + "/index")
        let store = try EventStore(directory: dir.path, holder: "test")
        let r = try store.appendAndWait(EncodedBatch([note(0), note(77_777), note(99_999, text: "changed"), note(100_000)]))
        #expect(r == [AppendOutcome(.duplicate, seq: 1), AppendOutcome(.duplicate, seq: 77_778),
                      AppendOutcome(.conflict, seq: 100_000), AppendOutcome(.accepted, seq: 100_001)])
        try store.close()
    }

    @Test func sameIdTwiceInOneBatchIsStoredOnce() throws {
        let dir = TempDir()
        let store = try EventStore(directory: dir.path, holder: "test")
        let r = try store.appendAndWait(EncodedBatch([note(1), note(1), note(1, text: "other")]))
        #expect(r == [AppendOutcome(.accepted, seq: 1), AppendOutcome(.duplicate, seq: 1), AppendOutcome(.conflict, seq: 1)])
        try store.close()
    }

    @Test func idIndexStaysExactPastItsFirstTableSize() throws {
        let dir = TempDir()
        let n = 120_000
        do {
            let store = try EventStore(directory: dir.path, holder: "test")
            for start in stride(from: 0, to: n, by: 10_000) {
                _ = try store.appendAndWait(EncodedBatch((start..<(start + 10_000)).map { note($0) }))
            }
            try store.close()
        }
        let store = try EventStore(directory: dir.path, holder: "test")
        let probe = stride(from: 0, to: n, by: 997).map { note($0) }
        let r = try store.appendAndWait(EncodedBatch(probe + [note(n)]))
        #expect(r.dropLast().allSatisfy { $0.status == .duplicate })
        #expect(zip(r.dropLast(), stride(from: 0, to: n, by: 997)).allSatisfy { $0.seq == UInt64($1 + 1) })
        #expect(r.last == AppendOutcome(.accepted, seq: UInt64(n + 1)))
        try store.close()
    }

    @Test func concurrentAppendersShareCommits() async throws {
        let dir = TempDir()
        let store = try EventStore(directory: dir.path, holder: "test")
        let perWriter = 200
        try await withThrowingTaskGroup(of: [UInt64].self) { group in
            for w in 0..<8 {
                group.addTask {
                    var seqs: [UInt64] = []
                    for i in 0..<perWriter { seqs += try await store.append(EncodedBatch([note(w * 10_000 + i)])).map(\.seq) }
                    return seqs
                }
            }
            var all: [UInt64] = []
            for try await s in group {
                #expect(s == s.sorted(), "one appender's events commit in its order")
                all += s
            }
            #expect(all.sorted() == Array(1...UInt64(8 * perWriter)))
        }
        let (segments, _) = try LogInspector.verify(directory: dir.path)
        #expect(segments.reduce(0) { $0 + $1.events } == 8 * perWriter)
        try store.close()
    }

    @Test func segmentsRollAtTheSizeLimitAndReadAcrossThem() throws {
        let dir = TempDir()
        var options = EventStore.Options()
        options.segmentBytes = 1500
        let store = try EventStore(directory: dir.path, holder: "test", options: options)
        for i in 0..<40 { _ = try store.appendAndWait(EncodedBatch((0..<20).map { note(i * 20 + $0, text: "segment roll \(i)") })) }
        #expect(dir.segments.count > 3)
        var seen: [UInt64] = []
        try store.snapshot().forEachEvent(from: 333) { seen.append($0.seq); return true }
        #expect(seen == Array(333...800))
        #expect(try store.snapshot().event(at: 777)?.event.id == "n-776")
        try store.close()
        let reopened = try EventStore(directory: dir.path, holder: "test", options: options)
        #expect(reopened.lastSeq == 800)
        #expect(try reopened.appendAndWait(EncodedBatch([note(5, text: "segment roll 0"), note(6)])) == [AppendOutcome(.duplicate, seq: 6), AppendOutcome(.conflict, seq: 7)])
        try reopened.close()
    }

    @Test func secondWriterIsRefusedAndToldWhoHoldsTheLock() throws {
        let dir = TempDir()
        let store = try EventStore(directory: dir.path, holder: "throughline serve")
        do {
            _ = try EventStore(directory: dir.path, holder: "test")
            Issue.record("a second writer opened the store")
        } catch let e as StoreError {
            #expect(e.kind == .locked)
            #expect(e.message.contains("pid \(ProcessInfo.processInfo.processIdentifier) (throughline serve)"))
        }
        try store.close()
    }

    @Test func readersSeeOnlyDurableEventsWhileTheWriterRuns() async throws {
        let dir = TempDir()
        let store = try EventStore(directory: dir.path, holder: "test")
        let writer = Task {
            for i in 0..<100 { _ = try await store.append(EncodedBatch((0..<10).map { note(i * 10 + $0) })) }
        }
        var lastSeen: UInt64 = 0
        while lastSeen < 1000 {
            let snap = store.snapshot()
            var count: UInt64 = 0
            try snap.forEachEvent { e in
                count += 1
                #expect(e.seq == count)
                return true
            }
            #expect(count == snap.lastSeq)
            #expect(count >= lastSeen)
            lastSeen = count
            await Task.yield()
        }
        try await writer.value
        try store.close()
    }
}
