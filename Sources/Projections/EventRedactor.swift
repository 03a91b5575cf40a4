import GRDB
import ThroughlineCore

/// What one reader sees of stored events as they were sent (`GET /v1/events`, the events behind
/// a score on the account page): a note they may not see keeps its author and says it is
/// withheld, and a call without consent to its recording loses its summary, transcript and
/// participants and says why. Every other event is shown as sent. One redactor serves one
/// request: it keeps what it read of each account.
public final class EventRedactor {
    let store: ProjectionStore
    let reader: Principal?
    /// The one account every event redacted belongs to, when the caller reads one account.
    let account: String?
    private var accounts: [String: (audience: NoteAudience?, consent: CallConsent)] = [:]

    /// A redactor for `reader`; with `account`, for that account's events only (read by
    /// `prepare` first, so that `redact` may run inside a read of the store, which may not nest).
    public init(_ store: ProjectionStore, reader: Principal?, account: String? = nil) throws {
        (self.store, self.reader, self.account) = (store, reader, account)
        if let account { try prepare(account) }
    }

    /// Reads what the account filed under `key` (an account, a reference, an account merged
    /// away) needs.
    func prepare(_ key: String) throws {
        guard accounts[key] == nil else { return }
        accounts[key] = try store.read { db in
            let account = try String.fetchOne(db.cachedStatement(sql: "SELECT account FROM owners WHERE key = ?"), arguments: [key]) ?? key
            let csm = try String.fetchOne(db.cachedStatement(sql: "SELECT csm FROM accounts WHERE account = ?"), arguments: [account])
            return (NoteAudience.of(reader, accountCSM: csm), try ProjectionStore.callConsent(db, account))
        }
    }

    /// The event as this reader sees it.
    public func redact(_ e: StoredEvent) throws -> StoredEvent {
        guard e.event.type == .noteAdded || e.event.type == .callCompleted, let payload = try? e.event.payload() else { return e }
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
