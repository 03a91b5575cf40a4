import ThroughlineCore

/// An account whose recent trajectory resembles the trajectories of accounts before they churned.
public struct Resemblance: Sendable, Equatable {
    public var account: String
    /// Of its `k` nearest trajectories with a known outcome, the share followed by a churn within 90 days.
    public var share: Double
    /// The churned accounts it resembles, nearest first, with the day each churned and how far
    /// (the mean gap per point, in score points) its trajectory is from theirs.
    public var resembles: [Neighbour]

    public struct Neighbour: Sendable, Equatable {
        public var account: String
        public var churnDay: Int
        public var distance: Double
    }
}

/// Nearest neighbours over score histories: each live account's last `points` weekly scores
/// (the trajectory), against trajectories with a known outcome from the same store (each
/// account's windows ending a quarter, two and three before the horizon, and each churned
/// account's last window before its churn), labelled by whether a churn followed within
/// `horizonDays`. An account is listed when most of its `k` nearest were followed by a churn.
/// Nothing is fitted beyond the store's own trajectories.
public enum ChurnResemblance {
    public static let points = 13
    public static let k = 7
    public static let horizonDays = 90

    public struct Series: Sendable {
        public var account: String
        public var firstDay: Int
        public var scores: [Double?]
        public var churnDay: Int?

        public init(account: String, firstDay: Int, scores: [Double?], churnDay: Int?) {
            (self.account, self.firstDay, self.scores, self.churnDay) = (account, firstDay, scores, churnDay)
        }
    }

    /// The weekly scores of the window ending on `day` (the latest score at or before each point), or nil
    /// when fewer than 10 of them are known.
    static func trajectory(_ s: Series, endingOn day: Int) -> [Double]? {
        var out: [Double?] = []
        for i in 0..<points {
            let at = day - 7 * (points - 1 - i)
            var value: Double?
            var d = min(at, s.firstDay + s.scores.count - 1)
            while value == nil && d >= s.firstDay && d > at - 7 {
                value = s.scores[d - s.firstDay]
                d -= 1
            }
            out.append(value)
        }
        guard out.compactMap({ $0 }).count >= 10 else { return nil }
        // A missing point takes the one before it (or after it, at the start).
        var filled: [Double] = []
        for v in out { if let v = v ?? filled.last { filled.append(v) } }
        let first = out.first { $0 != nil }!!
        return Array(repeating: first, count: points - filled.count) + filled
    }

    /// The sum of the squared gaps between two trajectories, or nil as soon as it passes `bound`
    /// (a window farther than the k-th nearest found so far).
    static func squaredGap(_ a: [Double], _ b: [Double], within bound: Double) -> Double? {
        var sum = 0.0
        for j in 0..<points {
            let g = a[j] - b[j]
            sum += g * g
            if sum > bound { return nil }
        }
        return sum
    }

    /// The mean gap per point (root mean square) of a sum of squared gaps.
    static func distance(squared sum: Double) -> Double { (sum / Double(points)).squareRoot() }

    /// The most windows without a churn after them compared with: beyond it, an even sample of
    /// them, each counting for the ones left out, so a large store costs no more than this.
    public static let maxNegatives = 10_000

    public static func find(_ all: [Series], horizon: Int) -> [Resemblance] {
        // The windows with a known outcome.
        typealias Known = (account: String, churnDay: Int?, positive: Bool, t: [Double])
        var positives: [Known] = [], negatives: [Known] = []
        for s in all {
            if let churn = s.churnDay, let t = trajectory(s, endingOn: churn - 1) { positives.append((s.account, churn, true, t)) }
            for back in 1...3 {
                let end = horizon - back * horizonDays
                guard s.churnDay.map({ end < $0 - 1 }) ?? true, let t = trajectory(s, endingOn: end) else { continue }
                let positive = s.churnDay.map { $0 <= end + horizonDays } ?? false
                if positive { positives.append((s.account, s.churnDay, true, t)) } else { negatives.append((s.account, s.churnDay, false, t)) }
            }
        }
        guard !positives.isEmpty else { return [] }
        // An even sample of the windows no churn followed, each standing for `weight` of them.
        let step = max(1, (negatives.count + maxNegatives - 1) / maxNegatives)
        let sampled = stride(from: 0, to: negatives.count, by: step).map { negatives[$0] }
        let weight = sampled.isEmpty ? 1 : Double(negatives.count) / Double(sampled.count)
        let known = positives + sampled
        var out: [Resemblance] = []
        for s in all where s.churnDay == nil && s.firstDay + s.scores.count - 1 >= horizon - 7 {
            guard let t = trajectory(s, endingOn: horizon) else { continue }
            // The k nearest, kept sorted as they are found; a window already farther than the
            // k-th is left as soon as its partial distance says so.
            var nearest: [(i: Int, d: Double)] = []
            for (i, other) in known.enumerated() where other.account != s.account {
                guard let sum = squaredGap(t, other.t, within: nearest.count == k ? nearest[k - 1].d : .infinity) else { continue }
                let at = nearest.firstIndex { ($0.d, known[$0.i].account) > (sum, other.account) } ?? nearest.count
                nearest.insert((i, sum), at: at)
                if nearest.count > k { nearest.removeLast() }
            }
            let near = nearest.map { (k: known[$0.i], d: distance(squared: $0.d)) }
            let positive = near.filter { $0.k.positive }
            let share = Double(positive.count) / (Double(positive.count) + Double(near.count - positive.count) * weight)
            guard share > 0.5 else { continue }
            var seen = Set<String>()
            let resembles = positive.compactMap { n -> Resemblance.Neighbour? in
                guard let churn = n.k.churnDay, seen.insert(n.k.account).inserted else { return nil }
                return .init(account: n.k.account, churnDay: churn, distance: (n.d * 10).rounded() / 10)
            }
            out.append(Resemblance(account: s.account, share: (share * 100).rounded() / 100, resembles: resembles))
        }
        return out.sorted { ($0.share, -($0.resembles.first?.distance ?? 0), $1.account) > ($1.share, -($1.resembles.first?.distance ?? 0), $0.account) }
    }
}
