import Foundation
import ThroughlineCore

/// Where a log kept elsewhere than in segment files (a database) hands its blocks to readers:
/// up to `limit` blocks of one partition, each with its first seq there and its bytes as stored
/// (`StoredBlock`: header, compressed records), from the block holding `from` on, in seq order,
/// none starting past `through`.
public protocol BlockSource: Sendable {
    func storedBlocks(partition: Int, from: UInt64, through: UInt64, limit: Int) throws -> [LogSnapshot.StoredSourceBlock]
    /// The error a block of `partition` at `firstSeq` that does not open is reported as.
    func damaged(partition: Int, firstSeq: UInt64, _ reason: String) -> StoreError
}

extension BlockSource {
    /// The blocks `storedBlocks` hands over, each checked and decompressed: its first seq,
    /// recorded stamp, number of records and the records.
    public func blocks(partition: Int, from: UInt64, through: UInt64, limit: Int) throws -> [LogSnapshot.SourceBlock] {
        try storedBlocks(partition: partition, from: from, through: through, limit: limit).map { block in
            let (header, records) = try block.bytes.withUnsafeBytes { (b) throws(StoreError) in
                try StoredBlock.open(b) { damaged(partition: partition, firstSeq: block.firstSeq, $0) }
            }
            return (block.firstSeq, header.recordedMicros, Int(header.count), records)
        }
    }
}

/// A consistent view of the durable log: every block up to `lastSeq`, nothing that is not yet
/// synced. Taking one is cheap; reading through it never blocks the writer.
///
/// A log of several partitions (`Partitioning`) is read in seq order all the same: the
/// partitions' events are merged by their seqs, so every reader that goes by seq works alike on
/// one partition or many; a reader that keeps its place keeps a `LogPosition`.
public struct LogSnapshot: Sendable {
    /// A block as a `BlockSource` hands it over: its first seq in its partition, its recorded
    /// stamp, its number of records and the records.
    public typealias SourceBlock = (firstSeq: UInt64, recordedMicros: Int64, count: Int, records: [UInt8])
    /// A block as a `BlockSource` keeps it: its first seq in its partition and its bytes.
    public typealias StoredSourceBlock = (firstSeq: UInt64, bytes: [UInt8])

    struct Part: Sendable {
        let segment: Segment
        let blocks: [BlockRef]
    }

    /// The segment files of a local log (empty when the log is kept elsewhere).
    let parts: [Part]
    /// The blocks of a log kept elsewhere (nil for a local log).
    let source: (any BlockSource)?
    /// The last event of each partition in the view.
    public let position: LogPosition
    /// The highest seq in the view (0 for an empty log).
    public let lastSeq: UInt64

    init(parts: [Part], lastSeq: UInt64) {
        self.parts = parts
        self.source = nil
        self.lastSeq = lastSeq
        position = LogPosition(heads: [lastSeq])
    }

    /// A view of a log kept elsewhere, up to `position`.
    public init(position: LogPosition, source: any BlockSource) {
        self.parts = []
        self.source = source
        self.position = position
        lastSeq = position.lastSeq
    }

    /// How the log is partitioned.
    public var partitioning: Partitioning { position.partitioning }

    /// Events in the view, in all partitions.
    public var events: UInt64 { position.events }

    /// The segments' file paths, oldest first.
    public var segmentPaths: [String] { parts.map(\.segment.path) }

    /// The block holding `seq`, or nil if `seq` is outside the snapshot.
    func locate(_ seq: UInt64) -> (segment: Segment, block: BlockRef)? {
        guard seq >= 1, seq <= lastSeq else { return nil }
        var lo = 0, hi = parts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if parts[mid].segment.firstSeq <= seq { lo = mid } else { hi = mid - 1 }
        }
        let blocks = parts[lo].blocks
        var a = 0, b = blocks.count - 1
        while a < b {
            let mid = (a + b + 1) / 2
            if blocks[mid].firstSeq <= seq { a = mid } else { b = mid - 1 }
        }
        guard a >= 0, a < blocks.count, blocks[a].firstSeq <= seq, seq <= blocks[a].lastSeq else { return nil }
        return (parts[lo].segment, blocks[a])
    }

    /// Calls `body` with the seq, recorded time and record body bytes of every record from
    /// `fromSeq` on, in seq order, until it returns false. The bytes are valid only during the call.
    /// `fetchingAhead`: a reader of the whole log, or a long stretch of it, that reads to the end
    /// or nearly (a rebuild's or a replay's passes): a log kept elsewhere is then fetched a chunk
    /// ahead on a thread of its own. Readers that stop early (a page of the catch-up read, a
    /// batch of the projector) leave it off, or they would fetch chunks they never read.
    public func forEachRecord(from fromSeq: UInt64 = 1, fetchingAhead: Bool = false,
                              _ body: (UInt64, Int64, UnsafeRawBufferPointer) throws -> Bool) throws {
        guard fromSeq <= lastSeq else { return }
        if partitioning.count > 1 { return try forEachMerged(after: position(before: fromSeq), through: position, body) }
        try forEachBlock(from: max(fromSeq, 1), fetchingAhead: fetchingAhead) { first, recorded, raw in
            try raw.withUnsafeBytes { (buf) throws -> Bool in
                var r = ByteReader(buf)
                var seq = first
                while !r.isAtEnd, seq <= lastSeq {
                    let n = try r.length()
                    let rec = try r.bytes(n)
                    if seq >= fromSeq, try !body(seq, recorded, rec) { return false }
                    seq += 1
                }
                return seq <= lastSeq
            }
        }
    }

    /// Calls `body` with each block's first seq, recorded stamp and records, from the block
    /// holding `fromSeq` on, until it returns false.
    func forEachBlock(from fromSeq: UInt64, fetchingAhead: Bool = false, _ body: (UInt64, Int64, [UInt8]) throws -> Bool) throws {
        if let source {
            guard partitioning.count == 1 else { throw StoreError(.invalid, "a log of \(partitioning.count) partitions is read event by event, not block by block") }
            guard fetchingAhead, lastSeq - fromSeq >= Self.fetchAheadEvents else {
                var cursor = PartitionCursor(source: source, partition: 0, after: fromSeq - 1, through: lastSeq)
                while let block = try cursor.nextBlock() {
                    guard try body(block.firstSeq, block.recordedMicros, block.records) else { return }
                }
                return
            }
            // A long scan has the next chunk fetched on a thread of its own while it reads the one
            // before: each query's round trip, and the database's work on it, overlap the reading.
            let chunks = Handoff<[SourceBlock]>()
            let fetcher = Thread { [lastSeq] in
                var cursor = PartitionCursor(source: source, partition: 0, after: fromSeq - 1, through: lastSeq, chunk: PartitionCursor.scanChunk)
                do {
                    while case let chunk = try cursor.nextChunk(), !chunk.isEmpty {
                        guard chunks.put(chunk) else { return }
                    }
                    chunks.finish()
                } catch {
                    chunks.fail(error)
                }
            }
            fetcher.name = "throughline-log-fetch"
            fetcher.start()
            defer { chunks.cancel() }
            while let chunk = try chunks.take() {
                for block in chunk {
                    guard try body(block.firstSeq, block.recordedMicros, block.records) else { return }
                }
            }
            return
        }
        guard let start = locate(fromSeq) else { return }
        var started = false
        for part in parts where part.segment.firstSeq <= lastSeq {
            if !started && part.segment !== start.segment { continue }
            let reader = BlockStream(segment: part.segment)
            for block in part.blocks {
                if !started {
                    if block.firstSeq != start.block.firstSeq { continue }
                    started = true
                }
                guard try body(block.firstSeq, block.recordedMicros, try reader.read(block)) else { return }
            }
        }
    }

    /// Scans of a log kept elsewhere that fetch ahead (`forEachRecord`) do so past this many events.
    static let fetchAheadEvents: UInt64 = 100_000

    /// The position just before `seq`: every event whose seq is lower.
    public func position(before seq: UInt64) -> LogPosition { seq == 0 ? LogPosition(start: partitioning) : position.upTo(seq - 1) }

    /// Calls `body` with every record after `after` and up to `through` (default: the view's
    /// end), in seq order, until it returns false: what a reader that keeps its place reads next.
    public func forEachView(after: LogPosition, through: LogPosition? = nil, opening: RecordView.Opening = .all,
                            _ body: (RecordView) throws -> Bool) throws {
        let end = through ?? position
        if partitioning.count > 1 {
            return try forEachMerged(after: after, through: end) { seq, recorded, rec in
                try body(try RecordView(seq: seq, recordedMicros: recorded, body: rec, opening: opening))
            }
        }
        guard after.heads[0] < end.heads[0] else { return }
        try forEachRecord(from: after.heads[0] + 1) { seq, recorded, rec in
            guard seq <= end.heads[0] else { return false }
            return try body(try RecordView(seq: seq, recordedMicros: recorded, body: rec, opening: opening))
        }
    }

    /// The records of every partition after `after` and up to `through`, merged in seq order
    /// (the lowest number within a partition first, then the lowest partition).
    func forEachMerged(after: LogPosition, through: LogPosition, _ body: (UInt64, Int64, UnsafeRawBufferPointer) throws -> Bool) throws {
        guard let source else { return }
        let p = partitioning
        let end = through.meet(position)
        var cursors = (0..<p.count).map { PartitionCursor(source: source, partition: $0, after: after.heads[$0], through: end.heads[$0]) }
        while true {
            var best: (index: Int, seq: UInt64)?
            for i in cursors.indices {
                guard let s = try cursors[i].peek() else { continue }
                if best == nil || s < best!.seq { best = (i, s) }
            }
            guard let (i, s) = best else { return }
            guard try cursors[i].take({ recorded, rec in try body(p.seq(partition: i, s), recorded, rec) }) else { return }
        }
    }

    /// Calls `body` with every stored event from `fromSeq` on, decoded, until it returns false.
    public func forEachEvent(from fromSeq: UInt64 = 1, _ body: (StoredEvent) throws -> Bool) throws {
        try forEachRecord(from: fromSeq) { seq, recorded, rec in
            try body(StoredEvent(seq: seq, recordedMicros: recorded, event: try RecordView(seq: seq, recordedMicros: recorded, body: rec).event()))
        }
    }

    /// Calls `body` with a view of every record from `fromSeq` on, until it returns false. The
    /// cheapest way to follow the log: no JSON, no allocation for the envelope.
    public func forEachView(from fromSeq: UInt64 = 1, _ body: (RecordView) throws -> Bool) throws {
        try forEachRecord(from: fromSeq) { seq, recorded, rec in
            try body(try RecordView(seq: seq, recordedMicros: recorded, body: rec))
        }
    }

    /// How `writeNDJSON` frames each event's line.
    public enum Framing: Sendable {
        /// One JSON line per event.
        case lines
        /// Server-sent events: `id:` the position after the event, `data:` its line, a blank line.
        case serverSentEvents
    }

    /// Appends the stored events after `after` to `out` as NDJSON lines with `seq` and `recorded`
    /// (only those filed under `account`, if given, and that `matching` keeps: it is shown each
    /// record's envelope, its personal values still sealed), stopping after
    /// `limit` lines, once `out` holds `maxBytes`, or once `maxScanned` records were looked at.
    /// Returns how many lines it wrote and the position to continue from (the view's end when
    /// done). The one export path, shared by `dump`, the catch-up read and the event stream.
    public func writeNDJSON(after: LogPosition, limit: Int, account: String?, maxBytes: Int, maxScanned: Int = .max,
                            matching: ((RecordView) -> Bool)? = nil, framing: Framing = .lines,
                            into out: inout [UInt8], as shown: EventShowing = .asStored) throws -> (written: Int, reached: LogPosition) {
        var written = 0, scanned = 0
        var reached = after
        guard limit > 0 else { return (0, after) }
        let wanted = account.map { Array($0.utf8) }
        var stopped = false
        // Filters see the envelope; only the events written have their sealed values opened.
        try forEachView(after: after, opening: .none) { envelope in
            reached.advance(to: envelope.seq)
            scanned += 1
            if wanted == nil || envelope.accountBytes.elementsEqual(wanted!), matching?(envelope) ?? true {
                let view = try envelope.unsealed()
                if framing == .serverSentEvents {
                    out.append(contentsOf: "id: ".utf8)
                    reached.write(into: &out)
                    out.append(contentsOf: "\ndata: ".utf8)
                }
                try Self.writeLine(view, into: &out, as: shown)
                if framing == .serverSentEvents { out.append(0x0A) }
                written += 1
            }
            stopped = written >= limit || out.count >= maxBytes || scanned >= maxScanned
            return !stopped
        }
        if !stopped { reached = reached.union(position) }
        return (written, reached)
    }

    /// One stored record as an NDJSON line: the event as sent (as `shown` shows it to the
    /// reader), with `seq` and `recorded`.
    public static func writeLine(_ view: RecordView, into out: inout [UInt8], as shown: EventShowing = .asStored) throws {
        try shown.write(view, into: &out)
        out.append(0x0A)
    }

    /// The stored event at `seq`, or nil if it is outside the snapshot.
    public func event(at seq: UInt64) throws -> StoredEvent? {
        var found: StoredEvent?
        try forEachEvent(from: seq) { e in
            found = e
            return false
        }
        return found
    }
}

/// Reads one partition of a log kept elsewhere, a block or a record at a time, fetching a chunk
/// of blocks per trip.
struct PartitionCursor {
    typealias Block = LogSnapshot.SourceBlock
    let source: any BlockSource
    let partition: Int
    /// The seq (within the partition) of the next record wanted, and of the last.
    private var next: UInt64
    let through: UInt64
    private var fetched: [Block] = []
    private var fetchedIndex = 0
    private var fetchedAll = false
    /// The block being read record by record, its records, and the next one to read.
    private var current: (block: Block, records: [ArraySlice<UInt8>])?
    private var recordIndex = 0
    /// Blocks fetched at a time: `chunk` for readers that may stop soon (a page, a batch) and
    /// for those that merge partitions (a chunk per partition in memory); `scanChunk` for a long
    /// scan fetched ahead, where each query's round trip would be time the reader waits.
    let chunk: Int
    static let chunk = 16
    static let scanChunk = 32

    init(source: any BlockSource, partition: Int, after: UInt64, through: UInt64, chunk: Int = PartitionCursor.chunk) {
        self.source = source
        self.partition = partition
        next = after + 1
        self.through = through
        self.chunk = chunk
    }

    /// The next block whole (the first one may hold records before `after` too), or nil.
    mutating func nextBlock() throws -> Block? {
        guard let block = try fetch() else { return nil }
        next = block.firstSeq + UInt64(block.count)
        return block
    }

    /// The next blocks whole, as many as one fetch brings; none when the partition is read.
    mutating func nextChunk() throws -> [Block] {
        var blocks: [Block] = []
        while blocks.count < chunk, let block = try nextBlock() { blocks.append(block) }
        return blocks
    }

    /// The seq (within the partition) of the next record, or nil when the partition is read.
    mutating func peek() throws -> UInt64? {
        while true {
            if let c = current, recordIndex < c.records.count {
                let s = c.block.firstSeq + UInt64(recordIndex)
                if s < next {
                    recordIndex = Int(next - c.block.firstSeq)
                    continue
                }
                return s <= through ? s : nil
            }
            guard let block = try fetch() else { return nil }
            current = (block, try StoredBlock.bodies(block.records))
            recordIndex = 0
        }
    }

    /// Passes the record `peek` named to `body` (its recorded stamp and bytes) and moves past it.
    mutating func take(_ body: (Int64, UnsafeRawBufferPointer) throws -> Bool) throws -> Bool {
        let c = current!, record = c.records[recordIndex]
        next = c.block.firstSeq + UInt64(recordIndex) + 1
        recordIndex += 1
        return try record.withUnsafeBytes { try body(c.block.recordedMicros, $0) }
    }

    /// The next block of the partition from `next` on, or nil past `through`.
    private mutating func fetch() throws -> Block? {
        guard next <= through else { return nil }
        if fetchedIndex >= fetched.count {
            guard !fetchedAll else { return nil }
            fetched = try source.blocks(partition: partition, from: next, through: through, limit: chunk)
            fetchedIndex = 0
            fetchedAll = fetched.count < chunk
            guard !fetched.isEmpty else { return nil }
        }
        fetchedIndex += 1
        return fetched[fetchedIndex - 1]
    }
}

/// Reads consecutive blocks of one segment with large positioned reads, so a scan of many
/// small blocks costs few system calls.
final class BlockStream {
    let segment: Segment
    private var window: [UInt8] = []
    private var windowStart = 0
    static let chunk = 4 << 20

    init(segment: Segment) { self.segment = segment }

    func read(_ ref: BlockRef) throws -> [UInt8] {
        if ref.offset < windowStart || ref.offset + ref.length > windowStart + window.count {
            windowStart = ref.offset
            window = try segment.file.read(at: ref.offset, count: max(BlockStream.chunk, ref.length))
            guard window.count >= ref.length else {
                throw StoreError.corrupt(segment.path, offset: ref.offset, "block shorter than its index entry")
            }
        }
        let lo = ref.offset - windowStart
        return try window.withUnsafeBytes { (b) throws in
            try Segment.unpack(UnsafeRawBufferPointer(rebasing: b[lo..<(lo + ref.length)]), path: segment.path, offset: ref.offset)
        }
    }
}
