import EventLog
import Foundation
import GRDB
import ThroughlineCore

/// The webhook deliveries of the alerts (`deliveries.sqlite` beside the log, owner-only): where
/// the sender has read the log to, each delivery (an alert to an endpoint) with its state, and
/// every attempt. A delivery not yet made when the server stops is tried again after a restart.
final class WebhookStore: Sendable {
    enum State: String, Sendable { case pending, delivered, dead }

    struct Delivery: Sendable {
        var id: Int64
        var alert: String
        var account: String
        var endpoint: String
        var url: String
        var body: Data
        var state: State
        var attempts: Int
        var nextMicros: Int64
        var lastError: String?
    }

    struct Attempt: Sendable {
        var n: Int
        var atMicros: Int64
        var status: Int?
        var error: String?
        var millis: Int
    }

    private let queue: DatabaseQueue

    init(directory: String) throws {
        let path = directory + "/deliveries.sqlite"
        var config = Configuration()
        config.busyMode = .timeout(5)
        queue = try DatabaseQueue(path: path, configuration: config)
        try FileSystem.ownerOnly(path)
        try queue.write { db in
            try db.execute(sql: """
                CREATE TABLE IF NOT EXISTS cursor (one INTEGER PRIMARY KEY CHECK (one = 1), position TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS delivery (
                    id INTEGER PRIMARY KEY, alert TEXT NOT NULL, account TEXT NOT NULL, endpoint TEXT NOT NULL, url TEXT NOT NULL,
                    body BLOB NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_us INTEGER NOT NULL,
                    last_error TEXT, UNIQUE (alert, endpoint)
                );
                CREATE INDEX IF NOT EXISTS delivery_due ON delivery (state, next_us);
                CREATE TABLE IF NOT EXISTS attempt (
                    delivery INTEGER NOT NULL, n INTEGER NOT NULL, at_us INTEGER NOT NULL, status INTEGER, error TEXT, ms INTEGER NOT NULL,
                    PRIMARY KEY (delivery, n)
                );
                """)
        }
    }

    /// Where the sender has read the log to (nil before its first read).
    func position() throws -> String? {
        try queue.read { db in try String.fetchOne(db, sql: "SELECT position FROM cursor") }
    }

    /// Adds the deliveries of the alerts read up to `position` (an alert already queued for an
    /// endpoint is not queued again) and moves the cursor there, in one transaction.
    func enqueue(_ new: [(alert: String, account: String, endpoint: String, url: String, body: Data)], through position: String, now: Int64) throws {
        try queue.write { db in
            for d in new {
                try db.execute(sql: """
                    INSERT OR IGNORE INTO delivery (alert, account, endpoint, url, body, state, next_us) VALUES (?, ?, ?, ?, ?, 'pending', ?)
                    """, arguments: [d.alert, d.account, d.endpoint, d.url, d.body, now])
            }
            try db.execute(sql: "INSERT OR REPLACE INTO cursor (one, position) VALUES (1, ?)", arguments: [position])
        }
    }

    /// Pending deliveries whose time has come, oldest first, at most `limit`.
    func due(now: Int64, limit: Int) throws -> [Delivery] {
        try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM delivery WHERE state = 'pending' AND next_us <= ? ORDER BY next_us, id LIMIT ?",
                             arguments: [now, limit]).map(Self.delivery)
        }
    }

    /// Records attempt `n` of delivery `id` and its outcome: delivered, tried again at `retryAt`,
    /// or (neither) dead: no try is left.
    func record(_ id: Int64, _ attempt: Attempt, delivered: Bool, retryAt: Int64?) throws {
        try queue.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO attempt (delivery, n, at_us, status, error, ms) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [id, attempt.n, attempt.atMicros, attempt.status, attempt.error, attempt.millis])
            let state: State = delivered ? .delivered : retryAt == nil ? .dead : .pending
            try db.execute(sql: "UPDATE delivery SET state = ?, attempts = ?, next_us = ?, last_error = ? WHERE id = ?",
                           arguments: [state.rawValue, attempt.n, retryAt ?? attempt.atMicros, attempt.error, id])
        }
    }

    /// Deliveries newest first (of one state, if given), each with its attempts.
    func list(state: State?, limit: Int) throws -> [(Delivery, [Attempt])] {
        try queue.read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM delivery WHERE ? IS NULL OR state = ? ORDER BY id DESC LIMIT ?",
                                        arguments: [state?.rawValue, state?.rawValue, limit])
            return try rows.map(Self.delivery).map { d in
                (d, try Row.fetchAll(db, sql: "SELECT n, at_us, status, error, ms FROM attempt WHERE delivery = ? ORDER BY n", arguments: [d.id]).map {
                    Attempt(n: $0[0], atMicros: $0[1], status: $0[2], error: $0[3], millis: $0[4])
                })
            }
        }
    }

    static func delivery(_ r: Row) -> Delivery {
        Delivery(id: r["id"], alert: r["alert"], account: r["account"], endpoint: r["endpoint"], url: r["url"], body: r["body"],
                 state: State(rawValue: r["state"]) ?? .pending, attempts: r["attempts"], nextMicros: r["next_us"], lastError: r["last_error"])
    }
}
