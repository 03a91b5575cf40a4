import ThroughlineCore

/// A health rules file: its version, the signals it weighs and the score bands. Scores are a
/// pure function of an account's events and one `Rules`, so a version names one way of scoring.
public struct Rules: Sendable, Equatable {
    public struct Signal: Sendable, Equatable {
        public var kind: SignalKind { didSet { resolved = Self.resolve(kind, parameters) } }
        public var weight: Double
        /// A free label (adoption, support, relationship, …) that reports add contributions up by.
        public var group: String
        /// Every parameter of the kind, the file's value or the default.
        public var parameters: [String: Double] { didSet { resolved = Self.resolve(kind, parameters) } }
        /// The same, in the kind's order, for lookups on the scoring path: a few short names
        /// compared in place beat hashing one on every day of every account.
        private var resolved: [Parameter]

        struct Parameter: Sendable, Equatable {
            let name: String
            let value: Double
        }

        public init(kind: SignalKind, weight: Double, group: String, parameters: [String: Double]) {
            self.kind = kind
            self.weight = weight
            self.group = group
            self.parameters = parameters
            resolved = Self.resolve(kind, parameters)
        }

        static func resolve(_ kind: SignalKind, _ parameters: [String: Double]) -> [Parameter] {
            kind.parameters.map { Parameter(name: $0.name, value: parameters[$0.name] ?? $0.defaultValue) }
                + parameters.filter { p in !kind.parameters.contains { $0.name == p.key } }.sorted { $0.key < $1.key }.map { Parameter(name: $0.key, value: $0.value) }
        }

        public func parameter(_ name: String) -> Double {
            for p in resolved where p.name == name { return p.value }
            return 0
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
