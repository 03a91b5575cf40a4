import Foundation
import Synchronization
import ThroughlineCore

/// The append-only event log of one data directory: segment files of LZ4 blocks under
/// `DATA/log`, the id index under `DATA/index`, guarded by `DATA/throughline.lock`.
///
/// A thin facade over three parts: the commit queue (`CommitQueue`: appends waiting, and the
/// backpressure bound), the writer that owns the files on its own thread (`LogWriter`: group
/// commit, seqs in commit order, gap-free) and what the writer has published for readers
/// (`PublishedLog`). Readers take a `snapshot()` and never block the writer. There is one
/// async append, for servers, and one blocking append, for the command line.
///
/// The same facade serves a node of a log kept elsewhere (`SharedLog`: PostgreSQL): the commit
/// queue feeds `SharedLogWriter` (one transaction per batch), and `LogFollower` knows the head
/// that snapshots read to, moved by this node's commits and other nodes' announcements.
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
        /// Called when a shared log's head moves past what this node knew (another node's
        /// commit, announced or polled, or this node's own); must be quick.
        public var onAdvance: (@Sendable (UInt64) -> Void)?
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
        /// From the commit's `recorded` stamp to its events' publication, durable, to readers
        /// and streams: framing and compressing, writing, syncing (zero when nothing new was written).
        public var commitSeconds = 0.0
        /// Events still queued behind this commit.
        public var queuedAfter = 0

        /// Counts the commit's events by how they settled.
        mutating func tally(_ outcomes: some Sequence<AppendOutcome>) {
            for o in outcomes {
                events += 1
                switch o.status {
                case .accepted: accepted += 1
                case .duplicate: duplicate += 1
                case .conflict: conflict += 1
                }
            }
        }
    }

    /// The node's data directory: the log's segments and key store when the log is local, and
    /// in any case the lock, the read models and the rest of the node's own files.
    public let directory: String
    public let options: Options
    /// The log kept outside this process, when it is (`--log postgres://…`).
    public let shared: (any SharedLog)?
    /// The keys personal values are sealed with (`keys.sqlite`).
    public let keyring: Keyring
    /// What recovery did on open (torn tails truncated), one line each.
    public let recoveryReport: [String]

    /// The data directory's lock (none for a shared log appended to without a directory).
    private let lock: StoreLock?
    /// The local log's state as its writer published it (nil for a shared log).
    private let published: PublishedLog?
    /// What this node knows of a shared log (nil for a local one).
    private let follower: LogFollower?
    private let queue: CommitQueue
    private let writerDone = DispatchSemaphore(value: 0)
    /// How the writer thread ended, once it has.
    private let writerEnd = Mutex<Error?>(nil)

    /// Opens the store for writing: takes the lock (failing at once if another process holds it),
    /// recovers the log, opens or rebuilds the id index, and starts the writer thread.
    /// `holder` names this process in the lock file (`throughline import`).
    public init(directory: String, holder: String, options: Options = Options()) throws {
        self.directory = directory
        self.options = options
        shared = nil
        lock = try Self.lock(directory, holder: holder)
        keyring = try Keyring.open(directory: directory, writable: true)!
        let logDirectory = directory + "/log"
        let recovery = try Recovery.run(logDirectory: logDirectory, writable: true)
        recoveryReport = recovery.report
        let snapshot = LogSnapshot(parts: recovery.parts, lastSeq: recovery.lastSeq)
        let index = try IdIndex(directory: directory + "/index", logLastSeq: recovery.lastSeq) { from, deliver in
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
        let published = PublishedLog(recovery.parts, lastSeq: recovery.lastSeq)
        self.published = published
        queue = CommitQueue(maxQueuedEvents: options.maxQueuedEvents, refusal: { published.failure })
        follower = nil
        // Handed to the writer thread, and not touched here again.
        nonisolated(unsafe) let writer = LogWriter(logDirectory: logDirectory, options: options, published: published, index: index,
                                                   activeLength: recovery.activeLength, lastSeq: recovery.lastSeq)
        startWriter { try writer.run($0) }
    }

    /// Opens a node of the log `log` kept outside this process (PostgreSQL), with `directory`
    /// for the node's own files (none for a command that only appends): takes the directory's
    /// lock, opens the log's key store, reads the log's head and starts the writer (one
    /// transaction per batch) and the follower (which learns other nodes' commits). Nothing of
    /// the log is kept in the directory.
    public init(directory: String?, holder: String, log: any SharedLog, options: Options = Options()) throws {
        self.directory = directory ?? log.name
        self.options = options
        shared = log
        let lock = try directory.map { try Self.lock($0, holder: holder) }
        self.lock = lock
        if let directory { log.useDirectory(directory) }
        let keyring: Keyring
        do { keyring = try Keyring.open(try log.keyVault()) } catch {
            lock?.release()
            throw error
        }
        self.keyring = keyring
        let head: LogPosition
        do { head = try log.head() } catch {
            keyring.release()
            lock?.release()
            throw error
        }
        recoveryReport = []
        published = nil
        let onAdvance = options.onAdvance
        let follower = LogFollower(log: log, head: head) { onAdvance?($0) }
        self.follower = follower
        queue = CommitQueue(maxQueuedEvents: options.maxQueuedEvents, refusal: { nil })
        let writer = SharedLogWriter(log: log, options: options, follower: follower)
        startWriter { writer.run($0) }
    }

    /// Makes the data directory its owner's alone and takes its lock.
    private static func lock(_ directory: String, holder: String) throws -> StoreLock {
        try FileSystem.makeDirectory(directory)
        // Customer data is its owner's alone: a store made before this rule is closed off too
        // (the server opens the directory to the socket's group when asked, `--socket-group`).
        guard chmod(directory, 0o700) == 0 else { throw StoreError.io("chmod 0700", directory) }
        try FileSystem.restrictToOwner(under: directory)
        return try StoreLock(directory: directory, holder: holder)
    }

    /// Starts the writer's thread.
    private func startWriter(_ run: @escaping @Sendable (CommitQueue) throws -> Void) {
        let queue = queue
        let thread = Thread { [self] in
            do { try run(queue) } catch { writerEnd.withLock { $0 = error } }
            writerDone.signal()
        }
        thread.name = "throughline-log-writer"
        thread.start()
    }

    /// The highest durable seq (of a shared log: the highest this node knows of).
    public var lastSeq: UInt64 { published?.lastSeq ?? follower!.head.lastSeq }

    /// The last durable event of each partition (of a shared log: that this node knows of).
    public var position: LogPosition { published.map { LogPosition(heads: [$0.lastSeq]) } ?? follower!.head }

    /// How the log is partitioned (a log in segment files has one partition).
    public var partitioning: Partitioning { shared?.partitioning ?? .one }

    /// A consistent read view of everything durable now (that this node knows of).
    public func snapshot() -> LogSnapshot { published?.snapshot() ?? shared!.snapshot(through: follower!.head) }

    /// Why a shared log cannot be reached now, while it cannot: appends fail (503), and the read
    /// models may be behind it.
    public var unreachable: String? { follower?.unreachable }

    /// The last durable event of each partition, asked of a shared log now (another node's
    /// commit may be past what this node has heard of); blocks for one round trip.
    public func currentPosition() throws(StoreError) -> LogPosition {
        guard let shared, let follower else { return position }
        let head = try shared.head()
        follower.advance(to: head)
        return head
    }

    /// Events queued for the writer and not yet taken into a commit.
    public var queuedEventCount: Int { queue.count }

    /// Why the last commit failed for want of space, while no commit has succeeded since.
    public var spaceShort: String? { published?.spaceShort }

    // MARK: Appending

    /// Appends `events` and resumes once they are durable: one outcome per event, in order.
    /// While the queue is over its bound the caller is suspended, not its thread. It throws a
    /// `StoreError`.
    public func append(_ events: EncodedBatch) async throws -> [AppendOutcome] {
        try await commit(events).get()
    }

    /// `append`, its outcome as a value: for the ingest session, which keeps a batch in flight.
    func commit(_ unsealed: EncodedBatch) async -> Result<[AppendOutcome], StoreError> {
        let events: EncodedBatch
        do { events = try keyring.seal(unsealed) } catch { return .failure(StoreError.of(error)) }
        let ahead = framedAhead(events)
        while true {
            let result: Result<[AppendOutcome], StoreError>? = await withCheckedContinuation { cont in
                queue.enqueue(events, ahead: ahead, wait: false, whenFull: { cont.resume(returning: nil) }) { cont.resume(returning: $0) }
            }
            if let result { return result }
        }
    }

    /// Appends `events` and returns once they are durable, blocking the thread (while the queue
    /// is over its bound too): for the command line and tools.
    public func appendAndWait(_ events: EncodedBatch) throws(StoreError) -> [AppendOutcome] {
        let done = DispatchSemaphore(value: 0)
        let box = Mutex<Result<[AppendOutcome], StoreError>?>(nil)
        submit(events) { result in
            box.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        return try box.withLock { $0! }.get()
    }

    /// Queues `events` and calls `completion` once they are durable (or the write failed),
    /// blocking while the queue is over its bound: the importer keeps two batches in flight so.
    func submit(_ events: EncodedBatch, completion: @escaping @Sendable (Result<[AppendOutcome], StoreError>) -> Void) {
        let sealed: EncodedBatch
        do { sealed = try keyring.seal(events) } catch { return completion(.failure(StoreError.of(error))) }
        queue.enqueue(sealed, ahead: framedAhead(sealed), wait: true, completion: completion)
    }

    /// `sealed` framed into blocks on the appending thread, for the writer to restamp; none for a
    /// log of several partitions, which frames each partition's events into blocks of its own.
    private func framedAhead(_ sealed: EncodedBatch) -> [BlockFramer.Framed]? {
        partitioning.count == 1 ? BlockFramer.ahead(sealed, blockBytes: options.blockBytes) : nil
    }

    /// Stops accepting appends, commits everything queued, syncs the id index and releases the
    /// lock. Safe to call more than once.
    public func close() throws {
        guard queue.close() else { return }
        writerDone.wait()
        defer {
            follower?.stop()
            shared?.close()
            keyring.release()
            lock?.release()
        }
        if let error = writerEnd.withLock({ $0 }) { throw error }
    }
}
