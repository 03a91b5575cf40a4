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

    public var version: String
    public var description: String?
    public var signals: [Signal]
    /// Ordered by `min`; together they cover 0–100 exactly.
    public var bands: [BandRange]

    public init(version: String, description: String?, signals: [Signal], bands: [BandRange]) {
        (self.version, self.description, self.signals, self.bands) = (version, description, signals, bands)
    }

    /// The band of a score.
    public func band(of score: Double) -> Band {
        bands.first { score >= $0.min && (score < $0.max || $0.max == 100) }?.band ?? bands[bands.count - 1].band
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
