import Foundation
import Testing
import TestSupport
import ThroughlineClient
import ThroughlineCore

/// The message audit as a user meets it: messages appended by automation, what is wrong with
/// them in the API and on the Messages page, as an attention flag, and as an alert.
@Suite("The message audit, served", .serialized)
struct MessageAuditServerTests {
    @Test("Messages sent twice or with a wrong field are found, by sender and template, on the page, as the account's message_problem flag and as an alert; a right one is not; a bad filter is a 400 naming it")
    func audit() async throws {
        let dir = TempDir(), logs = TempDir()
        let sock = dir.path + "/throughline.sock", file = logs.path + "/alerts.yaml"
        try "version: alerts-m\nrules:\n  - {id: bad-message, trigger: {flag: message_problem}}\n".write(toFile: file, atomically: true, encoding: .utf8)
        var server = try await ServeProcess.start(["--data", dir.path, "--alerts", file], log: logs.path + "/1.log", socket: sock)
        // The messages share a day: the alert is fired for the day the flag was raised on.
        let iso = { (hours: Double) in AlertTests.iso(hoursAgo: hours, sameDaySpan: 3) }
        let bot = "automation:renewal-bot"
        let lines = [
            #"{"id":"p","account":"acme","type":"account.updated","time":"\#(iso(30))","data":{"name":"Acme","plan":"Growth","csm":"maria"}}"#,
            #"{"id":"c","account":"acme","type":"contact.updated","time":"\#(iso(30))","data":{"email":"dana@acme.example","name":"Dana Reyes"}}"#,
            #"{"id":"u","account":"acme","type":"usage.recorded","time":"\#(iso(3))","data":{"period_start":"\#(iso(3).prefix(10))","active_users":5}}"#,
            #"{"id":"m1","account":"acme","type":"message.sent","time":"\#(iso(2))","actor":"\#(bot)","data":{"message_id":"1","channel":"email","template":"renewal-reminder","recipient":"dana@acme.example","fields":{"first_name":"Dana","plan":"Starter"}}}"#,
            #"{"id":"m2","account":"acme","type":"message.sent","time":"\#(iso(1))","actor":"\#(bot)","data":{"message_id":"2","channel":"email","template":"renewal-reminder","recipient":"Dana Reyes"}}"#,
            #"{"id":"m3","account":"acme","type":"message.sent","time":"\#(iso(1))","actor":"automation:nps-bot","data":{"message_id":"3","channel":"email","template":"nps","recipient":"dana@acme.example","fields":{"plan":"growth"}}}"#,
        ]
        let posted = try results(try await HTTPConnection.request(.unix(sock), "POST", "/v1/events", headers: [("Content-Type", "application/x-ndjson")],
                                                                  body: Array(lines.joined(separator: "\n").utf8)))
        #expect(posted.allSatisfy { $0.status == "accepted" }, "\(posted)")
        let last = try #require(posted.last?.seq)
        // min_seq: the answer waits for the read models to hold the last message.
        let found = try json(try await HTTPConnection.request(.unix(sock), "GET", "/v1/messages/findings?min_seq=\(last)"))
        let context = try json(try await HTTPConnection.request(.unix(sock), "GET", "/v1/accounts/acme/context"))
        let findings = found["findings"]?.array ?? []
        #expect(findings.map { "\($0["message_id"]?.scalarText ?? "") \($0["kind"]?.scalarText ?? "")" } == ["2 duplicate", "1 field_mismatch"], "\(found)")
        #expect(findings.last?["detail"] == .string(#"plan was sent as "Starter"; the profile said "Growth" then"#))
        #expect(findings.last?["seqs"] == .array([.number(String(posted[3].seq!)), .number(String(posted[0].seq!))]))
        let senders = (found["senders"]?.array ?? []).map { JSONWriter.string($0) }
        #expect(senders == [#"{"actor":"automation:renewal-bot","template":"renewal-reminder","messages":2,"findings":{"duplicate":1,"field_mismatch":1}}"#,
                            #"{"actor":"automation:nps-bot","template":"nps","messages":1,"findings":{}}"#], "\(senders)")
        let nps = try json(try await HTTPConnection.request(.unix(sock), "GET", "/v1/messages/findings?actor=automation:nps-bot"))
        #expect(nps["findings"] == .array([]) && nps["senders"]?.array?.count == 1)
        let bad = try await HTTPConnection.request(.unix(sock), "GET", "/v1/messages/findings?kind=typo")
        #expect(bad.status == 400 && bad.text.contains("kind: must be one of duplicate, field_mismatch"), "\(bad.text)")
        let page = try await HTTPConnection.request(.unix(sock), "GET", "/messages").text
        #expect(page.contains("renewal-reminder") && page.contains("field mismatch") && page.contains("automation:nps-bot"), "\(page)")
        // The account's attention flag, and the alert on it.
        let flag = context["flags"]?.array?.first { $0["flag"] == .string("message_problem") }
        #expect(flag?["message"]?.stringValue?.hasPrefix("2 problems with messages sent in 90 days") == true, "\(String(describing: flag))")
        #expect(try await eventually(tries: 300) { try await !AlertTests.fired(sock).isEmpty })
        let alert = try await AlertTests.fired(sock).first
        #expect(alert?["data"]?["rule"] == .string("bad-message") && alert?["data"]?["reason"]?.stringValue?.hasPrefix("message problem: 2 problems") == true,
                "\(String(describing: alert))")
        let timeline = try await HTTPConnection.request(.unix(sock), "GET", "/v1/accounts/acme/timeline?types=message").text
        #expect(timeline.contains("Message renewal-reminder sent (email) to Dana Reyes by automation:renewal-bot"), "\(timeline)")
        #expect(try await server.stop() == 0)
    }
}
