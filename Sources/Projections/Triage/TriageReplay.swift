import EventLog
import GRDB
import Scoring
import ThroughlineCore

extension ProjectionStore {
    /// What `triage` would have said of every ticket of history, as of each ticket's opening,
    /// under the active health rules, against `against` (another triage rules version) or, when
    /// nil, the latest triage the read models hold of each ticket (`TriageReplayReport`). Each
    /// account's history is folded from `snapshot` as a replay folds it (on every core, `spill`
    /// holding the parts); its tickets as written, closes, recorded triages and daily scores come
    /// from the read models. The triage of each ticket whose tier moved goes to `moved`, with
    /// what it was before, in account order. Reads only.
    public func triageReplay(_ triage: TriageRules, against: TriageRules? = nil, window: Int = 90, log snapshot: LogSnapshot, spill: String,
                             moved: (TicketTriage, (priority: Int, tier: String)) -> Void = { _, _ in }) throws -> TriageReplayReport {
        guard let scope = try alertScope() else {
            return TriageReplayReport(triage: triage, against: against?.version, rules: "", through: try read(AccountScoring.horizon), window: window, tickets: [])
        }
        // The report's tickets keep no reasons (a store's worth of them is large); a ticket that moved keeps its triage whole.
        typealias Found = (moved: (TicketTriage, (priority: Int, tier: String))?, ticket: TriageReplayReport.Ticket)
        var options = Replay.Options()
        options.identity = IdentityMap(try read(Self.identityStatements))
        let folded = try Replay.forEachAccount(snapshot, spill: spill, options: options) { h, _ -> [Found]? in
            let (tickets, closes, stored, series) = try self.read { db in
                (try Self.openedTickets(db, h.account), try Self.ticketCloses(db, h.account),
                 against == nil ? try Self.storedTriages(db, h.account) : [:], try AccountScoring.series(db, scope.rules.version, h.account))
            }
            guard !tickets.isEmpty else { return nil }
            let subject = TriageSubject(history: h, series: series, rules: scope.rules, explains: false)
            let churn = ScoreHistory.churnDay(h)
            return tickets.map { ticket in
                let now = TriageEngine.triage(triage, subject, ticket)
                let before = against.map { TriageEngine.triage($0, subject, ticket) }.map { (priority: $0.priority, tier: $0.tier) } ?? stored[ticket.ticket]
                var lean = now
                lean.reasons = []
                return (before.flatMap { $0.tier == now.tier ? nil : (now, $0) },
                        .init(triage: lean, before: before, closedMicros: closes[ticket.ticket], churnDay: churn))
            }
        }
        var out: [TriageReplayReport.Ticket] = []
        for found in folded.values.joined() {
            if let (now, before) = found.moved { moved(now, before) }
            out.append(found.ticket)
        }
        let recorded = against == nil && out.contains { $0.before != nil }
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
