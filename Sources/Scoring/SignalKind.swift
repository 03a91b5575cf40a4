/// The signals a rules file can weigh, by name. Each is defined in a file of its own under
/// `Signals/`; this list names them once, in the order the schema and the documentation use.
public struct SignalKind: Hashable, Sendable, CaseIterable, RawRepresentable, CustomStringConvertible {
    static let definitions: [any SignalDefinition.Type] = [
        UsageTrend.self, SeatUtilisation.self, FeatureBreadthChange.self, OpenTickets.self, TicketVolumeTrend.self,
        QuestionRateTrend.self, SentimentTrend.self, DaysSinceHumanContact.self, Milestones.self, NPS.self,
        CommunityTrend.self, ChampionChange.self, UsageSlope.self, ContactCadence.self, UsageLevel.self,
    ]

    public static let allCases = definitions.indices.map(SignalKind.init(index:))
    public static let names = allCases.map(\.rawValue)

    private let index: Int

    private init(index: Int) { self.index = index }

    public init?(rawValue: String) {
        guard let i = Self.definitions.firstIndex(where: { $0.name == rawValue }) else { return nil }
        index = i
    }

    var definition: any SignalDefinition.Type { Self.definitions[index] }

    public var rawValue: String { definition.name }
    public var description: String { rawValue }

    /// The parameters it takes, with their defaults and the values they may take.
    public var parameters: [SignalParameter] { definition.parameters }

    /// The signal named so (for code and tests that name one).
    public static func named(_ name: String) -> SignalKind {
        guard let kind = SignalKind(rawValue: name) else { preconditionFailure("no signal named \(name)") }
        return kind
    }
}
