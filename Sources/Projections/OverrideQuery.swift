import GRDB
import Scoring
import ThroughlineCore

extension ProjectionStore {
    /// The overrides in force at `asOf` (each account's latest not yet expired, as a score shows
    /// it) on accounts that have not churned, and those that disagree with the computed band.
    public func overrideInbox(asOf: Int64) throws -> OverrideInbox {
        let today = Day(containing: asOf).description
        let rows = try read { db in
            try Row.fetchAll(db, sql: """
                SELECT o.account, o.time_us, o.seq, o.author, o.band, o.reason, o.expires, a.name, a.csm, a.band AS computed, a.score
                FROM overrides o JOIN accounts a ON a.account = o.account
                WHERE o.time_us <= ? AND (o.expires IS NULL OR o.expires >= ?) AND a.outcome IS NOT 'churned'
                ORDER BY o.account, o.time_us, o.seq
                """, arguments: [asOf, today])
        }
        // Each account's latest override in force.
        var latest: [String: Row] = [:]
        for r in rows { latest[r["account"]] = r }
        let entries = latest.values.compactMap { r -> (time: Int64, entry: OverrideInbox.Entry)? in
            guard let band = Band(rawValue: r["band"]) else { return nil }
            return (r["time_us"], OverrideInbox.Entry(account: r["account"], name: r["name"], csm: r["csm"], band: band, author: r["author"], reason: r["reason"],
                                       since: Timestamp.utc(microseconds: r["time_us"]).description,
                                       expires: (r["expires"] as String?).flatMap(CalendarDate.init(iso:)), seq: UInt64(r["seq"] as Int64),
                                       computedBand: (r["computed"] as String?).flatMap(Band.init(rawValue:)), score: r["score"]))
        }
        let disagreeing = entries.filter(\.entry.disagrees).sorted { ($0.time, $0.entry.account) < ($1.time, $1.entry.account) }.map(\.entry)
        return OverrideInbox(asOf: Timestamp.utc(microseconds: asOf).description, disagreeing: disagreeing, inForce: entries.count)
    }
}
