import Foundation
import Synchronization
import Testing
@testable import EventLog
import TestSupport

/// Blocks of a log kept elsewhere, made up in memory: `blocks` blocks of `per` records each,
/// record n holding the bytes of "record n"; it fails every query after `failAfter` of them.
final class MadeUpBlocks: BlockSource {
    let blocks: Int, per: Int, failAfter: Int
    let queries = Mutex(0)

    init(blocks: Int, per: Int, failAfter: Int = .max) {
        (self.blocks, self.per, self.failAfter) = (blocks, per, failAfter)
    }

    var lastSeq: UInt64 { UInt64(blocks * per) }

    static func record(_ seq: UInt64) -> [UInt8] { Array("record \(seq)".utf8) }

    func storedBlocks(partition: Int, from: UInt64, through: UInt64, limit: Int) throws -> [LogSnapshot.StoredSourceBlock] {
        let n = queries.withLock { q in q += 1; return q }
        if n > failAfter { throw StoreError(.unavailable, "the made-up database went away after \(failAfter) queries") }
        let first = Int((from - 1) / UInt64(per))
        return (first..<min(blocks, first + limit)).compactMap { b in
            let firstSeq = UInt64(b * per + 1)
            guard firstSeq <= through else { return nil }
            var records: [UInt8] = []
            for seq in firstSeq..<firstSeq + UInt64(per) {
                let r = Self.record(seq)
                records.append(UInt8(r.count))
                records += r
            }
            return (firstSeq, StoredBlock.frame(records, firstSeq: firstSeq, count: per, recordedMicros: Int64(b)).bytes)
        }
    }

    func damaged(partition: Int, firstSeq: UInt64, _ reason: String) -> StoreError {
        StoreError(.corrupt, "the made-up block at seq \(firstSeq) is damaged: \(reason)")
    }
}

@Suite struct FetchAheadTests {
    /// Every record a scan from `from` hands over, with its seq, fetching ahead or not; it stops
    /// after `stopAfter` records.
    func read(_ source: MadeUpBlocks, from: UInt64 = 1, ahead: Bool, stopAfter: Int = .max) throws -> [(UInt64, [UInt8])] {
        let snapshot = LogSnapshot(position: LogPosition(heads: [source.lastSeq]), source: source)
        var out: [(UInt64, [UInt8])] = []
        try snapshot.forEachRecord(from: from, fetchingAhead: ahead) { seq, _, record in
            out.append((seq, Array(record)))
            return out.count < stopAfter
        }
        return out
    }

    @Test("A long scan of a log kept elsewhere that fetches the next blocks ahead on a thread of its own hands over every block, in order, as the scan without it does")
    func sameRecordsInOrder() throws {
        // Long enough to be fetched ahead (`LogSnapshot.fetchAheadEvents`).
        let source = MadeUpBlocks(blocks: 150, per: 700)
        let plain = try read(source, from: 4_000, ahead: false), ahead = try read(MadeUpBlocks(blocks: 150, per: 700), from: 4_000, ahead: true)
        #expect(plain.map(\.0) == Array(4_000...UInt64(150 * 700)))
        #expect(ahead.map(\.0) == plain.map(\.0))
        #expect(ahead.map(\.1) == plain.map(\.1))
        #expect(ahead.allSatisfy { $0.1 == MadeUpBlocks.record($0.0) })
    }

    @Test("A log kept elsewhere, read through a file that keeps what it fetched, is fetched once: the second reading (a rebuild's second pass) hands over the same records and asks the database nothing")
    func fetchedOnce() throws {
        let dir = TempDir()
        let source = MadeUpBlocks(blocks: 150, per: 700)
        let kept = try LogSnapshot(position: LogPosition(heads: [source.lastSeq]), source: source).keepingFetched(at: dir.path + "/blocks")
        func scan(from: UInt64) throws -> [(UInt64, [UInt8])] {
            var out: [(UInt64, [UInt8])] = []
            try kept.forEachRecord(from: from, fetchingAhead: true) { seq, _, record in
                out.append((seq, Array(record)))
                return true
            }
            return out
        }
        let first = try scan(from: 4_000)
        let asked = source.queries.withLock { $0 }
        let second = try scan(from: 4_000)
        #expect(first.map(\.0) == Array(4_000...source.lastSeq) && first.allSatisfy { $0.1 == MadeUpBlocks.record($0.0) })
        #expect(second.map(\.0) == first.map(\.0) && second.map(\.1) == first.map(\.1))
        #expect(asked > 0 && source.queries.withLock { $0 } == asked)
        // Other queries still go to the database, and are kept in turn.
        #expect(try scan(from: 50_000).map(\.0) == Array(50_000...source.lastSeq))
        #expect(source.queries.withLock { $0 } > asked)
    }

    @Test("A scan that stops early stops its fetching a chunk or two later (one that does not fetch ahead fetches only what it reads), and a database error in the fetching thread reaches the reader")
    func stopsAndFails() throws {
        let source = MadeUpBlocks(blocks: 400, per: 300)
        let read = try read(source, ahead: true, stopAfter: 40 * 300)
        #expect(read.count == 40 * 300)
        // However long it is given, the fetching thread fetches no more than the chunk it was
        // handing over when the reader stopped, and the one it was fetching then.
        Thread.sleep(forTimeInterval: 0.2)
        #expect(source.queries.withLock { $0 } <= 40 / PartitionCursor.scanChunk + 3)
        // A reader that does not fetch ahead (a page of the catch-up read) fetches what it reads.
        let paged = MadeUpBlocks(blocks: 400, per: 300)
        #expect(try self.read(paged, ahead: false, stopAfter: 10 * 300).count == 10 * 300)
        #expect(paged.queries.withLock { $0 } == 1)
        let failing = MadeUpBlocks(blocks: 400, per: 300, failAfter: 5)
        #expect(throws: StoreError.self) { try self.read(failing, ahead: true) }
        #expect(failing.queries.withLock { $0 } == 6)
    }
}
