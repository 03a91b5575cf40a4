import Foundation
import ThroughlineCore

/// Learns a rules file from a store's own outcomes. Each account-day (one a week) is a sample:
/// the value of every signal at the end of the day, and whether the account churned within the
/// horizon after it. A logistic regression (L2-regularised, fitted by Newton's method, churners
/// weighted up to balance the classes) finds how much each signal's falling value raises the
/// odds of a churn; the signals that do get weights in proportion, those that do not get 0, and
/// the band boundaries are set on the fitted score: red where it catches churners best (F1),
/// yellow where it catches nine in ten. The result is an ordinary rules file, so every score
/// still explains itself in points per signal.
///
/// Time is split at a cut day: only samples whose outcome was known before the cut (the
/// horizon after the day ends before it, or a churn before it) are fitted; what happened
/// after the cut is left for validation.
public enum RulesFit {
    public struct Options: Sendable {
        /// A sample counts as churning when the churn follows within these days.
        public var horizon = 120
        /// Days between two samples of an account.
        public var every = 7
        /// The regularisation's strength.
        public var l2 = 1.0
        /// The account precision the red band (and its caps) must keep on the fit's accounts while
        /// warning as many churns as it can 30 days ahead.
        public var precision = 0.7
        /// The signals a cap may be put on (their indexes in the probe's signals); nil: any.
        public var capSignals: Set<Int>?
        public init() {}
    }

    /// One account-day: its signals' values (nil: no input), whether a churn followed within
    /// the horizon, and the days to the account's churn if it churned before the cut.
    public struct Sample: Sendable {
        public var day: Int
        public var values: [Double?]
        public var churns: Bool
        public var toChurn: Int?
        /// The day of a CSM's override that the outcome confirmed (to red and a churn followed
        /// within the horizon, to green and none did): a human label, weighed twice in the fit.
        public var confirmedOverride = false

        public init(day: Int, values: [Double?], churns: Bool, toChurn: Int?, confirmedOverride: Bool = false) {
            (self.day, self.values, self.churns, self.toChurn, self.confirmedOverride) = (day, values, churns, toChurn, confirmedOverride)
        }
    }

    /// The rules every signal is read under while sampling: the base rules' signals with their
    /// parameters, every one weighed, and the signals the base does not name with their defaults.
    public static func probe(_ base: Rules) -> Rules {
        var signals = base.signals.map { Rules.Signal(kind: $0.kind, weight: 1, group: $0.group, parameters: $0.parameters) }
        for kind in SignalKind.allCases where !signals.contains(where: { $0.kind == kind }) {
            signals.append(Rules.Signal(kind: kind, weight: 1, group: kind.definition.group, parameters: [:]))
        }
        return Rules(version: base.version, description: nil, signals: signals, bands: base.bands)
    }

    /// An account's samples whose outcome is known by `cut` (exclusive): days up to the account's
    /// last scored day and before its churn, one every `options.every` days. Known means a churn
    /// before the cut, or the whole horizon (and the backtest's warning window) before it.
    public static func samples(_ h: AccountHistory, probe: Rules, cut: Int, options: Options) -> [Sample] {
        guard let first = ScoreHistory.firstDay(h) else { return [] }
        let churn = ScoreHistory.churnDay(h)
        let window = max(options.horizon, Backtest.warningWindow)
        /// The days to the churn (if it came before the cut), whether the day is churning, and
        /// whether its outcome is known before the cut.
        func label(_ day: Int) -> (toChurn: Int?, churns: Bool, known: Bool) {
            let toChurn = churn.flatMap { $0 < cut ? $0 - day : nil }
            return (toChurn, toChurn.map { $0 <= options.horizon } ?? false, toChurn != nil || day + window < cut)
        }
        var days: [(day: Int, override: Bool)] = []
        var day = first
        while day < (churn ?? .max), label(day).known {
            days.append((day, false))
            day += options.every
        }
        // The days of overrides to red or green whose outcome confirms them, once more each.
        for o in h.overrides.items where o.value.band != .yellow {
            let d = Day(containing: o.time).number, l = label(d)
            if d >= first, d < (churn ?? .max), l.known, l.churns == (o.value.band == .red) { days.append((d, true)) }
        }
        days.sort { ($0.day, $0.override ? 1 : 0) < ($1.day, $1.override ? 1 : 0) }
        var sweep = DaySweep(h, rules: probe)
        var out: [Sample] = []
        out.reserveCapacity(days.count)
        for (d, override) in days {
            let l = label(d)
            let values = out.last?.day == d ? out[out.count - 1].values : sweep.values(day: d)
            out.append(Sample(day: d, values: values, churns: l.churns, toChurn: l.toChurn, confirmedOverride: override))
        }
        return out
    }

    /// How the CSMs' overrides fared against what happened: an override to red is confirmed when
    /// the account churned within the horizon after it, contradicted when the log covers the
    /// horizon and no churn came; an override to green the other way round (yellow ones are not
    /// counted). Overrides whose horizon the log does not yet cover are pending.
    public struct OverrideLabels: Sendable, Equatable {
        public var redConfirmed = 0, redContradicted = 0, greenConfirmed = 0, greenContradicted = 0, pending = 0

        public init() {}

        public mutating func add(_ h: AccountHistory, lastDay: Int, horizon: Int) {
            let churn = ScoreHistory.churnDay(h)
            for o in h.overrides.items where o.value.band != .yellow {
                let day = Day(containing: o.time).number
                let churned = churn.map { $0 > day && $0 - day <= horizon } ?? false
                guard churned || day + horizon <= lastDay || (churn.map { $0 - day > horizon } ?? false) else {
                    pending += 1
                    continue
                }
                switch (o.value.band, churned) {
                case (.red, true): redConfirmed += 1
                case (.red, false): redContradicted += 1
                case (_, false): greenConfirmed += 1
                case (_, true): greenContradicted += 1
                }
            }
        }

        public static func + (a: OverrideLabels, b: OverrideLabels) -> OverrideLabels {
            var c = a
            (c.redConfirmed, c.redContradicted) = (a.redConfirmed + b.redConfirmed, a.redContradicted + b.redContradicted)
            (c.greenConfirmed, c.greenContradicted) = (a.greenConfirmed + b.greenConfirmed, a.greenContradicted + b.greenContradicted)
            c.pending = a.pending + b.pending
            return c
        }

        /// One line for the fit's output.
        public var summary: String {
            "CSM overrides against what happened: to red \(redConfirmed) confirmed by a churn within the horizon, \(redContradicted) not; "
                + "to green \(greenConfirmed) confirmed, \(greenContradicted) followed by a churn; \(pending) too recent to tell"
        }
    }

    /// The fitted model: per signal, its coefficient (the change in the log-odds of a churn per
    /// unit of the signal's value) and the value a missing reading is taken as (its mean).
    public struct Model: Sendable {
        public var intercept: Double
        public var coefficients: [Double]
        public var means: [Double]
        public var samples: Int, churning: Int

        /// The churn probability of a sample.
        public func probability(_ values: [Double?]) -> Double {
            var z = intercept
            for i in coefficients.indices { z += coefficients[i] * (values[i] ?? means[i]) }
            return 1 / (1 + exp(-z))
        }
    }

    /// Fits the regression; nil without samples of both kinds.
    public static func fit(_ samples: [Sample], signals: Int, options: Options) -> Model? {
        let positives = samples.filter(\.churns).count
        guard positives > 0, positives < samples.count else { return nil }
        var means = [Double](repeating: 0, count: signals)
        for i in 0..<signals {
            let seen = samples.compactMap { $0.values[i] }
            means[i] = seen.isEmpty ? 1 : seen.reduce(0, +) / Double(seen.count)
        }
        // Classes balanced: each churning sample weighs as much as all the others over all churning.
        let weightUp = Double(samples.count - positives) / Double(positives)
        let n = signals + 1
        var beta = [Double](repeating: 0, count: n)
        func row(_ s: Sample) -> [Double] { [1] + (0..<signals).map { s.values[$0] ?? means[$0] } }
        let rows = samples.map(row)
        for _ in 0..<25 {
            var gradient = [Double](repeating: 0, count: n)
            var hessian = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
            for (x, s) in zip(rows, samples) {
                var z = 0.0
                for j in 0..<n { z += beta[j] * x[j] }
                let p = 1 / (1 + exp(-z)), w = (s.churns ? weightUp : 1) * (s.confirmedOverride ? 2 : 1)
                let r = w * ((s.churns ? 1 : 0) - p), c = w * p * (1 - p)
                for j in 0..<n {
                    gradient[j] += r * x[j]
                    for k in j..<n { hessian[j][k] += c * x[j] * x[k] }
                }
            }
            // The penalty, not on the intercept.
            for j in 1..<n {
                gradient[j] -= options.l2 * beta[j]
                hessian[j][j] += options.l2
            }
            for j in 0..<n { for k in 0..<j { hessian[j][k] = hessian[k][j] } }
            guard let step = solve(hessian, gradient) else { break }
            var largest = 0.0
            for j in 0..<n {
                beta[j] += step[j]
                largest = max(largest, abs(step[j]))
            }
            if largest < 1e-9 { break }
        }
        return Model(intercept: beta[0], coefficients: Array(beta.dropFirst()), means: means, samples: samples.count, churning: positives)
    }

    /// Solves `a x = b` by Gaussian elimination with partial pivoting; nil if `a` is singular.
    static func solve(_ a: [[Double]], _ b: [Double]) -> [Double]? {
        var m = a, v = b
        let n = v.count
        for col in 0..<n {
            guard let pivot = (col..<n).max(by: { abs(m[$0][col]) < abs(m[$1][col]) }), abs(m[pivot][col]) > 1e-12 else { return nil }
            m.swapAt(col, pivot)
            v.swapAt(col, pivot)
            for r in (col + 1)..<n where m[r][col] != 0 {
                let f = m[r][col] / m[col][col]
                for c in col..<n { m[r][c] -= f * m[col][c] }
                v[r] -= f * v[col]
            }
        }
        var x = [Double](repeating: 0, count: n)
        for r in stride(from: n - 1, through: 0, by: -1) {
            var sum = v[r]
            for c in (r + 1)..<n { sum -= m[r][c] * x[c] }
            x[r] = sum / m[r][r]
        }
        return x
    }

    /// Weights out of 100 from the model: a signal whose higher value lowers the odds of a churn
    /// weighs in proportion to how much; one that does not weighs 0. Rounded to tenths.
    public static func weights(_ model: Model) -> [Double] {
        let protective = model.coefficients.map { max(0, -$0) }
        let total = protective.reduce(0, +)
        guard total > 0 else { return model.coefficients.map { _ in 0 } }
        return protective.map { ($0 / total * 1000).rounded() / 10 }
    }

    /// The score a rules file with `weights` gives a sample (as `Score.combine` does), if any
    /// weighed signal has input.
    static func score(_ values: [Double?], _ weights: [Double]) -> Double? {
        var readings: [(Double, Double)] = []
        for (v, w) in zip(values, weights) where w > 0 { if let v { readings.append((w, v)) } }
        return Score.combine(readings)
    }
}
