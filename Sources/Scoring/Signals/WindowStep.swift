/// The sweep step of a signal that compares a list's facts in the recent window with those in
/// the baseline before it: (split − baseline, split] and (split, t] with split = t − recent, as
/// `Signals.windows` cuts them. The windows' edges only move forward, and the value is worked
/// out again only when one moves (the same facts in the same order give the same value).
final class WindowStep: SweepStep {
    /// The facts in the two windows: how many, and the sums of their values.
    struct Windows {
        let recent: Int, baseline: Int
        let recentSum: Double, baselineSum: Double
    }

    private let times: [Int64], values: [Double]
    private let recent: Int64, baseline: Int64
    /// When given, the first event's time: the value is none until the history reaches back
    /// past both windows.
    private let historyFrom: Int64?
    /// The value from the facts in the recent window and in the baseline.
    private let valueOf: (Windows) -> Double?
    /// How many facts happened at or before the baseline's start, the split and the day's end.
    private var start = 0, middle = 0, end = 0
    private var last: (edges: (Int, Int, Int), value: Double?)?

    /// `values` gives each fact's value, for signals that sum them (the others count the facts).
    init<V>(_ list: FactList<V>, recent: Int, baseline: Int, historyFrom: Int64? = nil, values: ((V) -> Double)? = nil,
            _ valueOf: @escaping (Windows) -> Double?) {
        times = list.items.map(\.time)
        self.values = values.map { f in list.items.map { f($0.value) } } ?? []
        self.recent = Signals.days(recent)
        self.baseline = Signals.days(baseline)
        self.historyFrom = historyFrom
        self.valueOf = valueOf
    }

    override func value(day d: Int, at t: Int64) -> Double? {
        let split = t - recent
        if let historyFrom, historyFrom > split - baseline { return nil }
        func advance(_ n: inout Int, to x: Int64) {
            while n < times.count && times[n] <= x { n += 1 }
        }
        advance(&start, to: split - baseline)
        advance(&middle, to: split)
        advance(&end, to: t)
        if let last, last.edges == (start, middle, end) { return last.value }
        let value = valueOf(Windows(recent: end - middle, baseline: middle - start,
                                    recentSum: sum(middle..<end), baselineSum: sum(start..<middle)))
        last = ((start, middle, end), value)
        return value
    }

    /// The sum of the values of the facts in `range`, in order (0 without values).
    private func sum(_ range: Range<Int>) -> Double {
        var total = 0.0
        if !values.isEmpty { for i in range { total += values[i] } }
        return total
    }
}
