import EventLog
import Foundation
import GRDB
import Synchronization
import ThroughlineCore

/// Each producer's lines by day, accepted and rejected, and its latest rejections, as the
/// server's ingest counted them (`ProducerTally`): what the data-quality report reads to name a
/// producer whose rejected share is rising. Rejected lines are not in the log, so this is kept
/// beside the read models (`producers.sqlite`), not derived from the log, and outlives a rebuild.
public final class ProducerLedger: Sendable {
    let queue: DatabaseQueue

    public init(directory: String) throws {
        let path = directory + "/producers.sqlite"
        var config = Configuration()
        config.busyMode = .timeout(5)
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL") }
        do {
            try FileSystem.ownerOnly(path)
            queue = try DatabaseQueue(path: path, configuration: config)
            try queue.write { db in
                try db.execute(sql: """
                    CREATE TABLE IF NOT EXISTS producer_days (
                        source TEXT NOT NULL, day INTEGER NOT NULL, accepted INTEGER NOT NULL, rejected INTEGER NOT NULL,
                        PRIMARY KEY (source, day)
                    ) WITHOUT ROWID;
                    CREATE TABLE IF NOT EXISTS producer_rejections (
                        source TEXT NOT NULL, time_us INTEGER NOT NULL, n INTEGER NOT NULL, id TEXT, reason TEXT NOT NULL,
                        PRIMARY KEY (source, time_us, n)
                    ) WITHOUT ROWID;
                    """)
            }
        } catch {
            throw ReadModelError(.io, "cannot open the producers' ledger \(path): \(error)")
        }
    }

    /// The tallies recorded and not yet written: an ingest's acknowledgement does not wait for
    /// the ledger's transaction (it had cost two thread hops and a commit on every request).
    private struct Pending {
        var days: [DayKey: (accepted: Int, rejected: Int)] = [:]
        var rejections: [(micros: Int64, tally: [String: [ProducerTally.Rejection]])] = []
        var scheduled = false
    }

    private struct DayKey: Hashable {
        var source: String
        var day: Int
    }

    private let pending = Mutex(Pending())

    /// Adds one ingest's tally, counted on the day of `micros`; keeps each producer's latest
    /// rejections only. The tally is written in the background, together with those that come
    /// meanwhile; a read of the ledger writes what is pending first. `failed` is told if the
    /// write fails (the counts of that write are lost; the log is not touched).
    public func record(_ tally: ProducerTally, at micros: Int64, failed: @escaping @Sendable (Error) -> Void = { _ in }) {
        guard !tally.isEmpty else { return }
        let day = Day(containing: micros).number
        let schedule = pending.withLock { p -> Bool in
            for source in Set(tally.accepted.keys).union(tally.rejected.keys) {
                let key = DayKey(source: source, day: day)
                let before = p.days[key] ?? (0, 0)
                p.days[key] = (before.accepted + (tally.accepted[source] ?? 0), before.rejected + (tally.rejected[source] ?? 0))
            }
            if !tally.rejections.isEmpty { p.rejections.append((micros, tally.rejections)) }
            defer { p.scheduled = true }
            return !p.scheduled
        }
        guard schedule else { return }
        queue.asyncWrite({ [self] db in try writePending(db) }, completion: { _, result in
            if case .failure(let error) = result { failed(error) }
        })
    }

    /// Writes what is pending now (a server stopping calls it; reads do it themselves). With
    /// nothing scheduled there is nothing to write: a write already under way holds the queue, so
    /// a read after this waits for it.
    public func flush() throws {
        guard pending.withLock({ $0.scheduled }) else { return }
        try queue.write { db in try writePending(db) }
    }

    private func writePending(_ db: Database) throws {
        let p = pending.withLock { p -> Pending in
            defer { p = Pending() }
            return p
        }
        for (key, n) in p.days {
            try db.execute(sql: """
                INSERT INTO producer_days (source, day, accepted, rejected) VALUES (?, ?, ?, ?)
                ON CONFLICT (source, day) DO UPDATE SET accepted = accepted + excluded.accepted, rejected = rejected + excluded.rejected
                """, arguments: [key.source, key.day, n.accepted, n.rejected])
        }
        var sources = Set<String>()
        for (micros, tally) in p.rejections {
            for (source, list) in tally {
                sources.insert(source)
                for (n, r) in list.enumerated() {
                    try db.execute(sql: "INSERT OR REPLACE INTO producer_rejections (source, time_us, n, id, reason) VALUES (?, ?, ?, ?, ?)",
                                   arguments: [source, micros, n, r.id, r.reason])
                }
            }
        }
        for source in sources {
            try db.execute(sql: """
                DELETE FROM producer_rejections WHERE source = ? AND (time_us, n) NOT IN
                    (SELECT time_us, n FROM producer_rejections WHERE source = ? ORDER BY time_us DESC, n DESC LIMIT \(ProducerTally.keptRejections))
                """, arguments: [source, source])
        }
    }

    /// The producers whose rejected share is rising as of `now` (`DataQualityReport.Producer`).
    public func rising(now: Int64) throws -> [DataQualityReport.Producer] {
        let today = Day(containing: now).number
        try flush()
        return try queue.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT source, sum(CASE WHEN day > ? THEN accepted ELSE 0 END), sum(CASE WHEN day > ? THEN rejected ELSE 0 END),
                       sum(CASE WHEN day <= ? THEN accepted ELSE 0 END), sum(CASE WHEN day <= ? THEN rejected ELSE 0 END)
                FROM producer_days WHERE day > ? AND day <= ? GROUP BY source ORDER BY source
                """, arguments: [today - 7, today - 7, today - 7, today - 7, today - 35, today])
            return try rows.compactMap { r in
                let source: String = r[0]
                guard var p = DataQualityReport.Producer.rising(source: source, recent: (r[1], r[2]), before: (r[3], r[4])) else { return nil }
                p.examples = try Row.fetchAll(db, sql: "SELECT id, reason FROM producer_rejections WHERE source = ? ORDER BY time_us DESC, n DESC",
                                              arguments: [source]).map { DataQualityReport.Producer.Example(id: $0[0], reason: $0[1]) }
                return p
            }
        }
    }
}
