import EventLog
import GRDB
import Synchronization
import ThroughlineCore

/// Identity statements with the map they make.
struct IdentityState: Sendable {
    let statements: [IdentityMap.Statement]
    let map: IdentityMap

    init(_ statements: [IdentityMap.Statement]) {
        self.statements = statements
        map = IdentityMap(statements)
    }
}

/// Folds committed events into the read models. Each batch and the checkpoint that covers it
/// commit in one SQLite transaction, so a crash never applies an event twice or skips one.
/// Every result is independent of the order events arrived in: standalone items are written
/// as they are; a week of usage merges commutatively (max, sum, union); a ticket's lifecycle and
/// the profile's changes are refolded from their stored facts in event order, once per batch.
public final class Projector: Sendable {
    public let store: ProjectionStore
    /// Events per transaction.
    public let batchSize: Int
    /// Events per transaction while more than ten batches wait (and `catchUp`'s caller allows):
    /// each batch rewrites pages of most accounts it touches (usage weeks, tickets, records), so
    /// a long backlog goes faster in larger ones, at the cost of the memory they take.
    public let backlogBatchSize: Int
    /// The log's key store, whose keys a `subject.forgotten` destroys.
    let keyring: Keyring?
    /// The event types that may fire an alert rule as they arrive: an account with such an event
    /// of the day it was appended (or the day before) is marked for the alerter at once.
    let alertTypes: Set<EventType>

    /// The identity map at the checkpoint it was made for, so that a batch need not read it.
    private let identityCache = Mutex<(checkpoint: LogPosition, state: IdentityState)?>(nil)

    public init(store: ProjectionStore, batchSize: Int = 20_000, backlogBatchSize: Int? = nil, keyring: Keyring? = nil,
                alertTypes: Set<EventType> = []) {
        self.store = store
        self.batchSize = batchSize
        self.backlogBatchSize = max(batchSize, backlogBatchSize ?? batchSize)
        self.keyring = keyring
        self.alertTypes = alertTypes
    }

    /// Applies everything in `snapshot` after the checkpoint; returns the new checkpoint.
    /// `progress(applied)` is called after each batch; returning false stops after that batch.
    /// `largeBatches()`, asked before each batch, may keep a backlog in batches of `batchSize`.
    @discardableResult
    public func catchUp(_ snapshot: LogSnapshot, progress: (LogPosition) -> Bool = { _ in true },
                        largeBatches: () -> Bool = { true }) throws -> LogPosition {
        var checkpoint = try store.checkpoint(snapshot.partitioning)
        var lastScored = ContinuousClock.now
        while !checkpoint.reaches(snapshot.position) {
            // First the batch's identity statements: the map after them says where every event of
            // the batch belongs (and which stored events move).
            var statements: [IdentityMap.Statement] = []
            var forgets: [Forget] = []
            var switches: [RulesSwitch] = []
            var releases: [ProductRelease] = []
            var last = checkpoint
            var count = 0
            let backlog = snapshot.position.events > checkpoint.events + UInt64(10 * batchSize)
            let size = backlog && largeBatches() ? backlogBatchSize : batchSize
            try snapshot.forEachView(after: checkpoint) { view in
                if let s = IdentityMap.Statement(view) { statements.append(s) }
                if let f = Forget(view) { forgets.append(f) }
                if let s = RulesSwitch(view) { switches.append(s) }
                if let r = ProductRelease(view) { releases.append(r) }
                last.advance(to: view.seq)
                count += 1
                return count < size
            }
            guard last != checkpoint else { break }
            let (before, after) = try identity(adding: statements, at: checkpoint)
            let (from, map) = (checkpoint, after.map)
            // Accounts and people forgotten in the batch: their keys go first, so that neither the
            // stored records nor the batch's read anything but erased values from now on.
            let forgotten = try forget(forgets, under: map)
            func foldBatch(into fold: inout BatchFold) throws {
                try snapshot.forEachView(after: from, through: last) { view in
                    if let (e, payload) = fold.foldable(view) { try fold.add(e, payload, record: view, to: map.account(of: view.account)) }
                    return true
                }
            }
            // Most batches move nothing: folded before the transaction, which then only writes.
            let moves = !before.map.changes(to: after.map).isEmpty || !forgotten.isEmpty
            var folded = BatchFold()
            folded.alertTypes = alertTypes
            if !moves { try foldBatch(into: &folded) }
            try store.write { db in
                var fold = folded
                if moves {
                    // The moved (and forgotten) accounts' stored records first (older seqs), then the batch's.
                    try ProjectionStore.rehome(db, from: before.map, to: after.map, into: &fold)
                    try ProjectionStore.refold(db, forgotten.subtracting(fold.fresh), under: map, into: &fold)
                    try foldBatch(into: &fold)
                }
                var rows = RowList()
                for s in switches { try s.apply(db, &rows) }
                for r in releases { r.put(&rows) }
                try fold.write(to: &rows, stored: db)
                try rows.write(db)
                try ProjectionStore.setCheckpoint(db, last)
            }
            checkpoint = last
            identityCache.withLock { $0 = (last, after) }
            // The rows folded before are overwritten in the file (`secure_delete`); the pages that
            // held them leave the write-ahead log too.
            if !forgotten.isEmpty { try store.truncateWAL() }
            // Scores follow as soon as the read models reach the end of the log (so a read that
            // waits for a seq sees its scores too), a chunk of accounts (all of them, unless the
            // batch touched more: the rest are scored between batches, `ProjectorRunner`). While
            // a backlog is worked off, a chunk every `scoreEvery`: scoring an account folds its
            // whole history again, so the rest wait until the projector has caught up rather
            // than slow it down.
            let now = ContinuousClock.now
            if last.reaches(snapshot.position) {
                try scoreMarked(limit: Self.scoreChunk)
            } else if now - lastScored > Self.scoreEvery {
                try scoreMarked(limit: Self.scoreChunk)
                lastScored = now
            }
            if !progress(checkpoint) { break }
        }
        return checkpoint
    }

    /// Builds the read models again from `snapshot` with the bulk rebuild, beside the live ones,
    /// and puts them in their place (`ProjectionStore.replace(withRebuilt:)`): for read models
    /// so far behind that following the log would take longer. Every account is then marked for
    /// the alerter, and forgets the rebuild found unapplied are applied. Returns the checkpoint.
    public func rebuildInBulk(_ snapshot: LogSnapshot) throws -> LogPosition {
        let built = try Rebuild.build(snapshot, directory: store.directory, keyring: keyring)
        try store.replace(withRebuilt: built.file)
        identityCache.withLock { $0 = nil }
        try store.markEveryAccountForAlerts()
        if !built.forgets.isEmpty { try apply(built.forgets) }
        return try store.checkpoint(snapshot.partitioning)
    }

    /// The identity statements and map at `checkpoint` (kept from the last batch, or read), and
    /// with `statements` added.
    private func identity(adding statements: [IdentityMap.Statement], at checkpoint: LogPosition) throws -> (before: IdentityState, after: IdentityState) {
        let cached = identityCache.withLock { c in c.flatMap { $0.checkpoint == checkpoint ? $0.state : nil } }
        let before = try cached ?? store.read { db in IdentityState(try ProjectionStore.identityStatements(db)) }
        guard !statements.isEmpty else { return (before, before) }
        return (before, IdentityState(before.statements + statements))
    }

    /// A `subject.forgotten` of the batch.
    struct Forget: Sendable {
        var filed: String
        var person: String?
        var seq: UInt64

        /// The forget `view` is, if it is one.
        init?(_ view: RecordView) {
            guard view.type == .subjectForgotten, case .subjectForgotten(let f)? = try? view.unsealed().payload() else { return nil }
            (filed, person, seq) = (view.account, f.person, view.seq)
        }
    }

    /// Destroys the keys each forget names: of a whole account, every key filed under it or under
    /// a reference or merged account that belongs to it under `map`; of a person, the keys of their
    /// emails, ids and handles there (`ErasurePlan`), with the tokens their erased values read as.
    /// Returns the accounts to fold again.
    private func forget(_ forgets: [Forget], under map: IdentityMap) throws -> Set<String> {
        guard !forgets.isEmpty else { return [] }
        guard let keyring else {
            throw ReadModelError(.io, "a subject.forgotten cannot be applied without the log's key store")
        }
        // Keys other nodes made since this one last looked are destroyed too.
        try keyring.refresh()
        var accounts: Set<String> = []
        for f in forgets {
            let account = map.account(of: f.filed)
            accounts.insert(account)
            let (directory, handles) = try store.read { db in try ProjectionStore.people(db, account) }
            // (The forget's own naming of the person is a handle of theirs too.)
            let plan = ErasurePlan(directory: directory, handles: handles.union(f.person.map { [$0] } ?? []), person: f.person, seq: f.seq)
            let owners = keyring.owners.filter { map.account(of: $0) == account }
            var numbers: [UInt64] = [], tokens: [UInt64: String] = [:]
            for owner in owners {
                for k in plan.keys {
                    guard let n = keyring.number(of: SealSubject(owner: owner, person: k.subject)) else { continue }
                    numbers.append(n)
                    if let t = k.token { tokens[n] = t }
                }
            }
            if f.person == nil { numbers += keyring.numbers { map.account(of: $0) == account } }
            try keyring.destroy(numbers, tokens: tokens, applying: f.seq)
        }
        return accounts
    }

    /// Applies forgets the read models hold already but whose keys are still there (a rebuild
    /// after the server stopped between storing a forget and applying it): destroys their keys,
    /// folds their accounts again, and empties the write-ahead log.
    func apply(_ forgets: [Forget]) throws {
        let map = try store.read { db in IdentityMap(try ProjectionStore.identityStatements(db)) }
        let accounts = try forget(forgets, under: map)
        try store.write { db in
            var fold = BatchFold()
            try ProjectionStore.refold(db, accounts, under: map, into: &fold)
            var rows = RowList()
            try fold.write(to: &rows, stored: db)
            try rows.write(db)
        }
        try store.truncateWAL()
    }

    /// How long scores may lag while the projector works off a backlog.
    static let scoreEvery = Duration.seconds(30)

    /// A stored record as the folds take it (`RecordView.foldable`); a record that does not
    /// decode is damage in the store. (The projector and the rebuild skip such a record and
    /// file it as a projection error instead: `BatchFold.foldable`.)
    static func decode(_ view: RecordView) throws -> (StoredEvent, EventPayload) {
        do { return try view.foldable() } catch {
            throw ReadModelError(.damaged, "seq \(view.seq) does not decode to a v1 event: \(error)")
        }
    }
}

/// An account's stored profile updates with event time up to `asOf`, decoded, in `eventOrder`
/// (sorted here, not by SQLite, whose text order may differ from Swift's for non-ASCII ids).
func profileUpdates(_ db: Database, _ account: String, upTo asOf: Int64 = .max) throws -> [StoredEvent] {
    try Row.fetchAll(db.cachedStatement(sql: "SELECT seq, event FROM profile_events WHERE account = ? AND time_us <= ?"),
                     arguments: [account, asOf]).map { row in
        let text: String = row["event"]
        do {
            return StoredEvent(seq: UInt64(row["seq"] as Int64), recordedMicros: 0, event: try EventDecoder.decode(text))
        } catch {
            throw ReadModelError(.damaged, "a stored profile event of \(account) does not decode: \(error); rebuild the read models")
        }
    }.sorted(by: eventOrder)
}

/// The columns `ticketFact` reads.
let ticketColumns = "ticket, time_us, id, seq, kind, priority, status, csat, subject, category, resolution, source"

/// A ticket fact from a `ticket_events` row of `ticketColumns`, read by position.
func ticketFact(_ r: Row) -> TicketFact {
    TicketFact(seq: UInt64(r[3] as Int64), id: r[2], timeMicros: r[1],
               kind: TicketFact.Kind(rawValue: r[4]) ?? .updated,
               priority: (r[5] as String?).flatMap(Priority.init(rawValue:)), status: r[6], csat: r[7],
               subject: r[8], category: (r[9] as String?).flatMap(TicketCategory.init(rawValue:)),
               resolution: r[10], source: r[11])
}

/// `1,2,3` → [1, 2, 3], reading the digits straight from the UTF-8 bytes.
func parseSeqs(_ text: String) -> [UInt64] {
    var out: [UInt64] = []
    var n: UInt64 = 0, digits = false
    for b in text.utf8 {
        if b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") {
            n = n &* 10 &+ UInt64(b - UInt8(ascii: "0"))
            digits = true
        } else {
            if digits { out.append(n) }
            n = 0
            digits = false
        }
    }
    if digits { out.append(n) }
    return out
}
