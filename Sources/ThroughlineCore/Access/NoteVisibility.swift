/// Who sees a note (`note.visibility`): everyone who may read the account (`public`, and
/// `internal`, its synonym: nothing here is shown to the customer), the account's team and the
/// author (`team`), or the author alone (`private`).
public enum NoteVisibility: String, CaseIterable, Sendable {
    case `public`, `internal`, team, `private`

    /// How the read models keep the note's audience: nil for everyone who may read the account,
    /// else `team:AUTHOR` or `private:AUTHOR` (the author as `Principal.personKey` writes it).
    public func audience(author: String) -> String? {
        switch self {
        case .public, .internal: nil
        case .team: "team:" + Principal.personKey(author)
        case .private: "private:" + Principal.personKey(author)
        }
    }
}

/// Which of one account's restricted notes a reader sees: the ones they wrote, and its team
/// notes if they are on its team. A reader without one (nil) sees every note: a local user on
/// the Unix socket, or anyone on a listener that asks nobody to sign in.
public struct NoteAudience: Sendable, Equatable {
    /// The audiences of their own notes (`team:ME`, `private:ME`).
    public var own: [String]
    /// Whether they are on the account's team (its CSM, or an admin): they see its team notes.
    public var team: Bool

    /// What `reader` sees of the notes of an account whose CSM is `csm`; nil: everything.
    public static func of(_ reader: Principal?, accountCSM csm: String?) -> NoteAudience? {
        guard let reader, reader.kind != .local else { return nil }
        let me = Principal.personKey(reader.name)
        return NoteAudience(own: ["team:" + me, "private:" + me], team: reader.mayAnnotate(accountCSM: csm))
    }

    /// Whether this reader sees a note kept with `audience` (nil: a note for everyone).
    public func sees(_ audience: String?) -> Bool {
        guard let audience else { return true }
        return own.contains(audience) || (team && audience.hasPrefix("team:"))
    }

    /// The SQL condition on a column `audience` that keeps what this reader sees, with its
    /// three arguments (`NoteAudience.sqlArguments`).
    public static let sqlCondition = "(audience IS NULL OR audience IN (?, ?) OR (? AND substr(audience, 1, 5) = 'team:'))"

    /// The arguments of `sqlCondition`, in order.
    public var sqlArguments: [String] { [own[0], own[1], team ? "1" : "0"] }
}

extension Principal {
    /// A person's name as note authors and principals are compared: lowercase, without a
    /// `kind:` prefix (`csm:Maria` and the user `maria` are one person).
    public static func personKey(_ name: String) -> String {
        let bare = name.firstIndex(of: ":").map { name[name.index(after: $0)...] } ?? Substring(name)
        return bare.trimmingSpaces.lowercased()
    }
}
