import EventLog
import Foundation
import GRDB
import Scoring
import ThroughlineCore

/// The rows of one account's scores under one rules version: its daily series, its current
/// score, band and explanation, and a timeline item for each band change. The live projector
/// and the rebuild both write them with this, the projector only from the first day an event
/// changed.
enum AccountScoring {
    static func put(_ h: AccountHistory, _ rules: StoredRules, old: ScoreSeries?, from: Int, horizon: Int, _ rows: inout RowList) {
        let active = rules.state == .active, rules = rules.rules
        // From `start` on points are computed again; the days before keep their points and items.
        let (series, start) = ScoreSeries.refreshed(old, h, rules: rules, from: from, horizon: horizon)
        // A series that ends before the horizon (the account churned) is complete, not behind.
        let complete = series.lastDay < horizon
        let current = series.scores.last ?? nil, inForce = series.band(on: series.lastDay, rules), band = inForce?.rawValue
        // The latest day's health summary (what the context view shows), as JSON compressed with LZ4.
        let detail = series.scores.isEmpty ? Data() : Data(RecordChunk.seal(Array(JSONWriter.string(.object(
            Score(h, rules: rules, at: Day(series.lastDay).end, band: inForce).summary)).utf8)))
        rows.put(.score, rules.version, h.account, series.firstDay, series.lastDay, complete, current, band, detail, Data(series.bytes))
        // The portfolio sorts and filters by the active version's current score and band.
        if active { rows.put(.accountScore, current, band, h.account) }
        // Band changes from `start` on are found again (and none after a churn that ended the
        // series); a day without a score on either side is no change of band.
        let redo = min(start, series.lastDay + 1)
        rows.put(.dropBandItems, h.account, TimelineEntry.bandChangeKey(rules.version, day: redo), TimelineEntry.bandChangeKeyEnd(rules.version))
        for change in ScoreHistory.bandChanges(Array(series.points(rules).drop { $0.day < redo - 1 })) {
            guard let previous = change.from, let to = change.to else { continue }
            BatchFold.put(.bandChange(h, rules: rules, day: change.day, from: previous, to: to, previousScore: series.score(on: change.day - 1)),
                          account: h.account, &rows)
        }
    }

    /// Scores `account` again under `versions` from day `from` on. Its history is loaded without
    /// the usage records no day from there on can read (most of an account's events), unless a
    /// version has no series yet or the history now starts earlier: then all of it.
    static func refresh(_ db: Database, _ account: String, from: Int, versions: [StoredRules], horizon: Int, _ rows: inout RowList) throws {
        // A reference no account is linked to has no score.
        guard !AccountRef.isKey(account) else { return }
        let olds = try versions.map { try series(db, $0.version, account) }
        var usageAfter: Int64? = .max
        for (v, old) in zip(versions, olds) {
            guard let old, from >= old.firstDay else {
                usageAfter = nil
                break
            }
            usageAfter = min(usageAfter ?? .max, Signals.usageIrrelevant(before: min(from, old.lastDay + 1), v.rules))
        }
        guard let h = try ProjectionStore.history(db, account, usageAfter: usageAfter) else { return }
        for (v, old) in zip(versions, olds) { put(h, v, old: old, from: from, horizon: horizon, &rows) }
        // Scored again live under the active rules: the alerter looks at it (a rebuild does not mark).
        if versions.contains(where: { $0.state == .active }) { rows.put(.alertDirty, account, 0) }
    }

    /// The stored health summary of the latest scored day of `account` under `version`, if any.
    static func summary(_ db: Database, _ version: String, _ account: String) throws -> JSONValue? {
        guard let data = try Data.fetchOne(db.cachedStatement(sql: "SELECT detail FROM scores WHERE rules = ? AND account = ?"),
                                           arguments: [version, account]), !data.isEmpty else { return nil }
        do {
            let raw = try data.withUnsafeBytes { try RecordChunk.open($0) }
            return try raw.withUnsafeBufferPointer { try JSONParser.parse($0) }
        } catch {
            throw ReadModelError(.damaged, "the stored health summary of \(account) under \(version) does not decode: \(error); rebuild the read models")
        }
    }

    /// The stored series of `account` under `version`, if any.
    static func series(_ db: Database, _ version: String, _ account: String) throws -> ScoreSeries? {
        guard let r = try Row.fetchOne(db.cachedStatement(sql: "SELECT first_day, points FROM scores WHERE rules = ? AND account = ?"),
                                       arguments: [version, account]) else { return nil }
        let bytes: Data = r[1]
        return ScoreSeries(firstDay: r[0], bytes: bytes)
    }

    /// The last day scores are computed through: the day of the latest event, but never later
    /// than the day the log last recorded an append (an event dated in the future does not
    /// make every account be scored up to it). A pure function of the log.
    static func horizon(_ db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT min(value) FROM meta WHERE key IN ('max_event_day', 'max_recorded_day')") ?? 0
    }
}
