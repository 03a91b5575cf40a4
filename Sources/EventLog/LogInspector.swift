import ThroughlineCore

/// Read-only checks and figures over a data directory; safe while a writer holds the store
/// (it sees what was durable when it started and changes nothing).
public enum LogInspector {
    /// The log as it stands on disk, opened without the lock and without repairing anything.
    /// Notes about a torn tail (which the next writable open truncates) come back in `notes`.
    public static func snapshot(directory: String) throws -> (snapshot: LogSnapshot, notes: [String]) {
        let r = try Recovery.run(logDirectory: directory + "/log", writable: false)
        // Sealed values open with the store's keys for as long as this process runs.
        _ = try Keyring.open(directory: directory, writable: false)
        return (LogSnapshot(parts: r.parts, lastSeq: r.lastSeq), r.report)
    }

    /// One segment's figures, as `verify` prints them.
    public struct SegmentReport: Sendable {
        public var file: String
        public var blocks = 0
        public var events = 0
        public var firstSeq: UInt64?
        public var lastSeq: UInt64?
        public var bytes = 0
    }

    /// Reads every block of every segment: header, CRC-32C, seq continuity, LZ4 payload, and
    /// every record. Throws a `StoreError(.corrupt)` naming the segment and offset of the first damage.
    public static func verify(directory: String) throws -> (segments: [SegmentReport], notes: [String]) {
        let (snap, notes) = try snapshot(directory: directory)
        var reports: [SegmentReport] = []
        for part in snap.parts {
            var rep = SegmentReport(file: part.segment.path)
            rep.bytes = FileSystem.fileSize(part.segment.path) ?? 0
            let stream = BlockStream(segment: part.segment)
            for block in part.blocks {
                let raw = try stream.read(block)
                do {
                    try raw.withUnsafeBytes { b in
                        var r = ByteReader(b)
                        for _ in 0..<block.count {
                            var body = ByteReader(try r.bytes(try r.length()))
                            _ = try RecordCodec.decodeBody(&body)
                        }
                        if !r.isAtEnd { throw DecodeError(offset: r.offset, reason: "bytes left after the last record") }
                    }
                } catch {
                    throw StoreError.corrupt(part.segment.path, offset: block.offset, "records do not decode: \(error)")
                }
                rep.blocks += 1
                rep.events += Int(block.count)
                rep.firstSeq = rep.firstSeq ?? block.firstSeq
                rep.lastSeq = block.lastSeq
            }
            reports.append(rep)
        }
        return (reports, notes)
    }

    /// Store-wide figures for `stats`.
    public struct Stats: Sendable {
        public var events = 0
        public var accounts = 0
        public var perType: [EventType: Int] = [:]
        public var segments = 0
        public var logBytes = 0
        public var indexBytes = 0
        /// Bytes the same events take as compact NDJSON (one line each, as `dump` without seq/recorded).
        public var ndjsonBytes = 0
        public var lastSeq: UInt64 = 0
        /// Log bytes over NDJSON bytes.
        public var ratio: Double { ndjsonBytes == 0 ? 0 : Double(logBytes) / Double(ndjsonBytes) }
    }

    public static func stats(directory: String) throws -> Stats {
        let (snap, _) = try snapshot(directory: directory)
        let s = try stats(snap, logBytes: snap.parts.reduce(0) { $0 + (FileSystem.fileSize($1.segment.path) ?? 0) },
                          indexBytes: (FileSystem.fileSize(directory + "/index/ids.table") ?? 0) + (FileSystem.fileSize(directory + "/index/ids.hashes") ?? 0))
        return s
    }

    /// Figures of any log: its events read through `snap`, its bytes as its keeper counts them.
    public static func stats(_ snap: LogSnapshot, logBytes: Int, indexBytes: Int) throws -> Stats {
        var s = Stats()
        var accounts = Set<String>()
        var line: [UInt8] = []
        try snap.forEachEvent { stored in
            s.events += 1
            // A rules switch or a release belongs to no customer.
            if !stored.event.type.belongsToNoAccount { accounts.insert(stored.event.account) }
            s.perType[stored.event.type, default: 0] += 1
            line.removeAll(keepingCapacity: true)
            JSONWriter.write(stored.event.jsonValue, into: &line)
            s.ndjsonBytes += line.count + 1
            return true
        }
        s.accounts = accounts.count
        s.segments = snap.parts.count
        s.logBytes = logBytes
        s.indexBytes = indexBytes
        s.lastSeq = snap.lastSeq
        return s
    }
}
