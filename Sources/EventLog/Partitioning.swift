import ThroughlineCore

/// How a log's events are spread over partitions, fixed when the log is made (a log in segment
/// files has one). An event goes to the partition of the account it is filed under (its account
/// id, or a reference's key), so an account's events keep one order. Each partition numbers its
/// own events 1, 2, 3, … without gaps; readers see one number per event, its seq,
/// `(s − 1) · P + p + 1` for event `s` of partition `p` of `P`: with one partition, `s` itself.
public struct Partitioning: Sendable, Equatable {
    public let count: Int

    public init(count: Int) {
        precondition(count >= 1)
        self.count = count
    }

    public static let one = Partitioning(count: 1)

    /// The most partitions a log may be made with.
    public static let maximum = 256

    /// The partition of the account key `account` (the record's account field).
    public func partition(ofAccount account: UnsafeRawBufferPointer) -> Int {
        count == 1 ? 0 : Int(Hash64.hash(account) % UInt64(count))
    }

    /// The seq readers see for event `s` of partition `p`.
    public func seq(partition p: Int, _ s: UInt64) -> UInt64 { (s - 1) * UInt64(count) + UInt64(p) + 1 }

    /// The partition a seq is in, and its number there.
    public func place(of seq: UInt64) -> (partition: Int, seq: UInt64) {
        ((Int((seq - 1) % UInt64(count))), (seq - 1) / UInt64(count) + 1)
    }
}

/// Where a reader is in a log: the last event read of each partition (their seqs within it).
/// With one partition, the last seq, written as that number; with more, written `P:S,…`.
public struct LogPosition: Sendable, Equatable, CustomStringConvertible {
    public var heads: [UInt64]

    public init(heads: [UInt64]) { self.heads = heads }

    /// The start of a log of `partitions` partitions.
    public init(start partitions: Partitioning) { heads = Array(repeating: 0, count: partitions.count) }

    public var partitioning: Partitioning { Partitioning(count: heads.count) }

    /// Events up to here, in all partitions.
    public var events: UInt64 { heads.reduce(0, +) }

    /// The highest seq up to here (0 at the start): what `after` of one partition names.
    public var lastSeq: UInt64 {
        let p = partitioning
        return heads.indices.map { heads[$0] == 0 ? 0 : p.seq(partition: $0, heads[$0]) }.max() ?? 0
    }

    /// True once the event at `seq` is at or before this position.
    public func covers(_ seq: UInt64) -> Bool {
        guard seq > 0 else { return true }
        let (p, s) = partitioning.place(of: seq)
        return heads[p] >= s
    }

    /// True when every partition is at or past `other`'s place in it.
    public func reaches(_ other: LogPosition) -> Bool { zip(heads, other.heads).allSatisfy { $0 >= $1 } }

    /// Cut at `seq`: in each partition, the events up to here whose seq is at most `seq`.
    public func upTo(_ seq: UInt64) -> LogPosition {
        let p = partitioning
        return LogPosition(heads: heads.indices.map { i in
            // Events s of partition i with (s − 1)·P + i + 1 ≤ seq.
            seq >= UInt64(i) + 1 ? min((seq - 1 - UInt64(i)) / UInt64(p.count) + 1, heads[i]) : 0
        })
    }

    /// Each partition's furthest of the two.
    public func union(_ other: LogPosition) -> LogPosition { LogPosition(heads: zip(heads, other.heads).map { max($0, $1) }) }

    /// Each partition's nearest of the two.
    public func meet(_ other: LogPosition) -> LogPosition { LogPosition(heads: zip(heads, other.heads).map { min($0, $1) }) }

    /// Moves on to the event at `seq`, if that is further (in place: readers do it per event).
    public mutating func advance(to seq: UInt64) {
        guard seq > 0 else { return }
        let (p, s) = partitioning.place(of: seq)
        heads[p] = max(heads[p], s)
    }

    /// Moved on to the event at `seq`, if that is further.
    public func advanced(to seq: UInt64) -> LogPosition {
        var moved = self
        moved.advance(to: seq)
        return moved
    }

    public var description: String {
        heads.count == 1 ? String(heads[0]) : heads.enumerated().map { "\($0.offset):\($0.element)" }.joined(separator: ",")
    }

    /// Appends `description`'s UTF-8 bytes to `out` (a seq alone, built without a string).
    public func write(into out: inout [UInt8]) {
        guard heads.count == 1 else { return out.append(contentsOf: description.utf8) }
        appendDecimal(heads[0], into: &out)
    }

    /// Reads a position of a log of `partitions` partitions: a seq with one partition (every
    /// event up to it), `P:S,…` with more (partitions not named: from their start), or `0`.
    public init(parsing text: Substring, partitions: Partitioning) throws(ValidationError) {
        self.init(start: partitions)
        if partitions.count == 1 || text == "0" {
            guard let n = UInt64(text) else { throw ValidationError(field: "", "must be a seq (a non-negative integer), not \(text)") }
            if partitions.count == 1 { heads[0] = n }
            return
        }
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pair = item.split(separator: ":", omittingEmptySubsequences: false)
            guard pair.count == 2, let p = Int(pair[0]), let s = UInt64(pair[1]), p >= 0, p < partitions.count else {
                throw ValidationError(field: "", "must be PARTITION:SEQ,… with partitions 0 to \(partitions.count - 1) (the log has \(partitions.count)), not \(item)")
            }
            heads[p] = s
        }
    }
}
