import EventLog
import Scoring
import Foundation
import Synchronization
import ThroughlineCore

/// The log's records regrouped by account: each part's records are copied into spill files, and
/// a part is then folded with every event of its accounts in hand, so memory is bounded by the
/// part, not the log. For a rebuild the accounts, sorted, are cut into ranges of about
/// `eventsPerPart` events (rows then reach SQLite in key order); for a replay, where order does
/// not matter, accounts go to parts by a hash of their id, in one pass read on several threads.
struct AccountPartitions {
    /// One part of the accounts and the files holding its records (read in turn, they are in
    /// seq order).
    struct Part {
        let paths: [String]
        let events: Int
    }

    let parts: [Part]
    let directory: String
    /// The feature names a replay's compact records number (none for a rebuild's parts).
    var features: [String] = []
    /// The day of the latest event time, and of the latest append.
    let maxEventDay: Int, maxRecordedDay: Int

    /// Reads `snapshot` twice: once to count each account's events, once to copy each record
    /// into its range's file under `directory` (created, and removed by `remove()`).
    init(_ snapshot: LogSnapshot, directory: String, eventsPerPart: Int) throws {
        self.directory = try Self.fresh(directory)
        var counts: [String: Int] = [:]
        var latest = Int64.min, recorded = Int64.min
        try snapshot.forEachView { view in
            counts[view.account, default: 0] += 1
            latest = max(latest, view.time.microseconds)
            recorded = max(recorded, view.recordedMicros)
            return true
        }
        (maxEventDay, maxRecordedDay) = Self.days(latest: latest, recorded: recorded, empty: counts.isEmpty)
        // Byte order is SQLite's order for the text keys.
        let sorted = counts.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        var partOf: [String: Int] = [:]
        var sizes: [Int] = [0]
        for account in sorted {
            let n = counts[account] ?? 0
            if sizes[sizes.count - 1] > 0 && sizes[sizes.count - 1] + n > eventsPerPart { sizes.append(0) }
            sizes[sizes.count - 1] += n
            partOf[account] = sizes.count - 1
        }
        let paths = sizes.indices.map { directory + "/part-\($0)" }
        var writers = try paths.map { try SpillWriter(path: $0, buffer: 1 << 20) }
        try snapshot.forEachRecord { seq, recorded, body in
            let view = try RecordView(seq: seq, recordedMicros: recorded, body: body)
            guard let part = partOf[view.account] else {
                throw StoreError(.corrupt, "seq \(seq) belongs to an account the first reading did not see")
            }
            try writers[part].append(seq: seq, recorded: recorded, body: body)
            return true
        }
        for i in writers.indices { try writers[i].close() }
        parts = zip(paths, sizes).map { Part(paths: [$0], events: $1) }
    }

    /// One pass over `snapshot`, its seqs cut into `readers` runs read at once: each record goes
    /// to part `hash(account) % n`, where n gives parts of about `eventsPerPart` events. A record
    /// the replay's fold reads from its bytes is written as the fold takes it (`FoldRecord`, its
    /// features numbered in `features`), any other whole (`forEachEntry`).
    init(hashing snapshot: LogSnapshot, directory: String, eventsPerPart: Int, readers: Int) throws {
        self.directory = try Self.fresh(directory)
        let count = max(1, Int(snapshot.lastSeq) / max(1, eventsPerPart))
        let readers = max(1, min(readers, Int(snapshot.lastSeq)))
        let run = (snapshot.lastSeq + UInt64(readers) - 1) / UInt64(readers)
        let table = FeatureTable()
        struct Read: Sendable { var events: [Int]; var latest: Int64; var recorded: Int64 }
        let outcomes = Mutex([Result<Read, Error>?](repeating: nil, count: readers))
        DispatchQueue.concurrentPerform(iterations: readers) { k in
            let outcome = Result { () throws -> Read in
                let (first, last) = (UInt64(k) * run + 1, min(snapshot.lastSeq, UInt64(k + 1) * run))
                var read = Read(events: [Int](repeating: 0, count: count), latest: .min, recorded: .min)
                guard first <= last else { return read }
                var coder = FeatureCoder(table)
                // Small buffers: every reader holds one per part.
                var writers = try (0..<count).map { try SpillWriter(path: directory + "/part-\($0)-\(k)", buffer: 128 << 10) }
                try snapshot.forEachRecord(from: first) { seq, recorded, body in
                    guard seq <= last else { return false }
                    let view = try RecordView(seq: seq, recordedMicros: recorded, body: body)
                    let part = Int(Hash64.hash(view.accountBytes) % UInt64(count))
                    try writers[part].append(view, features: &coder)
                    read.events[part] += 1
                    read.latest = max(read.latest, view.time.microseconds)
                    read.recorded = max(read.recorded, recorded)
                    return true
                }
                for i in writers.indices { try writers[i].close() }
                return read
            }
            outcomes.withLock { $0[k] = outcome }
        }
        let reads = try outcomes.withLock { $0 }.map { try $0!.get() }
        let latest = reads.map(\.latest).max() ?? .min, recorded = reads.map(\.recorded).max() ?? .min
        (maxEventDay, maxRecordedDay) = Self.days(latest: latest, recorded: recorded, empty: snapshot.lastSeq == 0)
        parts = (0..<count).map { p in
            Part(paths: (0..<readers).map { directory + "/part-\(p)-\($0)" }.filter { FileManager.default.fileExists(atPath: $0) },
                 events: reads.reduce(0) { $0 + $1.events[p] })
        }
        features = table.names
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }

    /// `directory`, emptied (or created) for the spill files.
    private static func fresh(_ directory: String) throws -> String {
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }

    /// The days of the latest event time and the latest append. An empty log has no latest day;
    /// day 0 then, which no account is scored up to.
    private static func days(latest: Int64, recorded: Int64, empty: Bool) -> (Int, Int) {
        empty ? (0, 0) : (ContextView.dayNumber(latest), ContextView.dayNumber(recorded))
    }

    /// Calls `body` with each record of a part, in seq order.
    static func forEachRecord(in part: Part, _ body: (RecordView) throws -> Void) throws {
        try forEachFile(of: part) { try RecordChunk.forEach(raw: $0, body) }
    }

    /// Calls `whole` or `folded` with each entry of a replay's part (`init(hashing:)`), in seq
    /// order: `whole` with a record kept whole, `folded` with the account and a reader at a
    /// record's compact form, which it must read to its end.
    static func forEachEntry(in part: Part, whole: (RecordView) throws -> Void,
                             folded: (UnsafeRawBufferPointer, inout ByteReader) throws -> Void) throws {
        try forEachFile(of: part) { raw in
            var r = ByteReader(raw)
            while !r.isAtEnd {
                if try r.u8() == SpillWriter.folded {
                    let account = try r.bytes(try r.length())
                    try folded(account, &r)
                } else {
                    let seq = try r.fixed(UInt64.self), recorded = try r.fixed(Int64.self)
                    try whole(try RecordView(seq: seq, recordedMicros: recorded, body: try r.bytes(try r.length())))
                }
            }
        }
    }

    private static func forEachFile(of part: Part, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        for path in part.paths {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw StoreError(.io, "cannot read the spill file \(path)")
            }
            do {
                try data.withUnsafeBytes { (buf: UnsafeRawBufferPointer) throws in try body(buf) }
            } catch let e as DecodeError {
                throw StoreError(.corrupt, "the spill file \(path) is damaged: \(e)")
            }
        }
    }
}

/// Appends record entries (`RecordChunk`'s raw form) to a spill file through a buffer.
private struct SpillWriter {
    let handle: FileHandle
    let path: String
    var buffer: ByteWriter
    let limit: Int

    init(path: String, buffer limit: Int) throws {
        self.limit = limit
        buffer = ByteWriter(capacity: limit + (64 << 10))
        guard FileManager.default.createFile(atPath: path, contents: nil), let h = FileHandle(forWritingAtPath: path) else {
            throw StoreError(.io, "cannot create the spill file \(path)")
        }
        self.path = path
        handle = h
    }

    mutating func append(seq: UInt64, recorded: Int64, body: UnsafeRawBufferPointer) throws {
        RecordChunk.append(seq: seq, recorded: recorded, body: body, to: &buffer)
        if buffer.bytes.count >= limit { try flush() }
    }

    /// The tags of a replay's entries: a record kept whole, or in its compact form.
    static let whole: UInt8 = 0, folded: UInt8 = 1

    /// Appends a replay's entry for `view`: its compact form after the account, or else the
    /// record whole.
    mutating func append(_ view: RecordView, features: inout FeatureCoder) throws {
        let start = buffer.bytes.count
        buffer.u8(Self.folded)
        buffer.varint(UInt64(view.accountBytes.count))
        buffer.bytes.append(contentsOf: view.accountBytes)
        if !FoldRecord.encode(view, features: &features, into: &buffer) {
            buffer.bytes.removeSubrange(start...)
            buffer.u8(Self.whole)
            RecordChunk.append(seq: view.seq, recorded: view.recordedMicros, body: view.body, to: &buffer)
        }
        if buffer.bytes.count >= limit { try flush() }
    }

    mutating func flush() throws {
        do { try handle.write(contentsOf: buffer.bytes) } catch {
            throw StoreError(.io, "cannot write the spill file \(path): \(error)")
        }
        buffer.bytes.removeAll(keepingCapacity: true)
    }

    mutating func close() throws {
        try flush()
        try handle.close()
    }
}
