import Foundation
import Testing
import TestSupport
import ThroughlineCore

@Suite("People through the API, the CLI and the page")
struct PeopleAPITests {
    static func event(_ id: String, _ who: String, _ type: String, _ time: String, _ data: String) -> String {
        IdentityAPITests.event(id, who, type, time, data)
    }

    static let acme = #""account":"acme""#

    @Test("Contacts from the CRM and requesters from the help desk (by its own org id, linked late) make one stakeholder map; a champion who leaves raises the flag; a bad email is refused alone")
    func stakeholderMap() async throws {
        let s = try await RunningServer { $0.rules = try? RunningServer.healthV1() }
        let lines = [
            Self.event("p", Self.acme, "account.updated", "2026-01-05T00:00:00Z", #"{"name":"Acme","champion":"Dana Reyes"}"#),
            Self.event("c1", Self.acme, "contact.updated", "2026-01-05T00:00:01Z",
                       #"{"person":"crm:c-1","email":"dana.reyes@acme.example.com","name":"Dana Reyes","title":"VP Operations","role":"champion"}"#),
            Self.event("c2", Self.acme, "contact.updated", "2026-01-05T00:00:02Z", #"{"person":"crm:c-2","name":"Sam Ortiz","role":"admin"}"#),
            // The help desk knows Sam by email only, and the account by its org id.
            Self.event("c3", IdentityAPITests.helpdesk, "contact.updated", "2026-02-01T00:00:00Z", #"{"person":"crm:c-2","email":"sam@acme.example.com"}"#),
            Self.event("t1", IdentityAPITests.helpdesk, "ticket.opened", "2026-03-01T09:00:00Z",
                       #"{"ticket_id":"48213","priority":"urgent","subject":"Export fails","requester":"SAM@acme.example.com"}"#),
            Self.event("k1", Self.acme, "call.completed", "2026-03-02T15:00:00Z",
                       #"{"duration_s":1800,"sentiment":0.5,"participants":["csm:maria","Dana Reyes <dana.reyes@acme.example.com>"]}"#),
            Self.event("bad", Self.acme, "contact.updated", "2026-03-03T00:00:00Z", #"{"email":"sam at acme"}"#),
        ]
        let reply = try await s.post(lines.joined(separator: "\n"))
        let statuses = try json(reply)["results"]?.arrayValue?.compactMap { $0["status"]?.stringValue }
        #expect(statuses == ["accepted", "accepted", "accepted", "accepted", "accepted", "accepted", "rejected"])
        #expect(try json(reply)["results"]?.arrayValue?.last?["error"]?.stringValue
                == #"data.email: must be an email address (name@example.com), not "sam at acme""#)
        let last1 = try #require(int(try json(reply)["last_seq"]))

        func people(_ at: String, _ minSeq: Int) async throws -> [JSONValue] {
            try json(try await s.get("/v1/accounts/acme/context?at=\(at)&min_seq=\(minSeq)"))["stakeholders"]?.arrayValue ?? []
        }
        let before = try await people("2026-03-05", last1)
        #expect(before.compactMap { $0["name"]?.stringValue } == ["Dana Reyes", "Sam Ortiz"])
        #expect(before[0]["last_contact"]?["with"] == .array([.string("csm:maria")]) && before[0]["last_contact"]?["via"] == .string("call"))
        #expect(before[1]["last_contact"] == nil && before[1]["open_tickets"] == .array([]))

        // The link comes: Sam's email, and the ticket Sam raised, join the account from their own times.
        let link = Self.event("l", Self.acme, "identity.linked", "2026-03-10T00:00:00Z", #"{"ref":{"system":"helpdesk","id":"org-4711"}}"#)
        let last2 = try #require(int(try json(try await s.post(link))["last_seq"]))
        let after = try await people("2026-03-05", last2)
        let sam = try #require(after.first { $0["name"] == .string("Sam Ortiz") })
        #expect(sam["emails"] == .array([.string("sam@acme.example.com")]) && sam["ids"] == .array([.string("crm:c-2")]))
        #expect(sam["open_tickets"] == .array([.string("48213")]))
        #expect(sam["last_contact"]?["via"] == .string("ticket") && sam["last_contact"]?["time"] == .string("2026-03-01T09:00:00Z"))

        // Dana leaves: the context flags it with the update behind it.
        let left = Self.event("c4", Self.acme, "contact.updated", "2026-03-20T00:00:00Z", #"{"person":"crm:c-1","left":true}"#)
        let last3 = try #require(int(try json(try await s.post(left))["last_seq"]))
        let context = try json(try await s.get("/v1/accounts/acme/context?at=2026-03-25&min_seq=\(last3)"))
        let flag = try #require(context["flags"]?.arrayValue?.first { $0["message"]?.stringValue?.contains("left the company") == true })
        #expect(flag["flag"] == .string("champion_changed") && flag["seqs"] == .array([.number(String(last3))]))
        #expect(context["stakeholders"]?.arrayValue?.first?["left_at"] == .string("2026-03-20T00:00:00Z"))

        let cli = try await CLI.run(["context", "acme", "--at", "2026-03-25", "--socket", s.server.options.socketPath])
        #expect(cli.status == 0 && cli.stdout.contains("PEOPLE      Dana Reyes (champion) · LEFT"), "\(cli.stdout)")
        #expect(cli.stdout.contains("Sam Ortiz (admin) · last ticket 2026-03-01 09:00 with support · raised open 48213"), "\(cli.stdout)")
        let page = try await s.get("/accounts/acme")
        #expect(page.status == 200 && page.text.contains("<h2>People</h2>") && page.text.contains("<b>Sam Ortiz</b>"), "\(page.text)")
        #expect(page.text.contains("<span class=\"flag\">left</span>"))
        try await s.stop()
    }
}
