import EventLog
import Foundation
import Synchronization
import Testing
import ThroughlineCore

/// The promises every log keeps, wherever it is kept.
@Suite struct LogBehaviourTests {
    @Test("Appends get gap-free seqs in commit order and read back as sent", arguments: LogBackend.allCases)
    func seqsAndReadBack(_ backend: LogBackend) throws {
        let place = try backend.fresh()
        let log = try place.open()
        let a = try log.appendBatch(EncodedBatch((1...3).map { note($0) }))
        let b = try log.appendBatch(EncodedBatch((4...5).map { note($0) }))
        #expect(a.map(\.seq) == [1, 2, 3] && b.map(\.seq) == [4, 5])
        #expect((a + b).allSatisfy { $0.status == .accepted })
        let snap = try log.currentSnapshot()
        #expect(snap.lastSeq == 5)
        var seen: [(UInt64, String)] = []
        try snap.forEachEvent { seen.append(($0.seq, $0.event.id)); return true }
        #expect(seen.map(\.0) == [1, 2, 3, 4, 5] && seen.map(\.1) == (1...5).map { "n-\($0)" })
        var from4: [UInt64] = []
        try snap.forEachEvent(from: 4) { from4.append($0.seq); return true }
        #expect(from4 == [4, 5])
        try log.shut()
    }

    @Test("An id is stored once: the same event again is a duplicate with the first seq, other content a conflict, after a restart too",
          arguments: LogBackend.allCases)
    func exactlyOnce(_ backend: LogBackend) throws {
        let place = try backend.fresh()
        do {
            let log = try place.open()
            _ = try log.appendBatch(EncodedBatch((1...10).map { note($0) }))
            try log.shut()
        }
        let log = try place.open()
        let again = try log.appendBatch(EncodedBatch([note(4), note(11), note(7, text: "changed"), note(11), note(12), note(12, text: "other")]))
        #expect(again == [AppendOutcome(.duplicate, seq: 4), AppendOutcome(.accepted, seq: 11), AppendOutcome(.conflict, seq: 7),
                          AppendOutcome(.duplicate, seq: 11), AppendOutcome(.accepted, seq: 12), AppendOutcome(.conflict, seq: 12)])
        var ids: [String] = []
        try log.currentSnapshot().forEachEvent { ids.append($0.event.id); return true }
        #expect(ids == (1...12).map { "n-\($0)" })
        try log.shut()
    }

    @Test("Writers appending at once, each retrying what it sent: every id once, seqs 1…N without a gap, one answer per id",
          arguments: LogBackend.allCases)
    func concurrentWriters(_ backend: LogBackend) throws {
        let place = try backend.fresh()
        // Two handles on the database are two nodes; a local store has one writer per directory.
        let logs = backend == .postgres ? [try place.open(), try place.open()] : [try place.open()]
        let seqOf = Mutex<[String: Set<UInt64>]>([:])
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { w in
            let log = logs[w % logs.count]
            for round in 0..<10 {
                // Overlapping ids: writer w sends its own and its neighbour's.
                let ids = (0..<20).map { (w * 10 + round * 40 + $0) % 400 }
                do {
                    let outcomes = try log.appendBatch(EncodedBatch(ids.map { note($0) }))
                    seqOf.withLock { m in
                        for (id, o) in zip(ids, outcomes) { m["n-\(id)", default: []].insert(o.seq) }
                    }
                    if outcomes.contains(where: { $0.status == .conflict }) { failures.withLock { $0.append("conflict on a same-content retry") } }
                } catch { failures.withLock { $0.append("\(error)") } }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty)
        let snap = try logs[0].currentSnapshot()
        var stored: [(UInt64, String)] = []
        try snap.forEachEvent { stored.append(($0.seq, $0.event.id)); return true }
        #expect(stored.map(\.0) == Array(1...UInt64(stored.count)))
        #expect(Set(stored.map(\.1)).count == stored.count)
        let answers = seqOf.withLock { $0 }
        #expect(answers.count == stored.count)
        for (seq, id) in stored { #expect(answers[id] == [seq], "\(id) was answered \(answers[id] ?? []) but stored at \(seq)") }
        for log in logs { try log.shut() }
    }

    @Test("A large append is split into several blocks and reads back whole", arguments: LogBackend.allCases)
    func largeAppend(_ backend: LogBackend) throws {
        let place = try backend.fresh()
        let log = try place.open()
        let text = String(repeating: "word ", count: 400)
        let outcomes = try log.appendBatch(EncodedBatch((1...3000).map { note($0, text: text) }))
        #expect(outcomes.last == AppendOutcome(.accepted, seq: 3000))
        var count = 0
        try log.currentSnapshot().forEachView(from: 1500) { v in
            count += 1
            return v.seq < 2999
        }
        #expect(count == 1500)
        try log.shut()
    }
}
