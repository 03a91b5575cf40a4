/// Events ready for the log writer, their record bodies stored back to back in one buffer: one
/// allocation per batch instead of one per event, and nothing per event to free on the writer's
/// thread.
public struct EncodedBatch: Sendable {
    /// The record bodies, back to back.
    public private(set) var bytes: [UInt8] = []
    /// Where each body ends in `bytes`.
    public private(set) var ends: [Int] = []
    /// Each event's id hash.
    public private(set) var hashes: [UInt64] = []

    public init() {}

    public init(_ events: [EncodedEvent]) {
        for e in events { append(e) }
    }

    public var count: Int { ends.count }
    public var isEmpty: Bool { ends.isEmpty }

    /// Where the body of event `i` lies in `bytes`.
    public func range(_ i: Int) -> Range<Int> { (i == 0 ? 0 : ends[i - 1])..<ends[i] }

    /// The body of event `i`.
    public func body(_ i: Int) -> ArraySlice<UInt8> { bytes[range(i)] }

    public mutating func append(_ e: EncodedEvent) {
        bytes.append(contentsOf: e.body)
        ends.append(bytes.count)
        hashes.append(e.idHash)
    }

    /// Appends every event of `other`, keeping their order.
    public mutating func append(contentsOf other: EncodedBatch) {
        let base = bytes.count
        bytes.append(contentsOf: other.bytes)
        ends.append(contentsOf: other.ends.map { $0 + base })
        hashes.append(contentsOf: other.hashes)
    }

    /// Appends one record body, which `write` writes in place (no intermediate copy).
    public mutating func append(idHash: UInt64, _ write: (inout ByteWriter) -> Void) {
        var w = ByteWriter()
        swap(&w.bytes, &bytes)
        write(&w)
        swap(&w.bytes, &bytes)
        ends.append(bytes.count)
        hashes.append(idHash)
    }

    public mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        hashes.removeAll(keepingCapacity: true)
    }
}
