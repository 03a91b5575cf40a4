import EventLog
import Foundation
import GRDB
import Synchronization
import ThroughlineCore

/// Who did what, when: every request the server answers for a principal (who read which
/// account, who appended, who changed rules or ran a replay), and every token, user and
/// erasure change the commands make, in `audit.sqlite` beside the log (owner-only). Entries are
/// only ever added: triggers refuse an UPDATE or a DELETE. The server hands its entries to a
/// writer that commits them in batches, so a request does not wait for the file.
public final class AuditTrail: Sendable {
    /// One thing done.
    public struct Entry: Sendable, Equatable {
        /// Its number in the trail (0 until stored).
        public var seq: Int64 = 0
        public var time: Int64
        /// `token:NAME`, `user:NAME`, `proxy:NAME`, `local:UID` (a request on the socket or a command).
        public var principal: String
        /// What was done: `read`, `append`, `annotate`, `operate`, `administer`, or a command's
        /// own (`token.created`, `token.revoked`, `user.added`, `user.removed`, `sign-in`, `sign-in.refused`).
        public var action: String
        /// The request (`GET /v1/accounts/acme/timeline?…`) or the command line.
        public var request: String
        /// The account the request was about, if one.
        public var account: String?
        /// The answer's status (0 for a command).
        public var status: Int
        /// Where it came from: an IP address, or `socket`, or `command`.
        public var address: String

        public init(time: Int64, principal: String, action: String, request: String, account: String? = nil, status: Int, address: String) {
            (self.time, self.principal, self.action, self.request, self.account, self.status, self.address) =
                (time, principal, action, request, account, status, address)
        }
    }

    let pool: DatabasePool
    private let pending = Mutex<[Entry]>([])

    public static func path(in directory: String) -> String { directory + "/audit.sqlite" }

    public init(directory: String) throws(AccessError) {
        pool = try AccessFile.open(Self.path(in: directory), what: "the audit trail", schema: """
            CREATE TABLE IF NOT EXISTS audit (
                seq INTEGER PRIMARY KEY AUTOINCREMENT, time_us INTEGER NOT NULL, principal TEXT NOT NULL, action TEXT NOT NULL,
                request TEXT NOT NULL, account TEXT, status INTEGER NOT NULL, address TEXT NOT NULL
            );
            CREATE INDEX IF NOT EXISTS audit_account ON audit (account, seq) WHERE account IS NOT NULL;
            CREATE INDEX IF NOT EXISTS audit_principal ON audit (principal, seq);
            CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
            CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
            """)
    }

    /// Adds entries now (the commands, and the server's writer).
    public func append(_ entries: [Entry]) throws(AccessError) {
        guard !entries.isEmpty else { return }
        do {
            try pool.write { db in
                let statement = try db.cachedStatement(sql: """
                    INSERT INTO audit (time_us, principal, action, request, account, status, address) VALUES (?, ?, ?, ?, ?, ?, ?)
                    """)
                for e in entries {
                    try statement.execute(arguments: [e.time, e.principal, e.action, e.request, e.account, e.status, e.address])
                }
            }
        } catch {
            throw AccessError("cannot write the audit trail: \(error)")
        }
    }

    /// Queues an entry for the next `flush` (the server's requests).
    public func record(_ entry: Entry) { pending.withLock { $0.append(entry) } }

    /// Writes what was queued; returns how many.
    @discardableResult
    public func flush() throws(AccessError) -> Int {
        let batch = pending.withLock { p in defer { p = [] }; return p }
        do { try append(batch) } catch {
            pending.withLock { $0.insert(contentsOf: batch, at: 0) }
            throw error
        }
        return batch.count
    }

    /// What to read back: by account, by principal, after an entry, at most `limit`, newest first.
    public struct Filter: Sendable {
        public var account: String?
        public var principal: String?
        /// Only entries before this seq (to page back).
        public var before: Int64?
        public var limit = 100
        public init() {}
    }

    /// Entries matching `filter`, newest first.
    public func entries(_ filter: Filter) throws(AccessError) -> [Entry] {
        var sql = "SELECT seq, time_us, principal, action, request, account, status, address FROM audit WHERE 1"
        var args: [any DatabaseValueConvertible] = []
        if let a = filter.account { sql += " AND account = ?"; args.append(a) }
        if let p = filter.principal { sql += " AND principal = ?"; args.append(p) }
        if let b = filter.before { sql += " AND seq < ?"; args.append(b) }
        sql += " ORDER BY seq DESC LIMIT \(max(1, min(filter.limit, 10_000)))"
        do {
            return try pool.read { db in
                try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)).map { r in
                    var e = Entry(time: r[1], principal: r[2], action: r[3], request: r[4], account: r[5], status: r[6], address: r[7])
                    e.seq = r[0]
                    return e
                }
            }
        } catch {
            throw AccessError("cannot read the audit trail: \(error)")
        }
    }
}
