import EventLog
import Foundation
import ThroughlineCore

/// The log's records regrouped by account for a rebuild: the accounts, sorted, are cut into
/// ranges of about `eventsPerPart` events, and each range's records are copied into its own spill
/// file. A rebuild then folds one range at a time with every event of its accounts in hand, so
/// memory is bounded by the range, not the log, and rows reach SQLite in key order.
struct AccountPartitions {
    /// One range of accounts and the file holding its records.
    struct Part {
        let path: String
        let events: Int
    }

    let parts: [Part]
    let directory: String
    /// The day of the latest event time, and of the latest append.
    let maxEventDay: Int, maxRecordedDay: Int

    /// Reads `snapshot` twice: once to count each account's events, once to copy each record
    /// into its range's file under `directory` (created, and removed by `remove()`).
    init(_ snapshot: LogSnapshot, directory: String, eventsPerPart: Int) throws {
        self.directory = directory
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var counts: [String: Int] = [:]
        var latest = Int64.min, recorded = Int64.min
        try snapshot.forEachView { view in
            counts[view.account, default: 0] += 1
            latest = max(latest, view.time.microseconds)
            recorded = max(recorded, view.recordedMicros)
            return true
        }
        // An empty log has no latest day; day 0 then, which no account is scored up to.
        (maxEventDay, maxRecordedDay) = counts.isEmpty ? (0, 0) : (ContextView.dayNumber(latest), ContextView.dayNumber(recorded))
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
        var writers = try paths.map { try SpillWriter(path: $0) }
        try snapshot.forEachRecord { seq, recorded, body in
            let view = try RecordView(seq: seq, recordedMicros: recorded, body: body)
            guard let part = partOf[view.account] else {
                throw StoreError(.corrupt, "seq \(seq) belongs to an account the first reading did not see")
            }
            try writers[part].append(seq: seq, recorded: recorded, body: body)
            return true
        }
        for i in writers.indices { try writers[i].close() }
        parts = zip(paths, sizes).map { Part(path: $0, events: $1) }
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }

    /// Calls `body` with each record of a part, in seq order.
    static func forEachRecord(in part: Part, _ body: (RecordView) throws -> Void) throws {
        guard let data = FileManager.default.contents(atPath: part.path) else {
            throw StoreError(.io, "cannot read the rebuild's spill file \(part.path)")
        }
        try data.withUnsafeBytes { (buf: UnsafeRawBufferPointer) throws in try RecordChunk.forEach(raw: buf, body) }
    }
}

/// Appends record entries (`RecordChunk`'s raw form) to a spill file through a buffer.
private struct SpillWriter {
    let handle: FileHandle
    let path: String
    var buffer = ByteWriter(capacity: 1 << 20)

    init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let h = FileHandle(forWritingAtPath: path) else {
            throw StoreError(.io, "cannot create the rebuild's spill file \(path)")
        }
        self.path = path
        handle = h
    }

    mutating func append(seq: UInt64, recorded: Int64, body: UnsafeRawBufferPointer) throws {
        RecordChunk.append(seq: seq, recorded: recorded, body: body, to: &buffer)
        if buffer.bytes.count >= 1 << 20 { try flush() }
    }

    mutating func flush() throws {
        do { try handle.write(contentsOf: buffer.bytes) } catch {
            throw StoreError(.io, "cannot write the rebuild's spill file \(path): \(error)")
        }
        buffer.bytes.removeAll(keepingCapacity: true)
    }

    mutating func close() throws {
        try flush()
        try handle.close()
    }
}
