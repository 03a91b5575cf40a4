/// A page of the portfolio as `GET /v1/accounts` answers, typed: each account's profile figures,
/// last human contact, current score and band, and (when asked) its attention flags; the pages
/// and the CLI render these fields, and JSON is written once, at the edge. Keys without a value
/// are left out (an account with no plan has no `plan`), as the API has always answered.
public struct PortfolioView: Codable, Sendable, Equatable {
    public struct Row: Codable, Sendable, Equatable {
        public var account: String
        public var name: String?
        public var plan: String?
        public var csm: String?
        public var renewalDate: String?
        public var arr: Double?
        public var daysToRenewal: Int?
        public var lastHumanContact: String?
        public var score: Double?
        public var band: Band?
        public var events: Int
        /// The day a churned account churned (it raises no attention flags).
        public var churned: String?
        /// The context view's flags, when the read asked for them.
        public var flags: [AccountContext.Flag]?

        public init(account: String, events: Int) { (self.account, self.events) = (account, events) }

        enum CodingKeys: String, CodingKey {
            case account, name, plan, csm, renewalDate = "renewal_date", arr, daysToRenewal = "days_to_renewal"
            case lastHumanContact = "last_human_contact", score, band, events, churned, flags
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(account, forKey: .account)
            if let name { try c.encode(name, forKey: .name) }
            if let plan { try c.encode(plan, forKey: .plan) }
            if let csm { try c.encode(csm, forKey: .csm) }
            if let renewalDate { try c.encode(renewalDate, forKey: .renewalDate) }
            if let arr { try c.encode(arr, forKey: .arr) }
            if let daysToRenewal { try c.encode(daysToRenewal, forKey: .daysToRenewal) }
            if let lastHumanContact { try c.encode(lastHumanContact, forKey: .lastHumanContact) }
            if let score { try c.encode(score, forKey: .score) }
            if let band { try c.encode(band, forKey: .band) }
            try c.encode(events, forKey: .events)
            if let churned { try c.encode(churned, forKey: .churned) }
            if let flags { try c.encode(flags, forKey: .flags) }
        }
    }

    public var accounts: [Row]
    /// The offset of the next page, if there is one.
    public var nextOffset: Int?

    public init(accounts: [Row], nextOffset: Int?) { (self.accounts, self.nextOffset) = (accounts, nextOffset) }

    enum CodingKeys: String, CodingKey { case accounts, nextOffset = "next_offset" }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(accounts, forKey: .accounts)
        if let nextOffset { try c.encode(nextOffset, forKey: .nextOffset) }
    }
}
