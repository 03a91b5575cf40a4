#if canImport(Glibc)
import Glibc
#endif
import ThroughlineCore

/// Walks a segment's blocks from the start, checking each header, CRC and seq continuity, and
/// applies the recovery rule: in the last segment, an incomplete block at the very end (a torn
/// write) is cut off; any other damage is an error naming the segment and byte offset.
struct SegmentScanner {
    struct Result {
        var blocks: [BlockRef] = []
        /// Bytes of whole, valid blocks (plus the header): where the next block goes.
        var validLength = Segment.headerSize
        /// Set when a torn tail was found: its offset and why it is considered torn.
        var tornTail: (offset: Int, reason: String)?
        var fileLength = 0
    }

    /// Reads the blocks of `file`. `expectedFirstSeq` is the seq its first block must carry;
    /// `isLast` allows a torn tail to be reported instead of thrown.
    static func scan(_ file: FileDescriptor, expectedFirstSeq: UInt64, isLast: Bool) throws -> Result {
        var result = Result()
        let size = try file.size()
        result.fileLength = size
        let path = file.path

        func torn(_ offset: Int, _ reason: String) throws {
            guard isLast else { throw StoreError.corrupt(path, offset: offset, reason) }
            result.tornTail = (offset, reason)
        }

        let header = try file.read(at: 0, count: Segment.headerSize)
        if header.count < Segment.headerSize {
            try torn(0, "segment header incomplete (\(header.count) bytes)")
            return result
        }
        guard Array(header[0..<8]) == Segment.magic else {
            throw StoreError.corrupt(path, offset: 0, "not a Throughline segment (bad magic)")
        }

        var window = [UInt8]()
        var windowStart = 0
        let chunk = 8 << 20
        func bytes(_ offset: Int, _ count: Int) throws -> ArraySlice<UInt8> {
            if offset < windowStart || offset + count > windowStart + window.count {
                windowStart = offset
                window = try file.read(at: offset, count: max(chunk, count))
            }
            let lo = offset - windowStart
            return window[lo..<min(window.count, lo + count)]
        }

        var offset = Segment.headerSize
        var nextSeq = expectedFirstSeq
        while offset < size {
            let headBytes = try bytes(offset, BlockHeader.size)
            let h: BlockHeader
            do {
                h = try headBytes.withUnsafeBytes { (b) throws in try BlockHeader.read(b) }
            } catch let error as BlockHeader.Problem {
                if case .truncated = error {
                    try torn(offset, error.description)
                } else if isLast, try restIsZero(file, from: offset, size: size) {
                    try torn(offset, "zero-filled tail")
                } else {
                    throw StoreError.corrupt(path, offset: offset, error.description)
                }
                return result
            } catch {
                throw error
            }
            if offset + h.totalLength > size {
                try torn(offset, "block runs past the end of the file (\(h.totalLength) bytes at \(offset), file is \(size))")
                return result
            }
            let whole = try bytes(offset, h.totalLength)
            let ok = whole.withUnsafeBytes { b in
                BlockCodec.checksumMatches(header: h, headerBytes: b,
                                           stored: UnsafeRawBufferPointer(rebasing: b[BlockHeader.size...]))
            }
            if !ok {
                if offset + h.totalLength == size {
                    try torn(offset, "last block fails its CRC-32C")
                    return result
                }
                throw StoreError.corrupt(path, offset: offset, "block CRC-32C mismatch")
            }
            guard h.firstSeq == nextSeq else {
                throw StoreError.corrupt(path, offset: offset, "seq gap: expected a block starting at seq \(nextSeq), found \(h.firstSeq)")
            }
            result.blocks.append(BlockRef(firstSeq: h.firstSeq, count: h.count, offset: offset,
                                          length: h.totalLength, recordedMicros: h.recordedMicros))
            nextSeq = h.lastSeq + 1
            offset += h.totalLength
            result.validLength = offset
        }
        return result
    }

    private static func restIsZero(_ file: FileDescriptor, from offset: Int, size: Int) throws -> Bool {
        var at = offset
        while at < size {
            let chunk = try file.read(at: at, count: min(1 << 20, size - at))
            if chunk.isEmpty { break }
            if chunk.contains(where: { $0 != 0 }) { return false }
            at += chunk.count
        }
        return true
    }
}
