import GRDB
import ThroughlineCore

extension ProjectionStore {
    /// The data-quality report as of `now` (see `DataQualityReport`), from the read models and
    /// the producers' ledger.
    public func dataQuality(now: Int64) throws -> DataQualityReport {
        var report = try dataQualityOfReadModels(now: now)
        report.producers = try producers.rising(now: now)
        return report
    }

    private func dataQualityOfReadModels(now: Int64) throws -> DataQualityReport {
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
            // Each account with a name or a domain in its profile, and its latest profile event.
            struct Profile { let account: String, name: String?, domain: String?, seq: UInt64 }
            let profiles = try Row.fetchAll(db, sql: """
                SELECT a.account, a.name, json_extract(a.profile, '$.domain'), (SELECT max(seq) FROM profile_events p WHERE p.account = a.account)
                FROM accounts a WHERE a.name IS NOT NULL OR json_extract(a.profile, '$.domain') IS NOT NULL ORDER BY a.account
                """).map { r in Profile(account: r[0], name: r[1], domain: r[2], seq: UInt64(r[3] as Int64? ?? 0)) }
            // The groups of two or more accounts that share a key (in account order within a group), by key.
            func sharing(_ key: (Profile) -> String?) -> [(key: String, group: [Profile])] {
                Dictionary(grouping: profiles.compactMap { p in key(p).map { (key: $0, profile: p) } }, by: \.key)
                    .filter { $0.value.count > 1 }.sorted { $0.key < $1.key }.map { ($0.key, $0.value.map(\.profile)) }
            }
            func finding(_ kind: String, _ text: String, _ group: [Profile]) -> DataQualityReport.Finding {
                DataQualityReport.Finding(kind: kind, text: text, accounts: group.map(\.account), seqs: group.map(\.seq).filter { $0 > 0 })
            }
            let sharedDomains = sharing(\.domain).map { domain, group in
                finding("same_domain", "\(group.map(\.account).joined(separator: ", ")) share the domain \(domain): merge them with account.merged if they are one customer", group)
            }
            let sameNames = sharing { p in p.name.map(DataQualityReport.nameKey).flatMap { $0.isEmpty ? nil : $0 } }
            let duplicates = sameNames.sorted { $0.group[0].account < $1.group[0].account }.map { _, group in
                finding("same_name", "\(group.map { "\($0.account) (\($0.name ?? ""))" }.joined(separator: ", ")) may be one customer: merge them with account.merged if so", group)
            }
            // Names a letter or two apart (a typo, a plural), once equal ones are grouped above.
            let named = profiles.compactMap { p in p.name.map { (profile: p, key: DataQualityReport.nameKey($0)) } }.filter { !$0.key.isEmpty }
            let near = DataQualityReport.nearNames(named.map(\.key)).map { places in
                let group = places.map { named[$0].profile }
                return finding("near_name", "\(group.map { "\($0.account) (\($0.name ?? ""))" }.joined(separator: ", ")) have nearly the same name: merge them with account.merged if they are one customer", group)
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
                SELECT account, CASE WHEN audience IS NULL THEN title ELSE 'a note only its author or team sees' END, time_us, seqs FROM items WHERE (time_us > ? OR time_us < ?) AND kind <> 'band_change' ORDER BY account, time_us LIMIT 1000
                """, arguments: [ahead, floor]).map { r -> DataQualityReport.Finding in
                let (account, title, time): (String, String, Int64) = (r[0], r[1], r[2])
                let when = Timestamp.utc(microseconds: time).description
                return DataQualityReport.Finding(kind: time > ahead ? "future" : "past", text: "\(account): \(title), dated \(when)",
                                                 accounts: [account], seqs: parseSeqs(r[3]))
            }
            return DataQualityReport(asOf: Timestamp.utc(microseconds: now).description, unlinked: systems.values.sorted { $0.system < $1.system },
                                     identity: identity, probableDuplicates: sharedDomains + duplicates + near, tickets: tickets, outOfTime: outOfTime)
        }
    }
}
