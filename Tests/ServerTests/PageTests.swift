import Foundation
import Testing
import TestSupport
import ThroughlineClient
import ThroughlineCore

/// The value of the first `<input … name="NAME" value="…">` of a page.
func formValue(_ page: String, _ name: String) -> String? {
    guard let r = page.range(of: "name=\"\(name)\" value=\"") else { return nil }
    return String(page[r.upperBound...].prefix { $0 != "\"" })
}

/// A form body, each value percent-encoded.
func formBody(_ fields: [(String, String)]) -> [UInt8] {
    Array(fields.map { percentEncoded($0.0) + "=" + percentEncoded($0.1) }.joined(separator: "&").utf8)
}

@Suite("Web pages", .serialized)
struct PageTests {
    static let hostile = "<script>alert('x')</script>"

    func post(_ s: RunningServer, _ path: String, _ fields: [(String, String)], origin: String? = nil) async throws -> HTTPReply {
        var headers = [("Content-Type", "application/x-www-form-urlencoded")]
        if let origin { headers.append(("Origin", origin)) }
        return try await HTTPConnection.request(s.address, "POST", path, headers: headers, body: formBody(fields))
    }

    @Test("Pages answer with status codes, escape what comes from events, and forbid script and framing")
    func statusAndEscaping() async throws {
        let s = try await RunningServer()
        let account = "acme<b>&co"
        var lines = scoredAccountLines(account)
        lines.append(#"{"id":"n1","account":"\#(account)","type":"note.added","time":"2026-03-30T09:00:00Z","data":{"author":"\#(Self.hostile)","text":"\#(Self.hostile) said \"hi\""}}"#)
        let last = try #require(int(try json(try await s.post(lines.joined(separator: "\n")))["last_seq"]))
        #expect(try await s.get("/v1/accounts/\(percentEncoded(account))/scores?min_seq=\(last)").status == 200)

        let portfolio = try await s.get("/")
        #expect(portfolio.status == 200 && portfolio.header("Content-Type") == "text/html; charset=utf-8")
        #expect(portfolio.header("Content-Security-Policy")?.contains("default-src 'none'") == true)
        #expect(portfolio.header("Content-Security-Policy")?.contains("frame-ancestors 'none'") == true)
        #expect(portfolio.text.contains("<a href=\"/accounts/acme%3Cb%3E%26co\">acme&lt;b&gt;&amp;co</a>"))
        #expect(!portfolio.text.contains("acme<b>"))
        // Filters and sorts: a band the account is not in empties the table; an unknown band is a 400 naming it.
        let band = try #require(try json(try await s.get("/v1/accounts"))["accounts"]?.arrayValue?.first?["band"]?.stringValue)
        let other = band == "red" ? "green" : "red"
        #expect(try await s.get("/?band=\(other)&sort=score&order=desc").text.contains("No account matches these filters."))
        #expect(try await s.get("/?band=\(band)&sort=band&csm=").text.contains("acme&lt;b&gt;&amp;co"))
        let bad = try await s.get("/?band=purple")
        #expect(bad.status == 400 && bad.text.contains("band: purple is not one of green, yellow and red"))

        let page = try await s.get("/accounts/\(percentEncoded(account))")
        #expect(page.status == 200)
        #expect(!page.text.contains("<script>"))
        #expect(page.text.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; said &quot;hi&quot;"))
        #expect(page.text.contains("id=\"score-chart\"") && page.text.contains("class=\"override\""))
        #expect(page.text.contains("<li class=\"item\" data-kind=\"note\">"))
        // The type filter narrows the timeline.
        let notesOnly = try await s.get("/accounts/\(percentEncoded(account))?types=note&types=override")
        #expect(notesOnly.text.contains("data-kind=\"note\"") && notesOnly.text.contains("data-kind=\"override\"") && !notesOnly.text.contains("data-kind=\"usage\""))
        #expect(try await s.get("/accounts/\(percentEncoded(account))?types=nonsense").status == 400)
        #expect(try await s.get("/accounts/nobody").status == 404)
        #expect(try await s.get("/replays").status == 200)
        #expect(try await s.get("/replays/nothing-here").status == 404)
        #expect(try await s.get("/replays/..").status == 400)
        try await s.stop()
    }

    @Test("A note added through the form appears in the timeline; a resubmitted form adds nothing; forged and bad forms are refused")
    func noteForm() async throws {
        let s = try await RunningServer()
        let last = try #require(int(try json(try await s.post(scoredAccountLines().joined(separator: "\n")))["last_seq"]))
        #expect(try await s.get("/v1/accounts/acme/scores?min_seq=\(last)").status == 200)
        let page = try await s.get("/accounts/acme").text
        let token = try #require(formValue(page, "csrf"))
        let eventID = try #require(formValue(page, "event_id"))
        #expect(eventID.hasPrefix("web-note-"))
        let note = [("csrf", token), ("kind", "note"), ("event_id", eventID), ("author", "maria"), ("text", "Renewal call booked & \(Self.hostile)")]

        let added = try await post(s, "/accounts/acme/events", note, origin: "http://localhost")
        #expect(added.status == 303 && added.header("Location") == "/accounts/acme?added=note#timeline", "\(added.text)")
        let after = try await s.get("/accounts/acme?added=note")
        #expect(after.text.contains("Note by maria: Renewal call booked &amp; &lt;script&gt;"))
        #expect(after.text.contains("Added the note"))
        // The same form sent again is the same event (a duplicate), not a second note.
        #expect(try await post(s, "/accounts/acme/events", note).status == 303)
        #expect(try storedIDCounts(s.data)[eventID] == 1)
        let stored = try #require(try storedIDCounts(s.data).keys.filter { $0.hasPrefix("web-") }.count)
        #expect(stored == 1)

        // An override through the form: the event a producer would send.
        let override = [("csrf", token), ("kind", "override"), ("event_id", "web-override-1"), ("author", "maria"), ("band", "yellow"),
                        ("reason", "champion on leave"), ("expires", "2026-12-31")]
        #expect(try await post(s, "/accounts/acme/events", override).status == 303)
        let events = try await s.get("/v1/events?account=acme&after=\(last)").text
        #expect(events.contains(#""type":"health.override""#) && events.contains(#""band":"yellow","reason":"champion on leave","expires":"2026-12-31""#))
        #expect(events.contains(#""source":"web","actor":"csm:maria""#))

        // Refused: another site's form, a missing or stale token, a field the event model refuses.
        let forged = try await post(s, "/accounts/acme/events", note.map { $0.0 == "event_id" ? ($0.0, "web-x") : $0 }, origin: "https://evil.example")
        #expect(forged.status == 403 && forged.text.contains("a form posted from https://evil.example is not accepted"))
        let noToken = try await post(s, "/accounts/acme/events", note.filter { $0.0 != "csrf" }.map { $0.0 == "event_id" ? ($0.0, "web-y") : $0 })
        #expect(noToken.status == 403 && noToken.text.contains("token is missing or out of date"))
        let badBand = try await post(s, "/accounts/acme/events", [("csrf", token), ("kind", "override"), ("event_id", "web-z"), ("author", "maria"),
                                                                  ("band", "purple"), ("reason", "r")])
        #expect(badBand.status == 400 && badBand.text.contains("Not added: data.band: must be one of green, yellow, red"))
        // What was typed is shown again, escaped.
        let badReason = try await post(s, "/accounts/acme/events", [("csrf", token), ("kind", "override"), ("event_id", "web-v"), ("author", "maria"),
                                                                    ("band", "red"), ("reason", "\"<x>\""), ("expires", "someday")])
        #expect(badReason.status == 400 && badReason.text.contains("Not added: data.expires"))
        #expect(badReason.text.contains("name=\"reason\" required size=\"40\" value=\"&quot;&lt;x&gt;&quot;\"") && badReason.text.contains("<option selected>red</option>"))
        let empty = try await post(s, "/accounts/acme/events", [("csrf", token), ("kind", "note"), ("event_id", "web-w"), ("author", "maria"), ("text", "")])
        #expect(empty.status == 400 && empty.text.contains("Not added: data.text"))
        let ids = try storedIDCounts(s.data)
        #expect(ids["web-x"] == nil && ids["web-y"] == nil && ids["web-z"] == nil && ids["web-w"] == nil && ids["web-v"] == nil)
        try await s.stop()
    }

    @Test("The what-if report a replay wrote under the data directory is served at /replays/{name}")
    func whatIf() async throws {
        let s = try await RunningServer()
        let lines = try await CLI.run(["generate", "--accounts", "6", "--days", "150", "--seed", "4"]).stdout
        _ = try await s.post(lines)
        let replay = try await CLI.run(["replay", "--data", s.data, "--rules", CLI.repo + "/rules/health-v2.yaml", "--baseline", "active"])
        #expect(replay.status == 0, "\(replay.stderr)")
        #expect(replay.stderr.contains("wrote \(s.data)/replays/health-v2/report.html"))
        let index = try await s.get("/replays")
        #expect(index.text.contains("<a href=\"/replays/health-v2\">health-v2</a>") && index.text.contains("health-v2 against health-v3"))
        let report = try await s.get("/replays/health-v2")
        #expect(report.status == 200 && report.text.contains("<h1>Replay: health-v2 against health-v3</h1>"))
        #expect(report.text.contains("<svg") && report.text.contains("Precision and recall"))
        // The page is the file the replay wrote, inside the server's pages.
        let file = try String(contentsOfFile: s.data + "/replays/health-v2/report.html", encoding: .utf8)
        #expect(file.contains("<h1>Replay: health-v2 against health-v3</h1>") && !file.contains("href=\"/replays\""))
        try await s.stop()
    }
}
