#if canImport(Glibc)
import Glibc
#endif
import ThroughlineCore

/// The on-disk idempotency index: which seq holds each event `id`.
///
/// Two files in `DATA/index/`:
/// - `ids.hashes`: the 64-bit hash of every stored event's id, 8 bytes per seq, in seq order;
/// - `ids.table`: an open-addressing hash table (linear probing) of 8-byte slots, memory-mapped.
///   A slot holds the top 24 bits of the id hash and a 40-bit seq (0 = empty).
///
/// A lookup yields the seqs whose tag matches; the caller confirms each against the stored event,
/// so answers are exact. Memory is the mapped table (8 bytes / 0.7 per event, paged by the
/// kernel), not a dictionary on the heap. Only the single writer touches it.
///
/// Crash rule: the header records a checkpoint seq and a clean flag. A clean close leaves the
/// table trusted; otherwise open truncates `ids.hashes` to the checkpoint, re-hashes the log
/// after it and rebuilds the table from the hashes (sequential, about a second per 10M events).
package final class IdIndex {
    static let headerSize = 4096
    static let magic: UInt64 = 0x3130_5844_4944_4C54  // "TLDIDX01" little-endian
    static let maxLoad = 0.7
    static let seqBits: UInt64 = 40
    static let seqMask: UInt64 = (1 << 40) - 1

    let directory: String
    var tablePath: String { directory + "/ids.table" }
    var hashesPath: String { directory + "/ids.hashes" }

    private var table: FileDescriptor
    private var map: UnsafeMutableRawPointer
    private var mapLength: Int
    private(set) var slotBits: Int
    private(set) var count: Int
    private var hashes: FileDescriptor
    /// Seqs whose hashes are in `ids.hashes`.
    package private(set) var hashedThrough: UInt64

    private var slots: UnsafeMutablePointer<UInt64> {
        (map + IdIndex.headerSize).assumingMemoryBound(to: UInt64.self)
    }
    private var mask: Int { (1 << slotBits) - 1 }
    /// The slot where the probe for `hash` starts.
    @inline(__always) private func home(_ hash: UInt64) -> Int { Int(truncatingIfNeeded: hash) & mask }

    /// Opens (or creates, or rebuilds) the index for a log whose last seq is `logLastSeq`.
    /// `hashLog(from, deliver)` must pass the id hashes of seqs `from...logLastSeq` to `deliver`,
    /// in order, in chunks (so a rebuild never holds the whole log's hashes in memory).
    package init(directory: String, logLastSeq: UInt64,
         hashLog: (UInt64, ([UInt64]) throws -> Void) throws -> Void) throws {
        self.directory = directory
        try FileSystem.makeDirectory(directory)
        hashes = try FileDescriptor(path: directory + "/ids.hashes", flags: O_RDWR | O_CREAT)
        table = try FileDescriptor(path: directory + "/ids.table", flags: O_RDWR | O_CREAT)
        map = UnsafeMutableRawPointer(bitPattern: 1)!
        mapLength = 0
        slotBits = 0
        count = 0
        hashedThrough = 0

        let header = try IdIndex.readHeader(table)
        let hashCount = UInt64(try hashes.size() / 8)
        if let header, header.clean, header.checkpoint == logLastSeq, hashCount >= logLastSeq {
            try hashes.truncate(to: Int(logLastSeq) * 8)
            try mapTable(bits: header.slotBits)
            count = Int(header.count)
            hashedThrough = logLastSeq
        } else {
            // Unclean shutdown (or first open): trust only what the last checkpoint synced.
            let durable = min(header?.checkpoint ?? 0, logLastSeq, hashCount)
            try hashes.truncate(to: Int(durable) * 8)
            hashedThrough = durable
            if durable < logLastSeq {
                try hashLog(durable + 1) { chunk in try appendHashes(chunk, firstSeq: hashedThrough + 1) }
            }
            try rebuildTable(minimumEntries: Int(logLastSeq))
        }
        try writeHeader(clean: false, checkpoint: hashedThrough)
    }

    deinit { munmap(map, mapLength) }

    struct Header { var slotBits: Int; var clean: Bool; var count: UInt64; var checkpoint: UInt64 }

    /// The seq through which the index in `directory` was last made durable (nil if it has none).
    package static func checkpoint(directory: String) -> UInt64? {
        guard let f = try? FileDescriptor(path: directory + "/ids.table", flags: O_RDONLY) else { return nil }
        return (try? readHeader(f))??.checkpoint
    }

    static func readHeader(_ f: FileDescriptor) throws -> Header? {
        let b = try f.read(at: 0, count: 32)
        guard b.count == 32 else { return nil }
        return b.withUnsafeBytes { p -> Header? in
            guard p.loadUnaligned(fromByteOffset: 0, as: UInt64.self) == magic else { return nil }
            let bits = Int(p.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
            guard (10...40).contains(bits) else { return nil }
            return Header(slotBits: bits, clean: p.loadUnaligned(fromByteOffset: 12, as: UInt32.self) == 1,
                          count: p.loadUnaligned(fromByteOffset: 16, as: UInt64.self),
                          checkpoint: p.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
        }
    }

    private func writeHeader(clean: Bool, checkpoint: UInt64) throws {
        map.storeBytes(of: IdIndex.magic, toByteOffset: 0, as: UInt64.self)
        map.storeBytes(of: UInt32(slotBits), toByteOffset: 8, as: UInt32.self)
        map.storeBytes(of: clean ? 1 : 0, toByteOffset: 12, as: UInt32.self)
        map.storeBytes(of: UInt64(count), toByteOffset: 16, as: UInt64.self)
        map.storeBytes(of: checkpoint, toByteOffset: 24, as: UInt64.self)
        guard msync(map, IdIndex.headerSize, MS_SYNC) == 0 else { throw StoreError.io("msync", tablePath) }
    }

    private func mapTable(bits: Int) throws {
        let length = IdIndex.headerSize + (8 << bits)
        // Every block allocated before it is mapped: a store through the map never needs space.
        try table.allocate(length: length)
        if mapLength > 0 { munmap(map, mapLength) }
        guard let p = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_SHARED, table.fd, 0), p != MAP_FAILED else {
            throw StoreError.io("mmap", tablePath)
        }
        map = p
        mapLength = length
        slotBits = bits
    }

    /// Makes room so that `additional` more inserts stay under the load limit.
    package func reserve(additional: Int) throws {
        if Double(count + additional) > IdIndex.maxLoad * Double(1 << slotBits) {
            try rebuildTable(minimumEntries: count + additional)
        }
    }

    /// Rebuilds the table from `ids.hashes`, sized for `minimumEntries` (at least doubling).
    private func rebuildTable(minimumEntries: Int) throws {
        var bits = max(16, slotBits + (slotBits == 0 ? 0 : 1))
        while Double(max(minimumEntries, Int(hashedThrough))) > IdIndex.maxLoad * Double(1 << bits) { bits += 1 }
        // The new table gets its space first; without it the old table stays as it is.
        let fresh = try FileDescriptor(path: tablePath + ".new", flags: O_RDWR | O_CREAT | O_TRUNC)
        do {
            try fresh.allocate(length: IdIndex.headerSize + (8 << bits))
        } catch {
            unlink(tablePath + ".new")
            throw error
        }
        try FileSystem.rename(tablePath + ".new", tablePath)
        table = fresh
        try mapTable(bits: bits)
        count = 0
        var seq: UInt64 = 1
        let chunk = 1 << 20
        var offset = 0
        while seq <= hashedThrough {
            let bytes = try hashes.read(at: offset, count: min(chunk, Int(hashedThrough - seq + 1) * 8))
            if bytes.isEmpty { break }
            bytes.withUnsafeBytes { b in
                for i in 0..<(b.count / 8) {
                    insert(hash: b.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self), seq: seq)
                    seq += 1
                }
            }
            offset += bytes.count
        }
    }

    /// Loads the first slot of each of `hashes`, before the lookups of a commit's events. These
    /// loads do not wait on each other, so the processor overlaps their cache and TLB misses
    /// (the slots lie at random in a table of 8 bytes per event), where each lookup in turn
    /// would wait for its own; the lookups then find their slots in the cache.
    package func prefetch(_ hashes: some Sequence<UInt64>) {
        var any: UInt64 = 0
        for h in hashes { any |= slots[home(h)] }
        // Kept, so that the loads are not optimised away.
        prefetched = any
    }
    private var prefetched: UInt64 = 0

    /// Calls `body` with every seq whose slot tag matches `hash`, until it returns true.
    @inline(__always) package func firstMatch(hash: UInt64, _ body: (UInt64) throws -> Bool) throws -> UInt64? {
        let tag = hash >> IdIndex.seqBits
        var i = home(hash)
        while true {
            let v = slots[i]
            if v == 0 { return nil }
            if v >> IdIndex.seqBits == tag, v & IdIndex.seqMask != 0, try body(v & IdIndex.seqMask) { return v & IdIndex.seqMask }
            i = (i + 1) & mask
        }
    }

    /// Records that `seq` holds an event whose id hashes to `hash`. Call `reserve` first.
    @inline(__always) package func insert(hash: UInt64, seq: UInt64) {
        let v = (hash >> IdIndex.seqBits) << IdIndex.seqBits | seq
        var i = home(hash)
        while slots[i] != 0 { i = (i + 1) & mask }
        slots[i] = v
        count += 1
    }

    /// Takes back an `insert` of a commit that failed: its slot becomes a tombstone (seq 0),
    /// which lookups pass over and the next rebuild drops. Linear probing cannot simply empty
    /// the slot, and a slot keeps too few bits of its hash to move the entries after it.
    func remove(hash: UInt64, seq: UInt64) {
        let v = (hash >> IdIndex.seqBits) << IdIndex.seqBits | seq
        var i = home(hash)
        while slots[i] != 0 {
            if slots[i] == v {
                slots[i] = ~IdIndex.seqMask
                return
            }
            i = (i + 1) & mask
        }
    }

    /// Forgets the hashes of seqs after `seq` (a commit that failed appended them).
    func truncateHashes(through seq: UInt64) throws {
        guard seq < hashedThrough else { return }
        try hashes.truncate(to: Int(seq) * 8)
        hashedThrough = seq
    }

    /// Appends the hashes of seqs `firstSeq...` (which must follow the ones already stored).
    package func appendHashes(_ values: [UInt64], firstSeq: UInt64) throws {
        precondition(firstSeq == hashedThrough + 1, "id hashes must be appended in seq order")
        try values.withUnsafeBytes { (b) throws in try hashes.write(at: Int(hashedThrough) * 8, b) }
        hashedThrough += UInt64(values.count)
    }

    /// Makes the index durable through `hashedThrough`; a crash after this rebuilds from here.
    package func checkpoint(clean: Bool = false) throws {
        try hashes.syncData()
        guard msync(map, mapLength, MS_SYNC) == 0 else { throw StoreError.io("msync", tablePath) }
        try writeHeader(clean: clean, checkpoint: hashedThrough)
    }

    /// Bytes the index takes on disk.
    var diskBytes: Int { mapLength + Int(hashedThrough) * 8 }
}
