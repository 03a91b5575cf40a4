import ThroughlineCore

/// Where a log kept elsewhere than in segment files (a database) hands its blocks to readers:
/// each block's first seq, recorded stamp and decompressed records, from the block holding
/// `from` on, in seq order, until `body` returns false or `through` is passed.
public protocol BlockSource: Sendable {
    func forEachBlock(from: UInt64, through: UInt64, _ body: (_ firstSeq: UInt64, _ recordedMicros: Int64, _ records: [UInt8]) throws -> Bool) throws
}

/// A consistent view of the durable log: every block up to `lastSeq`, nothing that is not yet
/// synced. Taking one is cheap; reading through it never blocks the writer.
public struct LogSnapshot: Sendable {
    struct Part: Sendable {
        let segment: Segment
        let blocks: [BlockRef]
    }

    /// The segment files of a local log (empty when the log is kept elsewhere).
    let parts: [Part]
    /// The blocks of a log kept elsewhere (nil for a local log).
    let source: (any BlockSource)?
    /// The last durable seq (0 for an empty log).
    public let lastSeq: UInt64

    init(parts: [Part], lastSeq: UInt64) {
        self.parts = parts
        self.source = nil
        self.lastSeq = lastSeq
    }

    /// A view of a log kept elsewhere, up to `lastSeq`.
    public init(lastSeq: UInt64, source: any BlockSource) {
        self.parts = []
        self.source = source
        self.lastSeq = lastSeq
    }

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
    public func forEachRecord(from fromSeq: UInt64 = 1,
                              _ body: (UInt64, Int64, UnsafeRawBufferPointer) throws -> Bool) throws {
        guard fromSeq <= lastSeq else { return }
        try forEachBlock(from: max(fromSeq, 1)) { first, recorded, raw in
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
    func forEachBlock(from fromSeq: UInt64, _ body: (UInt64, Int64, [UInt8]) throws -> Bool) throws {
        if let source { return try source.forEachBlock(from: fromSeq, through: lastSeq, body) }
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

    /// Appends stored events from `fromSeq` on to `out` as NDJSON lines with `seq` and `recorded`
    /// (only `account`'s, if given), stopping after `limit` lines, once `out` holds `maxBytes`, or
    /// once `maxScanned` records were looked at. Returns how many lines it wrote and the seq to
    /// continue from (past the end when done). The one export path, shared by `dump` and the
    /// catch-up read.
    public func writeNDJSON(from fromSeq: UInt64, limit: Int, account: String?, maxBytes: Int, maxScanned: Int = .max,
                            into out: inout [UInt8], as shown: (StoredEvent) throws -> StoredEvent = { $0 }) throws -> (written: Int, next: UInt64) {
        var written = 0, scanned = 0
        var next = max(fromSeq, 1)
        guard limit > 0 else { return (0, next) }
        let wanted = account.map { Array($0.utf8) }
        var stopped = false
        try forEachView(from: next) { view in
            next = view.seq + 1
            scanned += 1
            if wanted == nil || view.accountBytes.elementsEqual(wanted!) {
                try Self.writeLine(view, into: &out, as: shown)
                written += 1
            }
            stopped = written >= limit || out.count >= maxBytes || scanned >= maxScanned
            return !stopped
        }
        if !stopped { next = max(next, lastSeq + 1) }
        return (written, next)
    }

    /// One stored record as an NDJSON line: the event as sent (as `shown` shows it to the
    /// reader), with `seq` and `recorded`.
    public static func writeLine(_ view: RecordView, into out: inout [UInt8], as shown: (StoredEvent) throws -> StoredEvent = { $0 }) throws {
        JSONWriter.write(try shown(StoredEvent(seq: view.seq, recordedMicros: view.recordedMicros, event: try view.event())).jsonValue, into: &out)
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
