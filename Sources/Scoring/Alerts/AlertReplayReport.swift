import ThroughlineCore

/// What a set of alert rules would have fired over all history, and how well each rule warned
/// of the churns that came: for each rule, the churned accounts it warned within `window` days
/// before the churn (and how many days before, at the median), and its precision: of its
/// firings whose `window` days after are known, the share followed by a churn within them.
public struct AlertReplayReport: Sendable, Encodable {
    public struct Figures: Sendable, Encodable {
        public var rule: String
        public var firings: Int
        public var accounts: Int
        /// Churned accounts with a firing in the window before the churn.
        public var churnsWarned: Int
        public var medianLeadDays: Double?
        /// Firings judged (their window is known), and the share of them a churn followed.
        public var judged: Int
        public var precision: Double?

        enum CodingKeys: String, CodingKey {
            case rule, firings, accounts, churnsWarned = "churns_warned", medianLeadDays = "median_lead_days", judged, precision
        }
    }

    /// One account's firings and the day it churned, if it did.
    public struct Account: Sendable {
        public var account: String
        public var churnDay: Int?
        public var firings: [AlertFiring]

        public init(account: String, churnDay: Int?, firings: [AlertFiring]) {
            (self.account, self.churnDay, self.firings) = (account, churnDay, firings)
        }
    }

    public var alerts: String
    public var rules: String
    public var through: String
    public var window: Int
    public var accounts: Int
    public var churns: Int
    /// Per rule, then `*` for any rule.
    public var figures: [Figures]

    enum CodingKeys: String, CodingKey { case alerts, rules, through, window, accounts, churns, figures }

    public init(alerts: AlertRules, rules: String, through horizon: Int, window: Int = 90, accounts: [Account]) {
        self.alerts = alerts.version
        self.rules = rules
        through = CalendarDate(daysSinceEpoch: horizon).description
        self.window = window
        self.accounts = accounts.count
        churns = accounts.filter { $0.churnDay != nil }.count
        func figures(_ rule: String, _ keep: (AlertFiring) -> Bool) -> Figures {
            var f = Figures(rule: rule, firings: 0, accounts: 0, churnsWarned: 0, judged: 0)
            var leads: [Int] = [], followed = 0
            for a in accounts {
                let fired = a.firings.filter(keep)
                guard !fired.isEmpty else { continue }
                f.firings += fired.count
                f.accounts += 1
                if let churn = a.churnDay, let first = fired.first(where: { $0.day < churn && $0.day >= churn - window }) {
                    f.churnsWarned += 1
                    leads.append(churn - first.day)
                }
                for x in fired {
                    if let churn = a.churnDay, churn > x.day - 1, churn <= x.day + window {
                        followed += 1
                        f.judged += 1
                    } else if x.day + window <= horizon {
                        f.judged += 1
                    }
                }
            }
            leads.sort()
            f.medianLeadDays = leads.isEmpty ? nil : leads.count % 2 == 1 ? Double(leads[leads.count / 2])
                : Double(leads[leads.count / 2 - 1] + leads[leads.count / 2]) / 2
            f.precision = f.judged == 0 ? nil : (Double(followed) / Double(f.judged) * 1000).rounded() / 1000
            return f
        }
        self.figures = alerts.rules.map { r in figures(r.id) { $0.rule == r.id } } + [figures("*") { _ in true }]
    }
}
