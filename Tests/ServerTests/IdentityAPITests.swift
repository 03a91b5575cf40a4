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
