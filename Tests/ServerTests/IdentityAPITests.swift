import Foundation
import Testing
import TestSupport
import ThroughlineCore

@Suite("Identity through the API")
struct IdentityAPITests {
    static func event(_ id: String, _ who: String, _ type: String, _ time: String, _ data: String) -> String {
        #"{"id":"\#(id)",\#(who),"type":"\#(type)","time":"\#(time)","data":\#(data)}"#
    }

    static let helpdesk = #""account_ref":{"system":"helpdesk","id":"org-4711"}"#

    @Test("A help desk's tickets sent by its own org id wait in the unlinked list, join the account with their history when the link comes, and a merged duplicate answers where it went")
    func lateLink() async throws {
        let s = try await RunningServer { $0.rules = try? RunningServer.healthV1() }
        let first = [
            Self.event("p", #""account":"acme""#, "account.updated", "2026-01-05T00:00:00Z", #"{"name":"Acme","plan":"growth","csm":"maria"}"#),
            Self.event("t1", Self.helpdesk, "ticket.opened", "2026-03-01T09:00:00Z", #"{"ticket_id":"48213","priority":"urgent","subject":"Export fails"}"#),
            Self.event("t2", Self.helpdesk, "ticket.opened", "2026-03-02T09:00:00Z", #"{"ticket_id":"48214","priority":"high","subject":"Login slow"}"#),
            Self.event("n", #""account":"acme-2""#, "note.added", "2026-03-03T09:00:00Z", #"{"author":"maria","text":"duplicate from the import"}"#),
        ]
        let last1 = try #require(int(try json(try await s.post(first.joined(separator: "\n")))["last_seq"]))
        let unlinked = try json(try await s.get("/v1/unlinked?min_seq=\(last1)"))
        #expect(JSONWriter.string(unlinked) == #"{"references":[{"system":"helpdesk","id":"org-4711","events":2,"oldest":"2026-03-01T09:00:00Z","newest":"2026-03-02T09:00:00Z"}]}"#)
        let cli = try await CLI.run(["unlinked", "--socket", s.server.options.socketPath])
        #expect(cli.status == 0 && cli.stdout.contains("helpdesk  org-4711   2       2026-03-01T09:00:00Z"), "\(cli.stdout)")
        let page = try await s.get("/unlinked")
        #expect(page.status == 200 && page.text.contains("<td>helpdesk</td><td>org-4711</td><td class=\"num\">2</td>"), "\(page.text)")
        let before = try json(try await s.get("/v1/accounts/acme/context?at=2026-03-10&min_seq=\(last1)"))
        #expect(int(before["support"]?["open_tickets"]) == 0)
        let beforeScore = try json(try await s.get("/v1/accounts/acme/scores/explain?at=2026-03-10"))

        // The link comes later, dated after the tickets: they join from their own times all the same.
        let links = [
            Self.event("l", #""account":"acme""#, "identity.linked", "2026-03-20T00:00:00Z", #"{"ref":{"system":"helpdesk","id":"org-4711"}}"#),
            Self.event("m", #""account":"acme-2""#, "account.merged", "2026-03-21T00:00:00Z", #"{"into":"acme"}"#),
        ]
        let last2 = try #require(int(try json(try await s.post(links.joined(separator: "\n")))["last_seq"]))
        let after = try json(try await s.get("/v1/accounts/acme/context?at=2026-03-10&min_seq=\(last2)"))
        #expect(int(after["support"]?["open_tickets"]) == 2)
        #expect(JSONWriter.string(try json(try await s.get("/v1/unlinked"))) == #"{"references":[]}"#)
        let timeline = try json(try await s.get("/v1/accounts/acme/timeline"))
        let titles = timeline["items"]?.arrayValue?.compactMap { $0["title"]?.stringValue } ?? []
        #expect(titles.contains("Ticket 48213 [urgent] Export fails: open") && titles.contains("Note by maria: duplicate from the import"), "\(titles)")
        #expect(titles.contains("Linked helpdesk:org-4711") && titles.contains("acme-2 merged into acme"))
        // Scores were computed again from the tickets' days: the explanation on the 10th now counts them.
        let afterScore = try json(try await s.get("/v1/accounts/acme/scores/explain?at=2026-03-10"))
        #expect(afterScore["score"] != beforeScore["score"])

        let moved = try await s.get("/v1/accounts/acme-2/context?at=2026-03-10")
        #expect(moved.status == 308)
        #expect(moved.headers.first { $0.name.lowercased() == "location" }?.value == "/v1/accounts/acme/context?at=2026-03-10")
        #expect(try json(moved)["merged_into"] == .string("acme"))
        let movedPage = try await s.get("/accounts/acme-2")
        #expect(movedPage.status == 308 && movedPage.headers.contains { $0.name.lowercased() == "location" && $0.value == "/accounts/acme" })
        #expect(try await s.get("/unlinked").text.contains("None: every reference is linked to an account."))
        #expect(try await s.get("/v1/accounts/nobody/context").status == 404)
        try await s.stop()
    }
}

@Suite("Data quality through the API")
struct DataQualityAPITests {
    @Test("The report names unlinked references by system, a link replaced and a merge refused, probable duplicates, tickets that do not add up and events far from now, each with its events")
    func report() async throws {
        let s = try await RunningServer()
        func e(_ id: String, _ who: String, _ type: String, _ time: String, _ data: String) -> String { IdentityAPITests.event(id, who, type, time, data) }
        let lines = [
            e("p1", #""account":"acme""#, "account.updated", "2026-01-05T00:00:00Z", #"{"name":"Acme Inc."}"#),
            e("p2", #""account":"acme-2""#, "account.updated", "2026-01-06T00:00:00Z", #"{"name":"ACME"}"#),
            e("p3", #""account":"beta""#, "account.updated", "2026-01-06T00:00:00Z", #"{"name":"Beta Systems","domain":"beta.io"}"#),
            e("p4", #""account":"delta""#, "account.updated", "2026-01-06T00:00:00Z", #"{"name":"Delta Corp","domain":"beta.io"}"#),
            e("r1", #""account_ref":{"system":"helpdesk","id":"org-1"}"#, "note.added", "2026-02-01T00:00:00Z", #"{"author":"a","text":"b"}"#),
            e("r2", #""account_ref":{"system":"telemetry","id":"ws-1"}"#, "note.added", "2026-02-02T00:00:00Z", #"{"author":"a","text":"b"}"#),
            e("r3", #""account_ref":{"system":"telemetry","id":"ws-2"}"#, "note.added", "2026-02-03T00:00:00Z", #"{"author":"a","text":"b"}"#),
            e("l1", #""account":"beta""#, "identity.linked", "2026-03-02T00:00:00Z", #"{"ref":{"system":"crm","id":"x"}}"#),
            e("l2", #""account":"acme""#, "identity.linked", "2026-03-01T00:00:00Z", #"{"ref":{"system":"crm","id":"x"}}"#),
            e("g", #""account":"gamma""#, "note.added", "2026-01-07T00:00:00Z", #"{"author":"a","text":"b"}"#),
            e("m1", #""account":"gamma""#, "account.merged", "2026-03-03T00:00:00Z", #"{"into":"beta"}"#),
            e("m2", #""account":"beta""#, "account.merged", "2026-03-04T00:00:00Z", #"{"into":"gamma"}"#),
            e("t1", #""account":"acme""#, "ticket.closed", "2026-02-05T00:00:00Z", #"{"ticket_id":"T1"}"#),
            e("t2", #""account":"acme""#, "ticket.opened", "2026-02-05T00:00:00Z", #"{"ticket_id":"T2","priority":"low"}"#),
            e("t3", #""account":"acme""#, "ticket.closed", "2026-02-06T00:00:00Z", #"{"ticket_id":"T2"}"#),
            e("t4", #""account":"acme""#, "ticket.closed", "2026-02-07T00:00:00Z", #"{"ticket_id":"T2"}"#),
            e("f1", #""account":"acme""#, "note.added", "2099-01-01T00:00:00Z", #"{"author":"a","text":"from the future"}"#),
            e("f2", #""account":"acme""#, "note.added", "1995-01-01T00:00:00Z", #"{"author":"a","text":"from the past"}"#),
        ]
        let posted = try json(try await s.post(lines.joined(separator: "\n")))
        let last = try #require(int(posted["last_seq"]))
        let seq: (String) -> UInt64 = { id in UInt64(lines.firstIndex { $0.contains(#""id":"\#(id)""#) }! + 1) }
        let r = try json(try await s.get("/v1/data-quality?min_seq=\(last)"))
        #expect(JSONWriter.string(r["unlinked"]!) == #"[{"system":"helpdesk","references":1,"events":1,"oldest":"2026-02-01T00:00:00Z"},{"system":"telemetry","references":2,"events":2,"oldest":"2026-02-02T00:00:00Z"}]"#)
        let identity = r["identity"]?.arrayValue ?? []
        #expect(identity.map { $0["kind"]?.stringValue } == ["relinked", "merge_cycle"])
        #expect(identity.first?["text"]?.stringValue == "reference crm:x was linked to acme, then to beta: the later link holds")
        #expect(identity.first?["seqs"] == .array([.number(String(seq("l2"))), .number(String(seq("l1")))]))
        #expect(identity.last?["seqs"] == .array([.number(String(seq("m2")))]))
        let duplicates = r["probable_duplicates"]?.arrayValue ?? []
        #expect(duplicates.map { $0["kind"]?.stringValue } == ["same_domain", "same_name"], "\(duplicates)")
        #expect(duplicates.map { $0["accounts"] } == [.array([.string("beta"), .string("delta")]), .array([.string("acme"), .string("acme-2")])])
        #expect(duplicates.first?["seqs"] == .array([.number(String(seq("p3"))), .number(String(seq("p4")))]))
        let refused = try await s.post(e("bad", #""account":"x""#, "account.updated", "2026-01-06T00:00:00Z", #"{"domain":"Beta.IO"}"#)).text
        #expect(refused.contains("data.domain: must be an internet domain in lowercase letters, digits and hyphens, with a dot (example.com)"), "\(refused)")
        let tickets = r["tickets"]?.arrayValue?.compactMap { $0["text"]?.stringValue }
        #expect(tickets == ["ticket T1 of acme was closed but never opened", "ticket T2 of acme was closed 2 times"])
        let times = r["out_of_time"]?.arrayValue ?? []
        #expect(times.map { $0["kind"]?.stringValue } == ["past", "future"])
        #expect(times.map { $0["seqs"] } == [.array([.number(String(seq("f2")))]), .array([.number(String(seq("f1")))])])
        let cli = try await CLI.run(["quality", "--socket", s.server.options.socketPath])
        #expect(cli.status == 0 && cli.stdout.contains("  ticket T2 of acme was closed 2 times (seqs \(seq("t2")), \(seq("t3")), \(seq("t4")))"), "\(cli.stdout)")
        let page = try await s.get("/data-quality")
        #expect(page.status == 200 && page.text.contains("<table id=\"duplicates\">") && page.text.contains("telemetry"))
        try await s.stop()
    }

    @Test("A producer whose lines start being rejected is named, with its latest rejections; steady producers and a stray bad line are not")
    func producers() async throws {
        let s = try await RunningServer()
        func note(_ id: String, _ source: String, _ text: String = "fine") -> String {
            #"{"id":"\#(id)","account":"acme","type":"note.added","time":"2026-02-01T00:00:00Z","source":"\#(source)","data":{"author":"a","text":"\#(text)"}}"#
        }
        var lines = (0..<20).map { note("h\($0)", "helpdesk") } + (0..<6).map { note("c\($0)", "crm") }
        lines += (0..<4).map { #"{"id":"bad\#($0)","account":"acme","type":"note.added","time":"2026-02-01T00:00:00Z","source":"crm","data":{"author":"a"}}"# }
        lines.append("{not json")
        let posted = try json(try await s.post(lines.joined(separator: "\n")))
        #expect(int(posted["rejected"]) == 5)
        let r = try json(try await s.get("/v1/data-quality"))
        let producers = r["producers"]?.arrayValue ?? []
        #expect(producers.map { $0["source"] } == [.string("crm")], "\(producers)")
        #expect(producers.first?["text"] == .string("crm had 40.0% of its lines rejected in the last 7 days (4 of 10), and sent nothing in the 28 days before"))
        let examples = producers.first?["examples"]?.arrayValue ?? []
        #expect(examples.count == 4 && examples.first?["id"] == .string("bad3"))
        #expect(examples.first?["reason"] == .string("line 30: data.text: is required"), "\(examples)")
        let cli = try await CLI.run(["quality", "--socket", s.server.options.socketPath])
        #expect(cli.stdout.contains("producers whose rejected share is rising:\n  crm had 40.0%") && cli.stdout.contains("    bad0: line 27: data.text: is required"),
                "\(cli.stdout)")
        let page = try await s.get("/data-quality")
        #expect(page.text.contains("<table id=\"producers\">") && page.text.contains("bad3: line 30: data.text: is required"))
        try await s.stop()
    }
}
