import ThroughlineCore

/// How well one rules version's scores would have predicted the churns the log records (see
/// `Backtest` for how each figure is counted): the figures of the replay's report, its JSON and
/// CSV, the what-if page and `replay`'s summary, read by name, not by string.
public struct BacktestReport: Codable, Sendable, Equatable {
    /// "Red within `days` days before churn", counted per account.
    public struct Horizon: Codable, Sendable, Equatable {
        public var days: Int
        public var truePositives: Int, falsePositives: Int, falseNegatives: Int, trueNegatives: Int
        /// Rounded to four places; nil without a denominator.
        public var precision: Double?, recall: Double?, f1: Double?

        enum CodingKeys: String, CodingKey {
            case days, truePositives = "true_positives", falsePositives = "false_positives", falseNegatives = "false_negatives"
            case trueNegatives = "true_negatives", precision, recall, f1
        }
    }

    /// Accounts by band, in the order the report lists bands.
    public struct BandCounts: Codable, Sendable, Equatable {
        public var red = 0, yellow = 0, green = 0

        public subscript(band: Band) -> Int {
            get {
                switch band {
                case .red: red
                case .yellow: yellow
                case .green: green
                }
            }
            set {
                switch band {
                case .red: red = newValue
                case .yellow: yellow = newValue
                case .green: green = newValue
                }
            }
        }
    }

    /// The CSMs' overrides against the band computed for their day.
    public struct Overrides: Codable, Sendable, Equatable {
        public var overrides: Int
        public var agreement: Double?
        /// By the override's band, the computed bands.
        public var byComputedBand: [String: BandCounts]

        enum CodingKeys: String, CodingKey { case overrides, agreement, byComputedBand = "override_band_by_computed_band" }

        public init(overrides: Int, agreement: Double?, byComputedBand: [Band: BandCounts]) {
            self.overrides = overrides
            self.agreement = agreement
            self.byComputedBand = Dictionary(uniqueKeysWithValues: byComputedBand.map { ($0.key.rawValue, $0.value) })
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(overrides, forKey: .overrides)
            try c.encodeIfPresent(agreement, forKey: .agreement)
            var table = c.nestedContainer(keyedBy: JSONKey.self, forKey: .byComputedBand)
            for band in Band.reportOrder { try table.encode(byComputedBand[band.rawValue] ?? BandCounts(), forKey: JSONKey(band.rawValue)) }
        }
    }

    /// One churned account: its first red (and first yellow-or-red) day in the lead window, and
    /// how many days before the churn.
    public struct LeadTime: Codable, Sendable, Equatable {
        public var account: String
        public var churnDate: CalendarDate
        public var firstRed: CalendarDate?
        public var redLeadDays: Int?
        public var firstYellowOrRed: CalendarDate?
        public var yellowLeadDays: Int?

        enum CodingKeys: String, CodingKey {
            case account, churnDate = "churn_date", firstRed = "first_red", redLeadDays = "red_lead_days"
            case firstYellowOrRed = "first_yellow_or_red", yellowLeadDays = "yellow_lead_days"
        }
    }

    /// One week (Monday to Sunday): the accounts in each band on its last day, and those red on
    /// some day of it.
    public struct Week: Codable, Sendable, Equatable {
        public var week: CalendarDate
        public var red: Int, yellow: Int, green: Int
        public var redDuringWeek: Int

        enum CodingKeys: String, CodingKey { case week, red, yellow, green, redDuringWeek = "red_during_week" }
    }

    /// How early and how precisely one kind of alarm (red, or yellow-or-red) warns: see
    /// `Backtest.warning` for how each figure is counted.
    public struct Warning: Codable, Sendable, Equatable {
        /// Churned accounts in the alarm band on some day from `Backtest.warningWindow` days to
        /// `days` days before their churn: warned with at least `days` days to act.
        public struct Warned: Codable, Sendable, Equatable {
            public var days: Int
            public var accounts: Int
            public var share: Double?
        }

        /// Churned accounts by the days from their first alarm in the warning window to the churn.
        public struct LeadBucket: Codable, Sendable, Equatable {
            public var fromDays: Int, toDays: Int
            public var accounts: Int

            enum CodingKeys: String, CodingKey { case fromDays = "from_days", toDays = "to_days", accounts }
        }

        public var alarm: String
        public var churned: Int
        public var warned: [Warned]
        public var medianLeadDays: Int?
        public var leadDays: [LeadBucket]
        /// Accounts alarmed before a churn that followed within the window, alarmed with no churn
        /// following within the window (the log covering it), and alarmed only so lately that the
        /// log does not yet say (left out of the precision).
        public var trueAlarms: Int, falseAlarms: Int, pending: Int
        public var precision: Double?
        /// Accounts in the alarm band on some day of a week, per CSM and week, averaged over the
        /// CSMs and weeks; and the most any one CSM had on average.
        public var perCsmWeek: Double?
        public var perCsmWeekMost: Double?

        enum CodingKeys: String, CodingKey {
            case alarm, churned, warned, medianLeadDays = "median_lead_days", leadDays = "lead_days", trueAlarms = "true_alarms"
            case falseAlarms = "false_alarms", pending, precision, perCsmWeek = "per_csm_week", perCsmWeekMost = "per_csm_week_most"
        }
    }

    public var rules: String
    public var accounts: Int
    public var churned: Int
    public var churnedRedBeforehand: Int
    public var medianRedLeadDays: Int?
    public var redAccountsPerWeek: Double?
    public var horizons: [Horizon]
    public var rocAuc90d: Double?
    public var overrides: Overrides
    public var leadTimes: [LeadTime]
    public var weeks: [Week]
    /// Red, then yellow-or-red, as early warnings.
    public var warnings: [Warning]

    enum CodingKeys: String, CodingKey {
        case rules, accounts, churned, churnedRedBeforehand = "churned_red_beforehand", medianRedLeadDays = "median_red_lead_days"
        case redAccountsPerWeek = "red_accounts_per_week", horizons, rocAuc90d = "roc_auc_90d", overrides
        case leadTimes = "lead_times", weeks, warnings
    }

    public init(rules: String, accounts: Int, churned: Int, churnedRedBeforehand: Int, medianRedLeadDays: Int?, redAccountsPerWeek: Double?,
                horizons: [Horizon], rocAuc90d: Double?, overrides: Overrides, leadTimes: [LeadTime], weeks: [Week], warnings: [Warning]) {
        (self.rules, self.accounts, self.churned, self.churnedRedBeforehand) = (rules, accounts, churned, churnedRedBeforehand)
        (self.medianRedLeadDays, self.redAccountsPerWeek, self.horizons, self.rocAuc90d) = (medianRedLeadDays, redAccountsPerWeek, horizons, rocAuc90d)
        (self.overrides, self.leadTimes, self.weeks, self.warnings) = (overrides, leadTimes, weeks, warnings)
    }
}

extension Band {
    /// The order reports list bands in: the worst first.
    public static let reportOrder: [Band] = [.red, .yellow, .green]
}
