/// An event made ready for the log writer by the appender's own thread: its record body and
/// id hash computed up front, so the single writer only checks ids, frames and syncs.
public struct EncodedEvent: Sendable {
    /// The record body (`RecordCodec.encodeBody`), without its length prefix.
    public var body: [UInt8]
    public var idHash: UInt64

    public init(body: [UInt8], idHash: UInt64) {
        self.body = body
        self.idHash = idHash
    }

    /// Encodes a hand-built event (which must be valid: the log does not re-check it).
    public init(_ event: Event) {
        var w = ByteWriter(capacity: 256)
        RecordCodec.encodeBody(event, into: &w)
        self.init(body: w.bytes, idHash: Hash64.hash(event.id))
    }

    /// The event, decoded from its record.
    public var event: Event {
        body.withUnsafeBytes { b in try! RecordView(seq: 0, recordedMicros: 0, body: b).event() }
    }
}

/// What the log did with one appended event.
public struct AppendOutcome: Sendable, Equatable, CustomStringConvertible {
    public enum Status: String, Sendable { case accepted, duplicate, conflict }
    public var status: Status
    /// The seq the event was stored at (for duplicate and conflict: the original event's seq).
    public var seq: UInt64

    public init(_ status: Status, seq: UInt64) {
        self.status = status
        self.seq = seq
    }

    public var description: String { "\(status.rawValue) \(seq)" }

    /// The reason given to the producer for a conflict.
    public var conflictReason: String { "conflict: this id is already stored at seq \(seq) with different content" }
}
