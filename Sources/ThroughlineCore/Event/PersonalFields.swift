/// The members of each type's `data` that hold personal data, and whose key seals each: the log
/// keeps them sealed (`SealedRecord`) so that forgetting a data subject destroys them; scores
/// never read them. The schemas mark the same members `"x-personal"`: `true` for free text,
/// `"identity"` for what names a person (a test keeps the two in agreement).
public enum PersonalFields {
    public enum Kind: Sendable, Equatable {
        /// What people wrote or said: sealed under the key of the account the event is filed under.
        case text
        /// A contact's identifier (`e:` an email, `i:` an id), under the person's key for it.
        case identifier(prefix: String)
        /// What describes a contact (name, title), under the key of the event's first identifier;
        /// or what a message said to its recipient (each string of its `fields`), under the key
        /// of the recipient's handle.
        case about
        /// A person named on another event (email, id or name; one, or a list of them), under
        /// the key of that handle (`handleSubject`).
        case handle
    }

    public struct Member: Sendable, Equatable {
        public let name: String
        public let kind: Kind
    }

    public static func members(of type: EventType) -> [Member] {
        switch type {
        case .callCompleted: [.init(name: "summary", kind: .text), .init(name: "transcript", kind: .text), .init(name: "participants", kind: .handle)]
        case .ticketOpened: [.init(name: "subject", kind: .text), .init(name: "requester", kind: .handle)]
        case .ticketUpdated, .surveyAnswered: [.init(name: "comment", kind: .text)]
        case .noteAdded: [.init(name: "text", kind: .text), .init(name: "mentions", kind: .handle)]
        case .healthOverride: [.init(name: "reason", kind: .text)]
        case .accountUpdated: [.init(name: "champion", kind: .handle)]
        // The person a forget names is sealed too, and erased by that forget.
        case .subjectForgotten: [.init(name: "person", kind: .handle)]
        case .messageSent: [.init(name: "recipient", kind: .handle), .init(name: "fields", kind: .about)]
        case .contactUpdated:
            [.init(name: "person", kind: .identifier(prefix: "i:")), .init(name: "email", kind: .identifier(prefix: "e:")),
             .init(name: "name", kind: .about), .init(name: "title", kind: .about)]
        default: []
        }
    }

    /// The names of a type's personal members.
    public static func of(_ type: EventType) -> [String] { members(of: type).map(\.name) }

    /// The subject of an identifier's key within one filing key: `e:` and the email in
    /// lowercase, or `i:` and the id (as `PeopleDirectory` matches them).
    public static func identifierSubject(prefix: String, _ value: String) -> String {
        prefix == "e:" ? "e:" + value.lowercased() : prefix + value
    }

    /// The subject of a handle's key within one filing key: `h:` and the handle in lowercase,
    /// its words joined by one space, so that the ways one handle is written share a key.
    public static func handleSubject(_ handle: String) -> String {
        "h:" + PeopleDirectory.normalisedName(handle)
    }

    /// What an erased identity member reads as: a well-formed email, the same for every value of
    /// one person that a forget gave `token` (so people stay told apart, and scores that match
    /// people come out as before), else one per key.
    public static func erasedIdentity(token: String?, key: UInt64) -> String {
        "erased-\(token ?? "k\(key)")@erased.invalid"
    }
}

/// The key a personal value is sealed under: that of the account (or reference) the event is
/// filed under, or, for what names a person, that of the identifier or handle within it.
public struct SealSubject: Sendable, Hashable {
    /// The key the event is filed under (an account, or a reference's key).
    public var owner: String
    /// `PersonalFields.identifierSubject` or `handleSubject`; nil: the owner's own key.
    public var person: String?

    public init(owner: String, person: String? = nil) {
        (self.owner, self.person) = (owner, person)
    }
}
