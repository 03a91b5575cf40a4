/// Choosing the red band and the caps of a fitted rules file on the fit's own accounts, by the
/// figures the backtest reports (issue: warn early, precisely): among the thresholds on the
/// fitted score, and caps added one at a time, the choice that warns the most churned accounts
/// 30 days or more ahead while the account precision stays at or above `Options.precision`.
extension RulesFit {
    /// How an alarm fares over the fit's accounts, counted as `Backtest` counts them but on the
    /// weekly samples: a churned account is warned when an alarm falls 30 to 120 days before its
    /// churn and a true alarm when one falls 1 to 120 days before; a false alarm is an account
    /// alarmed on a day after which no churn came within 120 days (and not a true alarm).
    public struct AccountFigures: Sendable, Equatable {
        public var churned = 0, warned = 0, trueAlarms = 0, falseAlarms = 0

        public var recall: Double { churned > 0 ? Double(warned) / Double(churned) : 0 }
        public var precision: Double { trueAlarms + falseAlarms > 0 ? Double(trueAlarms) / Double(trueAlarms + falseAlarms) : 0 }

        /// Higher is better: any choice that keeps the precision beats any that does not; among
        /// those that keep it, more warned, then fewer false alarms; among the others, the F1 of
        /// the two.
        func merit(precision target: Double) -> Double {
            if precision >= target { return 2 + recall - Double(falseAlarms) * 1e-6 }
            let (p, r) = (precision, recall)
            return p + r > 0 ? 2 * p * r / (p + r) : 0
        }
    }

    /// The red band's top (a whole score) and the caps (signal index, threshold) chosen, with
    /// their figures on the fit's accounts; and the yellow band's top, chosen the same way for
    /// yellow or red at half the precision (at least 5 above red).
    public struct Alarms: Sendable {
        public var red: Double
        public var caps: [(signal: Int, below: Double)]
        public var figures: AccountFigures
        public var yellow: Double = 95

        /// The bands: red, yellow, green.
        public var bands: [Rules.BandRange] {
            [Rules.BandRange(band: .red, min: 0, max: red), Rules.BandRange(band: .yellow, min: red, max: yellow),
             Rules.BandRange(band: .green, min: yellow, max: 100)]
        }
    }

    /// The thresholds a cap may take, and the most caps a fit adds.
    static let capThresholds = stride(from: 0.05, through: 0.5, by: 0.05).map { ($0 * 100).rounded() / 100 }
    static let mostCaps = 3

    /// Chooses the red band's top and the caps on `accounts` (each account's samples in day
    /// order) scored with `weights`.
    public static func alarms(_ accounts: [[Sample]], weights: [Double], options: Options) -> Alarms {
        let scores = accounts.map { $0.map { score($0.values, weights) ?? .infinity } }
        let signals = weights.count
        // The fit's time in two halves at the median day a sample's outcome is about (its churn,
        // or itself): a cap is added only if it makes neither half worse, so that a cap that
        // holds in one stretch of time only (a season, a release) does not win on it.
        let about = accounts.flatMap { $0.map { s in s.toChurn.map { s.day + $0 } ?? s.day } }.sorted()
        let middle = about.isEmpty ? 0 : about[about.count / 2]
        let halves: [(Sample) -> Bool] = [{ _ in true }, { s in (s.toChurn.map { s.day + $0 } ?? s.day) < middle },
                                          { s in (s.toChurn.map { s.day + $0 } ?? s.day) >= middle }]
        /// Each account's minima over the whole time and over each half.
        func minima(_ caps: [(signal: Int, below: Double)]) -> [[Minima]] {
            halves.map { half in
                accounts.indices.map { a in
                    Minima(accounts[a], scores[a], only: half) { s in caps.contains { c in s.values[c.signal].map { $0 < c.below } ?? false } }
                }
            }
        }
        /// The threshold from `lowest` to 95 whose figures over the whole time have the most merit
        /// at `precision`, with the merit of the whole and of each half there.
        func threshold(_ minima: [[Minima]], from lowest: Double, precision: Double) -> (red: Double, merits: [Double], figures: AccountFigures) {
            var chosen = (red: lowest, merits: [-Double.infinity], figures: AccountFigures())
            for t in stride(from: lowest, through: 95.0, by: 1.0) {
                let f = Minima.figures(minima[0], red: t)
                let m = f.merit(precision: precision)
                if m > chosen.merits[0] { chosen = (t, [m], f) }
            }
            chosen.merits += minima.dropFirst().map { Minima.figures($0, red: chosen.red).merit(precision: precision) }
            return chosen
        }
        func best(_ caps: [(signal: Int, below: Double)]) -> (alarms: Alarms, merits: [Double]) {
            let t = threshold(minima(caps), from: 5, precision: options.precision)
            return (Alarms(red: t.red, caps: caps, figures: t.figures), t.merits)
        }
        var chosen = best([])
        while chosen.alarms.caps.count < mostCaps {
            var next = chosen
            for i in 0..<signals where !chosen.alarms.caps.contains(where: { $0.signal == i }) && options.capSignals?.contains(i) != false {
                for below in capThresholds {
                    let tried = best(chosen.alarms.caps + [(i, below)])
                    // Better over the whole time, and no worse in either half.
                    guard tried.merits[0] > next.merits[0] + 1e-9, zip(tried.merits, chosen.merits).dropFirst().allSatisfy({ $0 >= $1 - 1e-9 }) else { continue }
                    next = tried
                }
            }
            guard next.alarms.caps.count > chosen.alarms.caps.count else { break }
            chosen = next
        }
        var alarms = chosen.alarms
        alarms.yellow = threshold(minima(alarms.caps), from: alarms.red + 5, precision: options.precision / 2).red
        return alarms
    }

    /// Per account, the lowest score (−∞ where a cap fires) in each span the figures ask about:
    /// an alarm threshold above it alarms the account there.
    struct Minima {
        var churned = false
        var warn = Double.infinity, before = Double.infinity, otherwise = Double.infinity

        init(_ samples: [Sample], _ scores: [Double], only: (Sample) -> Bool = { _ in true }, capped: (Sample) -> Bool) {
            for (s, score) in zip(samples, scores) where only(s) {
                let e = capped(s) ? -Double.infinity : score
                if let d = s.toChurn, d <= Backtest.warningWindow {
                    churned = true
                    before = min(before, e)
                    if d >= Backtest.warningLeads[0] { warn = min(warn, e) }
                } else {
                    churned = churned || s.toChurn != nil
                    otherwise = min(otherwise, e)
                }
            }
        }

        static func figures(_ all: [Minima], red: Double) -> AccountFigures {
            var f = AccountFigures()
            for m in all {
                if m.churned {
                    f.churned += 1
                    if m.warn < red { f.warned += 1 }
                    if m.before < red {
                        f.trueAlarms += 1
                        continue
                    }
                }
                if m.otherwise < red { f.falseAlarms += 1 }
            }
            return f
        }
    }
}
