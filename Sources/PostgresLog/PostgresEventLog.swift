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
/// Appends from this process go through one connection, one commit per call (the caller
/// batches: group commit); readers take connections from a pool.
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
    private let writer = Mutex<Writer>(Writer())
    /// What tells this log's store from another (`NodeIds` checks its files against it).
    private let identity: String
    /// Where this node keeps files of its own for the log (`useDirectory`), if anywhere.
    private let nodeDirectory = Mutex<String?>(nil)
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
        do { (partitions, identity) = try PostgresSchema.prepare(link, create: create, partitions: asked ?? 1) } catch {
            link.close()
            throw error
        }
        if let asked, asked != partitions {
            link.close()
            throw StoreError(.invalid, "\(address) holds a log of \(partitions) partition\(partitions == 1 ? "" : "s"), made so; "
                             + "the number of partitions is fixed when a log is made, and \(asked) were asked for")
        }
        writer.withLock { $0.link = link }
        pool = LinkPool(address)
    }

    /// The last committed event of each partition.
    public func head() throws(StoreError) -> LogPosition {
        try pool.withStore { link throws(StoreError) in
            let heads = try link.preparedRows("SELECT last_seq FROM throughline_head ORDER BY part") { UInt64(try $0[0, as: Int64.self]) }
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

    /// Keeps this node's index of the log's ids under `directory` (`NodeIds`); without it, a
    /// process that appends keeps one in a temporary directory. Call before the first append.
    public func useDirectory(_ directory: String) {
        nodeDirectory.withLock { $0 = directory }
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

    /// Appends `events` (records as the log keeps them: personal values already sealed) at once
    /// and returns once they are committed: one outcome per event, in order. Each event goes to
    /// its account's partition, where its id is looked up and its seq taken.
    ///
    /// One statement reads the heads of the batch's partitions with the id hashes of the blocks
    /// committed since this node's last look (`NodeIds`); the new events are framed after the
    /// heads; one statement then stores the blocks and moves each head only from where it was
    /// read, committing by itself. If another node committed in between, nothing was stored and
    /// the append starts again from its blocks. A batch of several partitions, and a batch that
    /// lost that race `optimisticAttempts` times, locks the heads first, in one transaction.
    /// A batch of one partition stores the blocks framed `ahead` (restamped) when every event is
    /// new: a lost race then costs no framing.
    public func append(_ events: EncodedBatch, ahead: [BlockFramer.Framed]?) throws(StoreError) -> [AppendOutcome] {
        let partitioning = partitioning
        var groups: [Int: [Int]] = [:]
        if partitions == 1 {
            groups[0] = Array(0..<events.count)
        } else {
            for i in 0..<events.count {
                let p = events.bytes.withUnsafeBytes { b in
                    (try? RecordView(seq: 0, recordedMicros: 0, body: UnsafeRawBufferPointer(rebasing: b[events.range(i)]), opening: .none)).map {
                        $0.accountBytes.withUnsafeBytes { partitioning.partition(ofAccount: $0) }
                    } ?? 0
                }
                groups[p, default: []].append(i)
            }
        }
        let parts = groups.keys.sorted()
        let ahead = parts.count == 1 ? ahead : nil
        let blocks = PostgresBlocks(pool: pool)
        return try withAppender { link, ids throws(StoreError) in
            var tries = 0
            while true {
                tries += 1
                let tried: (outcomes: [AppendOutcome], moves: [HeadMove])?
                if parts.count > 1 || tries > Self.optimisticAttempts {
                    tried = try link.transaction { () throws(StoreError) in
                        try Self.lockHeads(link, parts)
                        guard let done = try attempt(events, ahead, groups, parts, link, ids, blocks) else {
                            throw StoreError(.corrupt, "\(address): a head moved while this node held its lock")
                        }
                        return done
                    }
                } else {
                    tried = try attempt(events, ahead, groups, parts, link, ids, blocks)
                }
                guard let (outcomes, moves) = tried else { continue }
                // Committed: a failure to note the ids here (a full disk) must not fail the append;
                // the node's index is then made again from the log.
                for m in moves {
                    do { try ids.add(m.part, firstSeq: m.from + 1, hashes: m.hashes) } catch { try? ids.reset(m.part) }
                }
                return outcomes
            }
        }
    }

    /// One try at `append`: reads the heads of `parts` (and the ids committed up to them), decides
    /// each event's outcome, frames the new ones after the heads and stores them, moving the heads
    /// from where they were read. Nil if another commit moved a head first: nothing was stored.
    private func attempt(_ events: EncodedBatch, _ ahead: [BlockFramer.Framed]?, _ groups: [Int: [Int]], _ parts: [Int], _ link: PostgresLink, _ ids: NodeIds,
                         _ blocks: PostgresBlocks) throws(StoreError) -> (outcomes: [AppendOutcome], moves: [HeadMove])? {
        let partitioning = partitioning
        let heads = try Self.catchUp(link, ids, parts)
        var outcomes = [AppendOutcome](repeating: AppendOutcome(.accepted, seq: 0), count: events.count)
        var moves: [HeadMove] = []
        for part in parts {
            let head = heads[part]!
            let seq = { (s: UInt64) in partitioning.seq(partition: part, s) }
            var accepted: [Int] = []
            var ours: [UInt64: [Int]] = [:]
            try ids.prefetch(part, groups[part]!.lazy.map { events.hashes[$0] })
            for i in groups[part]! {
                let body = events.body(i), hash = events.hashes[i]
                var match: (seq: UInt64, body: ArraySlice<UInt8>)?
                for k in ours[hash] ?? [] where RecordCodec.sameID(body, events.body(accepted[k])) {
                    match = (head.lastSeq + 1 + UInt64(k), events.body(accepted[k]))
                    break
                }
                if match == nil { match = try ids.first(part, hash: hash, sameIdAs: body, in: blocks) }
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
            let framed = BlockFramer.commit(ahead: ahead, newRecords: accepted.count, bodies: accepted.lazy.map { events.body($0) },
                                            firstSeq: head.lastSeq + 1, recordedMicros: recorded, blockBytes: options.blockBytes,
                                            expectedBytes: events.bytes.count)
            moves.append(HeadMove(part: part, from: head.lastSeq, recorded: recorded, blocks: framed,
                                  hashes: accepted.map { events.hashes[$0] }))
        }
        return try Self.move(link, moves) ? (outcomes, moves) : nil
    }

    /// Attempts at an append without locking the head before it takes the lock.
    static let optimisticAttempts = 3

    /// A partition's head to move from `from` over the blocks framed after it.
    struct HeadMove {
        var part: Int
        var from: UInt64
        var recorded: Int64
        var blocks: [BlockFramer.Framed]
        /// The id hashes of the blocks' records, in order.
        var hashes: [UInt64]
        var to: UInt64 { from + UInt64(hashes.count) }
    }

    /// Appends blocks as they are, at their own seqs and recorded stamps, in one transaction:
    /// for `copy`, which moves a log without changing a seq, an id or a byte of a record. The
    /// first block must start right after the last stored seq.
    public func appendBlocks(_ blocks: [(firstSeq: UInt64, recordedMicros: Int64, records: [UInt8])]) throws(StoreError) {
        guard !blocks.isEmpty else { return }
        guard partitions == 1 else { throw StoreError(.invalid, "\(address) has \(partitions) partitions; a log is copied into a log of one") }
        try withWriter { link throws(StoreError) in
            try link.transaction { () throws(StoreError) in
                let head = try Self.lockHeads(link, [0])[0]!
                var move = HeadMove(part: 0, from: head.lastSeq, recorded: head.recorded, blocks: [], hashes: [])
                for b in blocks {
                    guard b.firstSeq == move.to + 1 else {
                        throw StoreError(.invalid, "\(address): a block starting at seq \(b.firstSeq) cannot follow seq \(move.to)")
                    }
                    let hashes: [UInt64]
                    do { hashes = try StoredBlock.idHashes(b.records) } catch {
                        throw StoreError(.corrupt, "the block at seq \(b.firstSeq) does not decode: \(error)")
                    }
                    move.blocks.append(StoredBlock.frame(b.records, firstSeq: b.firstSeq, count: hashes.count, recordedMicros: b.recordedMicros))
                    move.hashes += hashes
                    move.recorded = max(move.recorded, b.recordedMicros)
                }
                guard try Self.move(link, [move]) else { throw StoreError(.corrupt, "\(address): the head moved while copy held its lock") }
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

    /// Bytes of the GIN index on the blocks' id hashes that logs made by earlier builds have (part
    /// of `storageBytes`; 0 without it). Nodes keep their index of the ids in files of their own.
    public func indexBytes() throws(StoreError) -> Int {
        try pool.withStore { link throws(StoreError) in
            Int(try link.one("SELECT coalesce(pg_relation_size(to_regclass('throughline_block_ids')), 0)") { try $0.decode(Int64.self) })
        }
    }

    deinit { close() }

    /// Closes every connection; appends fail from then on.
    public func close() {
        writer.withLock { w in
            w.link?.close()
            w.link = nil
            w.ids?.close()
            w.ids = nil
        }
        listener.withLock { link in
            link?.close()
            link = nil
        }
        pool.close()
    }

    // MARK: Statements

    /// The appending connection and this node's index of the ids, used only under the
    /// writer's lock.
    private struct Writer: @unchecked Sendable {
        var link: PostgresLink?
        var ids: NodeIds?
    }

    private func withWriter<T>(_ body: (PostgresLink) throws(StoreError) -> T) throws(StoreError) -> T {
        try withWriterState { link, _ throws(StoreError) in try body(link) }
    }

    /// `withWriter`, with this node's index of the ids (opened on first use).
    private func withAppender<T>(_ body: (PostgresLink, NodeIds) throws(StoreError) -> T) throws(StoreError) -> T {
        let directory = nodeDirectory.withLock { $0 }
        return try withWriterState { link, w throws(StoreError) in
            if w.ids == nil { w.ids = try NodeIds(directory: directory.map { $0 + "/log-ids" }, store: identity) }
            return try body(link, w.ids!)
        }
    }

    private func withWriterState<T>(_ body: (PostgresLink, inout Writer) throws(StoreError) -> T) throws(StoreError) -> T {
        let result = writer.withLock { (w) -> Result<T, StoreError> in
            do {
                if w.link == nil || w.link!.isClosed { w.link = try PostgresLink(address) }
                return .success(try body(w.link!, &w))
            } catch let error as StoreError {
                if error.kind == .unavailable { w.link?.close(); w.link = nil }
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

    /// Locks the heads of `parts` (in partition order, so two commits never wait for each
    /// other) for the rest of the transaction, and returns them.
    @discardableResult
    static func lockHeads(_ link: PostgresLink, _ parts: [Int]) throws(StoreError) -> [Int: Head] {
        var binds = Binds()
        binds.append(parts.map { Int32($0) })
        let rows = try link.preparedRows("SELECT part, last_seq, recorded FROM throughline_head WHERE part = ANY($1::integer[]) ORDER BY part FOR UPDATE",
                                         binds) { (try $0[0, as: Int32.self], try $0[1, as: Int64.self], try $0[2, as: Int64.self]) }
        return Dictionary(uniqueKeysWithValues: rows.map { (Int($0.0), Head(lastSeq: UInt64($0.1), recorded: $0.2)) })
    }

    /// The heads of `parts`, with `ids` brought up to them: each statement reads the heads and,
    /// in the same snapshot, the id hashes of up to 256 blocks per partition after what `ids`
    /// knows, until it knows everything up to the heads.
    static func catchUp(_ link: PostgresLink, _ ids: NodeIds, _ parts: [Int]) throws(StoreError) -> [Int: Head] {
        while true {
            var known: [Int64] = []
            for p in parts { known.append(Int64(try ids.through(p))) }
            var binds = Binds()
            binds.append(parts.map { Int32($0) })
            binds.append(known)
            let rows = try link.preparedRows("""
                SELECT h.part, h.last_seq, h.recorded, NULL::bigint, NULL::bigint[] FROM throughline_head AS h WHERE h.part = ANY($1::integer[])
                UNION ALL
                SELECT k.part, b.last_seq, 0, b.first_seq, b.ids FROM unnest($1::integer[], $2::bigint[]) AS k(part, after)
                  CROSS JOIN LATERAL (SELECT first_seq, last_seq, ids FROM throughline_block
                                      WHERE part = k.part AND first_seq > k.after ORDER BY first_seq LIMIT 256) AS b
                """, binds) {
                (try $0[0, as: Int32.self], try $0[1, as: Int64.self], try $0[2, as: Int64.self], try $0[3, as: Int64?.self], try $0[4, as: [Int64]?.self])
            }
            var heads: [Int: Head] = [:]
            var blocks: [(part: Int, first: UInt64, last: UInt64, hashes: [Int64])] = []
            for (part, last, recorded, first, hashes) in rows {
                if let first, let hashes {
                    blocks.append((Int(part), UInt64(first), UInt64(last), hashes))
                } else {
                    heads[Int(part)] = Head(lastSeq: UInt64(last), recorded: recorded)
                }
            }
            guard heads.count == parts.count else {
                throw StoreError(.corrupt, "\(link.address): throughline_head lacks a row for some of partitions \(parts)")
            }
            for b in blocks.sorted(by: { ($0.part, $0.first) < ($1.part, $1.first) }) {
                guard b.first + UInt64(b.hashes.count) - 1 == b.last, !b.hashes.isEmpty else {
                    throw StoreError(.corrupt, "\(link.address): partition \(b.part), the block at seq \(b.first) has \(b.hashes.count) id hashes for seqs up to \(b.last)")
                }
                try ids.add(b.part, firstSeq: b.first, hashes: b.hashes.map { UInt64(bitPattern: $0) })
            }
            var behind = false
            for p in parts {
                let through = try ids.through(p), head = heads[p]!.lastSeq
                // Ids known past the head, or no block starting right after them: the files were
                // made from another history than this log's (a database restored from an older
                // backup); they are made again.
                if through > head || (through < head && !blocks.contains { $0.part == p }) { try ids.reset(p) }
                if through != head { behind = true }
            }
            if !behind { return heads }
        }
    }

    /// Stores the blocks of `moves` and moves their heads, each only from where it was read,
    /// and tells the nodes that follow the log: one statement (in a transaction of its own
    /// unless the caller opened one). False if some head had moved: nothing was then changed.
    static func move(_ link: PostgresLink, _ moves: [HeadMove]) throws(StoreError) -> Bool {
        guard !moves.isEmpty else { return true }
        var blockParts: [Int32] = [], firsts: [Int64] = [], lasts: [Int64] = [], lows: [Int32] = [], highs: [Int32] = []
        var hashes: [Int64] = [], bytes: [ByteBuffer] = []
        for m in moves {
            var position = 0
            for b in m.blocks {
                blockParts.append(Int32(m.part))
                firsts.append(Int64(b.firstSeq))
                lasts.append(Int64(b.lastSeq))
                lows.append(Int32(hashes.count + 1))
                hashes += m.hashes[position..<(position + b.count)].map { Int64(bitPattern: $0) }
                highs.append(Int32(hashes.count))
                bytes.append(ByteBuffer(bytes: b.bytes))
                position += b.count
            }
        }
        var binds = Binds()
        binds.append(moves.map { Int32($0.part) })
        binds.append(moves.map { Int64($0.from) })
        binds.append(moves.map { Int64($0.to) })
        binds.append(moves.map(\.recorded))
        binds.append(blockParts)
        binds.append(firsts)
        binds.append(lasts)
        binds.append(lows)
        binds.append(highs)
        binds.append(hashes)
        binds.append(bytes)
        let told = try link.run("""
            WITH moved AS (
              UPDATE throughline_head AS h SET last_seq = m.upto, recorded = m.recorded
              FROM unnest($1::integer[], $2::bigint[], $3::bigint[], $4::bigint[]) AS m(part, since, upto, recorded)
              WHERE h.part = m.part AND h.last_seq = m.since
              RETURNING h.part, h.last_seq),
            stored AS (
              INSERT INTO throughline_block (part, first_seq, last_seq, ids, block)
              SELECT b.part, b.first_seq, b.last_seq, ($10::bigint[])[b.lo:b.hi], b.block
              FROM unnest($5::integer[], $6::bigint[], $7::bigint[], $8::integer[], $9::integer[], $11::bytea[])
                AS b(part, first_seq, last_seq, lo, hi, block)
              WHERE b.part IN (SELECT part FROM moved))
            SELECT pg_notify('throughline_log', part || ' ' || last_seq) FROM moved
            """, binds, prepared: true)
        return told.count == moves.count
    }
}

extension LinkPool {
    /// `with`, for bodies that throw store errors only.
    func withStore<T>(_ body: (PostgresLink) throws(StoreError) -> T) throws(StoreError) -> T {
        do { return try with(body) } catch { throw error as! StoreError }
    }
}
