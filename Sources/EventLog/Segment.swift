#if canImport(Glibc)
import Glibc
#endif
import ThroughlineCore

/// Where one block sits: its seq range, its segment file offset and total length.
public struct BlockRef: Sendable, Equatable {
    public var firstSeq: UInt64
    public var count: UInt32
    public var offset: Int
    public var length: Int
    public var recordedMicros: Int64
    public var lastSeq: UInt64 { firstSeq + UInt64(count) - 1 }
}

/// One segment file of the log: `log/segment-<first seq, 20 digits>.tlog`, a 16-byte header
/// (`THRLSEG1`, format version) followed by blocks. Sealed segments never change (except an
/// atomic rewrite by recompression, which swaps in a new `Segment`); the active one only grows.
public final class Segment: @unchecked Sendable {
    public static let headerSize = 16
    static let magic = Array("THRLSEG1".utf8)
    static let version: UInt32 = 1

    public let path: String
    public let firstSeq: UInt64
    let file: FileDescriptor

    init(path: String, firstSeq: UInt64, file: FileDescriptor) {
        self.path = path
        self.firstSeq = firstSeq
        self.file = file
    }

    /// The file name of the segment whose first record is `firstSeq`.
    public static func fileName(firstSeq: UInt64) -> String {
        let digits = String(firstSeq)
        return "segment-" + String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".tlog"
    }

    /// The first seq encoded in a segment file name, or nil if `name` is not a segment.
    public static func firstSeq(fromFileName name: String) -> UInt64? {
        guard name.hasPrefix("segment-"), name.hasSuffix(".tlog"), name.count == 8 + 20 + 5 else { return nil }
        return UInt64(name.dropFirst(8).prefix(20))
    }

    static func headerBytes() -> [UInt8] {
        var w = ByteWriter(capacity: headerSize)
        w.bytes.append(contentsOf: magic)
        w.fixed(version)
        w.fixed(UInt32(0))
        return w.bytes
    }

    /// Creates a new, empty segment file durably (file, header and directory entry synced).
    static func create(directory: String, firstSeq: UInt64) throws -> Segment {
        let path = directory + "/" + fileName(firstSeq: firstSeq)
        let file = try FileDescriptor(path: path, flags: O_RDWR | O_CREAT | O_TRUNC)
        try headerBytes().withUnsafeBytes { (b) throws in try file.write(at: 0, b) }
        try file.sync()
        try FileDescriptor.syncDirectory(directory)
        return Segment(path: path, firstSeq: firstSeq, file: file)
    }

    /// Reads `ref`'s block, checks its CRC and returns its decompressed records.
    func readBlock(_ ref: BlockRef) throws -> [UInt8] {
        let bytes = try file.read(at: ref.offset, count: ref.length)
        guard bytes.count == ref.length else {
            throw StoreError.corrupt(path, offset: ref.offset, "block shorter than its index entry")
        }
        return try bytes.withUnsafeBytes { (b) throws in
            try Segment.unpack(b, path: path, offset: ref.offset)
        }
    }

    /// Checks and decompresses one whole block given as bytes.
    static func unpack(_ b: UnsafeRawBufferPointer, path: String, offset: Int) throws -> [UInt8] {
        try StoredBlock.unpack(b) { StoreError.corrupt(path, offset: offset, $0) }
    }
}

/// One stored block as bytes, wherever it is kept.
public enum StoredBlock {
    /// Checks one whole block (header, CRC-32C) and returns its decompressed records; damage is
    /// reported through `damaged`, which names the place.
    public static func unpack(_ b: UnsafeRawBufferPointer, damaged: (String) -> StoreError) throws(StoreError) -> [UInt8] {
        try open(b, damaged: damaged).records
    }

    /// `unpack`, with the block's header (its seqs and recorded stamp).
    public static func open(_ b: UnsafeRawBufferPointer, damaged: (String) -> StoreError) throws(StoreError) -> (header: BlockHeader, records: [UInt8]) {
        let header: BlockHeader
        do { header = try BlockHeader.read(b) } catch { throw damaged(error.description) }
        let stored = UnsafeRawBufferPointer(rebasing: b[BlockHeader.size..<header.totalLength])
        guard BlockCodec.checksumMatches(header: header, headerBytes: b, stored: stored) else { throw damaged("block CRC-32C mismatch") }
        guard let raw = BlockCodec.decompress(header: header, stored: stored) else { throw damaged("LZ4 payload does not decompress") }
        return (header, raw)
    }

    /// The id hash of every record in `records` (a block's decompressed payload), in order.
    public static func idHashes(_ records: [UInt8]) throws -> [UInt64] {
        try bodies(records).map { body in
            try body.withUnsafeBytes { b in
                var rec = ByteReader(b)
                return Hash64.hash(try rec.bytes(try rec.length()))
            }
        }
    }

    /// `records` (`count` of them) framed again as one block at `firstSeq` with its recorded
    /// stamp: the same bytes the block had where it came from.
    public static func frame(_ records: [UInt8], firstSeq: UInt64, count: Int, recordedMicros: Int64) -> BlockFramer.Framed {
        let bytes = records.withUnsafeBytes { BlockCodec.encode(payload: $0, firstSeq: firstSeq, count: count, recordedMicros: recordedMicros) }
        return BlockFramer.Framed(firstSeq: firstSeq, count: count, bytes: bytes)
    }

    /// The body of each record in `records`, in order.
    public static func bodies(_ records: [UInt8]) throws -> [ArraySlice<UInt8>] {
        try records.withUnsafeBytes { b in
            var r = ByteReader(b), out: [ArraySlice<UInt8>] = []
            while !r.isAtEnd {
                let n = try r.length()
                let start = r.offset
                _ = try r.bytes(n)
                out.append(records[start..<(start + n)])
            }
            return out
        }
    }
}
