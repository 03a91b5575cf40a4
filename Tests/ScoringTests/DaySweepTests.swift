import DatasetGenerator
@testable import Scoring
import Testing
import TestSupport
import ThroughlineCore

/// A score history is computed as one sweep over the days; every point must equal the score
/// `Score.value` (the explained score's arithmetic) gives at the end of that day.
@Suite("Score histories equal the day-by-day score")
struct DaySweepTests {
    /// Each day's point of `ScoreHistory.days` against `Score.value` at the day's end, from the
    /// first event's day to `extra` days past the last; the number of days compared.
    @discardableResult
    static func expectSweepEqualsDaily(_ h: AccountHistory, _ rules: Rules, extra: Int = 20, from: Int? = nil) -> Int {
        guard let first = ScoreHistory.firstDay(h) else { return 0 }
        let last = (h.usage.items.map { Day(containing: $0.time).number } + [first]).max()! + extra
        let start = from ?? first
        let swept = ScoreHistory.days(h, rules: rules, from: start, to: last)
        var compared = 0
        for p in swept {
            let daily = Score.value(h, rules: rules, at: Day(p.day).end)
            #expect(p.score == daily, "\(h.account) under \(rules.version) on day \(p.day)")
            // The explained score (with its cap, if one holds) is the same score, every tenth day.
            if (p.day - start) % 10 == 0 {
                let explained = Score(h, rules: rules, at: Day(p.day).end)
                #expect(explained.score == daily && (explained.held == nil || explained.score == rules.ceiling(of: explained.held!.cap.band)),
                        "\(h.account) under \(rules.version) on day \(p.day), explained")
            }
            compared += 1
            if p.score != daily { break }
        }
        return compared
    }

    /// Rules weighing every signal with parameters drawn at random (some weights 0).
    static func randomRules(_ rng: inout some RandomNumberGenerator) throws -> Rules {
        var yaml = "version: random\nbands:\n  - {band: red, min: 0, max: 35}\n  - {band: yellow, min: 35, max: 65}\n"
            + "  - {band: green, min: 65, max: 100}\nsignals:\n"
        for kind in SignalKind.allCases {
            let params = kind.parameters.map { p -> String in
                let v: Double = switch p.kind {
                case .days: Double(Int.random(in: 1...120, using: &rng))
                case .amount: Double(Int.random(in: 0...40, using: &rng)) / 4
                }
                return "\(p.name): \(v)"
            }
            yaml += "  - {signal: \(kind.rawValue), group: g, weight: \(Int.random(in: 0...3, using: &rng) * 5), params: {\(params.joined(separator: ", "))}}\n"
        }
        // Caps on up to three signals (weighed or not), some days with hysteresis.
        let capped = (0..<Int.random(in: 0...3, using: &rng)).map { _ in SignalKind.allCases.randomElement(using: &rng)! }
        if !capped.isEmpty {
            yaml += "caps:\n" + capped.map { k in
                "  - {signal: \(k.rawValue), below: \(Double(Int.random(in: 1...10, using: &rng)) / 10), band: \(Bool.random(using: &rng) ? "red" : "yellow")}\n"
            }.joined()
        }
        if Bool.random(using: &rng) { yaml += "hysteresis: {days: \(Int.random(in: 1...7, using: &rng)), margin: \(Int.random(in: 0...10, using: &rng))}\n" }
        return try Rules.load(yaml: yaml, file: "random.yaml")
    }

    /// A history of `count` events of every kind on random days and hours, added in random order:
    /// late and early usage reports, several reports of a day, wide feature sets, tickets
    /// reopened and reprioritised, events of the same microsecond, champions changing, people
    /// on calls, leaving and coming back.
    static func randomHistory(_ rng: inout some RandomNumberGenerator, count: Int, days: Int) throws -> Build {
        var b = Build()
        func pick<T>(_ xs: [T]) -> T { xs[Int.random(in: 0..<xs.count, using: &rng)] }
        for _ in 0..<count {
            let day = Int.random(in: 0..<days, using: &rng), hour = pick([0, 9, 12, 12, 23])
            let ticket = #""ticket_id":"\#(Int.random(in: 1...12, using: &rng))""#
            let priority = pick(["", #","priority":"urgent""#, #","priority":"high""#, #","priority":"low""#, #","priority":"normal""#])
            switch Int.random(in: 0..<17, using: &rng) {
            case 0...4:
                let period = day - pick([0, 1, 1, 2, 9, 30, -1])
                // Each feature named once: a name twice in one object is refused at ingest.
                var named = Set<Int>()
                let features = (0..<Int.random(in: 0...5, using: &rng)).map { _ in Int.random(in: 0..<(pick([4, 90]))) }
                    .filter { named.insert($0).inserted }.map { #""f\#($0)":\#(pick([0, 1, 3]))"# }
                try b.add("usage.recorded", day: day, hour: hour,
                          #"{"period_start":"\#(Build.date(period))","active_users":\#(Int.random(in: 0...30, using: &rng)),"features":{\#(features.joined(separator: ","))}}"#)
            case 5: try b.add("ticket.opened", day: day, hour: hour, #"{\#(ticket),"priority":"\#(pick(["urgent", "high", "normal", "low"]))","category":"\#(pick(["bug", "question", "how_to"]))"}"#)
            case 6: try b.add("ticket.updated", day: day, hour: hour, #"{\#(ticket)\#(priority),"status":"\#(pick(["open", "pending", "closed"]))","sentiment":\#(pick([-0.7, 0.1, 0.35]))}"#)
            case 7: try b.add("ticket.closed", day: day, hour: hour, #"{\#(ticket)}"#)
            case 8:
                let who = pick(["", #","participants":["csm:maria","Ann <ann@x.example.com>"]"#, #","participants":["bob"]"#, #","participants":["p-3"]"#])
                try b.add("call.completed", day: day, hour: hour, actor: "csm:maria", #"{"duration_s":600,"sentiment":\#(pick([-0.9, 0.2, 0.3, 0.7]))\#(who)}"#)
            case 9:
                try b.add("milestone.updated", day: day, hour: hour,
                          #"{"milestone":"\#(pick(["kickoff", "launch", "qbr"]))","status":"\#(pick(["planned", "reached", "missed"]))","due_date":"\#(Build.date(Int.random(in: 0..<days, using: &rng)))"}"#)
            case 10: try b.add("account.updated", day: day, hour: hour, pick([#"{"seats":\#(Int.random(in: 0...40, using: &rng))}"#, #"{"champion":"\#(pick(["ann", "bob"]))"}"#, #"{"plan":"pro"}"#]))
            case 11: try b.add("survey.answered", day: day, hour: hour, #"{"kind":"nps","score":\#(Int.random(in: 0...10, using: &rng))}"#)
            case 12: try b.add("community.activity", day: day, hour: hour, #"{"kind":"post"}"#)
            case 13: try b.add("note.added", day: day, hour: hour, actor: "csm:maria", #"{"author":"maria","text":"spoke"}"#)
            case 14: try b.add("health.override", day: day, hour: hour, #"{"author":"maria","band":"red","reason":"r"}"#)
            case 15:
                let person = Int.random(in: 1...3, using: &rng), name = pick(["ann", "bob"])
                try b.add("contact.updated", day: day, hour: hour,
                          #"{"person":"p-\#(person)","email":"\#(name)@x.example.com","name":"\#(name)","role":"\#(pick(["champion", "user"]))","left":\#(pick([false, false, true]))}"#)
            default: try b.add(pick(["account.churned", "account.renewed"]), day: day, hour: hour, #"{}"#)
            }
        }
        return b
    }

    @Test("Random histories, under the shipped rules and under random parameters, every day")
    func randomHistories() throws {
        var rng = SplitMix(seed: 20261123)
        var compared = 0
        for round in 0..<60 {
            let b = try Self.randomHistory(&rng, count: Int.random(in: 20...400, using: &rng), days: 200)
            let rules = try Self.randomRules(&rng)
            compared += Self.expectSweepEqualsDaily(b.history, DefaultRules.load())
            compared += Self.expectSweepEqualsDaily(b.history, rules)
            // A sweep that starts after the first day (the live refresh from a backdated event).
            compared += Self.expectSweepEqualsDaily(b.history, rules, from: Build.epoch + round * 3)
        }
        #expect(compared > 20_000)
    }

    @Test("The usage summary a sweep reads gives every window ending by the time asked exactly what the history gives: days, active users, peak, features")
    func usageSummaryEqualsHistory() throws {
        var rng = SplitMix(seed: 5)
        var compared = 0, unsettled = 0
        for _ in 0..<30 {
            let b = try Self.randomHistory(&rng, count: Int.random(in: 20...400, using: &rng), days: 150)
            let summary = UsageSummary(b.history)
            unsettled += b.history.usageTable.days().filter { !$0.settled }.count
            for last in (Build.epoch - 40)...(Build.epoch + 190) {
                for length in [1, 2, 3, 7, 28, 64, 100] {
                    for late in [0, 3, 40] {
                        let t = Day(last + late).end
                        let (a, b) = (summary.usage(t, days: last - length + 1, to: last), b.history.usage(t, days: last - length + 1, to: last))
                        #expect(a.days == b.days && a.sum == b.sum && a.peak == b.peak && a.features == b.features, "days \(last - length + 1)...\(last) at \(t)")
                        compared += 1
                    }
                }
            }
        }
        #expect(compared > 40_000 && unsettled > 100)
    }

    @Test("The tickets a score counts as open, with their priorities and the seqs behind them, are those whose lifecycles, folded from the events, are open, every day")
    func openTicketsAgreeWithLifecycles() throws {
        var rng = SplitMix(seed: 11)
        var open = 0
        // And one ticket reprioritised seven times in one microsecond: the order of those facts decides.
        var same = Build()
        try same.add("ticket.opened", day: 3, #"{"ticket_id":"X","priority":"low"}"#)
        for p in ["urgent", "high", "low", "normal", "high", "urgent", "low"] { try same.add("ticket.updated", day: 5, #"{"ticket_id":"X","priority":"\#(p)"}"#) }
        for b in try (0..<40).map({ _ in try Self.randomHistory(&rng, count: Int.random(in: 50...300, using: &rng), days: 120) }) + [same] {
            let facts = b.events.compactMap { TicketFact.of($0.0, $0.1) }
            for day in -1...121 {
                for hour in [0, 12, 23] {
                    let t = Build.time(day, hour: hour)
                    let lifecycles = Dictionary(grouping: facts.filter { $0.fact.timeMicros <= t }, by: \.ticket)
                        .compactMap { TicketLifecycle($0.key, $0.value.map(\.fact)) }.filter { $0.closed == nil }.sorted { $0.ticket < $1.ticket }
                    let counted = b.history.openTicketPriorities(at: t)
                    #expect(counted.map(\.ticket) == lifecycles.map(\.ticket) && counted.map(\.priority) == lifecycles.map(\.priority))
                    #expect(b.history.openTicketSeqs(at: t) == lifecycles.flatMap(\.seqs).sorted())
                    open += counted.count
                }
            }
        }
        #expect(open > 1000)
    }

    @Test("A generated dataset under health-v1 and health-v2, every account on every day")
    func generatedDataset() throws {
        var histories: [String: AccountHistory] = [:]
        for (i, line) in generatedLines(accounts: 40, days: 300, seed: 7, peopleShare: 0.5).enumerated() {
            let event = try EventDecoder.decode(line)
            histories[event.account, default: AccountHistory(account: event.account)]
                .add(StoredEvent(seq: UInt64(i + 1), recordedMicros: 0, event: event), try event.payload())
        }
        let v2 = try Rules.load(yaml: try String(contentsOfFile: CLI.repo + "/rules/health-v2.yaml", encoding: .utf8), file: "health-v2.yaml")
        var compared = 0
        for h in histories.values {
            compared += Self.expectSweepEqualsDaily(h, DefaultRules.load())
            compared += Self.expectSweepEqualsDaily(h, v2)
        }
        #expect(histories.count == 40 && compared > 40 * 2 * 250)
    }
}
