import EventLog
import NIOCore
import PostgresNIO
import Synchronization
import ThroughlineCore

/// The event log kept in PostgreSQL (`--log postgres://…`), with the promises of the local log:
/// an append is acknowledged only once committed (synchronous_commit on); an id is stored
/// once, whichever node receives it (the same content again is a duplicate answered with the
/// first seq, other content a conflict); seqs are gap-free in commit order and never change;
/// records are the same LZ4 blocks as in segment files, one row per block (`PostgresSchema`).
///
/// Appends from this process go through one connection, one transaction per call (the
/// caller batches: group commit); readers take connections from a pool.
public final class PostgresEventLog: SharedLog {
    public struct Options: Sendable {
        /// Uncompressed bytes per block before a commit is split into several blocks.
        public var blockBytes = 1 << 20
        /// Where the `recorded` stamp of each block comes from.
        public var clock = WallClock.system
        public init() {}
    }

    public let address: PostgresAddress
    public let options: Options
    /// The partitions the store was made with (1: one global order).
    public let partitions: Int
    private let writer: Mutex<PostgresLink?>
    let pool: LinkPool
    /// The connection that listens for commits (`listen`), while one is live.
    private let listener = Mutex<PostgresLink?>(nil)
    public var name: String { address.description }
    public var partitioning: Partitioning { Partitioning(count: partitions) }

    /// Opens the log at `address`, making its tables first if `create` and the database has none
    /// (with `partitions` partitions, 1 if not given). A log made with another number of
    /// partitions than `partitions` names is refused.
    public init(_ address: PostgresAddress, create: Bool, partitions asked: Int? = nil, options: Options = Options()) throws(StoreError) {
        self.address = address
        self.options = options
        if let asked, !(1...Partitioning.maximum).contains(asked) {
            throw StoreError(.invalid, "a log has 1 to \(Partitioning.maximum) partitions, not \(asked)")
        }
        let link = try PostgresLink(address)
        do { partitions = try PostgresSchema.prepare(link, create: create, partitions: asked ?? 1) } catch {
            link.close()
            throw error
        }
        if let asked, asked != partitions {
            link.close()
            throw StoreError(.invalid, "\(address) holds a log of \(partitions) partition\(partitions == 1 ? "" : "s"), made so; "
                             + "the number of partitions is fixed when a log is made, and \(asked) were asked for")
        }
        writer = Mutex(link)
        pool = LinkPool(address)
    }

    /// The last committed event of each partition.
    public func head() throws(StoreError) -> LogPosition {
        try pool.withStore { link throws(StoreError) in
            let heads = try link.rows("SELECT last_seq FROM throughline_head ORDER BY part") { UInt64(try $0.decode(Int64.self)) }
            guard heads.count == partitions else {
                throw StoreError(.corrupt, "\(address): throughline_head has \(heads.count) rows for \(partitions) partitions")
            }
            return LogPosition(heads: heads)
        }
    }

    /// A consistent read view of everything committed now.
    public func snapshot() throws(StoreError) -> LogSnapshot {
        snapshot(through: try head())
    }

    public func snapshot(through position: LogPosition) -> LogSnapshot {
        LogSnapshot(position: position, source: PostgresBlocks(pool: pool))
    }

    public func keyVault() throws(StoreError) -> any KeyVault {
        try PostgresVault(pool: pool, writable: true)
    }

    /// Listens on `throughline_log`, where every commit is announced (`advance`), on a
    /// connection of its own, made again when the last one was lost.
    public func listen(_ wake: @escaping @Sendable () -> Void) throws(StoreError) {
        try listener.withLock { (slot) throws(StoreError) in
            if let live = slot, !live.isClosed { return }
            slot?.close()
            slot = nil
            let link = try PostgresLink(address)
            link.connection.addListener(channel: "throughline_log") { _, _ in wake() }
            // A commit between the last poll and the LISTEN is found by the caller's next poll.
            try link.run("SELECT 1")
            slot = link
        }
    }

    /// Appends `events` (records as the log keeps them: personal values already sealed) in one
    /// transaction and returns once it is committed: one outcome per event, in order. Each event
    /// goes to its account's partition, where its id is looked up and its seq taken.
    public func append(_ events: EncodedBatch) throws(StoreError) -> [AppendOutcome] {
        let partitioning = partitioning
        var groups: [Int: [Int]] = [:]
        for i in 0..<events.count {
            let p = events.bytes.withUnsafeBytes { b in
                (try? RecordView(seq: 0, recordedMicros: 0, body: UnsafeRawBufferPointer(rebasing: b[events.range(i)]))).map {
                    $0.accountBytes.withUnsafeBytes { partitioning.partition(ofAccount: $0) }
                } ?? 0
            }
            groups[p, default: []].append(i)
        }
        return try withWriter { link throws(StoreError) in
            try link.transaction { () throws(StoreError) in
                // The stored ids are looked up before the heads are locked, which keeps other nodes'
                // commits waiting only for the writing; what they committed meanwhile is added after.
                var looked: [(part: Int, members: [Int], before: Head, stored: StoredIds)] = []
                for (part, members) in groups.sorted(by: { $0.key < $1.key }) {
                    let before = try Self.head(link, part)
                    looked.append((part, members, before, try StoredIds(link, part: Int32(part), hashes: members.map { events.hashes[$0] })))
                }
                var outcomes = [AppendOutcome](repeating: AppendOutcome(.accepted, seq: 0), count: events.count)
                // Heads are locked in partition order, so two commits never wait for each other.
                for var group in looked {
                    let head = try Self.head(link, group.part, locking: true)
                    if head.lastSeq > group.before.lastSeq { try group.stored.including(after: group.before.lastSeq) }
                    let seq = { (s: UInt64) in partitioning.seq(partition: group.part, s) }
                    var accepted: [Int] = []
                    var ours: [UInt64: [Int]] = [:]
                    for i in group.members {
                        let body = events.body(i), hash = events.hashes[i]
                        var match: (seq: UInt64, body: ArraySlice<UInt8>)?
                        for k in ours[hash] ?? [] where RecordCodec.sameID(body, events.body(accepted[k])) {
                            match = (head.lastSeq + 1 + UInt64(k), events.body(accepted[k]))
                            break
                        }
                        if match == nil { match = try group.stored.first(hash: hash, sameIdAs: body) }
                        if let match {
                            outcomes[i] = AppendOutcome(try IdMatch.status(body, against: match.body, seq: seq(match.seq)), seq: seq(match.seq))
                        } else {
                            ours[hash, default: []].append(accepted.count)
                            accepted.append(i)
                            outcomes[i] = AppendOutcome(.accepted, seq: seq(head.lastSeq + UInt64(accepted.count)))
                        }
                    }
                    guard !accepted.isEmpty else { continue }
                    let recorded = max(options.clock.now(), head.recorded)
                    var framer = BlockFramer(firstSeq: head.lastSeq + 1, recordedMicros: recorded, blockBytes: options.blockBytes,
                                             expectedBytes: events.bytes.count)
                    for i in accepted { framer.add(events.body(i)) }
                    var position = 0
                    for block in framer.finish() {
                        let hashes = accepted[position..<(position + block.count)].map { events.hashes[$0] }
                        position += block.count
                        try Self.insert(link, group.part, block, hashes: hashes)
                    }
                    try Self.advance(link, group.part, to: head.lastSeq + UInt64(accepted.count), recorded: recorded)
                }
                return outcomes
            }
        }
    }

    /// Appends blocks as they are, at their own seqs and recorded stamps, in one transaction:
    /// for `copy`, which moves a log without changing a seq, an id or a byte of a record. The
    /// first block must start right after the last stored seq.
    public func appendBlocks(_ blocks: [(firstSeq: UInt64, recordedMicros: Int64, records: [UInt8])]) throws(StoreError) {
        guard !blocks.isEmpty else { return }
        guard partitions == 1 else { throw StoreError(.invalid, "\(address) has \(partitions) partitions; a log is copied into a log of one") }
        try withWriter { link throws(StoreError) in
            try link.transaction { () throws(StoreError) in
                let head = try Self.head(link, 0, locking: true)
                var next = head.lastSeq + 1, recorded = head.recorded
                for b in blocks {
                    guard b.firstSeq == next else {
                        throw StoreError(.invalid, "\(address): a block starting at seq \(b.firstSeq) cannot follow seq \(next - 1)")
                    }
                    let hashes: [UInt64]
                    do { hashes = try StoredBlock.idHashes(b.records) } catch {
                        throw StoreError(.corrupt, "the block at seq \(b.firstSeq) does not decode: \(error)")
                    }
                    try Self.insert(link, 0, StoredBlock.frame(b.records, firstSeq: b.firstSeq, count: hashes.count, recordedMicros: b.recordedMicros),
                                    hashes: hashes)
                    next += UInt64(hashes.count)
                    recorded = max(recorded, b.recordedMicros)
                }
                try Self.advance(link, 0, to: next - 1, recorded: recorded)
            }
        }
    }

    /// What the log's key store holds.
    public func keys() throws(StoreError) -> KeyringContents {
        try pool.withStore { link throws(StoreError) in try PostgresKeys.read(link) }
    }

    /// Fills the log's key store, which must hold no keys yet: for `copy`.
    public func storeKeys(_ contents: KeyringContents) throws(StoreError) {
        try withWriter { link throws(StoreError) in try link.transaction { () throws(StoreError) in try PostgresKeys.write(contents, link) } }
    }

    /// Opens the log's keys in this process for reading sealed values (as `LogInspector` does
    /// for a directory): `dump`, `replay` and the rest see what a local store's readers see.
    @discardableResult
    public func openKeysForReading() throws -> Keyring {
        try Keyring.open(name: address.description, contents: try keys())
    }

    /// Bytes PostgreSQL keeps for the log: the blocks table with its TOAST and indexes, and the
    /// heads.
    public func storageBytes() throws(StoreError) -> Int {
        try pool.withStore { link throws(StoreError) in
            Int(try link.one("SELECT pg_total_relation_size('throughline_block') + pg_total_relation_size('throughline_head')") {
                try $0.decode(Int64.self)
            })
        }
    }

    /// Bytes of the index that finds stored ids (part of `storageBytes`).
    public func indexBytes() throws(StoreError) -> Int {
        try pool.withStore { link throws(StoreError) in
            Int(try link.one("SELECT pg_relation_size('throughline_block_ids')") { try $0.decode(Int64.self) })
        }
    }

    deinit { close() }

    /// Closes every connection; appends fail from then on.
    public func close() {
        writer.withLock { link in
            link?.close()
            link = nil
        }
        listener.withLock { link in
            link?.close()
            link = nil
        }
        pool.close()
    }

    // MARK: Statements

    private func withWriter<T>(_ body: (PostgresLink) throws(StoreError) -> T) throws(StoreError) -> T {
        let result = writer.withLock { (slot) -> Result<T, StoreError> in
            do {
                if slot == nil || slot!.isClosed { slot = try PostgresLink(address) }
                return .success(try body(slot!))
            } catch let error as StoreError {
                if error.kind == .unavailable { slot?.close(); slot = nil }
                return .failure(error)
            } catch {
                return .failure(StoreError(.io, "\(error)"))
            }
        }
        return try result.get()
    }

    struct Head {
        var lastSeq: UInt64
        var recorded: Int64
    }

    static func head(_ link: PostgresLink, _ part: Int, locking: Bool = false) throws(StoreError) -> Head {
        var binds = PostgresBindings()
        binds.append(Int32(part))
        let (last, recorded) = try link.one("SELECT last_seq, recorded FROM throughline_head WHERE part = $1" + (locking ? " FOR UPDATE" : ""),
                                            binds) { try $0.decode((Int64, Int64).self) }
        return Head(lastSeq: UInt64(last), recorded: recorded)
    }

    private static func insert(_ link: PostgresLink, _ part: Int, _ block: BlockFramer.Framed, hashes: [UInt64]) throws(StoreError) {
        var binds = PostgresBindings()
        binds.append(Int32(part))
        binds.append(Int64(block.firstSeq))
        binds.append(Int64(block.lastSeq))
        binds.append(hashes.map { Int64(bitPattern: $0) })
        binds.append(ByteBuffer(bytes: block.bytes))
        try link.run("INSERT INTO throughline_block (part, first_seq, last_seq, ids, block) VALUES ($1, $2, $3, $4, $5)", binds)
    }

    /// Moves the partition's head and tells the nodes that follow the log (one round trip).
    private static func advance(_ link: PostgresLink, _ part: Int, to last: UInt64, recorded: Int64) throws(StoreError) {
        var binds = PostgresBindings()
        binds.append(Int32(part))
        binds.append(Int64(last))
        binds.append(recorded)
        binds.append("\(part) \(last)")
        try link.run("""
            WITH moved AS (UPDATE throughline_head SET last_seq = $2, recorded = $3 WHERE part = $1 RETURNING part)
            SELECT pg_notify('throughline_log', $4) FROM moved
            """, binds)
    }
}

extension LinkPool {
    /// `with`, for bodies that throw store errors only.
    func withStore<T>(_ body: (PostgresLink) throws(StoreError) -> T) throws(StoreError) -> T {
        do { return try with(body) } catch { throw error as! StoreError }
    }
}
