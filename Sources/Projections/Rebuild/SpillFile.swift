#if canImport(Glibc)
import Glibc
#endif
import EventLog
import ThroughlineCore

/// A stretch of a spill file: whole entries of one part, written at once.
struct SpillStretch: Sendable {
    let file: FileDescriptor
    let offset: Int
    let length: Int
}

/// One reader's spill file: entries go to a buffer per part, and a full buffer goes to the end
/// of the file as one stretch of its part. A part's stretches, read in turn, hold its entries in
/// the order they were appended. One file per reader, not per part, so a replay of many parts
/// creates a file or two, not hundreds.
struct SpillFile {
    let file: FileDescriptor
    private var end = 0
    private var buffers: [ByteWriter]
    /// Per part, the stretches written so far.
    private(set) var stretches: [[SpillStretch]]
    private let limit: Int

    init(path: String, parts: Int, buffer limit: Int) throws {
        file = try FileDescriptor(path: path, flags: O_RDWR | O_CREAT | O_TRUNC, mode: 0o600)
        self.limit = limit
        // Capacity is reserved as a buffer fills: most parts never reach the limit at once.
        buffers = Array(repeating: ByteWriter(), count: parts)
        stretches = Array(repeating: [], count: parts)
    }

    /// Appends to part `p`'s buffer with `write`, which must append whole entries; writes the
    /// buffer out once it reaches the limit.
    mutating func append(to p: Int, _ write: (inout ByteWriter) -> Void) throws {
        write(&buffers[p])
        if buffers[p].bytes.count >= limit { try flush(p) }
    }

    private mutating func flush(_ p: Int) throws {
        guard !buffers[p].bytes.isEmpty else { return }
        // An error names the file (`FileDescriptor.write`).
        try buffers[p].bytes.withUnsafeBytes { (b) throws in try file.write(at: end, b) }
        stretches[p].append(SpillStretch(file: file, offset: end, length: buffers[p].bytes.count))
        end += buffers[p].bytes.count
        buffers[p].bytes.removeAll(keepingCapacity: true)
    }

    /// Writes out every buffer; `stretches` is then complete.
    mutating func finish() throws {
        for p in buffers.indices {
            try flush(p)
            buffers[p] = ByteWriter()
        }
    }

    /// Calls `body` with each of `stretches` in turn and its bytes, read into one buffer. A
    /// decoding error is reported with the file and the stretch.
    static func read(_ stretches: [SpillStretch], _ body: (SpillStretch, UnsafeRawBufferPointer) throws -> Void) throws {
        var buffer = [UInt8](repeating: 0, count: stretches.map(\.length).max() ?? 0)
        for s in stretches {
            try buffer.withUnsafeMutableBytes { (b) throws in
                let bytes = UnsafeMutableRawBufferPointer(rebasing: b[..<s.length])
                guard try s.file.read(at: s.offset, into: bytes) == s.length else {
                    throw ReadModelError(.io, "the spill file \(s.file.path) ends before byte \(s.offset + s.length)")
                }
                do { try body(s, UnsafeRawBufferPointer(bytes)) } catch let e as DecodeError {
                    throw ReadModelError(.damaged, "the spill file \(s.file.path), in its stretch at byte \(s.offset), is damaged: \(e)")
                }
            }
        }
    }
}
