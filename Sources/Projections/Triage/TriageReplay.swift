import GRDB
import Scoring
import ThroughlineCore

extension ProjectionStore {
    /// What `triage` would have said of every ticket of history, as of each ticket's opening,
    /// under the active health rules, against `against` (another triage rules version) or, when
    /// nil, the latest triage the read models hold of each ticket (`TriageReplayReport`). Each
    /// ticket's triage goes to `each` as it is found. Reads only.
    public func triageReplay(_ triage: TriageRules, against: TriageRules? = nil, window: Int = 90,
                             each: (TicketTriage, (priority: Int, tier: String)?) -> Void = { _, _ in }) throws -> TriageReplayReport {
        let accounts = try read { db in try String.fetchAll(db, sql: "SELECT DISTINCT account FROM ticket_events WHERE kind = 1 ORDER BY account") }
        guard let scope = try alertScope() else {
            return TriageReplayReport(triage: triage, against: against?.version, rules: "", through: try read(AccountScoring.horizon), window: window, tickets: [])
        }
        var out: [TriageReplayReport.Ticket] = []
        var recorded = false
        for account in accounts where !AccountRef.isKey(account) {
            let (tickets, closes, stored) = try read { db in
                (try Self.openedTickets(db, account), try Self.ticketCloses(db, account), against == nil ? try Self.storedTriages(db, account) : [:])
            }
            guard !tickets.isEmpty, let subject = try triageSubject(scope, account: account) else { continue }
            let churn = ScoreHistory.churnDay(subject.history)
            for ticket in tickets {
                let now = TriageEngine.triage(triage, subject, ticket)
                let before = against.map { TriageEngine.triage($0, subject, ticket) }.map { (priority: $0.priority, tier: $0.tier) } ?? stored[ticket.ticket]
                recorded = recorded || stored[ticket.ticket] != nil
                each(now, before)
                out.append(.init(triage: now, before: before, closedMicros: closes[ticket.ticket], churnDay: churn))
            }
        }
        let compared = against.map { "triage rules " + $0.version } ?? (recorded ? "the triage recorded" : nil)
        return TriageReplayReport(triage: triage, against: compared, rules: scope.rules.version, through: scope.horizon, window: window, tickets: out)
    }

    /// Every ticket `account` opened, as triage reads it, in time order (a ticket opened twice: its first opening).
    static func openedTickets(_ db: Database, _ account: String) throws -> [TriageTicket] {
        let rows = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT \(triageTicketColumns) FROM ticket_events o WHERE o.account = ? AND o.kind = 1 ORDER BY o.time_us, o.seq
            """), arguments: [account])
        var seen = Set<String>()
        return rows.compactMap { r in
            guard let ticket = triageTicket(r), seen.insert(ticket.ticket).inserted else { return nil }
            return ticket
        }
    }

    /// When each ticket of `account` first closed.
    static func ticketCloses(_ db: Database, _ account: String) throws -> [String: Int64] {
        let rows = try Row.fetchAll(db.cachedStatement(sql: "SELECT ticket, min(time_us) FROM ticket_events WHERE account = ? AND kind = 3 GROUP BY ticket"),
                                    arguments: [account])
        return Dictionary(rows.map { ($0[0], $0[1]) }, uniquingKeysWith: min)
    }

    /// The latest triage the read models hold of each ticket of `account`.
    static func storedTriages(_ db: Database, _ account: String) throws -> [String: (priority: Int, tier: String)] {
        let rows = try Row.fetchAll(db.cachedStatement(sql: "SELECT ticket, priority, tier FROM triage_events WHERE account = ? ORDER BY seq"),
                                    arguments: [account])
        var out: [String: (priority: Int, tier: String)] = [:]
        for r in rows { out[r[0]] = (r[1], r[2]) }
        return out
    }
}
