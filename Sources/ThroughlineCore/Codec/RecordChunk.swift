/// Stored records kept together outside the log: each entry is a record's seq, recorded time
/// and body, as the log holds them. The rebuild's spill files hold raw entries; the read models
/// keep each account's records of a span of days sealed (LZ4) in one row, so the account's whole
/// history can be folded again, with the same fold as a replay of the log, without reading the log.
public enum RecordChunk {
    /// Days per span: a span of an account's records is one row of the read models.
    public static let spanDays = 128

    /// The span holding event time `micros`.
    public static func span(ofMicros micros: Int64) -> Int {
        Int(Day.floorDiv(Int64(Day(containing: micros).number), Int64(spanDays)))
    }

    /// Appends one entry to raw entries.
    public static func append(seq: UInt64, recorded: Int64, body: UnsafeRawBufferPointer, to raw: inout ByteWriter) {
        raw.fixed(seq)
        raw.fixed(recorded)
        raw.varint(UInt64(body.count))
        raw.bytes.append(contentsOf: body)
    }

    /// Raw entries in their stored form: their length (4 bytes) and LZ4.
    public static func seal(_ raw: [UInt8]) -> [UInt8] {
        var w = ByteWriter(capacity: 4 + raw.count / 2)
        w.fixed(UInt32(raw.count))
        raw.withUnsafeBytes { _ = LZ4.compress($0, into: &w.bytes) }
        return w.bytes
    }

    /// The raw entries of a sealed chunk.
    public static func open(_ sealed: UnsafeRawBufferPointer) throws(DecodeError) -> [UInt8] {
        var r = ByteReader(sealed)
        let n = Int(try r.fixed(UInt32.self))
        guard let raw = LZ4.decompress(UnsafeRawBufferPointer(rebasing: sealed[4...]), rawLength: n) else {
            throw DecodeError(offset: 4, reason: "a record chunk does not decompress")
        }
        return raw
    }

    /// Calls `body` with a view of each entry's record, in the order they were appended.
    public static func forEach(raw: UnsafeRawBufferPointer, opening: RecordView.Opening = .all, _ body: (RecordView) throws -> Void) throws {
        var r = ByteReader(raw)
        while r.offset < raw.count {
            let seq = try r.fixed(UInt64.self)
            let recorded = try r.fixed(Int64.self)
            let n = try r.length()
            try body(try RecordView(seq: seq, recordedMicros: recorded, body: try r.bytes(n), opening: opening))
        }
    }
}
