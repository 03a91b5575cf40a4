import ThroughlineCore

extension SignalKind { public static let usageSlope = named(UsageSlope.name) }

/// The trend of daily active users over several weeks: the least-squares line through each
/// week's mean, its change across the window as a share of the window's mean. 1 if flat or up,
/// falling linearly to 0 at a decline of `full_drop_pct`. A slow, steady decline shows here
/// weeks before the last week falls far below the month before it (`usage_trend`).
struct UsageSlope: UsageSignal {
    static let name = "usage_slope"
    static let group = "adoption"
    static let parameters: [SignalParameter] = [.days("window_days", 56), .amount("full_drop_pct", 40)]

    let weeks: Int, fullDrop: Double

    init(_ p: SignalParameters) {
        weeks = max(1, p.days("window_days") / 7)
        fullDrop = p.amount("full_drop_pct")
    }

    var usageDays: Int { weeks * 7 }

    /// Weeks with usage needed for a line.
    static let fewestWeeks = 4

    /// The mean daily active users of each week ending on day `d`, oldest first (nil: no usage
    /// that week). `mean` gives the mean of the days `first` to `last`.
    func weekMeans(day d: Int, _ mean: (Int, Int) -> Double?) -> [Double?] {
        (0..<weeks).map { w in
            let last = d - (weeks - 1 - w) * 7
            return mean(last - 6, last)
        }
    }

    /// The change across the window, as a share of the mean, of the least-squares line through
    /// the weeks ending on day `d` that have usage; nil with fewer than `fewestWeeks` of them.
    func change(day d: Int, _ mean: (Int, Int) -> Double?) -> Double? {
        var n = 0.0, sx = 0.0, sy = 0.0, sxy = 0.0, sxx = 0.0
        for w in 0..<weeks {
            let last = d - (weeks - 1 - w) * 7
            guard let y = mean(last - 6, last) else { continue }
            let x = Double(w)
            (n, sx, sy, sxy, sxx) = (n + 1, sx + x, sy + y, sxy + x * y, sxx + x * x)
        }
        guard n >= Double(Self.fewestWeeks) else { return nil }
        let meanY = sy / n
        guard meanY > 0 else { return 0 }
        let slope = (sxy - sx * sy / n) / (sxx - sx * sx / n)
        return slope * Double(weeks - 1) / meanY
    }

    func read(_ h: AccountHistory, at t: Int64, explain x: Bool) -> SignalOutcome {
        let d = Day(containing: t).number
        let mean = { (first: Int, last: Int) in h.usage(t, days: first, to: last).mean }
        guard let change = change(day: d, mean) else {
            return Signals.missing(x, "usage reported in fewer than \(Self.fewestWeeks) of the last \(weeks) weeks")
        }
        let means = x ? weekMeans(day: d, mean) : []
        return Signals.reading(x, value: value(change: change),
                               figures: [Signals.figure("change_pct", change * 100)]
                                   + means.enumerated().compactMap { i, m in m.map { Signals.figure("week_\(i + 1)", $0) } },
                               reason: "active users \(Signals.pct(change)) over the last \(weeks) weeks along the line through each week's mean "
                                   + "(" + means.map { $0.map { NumberText.plain(($0 * 10).rounded() / 10) } ?? "–" }.joined(separator: ", ") + " a day)",
                               seqs: Signals.usageRecords(h, t, days: d - weeks * 7 + 1, to: d).map(\.seq))
    }

    /// 1 for a flat or rising line, 0 at a decline of `fullDrop` percent.
    func value(change: Double) -> Double { Signals.dropScore(change, full: fullDrop / 100) }

    func value(day d: Int, _ usage: (Int, Int) -> AccountHistory.UsageWindow) -> Double? {
        change(day: d) { usage($0, $1).mean }.map { value(change: $0) }
    }
}
