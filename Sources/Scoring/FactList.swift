import ThroughlineCore

/// One fact taken from one event: when it happened, a hash of the event's id (which orders
/// facts of the same time), the event's seq, and the value. No strings: a history holds millions.
public struct Fact<Value: Sendable>: Sendable {
    public var time: Int64
    /// `Hash64` of the event's id.
    public var order: UInt64
    public var seq: UInt64
    public var value: Value

    public init(time: Int64, order: UInt64, seq: UInt64, value: Value) {
        self.time = time
        self.order = order
        self.seq = seq
        self.value = value
    }

    public init(time: Int64, id: String, seq: UInt64, value: Value) {
        self.init(time: time, order: Hash64.hash(id), seq: seq, value: value)
    }

    /// The same fact with another value.
    func with<W>(_ value: W) -> Fact<W> { Fact<W>(time: time, order: order, seq: seq, value: value) }

    /// Whether this fact comes before `other` in event order: time, then the id's hash, then seq.
    @inline(__always)
    func precedes(_ other: Fact) -> Bool { (time, order, seq) < (other.time, other.order, other.seq) }

    /// Whether `other` is a fact of the same event at the same time (kept only once).
    @inline(__always)
    func isSameEvent(as other: Fact) -> Bool { seq == other.seq && time == other.time }
}

/// Facts kept in event order (time, then the id's hash, then seq), whatever order they arrived
/// in, so every signal reads the same history live and in a replay. An event already present (its
/// seq) is not added again.
public struct FactList<Value: Sendable>: Sendable {
    public private(set) var items: [Fact<Value>] = []

    public init() {}

    public var isEmpty: Bool { items.isEmpty }

    /// Adds `fact` in its place; false if a fact of the same event and time is already there.
    @discardableResult
    public mutating func insert(_ fact: Fact<Value>) -> Bool {
        // Appending is the common case: events mostly arrive in time order.
        if let last = items.last, !last.precedes(fact) {
            var lo = 0, hi = items.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if items[mid].precedes(fact) { lo = mid + 1 } else { hi = mid }
            }
            if lo < items.count && items[lo].isSameEvent(as: fact) { return false }
            items.insert(fact, at: lo)
        } else {
            items.append(fact)
        }
        return true
    }

    /// How many facts happened at or before `t`.
    public func count(atOrBefore t: Int64) -> Int {
        var lo = 0, hi = items.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if items[mid].time <= t { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// The facts with `from < time ≤ to`.
    public func window(after from: Int64, upTo to: Int64) -> ArraySlice<Fact<Value>> {
        let a = count(atOrBefore: from), b = count(atOrBefore: to)
        return a < b ? items[a..<b] : []
    }

    /// The facts at or before `t`.
    public func upTo(_ t: Int64) -> ArraySlice<Fact<Value>> { items[..<count(atOrBefore: t)] }

    /// The latest fact at or before `t`.
    public func latest(atOrBefore t: Int64) -> Fact<Value>? {
        let n = count(atOrBefore: t)
        return n > 0 ? items[n - 1] : nil
    }
}
