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
        func minima(_ caps: [(signal: Int, below: Double)]) -> [Minima] {
            accounts.indices.map { a in
                Minima(accounts[a], scores[a]) { s in caps.contains { c in s.values[c.signal].map { $0 < c.below } ?? false } }
            }
        }
        /// The threshold from `lowest` to 95 whose figures have the most merit at `precision`.
        func threshold(_ minima: [Minima], from lowest: Double, precision: Double) -> (Double, AccountFigures) {
            var chosen = (lowest, AccountFigures()), merit = -Double.infinity
            for t in stride(from: lowest, through: 95.0, by: 1.0) {
                let f = Minima.figures(minima, red: t)
                let m = f.merit(precision: precision)
                if m > merit { (merit, chosen) = (m, (t, f)) }
            }
            return chosen
        }
        func best(_ caps: [(signal: Int, below: Double)]) -> Alarms {
            let (red, figures) = threshold(minima(caps), from: 5, precision: options.precision)
            return Alarms(red: red, caps: caps, figures: figures)
        }
        var chosen = best([])
        while chosen.caps.count < mostCaps {
            var next = chosen
            for i in 0..<signals where !chosen.caps.contains(where: { $0.signal == i }) && options.capSignals?.contains(i) != false {
                for below in capThresholds {
                    let tried = best(chosen.caps + [(i, below)])
                    if tried.figures.merit(precision: options.precision) > next.figures.merit(precision: options.precision) + 1e-9 { next = tried }
                }
            }
            guard next.caps.count > chosen.caps.count else { break }
            chosen = next
        }
        chosen.yellow = threshold(minima(chosen.caps), from: chosen.red + 5, precision: options.precision / 2).0
        return chosen
    }

    /// Per account, the lowest score (−∞ where a cap fires) in each span the figures ask about:
    /// an alarm threshold above it alarms the account there.
    struct Minima {
        var churned = false
        var warn = Double.infinity, before = Double.infinity, otherwise = Double.infinity

        init(_ samples: [Sample], _ scores: [Double], capped: (Sample) -> Bool) {
            for (s, score) in zip(samples, scores) {
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
