/// A week of usage folded from its `usage.recorded` events: the most active users on any day
/// (or the weekly figure), the events summed, the features used at all, the days reported.
public struct UsageWeek: Sendable, Equatable {
    public var activeUsers = 0
    public var events = 0
    public var featureBreadth = 0
    public var days = 0
    public var seqs: [UInt64] = []
    public var source: String?

    public init(activeUsers: Int, events: Int, featureBreadth: Int, days: Int, seqs: [UInt64], source: String?) {
        self.activeUsers = activeUsers
        self.events = events
        self.featureBreadth = featureBreadth
        self.days = days
        self.seqs = seqs
        self.source = source
    }

    /// The week of `records` (any order), or nil if none is a usage record.
    public init?(records: [StoredEvent]) {
        var features = Set<String>()
        var days = Set<Int>()
        for e in records.sorted(by: eventOrder) {
            guard case .usageRecorded(let u)? = try? e.event.payload() else { continue }
            activeUsers = max(activeUsers, u.activeUsers)
            events += u.events ?? 0
            for f in u.features ?? [] where f.count > 0 { features.insert(f.name) }
            days.insert(u.periodStart.daysSinceEpoch)
            seqs.append(e.seq)
            source = source ?? e.event.source
        }
        guard !seqs.isEmpty else { return nil }
        featureBreadth = features.count
        self.days = days.count
        seqs.sort()
    }
}
