import CLZ4

/// The fixed 40-byte header in front of every block in a segment file (little-endian):
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 4 | magic `TLB1` |
/// | 4 | 1 | codec: 1 = LZ4 block (fast or HC, same decoder) |
/// | 5 | 3 | reserved, zero |
/// | 8 | 8 | seq of the first record |
/// | 16 | 4 | record count |
/// | 20 | 4 | uncompressed payload length |
/// | 24 | 4 | stored (compressed) payload length |
/// | 28 | 8 | recorded time, microseconds since the epoch |
/// | 36 | 4 | CRC-32C of bytes 0..<36 followed by the stored payload |
public struct BlockHeader: Sendable, Equatable {
    public static let size = 40
    public static let magic: UInt32 = 0x3142_4C54  // "TLB1"
    public static let codecLZ4: UInt8 = 1
    /// Largest uncompressed payload a block may hold.
    public static let maxRawLength = 64 << 20

    public var codec: UInt8
    public var firstSeq: UInt64
    public var count: UInt32
    public var rawLength: UInt32
    public var storedLength: UInt32
    public var recordedMicros: Int64
    public var crc: UInt32

    /// Seq of the last record in the block.
    public var lastSeq: UInt64 { firstSeq + UInt64(count) - 1 }
    /// Header plus payload.
    public var totalLength: Int { BlockHeader.size + Int(storedLength) }

    /// Why a header could not be read.
    public enum Problem: Error, Sendable, Equatable, CustomStringConvertible {
        case truncated(available: Int)
        case badMagic
        case badFields(String)

        public var description: String {
            switch self {
            case .truncated(let n): return "block header truncated (\(n) of \(BlockHeader.size) bytes)"
            case .badMagic: return "no block header here (bad magic)"
            case .badFields(let why): return "block header is invalid: \(why)"
            }
        }
    }

    /// `read` of the first bytes of a whole block.
    public static func read(_ block: [UInt8]) throws(Problem) -> BlockHeader {
        let result = block.withUnsafeBytes { b in Result { () throws(Problem) in try read(b) } }
        return try result.get()
    }

    /// Reads a header from the first 40 bytes of `bytes`; checks magic and field sanity, not the CRC.
    public static func read(_ bytes: UnsafeRawBufferPointer) throws(Problem) -> BlockHeader {
        guard bytes.count >= size else { throw .truncated(available: bytes.count) }
        var r = ByteReader(bytes)
        do {
            guard try r.fixed(UInt32.self) == magic else { throw Problem.badMagic }
            let codec = try r.u8()
            _ = try r.bytes(3)
            let h = BlockHeader(codec: codec, firstSeq: try r.fixed(UInt64.self), count: try r.fixed(UInt32.self),
                                rawLength: try r.fixed(UInt32.self), storedLength: try r.fixed(UInt32.self),
                                recordedMicros: try r.fixed(Int64.self), crc: try r.fixed(UInt32.self))
            guard h.codec == codecLZ4 else { throw Problem.badFields("unknown codec \(h.codec)") }
            guard h.count > 0, h.firstSeq > 0 else { throw Problem.badFields("empty block or seq 0") }
            guard h.rawLength <= maxRawLength, h.storedLength <= LZ4_compressBound(Int32(maxRawLength)) else {
                throw Problem.badFields("lengths out of range")
            }
            return h
        } catch let p as Problem {
            throw p
        } catch {
            throw .truncated(available: bytes.count)
        }
    }

    func write(into w: inout ByteWriter) {
        w.fixed(BlockHeader.magic)
        w.u8(codec)
        w.u8(0); w.u8(0); w.u8(0)
        w.fixed(firstSeq)
        w.fixed(count)
        w.fixed(rawLength)
        w.fixed(storedLength)
        w.fixed(recordedMicros)
    }
}

/// Frames record payloads into checksummed LZ4 blocks and back. Pure: bytes in, bytes out.
public enum BlockCodec {
    public typealias Level = LZ4.Level

    /// A whole block (header and compressed payload) holding `payload`, the concatenated records
    /// of seqs `firstSeq ..< firstSeq + count`.
    public static func encode(payload: UnsafeRawBufferPointer, firstSeq: UInt64, count: Int,
                              recordedMicros: Int64, level: Level = .fast) -> [UInt8] {
        precondition(payload.count <= BlockHeader.maxRawLength, "block payload over \(BlockHeader.maxRawLength) bytes")
        var out = [UInt8](repeating: 0, count: BlockHeader.size)
        let stored = LZ4.compress(payload, into: &out, level: level)
        stamp(BlockHeader(codec: BlockHeader.codecLZ4, firstSeq: firstSeq, count: UInt32(count), rawLength: UInt32(payload.count),
                          storedLength: UInt32(stored), recordedMicros: recordedMicros, crc: 0), on: &out)
        return out
    }

    /// `block` (a whole block, as `encode` made it) moved to start at `firstSeq` and stamped
    /// `recordedMicros`: the same compressed records under a new header and CRC.
    public static func restamped(_ block: [UInt8], firstSeq: UInt64, recordedMicros: Int64) throws(BlockHeader.Problem) -> [UInt8] {
        var header = try BlockHeader.read(block)
        header.firstSeq = firstSeq
        header.recordedMicros = recordedMicros
        var out = block
        stamp(header, on: &out)
        return out
    }

    /// Writes `header` over the first bytes of `block`, with the CRC of it and the stored payload
    /// that follows.
    private static func stamp(_ header: BlockHeader, on block: inout [UInt8]) {
        var w = ByteWriter(capacity: BlockHeader.size)
        header.write(into: &w)
        let crc = block.withUnsafeBytes { all in
            w.bytes.withUnsafeBytes { head in
                CRC32C.update(CRC32C.checksum(head), UnsafeRawBufferPointer(rebasing: all[BlockHeader.size...]))
            }
        }
        w.fixed(crc)
        block.replaceSubrange(0..<BlockHeader.size, with: w.bytes)
    }

    /// True when the CRC in `header` matches the header bytes and `stored` payload.
    public static func checksumMatches(header: BlockHeader, headerBytes: UnsafeRawBufferPointer,
                                       stored: UnsafeRawBufferPointer) -> Bool {
        let crc = CRC32C.update(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: headerBytes[0..<36])), stored)
        return crc == header.crc
    }

    /// Decompresses a block's stored payload into its records' bytes; nil if LZ4 finds it malformed.
    public static func decompress(header: BlockHeader, stored: UnsafeRawBufferPointer) -> [UInt8]? {
        LZ4.decompress(stored, rawLength: Int(header.rawLength))
    }
}
