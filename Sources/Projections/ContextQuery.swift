import EventLog
import GRDB
import ThroughlineCore

extension ProjectionStore {
    /// An account's shared-context view as of `asOf` (microseconds), or nil if it has no events.
    public func context(_ account: String, asOf: Int64) throws -> JSONValue? {
        guard let facts = try facts(account, asOf: asOf) else { return nil }
        let view = ContextView.build(facts, asOf: asOf)
        guard case .object(var members) = view, let health = try health(account, asOf: asOf) else { return view }
        members.insert(JSONMember("health", health), at: min(members.count, 2))
        return .object(members)
    }

    /// The facts the context view needs; usage only for the 120 days up to `asOf`.
    public func facts(_ account: String, asOf: Int64) throws -> AccountFacts? {
        try read { db in
            guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT first_us FROM accounts WHERE account = ?"), arguments: [account]) else { return nil }
            var f = AccountFacts(account: account)
            f.firstMicros = row["first_us"]
            let today = ContextView.dayNumber(asOf)
            // Usage from the account's stored records of the spans around the window.
            let window = (today - 120 + 1)...today
            let recent = try Self.history(db, account, from: Int64(today - 120 - 7) * ContextView.day, to: asOf, only: [.usageRecorded])
            f.usage = (recent?.usage.items ?? []).filter { window.contains($0.value.day) }.map { u in
                AccountFacts.UsageDay(day: u.value.day, activeUsers: u.value.activeUsers, events: u.value.events,
                                      features: u.value.features.map { recent!.featureNames[Int($0)] }, seq: u.seq)
            }
            // Columns are read by position in the busy queries (by name costs a case-insensitive lookup each).
            // Tickets as they stood at `asOf`: each lifecycle folded from its facts up to then.
            var byTicket: [String: [TicketFact]] = [:]
            let facts = try Row.fetchCursor(db.cachedStatement(sql: "SELECT \(ticketColumns) FROM ticket_events WHERE account = ? AND time_us <= ?"),
                                            arguments: [account, asOf])
            while let r = try facts.next() {
                byTicket[r[0], default: []].append(ticketFact(r))
            }
            f.tickets = byTicket.sorted { $0.key < $1.key }.compactMap { ticket, facts in
                TicketLifecycle(ticket, facts).map {
                    AccountFacts.Ticket(ticket: ticket, openedMicros: $0.start, closedMicros: $0.closed, priority: $0.priority,
                                        subject: $0.subject, csat: $0.csat, seqs: $0.seqs)
                }
            }
            f.calls = try Row.fetchAll(db.cachedStatement(sql: "SELECT time_us, kind, team, sentiment, text, seq FROM calls WHERE account = ? AND time_us <= ?"),
                                       arguments: [account, asOf]).map { r in
                AccountFacts.Call(timeMicros: r[0], kind: r[1], team: r[2], sentiment: r[3], text: r[4], seq: UInt64(r[5] as Int64))
            }
            // Each milestone's latest status up to `asOf`, in event order.
            var latest: [String: AccountFacts.Milestone] = [:]
            for r in try Row.fetchAll(db.cachedStatement(sql: """
                SELECT milestone, status, due, seq FROM milestone_events WHERE account = ? AND time_us <= ? ORDER BY time_us, id
                """), arguments: [account, asOf]) {
                guard let status = MilestoneStatus(rawValue: r["status"]) else { continue }
                latest[r["milestone"]] = AccountFacts.Milestone(milestone: r["milestone"], status: status,
                                                                due: (r["due"] as String?).flatMap { CalendarDate(iso: $0) }, seq: UInt64(r["seq"] as Int64))
            }
            f.milestones = latest.values.sorted { $0.milestone < $1.milestone }
            // The latest touch of each team (and the latest human contact) up to `asOf`.
            for team in ["automation", "contact", "product", "sales", "success", "support"] {
                if let r = try Row.fetchOne(db.cachedStatement(sql: """
                    SELECT time_us, seq FROM touch_events WHERE account = ? AND team = ? AND time_us <= ? ORDER BY time_us DESC, id DESC LIMIT 1
                    """), arguments: [account, team, asOf]) {
                    f.touches.append(AccountFacts.Touch(team: team, timeMicros: r["time_us"], seq: UInt64(r["seq"] as Int64)))
                }
            }
            f.surveys = try Row.fetchAll(db.cachedStatement(sql: "SELECT time_us, kind, score, seq FROM surveys WHERE account = ?"), arguments: [account]).compactMap { r in
                guard let kind = SurveyKind(rawValue: r["kind"]) else { return nil }
                return AccountFacts.Survey(timeMicros: r["time_us"], kind: kind, score: r["score"], seq: UInt64(r["seq"] as Int64))
            }
            f.overrides = try Row.fetchAll(db.cachedStatement(sql: "SELECT time_us, author, band, reason, expires, seq FROM overrides WHERE account = ?"),
                                           arguments: [account]).compactMap { r in
                guard let band = Band(rawValue: r["band"]) else { return nil }
                return AccountFacts.Override(timeMicros: r["time_us"], author: r["author"], band: band, reason: r["reason"],
                                             expires: (r["expires"] as String?).flatMap { CalendarDate(iso: $0) }, seq: UInt64(r["seq"] as Int64))
            }
            f.notes = try Row.fetchAll(db.cachedStatement(sql: """
                SELECT time_us, author, text, seq FROM notes WHERE account = ? AND time_us <= ? ORDER BY time_us DESC, id DESC LIMIT 3
                """), arguments: [account, asOf]).map { r in
                AccountFacts.Note(timeMicros: r["time_us"], author: r["author"], text: r["text"], seq: UInt64(r["seq"] as Int64))
            }
            // The profile as of `asOf`, and the champions it named, from the stored profile updates.
            for e in try profileUpdates(db, account, upTo: asOf) {
                guard case .accountUpdated(let u)? = try? e.event.payload() else {
                    throw StoreError(.corrupt, "a stored profile event of \(account) is not a profile update; rebuild the read models")
                }
                f.profile.apply(u)
                if let c = u.champion { f.champions.append(AccountFacts.Champion(timeMicros: e.event.time.microseconds, name: c, seq: e.seq)) }
            }
            return f
        }
    }
}
