import Foundation
import Scoring
import Testing
import TestSupport
import ThroughlineClient
import ThroughlineCore

/// A hand-built account: a profile, daily usage from January to March (falling in the last
/// week), a call, a milestone, and a CSM's red override that expires on 2026-04-15.
func scoredAccountLines(_ account: String = "acme") -> [String] {
    var lines = [
        #"{"id":"p1","account":"\#(account)","type":"account.updated","time":"2026-01-05T00:00:00Z","actor":"automation:crm","data":{"name":"Acme","plan":"growth","seats":10,"renewal_date":"2026-06-30","champion":"dana"}}"#,
        #"{"id":"c1","account":"\#(account)","type":"call.completed","time":"2026-03-01T15:00:00Z","actor":"csm:maria","data":{"duration_s":1800,"team":"success","sentiment":0.5}}"#,
        #"{"id":"m1","account":"\#(account)","type":"milestone.updated","time":"2026-01-20T00:00:00Z","actor":"csm:maria","data":{"milestone":"kickoff","status":"planned","due_date":"2026-02-01"}}"#,
        #"{"id":"o1","account":"\#(account)","type":"health.override","time":"2026-03-20T10:00:00Z","actor":"csm:maria","data":{"author":"maria","band":"red","reason":"exec sponsor left","expires":"2026-04-15"}}"#,
    ]
    for d in 0..<86 {
        let date = CalendarDate(daysSinceEpoch: CalendarDate(iso: "2026-01-05")!.daysSinceEpoch + d).description
        let users = d >= 79 ? 2 : 8
        lines.append(#"{"id":"u\#(d)","account":"\#(account)","type":"usage.recorded","time":"\#(date)T23:00:00Z","data":{"period_start":"\#(date)","active_users":\#(users),"features":{"export":3,"search":1}}}"#)
    }
    return lines
}

/// Points of a scores answer as (date, score).
func points(_ v: JSONValue) -> [(String, String)] {
    guard case .array(let list)? = v["points"] else { return [] }
    return list.map { ($0["date"]?.stringValue ?? "", $0["score"].map { JSONWriter.string($0) } ?? "") }
}

@Suite("Scores API", .serialized)
struct ScoreAPITests {
    @Test("Scores: one point per day, the current score, explanations with seqs; a backdated event re-scores from its day on")
    func scores() async throws {
        let s = try await RunningServer()
        let lines = scoredAccountLines()
        var last = try #require(int(try json(try await s.post(lines.joined(separator: "\n")))["last_seq"]))
        let v = try json(try await s.get("/v1/accounts/acme/scores?min_seq=\(last)"))
        #expect(v["rules"] == .string("health-v3") && v["rules_state"] == .string("active"))
        #expect(v["first_date"] == .string("2026-01-05") && v["last_date"] == .string("2026-03-31"))
        let before = points(v)
        #expect(before.count == 86)
        #expect(v["current"]?["date"] == .string("2026-03-31"))
        // The usage drop of the last week shows in the latest explanation, with its events.
        let explained = try json(try await s.get("/v1/accounts/acme/scores/explain"))
        #expect(explained["score"] == v["current"]?["score"])
        guard case .array(let contributions)? = explained["contributions"] else { throw TestFailure("no contributions") }
        let usage = try #require(contributions.first { $0["signal"] == .string("usage_trend") })
        #expect(usage["reason"]?.stringValue?.hasPrefix("active users 2 a day over 7 days against 8 over the 28 before") == true)
        guard case .array(let seqs)? = usage["seqs"] else { throw TestFailure("no seqs") }
        #expect(seqs.count == 35)
        #expect(explained["override"]?["band"] == .string("red"))
        #expect(explained["override"]?["disagrees"] == .bool(explained["band"] != .string("red")))
        // A past day's explanation is computed from the history and agrees with its point.
        let feb = try json(try await s.get("/v1/accounts/acme/scores/explain?at=2026-02-10"))
        #expect(JSONWriter.string(feb["score"] ?? .null) == before.first { $0.0 == "2026-02-10" }?.1)
        #expect(feb["override"] == nil)

        // An urgent ticket opened on 2026-02-10, reported late: every point from that day on is lower, none before changes.
        let late = #"{"id":"t1","account":"acme","type":"ticket.opened","time":"2026-02-10T09:00:00Z","actor":"customer:dana","data":{"ticket_id":"9","priority":"urgent","subject":"Export fails"}}"#
        last = try #require(int(try json(try await s.post(late))["last_seq"]))
        let rescored = try json(try await s.get("/v1/accounts/acme/scores?min_seq=\(last)"))
        let after = points(rescored)
        #expect(after.count == before.count)
        for (a, b) in zip(before, after) {
            if a.0 < "2026-02-10" { #expect(a.1 == b.1, "\(a.0)") } else { #expect(Double(b.1)! < Double(a.1)!, "\(a.0)") }
        }
        let window = try json(try await s.get("/v1/accounts/acme/scores?from=2026-03-01&to=2026-03-07"))
        #expect(points(window).map(\.0) == (1...7).map { "2026-03-0\($0)" })

        let unknownRules = try await s.get("/v1/accounts/acme/scores?rules=health-v0")
        #expect(unknownRules.status == 404)
        #expect(unknownRules.errorMessage == "rules: no version health-v0 is stored; the read models hold health-v3 (active)")
        #expect(try await s.get("/v1/accounts/nobody/scores").status == 404)
        #expect(try await s.get("/v1/accounts/nobody/scores/explain").status == 404)
        #expect(try await s.get("/v1/accounts/acme/scores/explain?at=later").status == 400)

        // The context view carries the same score, with its top reasons and the override beside it.
        let context = try json(try await s.get("/v1/accounts/acme/context?at=2026-04-01"))
        #expect(context["health"]?["score"] == rescored["current"]?["score"])
        #expect(context["health"]?["override_band"] == .string("red"))

        let sock = ["--socket", s.server.options.socketPath]
        let table = try await CLI.run(["scores"] + sock + ["acme"])
        #expect(table.status == 0)
        #expect(table.stdout.hasPrefix("acme under health-v3 (active): \(JSONWriter.string(rescored["current"]!["score"]!))"))
        #expect(table.stdout.contains("2026-03-02  ") && !table.stdout.contains("2026-03-01  "))  // the last 30 days
        let page = try await CLI.run(["explain"] + sock + ["acme", "--at", "2026-03-31"])
        #expect(page.status == 0)
        #expect(page.stdout.contains("override: red by maria since 2026-03-20 until 2026-04-15: exec sponsor left"))
        #expect(page.stdout.contains("usage_trend "))
        let unknown = try await CLI.run(["explain"] + sock + ["nobody"])
        #expect(unknown.status == 1)
        try await s.stop()
    }

    @Test("A new rules version is scored in the background and made active; the earlier one stays readable; an override survives the switch and a rebuild, and expires on its date")
    func rulesSwitch() async throws {
        let dir = TempDir(), logs = TempDir()
        let sock = dir.path + "/throughline.sock"
        let file = logs.path + "/events.ndjson"
        try (scoredAccountLines("acme") + scoredAccountLines("bolt").map { $0.replacingOccurrences(of: #""id":""#, with: #""id":"b-"#) })
            .joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let v2 = logs.path + "/health-v2.yaml"
        try String(contentsOfFile: CLI.repo + "/rules/health-v1.yaml", encoding: .utf8).replacingOccurrences(of: "version: health-v1", with: "version: health-v2")
            .replacingOccurrences(of: "weight: 20", with: "weight: 40").write(toFile: v2, atomically: true, encoding: .utf8)

        var server = try await ServeProcess.start(["--data", dir.path], log: logs.path + "/1.log", socket: sock)
        #expect(try await CLI.run(["append", "--socket", sock, file]).status == 0)
        try await waitUntilProjected(.unix(sock))
        let v1Before = try await HTTPConnection.request(.unix(sock), "GET", "/v1/accounts/acme/scores").text
        #expect(try await server.stop() == 0)

        server = try await ServeProcess.start(["--data", dir.path, "--rules", v2], log: logs.path + "/2.log", socket: sock)
        try await waitUntilProjected(.unix(sock))
        let health = try json(try await HTTPConnection.request(.unix(sock), "GET", "/v1/health"))
        #expect(health["scores"]?["rules"] == .string("health-v2"))
        let active = try json(try await HTTPConnection.request(.unix(sock), "GET", "/v1/accounts/acme/scores"))
        #expect(active["rules"] == .string("health-v2") && active["rules_state"] == .string("active"))
        let v1After = try await HTTPConnection.request(.unix(sock), "GET", "/v1/accounts/acme/scores?rules=health-v3").text
        #expect(v1After == v1Before.replacingOccurrences(of: #""rules_state":"active""#, with: #""rules_state":"retired""#))
        #expect(points(active).map(\.1) != points(try JSONParser.parse(v1Before)).map(\.1))
        let explained = try await HTTPConnection.request(.unix(sock), "GET", "/v1/accounts/acme/scores/explain").text
        #expect(try JSONParser.parse(explained)["override"]?["reason"] == .string("exec sponsor left"))
        let expired = try json(try await HTTPConnection.request(.unix(sock), "GET", "/v1/accounts/acme/scores/explain?at=2026-04-16"))
        #expect(expired["override"] == nil)
        #expect(try json(try await HTTPConnection.request(.unix(sock), "GET", "/v1/accounts/acme/scores/explain?at=2026-04-15"))["override"] != nil)
        #expect(try await server.stop() == 0)

        // The same version with other contents is refused; so is a file with problems, naming the place.
        let changed = logs.path + "/changed.yaml"
        try String(contentsOfFile: v2, encoding: .utf8).replacingOccurrences(of: "weight: 40", with: "weight: 30")
            .write(toFile: changed, atomically: true, encoding: .utf8)
        let refused = try await CLI.run(program: "timeout", ["20", CLI.binary, "serve", "--data", dir.path, "--rules", changed])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("rules version health-v2 is already stored with other contents; give the changed rules a new version"))
        let bad = logs.path + "/bad.yaml"
        try "version: x\nbands: []\nsignals:\n  - signal: usage_trend\n    weight: -1\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let badServe = try await CLI.run(program: "timeout", ["20", CLI.binary, "serve", "--data", dir.path, "--rules", bad])
        #expect(badServe.status == 2)
        #expect(badServe.stderr.contains("\(bad):5:13: signals[0].weight: "))

        // A rebuild scores every stored version again: the same answers.
        #expect(try await CLI.run(["rebuild", "--data", dir.path]).status == 0)
        server = try await ServeProcess.start(["--data", dir.path], log: logs.path + "/3.log", socket: sock)
        try await waitUntilProjected(.unix(sock))
        #expect(try await HTTPConnection.request(.unix(sock), "GET", "/v1/accounts/acme/scores?rules=health-v3").text == v1After)
        let rebuilt = try await HTTPConnection.request(.unix(sock), "GET", "/v1/accounts/acme/scores").text
        #expect(try JSONParser.parse(rebuilt) == active)
        #expect(try await HTTPConnection.request(.unix(sock), "GET", "/v1/accounts/acme/scores/explain").text == explained)
        #expect(try await server.stop() == 0)
    }
}
