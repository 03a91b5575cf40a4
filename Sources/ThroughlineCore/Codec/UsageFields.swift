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
    /// form this reader takes (then the typed payload reads it, and names any problem). Without
    /// `checkingFeatures`, the features' counts are checked only as `featuresUsed` reads them
    /// (one pass, not two): the caller then asks the iterator whether they were all plain.
    public init?(_ view: RecordView, checkingFeatures: Bool = true) {
        guard view.type == .usageRecorded, let data = try? view.dataOffset() else { return nil }
        let b = view.body
        var period: CalendarDate?, users: Int?, events: Int?, features: Int?, plain = true
        BinaryObject.forEachFirstMember(b, countOffset: data, named: Self.keys) { k, v in
            switch k {
            case 0: period = v.stringRange.flatMap { CalendarDate.parse(UnsafeRawBufferPointer(rebasing: b[$0]).assumingMemoryBound(to: UInt8.self)) }
            case 1: users = Self.count(v)
            case 2:
                events = Self.count(v)
                plain = plain && events != nil
            default:
                features = v.is(.object) ? v.offset + 1 : nil
                plain = plain && features != nil
                if checkingFeatures, let f = features {
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

    static let keys: [StaticString] = ["period_start", "active_users", "events", "features"]

    /// A whole number ≥ 0 stored as an integer; nil for anything else.
    private static func count(_ v: BinaryValue) -> Int? {
        guard let i = v.int, i >= 0 else { return nil }
        return Int(i)
    }

    /// The UTF-8 bytes of each feature used (a count above 0), in the order sent.
    public var featuresUsed: FeaturesUsed {
        guard let features else { return FeaturesUsed(bytes: bytes, offset: 0, remaining: 0) }
        var offset = features
        let count = Int(BinaryValue.varint(bytes, &offset))
        return FeaturesUsed(bytes: bytes, offset: offset, remaining: count)
    }

    /// Steps through the `features` object's members, giving the names of those with a count
    /// above 0 (a loop, not a closure: the caller's state is not captured). It stops at a count
    /// that is not a whole number ≥ 0 stored as an integer, and `plain` is then false.
    public struct FeaturesUsed: IteratorProtocol {
        let bytes: UnsafeRawBufferPointer
        var offset: Int, remaining: Int
        public private(set) var plain = true

        init(bytes: UnsafeRawBufferPointer, offset: Int, remaining: Int) {
            (self.bytes, self.offset, self.remaining) = (bytes, offset, remaining)
        }

        public mutating func next() -> UnsafeRawBufferPointer? {
            while remaining > 0 {
                remaining -= 1
                let length = Int(BinaryValue.varint(bytes, &offset))
                let key = offset..<(offset + length)
                guard let (n, end) = BinaryValue(bytes: bytes, offset: key.upperBound).intAndEnd, n >= 0 else {
                    (plain, remaining) = (false, 0)
                    return nil
                }
                offset = end
                if n > 0 { return UnsafeRawBufferPointer(rebasing: bytes[key]) }
            }
            return nil
        }
    }
}
