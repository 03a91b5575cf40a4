/// How one person's (or one account's) latest sentiments compare with the ones before: the mean
/// of the last few against the mean of as many before them. One definition for the stakeholder
/// map's trend and the champion watch's "sentiment fell".
public struct SentimentShift: Sendable, Equatable {
    /// The means compared: the latest `count` samples, and the `count` before them (nil with
    /// fewer than two samples).
    public var recent: Double, before: Double?
    public var count: Int
    /// The places in the samples of the ones compared.
    public var compared: Range<Int>

    /// The most samples on each side.
    public static let window = 3

    /// The shift of `samples` (oldest first), or nil without any.
    public init?(_ samples: [Double]) {
        guard !samples.isEmpty else { return nil }
        let k = max(1, min(Self.window, samples.count / 2))
        func mean(_ s: ArraySlice<Double>) -> Double { s.reduce(0, +) / Double(s.count) }
        recent = mean(samples.suffix(k))
        count = k
        if samples.count >= 2 {
            before = mean(samples.dropLast(k).suffix(k))
            compared = (samples.count - 2 * k)..<samples.count
        } else {
            before = nil
            compared = 0..<1
        }
    }

    /// The change from before to recent (nil with nothing before).
    public var change: Double? { before.map { recent - $0 } }

    /// `falling`, `rising` or `steady` against a change of `threshold` (nil: nothing to compare).
    public func trend(threshold: Double) -> String? {
        change.map { $0 <= -threshold ? "falling" : $0 >= threshold ? "rising" : "steady" }
    }

    /// The change the stakeholder map calls a trend, and the champion watch's default: half a
    /// point on the −1..1 scale, so that a few noisy readings of a steady person rarely reach it.
    public static let threshold = 0.5
}
