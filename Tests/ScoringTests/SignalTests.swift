import Foundation
import Scoring
import Testing
import ThroughlineCore

/// Hand-built histories: events on days counted from 2026-01-01 (day 0), at noon unless given.
struct Build {
    var history = AccountHistory(account: "acme")
    var events: [(StoredEvent, EventPayload)] = []
    var seq: UInt64 = 0

    static let epoch = CalendarDate(iso: "2026-01-01")!.daysSinceEpoch

    static func time(_ day: Int, hour: Int = 12) -> Int64 { (Int64(epoch + day) * 86_400 + Int64(hour) * 3600) * 1_000_000 }

    static func iso(_ day: Int, hour: Int = 12) -> String { Timestamp.utc(microseconds: time(day, hour: hour)).description }

    static func date(_ day: Int) -> String { CalendarDate(daysSinceEpoch: epoch + day).description }

    /// Adds one event; returns its seq.
    @discardableResult
    mutating func add(_ type: String, day: Int, hour: Int = 12, actor: String? = nil, _ data: String) throws -> UInt64 {
        seq += 1
        let actorField = actor.map { #","actor":"\#($0)""# } ?? ""
        let line = #"{"id":"e\#(seq)","account":"acme","type":"\#(type)","time":"\#(Self.iso(day, hour: hour))"\#(actorField),"data":\#(data)}"#
        let event = try EventDecoder.decode(line)
        let e = StoredEvent(seq: seq, recordedMicros: 0, event: event)
        let payload = try event.payload()
        history.add(e, payload)
        events.append((e, payload))
        return seq
    }

    mutating func usage(day: Int, users: Int, features: [String] = ["a"]) throws {
        let f = features.map { #""\#($0)":1"# }.joined(separator: ",")
        try add("usage.recorded", day: day, hour: 23, #"{"period_start":"\#(Self.date(day))","active_users":\#(users),"features":{\#(f)}}"#)
    }
}

/// The signal's reading at `day` (noon), with its parameters' defaults unless given.
func read(_ kind: SignalKind, _ b: Build, day: Int, _ params: [String: Double] = [:]) -> (value: Double?, reason: String, seqs: [UInt64]) {
    var p = Dictionary(uniqueKeysWithValues: kind.parameters.map { ($0.name, $0.defaultValue) })
    p.merge(params) { $1 }
    switch Signals.evaluate(Rules.Signal(kind: kind, weight: 1, group: "g", parameters: p), b.history, at: Build.time(day)) {
    case .reading(let value, _, let reason, let seqs): return (value, reason, seqs)
    case .missing(let why): return (nil, why, [])
    }
}

@Suite("Signals against hand-built histories")
struct SignalTests {
    @Test("Usage slope: a steady weekly decline is the line's change over the window against the weeks' mean; fewer than 4 weeks is neutral")
    func usageSlope() throws {
        var b = Build()
        // Eight weeks, each a user fewer every day than the week before: 24 down to 17.
        for w in 0..<8 { for d in 0..<7 { try b.usage(day: w * 7 + d, users: 24 - w) } }
        let r = read(.usageSlope, b, day: 55)
        // Slope −1 a week, over 7 steps, against a mean of 20.5: −34.1%, 0 at −40%.
        let expected = 1 - (7.0 / 20.5) / 0.4
        #expect(abs((r.value ?? -1) - expected) < 1e-9, "\(r)")
        #expect(r.reason.hasPrefix("active users -34.1% over the last 8 weeks"), "\(r.reason)")
        // Day 55's report comes at 23:00, after the noon asked about.
        #expect(r.seqs.count == 55)
        // Flat usage is healthy; three weeks are not enough for a line.
        var flat = Build()
        for d in 0..<56 { try flat.usage(day: d, users: 10) }
        #expect(read(.usageSlope, flat, day: 55).value == 1)
        var short = Build()
        for d in 35..<56 { try short.usage(day: d, users: 10) }
        #expect(read(.usageSlope, short, day: 55).value == nil)
        #expect(read(.usageSlope, short, day: 55).reason == "usage reported in fewer than 4 of the last 8 weeks")
    }

    @Test("Usage level: the last 14 days against the usual level of the 150 days that end 28 days before them; a slide from 20 to 11 users in 60 days is 0.31 at a 60% full drop")
    func usageLevel() throws {
        var b = Build()
        // 200 days at 20 users, then 60 days sliding a user every 6 days (to 10 on day 259).
        for d in 0..<200 { try b.usage(day: d, users: 20) }
        for d in 200..<260 { try b.usage(day: d, users: 20 - (d - 200) / 6) }
        let r = read(.usageLevel, b, day: 260)
        // Recent days 247–260 (260 not yet reported at noon): 247 at 13, 248–253 at 12, 254–259 at 11: 151/13.
        // The usual level: days 69–218, at 20 through 205, then 19, 18 by sixes, 17 on 218: 2979/150.
        let n = 151.0 / 13, m = 2979.0 / 150
        #expect(abs((r.value ?? -1) - (1 - (1 - n / m) / 0.6)) < 1e-9, "\(r)")
        #expect(r.reason.hasPrefix("active users 11.6 a day over 14 days against a usual 19.9 (-41.5%)"), "\(r.reason)")
        // Usage at the usual level is healthy; a young account has no usual level yet.
        #expect(read(.usageLevel, b, day: 199).value == 1)
        var young = Build()
        for d in 0..<60 { try young.usage(day: d, users: 5) }
        #expect(read(.usageLevel, young, day: 59).value == nil)
    }

    @Test("Contact cadence: human contacts in the last 60 days against the account's own rate over the 180 before; a call a week falling to one a month is 0 at a 75% full drop")
    func contactCadence() throws {
        var b = Build()
        // A call every week for 180 days (26 calls), then one every 30 days (2 in the last 60).
        var seqs: [UInt64] = []
        for w in 0..<26 { seqs.append(try b.add("call.completed", day: w * 7, actor: "csm:maria", #"{"duration_s":600}"#)) }
        for d in [200, 230] { seqs.append(try b.add("call.completed", day: d, actor: "csm:maria", #"{"duration_s":600}"#)) }
        let r = read(.contactCadence, b, day: 240)
        // The baseline is (day 0 noon, day 180 noon]: day 0's call is just outside it, 25 in it.
        // (2/60 − 25/180) / (25/180) = −76%: beyond the full drop, 0.
        #expect(r.value == 0 && r.reason == "2 human contacts in the last 60 days against 25 in the 180 before (-76% a day)", "\(r)")
        #expect(r.seqs == Array(seqs.dropFirst()))
        // A steady cadence is healthy; no contact in the baseline is neutral.
        var steady = Build()
        for w in 0..<35 { try steady.add("call.completed", day: w * 7, actor: "csm:maria", #"{"duration_s":600}"#) }
        #expect(read(.contactCadence, steady, day: 240).value == 1)
        #expect(read(.contactCadence, Build(), day: 240).value == nil)
    }

    @Test("Usage trend: the last 7 days against the 28 before; half the users is 0 at a 50% full drop, a quarter less is 0.5")
    func usageTrend() throws {
        var b = Build()
        #expect(read(.usageTrend, b, day: 40).value == nil)
        #expect(read(.usageTrend, b, day: 40).reason == "no usage reported in the last 7 days")
        for d in 0..<28 { try b.usage(day: d, users: 20) }
        for d in 28..<35 { try b.usage(day: d, users: 15) }
        let r = read(.usageTrend, b, day: 34)
        #expect(r.value == 0.5)
        #expect(r.reason == "active users 15 a day over 7 days against 20 over the 28 before (-25%)")
        #expect(r.seqs.count == 34)  // day 34 is reported at 23:00, after the time asked
        var c = Build()
        for d in 0..<28 { try c.usage(day: d, users: 20) }
        for d in 28..<35 { try c.usage(day: d, users: 10) }
        #expect(read(.usageTrend, c, day: 34).value == 0)
        #expect(read(.usageTrend, c, day: 6).reason == "no usage reported in the 28 days before the last 7")
    }

    @Test("Seat utilisation: peak users over seats against the healthy share; no seat count is neutral")
    func seats() throws {
        var b = Build()
        try b.usage(day: 5, users: 30)
        #expect(read(.seatUtilisation, b, day: 6).value == nil)
        let profile = try b.add("account.updated", day: 0, #"{"seats":50}"#)
        let r = read(.seatUtilisation, b, day: 6)
        #expect(r.value == 0.75)
        #expect(r.seqs == [profile, 1])
    }

    @Test("Feature breadth: 3 features now against 6 ninety days ago is a 50% drop")
    func breadth() throws {
        var b = Build()
        try b.usage(day: 0, users: 5, features: ["a", "b", "c", "d", "e", "f"])
        try b.usage(day: 90, users: 5, features: ["a", "b", "c"])
        #expect(read(.featureBreadthChange, b, day: 91).value == 0)
        #expect(read(.featureBreadthChange, b, day: 91).reason == "3 features used in the last 28 days against 6 in the same span 90 days ago")
        // Day 90's record is reported at 23:00, so at noon that day it is not known yet.
        #expect(read(.featureBreadthChange, b, day: 90).reason == "no usage reported in the last 28 days")
    }

    @Test("Open tickets weighted by priority, as they stood at the time asked")
    func openTickets() throws {
        var b = Build()
        let urgent = try b.add("ticket.opened", day: 1, #"{"ticket_id":"1","priority":"urgent"}"#)
        try b.add("ticket.opened", day: 1, #"{"ticket_id":"2","priority":"high"}"#)
        try b.add("ticket.closed", day: 3, #"{"ticket_id":"2"}"#)
        let normal = try b.add("ticket.opened", day: 2, #"{"ticket_id":"3","priority":"low"}"#)
        let raised = try b.add("ticket.updated", day: 4, #"{"ticket_id":"3","priority":"normal"}"#)
        #expect(read(.openTickets, b, day: 5).value == 1 - 5.0 / 8)
        #expect(read(.openTickets, b, day: 5).reason == "2 open (1 urgent, 1 normal), weighted load 5")
        #expect(read(.openTickets, b, day: 5).seqs == [urgent, normal, raised])
        #expect(read(.openTickets, b, day: 2).value == 1 - 6.5 / 8)  // the high one still open, the third still low
        #expect(read(.openTickets, b, day: 0).reason == "no open tickets")
    }

    @Test("Ticket volume: twice the daily rate of the 90 days before is 0 at a full rise of 100%; short histories are neutral")
    func volume() throws {
        var b = Build()
        for k in 0..<9 { try b.add("ticket.opened", day: 5 + 10 * k, #"{"ticket_id":"b\#(k)","priority":"low"}"#) }
        for k in 0..<6 { try b.add("ticket.opened", day: 92 + 5 * k, #"{"ticket_id":"r\#(k)","priority":"low"}"#) }
        #expect(read(.ticketVolumeTrend, b, day: 119).value == nil)
        try b.add("note.added", day: -1, #"{"author":"m","text":"start"}"#)
        let r = read(.ticketVolumeTrend, b, day: 119)
        #expect(r.value == 0)
        #expect(r.reason == "6 tickets in the last 30 days against 9 in the 90 before (+100% a day)")
    }

    @Test("Question rate: customers who stop asking score 0; asking as before scores 1; never asking is neutral")
    func questions() throws {
        var b = Build()
        #expect(read(.questionRateTrend, b, day: 120).value == nil)
        for k in 0..<9 { try b.add("ticket.opened", day: 5 + 10 * k, #"{"ticket_id":"q\#(k)","priority":"low","category":"question"}"#) }
        #expect(read(.questionRateTrend, b, day: 119).value == 0)
        for k in 0..<3 { try b.add("ticket.opened", day: 95 + 10 * k, #"{"ticket_id":"h\#(k)","priority":"low","category":"how_to"}"#) }
        #expect(read(.questionRateTrend, b, day: 119).value == 1)
    }

    @Test("Sentiment trend, days since human contact, milestones, NPS, community, champion change")
    func others() throws {
        var b = Build()
        try b.add("call.completed", day: 10, actor: "csm:maria", #"{"duration_s":600,"sentiment":0.4}"#)
        try b.add("ticket.updated", day: 50, #"{"ticket_id":"9","sentiment":0.4}"#)
        let contact = try b.add("call.completed", day: 83, actor: "csm:maria", #"{"duration_s":600,"sentiment":0.0}"#)
        let sentiment = read(.sentimentTrend, b, day: 90)
        #expect(abs((sentiment.value ?? -1) - 0.2) < 1e-9)
        #expect(read(.daysSinceHumanContact, b, day: 120).value == 0.5)  // 37 days: halfway from 14 to 60
        #expect(read(.daysSinceHumanContact, b, day: 120).seqs == [contact])

        #expect(read(.milestones, b, day: 40).value == nil)
        try b.add("milestone.updated", day: 0, #"{"milestone":"kickoff","status":"planned","due_date":"\#(Build.date(30))"}"#)
        try b.add("milestone.updated", day: 0, #"{"milestone":"launch","status":"planned","due_date":"\#(Build.date(60))"}"#)
        try b.add("milestone.updated", day: 20, #"{"milestone":"training","status":"missed"}"#)
        #expect(read(.milestones, b, day: 40).value == 0.25)
        #expect(read(.milestones, b, day: 40).reason == "3 milestones, overdue: kickoff, missed: training")
        #expect(read(.milestones, b, day: 25).value == 0.5)

        for (day, score) in [(100, 5), (110, 8)] { try b.add("survey.answered", day: day, #"{"kind":"nps","score":\#(score)}"#) }
        #expect(read(.nps, b, day: 105).value == 0)
        #expect(read(.nps, b, day: 115).value == 0.5)
        #expect(read(.nps, b, day: 400).value == nil)

        for k in 0..<9 { try b.add("community.activity", day: 100 + 10 * k, #"{"kind":"post"}"#) }
        #expect(read(.communityTrend, b, day: 215).value == 0)

        #expect(read(.championChange, b, day: 10).value == nil)
        try b.add("account.updated", day: 0, #"{"champion":"dana"}"#)
        try b.add("account.updated", day: 150, #"{"champion":"eli"}"#)
        #expect(read(.championChange, b, day: 180).value == 0)
        #expect(read(.championChange, b, day: 180).reason == "champion changed from dana to eli within 90 days")
        #expect(read(.championChange, b, day: 241).value == 1)
    }

    @Test("Champion change reads the people: a champion by role who left, or whose own sentiment on calls fell, is a reason with the seqs behind it")
    func championFromPeople() throws {
        var b = Build()
        #expect(read(.championChange, b, day: 5).value == nil)
        let dana = try b.add("contact.updated", day: 0, #"{"person":"crm:1","email":"dana@acme.example.com","name":"Dana","role":"champion"}"#)
        try b.add("contact.updated", day: 0, #"{"person":"crm:2","email":"sam@acme.example.com","name":"Sam","role":"user"}"#)
        #expect(read(.championChange, b, day: 5).value == 1)
        #expect(read(.championChange, b, day: 5).reason == "champion kept for 90 days")
        // Sam's sentiment falls: Sam is no champion. Dana's falls from +0.6 to −0.3.
        var calls: [UInt64] = []
        for (k, s) in [0.6, 0.6, 0.6, -0.3, -0.3, -0.3].enumerated() {
            try b.add("call.completed", day: 10 + 5 * k, actor: "csm:maria", #"{"duration_s":600,"sentiment":\#(s),"participants":["sam@acme.example.com"]}"#)
            calls.append(try b.add("call.completed", day: 11 + 5 * k, actor: "csm:maria",
                                   #"{"duration_s":600,"sentiment":\#(s),"participants":["csm:maria","Dana <dana@acme.example.com>"]}"#))
        }
        #expect(read(.championChange, b, day: 30).value == 1)
        let fell = read(.championChange, b, day: 40)
        #expect(fell.value == 0 && fell.seqs == calls)
        #expect(fell.reason == "champion Dana's sentiment fell from +0.6 to -0.3 over their last 6 calls within 90 days")
        #expect(read(.championChange, b, day: 36 + 91).value == 1)
        // She leaves: the reason is the update that says so.
        let left = try b.add("contact.updated", day: 200, #"{"person":"crm:1","left":true}"#)
        let gone = read(.championChange, b, day: 210)
        #expect(gone.value == 0 && gone.seqs == [left] && gone.reason == "champion Dana left the company within 90 days")
        #expect(dana < left)
    }
}

@Suite("Scores")
struct ScoreTests {
    static let rules = try! Rules.load(yaml: """
        version: t1
        bands:
          - {band: red, min: 0, max: 40}
          - {band: yellow, min: 40, max: 70}
          - {band: green, min: 70, max: 100}
        signals:
          - {signal: open_tickets, weight: 30, group: support}
          - {signal: days_since_human_contact, weight: 10, group: relationship}
          - {signal: nps, weight: 20, group: relationship}
        """, file: "t1.yaml")

    @Test("A score is weight × value over the weights of the signals with input; missing ones are neutral and named")
    func arithmetic() throws {
        var b = Build()
        try b.add("ticket.opened", day: 0, #"{"ticket_id":"1","priority":"urgent"}"#)  // load 4 of 8: 0.5
        try b.add("call.completed", day: 0, actor: "csm:m", #"{"duration_s":60}"#)    // 37 days later: 0.5
        let s = Score(b.history, rules: Self.rules, at: Build.time(37))
        #expect(s.score == 50)
        #expect(s.band == .yellow)
        #expect(s.contributions.map(\.points) == [37.5, 12.5])  // 0.5 of 75 and 0.5 of 25
        #expect(s.neutral.map(\.signal) == [.nps])
        #expect(s.neutral.first?.reason == "no NPS answer in the last 180 days")
        try b.add("survey.answered", day: 36, #"{"kind":"nps","score":3}"#)
        let t = Score(b.history, rules: Self.rules, at: Build.time(37))
        #expect(t.score == 33.3)  // (30 × 0.5 + 10 × 0.5 + 20 × 0) / 60
        #expect(t.band == .red)
        #expect(t.topReasons.map(\.signal) == [.nps, .openTickets, .daysSinceHumanContact])
    }

    @Test("Events of the same microsecond are ordered by their ids, not by their arrival: a log that got them the other way round gives the same latest profile")
    func sameTimeOrder() throws {
        func seats(_ arrival: [(id: String, seats: Int)]) throws -> Int? {
            var h = AccountHistory(account: "acme")
            for (i, a) in arrival.enumerated() {
                let line = #"{"id":"\#(a.id)","account":"acme","type":"account.updated","time":"2026-01-05T10:00:00Z","data":{"seats":\#(a.seats)}}"#
                let event = try EventDecoder.decode(line)
                h.add(StoredEvent(seq: UInt64(i + 1), recordedMicros: 0, event: event), try event.payload())
            }
            return h.seats(at: Build.time(10))?.value
        }
        let updates = (0..<6).map { (id: "update-\($0)", seats: 10 + $0) }
        let first = try seats(updates)
        #expect(first != nil)
        for _ in 0..<5 { #expect(try seats(updates.shuffled()) == first) }
    }

    @Test("The same events in any order give the same score, and nothing after the time asked counts")
    func orderAndTime() throws {
        var b = Build()
        for d in 0..<60 { try b.usage(day: d, users: 20 - d / 5) }
        try b.add("ticket.opened", day: 10, #"{"ticket_id":"1","priority":"high","category":"question"}"#)
        try b.add("ticket.closed", day: 12, actor: "agent:z", #"{"ticket_id":"1","csat":4}"#)
        try b.add("account.updated", day: 0, #"{"seats":40,"champion":"dana"}"#)
        try b.add("call.completed", day: 20, actor: "csm:m", #"{"duration_s":60,"sentiment":0.5}"#)
        let shipped = try Rules.load(yaml: try String(contentsOfFile: RulesTests.repoPath + "/rules/health-v1.yaml", encoding: .utf8), file: "v1")
        let inOrder = Score(b.history, rules: shipped, at: Build.time(45))
        var shuffled = AccountHistory(account: "acme")
        var rng = SystemRandomNumberGenerator()
        for (e, p) in b.events.shuffled(using: &rng) + b.events.prefix(5) { shuffled.add(e, p) }
        let mixed = Score(shuffled, rules: shipped, at: Build.time(45))
        #expect(inOrder.score == mixed.score)
        #expect(inOrder.contributions.map(\.points) == mixed.contributions.map(\.points))
        #expect(inOrder.contributions.map(\.seqs) == mixed.contributions.map(\.seqs))
        try b.add("ticket.opened", day: 50, #"{"ticket_id":"2","priority":"urgent"}"#)
        #expect(Score(b.history, rules: shipped, at: Build.time(45)).score == inOrder.score)
        #expect(Score(b.history, rules: shipped, at: Build.time(51)).score != Score(shuffled, rules: shipped, at: Build.time(51)).score)
    }
}

@Suite("Score histories and overrides")
struct ScoreHistoryTests {
    static let rules = ScoreTests.rules

    @Test("One point per UTC day from the first event; a backdated event changes the points from its day on, none before")
    func history() throws {
        var b = Build()
        try b.add("call.completed", day: 0, actor: "csm:m", #"{"duration_s":60}"#)
        try b.add("ticket.opened", day: 10, #"{"ticket_id":"1","priority":"high"}"#)
        try b.add("ticket.closed", day: 20, actor: "agent:z", #"{"ticket_id":"1"}"#)
        let before = ScoreHistory.all(b.history, rules: Self.rules, through: Build.epoch + 80)
        #expect(before.count == 81)
        #expect(before.first?.day == Build.epoch)
        #expect(before.first?.score == 100)
        // Contact decays from day 14 on; the open ticket costs points from day 10 to day 19.
        #expect(before[9].score == 100 && before[10].score! < before[9].score!)
        try b.add("ticket.opened", day: 40, hour: 9, #"{"ticket_id":"2","priority":"urgent"}"#)  // arrives late, lands on day 40
        let after = ScoreHistory.all(b.history, rules: Self.rules, through: Build.epoch + 80)
        #expect(Array(after.prefix(40)) == Array(before.prefix(40)))
        #expect(after[40] != before[40])
        let changes = ScoreHistory.bandChanges(after)
        #expect(!changes.isEmpty)
        #expect(changes.allSatisfy { c in after.first { $0.day == c.day }?.band == c.to })
    }

    @Test("Usage records at or before usageIrrelevant(before: day) change no score from that day on; one just after it can")
    func usageCut() throws {
        var b = Build()
        try b.add("account.updated", day: 0, #"{"seats":40}"#)
        for day in 0..<300 { try b.usage(day: day, users: 5 + (day * 7) % 23) }
        // Reported early, at the start of day 152 for day 160: eight days before, so only the slack
        // of the windows keeps it. It adds a feature to the breadth 90 days before day 250–276.
        try b.add("usage.recorded", day: 152, hour: 0, #"{"period_start":"\#(Build.date(160))","active_users":9,"features":{"rare":1}}"#)
        let rules = try RulesTests.healthV1()
        for day in stride(from: Build.epoch + 240, through: Build.epoch + 290, by: 1) {
            let cut = Signals.usageIrrelevant(before: day, rules)
            var kept = AccountHistory(account: "acme")
            for (e, payload) in b.events {
                if e.event.type == .usageRecorded, e.event.time.microseconds <= cut { kept.noteTime(e.event.time.microseconds) } else { kept.add(e, payload) }
            }
            for d in day...(day + 3) {
                #expect(Score.value(kept, rules: rules, at: Day(d).end) == Score.value(b.history, rules: rules, at: Day(d).end))
            }
            #expect(kept.firstTime == b.history.firstTime)
        }
        // One day more would be too much: some day's score reads the record the cut then drops.
        var differs = false
        for day in stride(from: Build.epoch + 240, through: Build.epoch + 290, by: 1) {
            let cut = Signals.usageIrrelevant(before: day, rules) + Day.micros
            var kept = AccountHistory(account: "acme")
            for (e, payload) in b.events {
                if e.event.type == .usageRecorded, e.event.time.microseconds <= cut { kept.noteTime(e.event.time.microseconds) } else { kept.add(e, payload) }
            }
            differs = differs || Score.value(kept, rules: rules, at: Day(day).end) != Score.value(b.history, rules: rules, at: Day(day).end)
        }
        #expect(differs)
    }

    @Test("A churned account is scored through the day it churned; a renewal after that starts its scores again")
    func churn() throws {
        var b = Build()
        try b.add("call.completed", day: 0, actor: "csm:m", #"{"duration_s":60}"#)
        #expect(ScoreHistory.lastDay(b.history, horizon: Build.epoch + 80) == Build.epoch + 80)
        try b.add("account.churned", day: 30, #"{"reason":"budget"}"#)
        #expect(ScoreHistory.lastDay(b.history, horizon: Build.epoch + 80) == Build.epoch + 30)
        #expect(ScoreHistory.lastDay(b.history, horizon: Build.epoch + 20) == Build.epoch + 20)
        let series = ScoreSeries.refreshed(nil, b.history, rules: Self.rules, from: .min, horizon: Build.epoch + 80).series
        #expect(series.lastDay == Build.epoch + 30 && series.scores.count == 31)
        try b.add("account.renewed", day: 50, #"{"arr":1000}"#)
        #expect(ScoreHistory.lastDay(b.history, horizon: Build.epoch + 80) == Build.epoch + 80)
        // Refreshing from the renewal's day keeps the points before it and carries the series on.
        let renewed = ScoreSeries.refreshed(series, b.history, rules: Self.rules, from: Build.epoch + 50, horizon: Build.epoch + 80)
        #expect(renewed.computedFrom == Build.epoch + 31 && renewed.series.scores.count == 81)
        #expect(Array(renewed.series.scores.prefix(31)) == series.scores)
        #expect(ScoreSeries(firstDay: renewed.series.firstDay, bytes: renewed.series.bytes) == renewed.series)
    }

    @Test("An override shows beside the computed score until it expires, and says when it disagrees")
    func override() throws {
        var b = Build()
        try b.add("call.completed", day: 0, actor: "csm:m", #"{"duration_s":60}"#)
        let o = try b.add("health.override", day: 2, #"{"author":"maria","band":"red","reason":"Exec sponsor left","expires":"\#(Build.date(9))"}"#)
        let during = Score(b.history, rules: Self.rules, at: Build.time(5))
        #expect(during.band == .green)
        #expect(during.override?.seq == o)
        #expect(during.override?.value.reason == "Exec sponsor left")
        #expect(during.overrideDisagrees)
        #expect(Score(b.history, rules: Self.rules, at: Build.time(9)).override?.seq == o)  // through its expiry date
        let after = Score(b.history, rules: Self.rules, at: Build.time(10))
        #expect(after.override == nil && !after.overrideDisagrees)
        #expect(after.score == during.score)  // the computed score is never replaced
    }
}

@Suite("A score as JSON")
struct ScoreJSONTests {
    @Test("The API's shape: score, band, contributions by cost with figures, reasons and seqs, neutral signals, the override beside")
    func shape() throws {
        var b = Build()
        let ticket = try b.add("ticket.opened", day: 0, #"{"ticket_id":"1","priority":"urgent"}"#)
        let call = try b.add("call.completed", day: 0, actor: "csm:m", #"{"duration_s":60}"#)
        let o = try b.add("health.override", day: 1, #"{"author":"maria","band":"green","reason":"Renewal signed"}"#)
        let json = JSONWriter.string(try JSONValueEncoder.encode(Score(b.history, rules: ScoreTests.rules, at: Build.time(37)).explanation))
        #expect(json == #"{"rules":"t1","at":"2026-02-07T12:00:00Z","score":50,"band":"yellow","contributions":["#
            + #"{"signal":"open_tickets","group":"support","weight":30,"value":0.5,"points":37.5,"max_points":75,"figures":{"open":1,"weighted_load":4},"reason":"1 open (1 urgent), weighted load 4","seqs":[\#(ticket)]},"#
            + #"{"signal":"days_since_human_contact","group":"relationship","weight":10,"value":0.5,"points":12.5,"max_points":25,"figures":{"days":37},"reason":"last human contact 37 days ago","seqs":[\#(call)]}],"#
            + #""neutral":[{"signal":"nps","reason":"no NPS answer in the last 180 days"}],"#
            + #""override":{"band":"green","author":"maria","reason":"Renewal signed","since":"2026-01-02T12:00:00Z","disagrees":true,"seq":\#(o)}}"#)
        #expect(try JSONParser.parse(json)["score"] == .number("50"))
    }
}
