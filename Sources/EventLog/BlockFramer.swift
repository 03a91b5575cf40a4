import ThroughlineCore

/// Frames consecutive records into LZ4 blocks of about `blockBytes` uncompressed bytes each,
/// all stamped with one recorded time: the one framing of the local writer, the database
/// writer and `copy`.
public struct BlockFramer {
    /// One framed block: its seqs and its bytes (header, CRC-32C, compressed records).
    public struct Framed: Sendable {
        public var firstSeq: UInt64
        public var count: Int
        public var bytes: [UInt8]
        public var lastSeq: UInt64 { firstSeq + UInt64(count) - 1 }
        public init(firstSeq: UInt64, count: Int, bytes: [UInt8]) {
            (self.firstSeq, self.count, self.bytes) = (firstSeq, count, bytes)
        }
    }

    private let blockBytes: Int
    private let recordedMicros: Int64
    private var payload: ByteWriter
    private var blockFirst: UInt64
    private var count = 0
    /// The blocks framed so far.
    public private(set) var blocks: [Framed] = []

    /// Records from `firstSeq` on, `expectedBytes` of them in all (a hint for the buffer).
    public init(firstSeq: UInt64, recordedMicros: Int64, blockBytes: Int, expectedBytes: Int = 0) {
        self.blockBytes = blockBytes
        self.recordedMicros = recordedMicros
        blockFirst = firstSeq
        payload = ByteWriter(capacity: min(blockBytes, expectedBytes) + 1024)
    }

    /// Adds the next record's body.
    public mutating func add<C: Collection<UInt8>>(_ body: C) {
        payload.varint(UInt64(body.count))
        payload.bytes.append(contentsOf: body)
        count += 1
        if payload.bytes.count >= blockBytes { flush() }
    }

    /// Frames what is left and returns every block.
    public mutating func finish() -> [Framed] {
        if count > 0 { flush() }
        return blocks
    }

    /// `events` framed ahead of their commit, on the appending thread rather than the writer's:
    /// blocks at seq 1 with no recorded stamp, which `restamped` moves to where they land.
    public static func ahead(_ events: EncodedBatch, blockBytes: Int) -> [Framed] {
        var framer = BlockFramer(firstSeq: 1, recordedMicros: 0, blockBytes: blockBytes, expectedBytes: events.bytes.count)
        for i in 0..<events.count { framer.add(events.body(i)) }
        return framer.finish()
    }

    /// Blocks framed `ahead`, in order, moved to start at `firstSeq` and stamped `recordedMicros`
    /// (the same compressed records: only their headers and CRCs change).
    public static func restamped(_ ahead: [Framed], firstSeq: UInt64, recordedMicros: Int64) -> [Framed] {
        var seq = firstSeq
        return ahead.map { block in
            defer { seq += UInt64(block.count) }
            guard let bytes = try? BlockCodec.restamped(block.bytes, firstSeq: seq, recordedMicros: recordedMicros) else {
                preconditionFailure("a block framed ahead has no valid header")
            }
            return Framed(firstSeq: seq, count: block.count, bytes: bytes)
        }
    }

    /// The blocks of one commit's new records, from `firstSeq` on: those framed `ahead` of it,
    /// restamped, when they hold exactly its new records (`newRecords` is every record framed
    /// ahead); else `bodies` (the new records) framed now.
    public static func commit<S: Sequence>(ahead: [Framed]?, newRecords: Int, bodies: S, firstSeq: UInt64, recordedMicros: Int64,
                                           blockBytes: Int, expectedBytes: Int) -> [Framed] where S.Element == ArraySlice<UInt8> {
        if let ahead, ahead.reduce(0, { $0 + $1.count }) == newRecords {
            return restamped(ahead, firstSeq: firstSeq, recordedMicros: recordedMicros)
        }
        var framer = BlockFramer(firstSeq: firstSeq, recordedMicros: recordedMicros, blockBytes: blockBytes, expectedBytes: expectedBytes)
        for body in bodies { framer.add(body) }
        return framer.finish()
    }

    private mutating func flush() {
        let (first, n, stamp) = (blockFirst, count, recordedMicros)
        let block = payload.bytes.withUnsafeBytes { BlockCodec.encode(payload: $0, firstSeq: first, count: n, recordedMicros: stamp) }
        blocks.append(Framed(firstSeq: first, count: n, bytes: block))
        blockFirst += UInt64(n)
        count = 0
        payload.bytes.removeAll(keepingCapacity: true)
    }
}
