/// A week of usage folded from its `usage.recorded` events: the most active users on any day
/// (or the weekly figure), the events summed, the features used at all, the days reported.
/// Every part merges commutatively (max, sum, union), so the read models can fold records into
/// their week as they arrive, in any order, with the same result.
public struct UsageWeek: Sendable, Equatable {
    public var activeUsers = 0
    public var events = 0
    /// The features used at all, sorted, each once (a week names a handful: a sorted array
    /// beats a hashed set, and writes them in order as they are).
    public private(set) var features: [String] = []
    /// Bit d set: the day d after the week's Monday was reported.
    public var dayBits: UInt8 = 0
    public var seqs: [UInt64] = []
    /// The first record in `eventOrder` (time, id), and its source.
    public var firstTime: Int64 = .max
    public var firstID = ""
    public var source: String?

    public init() {}

    public var featureBreadth: Int { features.count }
    public var days: Int { dayBits.nonzeroBitCount }

    /// Adds one record of this week.
    public mutating func add(_ e: StoredEvent, _ u: UsageRecorded) {
        activeUsers = max(activeUsers, u.activeUsers)
        events += u.events ?? 0
        for f in u.features ?? [] where f.count > 0 { addFeature(f.name) }
        if u.period == .week {
            dayBits = 0x7F
        } else {
            let day = u.periodStart.daysSinceEpoch - TimelineBuilder.weekStart(u.periodStart).daysSinceEpoch
            dayBits |= UInt8(1) << UInt8(day)
        }
        insert(e.seq)
        takeFirst(e.event.time.microseconds, e.event.id, e.event.source)
    }

    /// Folds another part of the same week in.
    public mutating func merge(_ other: UsageWeek) {
        activeUsers = max(activeUsers, other.activeUsers)
        events += other.events
        for f in other.features { addFeature(f) }
        dayBits |= other.dayBits
        mergeIdentity(other)
    }

    /// Adds `name` to `features`, where its order puts it, unless it is there.
    public mutating func addFeature(_ name: String) { Self.insert(name, into: &features) }

    private mutating func mergeIdentity(_ other: UsageWeek) {
        for seq in other.seqs { insert(seq) }
        takeFirst(other.firstTime, other.firstID, other.source)
    }

    /// Adds `seq` to `seqs` (records come mostly in seq order, so this is mostly an append).
    private mutating func insert(_ seq: UInt64) { Self.insert(seq, into: &seqs) }

    /// Adds `value` to `sorted`, which stays in order and holds each value once.
    private static func insert<T: Comparable>(_ value: T, into sorted: inout [T]) {
        if sorted.last.map({ $0 < value }) ?? true { return sorted.append(value) }
        var lo = 0, hi = sorted.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if sorted[mid] < value { lo = mid + 1 } else { hi = mid }
        }
        if sorted[lo] != value { sorted.insert(value, at: lo) }
    }

    private mutating func takeFirst(_ time: Int64, _ id: String, _ source: String?) {
        if (time, id) < (firstTime, firstID) {
            (firstTime, firstID, self.source) = (time, id, source)
        }
    }
}
