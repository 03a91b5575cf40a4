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

    /// The mean gap per point between two trajectories (root mean square).
    static func distance(_ a: [Double], _ b: [Double]) -> Double {
        var sum = 0.0
        for (x, y) in zip(a, b) { sum += (x - y) * (x - y) }
        return (sum / Double(points)).squareRoot()
    }

    public static func find(_ all: [Series], horizon: Int) -> [Resemblance] {
        // The windows with a known outcome.
        var known: [(account: String, churnDay: Int?, positive: Bool, t: [Double])] = []
        for s in all {
            if let churn = s.churnDay, let t = trajectory(s, endingOn: churn - 1) { known.append((s.account, churn, true, t)) }
            for back in 1...3 {
                let end = horizon - back * horizonDays
                guard s.churnDay.map({ end < $0 - 1 }) ?? true, let t = trajectory(s, endingOn: end) else { continue }
                let positive = s.churnDay.map { $0 <= end + horizonDays } ?? false
                known.append((s.account, s.churnDay, positive, t))
            }
        }
        guard known.contains(where: \.positive) else { return [] }
        var out: [Resemblance] = []
        for s in all where s.churnDay == nil && s.firstDay + s.scores.count - 1 >= horizon - 7 {
            guard let t = trajectory(s, endingOn: horizon) else { continue }
            var scored: [(k: (account: String, churnDay: Int?, positive: Bool, t: [Double]), d: Double)] = []
            for other in known where other.account != s.account { scored.append((other, distance(t, other.t))) }
            scored.sort { ($0.d, $0.k.account) < ($1.d, $1.k.account) }
            let nearest = scored.prefix(k)
            let positives = nearest.filter { $0.k.positive }
            guard positives.count * 2 > nearest.count else { continue }
            var seen = Set<String>()
            let resembles = positives.compactMap { n -> Resemblance.Neighbour? in
                guard let churn = n.k.churnDay, seen.insert(n.k.account).inserted else { return nil }
                return .init(account: n.k.account, churnDay: churn, distance: (n.d * 10).rounded() / 10)
            }
            out.append(Resemblance(account: s.account, share: (Double(positives.count) / Double(nearest.count) * 100).rounded() / 100, resembles: resembles))
        }
        return out.sorted { ($0.share, -($0.resembles.first?.distance ?? 0), $1.account) > ($1.share, -($1.resembles.first?.distance ?? 0), $0.account) }
    }
}
