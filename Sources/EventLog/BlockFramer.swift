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

    private mutating func flush() {
        let (first, n, stamp) = (blockFirst, count, recordedMicros)
        let block = payload.bytes.withUnsafeBytes { BlockCodec.encode(payload: $0, firstSeq: first, count: n, recordedMicros: stamp) }
        blocks.append(Framed(firstSeq: first, count: n, bytes: block))
        blockFirst += UInt64(n)
        count = 0
        payload.bytes.removeAll(keepingCapacity: true)
    }
}
