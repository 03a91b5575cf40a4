import Foundation
import Testing
import TestSupport
import ThroughlineClient
import ThroughlineCore

/// Alert rules fired by the server (`serve --alerts FILE`): firings are `alert.fired` events in
/// the log, stored once however often they are derived.
@Suite("Alerts", .serialized)
struct AlertTests {
    static let alerts = """
        version: alerts-t
        rules:
          - id: urgent-large
            trigger: {ticket_opened: {priority: urgent}}
            conditions: {arr_at_least: 50000}
            task: {title: "Call Acme about the urgent ticket", due_days: 1}
        """

    static func iso(hoursAgo: Double) -> String {
        Timestamp.utc(microseconds: Int64((Date().timeIntervalSince1970 - hoursAgo * 3600) * 1e6)).description
    }

    /// Like `iso(hoursAgo:)`, moved back when needed so that the last `span` hours fall on one
    /// UTC day: events that must share a day (an alert fires per day) do so at any hour of the run.
    static func iso(hoursAgo: Double, sameDaySpan span: Double) -> String {
        let sinceMidnight = Date().timeIntervalSince1970.truncatingRemainder(dividingBy: 86_400) / 3600
        return iso(hoursAgo: hoursAgo + (sinceMidnight < span ? sinceMidnight + 0.5 : 0))
    }

    static func fired(_ sock: String) async throws -> [JSONValue] {
        let text = try await HTTPConnection.request(.unix(sock), "GET", "/v1/events?limit=10000").text
        return try text.split(separator: "\n").map { try JSONParser.parse(String($0)) }.filter { $0["type"] == .string("alert.fired") }
    }

    @Test("serve --alerts: an urgent ticket on a large account fires once, as an alert.fired event naming the rule, why and the events behind it, on the account's timeline; a small account's does not; a restart derives it again and stores nothing twice; alerts replay counts the firings; a file with problems stops serve naming each")
    func firesOnce() async throws {
        let dir = TempDir(), logs = TempDir()
        let sock = dir.path + "/throughline.sock", file = logs.path + "/alerts.yaml"
        try Self.alerts.write(toFile: file, atomically: true, encoding: .utf8)
        var server = try await ServeProcess.start(["--data", dir.path, "--alerts", file], log: logs.path + "/1.log", socket: sock)
        let lines = [
            #"{"id":"p-acme","account":"acme","type":"account.updated","time":"\#(Self.iso(hoursAgo: 30))","data":{"name":"Acme","arr":120000,"csm":"maria"}}"#,
            #"{"id":"p-bolt","account":"bolt","type":"account.updated","time":"\#(Self.iso(hoursAgo: 30))","data":{"name":"Bolt","arr":1000}}"#,
            #"{"id":"u-acme","account":"acme","type":"usage.recorded","time":"\#(Self.iso(hoursAgo: 3))","data":{"period_start":"\#(Self.iso(hoursAgo: 3).prefix(10))","active_users":5}}"#,
            #"{"id":"t1","account":"acme","type":"ticket.opened","time":"\#(Self.iso(hoursAgo: 1))","data":{"ticket_id":"T1","priority":"urgent","subject":"down"}}"#,
            #"{"id":"b1","account":"bolt","type":"ticket.opened","time":"\#(Self.iso(hoursAgo: 1))","data":{"ticket_id":"B1","priority":"urgent"}}"#,
        ]
        let posted = try results(try await HTTPConnection.request(.unix(sock), "POST", "/v1/events", headers: [("Content-Type", "application/x-ndjson")],
                                                                  body: Array(lines.joined(separator: "\n").utf8)))
        let ticketSeq = try #require(posted[3].seq)
        #expect(try await eventually(tries: 300) { try await !Self.fired(sock).isEmpty })
        var fired = try await Self.fired(sock)
        #expect(fired.count == 1, "\(fired)")
        let alert = try #require(fired.first)
        #expect(alert["id"] == .string("alert:alerts-t:urgent-large:acme:ticket:T1") && alert["account"] == .string("acme"))
        #expect(alert["actor"] == .string("throughline:alerts"))
        let reason = alert["data"]?["reason"]?.stringValue ?? ""
        #expect(reason.hasPrefix("urgent ticket T1 opened") && reason.contains("ARR 120000"), "\(reason)")
        #expect(alert["data"]?["seqs"] == .array([.number(String(ticketSeq))]))
        let seq = try #require(int(alert["seq"]))
        let timeline = try await HTTPConnection.request(.unix(sock), "GET", "/v1/accounts/acme/timeline?min_seq=\(seq)").text
        #expect(timeline.contains("Alert urgent-large: urgent ticket T1 opened") && timeline.contains(#""kind":"alert""#), "\(timeline)")
        // The rule opened a task for the account's CSM, on the timeline and the Tasks page.
        let tasks = try json(try await HTTPConnection.request(.unix(sock), "GET", "/v1/tasks?assignee=maria"))
        guard case .array(let open)? = tasks["tasks"], let task = open.first else { Issue.record("no task: \(tasks)"); return }
        #expect(open.count == 1 && task["task_id"] == .string("task:alert:alerts-t:urgent-large:acme:ticket:T1") && task["state"] == .string("open")
                && task["alert"] == alert["id"] && task["title"] == .string("Call Acme about the urgent ticket"), "\(task)")
        #expect(timeline.contains("Task opened: Call Acme about the urgent ticket (due "), "\(timeline)")
        let page = try await HTTPConnection.request(.unix(sock), "GET", "/tasks?assignee=maria").text
        #expect(page.contains("Call Acme about the urgent ticket"))
        // Closing it from the page appends a task.closed.
        let csrf = try #require(page.firstRange(of: #"name="csrf" value=""#).map { page[$0.upperBound...].prefix { $0 != "\"" } })
        let eventID = try #require(page.firstRange(of: #"name="event_id" value=""#).map { page[$0.upperBound...].prefix { $0 != "\"" } })
        let form = "csrf=\(csrf)&kind=close_task&task=\(percentEncoded(task["task_id"]?.stringValue ?? ""))&event_id=\(eventID)"
        let closed = try await HTTPConnection.request(.unix(sock), "POST", "/accounts/acme/events", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                                      body: Array(form.utf8))
        #expect(closed.status == 303, "\(closed.status) \(closed.text)")
        let after = try json(try await HTTPConnection.request(.unix(sock), "GET", "/v1/tasks?state=all"))
        #expect(after["tasks"]?.array?.first?["state"] == .string("closed"), "\(after)")
        #expect(try await HTTPConnection.request(.unix(sock), "GET", "/tasks?assignee=maria").text.contains("None open"))
        let health = try json(try await HTTPConnection.request(.unix(sock), "GET", "/v1/health"))
        #expect(health["alerter"]?["alerts"] == .string("alerts-t") && health["alerter"]?["state"] == .string("running"))
        #expect(try await server.stop() == 0)
        #expect(server.log.contains("alert fired"))

        // Derived again after a restart (acme is scored again): stored once; a new ticket fires anew.
        server = try await ServeProcess.start(["--data", dir.path, "--alerts", file], log: logs.path + "/2.log", socket: sock)
        let more = [
            #"{"id":"n1","account":"acme","type":"note.added","time":"\#(Self.iso(hoursAgo: 0.5))","data":{"author":"maria","text":"on it"}}"#,
            #"{"id":"t2","account":"acme","type":"ticket.opened","time":"\#(Self.iso(hoursAgo: 0.2))","data":{"ticket_id":"T2","priority":"urgent"}}"#,
        ]
        _ = try await HTTPConnection.request(.unix(sock), "POST", "/v1/events", headers: [("Content-Type", "application/x-ndjson")],
                                             body: Array(more.joined(separator: "\n").utf8))
        #expect(try await eventually(tries: 300) { try await Self.fired(sock).count >= 2 })
        fired = try await Self.fired(sock)
        #expect(fired.compactMap { $0["id"]?.stringValue }.sorted() == ["alert:alerts-t:urgent-large:acme:ticket:T1", "alert:alerts-t:urgent-large:acme:ticket:T2"])
        #expect(try await server.stop() == 0)

        // What the rules would have fired over all history.
        let replay = try await CLI.run(["alerts", "replay", "--data", dir.path, "--alerts", file, "--json"])
        #expect(replay.status == 0, "\(replay.stderr)")
        let report = try JSONParser.parse(replay.stdout)
        #expect(report["alerts"] == .string("alerts-t") && report["accounts"] == .number("2"))
        guard case .array(let figures)? = report["figures"] else { Issue.record("no figures: \(replay.stdout)"); return }
        #expect(figures.first?["rule"] == .string("urgent-large") && figures.first?["firings"] == .number("2")
                && figures.first?["accounts"] == .number("1"), "\(replay.stdout)")

        // A file with problems: serve does not start, and says where each one is.
        try "version: x\nrules:\n  - id: a\n    trigger: {flag: nope}\n".write(toFile: file, atomically: true, encoding: .utf8)
        let refused = try await CLI.run(["serve", "--data", dir.path, "--alerts", file])
        #expect(refused.status == 2 && refused.stderr.contains("alerts.yaml:4:21: rules[0].trigger.flag: unknown flag nope"), "\(refused.stderr)")
        let checked = try await CLI.run(["alerts", "check", file])
        #expect(checked.status == 1 && checked.stderr.contains("1 problem"))
    }
}
