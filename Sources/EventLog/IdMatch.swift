import ThroughlineCore

/// How an event settles against the stored event with the same id: the same event as JSON
/// means it is a duplicate (answered with the stored seq), anything else a conflict. The one
/// rule of every log backend.
public enum IdMatch {
    /// `.duplicate` or `.conflict` for `body` against `stored`, the record at `seq`.
    public static func status(_ body: ArraySlice<UInt8>, against stored: ArraySlice<UInt8>, seq: UInt64) throws(StoreError) -> AppendOutcome.Status {
        if body == stored { return .duplicate }
        func decode(_ body: ArraySlice<UInt8>) throws -> Event {
            try body.withUnsafeBytes { b in try RecordView(seq: seq, recordedMicros: 0, body: b).event() }
        }
        do {
            return try decode(body).sameContent(as: decode(stored)) ? .duplicate : .conflict
        } catch let error {
            throw StoreError(.corrupt, "record at seq \(seq) does not decode: \(error)")
        }
    }
}
