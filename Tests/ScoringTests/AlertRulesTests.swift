import Foundation
import Scoring
import Testing
import TestSupport
import ThroughlineCore

@Suite("Alert rules")
struct AlertRulesTests {
    static let rules = try! Rules.load(yaml: """
        version: t
        bands:
          - {band: red, min: 0, max: 40}
          - {band: yellow, min: 40, max: 70}
          - {band: green, min: 70, max: 100}
        signals:
          - {signal: usage_trend, weight: 1, group: adoption}
        """, file: "t.yaml")

    static func alerts(_ body: String) throws -> AlertRules { try AlertRules.load(yaml: "version: a1\nrules:\n" + body, file: "a.yaml") }

    @Test("the shipped alert rules load; a file with problems names every one at its line and column, with its key")
    func loading() throws {
        let shipped = try AlertRules.load(yaml: try String(contentsOfFile: CLI.repo + "/rules/alerts-v1.yaml", encoding: .utf8), file: "alerts-v1.yaml")
        #expect(shipped.version == "alerts-v1" && shipped.rules.count == 7)
        #expect(shipped.rules.first { $0.id == "urgent-ticket-large-account" }?.conditions.arrAtLeast == 50000)
        do {
            _ = try Self.alerts("""
                  - id: a
                    trigger: {flag: usage_falling}
                  - id: a
                    trigger: {ticket_opened: {priority: [urgent, critical]}}
                    conditions: {signal_below: {usage_trnd: 0.5}, arr_over: 5}
                  - id: c
                    trigger: {band_change: {to: purple}}
                  - id: d
                    trigger: {sentiment: {}}
                """)
            Issue.record("loaded")
        } catch let error as RulesError {
            let text = error.problems.map(\.description)
            #expect(text.count == 7, "\(text)")
            #expect(text.contains { $0.hasPrefix("4:21: rules[0].trigger.flag: unknown flag usage_falling (known: contact_during_open_ticket") })
            #expect(text.contains { $0.hasPrefix("5:9: rules[1].id: a is already the id of rules[0]") })
            #expect(text.contains { $0.hasPrefix("6:50: rules[1].trigger.ticket_opened.priority: unknown value critical") })
            #expect(text.contains { $0.hasPrefix("7:33: rules[1].conditions.signal_below: unknown signal usage_trnd") })
            #expect(text.contains { $0.hasPrefix("7:51: rules[1].conditions: unknown key arr_over") })
            #expect(text.contains { $0.hasPrefix("9:33: rules[2].trigger.band_change.to: must be green, yellow or red, not purple") })
            #expect(text.contains { $0.hasPrefix("11:15: rules[3].trigger: unknown trigger sentiment") })
        }
        #expect(throws: RulesError.self) { try AlertRules.load(yaml: "", file: "empty.yaml") }
        // Webhooks: an address that does not parse or is not http(s), a name given twice, a rule naming none of them.
        do {
            _ = try AlertRules.load(yaml: """
                version: a1
                webhooks:
                  - {name: chat, url: "ftp://example.com/x"}
                  - {name: chat, url: "not a url"}
                  - {name: ops, url: "https://user:pw@example.com/hook", secret_env: "A-B"}
                rules:
                  - {id: r, trigger: {flag: usage_down}, notify: [chat, pager]}
                """, file: "w.yaml")
            Issue.record("loaded")
        } catch let error as RulesError {
            let text = error.problems.map(\.description)
            #expect(text.contains { $0.hasPrefix("3:23: webhooks[0].url: ftp://example.com/x: the scheme must be http or https") }, "\(text)")
            #expect(text.contains { $0.hasPrefix("4:12: webhooks[1].name: chat is already a webhook's name") }, "\(text)")
            #expect(text.contains { $0.hasPrefix("4:23: webhooks[1].url: not a url is not a URL") }, "\(text)")
            #expect(text.contains { $0.contains("webhooks[2].url: https://user:pw@example.com/hook carries a user or password") }, "\(text)")
            #expect(text.contains { $0.contains("webhooks[2].secret_env: must be the name of an environment variable") }, "\(text)")
            #expect(text.contains { $0.hasPrefix("7:57: rules[0].notify: no webhook is named pager") }, "\(text)")
        }
        let hooked = try AlertRules.load(yaml: "version: a2\nwebhooks:\n  - {name: chat, url: \"https://chat.example.com/hook\"}\nrules:\n  - {id: r, trigger: {flag: usage_down}, notify: chat}\n", file: "w.yaml")
        #expect(hooked.endpoints(of: "r").map(\.url) == ["https://chat.example.com/hook"] && hooked.endpoints(of: "other").isEmpty)
    }

    @Test("schemas/alerts.schema.json names the triggers, flags and conditions the loader knows, and accepts the shipped alert rules")
    func schemaAgrees() throws {
        let path = CLI.repo + "/schemas/alerts.schema.json"
        let schema = try JSONParser.parse(try String(contentsOfFile: path, encoding: .utf8))
        let rule = schema["properties"]?["rules"]?["items"]?["properties"]
        func keys(_ v: JSONValue?) -> [String] { v?.members?.map(\.key) ?? [] }
        #expect(keys(rule?["trigger"]?["properties"]) == AlertRules.Trigger.names)
        #expect(keys(rule?["conditions"]?["properties"]) == AlertRules.Conditions.names)
        #expect(rule?["trigger"]?["properties"]?["flag"]?["enum"] == .array(ContextView.Flag.allCases.map { .string($0.rawValue) }))
        let check = try CLI.run(program: "/usr/bin/env", ["python3", "-c", """
            import json, sys, glob, yaml, jsonschema
            schema = json.load(open(sys.argv[1]))
            for f in sorted(glob.glob(sys.argv[2] + '/alerts-*.yaml')):
                jsonschema.validate(yaml.safe_load(open(f)), schema)
                print(f)
            """, path, CLI.repo + "/rules"])
        #expect(check.status == 0 && check.stdout.contains("alerts-v1.yaml"), "\(check.stderr)")
    }

    @Test("band changes, score drops and flags fire on the day they happen, once; the conditions hold or the rule stays quiet")
    func dayTriggers() throws {
        var b = Build()
        try b.add("account.updated", day: 0, #"{"plan":"enterprise","arr":90000}"#)
        try b.usage(day: 0, users: 10)
        // Green, green, red, red, green, green, yellow, then green again.
        let series = ScoreSeries(firstDay: Build.epoch, scores: [80, 80, 30, 35, 80, 80, 50, 75])
        let flags: [Int: [AccountContext.Flag]] = [Build.epoch + 3: [.init(flag: "usage_down", message: "active users down 40%", seqs: [2])],
                                                   Build.epoch + 4: [.init(flag: "usage_down", message: "active users down 45%", seqs: [2])]]
        let alerts = try Self.alerts("""
              - {id: red, trigger: {band_change: {to: red}}}
              - {id: two, trigger: {band_change: {drop: 2}}}
              - {id: any, trigger: {band_change: {to: yellow}}, conditions: {plan: enterprise, arr_at_least: 50000}}
              - {id: fall, trigger: {score_drop: {points: 15, days: 3}}}
              - {id: usage, trigger: {flag: usage_down}}
              - {id: small, trigger: {band_change: {to: red}}, conditions: {arr_below: 50000}}
            """)
        let subject = AlertSubject(history: b.history, series: series, rules: Self.rules) { flags[$0] ?? [] }
        let all = try AlertEngine.firings(alerts, subject, days: Build.epoch...(Build.epoch + 7))
        let got = all.map { "\($0.rule)@\($0.day - Build.epoch)" }
        #expect(got == ["fall@2", "red@2", "two@2", "usage@3", "any@6", "fall@6"], "\(got)")
        let red = all.first { $0.rule == "red" }!
        #expect(red.reason == "health turned red (score 30, was green at 80)" && red.band == .red && red.score == 30 && red.key == Build.date(2))
        #expect(all.first { $0.rule == "any" }!.reason.hasSuffix(" · plan enterprise, ARR 90000"))
        #expect(all.first { $0.rule == "fall" && $0.day == Build.epoch + 6 }!.reason.hasPrefix("score fell 30 points in 2 days (80 on \(Build.date(4)), 50 now)"))
        #expect(all.first { $0.rule == "usage" }!.seqs == [2])
        // Only the days asked for.
        #expect(try AlertEngine.firings(alerts, subject, days: (Build.epoch + 5)...(Build.epoch + 7)).map(\.rule) == ["any", "fall"])
    }

    @Test("a ticket of the priority given, a champion lost; ARR and renewal conditions read the profile as it stood then; the firing's event is the same whoever derives it")
    func eventTriggers() throws {
        var b = Build()
        let renewal = Build.date(60)
        try b.add("account.updated", day: 0, #"{"arr":120000,"renewal_date":"\#(renewal)","champion":"Ana Ruiz"}"#)
        try b.usage(day: 0, users: 10)
        let urgent = try b.add("ticket.opened", day: 10, #"{"ticket_id":"T1","priority":"urgent","category":"outage"}"#)
        try b.add("ticket.opened", day: 11, #"{"ticket_id":"T2","priority":"normal"}"#)
        try b.add("ticket.opened", day: 70, #"{"ticket_id":"T3","priority":"urgent"}"#)
        let changed = try b.add("account.updated", day: 20, #"{"champion":"Bo Chen"}"#)
        let series = ScoreSeries(firstDay: Build.epoch, scores: Array(repeating: 80, count: 80))
        try b.add("account.updated", day: 5, #"{"csm":"maria"}"#)
        let alerts = try Self.alerts("""
              - {id: urgent, trigger: {ticket_opened: {priority: urgent}}, conditions: {arr_at_least: 100000, renewal_within_days: 90},
                 task: {title: "Call about the outage", due_days: 2}}
              - {id: outage, trigger: {ticket_opened: {category: [outage, bug]}}}
              - {id: champion, trigger: {champion_left: {}}}
            """)
        let subject = AlertSubject(history: b.history, series: series, rules: Self.rules) { _ in [] }
        let all = try AlertEngine.firings(alerts, subject, days: Build.epoch...(Build.epoch + 79))
        #expect(all.map { "\($0.rule)@\($0.day - Build.epoch)" } == ["outage@10", "urgent@10", "champion@20"])
        let u = all.first { $0.rule == "urgent" }!
        #expect(u.reason == "urgent ticket T1 opened (outage) · ARR 120000, renews in 50 days" && u.seqs == [urgent] && u.key == "ticket:T1")
        #expect(all.first { $0.rule == "champion" }!.reason == "champion changed from Ana Ruiz to Bo Chen")
        #expect(all.first { $0.rule == "champion" }!.seqs.contains(changed))

        #expect(u.task == AlertFiring.OpenedTask(title: "Call about the outage", dueDay: Build.epoch + 12, assignee: "maria"))
        #expect(all.first { $0.rule == "outage" }?.task == nil)
        let pair = u.events(version: alerts.version)
        #expect(pair.map(\.type) == [.alertFired, .taskOpened] && pair[1].id == "task:alert:a1:urgent:acme:ticket:T1")
        guard case .taskOpened(let opened) = try pair[1].payload() else { Issue.record("not a task.opened"); return }
        #expect(opened.taskID == pair[1].id && opened.assignee == "maria" && opened.dueDate?.description == Build.date(12) && opened.alert == pair[0].id)
        let named = try Self.alerts("  - {id: r, trigger: {champion_left: {}}, task: {title: T, assignee: ops-team}}\n")
        #expect(named.rules[0].task == AlertRules.TaskSpec(title: "T", dueDays: 3, assignee: "ops-team"))
        let event = u.event(version: alerts.version)
        #expect(event.id == "alert:a1:urgent:acme:ticket:T1" && event.type == .alertFired && event.actor == "throughline:alerts")
        #expect(event.time.microseconds == Build.time(10))
        let again = try AlertEngine.firings(alerts, subject, days: (Build.epoch + 10)...(Build.epoch + 10)).first { $0.rule == "urgent" }!
        #expect(JSONWriter.string(again.event(version: "a1").jsonValue) == JSONWriter.string(event.jsonValue))
        guard case .alertFired(let fired) = try event.payload() else { Issue.record("not an alert.fired"); return }
        #expect(fired.rule == "urgent" && fired.seqs == [urgent] && fired.score == 80 && fired.band == .green)
        // An id too long for the log is made short, and stays the same.
        let long = AlertFired.id(version: "a1", rule: "urgent", account: String(repeating: "x", count: 120), key: "ticket:T1")
        #expect(long.count <= 128 && long.hasPrefix("alert:urgent:") && long == AlertFired.id(version: "a1", rule: "urgent", account: String(repeating: "x", count: 120), key: "ticket:T1"))
    }

    @Test("the event types that may fire a rule as they arrive: tickets and the champion's sources, every type for a flag, none for band and score changes (they wait for the scores)")
    func firedBy() throws {
        let scores = try Self.alerts("  - {id: red, trigger: {band_change: {to: red}}}\n  - {id: fall, trigger: {score_drop: {points: 10, days: 7}}}\n")
        #expect(scores.firedBy.isEmpty)
        let events = try Self.alerts("  - {id: red, trigger: {band_change: {to: red}}}\n  - {id: t, trigger: {ticket_opened: {priority: urgent}}}\n  - {id: c, trigger: {champion_left: {}}}\n")
        #expect(events.firedBy == [.ticketOpened, .accountUpdated, .contactUpdated, .callCompleted] && events.firedByEventAlone == events.firedBy)
        let flag = try Self.alerts("  - {id: f, trigger: {flag: message_problem}}\n  - {id: t, trigger: {ticket_opened: {priority: urgent}}}\n")
        #expect(flag.firedBy == Set(EventType.allCases) && flag.firedByEventAlone == [.ticketOpened])
    }
}
