import Testing
import ThroughlineCore

@Suite("The shared-context view, from hand-built facts")
struct ContextViewTests {
    static let day: Int64 = 86_400_000_000
    static let asOf = Timestamp(rfc3339: "2026-03-31T12:00:00Z")!.microseconds
    static let today = Day(containing: asOf).number

    /// The view as the API writes it.
    static func view(_ f: AccountFacts, asOf: Int64) -> JSONValue {
        (try? JSONValueEncoder.encode(ContextView.build(f, asOf: asOf))) ?? .null
    }

    static func flags(_ v: JSONValue) -> [String: [UInt64]] {
        guard case .array(let list)? = v["flags"] else { return [:] }
        var out: [String: [UInt64]] = [:]
        for f in list {
            guard case .string(let name)? = f["flag"], case .array(let seqs)? = f["seqs"] else { continue }
            out[name, default: []] += seqs.compactMap { if case .number(let n) = $0 { UInt64(n) } else { nil } }
        }
        return out
    }

    static func base() -> AccountFacts {
        var f = AccountFacts(account: "acme")
        f.firstMicros = asOf - 200 * day
        f.touches = [AccountFacts.Touch(team: "contact", timeMicros: asOf - 2 * day, seq: 900)]
        return f
    }

    @Test("A quiet, healthy account raises no flag")
    func noFlags() {
        var f = Self.base()
        for d in 0..<35 { f.usage.append(.init(day: Self.today - d, activeUsers: 20, events: 100, features: ["a"], seq: UInt64(d + 1))) }
        let v = Self.view(f, asOf: Self.asOf)
        #expect(Self.flags(v).isEmpty)
        #expect(v["usage"]?["trend"] == .string("flat"))
        #expect(v["days_since_human_contact"] == .number("2"))
    }

    @Test("Usage down more than 30% over three weeks names the usage records of both weeks")
    func usageDown() {
        var f = Self.base()
        for d in 0..<35 {
            let users = d < 7 ? 10 : 20
            f.usage.append(.init(day: Self.today - d, activeUsers: users, events: 10, features: [], seq: UInt64(100 + d)))
        }
        let flags = Self.flags(Self.view(f, asOf: Self.asOf))
        #expect(flags["usage_down"] == (100...106).map(UInt64.init) + (121...127).map(UInt64.init))
    }

    @Test("A success call during an open urgent ticket that it does not mention is flagged; one that mentions it is not")
    func contactDuringTicket() {
        var f = Self.base()
        f.tickets = [AccountFacts.Ticket(ticket: "48213", openedMicros: Self.asOf - 10 * Self.day, closedMicros: nil, priority: .urgent,
                                         subject: "Export times out", csat: nil, seqs: [5, 6])]
        f.calls = [AccountFacts.Call(timeMicros: Self.asOf - 5 * Self.day, kind: "call", team: "success", sentiment: 0.2,
                                     text: "renewal planning", seq: 7),
                   AccountFacts.Call(timeMicros: Self.asOf - 4 * Self.day, kind: "call", team: "success", sentiment: 0.1,
                                     text: "walked through ticket 48213", seq: 8)]
        let v = Self.view(f, asOf: Self.asOf)
        #expect(Self.flags(v)["contact_during_open_ticket"] == [5, 6, 7])
        #expect(v["support"]?["open_by_priority"] == .object([JSONMember("urgent", .number("1"))]))
        #expect(v["support"]?["oldest_open_days"] == .number("10"))
    }

    @Test("No human contact in 60 days, a missed milestone, an NPS detractor and a new champion are each flagged with their events")
    func otherFlags() {
        var f = Self.base()
        f.touches = [AccountFacts.Touch(team: "contact", timeMicros: Self.asOf - 61 * Self.day, seq: 11)]
        f.milestones = [AccountFacts.Milestone(milestone: "kickoff", status: .missed, due: nil, seq: 12),
                        AccountFacts.Milestone(milestone: "training", status: .planned, due: CalendarDate(year: 2026, month: 3, day: 1), seq: 13)]
        f.surveys = [AccountFacts.Survey(timeMicros: Self.asOf - 30 * Self.day, kind: .nps, score: 9, seq: 14),
                     AccountFacts.Survey(timeMicros: Self.asOf - 3 * Self.day, kind: .nps, score: 4, seq: 15)]
        f.champions = [AccountFacts.Champion(timeMicros: Self.asOf - 300 * Self.day, name: "dana", seq: 16),
                       AccountFacts.Champion(timeMicros: Self.asOf - 20 * Self.day, name: "lee", seq: 17)]
        let v = Self.view(f, asOf: Self.asOf)
        let flags = Self.flags(v)
        #expect(flags["no_human_contact_60d"] == [11])
        #expect(flags["missed_milestone"] == [12])
        #expect(flags["nps_detractor"] == [15])
        #expect(flags["champion_changed"] == [16, 17])
        #expect(v["milestones"]?["overdue"] == .array([.object([JSONMember("milestone", .string("training")),
                                                                JSONMember("due_date", .string("2026-03-01"))])]))
    }

    @Test("Facts after the as-of time are not seen, and an expired override is not active")
    func asOf() {
        var f = Self.base()
        f.surveys = [AccountFacts.Survey(timeMicros: Self.asOf + Self.day, kind: .nps, score: 2, seq: 20)]
        f.overrides = [AccountFacts.Override(timeMicros: Self.asOf - 40 * Self.day, author: "maria", band: .red, reason: "quiet",
                                             expires: nil, seq: 21),
                       AccountFacts.Override(timeMicros: Self.asOf - 20 * Self.day, author: "maria", band: .yellow, reason: "watch",
                                             expires: CalendarDate(year: 2026, month: 3, day: 20), seq: 22)]
        let v = Self.view(f, asOf: Self.asOf)
        #expect(Self.flags(v)["nps_detractor"] == nil)
        #expect(v["override"]?["band"] == .string("red"))
        #expect(Self.view(f, asOf: Self.asOf - 15 * Self.day)["override"]?["band"] == .string("yellow"))
    }
}
