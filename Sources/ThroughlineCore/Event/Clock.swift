#if canImport(Glibc)
import Glibc
#endif

/// Wall-clock time in microseconds since the epoch (the `recorded` stamp of a block).
public func wallClockMicros() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
}

/// Monotonic time in nanoseconds, for durations.
public func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Where "now" comes from: the system's wall clock, or a time a test or a demo pins. Code that
/// needs the time asks the clock it was given instead of reading the wall clock itself.
public struct WallClock: Sendable {
    private let read: @Sendable () -> Int64

    public init(_ read: @escaping @Sendable () -> Int64) { self.read = read }

    /// Now, in microseconds since the epoch.
    public func now() -> Int64 { read() }

    public static let system = WallClock { wallClockMicros() }

    /// A clock that always says `micros`.
    public static func fixed(_ micros: Int64) -> WallClock { WallClock { micros } }
}
