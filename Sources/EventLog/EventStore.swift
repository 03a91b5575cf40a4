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
    /// The keys personal values are sealed with (`keys.sqlite`).
    public let keyring: Keyring
    /// What recovery did on open (torn tails truncated), one line each.
    public let recoveryReport: [String]

    private let lock: StoreLock
    private let published: PublishedLog
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
        try FileSystem.makeDirectory(directory)
        // Customer data is its owner's alone: a store made before this rule is closed off too
        // (the server opens the directory to the socket's group when asked, `--socket-group`).
        guard chmod(directory, 0o700) == 0 else { throw StoreError.io("chmod 0700", directory) }
        try FileSystem.restrictToOwner(under: directory)
        lock = try StoreLock(directory: directory, holder: holder)
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
        // Handed to the writer thread, and not touched here again.
        nonisolated(unsafe) let writer = LogWriter(logDirectory: logDirectory, options: options, published: published, index: index,
                                                   activeLength: recovery.activeLength, lastSeq: recovery.lastSeq)
        let thread = Thread { [self] in
            do { try writer.run(queue) } catch { writerEnd.withLock { $0 = error } }
            writerDone.signal()
        }
        thread.name = "throughline-log-writer"
        thread.start()
    }

    /// The last durable seq.
    public var lastSeq: UInt64 { published.lastSeq }

    /// A consistent read view of everything durable now.
    public func snapshot() -> LogSnapshot { published.snapshot() }

    /// Events queued for the writer and not yet taken into a commit.
    public var queuedEventCount: Int { queue.count }

    /// Why the last commit failed for want of space, while no commit has succeeded since.
    public var spaceShort: String? { published.spaceShort }

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
        while true {
            let result: Result<[AppendOutcome], StoreError>? = await withCheckedContinuation { cont in
                queue.enqueue(events, wait: false, whenFull: { cont.resume(returning: nil) }) { cont.resume(returning: $0) }
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
        queue.enqueue(sealed, wait: true, completion: completion)
    }

    /// Stops accepting appends, commits everything queued, syncs the id index and releases the
    /// lock. Safe to call more than once.
    public func close() throws {
        guard queue.close() else { return }
        writerDone.wait()
        defer {
            keyring.release()
            lock.release()
        }
        if let error = writerEnd.withLock({ $0 }) { throw error }
    }
}
