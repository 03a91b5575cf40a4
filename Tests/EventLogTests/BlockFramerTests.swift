import EventLog
import Testing
import ThroughlineCore

/// Blocks framed ahead of their commit, on the appending thread, and moved to where they land.
@Suite struct BlockFramerTests {
    static let batch = EncodedBatch((1...12).map { note($0, text: "framed ahead") })
    static let blockBytes = 120  // two or three records a block

    static func framedHere(_ indices: some Sequence<Int>, at seq: UInt64, _ micros: Int64) -> [BlockFramer.Framed] {
        var framer = BlockFramer(firstSeq: seq, recordedMicros: micros, blockBytes: blockBytes)
        for i in indices { framer.add(batch.body(i)) }
        return framer.finish()
    }

    @Test("A commit of only new events stores the blocks framed ahead, restamped: byte for byte the blocks framed at their seqs")
    func allNewTakesTheBlocksFramedAhead() {
        let ahead = BlockFramer.ahead(Self.batch, blockBytes: Self.blockBytes)
        #expect(ahead.count > 2 && ahead.reduce(0) { $0 + $1.count } == 12, "\(ahead.map(\.count)) \(Self.batch.count) \(Self.batch.bytes.count)")
        let stored = BlockFramer.commit(ahead: ahead, newRecords: 12, bodies: (0..<12).lazy.map { Self.batch.body($0) },
                                        firstSeq: 501, recordedMicros: 1_780_000_000_000_000, blockBytes: 1 << 20, expectedBytes: 0)
        let here = Self.framedHere(0..<12, at: 501, 1_780_000_000_000_000)
        #expect(stored.map(\.bytes) == here.map(\.bytes))
        #expect(stored.map(\.firstSeq) == here.map(\.firstSeq) && stored.last?.lastSeq == 512)
    }

    @Test("A commit where some events were stored before frames the new ones alone, at the seqs they get")
    func someStoredFramesTheNewOnes() {
        let ahead = BlockFramer.ahead(Self.batch, blockBytes: Self.blockBytes)
        let new = [0, 3, 4, 9]
        let stored = BlockFramer.commit(ahead: ahead, newRecords: new.count, bodies: new.lazy.map { Self.batch.body($0) },
                                        firstSeq: 20, recordedMicros: 7, blockBytes: Self.blockBytes, expectedBytes: 0)
        #expect(stored.map(\.bytes) == Self.framedHere(new, at: 20, 7).map(\.bytes))
        let none = BlockFramer.commit(ahead: nil, newRecords: 12, bodies: (0..<12).lazy.map { Self.batch.body($0) },
                                      firstSeq: 1, recordedMicros: 0, blockBytes: Self.blockBytes, expectedBytes: 0)
        #expect(none.map(\.bytes) == Self.framedHere(0..<12, at: 1, 0).map(\.bytes))
    }
}
