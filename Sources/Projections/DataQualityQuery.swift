import GRDB
import ThroughlineCore

extension ProjectionStore {
    /// The data-quality report as of `now` (see `DataQualityReport`), from the read models alone.
    public func dataQuality(now: Int64) throws -> DataQualityReport {
        try read { db in
            var systems: [String: DataQualityReport.System] = [:]
            for r in try Self.unlinked(db).references {
                var s = systems[r.system] ?? DataQualityReport.System(system: r.system, references: 0, events: 0, oldest: r.oldest)
                s.references += 1
                s.events += r.events
                s.oldest = min(s.oldest, r.oldest)
                systems[r.system] = s
            }
            let identity = IdentityMap(try Self.identityStatements(db)).problems.map { p in
                DataQualityReport.Finding(kind: p.kind.rawValue, text: p.text, accounts: [p.subject].filter { !AccountRef.isKey($0) }, seqs: p.seqs)
            }
            var byName: [String: [(account: String, name: String, seq: UInt64)]] = [:]
            for r in try Row.fetchAll(db, sql: """
                SELECT a.account, a.name, (SELECT max(seq) FROM profile_events p WHERE p.account = a.account) FROM accounts a WHERE a.name IS NOT NULL ORDER BY a.account
                """) {
                let name: String = r[1]
                let key = DataQualityReport.nameKey(name)
                if !key.isEmpty { byName[key, default: []].append((r[0], name, UInt64(r[2] as Int64? ?? 0))) }
            }
            let duplicates = byName.values.filter { $0.count > 1 }.sorted { $0[0].account < $1[0].account }.map { group in
                DataQualityReport.Finding(kind: "same_name", text: "\(group.map { "\($0.account) (\($0.name))" }.joined(separator: ", ")) may be one customer: "
                                              + "merge them with account.merged if so", accounts: group.map(\.account), seqs: group.map(\.seq).filter { $0 > 0 })
            }
            var byDomain: [String: [(account: String, seq: UInt64)]] = [:]
            for r in try Row.fetchAll(db, sql: """
                SELECT a.account, json_extract(a.profile, '$.domain'), (SELECT max(seq) FROM profile_events p WHERE p.account = a.account)
                FROM accounts a WHERE json_extract(a.profile, '$.domain') IS NOT NULL ORDER BY a.account
                """) {
                byDomain[r[1], default: []].append((r[0], UInt64(r[2] as Int64? ?? 0)))
            }
            let sharedDomains = byDomain.sorted { $0.key < $1.key }.filter { $0.value.count > 1 }.map { domain, group in
                DataQualityReport.Finding(kind: "same_domain", text: "\(group.map(\.account).joined(separator: ", ")) share the domain \(domain): "
                                              + "merge them with account.merged if they are one customer", accounts: group.map(\.account), seqs: group.map(\.seq).filter { $0 > 0 })
            }
            let tickets = try Row.fetchAll(db, sql: """
                SELECT account, ticket, sum(kind = 1), sum(kind = 3), group_concat(seq) FROM ticket_events GROUP BY account, ticket
                HAVING sum(kind = 1) = 0 OR sum(kind = 3) > 1 ORDER BY account, ticket LIMIT 1000
                """).map { r -> DataQualityReport.Finding in
                let (account, ticket, opened, closed): (String, String, Int, Int) = (r[0], r[1], r[2], r[3])
                let what = opened == 0 ? (closed > 0 ? "closed but never opened" : "updated but never opened") : "closed \(closed) times"
                return DataQualityReport.Finding(kind: opened == 0 ? "never_opened" : "closed_twice", text: "ticket \(ticket) of \(account) was \(what)",
                                                 accounts: [account], seqs: parseSeqs(r[4]).sorted())
            }
            let ahead = now + 2 * 86_400_000_000, floor = Int64(946_684_800) * 1_000_000
            let outOfTime = try Row.fetchAll(db, sql: """
                SELECT account, title, time_us, seqs FROM items WHERE (time_us > ? OR time_us < ?) AND kind <> 'band_change' ORDER BY account, time_us LIMIT 1000
                """, arguments: [ahead, floor]).map { r -> DataQualityReport.Finding in
                let (account, title, time): (String, String, Int64) = (r[0], r[1], r[2])
                let when = Timestamp.utc(microseconds: time).description
                return DataQualityReport.Finding(kind: time > ahead ? "future" : "past", text: "\(account): \(title), dated \(when)",
                                                 accounts: [account], seqs: parseSeqs(r[3]))
            }
            return DataQualityReport(asOf: Timestamp.utc(microseconds: now).description, unlinked: systems.values.sorted { $0.system < $1.system },
                                     identity: identity, probableDuplicates: sharedDomains + duplicates, tickets: tickets, outOfTime: outOfTime)
        }
    }
}
