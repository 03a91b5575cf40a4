import EventLog
import GRDB
import ThroughlineCore

/// The identity events in the read models (`identity`), the map they give (`owners`), and moving
/// events between accounts when a link, an unlink, a merge or an unmerge changes where they
/// belong: the accounts concerned are folded again from their stored records, as if the map had
/// always been the new one.
extension ProjectionStore {
    /// Every account-keyed table: the rows an account's events leave, all derived from its
    /// stored records (and its scores, derived from them).
    /// The SQL condition that an `account` column holds a reference's key (a reference no
    /// account is linked to, kept like an account under its key), not an account.
    static let isReference = "(account >= char(31) AND account < char(32))"

    static let accountTables = ["accounts", "items", "profile_events", "ticket_events", "usage_weeks", "account_records", "calls",
                                "milestone_events", "touch_events", "surveys", "overrides", "notes", "contacts", "person_mentions", "task_events", "message_events", "triage_events", "scores", "score_dirty"]

    /// The identity statements the read models hold.
    static func identityStatements(_ db: Database) throws -> [IdentityMap.Statement] {
        try Row.fetchAll(db, sql: "SELECT kind, subject, target, time_us, id, seq FROM identity").map { r in
            guard let kind = IdentityMap.Statement.Kind(rawValue: r[0]) else {
                throw ReadModelError(.damaged, "an identity row has the unknown kind \(r[0] as Int); rebuild the read models")
            }
            return IdentityMap.Statement(kind: kind, subject: r[1], target: r[2], time: r[3], id: r[4], seq: UInt64(r[5] as Int64))
        }
    }

    /// Folds into `fold` every stored record of the accounts the change from `before` to `after`
    /// moves events between, each to the account it belongs to under `after`, and deletes those
    /// accounts' rows (so the fold writes them anew); then writes `after`'s owners. Links of
    /// references that held their events alone move their rows instead (`moveReferences`).
    static func rehome(_ db: Database, from before: IdentityMap, to after: IdentityMap, into fold: inout BatchFold) throws {
        let changes = before.changes(to: after)
        guard !changes.isEmpty else { return }
        if try moveReferences(db, changes) { return try putOwners(db, after) }
        try refold(db, Set(changes.flatMap { [$0.from, $0.to] }), under: after, into: &fold)
        try putOwners(db, after)
    }

    /// Folds into `fold` every stored record of `accounts`, each to the account it belongs to
    /// under `map`, and deletes those accounts' rows, so the fold writes them anew (after a
    /// change of where events belong, or of what their records read as).
    static func refold(_ db: Database, _ accounts: Set<String>, under map: IdentityMap, into fold: inout BatchFold) throws {
        let accounts = accounts.sorted()
        fold.fresh.formUnion(accounts)
        // An account's records are kept in seq order: those of the accounts that now share one
        // are put in order first.
        var records: [(seq: UInt64, recorded: Int64, body: [UInt8])] = []
        for account in accounts {
            try forEachAccountRecord(db, account) { records.append(($0.seq, $0.recordedMicros, Array($0.stored))) }
        }
        for r in records.sorted(by: { $0.seq < $1.seq }) {
            try r.body.withUnsafeBytes { body in
                let view = try RecordView(seq: r.seq, recordedMicros: r.recorded, body: body)
                guard let (e, payload) = fold.foldable(view) else { return }
                try fold.add(e, payload, record: view, to: map.account(of: view.account))
            }
        }
        for table in accountTables {
            let statement = try db.cachedStatement(sql: "DELETE FROM \(table) WHERE account = ?")
            for account in accounts { try statement.execute(arguments: [account]) }
        }
    }

    /// Replaces the `owners` table with `map`'s: the keys that belong to another account.
    static func putOwners(_ db: Database, _ map: IdentityMap) throws {
        try db.execute(sql: "DELETE FROM owners")
        let insert = try db.cachedStatement(sql: RowStatement.owner.sql)
        for (key, account) in map.owners.sorted(by: { $0.key < $1.key }) { try insert.execute(arguments: [key, account]) }
    }

    /// The account `account` was merged into (following merges), if it was.
    public func mergedInto(_ account: String) throws -> String? {
        try read { db in try String.fetchOne(db.cachedStatement(sql: "SELECT account FROM owners WHERE key = ?"), arguments: [account]) }
    }

    /// The references no account is linked to, by system and id.
    public func unlinked() throws -> UnlinkedReferences {
        try read { db in try Self.unlinked(db) }
    }

    static func unlinked(_ db: Database) throws -> UnlinkedReferences {
        UnlinkedReferences(references: try Row.fetchAll(db, sql: """
            SELECT account, events, first_us, last_us FROM accounts WHERE \(isReference) ORDER BY account
            """).compactMap { r in
            guard let ref = AccountRef(key: r[0]) else { return nil }
            return UnlinkedReferences.Reference(system: ref.system, id: ref.id, events: r[1], oldest: Timestamp.utc(microseconds: r[2]).description,
                                                newest: Timestamp.utc(microseconds: r[3]).description)
        })
    }
}
