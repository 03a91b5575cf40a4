import ThroughlineCore

/// One account as a replay scored it: its daily series under one rules version and the day it
/// churned, if its latest outcome in the log is a churn.
public struct ReplayedAccount: Sendable {
    public var account: String
    public var series: ScoreSeries
    public var churnDay: Int?
    /// The CSMs' overrides: the day of each and the band it named (a human label of the truth).
    public var overrides: [(day: Int, band: Band)]
    /// The CSM its profile names last, if any.
    public var csm: String?

    public init(account: String, series: ScoreSeries, churnDay: Int?, overrides: [(day: Int, band: Band)] = [], csm: String? = nil) {
        self.account = account
        self.series = series
        self.churnDay = churnDay
        self.overrides = overrides
        self.csm = csm
    }
}

extension ReplayedAccount {
    /// The account as the log stood on `day`: its scores through it, its churn only if by then;
    /// nil if it had no score by then.
    public func restricted(through day: Int) -> ReplayedAccount? {
        guard series.firstDay <= day else { return nil }
        var copy = self
        copy.series = ScoreSeries(firstDay: series.firstDay, scores: Array(series.scores.prefix(day - series.firstDay + 1)))
        copy.churnDay = churnDay.flatMap { $0 <= day ? $0 : nil }
        copy.overrides = overrides.filter { $0.day <= day }
        return copy
    }

    /// The account from `day` on, if it had not churned before `churnsFrom`: its scores from
    /// then (so that alarms before a churn on `churnsFrom` still count).
    public func restricted(from day: Int, churnsFrom: Int) -> ReplayedAccount? {
        if let churnDay, churnDay < churnsFrom { return nil }
        guard series.lastDay >= day else { return nil }
        var copy = self
        let drop = max(0, day - series.firstDay)
        copy.series = ScoreSeries(firstDay: series.firstDay + drop, scores: Array(series.scores.dropFirst(drop)))
        copy.overrides = overrides.filter { $0.day >= day }
        return copy
    }
}

/// How well a rules version's scores would have predicted the churns the log records.
///
/// - Lead time: for each churned account, the first day in the 180 days up to its churn day on
///   which the version put it in red (and in yellow or worse), and how many days before the churn.
/// - "Red within N days before churn", N = 30, 60, 90, per account: a churned account is a true
///   positive if it was red on some day of the N days before its churn day, else a false
///   negative; an account that did not churn is a false positive if it was red on some day at
///   least N days before the log's last day (so the log shows no churn followed within N days),
///   else a true negative.
/// - ROC AUC of the score as a predictor of churn within 90 days: over every account-day whose
///   next 90 days the log covers (or that precedes a churn), positive when the account churns
///   within the 90 days after it; a lower score ranks as riskier.
/// - Agreement with the CSMs' overrides: each override's band against the band computed for its day.
/// - The cost of alerts: accounts red on some day of each week (Monday to Sunday).
/// - Band distribution: the accounts in each band on each week's last day.
public enum Backtest {
    public static let horizons = [30, 60, 90]
    public static let leadWindow = 180

    /// An account's band on each scored day, and how many of the days before each were red: the
    /// report asks of every account on every week and horizon, so each band is worked out once
    /// and "red on some day of a span" is one subtraction.
    struct Bands {
        let first: Int
        let bands: [Band?]
        /// Per alarm, how many of the days before each were in its band.
        let alarmedBefore: [[Int32]]

        init(_ series: ScoreSeries, _ rules: Rules) {
            first = series.firstDay
            let bands = rules.bands(of: series.scores)
            self.bands = bands
            alarmedBefore = Alarm.allCases.map { alarm in
                var count: [Int32] = [0]
                count.reserveCapacity(bands.count + 1)
                for b in bands { count.append(count[count.count - 1] + (alarm.includes(b) ? 1 : 0)) }
                return count
            }
        }

        /// The band on `day` (nil outside the series or without a score).
        func band(_ day: Int) -> Band? {
            let i = day - first
            return i >= 0 && i < bands.count ? bands[i] : nil
        }

        /// Whether the band was red on some day from `lo` to `hi`.
        func red(from lo: Int, through hi: Int) -> Bool { alarmed(.red, from: lo, through: hi) }

        /// Whether the band was in `alarm`'s bands on some day from `lo` to `hi`.
        func alarmed(_ alarm: Alarm, from lo: Int, through hi: Int) -> Bool {
            let a = max(lo - first, 0), b = min(hi - first, bands.count - 1)
            let before = alarmedBefore[alarm.rawValue]
            return a <= b && before[b + 1] > before[a]
        }

        /// The first day from `lo` to `hi` in `alarm`'s bands.
        func firstAlarm(_ alarm: Alarm, from lo: Int, through hi: Int) -> Int? {
            guard alarmed(alarm, from: lo, through: hi) else { return nil }
            return (max(lo, first)...hi).first { alarm.includes(band($0)) }
        }

        /// The last day in `alarm`'s bands, if any.
        func lastAlarm(_ alarm: Alarm) -> Int? {
            bands.lastIndex { alarm.includes($0) }.map { first + $0 }
        }
    }

    /// What counts as an alarm: the red band, or the yellow band or worse.
    enum Alarm: Int, CaseIterable {
        case red, yellowOrRed

        var name: String { self == .red ? "red" : "yellow_or_red" }

        func includes(_ band: Band?) -> Bool { band == .red || (self == .yellowOrRed && band == .yellow) }
    }

    /// Days before a churn in which an alarm counts as a warning of it.
    public static let warningWindow = 120
    /// "Warned with L days to act": an alarm from `warningWindow` to L days before the churn.
    public static let warningLeads = [30, 60, 90]

    /// How early and how precisely `alarm` warns, over every account:
    /// - warned with L days to act: a churned account in the alarm band on some day from 120 to
    ///   L days before its churn day, for L = 30, 60 and 90; the share is of all churned accounts;
    /// - the lead: from the first alarm day in the 120 days before the churn to the churn, its
    ///   median and its distribution in 30-day buckets;
    /// - account precision: a true alarm is a churned account alarmed in the 120 days before its
    ///   churn; a false alarm is an account alarmed on a day after which it did not churn within
    ///   120 days although the log covers them (and not a true alarm); an account alarmed only on
    ///   days whose next 120 days the log does not yet cover, with no churn so far, is pending:
    ///   its outcome is not known, and it is left out of the precision;
    /// - the cost: accounts alarmed on some day of a week, per CSM (the CSM the profile names
    ///   last; accounts without one count as one more CSM) and week, averaged over the weeks and
    ///   the CSMs with accounts; and the highest of the CSMs' own averages.
    static func warning(_ alarm: Alarm, _ accounts: [ReplayedAccount], _ bands: [Bands], lastDay: Int, mondays: [Int]) -> BacktestReport.Warning {
        let window = warningWindow
        var warned = [Int](repeating: 0, count: warningLeads.count)
        var leads: [Int] = []
        var trueAlarms = 0, falseAlarms = 0, pending = 0, churned = 0
        for (a, b) in zip(accounts, bands) {
            if let churn = a.churnDay {
                churned += 1
                for (i, l) in warningLeads.enumerated() where b.alarmed(alarm, from: churn - window, through: churn - l) { warned[i] += 1 }
                if let first = b.firstAlarm(alarm, from: churn - window, through: churn - 1) {
                    leads.append(churn - first)
                    trueAlarms += 1
                    continue
                }
            }
            // Not warned of a churn: alarmed on a day whose next 120 days the log covers (or that a
            // later churn follows only after them) is a false alarm; otherwise pending if alarmed.
            let known = a.churnDay.map { $0 - window - 1 } ?? (lastDay - window)
            if b.alarmed(alarm, from: b.first, through: min(known, a.series.lastDay)) {
                falseAlarms += 1
            } else if a.churnDay == nil, b.lastAlarm(alarm) != nil {
                pending += 1
            }
        }
        // Per CSM and week.
        var perCSM: [String: (weeks: [Int], accounts: Int)] = [:]
        for (a, b) in zip(accounts, bands) {
            let csm = a.csm ?? ""
            var entry = perCSM[csm] ?? (Array(repeating: 0, count: mondays.count), 0)
            entry.accounts += 1
            for (w, monday) in mondays.enumerated() where b.alarmed(alarm, from: monday, through: min(monday + 6, lastDay)) { entry.weeks[w] += 1 }
            perCSM[csm] = entry
        }
        let averages = perCSM.values.map { Double($0.weeks.reduce(0, +)) / Double(max(1, mondays.count)) }
        func tenth(_ v: Double) -> Double { (v * 10).rounded() / 10 }
        func share(_ n: Int, _ of: Int) -> Double? { of > 0 ? (Double(n) / Double(of) * 10000).rounded() / 10000 : nil }
        // 1–29, 30–59, 60–89 and 90–120 days.
        let buckets = stride(from: 0, to: window, by: 30).map { from in
            let days = max(1, from)...(from + 30 >= window ? window : from + 29)
            return BacktestReport.Warning.LeadBucket(fromDays: days.lowerBound, toDays: days.upperBound, accounts: leads.filter(days.contains).count)
        }
        return BacktestReport.Warning(
            alarm: alarm.name, churned: churned,
            warned: zip(warningLeads, warned).map { .init(days: $0, accounts: $1, share: share($1, churned)) },
            medianLeadDays: leads.isEmpty ? nil : leads.sorted()[leads.count / 2], leadDays: buckets,
            trueAlarms: trueAlarms, falseAlarms: falseAlarms, pending: pending, precision: share(trueAlarms, trueAlarms + falseAlarms),
            perCsmWeek: averages.isEmpty ? nil : tenth(averages.reduce(0, +) / Double(averages.count)),
            perCsmWeekMost: averages.max().map(tenth))
    }

    public static func report(_ rules: Rules, _ accounts: [ReplayedAccount], lastDay: Int) -> BacktestReport {
        let sorted = accounts.sorted { $0.account < $1.account }
        let bands = sorted.map { Bands($0.series, rules) }
        func date(_ d: Int) -> CalendarDate { Day(d).date }
        func rounded(_ v: Double) -> Double { (v * 10000).rounded() / 10000 }
        func ratio(_ a: Int, _ b: Int) -> Double? { b > 0 ? rounded(Double(a) / Double(b)) : nil }

        // Weeks from the Monday on or before the first scored day to the week of the last day.
        let first = sorted.map(\.series.firstDay).min() ?? lastDay
        let firstMonday = first - ((first + 3) % 7 + 7) % 7  // 1970-01-01 was a Thursday
        let mondays = Array(stride(from: firstMonday, through: lastDay, by: 7))
        var counts = [BacktestReport.BandCounts](repeating: .init(), count: mondays.count)
        var redPerWeek = [Int](repeating: 0, count: mondays.count)
        for a in bands {
            for (w, monday) in mondays.enumerated() {
                let last = min(monday + 6, lastDay)
                if let b = a.band(last) { counts[w][b] += 1 }
                if a.red(from: monday, through: last) { redPerWeek[w] += 1 }
            }
        }
        let weeks = mondays.indices.map { w in
            BacktestReport.Week(week: date(mondays[w]), red: counts[w].red, yellow: counts[w].yellow, green: counts[w].green,
                                redDuringWeek: redPerWeek[w])
        }

        var leads: [BacktestReport.LeadTime] = []
        var redLeads: [Int] = []
        for (a, bands) in zip(sorted, bands) {
            guard let churn = a.churnDay else { continue }
            let window = (churn - leadWindow)...churn
            let firstRed = window.first { bands.band($0) == .red }
            let firstWorse = window.first { bands.band($0) == .red || bands.band($0) == .yellow }
            if let r = firstRed { redLeads.append(churn - r) }
            leads.append(BacktestReport.LeadTime(account: a.account, churnDate: date(churn), firstRed: firstRed.map(date),
                                                 redLeadDays: firstRed.map { churn - $0 }, firstYellowOrRed: firstWorse.map(date),
                                                 yellowLeadDays: firstWorse.map { churn - $0 }))
        }

        var horizonReports: [BacktestReport.Horizon] = []
        for n in horizons {
            var tp = 0, fp = 0, fn = 0, tn = 0
            for (a, bands) in zip(sorted, bands) {
                if let churn = a.churnDay {
                    if bands.red(from: churn - n, through: churn - 1) { tp += 1 } else { fn += 1 }
                } else if bands.red(from: a.series.firstDay, through: min(a.series.lastDay, lastDay - n)) {
                    fp += 1
                } else {
                    tn += 1
                }
            }
            let precision = tp + fp > 0 ? Double(tp) / Double(tp + fp) : nil
            let recall = tp + fn > 0 ? Double(tp) / Double(tp + fn) : nil
            let f1 = precision.flatMap { p in recall.flatMap { r in p + r > 0 ? 2 * p * r / (p + r) : nil } }
            horizonReports.append(BacktestReport.Horizon(days: n, truePositives: tp, falsePositives: fp, falseNegatives: fn, trueNegatives: tn,
                                                         precision: ratio(tp, tp + fp), recall: ratio(tp, tp + fn), f1: f1.map(rounded)))
        }

        // ROC AUC from counts per score (scores are tenths: 1,001 values).
        var positives = [Int](repeating: 0, count: 1001), negatives = [Int](repeating: 0, count: 1001)
        for a in sorted {
            for (i, score) in a.series.scores.enumerated() {
                guard let score else { continue }
                let day = a.series.firstDay + i, bin = Int((score * 10).rounded())
                if let churn = a.churnDay, churn > day, churn <= day + 90 {
                    positives[bin] += 1
                } else if a.churnDay.map({ $0 > day + 90 }) ?? (day + 90 <= lastDay) {
                    negatives[bin] += 1
                }
            }
        }
        let p = positives.reduce(0, +), n = negatives.reduce(0, +)
        var above = n, wins = 0.0
        for bin in 0...1000 {
            above -= negatives[bin]
            wins += Double(positives[bin]) * (Double(above) + 0.5 * Double(negatives[bin]))
        }
        let auc = p > 0 && n > 0 ? rounded(wins / Double(p) / Double(n)) : nil

        // Overrides against the computed band of their day.
        var confusion: [Band: BacktestReport.BandCounts] = [:]
        var agreed = 0, labelled = 0
        for (a, bands) in zip(sorted, bands) {
            for o in a.overrides {
                guard let computed = bands.band(o.day) else { continue }
                confusion[o.band, default: .init()][computed] += 1
                labelled += 1
                if computed == o.band { agreed += 1 }
            }
        }

        return BacktestReport(
            rules: rules.version, accounts: sorted.count, churned: sorted.filter { $0.churnDay != nil }.count,
            churnedRedBeforehand: redLeads.count, medianRedLeadDays: redLeads.isEmpty ? nil : redLeads.sorted()[redLeads.count / 2],
            redAccountsPerWeek: redPerWeek.isEmpty ? nil : (Double(redPerWeek.reduce(0, +)) / Double(redPerWeek.count) * 10).rounded() / 10,
            horizons: horizonReports, rocAuc90d: auc,
            overrides: BacktestReport.Overrides(overrides: labelled, agreement: ratio(agreed, labelled), byComputedBand: confusion),
            leadTimes: leads, weeks: weeks,
            warnings: Alarm.allCases.map { warning($0, sorted, bands, lastDay: lastDay, mondays: mondays) })
    }
}
