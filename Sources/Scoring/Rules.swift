import ThroughlineCore

/// A health rules file: its version, the signals it weighs and the score bands. Scores are a
/// pure function of an account's events and one `Rules`, so a version names one way of scoring.
public struct Rules: Sendable, Equatable {
    public struct Signal: Sendable, Equatable {
        public let kind: SignalKind
        public var weight: Double
        /// A free label (adoption, support, relationship, …) that reports add contributions up by.
        public var group: String
        /// Every parameter of the kind: the file's value or the default.
        public let parameters: [String: Double]
        /// The signal with its parameters read into its typed fields, once.
        let definition: any SignalDefinition

        /// `parameters` may name only the kind's parameters (the loader has checked their values).
        public init(kind: SignalKind, weight: Double, group: String, parameters: [String: Double]) {
            let declared = kind.parameters
            precondition(parameters.keys.allSatisfy { name in declared.contains { $0.name == name } },
                         "\(kind) takes no parameters \(parameters.keys.filter { name in !declared.contains { $0.name == name } }.sorted())")
            self.kind = kind
            self.weight = weight
            self.group = group
            self.parameters = Dictionary(uniqueKeysWithValues: declared.map { ($0.name, parameters[$0.name] ?? $0.defaultValue) })
            definition = kind.definition.init(SignalParameters(declared: declared, given: parameters))
        }

        public static func == (a: Signal, b: Signal) -> Bool {
            a.kind == b.kind && a.weight == b.weight && a.group == b.group && a.parameters == b.parameters
        }
    }

    /// A band covers scores from `min` (inclusive) to `max` (exclusive, except 100).
    public struct BandRange: Sendable, Equatable {
        public var band: Band
        public var min: Double
        public var max: Double
    }

    /// A condition that moves the band on its own: while `signal`'s value is below `below`, the
    /// score is held at or under the top of `band` (its max less a tenth), whatever the other
    /// signals say. The explanation names it as the reason.
    public struct Cap: Sendable, Equatable {
        public var signal: SignalKind
        public var below: Double
        public var band: Band

        public init(signal: SignalKind, below: Double, band: Band) {
            (self.signal, self.below, self.band) = (signal, below, band)
        }
    }

    /// How bands resist flapping: a day's score outside the band in force changes the band only
    /// once the score has been outside it for `days` days in a row, or at once if it is beyond
    /// the band's edge by at least `margin` points.
    public struct Hysteresis: Sendable, Equatable {
        public var days: Int
        public var margin: Double?

        public init(days: Int, margin: Double?) { (self.days, self.margin) = (days, margin) }
    }

    public var version: String
    public var description: String?
    public var signals: [Signal]
    /// Ordered by `min`; together they cover 0–100 exactly.
    public var bands: [BandRange]
    /// Each names a signal of `signals` (weighed or not).
    public var caps: [Cap]
    public var hysteresis: Hysteresis?

    public init(version: String, description: String?, signals: [Signal], bands: [BandRange], caps: [Cap] = [], hysteresis: Hysteresis? = nil) {
        (self.version, self.description, self.signals, self.bands) = (version, description, signals, bands)
        (self.caps, self.hysteresis) = (caps, hysteresis)
    }

    /// The band of a score, alone (without the days before it: see `bands(of:)`).
    public func band(of score: Double) -> Band {
        bands.first { score >= $0.min && (score < $0.max || $0.max == 100) }?.band ?? bands[bands.count - 1].band
    }

    /// The band of each day of a series of daily scores, with the hysteresis applied: a day
    /// without a score has no band and leaves the band in force as it was.
    public func bands(of scores: some Sequence<Double?>) -> [Band?] {
        var out: [Band?] = []
        out.reserveCapacity(scores.underestimatedCount)
        var current: BandRange?
        var outside = 0
        for score in scores {
            guard let score else {
                out.append(nil)
                continue
            }
            let range = bands.first { score >= $0.min && (score < $0.max || $0.max == 100) } ?? bands[bands.count - 1]
            if let held = current, held.band != range.band, let h = hysteresis {
                outside += 1
                let beyond = score < held.min ? held.min - score : score - held.max
                if outside >= h.days || h.margin.map({ beyond >= $0 }) == true {
                    current = range
                    outside = 0
                }
            } else {
                current = range
                outside = 0
            }
            out.append(current?.band)
        }
        return out
    }

    /// The highest score `band` allows: the top of its range less a tenth (100 for the top band).
    public func ceiling(of band: Band) -> Double {
        guard let r = bands.first(where: { $0.band == band }) else { return 100 }
        return r.max == 100 ? 100 : ((r.max - 0.1) * 10).rounded() / 10
    }

    /// The signals a score reads: those weighed above 0 and those a cap names.
    var read: [Signal] { signals.filter { s in s.weight > 0 || caps.contains { $0.signal == s.kind } } }

    /// The cap that holds `score` lowest, given each read signal's value (in `read`'s order),
    /// with the score it holds it at; nil if none holds it below where it is.
    func cap(_ score: Double, values: (SignalKind) -> Double?) -> (cap: Cap, score: Double)? {
        var held: (cap: Cap, score: Double)?
        for c in caps {
            guard let v = values(c.signal), v < c.below else { continue }
            let ceiling = ceiling(of: c.band)
            if ceiling < (held?.score ?? score) { held = (c, ceiling) }
        }
        return held
    }
}

/// One thing wrong with a rules file: where (line and column, 1-based; the path of keys) and why.
public struct RulesProblem: Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var path: String
    public var message: String

    public var description: String { "\(line):\(column): \(path.isEmpty ? "" : path + ": ")\(message)" }
}

/// Every problem found in a rules file, each with its place.
public struct RulesError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var problems: [RulesProblem]

    public var description: String { problems.map { "\(file):\($0)" }.joined(separator: "\n") }
}
