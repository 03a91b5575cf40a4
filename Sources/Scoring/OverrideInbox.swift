import ThroughlineCore

/// The accounts whose CSM override in force names another band than the rules compute, oldest
/// override first: where the rules and the people who know the account disagree, the inbox
/// the rules learn from (`GET /v1/overrides`, the `/overrides` page).
public struct OverrideInbox: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        public var account: String
        public var name: String?
        public var csm: String?
        /// The override: the band the CSM named, who, why, since when, until when.
        public var band: Band
        public var author: String
        public var reason: String
        public var since: String
        public var expires: CalendarDate?
        public var seq: UInt64
        /// The rules' current band and score (nil before the account is scored).
        public var computedBand: Band?
        public var score: Double?

        enum CodingKeys: String, CodingKey {
            case account, name, csm, band, author, reason, since, expires, seq, computedBand = "computed_band", score
        }

        public init(account: String, name: String?, csm: String?, band: Band, author: String, reason: String, since: String,
                    expires: CalendarDate?, seq: UInt64, computedBand: Band?, score: Double?) {
            (self.account, self.name, self.csm, self.band, self.author, self.reason) = (account, name, csm, band, author, reason)
            (self.since, self.expires, self.seq, self.computedBand, self.score) = (since, expires, seq, computedBand, score)
        }

        /// Whether the override names another band than the rules compute.
        public var disagrees: Bool { computedBand != band }
    }

    public var asOf: String
    /// Overrides in force that disagree with the computed band, oldest first.
    public var disagreeing: [Entry]
    /// Overrides in force in all (agreeing or not).
    public var inForce: Int

    enum CodingKeys: String, CodingKey { case asOf = "as_of", disagreeing, inForce = "in_force" }

    public init(asOf: String, disagreeing: [Entry], inForce: Int) { (self.asOf, self.disagreeing, self.inForce) = (asOf, disagreeing, inForce) }
}
