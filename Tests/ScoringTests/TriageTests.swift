import Foundation
@testable import Scoring
import Testing
import TestSupport
import ThroughlineCore

@Suite("Ticket triage")
struct TriageTests {
    static let health = try! Rules.load(yaml: """
        version: t
        bands:
          - {band: red, min: 0, max: 40}
          - {band: yellow, min: 40, max: 70}
          - {band: green, min: 70, max: 100}
        signals:
          - {signal: usage_trend, weight: 1, group: adoption}
        """, file: "t.yaml")

    static let triage = try! TriageRules.load(yaml: """
        version: tr1
        base: 10
        factors:
          - {id: urgent, when: {priority: urgent}, points: 30}
          - {id: words, when: {subject_words: [cancel, switch to]}, points: 25}
          - {id: large, when: {arr_at_least: 100000}, points: 15}
          - {id: renewal, when: {renewal_within_days: 60}, points: 10}
          - {id: others, when: {open_tickets: {priority: [urgent, high], at_least: 1}}, points: 5}
          - {id: champion-asks, when: {requester_role: [champion, economic_buyer]}, points: 10}
          - {id: champion-lost, when: {champion_lost_within_days: 30}, points: 5}
          - {id: red, when: {band: red}, points: 20}
          - {id: easy, when: {category: how_to, priority: [normal, low]}, points: -20}
        tiers:
          - {name: manager_attention, at_least: 75}
          - {name: specialist, at_least: 50}
          - {name: assisted, at_least: 25}
          - {name: self_serve, at_least: 0}
        """, file: "tr1.yaml")

    static func ticket(_ b: Build, _ id: String, seq: UInt64, day: Int, hour: Int = 12, _ priority: Priority, category: TicketCategory? = nil,
                       subject: String? = nil, requester: String? = nil) -> TriageTicket {
        TriageTicket(ticket: id, seq: seq, time: Build.time(day, hour: hour), priority: priority, category: category, subject: subject, requester: requester)
    }

    @Test("the shipped triage rules load; a file with problems names every one at its line and column, with its key")
    func loading() throws {
        let shipped = try TriageRules.load(yaml: try String(contentsOfFile: CLI.repo + "/rules/triage-v1.yaml", encoding: .utf8), file: "triage-v1.yaml")
        #expect(shipped.version == "triage-v1" && shipped.tiers.map(\.name) == ["manager_attention", "specialist", "assisted", "self_serve"])
        #expect(shipped.factors.contains { $0.when.subjectWords?.contains("cancel") == true })
        do {
            _ = try TriageRules.load(yaml: """
                version: x
                factors:
                  - {id: a, points: 0, when: {priority: critical}}
                  - {id: a, points: 5, when: {open_tickets: {at_least: 0}, arr_over: 1}}
                  - {id: c, points: 5, when: {subject_words: ["--"], requester_role: boss}}
                tiers:
                  - {name: top, at_least: 50}
                  - {name: low, at_least: 60}
                """, file: "x.yaml")
            Issue.record("loaded")
        } catch let error as RulesError {
            let text = error.problems.map(\.description)
            #expect(text.count == 8, "\(text)")
            #expect(text.contains { $0.hasPrefix("3:21: factors[0].points: must be points from -100 to 100 other than 0") })
            #expect(text.contains { $0.hasPrefix("3:41: factors[0].when.priority: unknown value critical") })
            #expect(text.contains { $0.hasPrefix("4:10: factors[1].id: a is already the id of factors[0]") })
            #expect(text.contains { $0.hasPrefix("4:56: factors[1].when.open_tickets.at_least: must be a number of tickets") })
            #expect(text.contains { $0.hasPrefix("4:60: factors[1].when: unknown key arr_over") })
            #expect(text.contains { $0.hasPrefix("5:46: factors[2].when.subject_words: \"--\" has no letters or digits") })
            #expect(text.contains { $0.hasPrefix("5:70: factors[2].when.requester_role: unknown value boss") })
            #expect(text.contains { $0.hasPrefix("8:27: tiers[1].at_least: must be below the tier above (top at 50)") })
        }
    }

    @Test("a ticket is triaged from its words and its account as it stood when it opened: each factor that held adds its points, with the events behind it; the same ticket from a small, quiet account waits")
    func triagesFromContext() throws {
        var b = Build()
        let profile = try b.add("account.updated", day: 0, #"{"name":"Acme","arr":150000,"renewal_date":"2026-02-20","champion":"Dana Reyes"}"#)
        let dana = try b.add("contact.updated", day: 0, #"{"email":"dana@acme.example","name":"Dana Reyes","role":"champion"}"#)
        let sam = try b.add("contact.updated", day: 0, #"{"email":"sam@acme.example","name":"Sam Ito","role":"user"}"#)
        let other = try b.add("ticket.opened", day: 2, #"{"ticket_id":"T0","priority":"high"}"#)
        let t1 = try b.add("ticket.opened", day: 5, #"{"ticket_id":"T1","priority":"urgent","subject":"Export broken: we are looking at switching to Rival and will CANCEL","requester":"dana@acme.example"}"#)
        // Later events do not change what the ticket was triaged from: the renewal moved, another ticket opened.
        try b.add("account.updated", day: 6, #"{"renewal_date":"2027-01-01"}"#)
        let subject = TriageSubject(history: b.history, series: nil, rules: Self.health)
        let t = TriageEngine.triage(Self.triage, subject, Self.ticket(b, "T1", seq: t1, day: 5, .urgent,
                                                                     subject: "Export broken: we are looking at switching to Rival and will CANCEL", requester: "dana@acme.example"))
        #expect(t.reasons.map(\.factor) == ["urgent", "words", "large", "renewal", "others", "champion-asks"], "\(t.reasons)")
        #expect(t.priority == 100 && t.tier == "manager_attention")
        let byFactor = Dictionary(uniqueKeysWithValues: t.reasons.map { ($0.factor, $0) })
        #expect(byFactor["words"]?.reason == #"the subject says "cancel", "switch to""#)
        #expect(byFactor["large"]?.seqs == [profile] && byFactor["renewal"]?.reason == "renews in 45 days")
        #expect(byFactor["others"]?.reason == "1 other urgent/high ticket open" && byFactor["others"]?.seqs == [other])
        #expect(byFactor["champion-asks"]?.reason == "raised by the account's champion" && byFactor["champion-asks"]?.seqs.contains(dana) == true)
        // The reasons name no person.
        #expect(!t.reasons.contains { $0.reason.contains("Dana") || $0.reason.contains("dana@") })

        // A user's how-to, on the same account, after the other ticket closed.
        try b.add("ticket.closed", day: 7, #"{"ticket_id":"T0"}"#)
        try b.add("ticket.closed", day: 7, #"{"ticket_id":"T1"}"#)
        let q = try b.add("ticket.opened", day: 8, #"{"ticket_id":"Q1","priority":"normal","category":"how_to","subject":"How to export?","requester":"sam@acme.example"}"#)
        let quiet = TriageEngine.triage(Self.triage, TriageSubject(history: b.history, series: nil, rules: Self.health),
                                        Self.ticket(b, "Q1", seq: q, day: 8, .normal, category: .howTo, subject: "How to export?", requester: "sam@acme.example"))
        #expect(quiet.reasons.map(\.factor) == ["large", "easy"] && quiet.priority == 5 && quiet.tier == "self_serve", "\(quiet)")
        _ = sam

        // A pure function of the history: built in another order, the same triage.
        var reversed = AccountHistory(account: "acme")
        for (e, p) in b.events.reversed() { reversed.add(e, p) }
        let again = TriageEngine.triage(Self.triage, TriageSubject(history: reversed, series: nil, rules: Self.health),
                                        Self.ticket(b, "T1", seq: t1, day: 5, .urgent, subject: "Export broken: we are looking at switching to Rival and will CANCEL",
                                                    requester: "dana@acme.example"))
        #expect(again == t)
        // Its event is valid, and reads back to the same reasons.
        let event = t.event
        #expect(event.id == "triage:tr1:acme:T1" && event.type == .ticketTriaged && event.actor == "throughline:triage")
        guard case .ticketTriaged(let read) = try event.payload() else { Issue.record("not a triage"); return }
        #expect(read.priority == 100 && read.tier == "manager_attention" && read.reasons == t.reasons)
    }

    @Test("the band and a fall of the score are those of the day before the ticket; a champion lost within the window counts")
    func bandsAndChampions() throws {
        var b = Build()
        for day in 0..<40 { try b.usage(day: day, users: day < 20 ? 50 : 2) }
        try b.add("account.updated", day: 0, #"{"champion":"Dana Reyes"}"#)
        let changed = try b.add("account.updated", day: 30, #"{"champion":"Lee Park"}"#)
        let seq = try b.add("ticket.opened", day: 39, #"{"ticket_id":"T1","priority":"normal"}"#)
        let (series, _) = ScoreSeries.refreshed(nil, b.history, rules: Self.health, from: .min, horizon: Build.epoch + 40)
        let subject = TriageSubject(history: b.history, series: series, rules: Self.health)
        let t = TriageEngine.triage(Self.triage, subject, Self.ticket(b, "T1", seq: seq, day: 39, .normal))
        #expect(series.band(on: Build.epoch + 38, Self.health) == .red)
        #expect(t.reasons.map(\.factor) == ["champion-lost", "red"], "\(t.reasons)")
        #expect(t.reasons.first?.seqs.contains(changed) == true && t.priority == 35 && t.tier == "assisted")
    }

    @Test("the replay report counts each tier's tickets, how often a churn followed and how long they took to close, and the tickets the new rules escalate")
    func replayReport() throws {
        func triage(_ account: String, _ ticket: String, day: Int, tier: String, priority: Int) -> TicketTriage {
            TicketTriage(version: "tr1", account: account, ticket: ticket, seq: 1, time: Build.time(day), priority: priority, tier: tier, reasons: [])
        }
        let horizon = Build.epoch + 400
        let tickets: [TriageReplayReport.Ticket] = [
            .init(triage: triage("a", "1", day: 10, tier: "manager_attention", priority: 90), before: (40, "assisted"), closedMicros: Build.time(10, hour: 16), churnDay: Build.epoch + 50),
            .init(triage: triage("b", "2", day: 10, tier: "manager_attention", priority: 80), before: (80, "manager_attention"), closedMicros: Build.time(11), churnDay: nil),
            .init(triage: triage("c", "3", day: 10, tier: "self_serve", priority: 5), before: (60, "specialist"), closedMicros: nil, churnDay: nil),
            .init(triage: triage("d", "4", day: 390, tier: "self_serve", priority: 5), before: nil, closedMicros: nil, churnDay: nil),
        ]
        let r = TriageReplayReport(triage: Self.triage, against: "old", rules: "t", through: horizon, window: 90, tickets: tickets)
        #expect(r.tickets == 4 && r.accounts == 4 && r.churnedAccounts == 1)
        let top = try #require(r.tiers.first)
        #expect(top.tier == "manager_attention" && top.tickets == 2 && top.judged == 2 && top.churnShare == 0.5 && top.closed == 2 && top.medianHoursToClose == 14)
        let low = try #require(r.tiers.last)
        // The ticket of day 390 is not judged: its 90 days have not passed.
        #expect(low.tickets == 2 && low.judged == 1 && low.churnShare == 0)
        #expect(r.baseChurnShare == 0.333)
        #expect(r.moves?.compared == 3 && r.moves?.escalated == 1 && r.moves?.lowered == 1 && r.moves?.escalatedChurnShare == 1)
    }

    @Test("a subject's words are its runs of letters and digits, lowercased, whatever its script; a phrase matches word beginnings in order")
    func subjectWords() {
        #expect(SubjectWords("We'll CANCEL—unless Export#42 works!").strings == ["we", "ll", "cancel", "unless", "export", "42", "works"])
        #expect(SubjectWords("Kündigung: wir WECHSELN zu Ärger-Soft").strings == ["kündigung", "wir", "wechseln", "zu", "ärger", "soft"])
        #expect(SubjectWords("  --  ").isEmpty && SubjectWords("").isEmpty)
        #expect(SubjectWords("Refund? 2x").strings == ["refund", "2x"])
        let said = SubjectWords("Thinking of switching to a competitor")
        #expect(said.contains(SubjectWords("switch to")) && said.contains(SubjectWords("competitor")) && said.contains(SubjectWords("Thinking")))
        #expect(!said.contains(SubjectWords("to switch")) && !said.contains(SubjectWords("petitor")) && !said.contains(SubjectWords("competitors")))
        #expect(SubjectWords("Wir kündigen zum Jahresende").contains(SubjectWords("KÜNDIG")))
    }
}
