/// A UTC day: the days since 1970-01-01, and the microseconds it spans. Scores are worked out
/// at the end of a day; windows and spans of the read models and the log count whole days.
public struct Day: Sendable, Hashable, Comparable, Strideable, CustomStringConvertible {
    /// Microseconds in a day.
    public static let micros: Int64 = 86_400_000_000

    /// Days since 1970-01-01 (negative before it).
    public let number: Int

    public init(_ number: Int) { self.number = number }

    /// The day a time (microseconds since the epoch) falls on.
    public init(containing micros: Int64) { number = Int(Self.floorDiv(micros, Self.micros)) }

    public init(_ date: CalendarDate) { number = date.daysSinceEpoch }

    /// Its first microsecond.
    public var start: Int64 { Int64(number) * Self.micros }
    /// Its last microsecond: a score "on day d" is the score at this time.
    public var end: Int64 { Int64(number + 1) * Self.micros - 1 }
    public var date: CalendarDate { CalendarDate(daysSinceEpoch: number) }
    public var description: String { date.description }

    public static func < (a: Day, b: Day) -> Bool { a.number < b.number }
    public func advanced(by n: Int) -> Day { Day(number + n) }
    public func distance(to other: Day) -> Int { other.number - number }

    /// `a / b` rounded towards minus infinity (b > 0).
    public static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : (a - b + 1) / b }
}
