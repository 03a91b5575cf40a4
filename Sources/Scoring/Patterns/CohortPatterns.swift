import ThroughlineCore

/// What the cohort patterns read: the accounts with their profile fields, and per metric each
/// account's value in each week, with the events behind it.
public struct CohortData: Sendable {
    public struct Account: Sendable {
        public var account: String
        /// The profile's text fields (plan, region, tier...), by name.
        public var fields: [String: String]
        /// The day of its first event, and of its churn if it churned: a week counts an account
        /// only when it was a customer through the week and the baseline weeks before.
        public var firstDay: Int
        public var churnDay: Int?

        public init(account: String, fields: [String: String], firstDay: Int = .min, churnDay: Int? = nil) {
            (self.account, self.fields, self.firstDay, self.churnDay) = (account, fields, firstDay, churnDay)
        }
    }

    /// How a metric's weeks add up over a cohort.
    public enum Kind: Sendable {
        /// Counts (tickets): the cohort's total, against its own baseline's spread or the count's own.
        case count
        /// Levels (active users): the cohort's total, against its baseline's spread.
        case level
        /// An average (sentiment): the mean of the values, against its baseline's spread.
        case mean
    }

    public struct Metric: Sendable {
        public var name: String
        public var kind: Kind
        /// `values[account][week]`; nil where the week has no value (no usage reported, no call).
        public var values: [[Double?]]
        /// The events behind each account's week, by `account * weeks + week` (for counts).
        public var seqs: [Int: [UInt64]]

        public init(name: String, kind: Kind, values: [[Double?]], seqs: [Int: [UInt64]] = [:]) {
            (self.name, self.kind, self.values, self.seqs) = (name, kind, values, seqs)
        }
    }

    public struct Release: Sendable {
        public var seq: UInt64
        public var day: Int
        public var version: String
        public var plans: [String]?

        public init(seq: UInt64, day: Int, version: String, plans: [String]?) { (self.seq, self.day, self.version, self.plans) = (seq, day, version, plans) }
    }

    public var accounts: [Account]
    /// The first day (a Monday) of week 0.
    public var firstDay: Int
    public var weeks: Int
    public var metrics: [Metric]
    public var releases: [Release]

    public init(accounts: [Account], firstDay: Int, weeks: Int, metrics: [Metric], releases: [Release]) {
        (self.accounts, self.firstDay, self.weeks, self.metrics, self.releases) = (accounts, firstDay, weeks, metrics, releases)
    }
}

/// A group of accounts whose metric moved together against its own baseline.
public struct CohortPattern: Sendable, Equatable {
    /// `all accounts`, or the profile field and value the accounts share.
    public var field: String?
    public var value: String?
    public var metric: String
    /// up or down.
    public var direction: String
    /// The first day of the first week that moved, and how many weeks in a row did.
    public var startDay: Int
    public var weeks: Int
    /// The cohort's weekly figure before (the baseline's mean) and at its furthest.
    public var baseline: Double
    public var peak: Double
    /// How far the figure moved, in standard deviations of its own baseline weeks.
    public var z: Double
    /// The cohort's size, and the accounts that moved with it (most first).
    public var cohortSize: Int
    public var accounts: [String]
    /// The release the move followed (within two weeks before its first week, or in it).
    public var release: String?
    public var releaseDay: Int?
    /// The release's event, then the events behind the move (at most 50).
    public var seqs: [UInt64]

    public var cohort: String { field.map { "\($0) = \(value ?? "")" } ?? "all accounts" }
}

/// Finds, week by week, groups of accounts (all of them; those sharing a value of a profile
/// field) whose tickets, usage or sentiment moved together against their own baseline: a pure
/// function of what the store holds, with no thresholds fitted to any data set. A move counts
/// when the cohort's weekly figure is `minZ` standard deviations of its own previous
/// `baselineWeeks` from their mean (for counts, at least the count's own noise), at least
/// `minAccounts` accounts (and a tenth of the cohort) moved the same way, no one account makes
/// most of it, and (for a
/// cohort short of all accounts) the accounts outside it did not move as much.
public enum CohortPatterns {
    public static let baselineWeeks = 8
    public static let minZ = 4.0
    public static let minAccounts = 3
    /// Fields with more values than this (names, ids) make no cohorts.
    public static let maxValues = 30

    public static func find(_ data: CohortData, fromWeek: Int = 0) -> [CohortPattern] {
        let cohorts = Self.cohorts(data.accounts)
        var found: [CohortPattern] = []
        for metric in data.metrics {
            for (field, value, cohort) in cohorts {
                let inside = Set(cohort)
                let others = field == nil ? [] : data.accounts.indices.filter { !inside.contains($0) }
                var run: CohortPattern?
                for w in stride(from: max(fromWeek, baselineWeeks), to: data.weeks, by: 1) {
                    let members = customers(data, cohort, week: w), outside = customers(data, others, week: w)
                    if let m = move(data, metric, members, week: w), field == nil || !outsideMoved(data, metric, outside, week: w, like: m) {
                        let moved = movers(data, metric, members, week: w, up: m.up)
                        let excess = moved.map(\.excess)
                        if moved.count >= max(minAccounts, members.count / 10), (excess.max() ?? 0) <= 0.5 * excess.reduce(0, +) {
                            if var r = run, r.direction == (m.up ? "up" : "down") {
                                r.weeks += 1
                                if abs(m.value - r.baseline) > abs(r.peak - r.baseline) { (r.peak, r.z) = (m.value, m.z) }
                                r.accounts = Array(Set(r.accounts + moved.map { data.accounts[$0.index].account })).sorted()
                                r.seqs = Array(Set(r.seqs + moved.flatMap { metric.seqs[$0.index * data.weeks + w] ?? [] })).sorted()
                                run = r
                            } else {
                                if let r = run { found.append(r) }
                                run = CohortPattern(field: field, value: value, metric: metric.name, direction: m.up ? "up" : "down",
                                                    startDay: data.firstDay + 7 * w, weeks: 1, baseline: m.baseline, peak: m.value, z: m.z,
                                                    cohortSize: members.count, accounts: moved.map { data.accounts[$0.index].account }.sorted(),
                                                    seqs: Array(Set(moved.flatMap { metric.seqs[$0.index * data.weeks + w] ?? [] })).sorted())
                            }
                            continue
                        }
                    }
                    if let r = run { found.append(r) }
                    run = nil
                }
                if let r = run { found.append(r) }
            }
        }
        return finish(found, data)
    }

    /// The accounts of `among` that were customers through week `w` and its baseline weeks.
    static func customers(_ data: CohortData, _ among: [Int], week w: Int) -> [Int] {
        let from = data.firstDay + 7 * (w - baselineWeeks), to = data.firstDay + 7 * w + 6
        return among.filter { data.accounts[$0].firstDay <= from && (data.accounts[$0].churnDay.map { $0 > to } ?? true) }
    }

    /// The cohorts: all accounts, and each value of each profile text field that at least
    /// `minAccounts` accounts share (fields with more than `maxValues` values left out).
    static func cohorts(_ accounts: [CohortData.Account]) -> [(field: String?, value: String?, members: [Int])] {
        var out: [(String?, String?, [Int])] = [(nil, nil, Array(accounts.indices))]
        var byField: [String: [String: [Int]]] = [:]
        for (i, a) in accounts.enumerated() {
            for (f, v) in a.fields { byField[f, default: [:]][v, default: []].append(i) }
        }
        for (field, values) in byField.sorted(by: { $0.key < $1.key }) where values.count >= 2 && values.count <= maxValues {
            for (value, members) in values.sorted(by: { $0.key < $1.key }) where members.count >= minAccounts {
                out.append((field, value, members))
            }
        }
        return out
    }

    struct Move {
        var up: Bool
        var value: Double
        var baseline: Double
        var z: Double
    }

    /// The cohort's figure in week `w` and over its baseline weeks.
    static func figure(_ data: CohortData, _ metric: CohortData.Metric, _ members: [Int], week w: Int) -> Double? {
        var sum = 0.0, n = 0
        for a in members {
            guard let v = metric.values[a][w] else { continue }
            sum += v
            n += 1
        }
        switch metric.kind {
        case .count: return sum
        case .level: return n == 0 ? nil : sum
        case .mean: return n == 0 ? nil : sum / Double(n)
        }
    }

    /// Whether the cohort's figure moved in week `w`, and how far.
    static func move(_ data: CohortData, _ metric: CohortData.Metric, _ members: [Int], week w: Int) -> Move? {
        guard let now = figure(data, metric, members, week: w) else { return nil }
        let before = ((w - baselineWeeks)..<w).compactMap { figure(data, metric, members, week: $0) }
        guard before.count >= baselineWeeks / 2 else { return nil }
        let mean = before.reduce(0, +) / Double(before.count)
        let sd = (before.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(max(1, before.count - 1))).squareRoot()
        // Counts are at least as noisy as a Poisson count; a level or a mean at least 2% of itself.
        let floor = metric.kind == .count ? (mean + 1).squareRoot() : max(0.02 * abs(mean), metric.kind == .mean ? 0.1 : 1)
        let z = (now - mean) / max(sd, floor)
        guard abs(z) >= minZ else { return nil }
        return Move(up: z > 0, value: now, baseline: mean, z: (z * 10).rounded() / 10)
    }

    /// Whether the accounts outside the cohort moved as much (then the move is not the cohort's own).
    static func outsideMoved(_ data: CohortData, _ metric: CohortData.Metric, _ outside: [Int], week w: Int, like m: Move) -> Bool {
        guard !outside.isEmpty, let now = figure(data, metric, outside, week: w) else { return false }
        let before = ((w - baselineWeeks)..<w).compactMap { figure(data, metric, outside, week: $0) }
        guard !before.isEmpty else { return false }
        let mean = before.reduce(0, +) / Double(before.count)
        func relative(_ v: Double, _ base: Double) -> Double { (v - base) / max(abs(base), 1) }
        let theirs = relative(now, mean), ours = relative(m.value, m.baseline)
        return theirs * ours > 0 && abs(theirs) >= abs(ours) / 2
    }

    /// The accounts of the cohort whose own figure moved the same way in week `w`, with how far
    /// above (below) their own baseline.
    static func movers(_ data: CohortData, _ metric: CohortData.Metric, _ members: [Int], week w: Int, up: Bool) -> [(index: Int, excess: Double)] {
        members.compactMap { a in
            guard let now = metric.values[a][w] ?? (metric.kind == .count ? 0 : nil) else { return nil }
            let before = ((w - baselineWeeks)..<w).compactMap { metric.values[a][$0] ?? (metric.kind == .count ? 0 : nil) }
            guard !before.isEmpty else { return nil }
            let mean = before.reduce(0, +) / Double(before.count)
            let change = now - mean
            let enough = metric.kind == .count ? abs(change) >= 1 : abs(change) >= max(0.1 * abs(mean), metric.kind == .mean ? 0.1 : 1)
            guard enough, (change > 0) == up else { return nil }
            return (a, abs(change))
        }
    }

    /// Patterns that say the same as a more specific one left out (all accounts when one group
    /// made most of the move; all tickets when one category did), releases attached, newest first.
    static func finish(_ found: [CohortPattern], _ data: CohortData) -> [CohortPattern] {
        func overlaps(_ a: CohortPattern, _ b: CohortPattern) -> Bool {
            a.direction == b.direction && a.startDay < b.startDay + 7 * b.weeks && b.startDay < a.startDay + 7 * a.weeks
        }
        func excess(_ p: CohortPattern) -> Double { abs(p.peak - p.baseline) }
        let kept = found.filter { p in
            let broaderCohort = p.field == nil && found.contains { q in
                q.field != nil && q.metric == p.metric && overlaps(p, q) && excess(q) >= 0.6 * excess(p)
            }
            let broaderMetric = !p.metric.contains(":") && found.contains { q in
                q.metric.hasPrefix(p.metric + ":") && q.field == p.field && q.value == p.value && overlaps(p, q) && excess(q) >= 0.6 * excess(p)
            }
            return !broaderCohort && !broaderMetric
        }
        // Two cohorts moved by mostly the same accounts: the move is the cohort's that most of moved.
        var distinct: [CohortPattern] = []
        func concentration(_ p: CohortPattern) -> Double { Double(p.accounts.count) / Double(max(1, p.cohortSize)) }
        for p in kept.sorted(by: { (concentration($0), $0.z.magnitude) > (concentration($1), $1.z.magnitude) }) {
            let same = distinct.contains { q in
                guard q.metric == p.metric, overlaps(p, q) else { return false }
                return Double(Set(p.accounts).intersection(q.accounts).count) >= 0.7 * Double(min(p.accounts.count, q.accounts.count))
            }
            if !same { distinct.append(p) }
        }
        var out: [CohortPattern] = []
        for var p in distinct {
            if let r = release(before: p, data.releases) {
                p.release = r.version
                p.releaseDay = r.day
                p.seqs = [r.seq] + p.seqs
            }
            p.seqs = Array(p.seqs.prefix(50))
            out.append(p)
        }
        return out.sorted { a, b in
            if a.startDay != b.startDay { return a.startDay > b.startDay }
            if (a.field != nil) != (b.field != nil) { return a.field != nil }
            return a.metric < b.metric
        }
    }

    /// The latest release within two weeks before the pattern's first week, or in it, that
    /// reached the cohort (a release to some plans reaches a plan's cohort only if it names it).
    static func release(before p: CohortPattern, _ releases: [CohortData.Release]) -> CohortData.Release? {
        let from = p.startDay - 14, to = p.startDay + 6
        var best: CohortData.Release?
        for r in releases where r.day >= from && r.day <= to {
            if let plans = r.plans, p.field == "plan", let plan = p.value, !plans.contains(plan) { continue }
            if let b = best, (b.day, b.seq) > (r.day, r.seq) { continue }
            best = r
        }
        return best
    }
}
