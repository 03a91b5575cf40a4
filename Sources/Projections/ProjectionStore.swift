import EventLog
import Foundation
import GRDB
import ThroughlineCore

/// The SQLite read models of one data directory (`DATA/projections.sqlite`, WAL mode), fed by
/// the projector and read by the API. Everything in it can be rebuilt from the log.
public final class ProjectionStore: Sendable {
    public let path: String
    /// The data directory the read models are in.
    public let directory: String
    private let file: SwappablePool
    private let configuration: Configuration

    /// Opens (creating if needed) the read models at `DATA/projections.sqlite`, with a page cache
    /// of `cacheMiB` and as much memory-mapped (a rebuild gives it more: its batches touch every
    /// account's pages; the server keeps both small so its memory stays bounded).
    public init(directory: String, cacheMiB: Int = 64) throws {
        self.directory = directory
        path = directory + "/projections.sqlite"
        var config = Configuration()
        config.label = "throughline-projections"
        // The read models can always be rebuilt from the log, and the checkpoint commits with the
        // rows it covers, so NORMAL sync in WAL mode is safe: a transaction lost in a power cut is
        // simply applied again. A larger page cache and memory-mapped reads keep the B-trees of
        // a growing database out of read(2) copies.
        config.prepareDatabase { db in
            try db.execute(sql: """
                PRAGMA page_size = \(Self.pageSize); PRAGMA synchronous = NORMAL; PRAGMA cache_size = -\(cacheMiB * 1024); PRAGMA mmap_size = \(cacheMiB << 20); PRAGMA temp_store = MEMORY;
                PRAGMA secure_delete = ON
                """)
        }
        configuration = config
        do {
            try FileSystem.ownerOnly(path)
            var pool = try DatabasePool(path: path, configuration: config)
            let (version, tables) = try pool.read { db in
                (try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0, try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") ?? 0)
            }
            let reset = version != Self.schemaVersion && tables > 0
            if reset {
                // Read models of another layout: they are derived, so start them over from the log.
                try pool.close()
                Self.delete(directory: directory)
                try FileSystem.ownerOnly(path)
                pool = try DatabasePool(path: path, configuration: config)
            }
            resetFromOlderSchema = reset
            if version != Self.schemaVersion || reset {
                try pool.write { db in try Self.createSchema(db) }
            }
            file = SwappablePool(pool)
        } catch {
            throw ReadModelError(.io, "cannot open the read models \(path): \(error)")
        }
        producers = try ProducerLedger(directory: directory)
    }

    /// Puts the complete read models `built` (a rebuild's file beside these) in their place, while
    /// the server runs: reads and writes under way finish first, later ones wait, then run on
    /// the new file. Should it fail, the old read models stay.
    func replace(withRebuilt built: String) throws {
        try file.replace({ old in
            try old.close()
            try Rebuild.install(built, as: path)
            return try DatabasePool(path: path, configuration: configuration)
        }, reopen: {
            try DatabasePool(path: path, configuration: configuration)
        })
    }

    /// Each producer's accepted and rejected lines, kept beside the read models.
    public let producers: ProducerLedger

    /// True when the file held read models of an older layout and was started over.
    public let resetFromOlderSchema: Bool

    /// Deletes the read models of `directory` (the database and its WAL files).
    public static func delete(directory: String) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: directory + "/projections.sqlite" + suffix) }
    }

    /// Creates the tables of this layout in an empty database, with the rules versions to score
    /// with, and stamps its version.
    static func createSchema(_ db: Database, rules: [StoredRules] = [.defaultActive]) throws {
        try db.execute(sql: schema)
        for r in rules {
            try db.execute(sql: RowStatement.rules.sql, arguments: [r.version, r.text, r.state.rawValue, r.cursor])
        }
        try db.execute(sql: "PRAGMA user_version = \(schemaVersion)")
    }

    /// Bumped whenever the tables change; a file of another version is rebuilt from the log.
    static let schemaVersion = 19

    /// The read models' page size, for a file made here or by a rebuild: 16 KiB rather than
    /// SQLite's 4 KiB made a 10M rebuild 8% faster (fewer pages split and written, half the
    /// kernel's time) and left following the log as fast (BENCHMARKS.md). It takes effect only
    /// in a file with no table yet.
    static let pageSize = 16_384

    static let schema = """
                CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
                CREATE TABLE projection_errors (seq INTEGER PRIMARY KEY, account TEXT NOT NULL, error TEXT NOT NULL);
                INSERT INTO meta VALUES ('checkpoint', 0), ('max_event_day', -1000000000), ('max_recorded_day', -1000000000);
                CREATE TABLE accounts (
                    account TEXT PRIMARY KEY,
                    events INTEGER NOT NULL,
                    first_us INTEGER NOT NULL,
                    last_us INTEGER NOT NULL,
                    profile TEXT NOT NULL DEFAULT '{}',
                    name TEXT, plan TEXT, csm TEXT, arr REAL, renewal_date TEXT,
                    last_contact_us INTEGER,
                    score REAL, band TEXT,
                    outcome TEXT, outcome_us INTEGER
                ) WITHOUT ROWID;
                CREATE TABLE items (
                    account TEXT NOT NULL,
                    key TEXT NOT NULL,
                    time_us INTEGER NOT NULL,
                    kind TEXT NOT NULL,
                    title TEXT NOT NULL,
                    source TEXT,
                    seqs TEXT NOT NULL,
                    detail TEXT NOT NULL,
                    audience TEXT,
                    PRIMARY KEY (account, key)
                ) WITHOUT ROWID;
                CREATE INDEX items_by_time ON items (account, time_us DESC, key DESC);
                CREATE TABLE profile_events (
                    account TEXT NOT NULL,
                    time_us INTEGER NOT NULL,
                    id TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    event TEXT NOT NULL,
                    PRIMARY KEY (account, time_us, id)
                ) WITHOUT ROWID;
                CREATE TABLE ticket_events (
                    account TEXT NOT NULL,
                    ticket TEXT NOT NULL,
                    time_us INTEGER NOT NULL,
                    id TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    kind INTEGER NOT NULL,
                    priority TEXT,
                    status TEXT,
                    csat INTEGER,
                    subject TEXT,
                    category TEXT,
                    resolution TEXT,
                    source TEXT,
                    PRIMARY KEY (account, ticket, time_us, id)
                ) WITHOUT ROWID;
                CREATE TABLE usage_weeks (
                    account TEXT NOT NULL,
                    week TEXT NOT NULL,
                    active_users INTEGER NOT NULL,
                    events INTEGER NOT NULL,
                    features TEXT NOT NULL,
                    day_bits INTEGER NOT NULL,
                    seqs TEXT NOT NULL,
                    first_us INTEGER NOT NULL,
                    first_id TEXT NOT NULL,
                    source TEXT,
                    PRIMARY KEY (account, week)
                ) WITHOUT ROWID;
                CREATE TABLE account_records (
                    account TEXT NOT NULL, span INTEGER NOT NULL, part INTEGER NOT NULL, records BLOB NOT NULL,
                    PRIMARY KEY (account, span, part)
                );
                CREATE TABLE calls (
                    account TEXT NOT NULL, time_us INTEGER NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL,
                    kind TEXT NOT NULL, team TEXT, sentiment REAL, text TEXT NOT NULL,
                    PRIMARY KEY (account, time_us, id)
                ) WITHOUT ROWID;
                CREATE TABLE milestone_events (
                    account TEXT NOT NULL, milestone TEXT NOT NULL, time_us INTEGER NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL,
                    status TEXT NOT NULL, due TEXT,
                    PRIMARY KEY (account, milestone, time_us, id)
                ) WITHOUT ROWID;
                CREATE TABLE touch_events (
                    account TEXT NOT NULL, team TEXT NOT NULL, time_us INTEGER NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL,
                    PRIMARY KEY (account, team, time_us, id)
                ) WITHOUT ROWID;
                CREATE TABLE surveys (
                    account TEXT NOT NULL, time_us INTEGER NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL,
                    kind TEXT NOT NULL, score INTEGER NOT NULL,
                    PRIMARY KEY (account, time_us, id)
                ) WITHOUT ROWID;
                CREATE TABLE overrides (
                    account TEXT NOT NULL, time_us INTEGER NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL,
                    author TEXT NOT NULL, band TEXT NOT NULL, reason TEXT NOT NULL, expires TEXT,
                    PRIMARY KEY (account, time_us, id)
                ) WITHOUT ROWID;
                CREATE TABLE rules (
                    version TEXT PRIMARY KEY, text TEXT NOT NULL, state TEXT NOT NULL, cursor TEXT
                ) WITHOUT ROWID;
                -- A rowid table: a row (about 1.2 KB) fits in its leaf page, where a WITHOUT ROWID
                -- row that large would take an overflow page of its own.
                CREATE TABLE scores (
                    rules TEXT NOT NULL, account TEXT NOT NULL, first_day INTEGER NOT NULL, last_day INTEGER NOT NULL,
                    complete INTEGER NOT NULL, score REAL, band TEXT, detail BLOB NOT NULL, points BLOB NOT NULL,
                    PRIMARY KEY (rules, account)
                );
                CREATE INDEX scores_by_day ON scores (rules, complete, last_day);
                CREATE TABLE score_dirty (account TEXT PRIMARY KEY, from_day INTEGER NOT NULL) WITHOUT ROWID;
                -- Accounts scored again under the active rules, or with an event that may fire an
                -- alert as it arrives (live: looked at first), for the alerter to look at (its work
                -- list, not a read model: a rebuild leaves it empty).
                CREATE TABLE alert_dirty (account TEXT PRIMARY KEY, mark INTEGER NOT NULL, live INTEGER NOT NULL) WITHOUT ROWID;
                -- The identity events (links of references, merges), and what they resolve to: each
                -- key (a reference's, or an account merged away) that belongs to another account.
                CREATE TABLE identity (
                    seq INTEGER PRIMARY KEY, kind INTEGER NOT NULL, subject TEXT NOT NULL, target TEXT NOT NULL,
                    time_us INTEGER NOT NULL, id TEXT NOT NULL
                );
                CREATE TABLE owners (key TEXT PRIMARY KEY, account TEXT NOT NULL) WITHOUT ROWID;
                CREATE TABLE notes (
                    account TEXT NOT NULL, time_us INTEGER NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL,
                    author TEXT NOT NULL, text TEXT NOT NULL, audience TEXT,
                    PRIMARY KEY (account, time_us, id)
                ) WITHOUT ROWID;
                -- The people: each contact update, and each person named on a call, a ticket or a
                -- note (the nth of its event), as sent; resolved to people when read (`PeopleDirectory`).
                CREATE TABLE contacts (
                    account TEXT NOT NULL, time_us INTEGER NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL,
                    person TEXT, email TEXT, name TEXT, title TEXT, role TEXT, left INTEGER, consent_calls INTEGER, consent_email INTEGER,
                    PRIMARY KEY (account, time_us, id)
                ) WITHOUT ROWID;
                -- Each task event (opened or closed), as its event gave it; a task's state is folded when read.
                CREATE TABLE task_events (
                    account TEXT NOT NULL, time_us INTEGER NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL, task TEXT NOT NULL,
                    kind TEXT NOT NULL, title TEXT, due TEXT, assignee TEXT, alert TEXT, actor TEXT, resolution TEXT,
                    PRIMARY KEY (account, time_us, id)
                ) WITHOUT ROWID;
                CREATE INDEX task_events_by_task ON task_events (account, task, kind);
                CREATE INDEX task_events_by_assignee ON task_events (kind, assignee);
                -- Each message sent to a person at the customer (message.sent), for finding the
                -- accounts an actor or a template wrote to; the audit reads the account's history.
                CREATE TABLE message_events (
                    account TEXT NOT NULL, time_us INTEGER NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL, message TEXT NOT NULL,
                    channel TEXT NOT NULL, template TEXT NOT NULL, actor TEXT, ticket TEXT,
                    PRIMARY KEY (account, time_us, id)
                ) WITHOUT ROWID;
                CREATE INDEX message_events_by_actor ON message_events (actor, template);
                CREATE INDEX message_events_by_template ON message_events (template);
                -- Each ticket's triage (ticket.triaged) under each triage rules version: the queue
                -- lists the open tickets by the latest version's priority.
                CREATE TABLE triage_events (
                    account TEXT NOT NULL, time_us INTEGER NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL, ticket TEXT NOT NULL,
                    version TEXT NOT NULL, priority INTEGER NOT NULL, tier TEXT NOT NULL, reasons TEXT NOT NULL,
                    PRIMARY KEY (account, time_us, id)
                ) WITHOUT ROWID;
                CREATE INDEX triage_events_by_ticket ON triage_events (account, ticket);
                CREATE INDEX triage_events_by_priority ON triage_events (version, priority);
                -- Each product.released (no customer's): cohort patterns look for moves after one.
                CREATE TABLE releases (
                    seq INTEGER PRIMARY KEY, time_us INTEGER NOT NULL, id TEXT NOT NULL, version TEXT NOT NULL, day INTEGER NOT NULL,
                    notes TEXT, plans TEXT
                );
                CREATE TABLE person_mentions (
                    account TEXT NOT NULL, time_us INTEGER NOT NULL, id TEXT NOT NULL, n INTEGER NOT NULL, seq INTEGER NOT NULL,
                    via TEXT NOT NULL, handle TEXT NOT NULL, sentiment REAL, ticket TEXT, author TEXT,
                    PRIMARY KEY (account, time_us, id, n)
                ) WITHOUT ROWID;
                """

    /// Every table of the layout.
    static let tables = ["meta", "projection_errors", "accounts", "items", "profile_events", "ticket_events", "usage_weeks", "account_records", "calls",
                         "milestone_events", "touch_events", "surveys", "overrides", "notes", "rules", "scores", "score_dirty",
                         "identity", "owners", "contacts", "person_mentions", "task_events", "message_events", "triage_events", "releases"]

    /// Every row of every table, in key order, as text, and under `sqlite_master` the layout
    /// (each table and index and its definition): for comparing two sets of read models.
    func allRows() throws -> [String: [String]] {
        try read { db in
            try Dictionary(uniqueKeysWithValues: Self.tables.map { table in
                (table, table == "account_records" ? try Self.recordSeqs(db) : try Row.fetchAll(db, sql: "SELECT * FROM \(table)" + (table == "scores" ? " ORDER BY rules, account" : "")).map(\.description))
            } + [("sqlite_master", try Row.fetchAll(db, sql: "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name").map(\.description))])
        }
    }

    /// Each account and span with the seqs of its stored records, in order: the live projector
    /// stores them in parts, a rebuild in one row, with the same records.
    static func recordSeqs(_ db: Database) throws -> [String] {
        var out: [String: [UInt64]] = [:]
        for r in try Row.fetchAll(db, sql: "SELECT account, span, records FROM account_records ORDER BY account, span, part") {
            let key = "\(r[0] as String) \(r[1] as Int)"
            let data: Data = r[2]
            let raw = try data.withUnsafeBytes { try RecordChunk.open($0) }
            try raw.withUnsafeBytes { buf in try RecordChunk.forEach(raw: buf) { out[key, default: []].append($0.seq) } }
        }
        return out.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
    }

    /// The last event of each of the log's `partitions` applied to the read models.
    public func checkpoint(_ partitions: Partitioning = .one) throws -> LogPosition { try read { try Self.checkpoint($0, partitions) } }

    /// The checkpoint of the read models in `directory`, read without opening them for writing;
    /// nil when there are none, or none of this build's layout, or they cannot be read.
    public static func checkpoint(directory: String, _ partitions: Partitioning) -> LogPosition? {
        reading(directory + "/projections.sqlite") { db in
            try Int.fetchOne(db, sql: "PRAGMA user_version") == schemaVersion ? try checkpoint(db, partitions) : nil
        } ?? nil
    }

    /// What `read` reads from the read models in `file`, opened read-only (the server may hold
    /// them for writing); nil when there are none or they cannot be read.
    static func reading<T>(_ file: String, _ read: (Database) throws -> T) -> T? {
        var config = Configuration()
        config.readonly = true
        guard FileManager.default.fileExists(atPath: file), let queue = try? DatabaseQueue(path: file, configuration: config) else { return nil }
        defer { try? queue.close() }
        return try? queue.read(read)
    }

    /// Partition 0's under `checkpoint` (as ever), each other's under `checkpoint.P`.
    static func checkpoint(_ db: Database, _ partitions: Partitioning) throws -> LogPosition {
        LogPosition(heads: try (0..<partitions.count).map { p in
            UInt64(try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [Self.checkpointKey(p)]) ?? 0)
        })
    }

    static func setCheckpoint(_ db: Database, _ position: LogPosition) throws {
        for (p, head) in position.heads.enumerated() {
            try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", arguments: [Self.checkpointKey(p), Int64(head)])
        }
    }

    static func checkpointKey(_ partition: Int) -> String { partition == 0 ? "checkpoint" : "checkpoint.\(partition)" }

    /// Runs `body` in one write transaction.
    func write<T>(_ body: (Database) throws -> T) throws -> T { try file.using { try $0.write(body) } }

    func read<T>(_ body: (Database) throws -> T) throws -> T { try file.using { try $0.read(body) } }

    /// Copies the write-ahead log into the database and empties it, so that no page a change
    /// replaced (an erased account's rows) stays in it. Waits out readers of older states (at
    /// most about five seconds).
    func truncateWAL() throws {
        for attempt in 0..<50 {
            do {
                try file.using { try $0.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) } }
                return
            } catch let e as DatabaseError where e.resultCode == .SQLITE_BUSY || e.resultCode == .SQLITE_LOCKED {
            }
            if attempt < 49 { usleep(100_000) }
        }
        throw ReadModelError(.io, "the read models' write-ahead log could not be emptied: readers kept older states open for five seconds")
    }
}

extension ProjectionStore {
    /// Events the folds could not take (filed by the projector and the rebuild, left out of every
    /// read model): how many there are, and the first `limit` after seq `after`, in seq order.
    public func projectionErrors(after: UInt64 = 0, limit: Int = 100) throws -> (count: Int, errors: [(seq: UInt64, account: String, error: String)]) {
        try read { db in
            let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM projection_errors") ?? 0
            let rows = try Row.fetchAll(db, sql: "SELECT seq, account, error FROM projection_errors WHERE seq > ? ORDER BY seq LIMIT ?",
                                        arguments: [Int64(clamping: after), limit])
            return (count, rows.map { (UInt64(max(0, $0["seq"] as Int64)), $0["account"], $0["error"]) })
        }
    }
}
