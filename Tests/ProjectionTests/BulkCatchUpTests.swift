import EventLog
import Foundation
@testable import Projections
import Synchronization
import Testing
import TestSupport
import ThroughlineCore

/// A running projector whose read models are far behind the log builds them again in bulk beside
/// the live ones and puts them in place, while reads go on.
@Suite("The projector catches a long backlog up in bulk", .serialized)
struct BulkCatchUpTests {
    static func append(_ store: EventStore, _ lines: ArraySlice<String>) throws {
        for chunk in stride(from: lines.startIndex, to: lines.endIndex, by: 5000) {
            let events = try lines[chunk..<min(lines.endIndex, chunk + 5000)].map { try EventDecoder.encode(Array($0.utf8)) }
            _ = try store.appendAndWait(EncodedBatch(events))
        }
    }

    @Test("Far behind while it runs: the projector rebuilds beside the live read models and swaps them in; reads meanwhile all succeed and see the old or the new state; the result equals a rebuild, and a short backlog is followed")
    func rebuildsWhileReading() async throws {
        let lines = generatedLines(accounts: 12, days: 240, seed: 5)
        let dir = TempDir()
        let store = try EventStore(directory: dir.path, holder: "test")
        defer { try? store.close() }
        let first = lines.count / 10
        try Self.append(store, lines[..<first])
        let projections = try ProjectionStore(directory: dir.path)
        let projector = Projector(store: projections, batchSize: 500)
        try projector.catchUp(store.snapshot())
        let old = try projections.checkpoint().events
        #expect(old == UInt64(first))
        try Self.append(store, lines[first...])
        let rebuilt = Mutex<[(events: UInt64, behind: UInt64)]>([])
        let runner = try ProjectorRunner(projector: projector, snapshot: { store.snapshot() },
                                         reserve: DiskReserve(bytes: 0, readModels: projections), rebuildBehind: 100,
                                         onRebuilt: { events, behind, _ in rebuilt.withLock { $0.append((events, behind)) } })

        // Readers on threads of their own, all through the rebuild and the swap.
        let stop = Atomic<Bool>(false)
        let seen = Mutex<(reads: Int, failures: [String], checkpoints: Set<UInt64>)>((0, [], []))
        let readers = (0..<2).map { _ in
            Thread {
                while !stop.load(ordering: .relaxed) {
                    do {
                        let c = try projections.checkpoint().events
                        _ = try projections.portfolio(PortfolioFilter())
                        seen.withLock { $0.reads += 1; $0.checkpoints.insert(c) }
                    } catch {
                        seen.withLock { $0.failures.append("\(error)") }
                    }
                }
            }
        }
        for r in readers { r.start() }
        runner.worker.start()
        let reached = try await eventually(tries: 600) { runner.applied.events == UInt64(lines.count) }
        let readNew = try await eventually(tries: 100) { seen.withLock { $0.checkpoints.contains(UInt64(lines.count)) } }
        stop.store(true, ordering: .relaxed)
        runner.worker.requestStop()
        await runner.worker.finished()
        try await Task.sleep(for: .milliseconds(200))
        #expect(reached)
        #expect(rebuilt.withLock { $0.map(\.behind) } == [UInt64(lines.count - first)])
        let (reads, failures, checkpoints) = seen.withLock { $0 }
        #expect(reads > 0 && failures.isEmpty, "\(failures.prefix(3))")
        // Each read saw the read models before the swap or after it, nothing in between.
        #expect(readNew && checkpoints == [old, UInt64(lines.count)])
        #expect(!runner.rebuilding)

        // The swapped-in read models are those a rebuild of the log writes.
        let live = try projections.allRows()
        let whole = dir.copy()
        let copy = try EventStore(directory: whole.path, holder: "test")
        try Rebuild.run(copy.snapshot(), directory: whole.path)
        try copy.close()
        let expected = try ProjectionStore(directory: whole.path).allRows()
        for (table, rows) in expected {
            #expect(live[table] == rows, "\(table): \(live[table]?.count ?? 0) rows against \(rows.count)")
        }
        // A rebuild scores without marks: the swapped-in read models mark every account for the alerter.
        #expect(try projections.alertMarks(limit: 100).count == 12)

        // A short backlog after that is followed: the file stays.
        let inode = { try (FileManager.default.attributesOfItem(atPath: projections.path)[.systemFileNumber] as? Int) ?? -1 }
        let before = try inode()
        try Self.append(store, [#"{"id":"late-1","account":"acct-00001","type":"note.added","time":"2026-03-02T09:14:00Z","data":{"author":"maria","text":"late"}}"#][...])
        let again = try ProjectorRunner(projector: projector, snapshot: { store.snapshot() },
                                        reserve: DiskReserve(bytes: 0, readModels: projections), rebuildBehind: 100,
                                        onRebuilt: { events, behind, _ in rebuilt.withLock { $0.append((events, behind)) } })
        again.worker.start()
        #expect(try await eventually(tries: 300) { again.applied.events == UInt64(lines.count + 1) })
        again.worker.requestStop()
        await again.worker.finished()
        #expect(rebuilt.withLock { $0.count } == 1)
        #expect(try inode() == before)
    }
}
