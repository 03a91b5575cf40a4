import GRDB
import ThroughlineCore

/// What one reader sees of stored events as they were sent (`GET /v1/events`, the events behind
/// a score on the account page): a note they may not see keeps its author and says it is
/// withheld, and a call without consent to its recording loses its summary, transcript and
/// participants and says why. Every other event is shown as sent. One redactor serves one
/// request (or one stretch of a stream): it keeps what it read of each account.
public final class EventRedactor {
    /// Where it reads: a read of its own per account, or one read the caller holds throughout.
    private enum Source {
        case store(ProjectionStore)
        case database(Database)
    }

    private let source: Source
    let reader: Principal?
    /// The one account every event redacted belongs to, when the caller reads one account.
    let account: String?
    private var accounts: [String: (audience: NoteAudience?, consent: CallConsent)] = [:]

    /// A redactor for `reader`; with `account`, for that account's events only (read by
    /// `prepare` first, so that `redact` may run inside a read of the store, which may not nest).
    public init(_ store: ProjectionStore, reader: Principal?, account: String? = nil) throws {
        (source, self.reader, self.account) = (.store(store), reader, account)
        if let account { try prepare(account) }
    }

    private init(_ db: Database, reader: Principal?) {
        (source, self.reader, account) = (.database(db), reader, nil)
    }

    /// Runs `body` with a redactor for `reader` that reads every account it needs within one
    /// read of `store`, held while `body` runs: for a stretch of the log touching many accounts
    /// (a read each costs more than what it reads).
    public static func within<T>(_ store: ProjectionStore, reader: Principal?, _ body: (EventRedactor) throws -> T) throws -> T {
        try store.read { db in try body(EventRedactor(db, reader: reader)) }
    }

    /// Reads what the account filed under `key` (an account, a reference, an account merged
    /// away) needs.
    func prepare(_ key: String) throws {
        guard accounts[key] == nil else { return }
        func read(_ db: Database) throws -> (NoteAudience?, CallConsent) {
            let account = try String.fetchOne(db.cachedStatement(sql: "SELECT account FROM owners WHERE key = ?"), arguments: [key]) ?? key
            let csm = try String.fetchOne(db.cachedStatement(sql: "SELECT csm FROM accounts WHERE account = ?"), arguments: [account])
            return (NoteAudience.of(reader, accountCSM: csm), try ProjectionStore.callConsent(db, account))
        }
        switch source {
        case .store(let store): accounts[key] = try store.read(read)
        case .database(let db): accounts[key] = try read(db)
        }
    }

    /// The types of the events a reader may see less of.
    static let redactedTypes: Set<EventType> = [.noteAdded, .callCompleted]

    /// How this reader is shown events: those of `redactedTypes` through `redact`, unless the
    /// reader sees every note of the account (for a note) or nobody on the account ever refused
    /// consent to calls (for a call), which needs no look at the event.
    public var showing: EventShowing {
        EventShowing(types: Self.redactedTypes) { [self] view in
            let key = account ?? view.account
            try prepare(key)
            let (audience, consent) = accounts[key]!
            if view.type == .noteAdded ? audience == nil : consent.refusesNothing { return nil }
            return try redact(StoredEvent(seq: view.seq, recordedMicros: view.recordedMicros, event: view.event()))
        }
    }

    /// The event as this reader sees it.
    public func redact(_ e: StoredEvent) throws -> StoredEvent {
        guard Self.redactedTypes.contains(e.event.type), let payload = try? e.event.payload() else { return e }
        let key = account ?? e.event.account
        try prepare(key)
        let (audience, consent) = accounts[key]!
        var out = e
        switch payload {
        case .noteAdded(let n):
            guard let audience, !audience.sees(n.visibility.audience(author: n.author)) else { return e }
            let who = n.visibility == .private ? "its author sees" : "the account's team and its author see"
            out.event.data = [JSONMember("author", .string(n.author)), JSONMember("visibility", .string(n.visibility.rawValue)),
                              JSONMember("withheld", .string("a \(n.visibility.rawValue) note: only \(who) it"))]
        case .callCompleted(let c):
            guard let refusal = consent.refusal(at: e.event.time.microseconds, participants: c.participants ?? []) else { return e }
            out.event.data = CallConsent.withhold(e.event.data ?? [], refusal)
        default:
            return e
        }
        return out
    }
}
