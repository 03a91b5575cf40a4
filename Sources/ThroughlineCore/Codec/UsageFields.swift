/// The fields of a stored `usage.recorded` record that scores read, straight from the record's
/// bytes: no payload, no strings, no index of the members. Usage records are most of a log, so
/// a replay reads them this way; `UsageRecorded` reads the same fields with every check.
public struct UsageFields {
    public var periodStart: CalendarDate
    public var activeUsers: Int
    public var events: Int?
    private let bytes: UnsafeRawBufferPointer
    /// Where the `features` object's member count is, if the record has one.
    private let features: Int?

    /// The fields of `view`; nil when it is not a usage record or a field is not in the plain
    /// form this reader takes (then the typed payload reads it, and names any problem).
    public init?(_ view: RecordView) {
        guard view.type == .usageRecorded, let data = try? view.dataOffset() else { return nil }
        let b = view.body
        var period: CalendarDate?, users: Int?, events: Int?, features: Int?, plain = true
        var seen = (period: false, users: false, events: false, features: false)  // the first member of a name counts
        BinaryObject.forEachMember(b, countOffset: data) { key, value in
            let v = BinaryValue(bytes: b, offset: value)
            if !seen.period && BinaryObject.equal(b, key, "period_start") {
                seen.period = true
                period = v.stringRange.flatMap { CalendarDate.parse(UnsafeRawBufferPointer(rebasing: b[$0]).assumingMemoryBound(to: UInt8.self)) }
            } else if !seen.users && BinaryObject.equal(b, key, "active_users") {
                seen.users = true
                users = Self.count(v)
            } else if !seen.events && BinaryObject.equal(b, key, "events") {
                seen.events = true
                events = Self.count(v)
                plain = plain && events != nil
            } else if !seen.features && BinaryObject.equal(b, key, "features") {
                seen.features = true
                features = v.object == nil ? nil : value + 1
                plain = plain && features != nil
                if let f = features {
                    BinaryObject.forEachMember(b, countOffset: f) { _, count in plain = plain && Self.count(BinaryValue(bytes: b, offset: count)) != nil }
                }
            }
        }
        guard plain, let period, let users else { return nil }
        periodStart = period
        activeUsers = users
        self.events = events
        self.features = features
        bytes = b
    }

    /// A whole number ≥ 0 stored as an integer; nil for anything else.
    private static func count(_ v: BinaryValue) -> Int? {
        guard let i = v.int, i >= 0 else { return nil }
        return Int(i)
    }

    /// Calls `body` with the UTF-8 bytes of each feature used (a count above 0), in the order sent.
    public func forEachFeatureUsed(_ body: (UnsafeRawBufferPointer) -> Void) {
        guard let features else { return }
        let b = bytes
        BinaryObject.forEachMember(b, countOffset: features) { key, count in
            if let n = BinaryValue(bytes: b, offset: count).int, n > 0 { body(UnsafeRawBufferPointer(rebasing: b[key])) }
        }
    }
}
