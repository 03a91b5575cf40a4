import ThroughlineCore

/// Why an account scores what it does, as `GET /v1/accounts/{id}/scores/explain` answers,
/// typed: every contribution with its figures, reason and seqs (the largest cost first), the cap
/// that holds the score down (if one does), the neutral signals and why, and the CSM override in
/// force beside (never instead of) the computed band. Figures are rounded to hundredths. Keys
/// without a value (`account` before the route names it, `capped`, `override`, `expires`) are
/// left out rather than written as null.
public struct ScoreExplanation: Codable, Sendable, Equatable {
    public struct Contribution: Codable, Sendable, Equatable {
        public var signal: String
        public var group: String
        public var weight: Double
        public var value: Double
        public var points: Double
        public var maxPoints: Double
        /// What the signal measured, by name (each signal its own: `change_pct`, `days`, …).
        public var figures: JSONValue
        public var reason: String
        public var seqs: [UInt64]

        enum CodingKeys: String, CodingKey { case signal, group, weight, value, points, maxPoints = "max_points", figures, reason, seqs }
    }

    public struct Capped: Codable, Sendable, Equatable {
        public var signal: String
        public var value: Double
        public var below: Double
        public var band: Band
        public var uncappedScore: Double
        public var reason: String
        public var seqs: [UInt64]

        enum CodingKeys: String, CodingKey { case signal, value, below, band, uncappedScore = "uncapped_score", reason, seqs }
    }

    public struct Neutral: Codable, Sendable, Equatable {
        public var signal: String
        public var reason: String
    }

    public struct Override: Codable, Sendable, Equatable {
        public var band: Band
        public var author: String
        public var reason: String
        public var since: String
        public var expires: CalendarDate?
        public var disagrees: Bool
        public var seq: UInt64

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(band, forKey: .band)
            try c.encode(author, forKey: .author)
            try c.encode(reason, forKey: .reason)
            try c.encode(since, forKey: .since)
            if let expires { try c.encode(expires, forKey: .expires) }
            try c.encode(disagrees, forKey: .disagrees)
            try c.encode(seq, forKey: .seq)
        }
    }

    public var account: String?
    public var rules: String
    public var at: String
    public var score: Double?
    public var band: Band?
    public var contributions: [Contribution]
    public var capped: Capped?
    public var neutral: [Neutral]
    public var override: Override?

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if let account { try c.encode(account, forKey: .account) }
        try c.encode(rules, forKey: .rules)
        try c.encode(at, forKey: .at)
        try c.encode(score, forKey: .score)
        try c.encode(band, forKey: .band)
        try c.encode(contributions, forKey: .contributions)
        if let capped { try c.encode(capped, forKey: .capped) }
        try c.encode(neutral, forKey: .neutral)
        if let override { try c.encode(override, forKey: .override) }
    }
}

extension Score {
    /// The score explained, as the API shows it (see `ScoreExplanation`).
    public var explanation: ScoreExplanation {
        func hundredths(_ v: Double) -> Double { (v * 100).rounded() / 100 }
        let ordered = topReasons + contributions.filter { c in !topReasons.contains { $0.signal == c.signal } }
        return ScoreExplanation(
            account: nil, rules: rules, at: Timestamp.utc(microseconds: at).description, score: score.map(hundredths), band: band,
            contributions: ordered.map { c in
                .init(signal: c.signal.rawValue, group: c.group, weight: hundredths(c.weight), value: hundredths(c.value),
                      points: hundredths(c.points), maxPoints: hundredths(c.maxPoints), figures: .object(c.figures), reason: c.reason, seqs: c.seqs)
            },
            capped: held.map(\.explained),
            neutral: neutral.map { .init(signal: $0.signal.rawValue, reason: $0.reason) },
            override: override.map { o in
                .init(band: o.value.band, author: o.value.author, reason: o.value.reason, since: Timestamp.utc(microseconds: o.time).description,
                      expires: o.value.expires, disagrees: overrideDisagrees, seq: o.seq)
            })
    }
}

extension Score.Held {
    /// The cap as the API shows it: the signal, its value and the threshold it is below, the band
    /// it holds the score in, the score before it, the signal's reason and seqs.
    public var explained: ScoreExplanation.Capped {
        func hundredths(_ v: Double) -> Double { (v * 100).rounded() / 100 }
        return .init(signal: cap.signal.rawValue, value: hundredths(value), below: hundredths(cap.below), band: cap.band,
                     uncappedScore: hundredths(uncapped), reason: reason, seqs: seqs)
    }
}
