/// The event types: the 13 of the v1 event model, then identity (references linked to accounts,
/// accounts merged), then the people behind an account, then the store's own (which health rules score). The raw value is the `type` field's text; the
/// code is the one-byte tag the record codec stores.
public enum EventType: String, Sendable, CaseIterable, Hashable {
    case accountUpdated = "account.updated"
    case callCompleted = "call.completed"
    case ticketOpened = "ticket.opened"
    case ticketUpdated = "ticket.updated"
    case ticketClosed = "ticket.closed"
    case usageRecorded = "usage.recorded"
    case milestoneUpdated = "milestone.updated"
    case noteAdded = "note.added"
    case healthOverride = "health.override"
    case surveyAnswered = "survey.answered"
    case communityActivity = "community.activity"
    case accountRenewed = "account.renewed"
    case accountChurned = "account.churned"
    case identityLinked = "identity.linked"
    case identityUnlinked = "identity.unlinked"
    case accountMerged = "account.merged"
    case accountUnmerged = "account.unmerged"
    case contactUpdated = "contact.updated"
    case subjectForgotten = "subject.forgotten"
    case rulesActivated = "rules.activated"
    case alertFired = "alert.fired"
    case taskOpened = "task.opened"
    case taskClosed = "task.closed"
    case messageSent = "message.sent"
    case ticketTriaged = "ticket.triaged"
    case productReleased = "product.released"

    /// The types that say which account other events belong to (`IdentityMap`).
    public var isIdentity: Bool {
        switch self {
        case .identityLinked, .identityUnlinked, .accountMerged, .accountUnmerged: true
        default: false
        }
    }

    /// The types that belong to no customer account (filed under the store's own): folded into
    /// no account, and no account's time moves the scores' horizon with them.
    public var belongsToNoAccount: Bool { self == .rulesActivated || self == .productReleased }

    /// The stable one-byte code stored in records. Never renumber: it is part of the log format.
    public var code: UInt8 { UInt8(EventType.allCases.firstIndex(of: self)! + 1) }

    /// The type stored under `code`, or nil for an unknown code.
    public init?(code: UInt8) {
        guard code >= 1, Int(code) <= EventType.allCases.count else { return nil }
        self = EventType.allCases[Int(code) - 1]
    }

    /// The type named `name`, by hash lookup (faster than the synthesized raw-value switch).
    public static func named(_ name: String) -> EventType? { byName[name] }

    static let byName: [String: EventType] = Dictionary(uniqueKeysWithValues: allCases.map { ($0.rawValue, $0) })

    /// All type names, for error messages.
    public static let names = EventType.allCases.map(\.rawValue).joined(separator: ", ")
}
