import ThroughlineCore

/// An account's health at a time under one rules version: 0–100, its band, and what each
/// signal contributed, so every point can be traced to the events behind it.
public struct Score: Sendable {
    public struct Contribution: Sendable {
        public var signal: SignalKind
        public var group: String
        public var weight: Double
        /// The signal's health value, 0–1.
        public var value: Double
        /// Its share of the score: weight × value over the weights of the signals that had input, × 100.
        public var points: Double
        /// Points it would add at full health: what it costs the account now is `maxPoints − points`.
        public var maxPoints: Double
        public var figures: [JSONMember]
        public var reason: String
        public var seqs: [UInt64]
    }

    /// A cap that held the score down: the signal's reading below the cap's threshold, and the
    /// score the weighed signals gave before it.
    public struct Held: Sendable {
        public var cap: Rules.Cap
        public var value: Double
        public var uncapped: Double
        public var reason: String
        public var seqs: [UInt64]
    }

    public var rules: String
    public var at: Int64
    /// Nil when no signal had input.
    public var score: Double?
    /// The band of the score on its own, or (where the score history is known, and the rules
    /// have hysteresis) the band in force that day.
    public var band: Band?
    /// The cap that holds the score down, if one does.
    public var held: Held?
    public var contributions: [Contribution]
    /// Signals without input, with why: neutral, left out of the score.
    public var neutral: [(signal: SignalKind, reason: String)]
    /// The CSM override in force at the time (the latest not yet expired): shown beside the
    /// computed score, never instead of it.
    public var override: Fact<HealthOverride>?

    /// True when an override is in force and names another band than the rules compute: the
    /// signal the rules are missing.
    public var overrideDisagrees: Bool { override.map { $0.value.band != band } ?? false }

    /// Scores `history` at `t` under `rules`, with every contribution explained.
    public init(_ history: AccountHistory, rules: Rules, at t: Int64) {
        self.rules = rules.version
        at = t
        var readings: [(Rules.Signal, Double, [JSONMember], String, [UInt64])] = []
        neutral = []
        for signal in rules.read {
            switch Signals.evaluate(signal, history, at: t) {
            case .reading(let value, let figures, let reason, let seqs): readings.append((signal, value, figures, reason, seqs))
            case .missing(let why): if signal.weight > 0 { neutral.append((signal.kind, why)) }
            }
        }
        let today = Day(containing: t).number
        override = history.overrides.upTo(t).last { $0.value.expires.map { $0.daysSinceEpoch >= today } ?? true }
        let total = readings.reduce(0) { $0 + $1.0.weight }
        contributions = readings.filter { $0.0.weight > 0 }.map { s, value, figures, reason, seqs in
            let max = Self.maxPoints(s.weight, total)
            return Contribution(signal: s.kind, group: s.group, weight: s.weight, value: value, points: value * max, maxPoints: max,
                                figures: figures, reason: reason, seqs: seqs)
        }
        let uncapped = Self.combine(contributions.lazy.map { ($0.weight, $0.value) })
        score = uncapped
        if let uncapped, let (cap, ceiling) = rules.cap(uncapped, values: { k in readings.first { $0.0.kind == k }?.1 }),
           let r = readings.first(where: { $0.0.kind == cap.signal }) {
            score = ceiling
            held = Held(cap: cap, value: r.1, uncapped: uncapped, reason: r.3, seqs: r.4)
        }
        band = score.map(rules.band(of:))
    }

    /// Scores `history` at `t` under `rules` with the band in force that day as the account's
    /// score history has it (which hysteresis may hold apart from the score's own band).
    public init(_ history: AccountHistory, rules: Rules, at t: Int64, band: Band?) {
        self.init(history, rules: rules, at: t)
        if score != nil { self.band = band }
    }

    /// A signal's share of the score at full health: its weight over the weights of the signals
    /// that had input, × 100.
    static func maxPoints(_ weight: Double, _ total: Double) -> Double { total > 0 ? weight / total * 100 : 0 }

    /// The score of (weight, value) readings: the sum of their points, rounded to a tenth so that
    /// the same inputs give the same score everywhere; nil without readings of any weight.
    static func combine(_ readings: some Collection<(Double, Double)>) -> Double? {
        let total = readings.reduce(0) { $0 + $1.0 }
        guard total > 0 else { return nil }
        return (readings.reduce(0) { $0 + $1.1 * maxPoints($1.0, total) } * 10).rounded() / 10
    }

    /// The score alone, as `Score(history, rules:, at:).score` computes it, without the
    /// explanation: what a score history needs for each day.
    public static func value(_ history: AccountHistory, rules: Rules, at t: Int64) -> Double? {
        var readings: [(Double, Double)] = []
        var values: [SignalKind: Double] = [:]
        for signal in rules.read {
            guard case .reading(let value, _, _, _) = Signals.evaluate(signal, history, at: t, explain: false) else { continue }
            if signal.weight > 0 { readings.append((signal.weight, value)) }
            values[signal.kind] = value
        }
        guard let score = combine(readings) else { return nil }
        return rules.cap(score) { values[$0] }?.score ?? score
    }

    /// The contributions that cost the most points, largest first: "why is this account red?".
    public var topReasons: [Contribution] {
        contributions.filter { $0.maxPoints - $0.points >= 0.05 }
            .sorted { ($0.maxPoints - $0.points, $1.signal.rawValue) > ($1.maxPoints - $1.points, $0.signal.rawValue) }
    }
}

extension Score {
    /// The score in short, as the context view shows it: score, band, the three reasons that cost
    /// the most points (with the points lost and the seqs behind each), and the override's band
    /// beside it with whether it disagrees.
    public var summary: [JSONMember] {
        var m: [JSONMember] = [
            JSONMember("score", score.map { .number(NumberText.plain($0)) } ?? .null),
            JSONMember("band", band.map { .string($0.rawValue) } ?? .null),
            JSONMember("top_reasons", .array(topReasons.prefix(3).map { c in
                .object([JSONMember("signal", .string(c.signal.rawValue)), JSONMember("reason", .string(c.reason)),
                         JSONMember("points_lost", .number(NumberText.plain(((c.maxPoints - c.points) * 10).rounded() / 10))),
                         JSONMember("seqs", .array(c.seqs.map { .number(String($0)) }))])
            })),
        ]
        if let held { m.append(JSONMember("capped", (try? JSONValueEncoder.encode(held.explained)) ?? .null)) }
        if let o = override {
            m.append(JSONMember("override_band", .string(o.value.band.rawValue)))
            m.append(JSONMember("override_disagrees", .bool(overrideDisagrees)))
        }
        return m
    }
}

extension Score.Held {
    /// One line: why the score is where it is.
    public var sentence: String {
        "\(cap.signal.rawValue) at \(NumberText.plain((value * 100).rounded() / 100)) is below \(NumberText.plain(cap.below)): "
            + "the score is held in \(cap.band.rawValue) (\(NumberText.plain(uncapped)) without the cap). \(reason)"
    }
}
