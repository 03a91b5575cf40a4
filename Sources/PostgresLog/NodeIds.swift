import EventLog
import Foundation
import ThroughlineCore

/// Which ids the log holds, kept by the appending node in files of its own: one `IdIndex` per
/// partition (the table the local log keeps), fed from the id hashes stored beside every block
/// and brought up to each partition's head before an append decides what is new. Exactly-once
/// across nodes then needs no index inside PostgreSQL: an append reads only the hashes of the
/// blocks committed since its last one (by any node), in the statement that reads the heads.
///
/// The files are a cache of the log: in `DATA/log-ids/` for a node with a data directory, else in
/// a temporary directory removed at `close`. They are made again from the log when they belong
/// to another store (the `store` file names the one they were made from), when a crash left them
/// unsynced past their checkpoint, or when the log's history does not continue them (its head is
/// behind them, or no block starts right after them: a database restored from an older backup).
final class NodeIds {
    private let directory: String
    private let temporary: Bool
    private let store: String
    private var parts: [Int: IdIndex] = [:]
    /// Events added since the last checkpoint.
    private var unsynced: UInt64 = 0
    static let checkpointEvents: UInt64 = 1_000_000

    /// The ids of the log whose `throughline_store` row says `store`, kept under `directory`
    /// (a new temporary directory if nil).
    init(directory: String?, store: String) throws(StoreError) {
        self.store = store
        if let directory {
            self.directory = directory
            temporary = false
        } else {
            self.directory = NSTemporaryDirectory() + "throughline-ids-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
            temporary = true
        }
        let marker = self.directory + "/store"
        if (try? String(contentsOfFile: marker, encoding: .utf8)) != store {
            try? FileManager.default.removeItem(atPath: self.directory)
            do {
                try FileManager.default.createDirectory(atPath: self.directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                try store.write(toFile: marker, atomically: true, encoding: .utf8)
            } catch {
                throw StoreError(.io, "cannot make the node's id index in \(self.directory): \(error)")
            }
        }
    }

    /// The last seq of `part` whose id is known here.
    func through(_ part: Int) throws(StoreError) -> UInt64 { try index(part).hashedThrough }

    private func index(_ part: Int) throws(StoreError) -> IdIndex {
        if let open = parts[part] { return open }
        let dir = directory + "/part-\(part)"
        let open: IdIndex
        do {
            // Opened at its own checkpoint; what the log holds past it is read by `add`.
            open = try IdIndex(directory: dir, logLastSeq: IdIndex.checkpoint(directory: dir) ?? 0) { _, _ in
                throw StoreError(.corrupt, "\(dir): fewer id hashes than its checkpoint")
            }
        } catch {
            // A damaged cache is made again from the log.
            try? FileManager.default.removeItem(atPath: dir)
            do { open = try IdIndex(directory: dir, logLastSeq: 0) { _, _ in } } catch {
                throw StoreError(.io, "cannot make the node's id index in \(dir): \(error)")
            }
        }
        parts[part] = open
        return open
    }

    /// Forgets what is known of `part` (the files do not match the log's history).
    func reset(_ part: Int) throws(StoreError) {
        parts[part] = nil
        try? FileManager.default.removeItem(atPath: directory + "/part-\(part)")
    }

    /// Adds the hashes of a block of `part` starting at `firstSeq`, which must follow the last
    /// one known.
    func add(_ part: Int, firstSeq: UInt64, hashes: [UInt64]) throws(StoreError) {
        let idx = try index(part)
        guard firstSeq == idx.hashedThrough + 1 else {
            throw StoreError(.corrupt, "partition \(part) of the log: a block starts at seq \(firstSeq) after seq \(idx.hashedThrough)")
        }
        do {
            try idx.reserve(additional: hashes.count)
            try idx.appendHashes(hashes, firstSeq: firstSeq)
        } catch {
            throw StoreError(.io, "\(directory): \(error)")
        }
        for (k, h) in hashes.enumerated() { idx.insert(hash: h, seq: firstSeq + UInt64(k)) }
        unsynced += UInt64(hashes.count)
        if unsynced >= Self.checkpointEvents { checkpoint(clean: false) }
    }

    /// Loads the slots of `hashes` in `part`'s index before their lookups (`IdIndex.prefetch`).
    func prefetch(_ part: Int, _ hashes: some Sequence<UInt64>) throws(StoreError) { try index(part).prefetch(hashes) }

    /// The first stored event of `part` whose id is `body`'s, with its stored body: the index
    /// names candidates by hash, each confirmed against the stored record (read from the log).
    func first(_ part: Int, hash: UInt64, sameIdAs body: ArraySlice<UInt8>, in log: PostgresBlocks) throws(StoreError) -> (seq: UInt64, body: ArraySlice<UInt8>)? {
        var found: ArraySlice<UInt8>?
        let seq: UInt64?
        do {
            seq = try index(part).firstMatch(hash: hash) { seq in
                let stored = try Self.record(log, part: part, seq: seq)
                guard RecordCodec.sameID(body, stored) else { return false }
                found = stored
                return true
            }
        } catch let e as StoreError {
            throw e
        } catch {
            throw StoreError(.io, "\(error)")
        }
        guard let seq, let found else { return nil }
        return (seq, found)
    }

    /// Makes the indexes durable (`clean` when the node stops appending).
    func checkpoint(clean: Bool) {
        for idx in parts.values { try? idx.checkpoint(clean: clean) }
        unsynced = 0
    }

    /// Syncs the indexes as a clean stop, or removes them if they were temporary.
    func close() {
        if !temporary { checkpoint(clean: true) }
        parts = [:]
        if temporary { try? FileManager.default.removeItem(atPath: directory) }
    }

    /// The body of the stored event `seq` of `part`.
    private static func record(_ log: PostgresBlocks, part: Int, seq: UInt64) throws -> ArraySlice<UInt8> {
        guard let block = try log.blocks(partition: part, from: seq, through: seq, limit: 1).first, block.firstSeq <= seq else {
            throw StoreError(.corrupt, "\(log.pool.address): partition \(part) has no block holding seq \(seq), which this node's id index names")
        }
        let damaged = { (reason: String) in StoreError(.corrupt, "\(log.pool.address): partition \(part), the block at seq \(block.firstSeq): \(reason)") }
        let bodies: [ArraySlice<UInt8>]
        do { bodies = try StoredBlock.bodies(block.records) } catch { throw damaged("records do not decode: \(error)") }
        let k = Int(seq - block.firstSeq)
        guard k < bodies.count else { throw damaged("it holds \(bodies.count) records, not seq \(seq)") }
        return bodies[k]
    }
}
