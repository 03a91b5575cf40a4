/// The sweep step of a signal that compares a list's facts in the recent window with those in
/// the baseline before it: (split − baseline, split] and (split, t] with split = t − recent, as
/// `Signals.windows` cuts them. The windows' edges only move forward, and the value is worked
/// out again only when one moves (the same facts in the same order give the same value).
final class WindowStep: SweepStep {
    private let times: [Int64], values: [Double]
    private let recent: Int64, baseline: Int64
    /// The value from the facts' values in the recent window and in the baseline.
    private let valueOf: (_ recent: ArraySlice<Double>, _ baseline: ArraySlice<Double>) -> Double?
    /// How many facts happened at or before the baseline's start, the split and the day's end.
    private var start = 0, middle = 0, end = 0
    private var last: (edges: (Int, Int, Int), value: Double?)?

    /// `values` gives each fact's value (0 for signals that count the facts).
    init<V>(_ list: FactList<V>, recent: Int, baseline: Int, values: (V) -> Double = { _ in 0 },
            _ valueOf: @escaping (_ recent: ArraySlice<Double>, _ baseline: ArraySlice<Double>) -> Double?) {
        times = list.items.map(\.time)
        self.values = list.items.map { values($0.value) }
        self.recent = Signals.days(recent)
        self.baseline = Signals.days(baseline)
        self.valueOf = valueOf
    }

    func value(day d: Int, at t: Int64) -> Double? {
        let split = t - recent
        func advance(_ n: inout Int, to x: Int64) {
            while n < times.count && times[n] <= x { n += 1 }
        }
        advance(&start, to: split - baseline)
        advance(&middle, to: split)
        advance(&end, to: t)
        if let last, last.edges == (start, middle, end) { return last.value }
        let value = valueOf(values[middle..<end], values[start..<middle])
        last = ((start, middle, end), value)
        return value
    }
}
