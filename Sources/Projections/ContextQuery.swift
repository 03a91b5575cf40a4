import EventLog
import GRDB
import Scoring
import ThroughlineCore

extension ProjectionStore {
    /// An account's shared-context view as of `asOf` (microseconds), or nil if it has no events.
    public func context(_ account: String, asOf: Int64, reader: Principal? = nil) throws -> AccountContext? {
        guard let facts = try facts(account, asOf: asOf, reader: reader) else { return nil }
        var view = ContextView.build(facts, asOf: asOf)
        view.health = try health(account, asOf: asOf)
        view.tasks = try tasks(account: account, state: .all).filter { $0.openedMicros <= asOf && ($0.closedMicros.map { $0 > asOf } ?? true) }
            .map(AccountContext.OpenTask.init)
        view.triage = try read { db in try Self.openTriages(db, account, asOf: asOf) }
        return view
    }

    /// The facts the context view needs: usage only for the 120 days up to `asOf`, only the
    /// tickets and calls it can show (`everything`: all of them, the reference the cut is
    /// tested against).
    /// `reader`: who reads, for the notes only some see (nil: every note).
    public func facts(_ account: String, asOf: Int64, everything: Bool = false, reader: Principal? = nil) throws -> AccountFacts? {
        try read { db in
            guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT first_us, csm FROM accounts WHERE account = ?"), arguments: [account]) else { return nil }
            var f = AccountFacts(account: account)
            f.firstMicros = row[0]
            let audience = NoteAudience.of(reader, accountCSM: row[1])
            let today = Day(containing: asOf).number
            // Usage from the account's stored records of the spans around the window.
            let window = (today - 120 + 1)...today
            let recent = try Self.history(db, account, from: Day(today - 120 - 7).start, to: asOf, only: [.usageRecorded])
            f.usage = (recent?.usage.items ?? []).filter { window.contains($0.value.day) }.map { u in
                AccountFacts.UsageDay(day: u.value.day, activeUsers: u.value.activeUsers, events: u.value.events,
                                      features: recent!.featureNames(of: u.value), seq: u.seq)
            }
            // Columns are read by position in the busy queries (by name costs a case-insensitive lookup each).
            // Tickets as they stood at `asOf`: each lifecycle folded from its facts up to then.
            // Only the tickets the view can show are folded (see `ticketsInView`).
            var byTicket: [String: [TicketFact]] = [:]
            let one = try db.cachedStatement(sql: "SELECT \(ticketColumns) FROM ticket_events WHERE account = ? AND ticket = ? AND time_us <= ?")
            for ticket in try Self.ticketsInView(db, account, asOf: asOf, all: everything) {
                let facts = try Row.fetchCursor(one, arguments: [account, ticket, asOf])
                while let r = try facts.next() { byTicket[ticket, default: []].append(ticketFact(r)) }
            }
            f.tickets = byTicket.sorted { $0.key < $1.key }.compactMap { ticket, facts in
                TicketLifecycle(ticket, facts).map {
                    AccountFacts.Ticket(ticket: ticket, openedMicros: $0.start, closedMicros: $0.closed, priority: $0.priority,
                                        subject: $0.subject, csat: $0.csat, seqs: $0.seqs)
                }
            }
            // The calls the view reads: those of its 90-day window, and the latest six with a
            // sentiment and the latest of all before it (the last call and the sentiment trend).
            var calls: [UInt64: AccountFacts.Call] = [:]
            let callWindow: StatementArguments = [account, asOf, everything ? .min : asOf - 90 * Day.micros], upTo: StatementArguments = [account, asOf]
            for (sql, arguments) in [("SELECT \(callColumns) FROM calls WHERE account = ? AND time_us <= ? AND time_us > ?", callWindow),
                                     ("SELECT \(callColumns) FROM calls WHERE account = ? AND time_us <= ? AND sentiment IS NOT NULL ORDER BY time_us DESC, id DESC LIMIT 6", upTo),
                                     ("SELECT \(callColumns) FROM calls WHERE account = ? AND time_us <= ? ORDER BY time_us DESC, id DESC LIMIT 1", upTo)] {
                for r in try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments) {
                    calls[UInt64(r[5] as Int64)] = AccountFacts.Call(timeMicros: r[0], kind: r[1], team: r[2], sentiment: r[3], text: r[4], seq: UInt64(r[5] as Int64))
                }
            }
            f.calls = calls.values.sorted { ($0.timeMicros, $0.seq) < ($1.timeMicros, $1.seq) }
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
            f.overrides = try Self.overrides(db, account)
            // The latest notes this reader sees; the people the others mention are not shown either.
            var noteSQL = "SELECT time_us, author, text, seq FROM notes WHERE account = ? AND time_us <= ?"
            var noteArguments: StatementArguments = [account, asOf]
            var unseen: Set<UInt64> = []
            if let audience {
                noteSQL += " AND " + NoteAudience.sqlCondition
                noteArguments += StatementArguments(audience.sqlArguments)
                let restricted = try Row.fetchAll(db.cachedStatement(sql: "SELECT seq, audience FROM notes WHERE account = ? AND audience IS NOT NULL"),
                                                  arguments: [account])
                unseen = Set(restricted.filter { !audience.sees($0[1]) }.map { UInt64($0[0] as Int64) })
            }
            f.notes = try Row.fetchAll(db.cachedStatement(sql: noteSQL + " ORDER BY time_us DESC, id DESC LIMIT 3"), arguments: noteArguments).map { r in
                AccountFacts.Note(timeMicros: r[0], author: r[1], text: r[2], seq: UInt64(r[3] as Int64))
            }
            // The people: contact updates and the people named on other events, in event order.
            f.contacts = try Self.contactUpdates(db, account, upTo: asOf)
            f.mentions = try Row.fetchAll(db.cachedStatement(sql: """
                SELECT time_us, seq, via, handle, sentiment, ticket, author FROM person_mentions WHERE account = ? AND time_us <= ? ORDER BY time_us, id, n
                """), arguments: [account, asOf]).compactMap { r in
                guard let via = PersonMention.Via(rawValue: r[2]) else { return nil }
                let seq = UInt64(r[1] as Int64)
                if via == .note && unseen.contains(seq) { return nil }
                return PersonMention(timeMicros: r[0], seq: seq, via: via, handle: r[3], sentiment: r[4], ticket: r[5], author: r[6])
            }
            // The profile as of `asOf`, and the champions it named, from the stored profile updates.
            for e in try profileUpdates(db, account, upTo: asOf) {
                guard case .accountUpdated(let u)? = try? e.event.payload() else {
                    throw ReadModelError(.damaged, "a stored profile event of \(account) is not a profile update; rebuild the read models")
                }
                f.profile.apply(u)
                if let c = u.champion { f.champions.append(AccountFacts.Champion(timeMicros: e.event.time.microseconds, name: c, seq: e.seq)) }
                if let change = CallConsent.Change(e, u) { f.consentChanges.append(change) }
            }
            // What the message audit found, when messages were sent (it reads the history up to then).
            if try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM message_events WHERE account = ? AND time_us <= ?)"),
                                 arguments: [account, asOf]) == true, let h = try Self.history(db, account, to: asOf, only: MessageAudit.reads) {
                f.messageFindings = MessageAudit.findings(h)
            }
            return f
        }
    }

    /// An account's contact updates up to `asOf`, in event order.
    static func contactUpdates(_ db: Database, _ account: String, upTo asOf: Int64) throws -> [PeopleDirectory.Update] {
        try Row.fetchAll(db.cachedStatement(sql: """
            SELECT time_us, seq, person, email, name, title, role, left, consent_calls, consent_email FROM contacts
            WHERE account = ? AND time_us <= ? ORDER BY time_us, id
            """), arguments: [account, asOf]).map { r in
            PeopleDirectory.Update(time: r[0], seq: UInt64(r[1] as Int64),
                                   contact: ContactUpdated(person: r[2], email: r[3], name: r[4], title: r[5],
                                                           role: (r[6] as String?).flatMap(ContactRole.init(rawValue:)), left: r[7],
                                                           consentCalls: r[8], consentEmail: r[9]))
        }
    }

    /// A person found in one account by a handle: who they are there.
    public struct PersonFound: Sendable, Encodable {
        public var account: String
        public var label: String
        public var emails: [String]
        public var ids: [String]
        /// The contact updates about them.
        public var updates: Int
    }

    /// Every account where `handle` (an email, id, or a name only one person of the account
    /// has) names a person: what a request about a data subject starts from.
    public func people(named handle: String) throws -> [PersonFound] {
        try read { db in
            // The accounts with a contact the handle might name, each then asked properly.
            let find = try db.cachedStatement(sql: "SELECT DISTINCT account FROM contacts WHERE person = ?1 OR lower(email) = lower(?1) OR lower(name) = ?2")
            var accounts: Set<String> = []
            for c in PeopleDirectory.candidates(handle) {
                accounts.formUnion(try String.fetchAll(find, arguments: [c, PeopleDirectory.normalisedName(c)]))
            }
            return try accounts.sorted().compactMap { account in
                let directory = PeopleDirectory(try Self.contactUpdates(db, account, upTo: .max))
                guard let i = directory.resolve(handle) else { return nil }
                let p = directory.people[i]
                return PersonFound(account: account, label: p.label, emails: p.emails, ids: p.ids, updates: p.seqs.count)
            }
        }
    }

    /// An account's people, and every handle its events name them by (calls' participants,
    /// tickets' requesters, notes' mentions, the profile's champions): what a forget plans by.
    static func people(_ db: Database, _ account: String) throws -> (PeopleDirectory, Set<String>) {
        var handles = Set(try String.fetchAll(db.cachedStatement(sql: "SELECT DISTINCT handle FROM person_mentions WHERE account = ?"), arguments: [account]))
        for e in try profileUpdates(db, account) {
            if case .accountUpdated(let u)? = try? e.event.payload(), let c = u.champion { handles.insert(c) }
        }
        return (PeopleDirectory(try contactUpdates(db, account, upTo: .max)), handles)
    }

    /// What an account and its people have said about recording their calls, up to `asOf`.
    /// (Most accounts never refused: then nothing is decoded. The stored events are compact JSON,
    /// so a refusal is the text `"calls":false`.)
    static func callConsent(_ db: Database, _ account: String, upTo asOf: Int64 = .max) throws -> CallConsent {
        let (accountSaid, someoneRefused) = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT EXISTS (SELECT 1 FROM profile_events WHERE account = ?1 AND time_us <= ?2 AND instr(event, '"calls":false') > 0),
                   EXISTS (SELECT 1 FROM contacts WHERE account = ?1 AND time_us <= ?2 AND consent_calls = 0)
            """), arguments: [account, asOf]).map { (($0[0] as Bool), ($0[1] as Bool)) } ?? (false, false)
        let changes = try (accountSaid ? profileUpdates(db, account, upTo: asOf) : []).compactMap { e -> CallConsent.Change? in
            guard case .accountUpdated(let u)? = try? e.event.payload() else { return nil }
            return CallConsent.Change(e, u)
        }
        return CallConsent(account: changes, people: PeopleDirectory(someoneRefused ? try contactUpdates(db, account, upTo: asOf) : []))
    }
}

extension ProjectionStore {
    /// Every CSM override of an account, in event order.
    public func overrides(_ account: String) throws -> [AccountFacts.Override] {
        try read { db in try Self.overrides(db, account) }
    }

    static func overrides(_ db: Database, _ account: String) throws -> [AccountFacts.Override] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT time_us, author, band, reason, expires, seq FROM overrides WHERE account = ? ORDER BY time_us, id"),
                         arguments: [account]).compactMap { r in
            guard let band = Band(rawValue: r["band"]) else { return nil }
            return AccountFacts.Override(timeMicros: r["time_us"], author: r["author"], band: band, reason: r["reason"],
                                         expires: (r["expires"] as String?).flatMap { CalendarDate(iso: $0) }, seq: UInt64(r["seq"] as Int64))
        }
    }
}

/// The columns of a call the context view reads, by position.
let callColumns = "time_us, kind, team, sentiment, text, seq"

extension ProjectionStore {
    /// The tickets the context view as of `asOf` can show: all but those whose every fact is older
    /// than its 90-day windows and whose last fact closed them (closed then, still closed at
    /// `asOf`), save the latest of those with a CSAT (the view's latest CSAT may be its). An
    /// account with years of tickets folds only its recent and open ones.
    static func ticketsInView(_ db: Database, _ account: String, asOf: Int64, all: Bool) throws -> [String] {
        let recent = all ? .min : asOf - 90 * Day.micros
        var wanted: [String] = []
        var latestRated: (time: Int64, ticket: String)?
        var current: String?, last = Int64.min, closing = false, rated = false
        func settle() {
            guard let ticket = current else { return }
            if last > recent || !closing {
                wanted.append(ticket)
            } else if rated, last > latestRated?.time ?? .min {
                latestRated = (last, ticket)
            }
        }
        // In key order: each ticket's facts together, in time order.
        let rows = try Row.fetchCursor(db.cachedStatement(sql: """
            SELECT ticket, time_us, kind = \(TicketFact.Kind.closed.rawValue) OR coalesce(status, '') = 'closed', csat IS NOT NULL
            FROM ticket_events WHERE account = ? AND time_us <= ? ORDER BY ticket, time_us, id
            """), arguments: [account, asOf])
        while let r = try rows.next() {
            let ticket: String = r[0]
            if ticket != current {
                settle()
                (current, rated) = (ticket, false)
            }
            last = r[1]
            closing = r[2]
            rated = rated || r[3]
        }
        settle()
        if let (_, ticket) = latestRated { wanted.append(ticket) }
        return wanted
    }
}
