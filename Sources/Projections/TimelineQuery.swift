import EventLog
import GRDB
import Scoring
import ThroughlineCore

/// One page of an account's timeline, newest first.
public struct TimelinePage: Sendable {
    public var items: [TimelineEntry]
    /// Pass as `cursor` to get the next (older) page; nil on the last page.
    public var nextCursor: String?

    public var jsonValue: JSONValue {
        var m: [JSONMember] = [JSONMember("items", .array(items.map(\.jsonValue)))]
        if let nextCursor { m.append(JSONMember("next_cursor", .string(nextCursor))) }
        return .object(m)
    }
}

/// Filters of a timeline read. Times are event times in microseconds (since inclusive, until exclusive).
public struct TimelineFilter: Sendable {
    public var since: Int64?
    public var until: Int64?
    public var kinds: [TimelineEntry.Kind]?
    public var source: String?
    public var limit = 50
    /// Opaque position from a previous page.
    public var cursor: String?

    public init() {}

    /// Parses a cursor (`<time_us>.<key>`), or explains why it is not one.
    static func parseCursor(_ text: String) throws -> (Int64, String) {
        guard let dot = text.firstIndex(of: "."), let t = Int64(text[..<dot]) else {
            throw ReadModelError(.invalidArgument, "cursor: \(text) is not a cursor returned by a timeline read")
        }
        return (t, String(text[text.index(after: dot)...]))
    }
}

extension ProjectionStore {
    /// An account's timeline items, newest first, or nil if the account has no events (band
    /// changes under the active rules only): the notes
    /// `reader` may see (nil: all), the calls with what they recorded withheld where consent to
    /// recording is missing.
    public func timeline(_ account: String, _ filter: TimelineFilter, reader: Principal? = nil) throws -> TimelinePage? {
        var sql = "SELECT key, time_us, kind, title, source, seqs, detail FROM items WHERE account = ?"
        var args: StatementArguments = [account]
        if let since = filter.since {
            sql += " AND time_us >= ?"
            args += [since]
        }
        if let until = filter.until {
            sql += " AND time_us < ?"
            args += [until]
        }
        if let kinds = filter.kinds, !kinds.isEmpty {
            sql += " AND kind IN (" + kinds.map { _ in "?" }.joined(separator: ",") + ")"
            args += StatementArguments(kinds.map(\.rawValue))
        }
        if let source = filter.source {
            sql += " AND source = ?"
            args += [source]
        }
        if let cursor = filter.cursor {
            let (t, key) = try TimelineFilter.parseCursor(cursor)
            sql += " AND (time_us, key) < (?, ?)"
            args += [t, key]
        }
        let filtered = sql, filteredArgs = args
        return try read { db in
            guard let csm = try Row.fetchOne(db.cachedStatement(sql: "SELECT csm FROM accounts WHERE account = ?"), arguments: [account]) else {
                return nil
            }
            var sql = filtered, args = filteredArgs
            // Band changes under the rules in force only: an earlier version's stop where it was
            // retired, which differs from node to node and from a rebuild.
            let active = try String.fetchOne(db.cachedStatement(sql: "SELECT version FROM rules WHERE state = 'active'")) ?? DefaultRules.load().version
            sql += " AND (kind <> 'band_change' OR (key >= ? AND key < ?))"
            args += [TimelineEntry.bandChangePrefix(active), TimelineEntry.bandChangeKeyEnd(active)]
            if let audience = NoteAudience.of(reader, accountCSM: csm[0]) {
                sql += " AND " + NoteAudience.sqlCondition
                args += StatementArguments(audience.sqlArguments)
            }
            sql += " ORDER BY time_us DESC, key DESC LIMIT ?"
            args += [filter.limit + 1]
            var items: [TimelineEntry] = []
            let rows = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: args)
            while let row = try rows.next() {
                // Columns by position: key, time_us, kind, title, source, seqs, detail.
                let detailText: String = row[6]
                guard let detail = try? JSONParser.parse(detailText), let kind = TimelineEntry.Kind(rawValue: row[2]) else {
                    throw ReadModelError(.damaged, "a timeline item of \(account) is unreadable; rebuild the read models")
                }
                items.append(TimelineEntry(kind: kind, timeMicros: row[1], key: row[0], title: row[3], source: row[4],
                                           seqs: parseSeqs(row[5]), detail: detail))
            }
            var next: String?
            if items.count > filter.limit {
                items.removeLast()
                next = items.last.map { "\($0.timeMicros).\($0.key)" }
            }
            if items.contains(where: { $0.kind == .call || $0.kind == .meeting }) {
                let consent = try Self.callConsent(db, account)
                items = items.map { item in
                    guard item.kind == .call || item.kind == .meeting else { return item }
                    let participants = item.detail["participants"]?.strings ?? []
                    return consent.refusal(at: item.timeMicros, participants: participants).map { TimelineBuilder.withholding(item, $0) } ?? item
                }
            }
            return TimelinePage(items: items, nextCursor: next)
        }
    }
}
