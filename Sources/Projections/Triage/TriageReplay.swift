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
        // Each account's tickets are counted as they are triaged (a store's worth of tickets is
        // not kept); a ticket whose tier moved is triaged again with its reasons.
        let empty = TriageReplayReport.Tally(triage: triage, through: scope.horizon, window: window)
        var options = Replay.Options()
        options.identity = IdentityMap(try read(Self.identityStatements))
        let folded = try Replay.forEachAccount(snapshot, spill: spill, options: options) { h, _ -> (moved: [(TicketTriage, (priority: Int, tier: String))], tally: TriageReplayReport.Tally)? in
            let (lives, stored, series) = try self.read { db in
                (try Self.ticketLives(db, h.account),
                 against == nil ? try Self.storedTriages(db, h.account) : [:], try AccountScoring.series(db, scope.rules.version, h.account))
            }
            guard !lives.isEmpty else { return nil }
            let subject = TriageSubject(history: h, series: series, rules: scope.rules, explains: false)
            let churn = ScoreHistory.churnDay(h)
            var tally = empty, moved: [(TicketTriage, (priority: Int, tier: String))] = []
            for (ticket, closed) in lives {
                let now = TriageEngine.priority(triage, subject, ticket)
                let before = against.map { TriageEngine.priority($0, subject, ticket) } ?? stored[ticket.ticket]
                if let before, before.tier != now.tier { moved.append((TriageEngine.triage(triage, subject, ticket), before)) }
                tally.add(.init(triage: TicketTriage(version: triage.version, account: h.account, ticket: ticket.ticket, seq: ticket.seq, time: ticket.time,
                                                     priority: now.priority, tier: now.tier, reasons: []),
                                before: before, closedMicros: closed, churnDay: churn))
            }
            return (moved, tally)
        }
        var tally = empty
        for account in folded.values {
            for (now, before) in account.moved { moved(now, before) }
            tally.merge(account.tally)
        }
        let recorded = against == nil && tally.compared > 0
        let compared = against.map { "triage rules " + $0.version } ?? (recorded ? "the triage recorded" : nil)
        return TriageReplayReport(against: compared, rules: scope.rules.version, tally)
    }

    /// Every ticket `account` opened, as triage reads it, in time order (a ticket opened twice:
    /// its first opening), with when it first closed: one pass over the account's ticket events
    /// in their key's order (each ticket's in time order).
    static func ticketLives(_ db: Database, _ account: String) throws -> [(ticket: TriageTicket, closed: Int64?)] {
        // The requesters the help desk named, by the seq of their opening: one look at the
        // account's mentions instead of one per ticket.
        var requesters: [Int64: String] = [:]
        let named = try Row.fetchCursor(db.cachedStatement(sql: """
            SELECT seq, handle FROM person_mentions WHERE account = ? AND via = 'ticket' ORDER BY time_us, id, n
            """), arguments: [account])
        while let r = try named.next() {
            let seq: Int64 = r[0]
            if requesters[seq] == nil { requesters[seq] = r[1] }
        }
        func opening(_ r: Row) -> TriageTicket? {
            guard var ticket = triageTicket(r) else { return nil }
            ticket.requester = requesters[Int64(ticket.seq)]
            return ticket
        }
        let rows = try Row.fetchCursor(db.cachedStatement(sql: """
            SELECT \(triageTicketColumns(requester: "NULL")), o.kind
            FROM ticket_events o WHERE o.account = ? AND o.kind IN (1, 3) ORDER BY o.ticket, o.time_us
            """), arguments: [account])
        var out: [(ticket: TriageTicket, closed: Int64?)] = []
        // The ticket of the rows read last: its opening (a place in `out`) and its first close.
        var current: (ticket: String, opening: Int?, closed: Int64?)?
        func finish() {
            if let c = current, let at = c.opening { out[at].closed = c.closed }
        }
        while let r = try rows.next() {
            let ticket: String = r[0], time: Int64 = r[2]
            if current?.ticket != ticket {
                finish()
                current = (ticket, nil, nil)
            }
            if r[7] as Int64 == 3 {
                current!.closed = current!.closed ?? time
            } else if let at = current!.opening {
                // Two openings at the same moment: the first in seq.
                if out[at].ticket.time == time, let opened = opening(r), opened.seq < out[at].ticket.seq { out[at].ticket = opened }
            } else if let opened = opening(r) {
                current!.opening = out.count
                out.append((opened, nil))
            }
        }
        finish()
        return out.sorted { ($0.ticket.time, $0.ticket.seq) < ($1.ticket.time, $1.ticket.seq) }
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
