import Foundation
import ThroughlineCore

/// Writes blocks as they are (their seqs, recorded stamps and records unchanged) into the
/// segment files of a new data directory: the local end of `throughline copy`. Opening the
/// store afterwards builds its id index from the log.
public final class SegmentCopier {
    public let directory: String
    private let segmentBytes: Int
    private var segment: Segment?
    private var length = 0
    private var next: UInt64 = 1

    /// Starts a log in `directory`, which must hold none yet.
    public init(directory: String, segmentBytes: Int = EventStore.Options().segmentBytes) throws {
        self.directory = directory
        self.segmentBytes = segmentBytes
        if let names = try? FileManager.default.contentsOfDirectory(atPath: directory + "/log"), names.contains(where: { $0.hasSuffix(".tlog") }) {
            throw StoreError(.invalid, "\(directory) already holds a log; copy only into a new store")
        }
        try FileSystem.makeDirectory(directory)
        guard chmod(directory, 0o700) == 0 else { throw StoreError.io("chmod 0700", directory) }
        try FileSystem.makeDirectory(directory + "/log")
    }

    /// Appends one block: the next seq must be `firstSeq`.
    public func append(firstSeq: UInt64, recordedMicros: Int64, records: [UInt8]) throws {
        guard firstSeq == next else {
            throw StoreError(.invalid, "a block starting at seq \(firstSeq) cannot follow seq \(next - 1)")
        }
        let count = try StoredBlock.bodies(records).count
        let bytes = StoredBlock.frame(records, firstSeq: firstSeq, count: count, recordedMicros: recordedMicros).bytes
        if segment == nil || length >= segmentBytes {
            try segment?.file.sync()
            segment = try Segment.create(directory: directory + "/log", firstSeq: firstSeq)
            length = Segment.headerSize
        }
        try bytes.withUnsafeBytes { b in try segment!.file.write(at: length, b) }
        length += bytes.count
        next += UInt64(count)
    }

    /// Syncs what was written; the store is then ready to open.
    public func finish() throws {
        if segment == nil { segment = try Segment.create(directory: directory + "/log", firstSeq: 1) }
        try segment?.file.sync()
        try FileDescriptor.syncDirectory(directory + "/log")
    }
}

extension LogSnapshot {
    /// Calls `body` with every block's first seq, recorded stamp and records, in seq order,
    /// until it returns false: what `copy` moves.
    public func forEachBlock(_ body: (UInt64, Int64, [UInt8]) throws -> Bool) throws {
        guard lastSeq > 0 else { return }
        try forEachBlock(from: 1, body)
    }
}
