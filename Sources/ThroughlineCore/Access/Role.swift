/// What a principal is allowed to do: one role per token or person, and the table of what each
/// role may do. The server checks every route against this table, the README prints it, and a
/// test walks it against a running server.
public enum Role: String, CaseIterable, Codable, Sendable, Comparable {
    /// A service that appends events and nothing else.
    case producer
    /// Reads every account's timeline, context, scores and pages.
    case viewer
    /// Reads like a viewer; adds notes and overrides on the accounts of their book.
    case csm
    /// Reads; rules, replays, fits, the data-quality report, unlinked references, metrics.
    case ops
    /// Everything: tokens, users, erasure and the audit trail too.
    case admin

    public static func < (a: Role, b: Role) -> Bool { allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)! }

    /// Whether this role may do `action`. Notes and overrides are further limited to a CSM's
    /// own book (see `Principal.mayAnnotate`).
    public func may(_ action: Action) -> Bool {
        switch action {
        case .open: true
        case .append: self == .producer || self == .admin
        case .read: self != .producer
        case .annotate: self == .csm || self == .admin
        case .operate: self == .ops || self == .admin
        case .administer: self == .admin
        }
    }

    /// The role named `text`, or an error naming the roles there are.
    public init(naming text: String) throws(AccessError) {
        guard let role = Role(rawValue: text.lowercased()) else {
            throw AccessError("role \(text) is not one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self = role
    }
}

/// The kinds of thing a request does, each route being one of them.
public enum Action: String, CaseIterable, Sendable {
    /// Open to anyone who reaches the listener: health, the sign-in page.
    case open
    /// Append events (`POST /v1/events`).
    case append
    /// Read accounts, events and pages.
    case read
    /// Add a note or an override to an account.
    case annotate
    /// Operate the scoring: rules, replays, fits, data quality, metrics, projection errors.
    case operate
    /// Tokens, users, erasure, the audit trail.
    case administer
}

/// Who sent a request: a token, a signed-in person, or a local user on the Unix socket.
public struct Principal: Sendable, Equatable {
    public enum Kind: String, Sendable { case token, user, local, proxy, oidc }
    public var kind: Kind
    /// The token's name, the person's user name, or the local user.
    public var name: String
    public var role: Role
    /// The CSM names whose accounts are this principal's book (the profile's `csm` field).
    public var book: [String]

    public init(kind: Kind, name: String, role: Role, book: [String] = []) {
        (self.kind, self.name, self.role, self.book) = (kind, name, role, book)
    }

    /// Whether this principal may add notes and overrides to an account whose profile names
    /// `csm` as its CSM: an admin anywhere, a CSM on their book only.
    public func mayAnnotate(accountCSM csm: String?) -> Bool {
        switch role {
        case .admin: true
        case .csm: csm.map { c in book.contains { $0.lowercased() == c.lowercased() } } ?? false
        default: false
        }
    }

    /// How the audit trail and the pages name this principal (`token:crm-sync`, `user:dana`).
    public var label: String { "\(kind.rawValue):\(name)" }
}

/// A problem with access: an unknown role, a bad name, a token that does not parse.
public struct AccessError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
