import Foundation
import Synchronization
import ThroughlineCore

/// A log kept elsewhere, read through a local file that keeps each answer it gave: a query
/// asked again (the same partition, seqs and limit) is answered from the file, with the same
/// blocks, instead of from the database. A rebuild reads the log twice, with the same queries in
/// the same order (`AccountPartitions`), so its second reading costs the database nothing: the
/// blocks are kept as stored (compressed, as they came), and opened again on the way out.
final class KeptBlocks: BlockSource, @unchecked Sendable {  // `state` guards the file's end and the index
    private let source: any BlockSource
    private let file: FileDescriptor
    private struct Query: Hashable {
        let partition: Int
        let from: UInt64, through: UInt64
        let limit: Int
    }
    private struct State {
        var end = 0
        /// Each query answered, and where its blocks are in the file: first seq, offset, length.
        var answers: [Query: [(firstSeq: UInt64, offset: Int, length: Int)]] = [:]
    }
    private let state = Mutex(State())

    /// Keeps the blocks of `source` in a new file at `path` (replacing one there), deleted
    /// from the directory at once: the space is freed when the last reader lets go.
    init(_ source: any BlockSource, path: String) throws {
        self.source = source
        file = try FileDescriptor(path: path, flags: O_RDWR | O_CREAT | O_TRUNC)
        unlink(path)
    }

    func storedBlocks(partition: Int, from: UInt64, through: UInt64, limit: Int) throws -> [LogSnapshot.StoredSourceBlock] {
        let query = Query(partition: partition, from: from, through: through, limit: limit)
        if let kept = state.withLock({ $0.answers[query] }) {
            return try kept.map { block in
                var bytes = [UInt8](repeating: 0, count: block.length)
                let read = try bytes.withUnsafeMutableBytes { try file.read(at: block.offset, into: $0) }
                guard read == block.length else {
                    throw StoreError(.io, "the blocks kept from the log in \(file.path) end before byte \(block.offset + block.length)")
                }
                return (block.firstSeq, bytes)
            }
        }
        let blocks = try source.storedBlocks(partition: partition, from: from, through: through, limit: limit)
        let length = blocks.reduce(0) { $0 + $1.bytes.count }
        let start = state.withLock { s in
            defer { s.end += length }
            return s.end
        }
        var offset = start, places: [(firstSeq: UInt64, offset: Int, length: Int)] = []
        for block in blocks {
            try block.bytes.withUnsafeBytes { try file.write(at: offset, $0) }
            places.append((block.firstSeq, offset, block.bytes.count))
            offset += block.bytes.count
        }
        state.withLock { $0.answers[query] = places }
        return blocks
    }

    func damaged(partition: Int, firstSeq: UInt64, _ reason: String) -> StoreError {
        source.damaged(partition: partition, firstSeq: firstSeq, reason)
    }
}

extension LogSnapshot {
    /// The same view, for a log kept elsewhere read through a file at `path` that keeps what it
    /// fetched (`KeptBlocks`), so that reading it again with the same queries costs the database
    /// nothing; a local log's view as it is.
    public func keepingFetched(at path: String) throws -> LogSnapshot {
        guard let source else { return self }
        return LogSnapshot(position: position, source: try KeptBlocks(source, path: path))
    }
}
