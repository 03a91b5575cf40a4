/// An account's usage table summed up for a sweep over its days. A day whose records are all
/// settled (`UsageTable.days`) counts the same in every window that holds it and ends
/// by the time asked, so those days are read from prefix sums (days reported, active users) and
/// a sparse table (features); the other days are read record by record, as
/// `AccountHistory.usage` reads them. Equal to `usage(t, days:to:)` for every window whose last
/// day ends by `t` (a test holds them equal).
struct UsageSummary {
    /// The history's usage table, not the history: a summary is copied on each read.
    private let table: UsageTable
    private let base: Int
    /// Settled days with a record before each index, and the sum of their highest active users.
    private var reportedBefore: [Int] = [0], usersBefore: [Int] = [0]
    /// Level k: over the 2^k days from each index, the settled days' highest active users (−1
    /// if none) and their features or-ed, from `levels[k]` in these flat arrays (nested arrays
    /// cost a retain and a release on each read).
    private var tops: [Int] = []
    private var features: [UInt64] = []
    private var levels: [Int] = []
    /// The days (as indexes) that are not settled, in increasing order.
    private var unsettled: [Int] = []

    init(_ h: AccountHistory) {
        table = h.usageTable
        let days = table.days()
        base = table.base
        reportedBefore.reserveCapacity(days.count + 1)
        usersBefore.reserveCapacity(days.count + 1)
        levels.append(0)
        for (i, day) in days.enumerated() {
            let counted = day.settled && day.top >= 0
            reportedBefore.append(reportedBefore[i] + (counted ? 1 : 0))
            usersBefore.append(usersBefore[i] + (counted ? day.top : 0))
            tops.append(counted ? day.top : -1)
            features.append(day.settled ? day.bits : 0)
            if !day.settled { unsettled.append(i) }
        }
        var span = 1
        while span * 2 <= days.count {
            let below = levels[levels.count - 1]
            levels.append(tops.count)
            for i in 0..<(days.count - 2 * span + 1) {
                tops.append(max(tops[below + i], tops[below + i + span]))
                features.append(features[below + i] | features[below + i + span])
            }
            span *= 2
        }
    }

    /// The days `first` to `last` as known at `t` (`t` at or after the end of `last`).
    func usage(_ t: Int64, days first: Int, to last: Int) -> AccountHistory.UsageWindow {
        var w = AccountHistory.UsageWindow()
        let lo = max(first, base) - base, hi = min(last - base, reportedBefore.count - 2)
        guard lo <= hi else { return w }
        w.days = reportedBefore[hi + 1] - reportedBefore[lo]
        w.sum = usersBefore[hi + 1] - usersBefore[lo]
        // Two spans of a level cover the days: 2^k of them from each end.
        let k = Int.bitWidth - 1 - (hi - lo + 1).leadingZeroBitCount, other = hi - (1 << k) + 1, level = levels[k]
        w.highest = max(tops[level + lo], tops[level + other])
        var bits = features[level + lo] | features[level + other]
        var wide: [UInt64] = []
        let after = AccountHistory.usageRecordedAfter(firstDay: first)
        var u = firstUnsettled(atOrAfter: lo)
        while u < unsettled.count && unsettled[u] <= hi {
            w.count(day: table.usageOfDay(base + unsettled[u], t, after: after, bits: &bits, wide: &wide))
            u += 1
        }
        w.countFeatures(bits, wide)
        return w
    }

    private func firstUnsettled(atOrAfter i: Int) -> Int {
        var lo = 0, hi = unsettled.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if unsettled[mid] < i { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
