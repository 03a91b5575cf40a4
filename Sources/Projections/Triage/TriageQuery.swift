import GRDB
import Scoring
import ThroughlineCore

extension ProjectionStore {
    /// The open tickets (of `account`, of `tier`, if given) by their latest triage, highest
    /// priority first (then the oldest), at most `limit`. A ticket is open until its first
    /// `ticket.closed`; one never triaged is not in the queue, nor, unless `account` names it,
    /// one of an account that has churned.
    public func triageQueue(tier: String? = nil, account: String? = nil, limit: Int = 500) throws -> [QueuedTicket] {
        try read { db in try Self.triageQueue(db, tier: tier, account: account, limit: limit) }
    }

    static func triageQueue(_ db: Database, tier: String?, account: String?, limit: Int) throws -> [QueuedTicket] {
        // The triages lead (CROSS JOIN keeps them first: the tickets' events are many more), found
        // through the account's key when one is asked for; a later triage of the same ticket is
        // looked up by ticket.
        let rows = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT t.account, t.ticket, t.version, t.priority, t.tier, t.reasons, t.seq,
                   o.time_us, o.subject, o.priority, o.category, a.name, a.plan, a.arr, a.band
            FROM triage_events t
            CROSS JOIN ticket_events o ON o.account = t.account AND o.ticket = t.ticket AND o.kind = 1
            LEFT JOIN accounts a ON a.account = t.account
            WHERE \(account == nil ? "?2 IS NULL AND a.outcome IS NOT 'churned'" : "t.account = ?2")
              AND NOT EXISTS (SELECT 1 FROM triage_events l INDEXED BY triage_events_by_ticket
                              WHERE l.account = t.account AND l.ticket = t.ticket AND l.seq > t.seq)
              AND NOT EXISTS (SELECT 1 FROM ticket_events c WHERE c.account = t.account AND c.ticket = t.ticket AND c.kind = 3)
              AND (?1 IS NULL OR t.tier = ?1)
            ORDER BY t.priority DESC, o.time_us, t.account, t.ticket
            """), arguments: [tier, account])
        var out: [QueuedTicket] = []
        var seen = Set<[String]>()
        for r in rows {
            let account: String = r[0], ticket: String = r[1]
            // A ticket opened twice (two opening events) is queued once.
            guard seen.insert([account, ticket]).inserted else { continue }
            out.append(QueuedTicket(account: account, accountName: r[11], plan: r[12], arr: r[13], band: (r[14] as String?).flatMap(Band.init(rawValue:)),
                                    ticket: ticket, subject: r[8], ticketPriority: (r[9] as String?).flatMap(Priority.init(rawValue:)),
                                    category: (r[10] as String?).flatMap(TicketCategory.init(rawValue:)), openedMicros: r[7],
                                    triage: r[2], priority: r[3], tier: r[4], reasons: Self.triageReasons(r[5]), seq: UInt64(r[6] as Int64)))
            if out.count == limit { break }
        }
        return out
    }

    /// The reasons the read models keep as JSON text.
    static func triageReasons(_ text: String) -> [TicketTriaged.Reason] {
        guard let v = try? JSONParser.parse(text) else { return [] }
        return v.array?.compactMap(TicketTriaged.Reason.init(json:)) ?? []
    }

    /// The tickets of `account` triage should look at under `version`: those opened on one of
    /// `days`, and those still open, that have no triage under it yet; as triage reads them
    /// (with the requester the help desk named).
    public func ticketsToTriage(version: String, account: String, days: ClosedRange<Int>) throws -> [TriageTicket] {
        try read { db in
            let rows = try Row.fetchAll(db.cachedStatement(sql: """
                SELECT \(Self.triageTicketColumns) FROM ticket_events o
                WHERE o.account = ?1 AND o.kind = 1
                  AND (o.time_us BETWEEN ?2 AND ?3
                       OR NOT EXISTS (SELECT 1 FROM ticket_events c WHERE c.account = o.account AND c.ticket = o.ticket AND c.kind = 3))
                  AND NOT EXISTS (SELECT 1 FROM triage_events t WHERE t.account = o.account AND t.ticket = o.ticket AND t.version = ?4)
                ORDER BY o.time_us, o.seq
                """), arguments: [account, Day(days.lowerBound).start, Day(days.upperBound).end, version])
            return rows.compactMap(Self.triageTicket)
        }
    }

    /// The columns of a `ticket_events` row `o` (an opening) that `triageTicket` reads: the
    /// ticket's fields, and the requester the help desk named (its mention).
    static let triageTicketColumns = triageTicketColumns(requester: requesterColumn)

    /// The ticket's fields, and `requester` (an SQL expression) for its requester.
    static func triageTicketColumns(requester: String) -> String {
        "o.ticket, o.seq, o.time_us, o.priority, o.category, o.subject, " + requester
    }

    /// The handle of the requester the help desk named in opening `o`: the mention of the same
    /// event, found by the mentions' key (the event's time and id).
    static let requesterColumn = """
        (SELECT handle FROM person_mentions m WHERE m.account = o.account AND m.time_us = o.time_us AND m.id = o.id AND m.via = 'ticket' LIMIT 1)
        """

    /// The ticket a row of `triageTicketColumns` gives, as triage reads it (nil without a known priority).
    static func triageTicket(_ r: Row) -> TriageTicket? {
        guard let priority = (r[3] as String?).flatMap(Priority.init(rawValue:)) else { return nil }
        return TriageTicket(ticket: r[0], seq: UInt64(r[1] as Int64), time: r[2], priority: priority,
                            category: (r[4] as String?).flatMap(TicketCategory.init(rawValue:)), subject: r[5], requester: r[6])
    }

    /// Accounts with an open ticket that has no triage under `version` (at most `limit`).
    public func accountsToTriage(version: String, limit: Int) throws -> [String] {
        try read { db in
            try String.fetchAll(db.cachedStatement(sql: """
                SELECT DISTINCT o.account FROM ticket_events o
                WHERE o.kind = 1
                  AND NOT EXISTS (SELECT 1 FROM ticket_events c WHERE c.account = o.account AND c.ticket = o.ticket AND c.kind = 3)
                  AND NOT EXISTS (SELECT 1 FROM triage_events t WHERE t.account = o.account AND t.ticket = o.ticket AND t.version = ?1)
                LIMIT ?2
                """), arguments: [version, limit])
        }
    }

    /// What triage reads of `account` besides the tickets: its history and its scores under the
    /// active health rules (nil when it has no history).
    public func triageSubject(_ scope: AlertScope, account: String) throws -> TriageSubject? {
        try read { db in
            guard let h = try Self.history(db, account) else { return nil }
            return TriageSubject(history: h, series: try AccountScoring.series(db, scope.rules.version, account), rules: scope.rules)
        }
    }

    /// The triages of `rules` for the tickets of `account` that need one (`ticketsToTriage`).
    public func triages(_ rules: TriageRules, _ scope: AlertScope, account: String, days: ClosedRange<Int>) throws -> [TicketTriage] {
        guard !AccountRef.isKey(account) else { return [] }
        let tickets = try ticketsToTriage(version: rules.version, account: account, days: days)
        guard !tickets.isEmpty, let subject = try triageSubject(scope, account: account) else { return [] }
        return tickets.map { TriageEngine.triage(rules, subject, $0) }
    }
}

extension ProjectionStore {
    /// The tickets of `account` open at `asOf`, with the latest triage made of them by then, highest priority first.
    static func openTriages(_ db: Database, _ account: String, asOf: Int64) throws -> [AccountContext.TriagedTicket] {
        let rows = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT t.ticket, t.version, t.priority, t.tier, t.reasons, t.seq FROM triage_events t
            WHERE t.account = ?1 AND t.time_us <= ?2
              AND t.seq = (SELECT max(seq) FROM triage_events l WHERE l.account = t.account AND l.ticket = t.ticket AND l.time_us <= ?2)
              AND NOT EXISTS (SELECT 1 FROM ticket_events c WHERE c.account = t.account AND c.ticket = t.ticket AND c.kind = 3 AND c.time_us <= ?2)
            ORDER BY t.priority DESC, t.time_us, t.ticket
            """), arguments: [account, asOf])
        return rows.map { r in
            AccountContext.TriagedTicket(ticketID: r[0], triage: r[1], priority: r[2], tier: r[3],
                                         reasons: triageReasons(r[4]).map { "\($0.reason) \($0.points < 0 ? "" : "+")\(NumberText.plain($0.points))" },
                                         seq: UInt64(r[5] as Int64))
        }
    }
}
