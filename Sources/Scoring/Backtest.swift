import ThroughlineCore

/// One account as a replay scored it: its daily series under one rules version and the day it
/// churned, if its latest outcome in the log is a churn.
public struct ReplayedAccount: Sendable {
    public var account: String
    public var series: ScoreSeries
    public var churnDay: Int?
    /// The CSMs' overrides: the day of each and the band it named (a human label of the truth).
    public var overrides: [(day: Int, band: Band)]

    public init(account: String, series: ScoreSeries, churnDay: Int?, overrides: [(day: Int, band: Band)] = []) {
        self.account = account
        self.series = series
        self.churnDay = churnDay
        self.overrides = overrides
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
        let redBefore: [Int32]

        init(_ series: ScoreSeries, _ rules: Rules) {
            first = series.firstDay
            bands = series.scores.map { $0.map(rules.band(of:)) }
            var red: [Int32] = [0]
            red.reserveCapacity(bands.count + 1)
            for b in bands { red.append(red[red.count - 1] + (b == .red ? 1 : 0)) }
            redBefore = red
        }

        /// The band on `day` (nil outside the series or without a score).
        func band(_ day: Int) -> Band? {
            let i = day - first
            return i >= 0 && i < bands.count ? bands[i] : nil
        }

        /// Whether the band was red on some day from `lo` to `hi`.
        func red(from lo: Int, through hi: Int) -> Bool {
            let a = max(lo - first, 0), b = min(hi - first, bands.count - 1)
            return a <= b && redBefore[b + 1] > redBefore[a]
        }
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
            leadTimes: leads, weeks: weeks)
    }
}
