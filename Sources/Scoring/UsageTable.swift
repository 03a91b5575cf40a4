import ThroughlineCore

/// An account's usage records by the day they report, for windows of days: when each was
/// recorded, its active users and its features as a bit set over the history's feature names.
/// Small (four words), so a sweep's summary holds it rather than a copy of the whole history.
struct UsageTable: Sendable {
    private var cells: [UsageCell] = []
    private var more: [UsageCell] = []
    private var wides: [[UInt64]] = []
    private(set) var base = 0

    /// One usage record: when it was recorded, its active users, its first 64 features as bits
    /// (the rest, if any, in `wides`), and the next record of the same day (in `more`). The
    /// first record of a day sits in `cells` at its day.
    struct UsageCell {
        var time = Int64.max
        var users = 0
        var bits: UInt64 = 0
        var wide: Int32 = -1
        var next: Int32 = -1
    }

    /// The number the next record with features past the first 64 gets for them.
    var nextWide: Int32 { Int32(wides.count) }

    /// The features past the first 64 numbered `n` (none for −1).
    func wide(_ n: Int32) -> [UInt64] { n >= 0 ? wides[Int(n)] : [] }

    /// Adds a record of `day`; `more` are its features past the first 64 (`features.wide` is
    /// then `nextWide`).
    mutating func add(day: Int, users: Int, features: AccountHistory.UsageFeatures, more bits: [UInt64], time: Int64) {
        if !bits.isEmpty { wides.append(bits) }
        if cells.isEmpty { base = day }
        if day < base {
            cells.insert(contentsOf: repeatElement(UsageCell(), count: base - day), at: 0)
            base = day
        }
        while day - base >= cells.count { cells.append(UsageCell()) }
        var cell = UsageCell(time: time, users: users, bits: features.low, wide: features.wide)
        let i = day - base
        if cells[i].time == .max {
            cells[i] = cell
        } else {
            cell.next = cells[i].next
            cells[i].next = Int32(more.count)
            more.append(cell)
        }
    }

    /// As `AccountHistory.usage(_:days:to:)`.
    func usage(_ t: Int64, days first: Int, to last: Int) -> AccountHistory.UsageWindow {
        var w = AccountHistory.UsageWindow()
        let after = AccountHistory.usageRecordedAfter(firstDay: first)
        var bits: UInt64 = 0
        var wide: [UInt64] = []
        let lo = max(first, base), hi = min(last, base + cells.count - 1)
        for d in stride(from: lo, through: hi, by: 1) {
            w.count(day: usageOfDay(d, t, after: after, bits: &bits, wide: &wide))
        }
        w.countFeatures(bits, wide)
        return w
    }

    /// The records of day `d` (in the table) known at `t` and recorded after `after`: the
    /// highest active users among them (−1 without one); their features or-ed into `bits` and `wide`.
    func usageOfDay(_ d: Int, _ t: Int64, after: Int64, bits: inout UInt64, wide: inout [UInt64]) -> Int {
        var top = -1
        forEachRecord(at: d - base) { cell in
            guard cell.time <= t && cell.time > after else { return }
            top = max(top, cell.users)
            bits |= cell.bits
            if cell.wide >= 0 {
                let more = wides[Int(cell.wide)]
                if wide.count < more.count { wide += Array(repeating: 0, count: more.count - wide.count) }
                for (i, word) in more.enumerated() { wide[i] |= word }
            }
        }
        return top
    }

    /// Calls `body` with each usage record of the table's day at index `i` (none for a day without one).
    @inline(__always)
    private func forEachRecord(at i: Int, _ body: (UsageCell) -> Void) {
        var cell = cells[i]
        guard cell.time != .max else { return }
        while true {
            body(cell)
            guard cell.next >= 0 else { return }
            cell = more[Int(cell.next)]
        }
    }

    /// The table's days, from `base`, and for each whether all its records are settled
    /// (recorded by the end of the day, after the eighth day before it, naming none of the
    /// features past the first 64), with the highest active users and the features' bits.
    func days() -> [(settled: Bool, top: Int, bits: UInt64)] {
        cells.indices.map { i in
            let d = base + i
            var (settled, top, bits) = (true, -1, UInt64(0))
            forEachRecord(at: i) { cell in
                settled = settled && cell.time <= Day(d).end && cell.time > AccountHistory.usageRecordedAfter(firstDay: d) && cell.wide < 0
                top = max(top, cell.users)
                bits |= cell.bits
            }
            return (settled, top, bits)
        }
    }
}
