import Foundation
import Synchronization
import ThroughlineCore

/// The append-only event log of one data directory: segment files of LZ4 blocks under
/// `DATA/log`, the id index under `DATA/index`, guarded by `DATA/throughline.lock`.
///
/// All appends go through one writer thread that coalesces whatever is queued into blocks,
/// writes them with one `pwrite` and one `fdatasync`, and only then assigns visibility and
/// completes the appends (group commit). Seqs are assigned in commit order, gap-free.
/// Readers take a `snapshot()` and never block the writer.
public final class EventStore: @unchecked Sendable {
    /// Tuning knobs; the defaults suit production.
    public struct Options: Sendable {
        /// A segment is sealed and a new one started once it reaches this size.
        public var segmentBytes = 64 << 20
        /// Uncompressed bytes per block before a batch is split into several blocks.
        public var blockBytes = 1 << 20
        /// Most events the writer takes into one commit.
        public var maxBatchEvents = 65_536
        /// Queued events past which `submit` waits (and `trySubmit` refuses): the backpressure bound.
        public var maxQueuedEvents = 262_144
        /// The id index is checkpointed (synced) after this many new events.
        public var indexCheckpointEvents: UInt64 = 1_000_000
        /// Where the `recorded` stamp of each block comes from.
        public var clock = WallClock.system
        /// Called on the writer thread after every commit (for metrics); must be quick.
        public var onCommit: (@Sendable (CommitReport) -> Void)?
        public init() {}
    }

    /// What one group commit did.
    public struct CommitReport: Sendable {
        /// Events in the commit, and how they settled.
        public var events = 0, accepted = 0, duplicate = 0, conflict = 0
        /// Bytes written to the segment (compressed blocks with their headers).
        public var bytesWritten = 0
        /// Time spent in `fdatasync` (zero when nothing new was written).
        public var syncSeconds = 0.0
        /// Events still queued behind this commit.
        public var queuedAfter = 0
    }

    public let directory: String
    public let options: Options
    /// What recovery did on open (torn tails truncated), one line each.
    public let recoveryReport: [String]

    private let lock: StoreLock
    private let logDirectory: String
    private let state: Mutex<State>
    private let queue = NSCondition()
    private var requests: [Request] = []  // guarded by `queue`
    private var queuedEvents = 0  // guarded by `queue`
    private var spaceWaiters: [@Sendable () -> Void] = []  // guarded by `queue`
    private var closing = false  // guarded by `queue`
    private let writerDone = DispatchSemaphore(value: 0)

    // Owned by the writer thread after `init`.
    private let index: IdIndex
    private var activeLength: Int
    private var lastRecorded: Int64 = 0
    private var lastCheckpoint: UInt64
    private var cache = RecordCache()

    struct State {
        var sealed: [LogSnapshot.Part]
        var active: Segment
        var activeBlocks: [BlockRef]
        var lastSeq: UInt64
        var failure: StoreError?
        var spaceShort: String?
    }

    struct Request {
        let events: EncodedBatch
        let completion: @Sendable (Result<[AppendOutcome], StoreError>) -> Void
    }

    /// Opens the store for writing: takes the lock (failing at once if another process holds it),
    /// recovers the log, opens or rebuilds the id index, and starts the writer thread.
    /// `holder` names this process in the lock file (`throughline import`).
    public init(directory: String, holder: String, options: Options = Options()) throws {
        self.directory = directory
        self.options = options
        try FileSystem.makeDirectory(directory)
        // Customer data is its owner's alone: a store made before this rule is closed off too
        // (the server opens the directory to the socket's group when asked, `--socket-group`).
        guard chmod(directory, 0o700) == 0 else { throw StoreError.io("chmod 0700", directory) }
        try FileSystem.restrictToOwner(under: directory)
        lock = try StoreLock(directory: directory, holder: holder)
        logDirectory = directory + "/log"
        let recovery = try Recovery.run(logDirectory: logDirectory, writable: true)
        recoveryReport = recovery.report
        let snapshot = LogSnapshot(parts: recovery.parts, lastSeq: recovery.lastSeq)
        index = try IdIndex(directory: directory + "/index", logLastSeq: recovery.lastSeq) { from, deliver in
            var chunk: [UInt64] = []
            chunk.reserveCapacity(1 << 16)
            do {
                try snapshot.forEachRecord(from: from) { _, _, rec in
                    var r = ByteReader(rec)
                    chunk.append(Hash64.hash(try r.bytes(try r.length())))
                    if chunk.count == 1 << 16 {
                        try deliver(chunk)
                        chunk.removeAll(keepingCapacity: true)
                    }
                    return true
                }
                if !chunk.isEmpty { try deliver(chunk) }
            } catch let e as StoreError { throw e } catch {
                throw StoreError(.corrupt, "cannot read the log to rebuild the id index: \(error)")
            }
        }
        lastCheckpoint = recovery.lastSeq
        activeLength = recovery.activeLength
        var parts = recovery.parts
        let active = parts.removeLast()
        state = Mutex(State(sealed: parts, active: active.segment, activeBlocks: active.blocks,
                            lastSeq: recovery.lastSeq, failure: nil, spaceShort: nil))
        let thread = Thread { [self] in
            writerLoop()
            writerDone.signal()
        }
        thread.name = "throughline-log-writer"
        thread.start()
    }

    /// The last durable seq.
    public var lastSeq: UInt64 { state.withLock { $0.lastSeq } }

    /// A consistent read view of everything durable now.
    public func snapshot() -> LogSnapshot {
        state.withLock { s in
            LogSnapshot(parts: s.sealed + [LogSnapshot.Part(segment: s.active, blocks: s.activeBlocks)], lastSeq: s.lastSeq)
        }
    }

    // MARK: Appending

    /// Queues `events` for the next commit and calls `completion` once their block is durable
    /// (or the write failed). Waits while the queue is over its bound.
    public func submit(_ events: EncodedBatch,
                       completion: @escaping @Sendable (Result<[AppendOutcome], StoreError>) -> Void) {
        enqueue(events, wait: true, completion: completion)
    }

    /// Like `submit`, but returns false at once instead of waiting when the queue is full.
    public func trySubmit(_ events: EncodedBatch,
                          completion: @escaping @Sendable (Result<[AppendOutcome], StoreError>) -> Void) -> Bool {
        enqueue(events, wait: false, completion: completion)
    }

    /// Appends `events` and resumes once they are durable. While the queue is over its bound the
    /// caller is suspended, not its thread: the backpressure path for async servers.
    public func commit(_ events: EncodedBatch) async -> Result<[AppendOutcome], StoreError> {
        while true {
            let result: Result<[AppendOutcome], StoreError>? = await withCheckedContinuation { cont in
                enqueue(events, wait: false, whenFull: { cont.resume(returning: nil) }) { cont.resume(returning: $0) }
            }
            if let result { return result }
        }
    }

    /// Events queued for the writer and not yet taken into a commit.
    public var queuedEventCount: Int {
        queue.lock()
        defer { queue.unlock() }
        return queuedEvents
    }

    /// Queues the events, or when the queue is full: waits (`wait`), or registers `whenFull` to be
    /// called once there is room and returns false, or just returns false.
    @discardableResult
    private func enqueue(_ events: EncodedBatch, wait: Bool, whenFull: (@Sendable () -> Void)? = nil,
                         completion: @escaping @Sendable (Result<[AppendOutcome], StoreError>) -> Void) -> Bool {
        if events.isEmpty { completion(.success([])); return true }
        queue.lock()
        while !closing && queuedEvents > 0 && queuedEvents + events.count > options.maxQueuedEvents {
            if !wait {
                if let whenFull { spaceWaiters.append(whenFull) }
                queue.unlock()
                return false
            }
            queue.wait()
        }
        if closing {
            queue.unlock()
            completion(.failure(StoreError(.closed, "the store is closed")))
            return true
        }
        if let failure = state.withLock({ $0.failure }) {
            queue.unlock()
            completion(.failure(failure))
            return true
        }
        requests.append(Request(events: events, completion: completion))
        queuedEvents += events.count
        queue.broadcast()
        queue.unlock()
        return true
    }

    /// Appends `events` and returns once they are durable: one outcome per event, in order.
    public func appendAndWait(_ events: [EncodedEvent]) throws -> [AppendOutcome] {
        let done = DispatchSemaphore(value: 0)
        let box = Mutex<Result<[AppendOutcome], StoreError>?>(nil)
        submit(EncodedBatch(events)) { result in
            box.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        return try box.withLock { $0! }.get()
    }

    /// Appends `events` and resumes once they are durable.
    public func append(_ events: [EncodedEvent]) async throws -> [AppendOutcome] {
        try await withCheckedThrowingContinuation { cont in
            submit(EncodedBatch(events)) { cont.resume(with: $0) }
        }
    }

    /// Stops accepting appends, commits everything queued, syncs the id index and releases the
    /// lock. Safe to call more than once.
    public func close() throws {
        queue.lock()
        let first = !closing
        closing = true
        queue.broadcast()
        let waiters = spaceWaiters
        spaceWaiters = []
        queue.unlock()
        for w in waiters { w() }
        guard first else { return }
        writerDone.wait()
        defer { lock.release() }
        if state.withLock({ $0.failure }) == nil { try index.checkpoint(clean: true) }
    }

    // MARK: The writer thread

    private func writerLoop() {
        while true {
            queue.lock()
            while requests.isEmpty && !closing { queue.wait() }
            if requests.isEmpty && closing { queue.unlock(); return }
            var taken: [Request] = []
            var n = 0
            while let r = requests.first, taken.isEmpty || n + r.events.count <= options.maxBatchEvents {
                taken.append(requests.removeFirst())
                n += r.events.count
            }
            queuedEvents -= n
            let queuedAfter = queuedEvents
            queue.broadcast()
            let waiters = spaceWaiters
            spaceWaiters = []
            queue.unlock()
            for w in waiters { w() }
            commit(taken, eventCount: n, queuedAfter: queuedAfter)
        }
    }

    private func commit(_ batch: [Request], eventCount: Int, queuedAfter: Int) {
        if let failure = state.withLock({ $0.failure }) {
            for r in batch { r.completion(.failure(failure)) }
            return
        }
        do {
            var report = CommitReport()
            report.queuedAfter = queuedAfter
            let outcomes = try write(batch, eventCount: eventCount, report: &report)
            state.withLock { $0.spaceShort = nil }
            for (r, o) in zip(batch, outcomes) { r.completion(.success(o)) }
            options.onCommit?(report)
        } catch let cause as StoreError where cause.kind == .full {
            // Nothing of the commit was kept (`write` took it back): the next commit tries again.
            state.withLock { $0.spaceShort = cause.message }
            for r in batch { r.completion(.failure(cause)) }
        } catch {
            let cause = (error as? StoreError) ?? StoreError(.io, "\(error)")
            state.withLock { $0.failure = StoreError(.failed, "the log writer stopped after: \(cause.message); restart to recover") }
            for r in batch { r.completion(.failure(cause)) }
        }
    }

    /// Why the last commit failed for want of space, while no commit has succeeded since.
    public var spaceShort: String? { state.withLock { $0.spaceShort } }

    /// Checks ids, frames the new events into blocks, writes and syncs them, then publishes.
    private func write(_ batch: [Request], eventCount: Int, report: inout CommitReport) throws -> [[AppendOutcome]] {
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
            let active = state.withLock { $0.active }
            try active.file.truncate(to: activeLength)
            throw error
        }
    }

    private func write(_ batch: [Request], eventCount: Int, report: inout CommitReport,
                       inserted: inout [(hash: UInt64, seq: UInt64)]) throws -> [[AppendOutcome]] {
        let snap = snapshot()
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
                    let same = try sameContent(body, try stored(seq), seq: seq)
                    results.append(AppendOutcome(same ? .duplicate : .conflict, seq: seq))
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
        report.events = eventCount
        report.accepted = pending.count
        for o in outcomes.joined() where o.status != .accepted {
            if o.status == .duplicate { report.duplicate += 1 } else { report.conflict += 1 }
        }
        guard !pending.isEmpty else { return outcomes }

        let now = max(options.clock.now(), lastRecorded)
        lastRecorded = now
        var bytes: [UInt8] = []
        var refs: [BlockRef] = []
        var payload = ByteWriter(capacity: min(options.blockBytes, pending.count * 200) + 1024)
        var blockFirst = firstSeq
        var blockCount = 0
        func flush() {
            let block = payload.bytes.withUnsafeBytes {
                BlockCodec.encode(payload: $0, firstSeq: blockFirst, count: blockCount, recordedMicros: now)
            }
            refs.append(BlockRef(firstSeq: blockFirst, count: UInt32(blockCount), offset: activeLength + bytes.count,
                                 length: block.count, recordedMicros: now))
            bytes.append(contentsOf: block)
            blockFirst += UInt64(blockCount)
            blockCount = 0
            payload.bytes.removeAll(keepingCapacity: true)
        }
        for p in pending {
            let events = batch[p.request].events
            let range = events.range(p.event)
            payload.varint(UInt64(range.count))
            payload.bytes.append(contentsOf: events.bytes[range])
            blockCount += 1
            if payload.bytes.count >= options.blockBytes { flush() }
        }
        if blockCount > 0 { flush() }

        let active = state.withLock { $0.active }
        try index.appendHashes(pending.map { batch[$0.request].events.hashes[$0.event] }, firstSeq: firstSeq)
        try bytes.withUnsafeBytes { (b) throws in try active.file.write(at: activeLength, b) }
        let syncStart = monotonicNanos()
        try active.file.syncData()
        report.syncSeconds = Double(monotonicNanos() - syncStart) / 1e9
        report.bytesWritten = bytes.count
        activeLength += bytes.count
        let last = next - 1
        state.withLock { s in
            s.activeBlocks.append(contentsOf: refs)
            s.lastSeq = last
        }
        // The commit is durable and published; what follows is upkeep that a full disk may
        // postpone to a later commit, never undo.
        do {
            if activeLength >= options.segmentBytes { try roll(nextSeq: next) }
            if last - lastCheckpoint >= options.indexCheckpointEvents {
                try index.checkpoint()
                lastCheckpoint = last
            }
        } catch let error as StoreError where error.kind == .full {
            state.withLock { $0.spaceShort = error.message }
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
        state.withLock { s in
            s.sealed.append(LogSnapshot.Part(segment: s.active, blocks: s.activeBlocks))
            s.active = fresh
            s.activeBlocks = []
        }
        activeLength = Segment.headerSize
    }

    /// True when two record bodies with the same id hold the same event as JSON means it.
    private func sameContent(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>, seq: UInt64) throws -> Bool {
        if a == b { return true }
        func decode(_ body: ArraySlice<UInt8>) throws -> Event {
            try body.withUnsafeBytes { b in
                var r = ByteReader(b)
                return try RecordCodec.decodeBody(&r)
            }
        }
        do {
            return try decode(a).sameContent(as: decode(b))
        } catch {
            throw StoreError(.corrupt, "record at seq \(seq) does not decode: \(error)")
        }
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
