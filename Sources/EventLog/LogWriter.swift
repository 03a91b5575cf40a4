import Foundation
import ThroughlineCore

/// The one writer of a store's files: it takes appends from the commit queue, checks their ids
/// against the id index, frames the new events into LZ4 blocks, writes and syncs them with one
/// `pwrite` and one `fdatasync` (group commit), then publishes them and completes the appends.
/// It owns the index, the active segment's length and the read-back cache, and lives on its
/// own thread: nothing else touches it (it is not Sendable).
final class LogWriter {
    private let logDirectory: String
    private let options: EventStore.Options
    private let published: PublishedLog
    private let index: IdIndex
    private var activeLength: Int
    private var lastRecorded: Int64 = 0
    private var lastCheckpoint: UInt64
    private var cache = RecordCache()

    init(logDirectory: String, options: EventStore.Options, published: PublishedLog, index: IdIndex, activeLength: Int, lastSeq: UInt64) {
        self.logDirectory = logDirectory
        self.options = options
        self.published = published
        self.index = index
        self.activeLength = activeLength
        lastCheckpoint = lastSeq
    }

    /// Commits what the queue holds until it is closed and empty, then checkpoints the id index
    /// (unless the writer stopped after a failure).
    func run(_ queue: CommitQueue) throws {
        while let (batch, events, queuedAfter) = queue.take(maxEvents: options.maxBatchEvents) {
            commit(batch, eventCount: events, queuedAfter: queuedAfter)
        }
        if published.failure == nil { try index.checkpoint(clean: true) }
    }

    private func commit(_ batch: [CommitQueue.Request], eventCount: Int, queuedAfter: Int) {
        if let failure = published.failure {
            for r in batch { r.completion(.failure(failure)) }
            return
        }
        do {
            var report = EventStore.CommitReport()
            report.queuedAfter = queuedAfter
            let outcomes = try write(batch, eventCount: eventCount, report: &report)
            published.update { $0.spaceShort = nil }
            for (r, o) in zip(batch, outcomes) { r.completion(.success(o)) }
            options.onCommit?(report)
        } catch let cause as StoreError where cause.kind == .full {
            // Nothing of the commit was kept (`write` took it back): the next commit tries again.
            published.update { $0.spaceShort = cause.message }
            for r in batch { r.completion(.failure(cause)) }
        } catch {
            let cause = (error as? StoreError) ?? StoreError(.io, "\(error)")
            published.update { $0.failure = StoreError(.failed, "the log writer stopped after: \(cause.message); restart to recover") }
            for r in batch { r.completion(.failure(cause)) }
        }
    }

    /// Checks ids, frames the new events into blocks, writes and syncs them, then publishes.
    private func write(_ batch: [CommitQueue.Request], eventCount: Int, report: inout EventStore.CommitReport) throws -> [[AppendOutcome]] {
        // A full disk fails the commit with nothing kept: the index entries, hashes and segment
        // bytes it added are taken back, so the same events can be appended again later.
        try index.reserve(additional: eventCount)
        let hashedBefore = index.hashedThrough
        var inserted: [(hash: UInt64, seq: UInt64)] = []
        do {
            return try write(batch, eventCount: eventCount, report: &report, inserted: &inserted)
        } catch let error as StoreError where error.kind == .full {
            for e in inserted { index.remove(hash: e.hash, seq: e.seq) }
            try index.truncateHashes(through: hashedBefore)
            let active = published.active
            try active.file.truncate(to: activeLength)
            throw error
        }
    }

    private func write(_ batch: [CommitQueue.Request], eventCount: Int, report: inout EventStore.CommitReport,
                       inserted: inout [(hash: UInt64, seq: UInt64)]) throws -> [[AppendOutcome]] {
        let snap = published.snapshot()
        let firstSeq = snap.lastSeq + 1
        var next = firstSeq
        // New events of this commit, as (request, event) positions, in seq order.
        var pending: [(request: Int, event: Int)] = []
        pending.reserveCapacity(eventCount)
        func stored(_ seq: UInt64) throws -> ArraySlice<UInt8> {
            if seq >= firstSeq {
                let p = pending[Int(seq - firstSeq)]
                return batch[p.request].events.body(p.event)
            }
            return try cache.body(seq, in: snap)[...]
        }
        for request in batch { index.prefetch(request.events.hashes) }
        var outcomes: [[AppendOutcome]] = []
        for (r, request) in batch.enumerated() {
            let events = request.events
            var results: [AppendOutcome] = []
            results.reserveCapacity(events.count)
            for i in 0..<events.count {
                let body = events.body(i)
                if let seq = try index.firstMatch(hash: events.hashes[i], { (seq) throws in
                    guard seq < next else { return false }
                    return RecordCodec.sameID(body, try stored(seq))
                }) {
                    results.append(AppendOutcome(try IdMatch.status(body, against: try stored(seq), seq: seq), seq: seq))
                } else {
                    index.insert(hash: events.hashes[i], seq: next)
                    inserted.append((events.hashes[i], next))
                    pending.append((r, i))
                    results.append(AppendOutcome(.accepted, seq: next))
                    next += 1
                }
            }
            outcomes.append(results)
        }
        report.tally(outcomes.joined())
        guard !pending.isEmpty else { return outcomes }

        let framing = monotonicNanos()
        let now = max(options.clock.now(), lastRecorded)
        lastRecorded = now
        let ahead = CommitQueue.ahead(of: batch)
        let framed = BlockFramer.commit(ahead: ahead, newRecords: pending.count, bodies: pending.lazy.map { batch[$0.request].events.body($0.event) },
                                        firstSeq: firstSeq, recordedMicros: now, blockBytes: options.blockBytes, expectedBytes: pending.count * 200)
        var bytes: [UInt8] = []
        var refs: [BlockRef] = []
        for block in framed {
            refs.append(BlockRef(firstSeq: block.firstSeq, count: UInt32(block.count), offset: activeLength + bytes.count,
                                 length: block.bytes.count, recordedMicros: now))
            bytes.append(contentsOf: block.bytes)
        }

        let active = published.active
        try index.appendHashes(pending.map { batch[$0.request].events.hashes[$0.event] }, firstSeq: firstSeq)
        try bytes.withUnsafeBytes { (b) throws in try active.file.write(at: activeLength, b) }
        let syncStart = monotonicNanos()
        try active.file.syncData()
        report.syncSeconds = Double(monotonicNanos() - syncStart) / 1e9
        report.bytesWritten = bytes.count
        activeLength += bytes.count
        let last = next - 1
        published.update { s in
            s.activeBlocks.append(contentsOf: refs)
            s.lastSeq = last
        }
        report.commitSeconds = Double(monotonicNanos() - framing) / 1e9
        // The commit is durable and published; what follows is upkeep that a full disk may
        // postpone to a later commit, never undo.
        do {
            if activeLength >= options.segmentBytes { try roll(nextSeq: next) }
            if last - lastCheckpoint >= options.indexCheckpointEvents {
                try index.checkpoint()
                lastCheckpoint = last
            }
        } catch let error as StoreError where error.kind == .full {
            published.update { $0.spaceShort = error.message }
        }
        return outcomes
    }

    /// Seals the active segment and starts a new one at `nextSeq`.
    private func roll(nextSeq: UInt64) throws {
        let fresh: Segment
        do {
            fresh = try Segment.create(directory: logDirectory, firstSeq: nextSeq)
        } catch let error as StoreError where error.kind == .full {
            // The active segment stays active (a little over its size) until a roll succeeds.
            unlink(logDirectory + "/" + Segment.fileName(firstSeq: nextSeq))
            throw error
        }
        published.update { s in
            s.sealed.append(LogSnapshot.Part(segment: s.active, blocks: s.activeBlocks))
            s.active = fresh
            s.activeBlocks = []
        }
        activeLength = Segment.headerSize
    }
}

/// The writer's cache of the last block it read back, for confirming id matches.
struct RecordCache {
    private var firstSeq: UInt64 = 0
    private var bodies: [[UInt8]] = []

    mutating func body(_ seq: UInt64, in snap: LogSnapshot) throws -> [UInt8] {
        if seq >= firstSeq, seq < firstSeq + UInt64(bodies.count) { return bodies[Int(seq - firstSeq)] }
        guard let (segment, block) = snap.locate(seq) else {
            throw StoreError(.corrupt, "the id index points at seq \(seq), which the log does not hold")
        }
        let raw = try segment.readBlock(block)
        var list: [[UInt8]] = []
        list.reserveCapacity(Int(block.count))
        do {
            try raw.withUnsafeBytes { (b) throws in
                var r = ByteReader(b)
                for _ in 0..<block.count { list.append(Array(try r.bytes(try r.length()))) }
            }
        } catch {
            throw StoreError.corrupt(segment.path, offset: block.offset, "records do not decode: \(error)")
        }
        firstSeq = block.firstSeq
        bodies = list
        return bodies[Int(seq - firstSeq)]
    }
}
