/// An event made ready for the log writer by the appender's own thread: its record body and
/// id hash computed up front, so the single writer only checks ids, frames and syncs.
public struct EncodedEvent: Sendable {
    public var event: Event
    /// The record body (`RecordCodec.encodeBody`), without its length prefix.
    public var body: [UInt8]
    public var idHash: UInt64

    public init(_ event: Event) {
        self.event = event
        var w = ByteWriter(capacity: 256)
        RecordCodec.encodeBody(event, into: &w)
        body = w.bytes
        idHash = Hash64.hash(event.id)
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
}
