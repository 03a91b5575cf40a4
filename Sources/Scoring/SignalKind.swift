/// The signals a rules file can weigh, each with the parameters it takes. A signal turns an
/// account's events up to a time into a health value between 0 (at risk) and 1 (healthy), or
/// says it has no input (then it is neutral: left out of the score, and the score says so).
public enum SignalKind: String, CaseIterable, Sendable {
    case usageTrend = "usage_trend"
    case seatUtilisation = "seat_utilisation"
    case featureBreadthChange = "feature_breadth_change"
    case openTickets = "open_tickets"
    case ticketVolumeTrend = "ticket_volume_trend"
    case questionRateTrend = "question_rate_trend"
    case sentimentTrend = "sentiment_trend"
    case daysSinceHumanContact = "days_since_human_contact"
    case milestones
    case nps
    case communityTrend = "community_trend"
    case championChange = "champion_change"

    /// One parameter: its name, default, and the values it may take.
    public struct Parameter: Sendable {
        public enum Kind: Sendable {
            /// A whole number of days, 1 to 730.
            case days
            /// A number ≥ 0 (a percentage, a penalty, a weight per priority).
            case amount
        }

        public let name: String
        public let kind: Kind
        public let defaultValue: Double

        /// Why `value` is not allowed, or nil.
        func problem(_ value: Double) -> String? {
            switch kind {
            case .days:
                value == value.rounded() && value >= 1 && value <= 730 ? nil : "must be a whole number of days from 1 to 730"
            case .amount:
                value.isFinite && value >= 0 ? nil : "must be a number ≥ 0"
            }
        }
    }

    public var parameters: [Parameter] {
        func days(_ name: String, _ d: Double) -> Parameter { Parameter(name: name, kind: .days, defaultValue: d) }
        func amount(_ name: String, _ d: Double) -> Parameter { Parameter(name: name, kind: .amount, defaultValue: d) }
        switch self {
        case .usageTrend: return [days("recent_days", 7), days("baseline_days", 28), amount("full_drop_pct", 50)]
        case .seatUtilisation: return [days("window_days", 7), amount("healthy_pct", 80)]
        case .featureBreadthChange: return [days("window_days", 28), days("lookback_days", 90), amount("full_drop_pct", 50)]
        case .openTickets:
            return [amount("urgent", 4), amount("high", 2), amount("normal", 1), amount("low", 0.5), amount("full_load", 8)]
        case .ticketVolumeTrend: return [days("recent_days", 30), days("baseline_days", 90), amount("full_rise_pct", 100)]
        case .questionRateTrend: return [days("recent_days", 30), days("baseline_days", 90), amount("full_drop_pct", 60)]
        case .sentimentTrend: return [days("recent_days", 30), days("baseline_days", 90), amount("full_drop", 0.5)]
        case .daysSinceHumanContact: return [days("healthy_days", 14), days("full_days", 60)]
        case .milestones: return [amount("overdue_penalty", 0.25), amount("missed_penalty", 0.5)]
        case .nps: return [days("lookback_days", 180), amount("detractor_max", 6), amount("promoter_min", 9)]
        case .communityTrend: return [days("recent_days", 30), days("baseline_days", 90), amount("full_drop_pct", 75)]
        case .championChange: return [days("window_days", 90)]
        }
    }

    public static let names = allCases.map(\.rawValue)
}
