import EventLog
import Foundation
import GRDB
import ThroughlineCore
import Scoring
import Synchronization

/// A rules version the read models score with, and its state: `active` (what the context view,
/// portfolio and timeline show), `pending` (being scored over all history in the background; it
/// becomes active when done) or `retired` (an earlier active version, its scores kept for reading).
public struct StoredRules: Sendable {
    public enum State: String, Sendable { case active, pending, retired }

    public var rules: Rules
    public var text: String
    public var state: State
    /// While pending: the last account scored so far.
    public var cursor: String?

    public var version: String { rules.version }

    public init(rules: Rules, text: String, state: State, cursor: String? = nil) {
        self.rules = rules
        self.text = text
        self.state = state
        self.cursor = cursor
    }

    /// The shipped default, active: what a new store scores with.
    public static var defaultActive: StoredRules { StoredRules(rules: DefaultRules.load(), text: DefaultRules.text, state: .active) }
}

/// What naming a rules file at start-up did.
public enum RulesActivation: Sendable, Equatable {
    /// The version was already active.
    case unchanged
    /// The version is scored over all history in the background and becomes active when done;
    /// until then `from` stays active.
    case switching(from: String, to: String)
    /// The read models held no account yet: the version is active at once, with nothing to score.
    case activated
}

extension ProjectionStore {
    /// The rules versions the read models hold, active first.
    public func storedRules() throws -> [StoredRules] { try read(Self.storedRules) }

    static func storedRules(_ db: Database) throws -> [StoredRules] {
        try Row.fetchAll(db, sql: "SELECT version, text, state, cursor FROM rules").map { r in
            let version: String = r[0]
            guard let state = StoredRules.State(rawValue: r[2]) else {
                throw ReadModelError(.damaged, "rules \(version) have an unknown state; rebuild the read models")
            }
            do {
                return StoredRules(rules: try parsed(r[1], version), text: r[1], state: state, cursor: r[3])
            } catch {
                throw ReadModelError(.damaged, "the stored rules \(version) no longer load: \(error)")
            }
        }.sorted { ($0.state == .active ? 0 : 1, $0.version) < ($1.state == .active ? 0 : 1, $1.version) }
    }

    /// The versions held by the read models in `file`, whatever their layout (a rebuild keeps
    /// them); the default rules if it has none or cannot be read.
    static func rules(inFile file: String) -> [StoredRules] {
        guard let stored = reading(file, storedRules), stored.contains(where: { $0.state == .active }) else { return [.defaultActive] }
        return stored
    }

    /// The active rules of the read models in `directory`, with their text, read without
    /// opening them for writing (the server may hold them); the default rules if there are none.
    public static func activeRules(directory: String) -> StoredRules {
        rules(inFile: directory + "/projections.sqlite").first { $0.state == .active } ?? .defaultActive
    }

    /// Where events belong as the read models in `directory` last saw it, read without opening
    /// them for writing (an empty map if there are none or they cannot be read).
    public static func identityMap(directory: String) -> IdentityMap {
        reading(directory + "/projections.sqlite", identityStatements).map { IdentityMap($0) } ?? IdentityMap()
    }

    /// Rules texts already parsed: reads look up the stored rules on every request, and parsing
    /// YAML each time cost a third of a context view.
    private static let parsedRules = Mutex<[String: Rules]>([:])

    static func parsed(_ text: String, _ version: String) throws -> Rules {
        if let rules = parsedRules.withLock({ $0[text] }) { return rules }
        let rules = try Rules.load(yaml: text, file: "stored rules \(version)")
        parsedRules.withLock { $0[text] = rules }
        return rules
    }

    /// The active rules version.
    public func activeRules() throws -> String {
        try read { db in try String.fetchOne(db, sql: "SELECT version FROM rules WHERE state = 'active'") } ?? DefaultRules.load().version
    }

    /// Makes `rules` (loaded from `text`) the rules to score with. A version already active is
    /// left alone; another version is scored over all history in the background and made active
    /// when done, the earlier one kept for reading (at once if there is no account yet). A version is a name for one text: the same
    /// version with another text is refused.
    @discardableResult
    public func activate(_ rules: Rules, text: String) throws -> RulesActivation {
        try write { db in try Self.activate(db, rules, text: text) }
    }

    public static func otherContents(_ version: String) -> String {
        "rules version \(version) is already stored with other contents; give the changed rules a new version"
    }

    static func activate(_ db: Database, _ rules: Rules, text: String) throws -> RulesActivation {
        let stored = try Self.storedRules(db)
        if let same = stored.first(where: { $0.version == rules.version }), same.rules != rules {
            throw ReadModelError(.invalidArgument, otherContents(rules.version))
        }
        let active = stored.first { $0.state == .active }
        if active?.version == rules.version { return .unchanged }
        if try !Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM accounts)")! {
            try db.execute(sql: "DELETE FROM rules WHERE state = 'pending'")
            try db.execute(sql: "UPDATE rules SET state = 'retired' WHERE state = 'active'")
            try db.execute(sql: "INSERT OR REPLACE INTO rules (version, text, state, cursor) VALUES (?, ?, 'active', NULL)",
                           arguments: [rules.version, text])
            return .activated
        }
        // One switch at a time: a switch still in progress is given up.
        for p in stored where p.state == .pending && p.version != rules.version {
            try db.execute(sql: "DELETE FROM scores WHERE rules = ?", arguments: [p.version])
            try db.execute(sql: "DELETE FROM rules WHERE version = ?", arguments: [p.version])
        }
        let pending = stored.first { $0.version == rules.version && $0.state == .pending }
        try db.execute(sql: "INSERT OR REPLACE INTO rules (version, text, state, cursor) VALUES (?, ?, 'pending', ?)",
                       arguments: [rules.version, text, pending?.cursor])
        return .switching(from: active?.version ?? "", to: rules.version)
    }
}
