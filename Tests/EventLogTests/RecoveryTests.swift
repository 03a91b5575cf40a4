import Foundation
import Testing
import EventLog
import ThroughlineCore

@Suite struct RecoveryTests {
    /// A closed store of 30 blocks of 10 events each, one segment.
    func makeStore() throws -> TempDir {
        let dir = TempDir()
        let store = try EventStore(directory: dir.path, holder: "test")
        for b in 0..<30 { _ = try store.appendAndWait(EncodedBatch((0..<10).map { note(b * 10 + $0) })) }
        try store.close()
        return dir
    }

    func blockEnds(_ dir: TempDir) throws -> [Int] {
        // Block boundaries come from a clean scan: header (16 bytes) then blocks back to back.
        let data = try Data(contentsOf: URL(fileURLWithPath: dir.segments[0]))
        var ends: [Int] = []
        var offset = 16
        while offset < data.count {
            let stored = data[(offset + 24)..<(offset + 28)].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
            offset += 40 + Int(stored)
            ends.append(offset)
        }
        return ends
    }

    @Test func truncatedTailRecoversToTheLastWholeBlock() throws {
        let original = try makeStore()
        let ends = try blockEnds(original)
        let size = ends.last!
        var rng = SystemRandomNumberGenerator()
        var offsets = (0..<12).map { _ in Int.random(in: 17..<size, using: &rng) }
        offsets += [16, 17, ends[5], ends[5] + 1, size - 1]
        for cut in offsets {
            let dir = original.copy()
            let fd = open(dir.segments[0], O_RDWR)
            ftruncate(fd, off_t(cut))
            close(fd)
            let whole = ends.filter { $0 <= cut }.count
            let store = try EventStore(directory: dir.path, holder: "test")
            #expect(store.lastSeq == UInt64(whole * 10), "cut at \(cut)")
            #expect(store.recoveryReport.isEmpty == ends.contains(cut) || cut == 16, "report for cut at \(cut): \(store.recoveryReport)")
            // The store keeps working: the lost events can be appended again and get the next seqs.
            let r = try store.appendAndWait(EncodedBatch([note(299)]))
            #expect(r[0].status == (whole == 30 ? .duplicate : .accepted))
            try store.close()
            #expect(try LogInspector.verify(directory: dir.path).segments.count == 1)
        }
    }

    @Test func flippedByteInAnEarlierBlockStopsOpenAndVerify() throws {
        let dir = try makeStore()
        let ends = try blockEnds(dir)
        let blockStart = ends[9]  // the 11th block
        let target = blockStart + 40 + 5
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: dir.segments[0]))
        try handle.seek(toOffset: UInt64(target))
        let byte = try handle.read(upToCount: 1)![0]
        try handle.seek(toOffset: UInt64(target))
        try handle.write(contentsOf: Data([byte ^ 0x40]))
        try handle.close()
        let name = (dir.segments[0] as NSString).lastPathComponent
        do {
            _ = try EventStore(directory: dir.path, holder: "test")
            Issue.record("a damaged store opened")
        } catch let e as StoreError {
            #expect(e.kind == .corrupt)
            #expect(e.offset == blockStart)
            #expect(e.message.contains(name) && e.message.contains("byte offset \(blockStart)"), "\(e.message)")
        }
        #expect(throws: StoreError.self) { try LogInspector.verify(directory: dir.path) }
    }

    @Test func damagedLastBlockFollowedByNothingIsATornTail() throws {
        let dir = try makeStore()
        let ends = try blockEnds(dir)
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: dir.segments[0]))
        try handle.seek(toOffset: UInt64(ends[ends.count - 1] - 3))
        try handle.write(contentsOf: Data([0, 0, 0]))
        try handle.close()
        let store = try EventStore(directory: dir.path, holder: "test")
        #expect(store.lastSeq == 290)
        #expect(store.recoveryReport.count == 1 && store.recoveryReport[0].contains("byte offset \(ends[ends.count - 2])"))
        try store.close()
    }

    /// Flips one byte in the middle of a segment file.
    func flip(_ path: String, at offset: Int) throws {
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        try handle.seek(toOffset: UInt64(offset))
        let byte = try handle.read(upToCount: 1)![0]
        try handle.seek(toOffset: UInt64(offset))
        try handle.write(contentsOf: Data([byte ^ 0x40]))
        try handle.close()
    }

    @Test("Segments are scanned at once, yet the first damage in the log is the one reported, and only the last segment may have a torn tail")
    func manySegments() throws {
        let original = TempDir()
        var options = EventStore.Options()
        options.segmentBytes = 2_000
        let store = try EventStore(directory: original.path, holder: "test", options: options)
        for b in 0..<40 { _ = try store.appendAndWait(EncodedBatch((0..<10).map { note(b * 10 + $0) })) }
        try store.close()
        let segments = original.segments
        #expect(segments.count >= 4)
        let reopened = try EventStore(directory: original.path, holder: "test", options: options)
        #expect(reopened.lastSeq == 400 && reopened.recoveryReport.isEmpty)
        try reopened.close()

        // Damage in the second and the fourth segments: the second is named.
        let damaged = original.copy()
        for i in [3, 1] { try flip(damaged.segments[i], at: 16 + 40 + 5) }
        let error = try #require(throws: StoreError.self) { try EventStore(directory: damaged.path, holder: "test", options: options) }
        #expect(error.message.contains((segments[1] as NSString).lastPathComponent), "\(error.message)")

        // A torn tail in a segment before the last is damage, not a tail to cut.
        let torn = original.copy()
        let fd = open(torn.segments[2], O_RDWR)
        ftruncate(fd, off_t(100))
        close(fd)
        let cut = try #require(throws: StoreError.self) { try EventStore(directory: torn.path, holder: "test", options: options) }
        #expect(cut.kind == .corrupt && cut.message.contains((segments[2] as NSString).lastPathComponent), "\(cut.message)")
    }
}
