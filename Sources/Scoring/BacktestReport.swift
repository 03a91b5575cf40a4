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

    enum CodingKeys: String, CodingKey {
        case rules, accounts, churned, churnedRedBeforehand = "churned_red_beforehand", medianRedLeadDays = "median_red_lead_days"
        case redAccountsPerWeek = "red_accounts_per_week", horizons, rocAuc90d = "roc_auc_90d", overrides
        case leadTimes = "lead_times", weeks
    }

    public init(rules: String, accounts: Int, churned: Int, churnedRedBeforehand: Int, medianRedLeadDays: Int?, redAccountsPerWeek: Double?,
                horizons: [Horizon], rocAuc90d: Double?, overrides: Overrides, leadTimes: [LeadTime], weeks: [Week]) {
        (self.rules, self.accounts, self.churned, self.churnedRedBeforehand) = (rules, accounts, churned, churnedRedBeforehand)
        (self.medianRedLeadDays, self.redAccountsPerWeek, self.horizons, self.rocAuc90d) = (medianRedLeadDays, redAccountsPerWeek, horizons, rocAuc90d)
        (self.overrides, self.leadTimes, self.weeks) = (overrides, leadTimes, weeks)
    }
}

extension Band {
    /// The order reports list bands in: the worst first.
    public static let reportOrder: [Band] = [.red, .yellow, .green]
}
