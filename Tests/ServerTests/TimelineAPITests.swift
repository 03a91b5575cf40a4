import EventLog
import Foundation
import Testing
import TestSupport
import ThroughlineClient
import ThroughlineCore

/// Every account's whole timeline as the API answers it (all pages), keyed by account.
func allTimelines(_ address: ServerAddress, accounts: [String]) async throws -> [String: [String]] {
    var out: [String: [String]] = [:]
    for account in accounts {
        var pages: [String] = []
        var cursor: String?
        repeat {
            let reply = try await HTTPConnection.request(address, "GET",
                                                         "/v1/accounts/\(account)/timeline?limit=100" + (cursor.map { "&cursor=\($0)" } ?? ""))
            guard reply.status == 200 else { throw TestFailure("\(account): \(reply.status) \(reply.text)") }
            pages.append(reply.text)
            cursor = nil
            if case .string(let next)? = try json(reply)["next_cursor"] { cursor = next }
        } while cursor != nil
        out[account] = pages
    }
    return out
}

/// Waits until the server's read models hold everything in its log, scores current.
func waitUntilProjected(_ address: ServerAddress) async throws {
    for _ in 0..<2400 {
        let h = try json(try await HTTPConnection.request(address, "GET", "/v1/health"))
        if let last = int(h["last_seq"]), last > 0, int(h["projected_seq"]) == last, h["scores"]?["current"] == .bool(true) { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    throw TestFailure("the projector did not catch up")
}

func generated(accounts: Int, days: Int, into path: String) async throws {
    let gen = try await CLI.run(["generate", "--accounts", String(accounts), "--days", String(days), "--seed", "3"])
    try gen.stdout.write(toFile: path, atomically: true, encoding: .utf8)
}

@Suite("Timeline API", .serialized)
struct TimelineAPITests {
    @Test("A producer reads its own write with min_seq; unknown accounts are 404; bad filters are 400")
    func readYourWrites() async throws {
        let s = try await RunningServer { $0.readWait = .milliseconds(300) }
        let posted = try await s.post([noteLine(1, account: "acme"), noteLine(2, account: "acme")].joined(separator: "\n"))
        let last = try #require(int(try json(posted)["last_seq"]))
        let reply = try await s.get("/v1/accounts/acme/timeline?min_seq=\(last)")
        #expect(reply.status == 200)
        let body = try json(reply)
        #expect(body["account"] == .string("acme"))
        guard case .array(let items)? = body["items"] else { throw TestFailure("no items") }
        #expect(items.map { $0["key"] } == [.string("e:n-2"), .string("e:n-1")])
        #expect(items.first?["title"] == .string("Note by maria: hello 2"))
        #expect(items.first?["seqs"] == .array([.number("2")]))

        let unknown = try await s.get("/v1/accounts/nobody/timeline?min_seq=\(last)")
        #expect(unknown.status == 404)
        #expect(unknown.errorMessage.hasPrefix("no account nobody"))
        let badType = try await s.get("/v1/accounts/acme/timeline?types=note,memo")
        #expect(badType.status == 400)
        #expect(badType.errorMessage.hasPrefix("types: memo is not one of call, meeting"))
        let badSince = try await s.get("/v1/accounts/acme/timeline?since=yesterday")
        #expect(badSince.errorMessage.hasPrefix("since: must be an RFC 3339 time"))
        let future = try await s.get("/v1/accounts/acme/timeline?min_seq=\(last + 100)")
        #expect(future.status == 400)
        #expect(future.errorMessage.hasPrefix("min_seq: \(last + 100) is past the log's last seq \(last)"))
        let page = try await s.get("/v1/accounts/acme/timeline?limit=1")
        guard case .string(let cursor)? = try json(page)["next_cursor"] else { throw TestFailure("no cursor") }
        let second = try json(try await s.get("/v1/accounts/acme/timeline?limit=1&cursor=\(cursor)"))
        guard case .array(let rest)? = second["items"] else { throw TestFailure("no items") }
        #expect(rest.map { $0["key"] } == [.string("e:n-1")])
        #expect(second["next_cursor"] == nil)
        try await s.stop()
    }

    @Test("Promise 1: after deleting the read models and rebuilding, every timeline answers exactly as before")
    func rebuildAnswersTheSame() async throws {
        let dir = TempDir(), logs = TempDir()
        let sock = dir.path + "/throughline.sock"
        let file = logs.path + "/events.ndjson"
        try await generated(accounts: 8, days: 90, into: file)
        let accounts = (0..<8).map { String(format: "acct-%05d", $0) }

        var server = try await ServeProcess.start(["--data", dir.path], log: logs.path + "/1.log", socket: sock)
        #expect(try await CLI.run(["append", "--socket", sock, file]).status == 0)
        try await waitUntilProjected(.unix(sock))
        let before = try await allTimelines(.unix(sock), accounts: accounts)
        #expect(try await server.stop() == 0)

        let rebuild = try await CLI.run(["rebuild", "--data", dir.path])
        #expect(rebuild.status == 0, "\(rebuild.stderr)")
        #expect(rebuild.stderr.contains("rebuilt the read models from"))

        server = try await ServeProcess.start(["--data", dir.path], log: logs.path + "/2.log", socket: sock)
        let after = try await allTimelines(.unix(sock), accounts: accounts)
        #expect(after == before)
        #expect(before.values.allSatisfy { !$0.isEmpty })
        #expect(try await server.stop() == 0)
    }

    @Test("Killed while projecting: after a restart the read models equal a rebuild")
    func killedWhileProjecting() async throws {
        let dir = TempDir(), logs = TempDir()
        let sock = dir.path + "/throughline.sock"
        let file = logs.path + "/events.ndjson"
        try await generated(accounts: 10, days: 120, into: file)
        let accounts = (0..<10).map { String(format: "acct-%05d", $0) }

        var server = try await ServeProcess.start(["--data", dir.path], log: logs.path + "/1.log", socket: sock)
        #expect(try await CLI.run(["append", "--socket", sock, "--batch-lines", "500", file]).status == 0)
        server.signal(SIGKILL)  // most likely mid-projection: the projector trails the acknowledgements
        _ = try await server.exitStatus()

        server = try await ServeProcess.start(["--data", dir.path], log: logs.path + "/2.log", socket: sock)
        try await waitUntilProjected(.unix(sock))
        let resumed = try await allTimelines(.unix(sock), accounts: accounts)
        #expect(try await server.stop() == 0)

        #expect(try await CLI.run(["rebuild", "--data", dir.path]).status == 0)
        server = try await ServeProcess.start(["--data", dir.path], log: logs.path + "/3.log", socket: sock)
        #expect(try await allTimelines(.unix(sock), accounts: accounts) == resumed)
        #expect(try await server.stop() == 0)
    }

    @Test("throughline timeline prints a table, or the JSON with --json; an unknown account exits 1")
    func cli() async throws {
        let s = try await RunningServer()
        _ = try await s.post(noteLine(1, account: "acme"))
        let sock = ["--socket", s.server.options.socketPath]
        try await waitUntilProjected(s.address)
        let table = try await CLI.run(["timeline"] + sock + ["acme"])
        #expect(table.status == 0)
        #expect(table.stdout == "TIME (UTC)        KIND  WHAT\n2026-03-02 09:14  note  Note by maria: hello 1\n")
        let asJSON = try await CLI.run(["timeline"] + sock + ["acme", "--json"])
        #expect(asJSON.stdout.hasPrefix(#"{"account":"acme","items":[{"kind":"note""#))
        let unknown = try await CLI.run(["timeline"] + sock + ["nobody"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.hasPrefix("throughline: no account nobody"))
        try await s.stop()
    }

    @Test("The CLI shows an event's control characters as escapes, never sends them to the terminal")
    func controlCharacters() async throws {
        let s = try await RunningServer()
        let author = #"\u001b]0;pwned\u0007\u001b[2J\u009b\u202emaria"#
        let line = #"{"id":"n-esc","account":"acme","type":"note.added","time":"2026-03-02T09:14:00Z","data":{"author":"\#(author)","text":"hi"}}"#
        #expect(try await s.post(line).status == 200)
        try await waitUntilProjected(s.address)
        let sock = ["--socket", s.server.options.socketPath]
        for args in [["timeline", "acme"], ["context", "acme"]] {
            let r = try await CLI.run([args[0]] + sock + [args[1]])
            #expect(r.status == 0)
            #expect(!r.stdout.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x9B || $0.value == 0x202E },
                    "\(args[0]): \(r.stdout)")
            #expect(r.stdout.contains(#"\u{1B}]0;pwned\u{7}\u{1B}[2J\u{9B}\u{202E}maria"#), "\(args[0]): \(r.stdout)")
        }
        try await s.stop()
    }
}

@Suite("Context API")
struct ContextAPITests {
    @Test("GET /v1/accounts/{id}/context answers the view as of a time; bad times are 400, unknown accounts 404; the CLI prints the page")
    func context() async throws {
        let s = try await RunningServer()
        let lines = [
            #"{"id":"p1","account":"acme","type":"account.updated","time":"2026-01-05T00:00:00Z","actor":"automation:crm","data":{"name":"Acme","plan":"growth","seats":10,"renewal_date":"2026-06-30","champion":"dana"}}"#,
            #"{"id":"t1","account":"acme","type":"ticket.opened","time":"2026-03-20T09:00:00Z","actor":"customer:dana","data":{"ticket_id":"77","priority":"urgent","subject":"Login fails"}}"#,
            #"{"id":"c1","account":"acme","type":"call.completed","time":"2026-03-25T15:00:00Z","actor":"csm:maria","data":{"duration_s":1800,"team":"success","summary":"Renewal planning"}}"#,
            #"{"id":"m1","account":"acme","type":"milestone.updated","time":"2026-02-01T00:00:00Z","actor":"csm:maria","data":{"milestone":"kickoff","status":"missed"}}"#,
        ]
        let posted = try await s.post(lines.joined(separator: "\n"))
        let last = try #require(int(try json(posted)["last_seq"]))
        let reply = try await s.get("/v1/accounts/acme/context?at=2026-03-31&min_seq=\(last)")
        #expect(reply.status == 200)
        let v = try json(reply)
        #expect(v["as_of"] == .string("2026-03-31T00:00:00Z"))
        #expect(v["profile"]?["days_to_renewal"] == .number("91"))
        #expect(v["support"]?["open_tickets"] == .number("1"))
        #expect(v["days_since_human_contact"] == .number("5"))
        guard case .array(let flags)? = v["flags"] else { throw TestFailure("no flags") }
        #expect(Set(flags.compactMap { $0["flag"]?.stringValue }) == ["contact_during_open_ticket", "missed_milestone"])
        // Before the ticket was opened, there is nothing open and no flag about it.
        let earlier = try json(try await s.get("/v1/accounts/acme/context?at=2026-03-10"))
        #expect(earlier["support"]?["open_tickets"] == .number("0"))

        #expect(try await s.get("/v1/accounts/acme/context?at=soon").status == 400)
        #expect(try await s.get("/v1/accounts/nobody/context").status == 404)
        let page = try await CLI.run(["context", "--socket", s.server.options.socketPath, "acme", "--at", "2026-03-31"])
        #expect(page.status == 0)
        #expect(page.stdout.hasPrefix("acme  Acme · plan growth · 10 seats\nrenewal 2026-06-30 (in 91 days)"))
        #expect(page.stdout.contains("SUPPORT     1 open (urgent 1), oldest 10 days"))
        #expect(page.stdout.contains("! contact_during_open_ticket: a success call on 2026-03-25T15:00:00Z did not mention the open urgent ticket 77 [seqs 2,3]"))
        try await s.stop()
    }
}

extension JSONValue {
    var stringValue: String? { if case .string(let s) = self { s } else { nil } }
    var arrayValue: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
}

@Suite("Portfolio API")
struct PortfolioAPITests {
    static func profile(_ account: String, csm: String, plan: String, arr: Int, renewal: String) -> String {
        #"{"id":"p-\#(account)","account":"\#(account)","type":"account.updated","time":"2026-01-05T00:00:00Z","actor":"automation:crm","data":{"name":"\#(account.uppercased())","plan":"\#(plan)","csm":"\#(csm)","arr":\#(arr),"renewal_date":"\#(renewal)"}}"#
    }

    @Test("GET /v1/accounts filters by CSM, plan, renewal window and flag, sorts, and pages")
    func portfolio() async throws {
        let s = try await RunningServer { $0.rules = try? RunningServer.healthV1() }
        let lines = [
            Self.profile("a1", csm: "maria", plan: "growth", arr: 50000, renewal: "2026-04-20"),
            Self.profile("a2", csm: "maria", plan: "starter", arr: 8000, renewal: "2026-09-01"),
            Self.profile("a3", csm: "jonas", plan: "growth", arr: 120000, renewal: "2026-04-05"),
            #"{"id":"m-a2","account":"a2","type":"milestone.updated","time":"2026-02-01T00:00:00Z","actor":"csm:maria","data":{"milestone":"kickoff","status":"missed"}}"#,
            #"{"id":"c-a1","account":"a1","type":"call.completed","time":"2026-03-25T15:00:00Z","actor":"csm:maria","data":{"duration_s":600}}"#,
        ]
        let last = try #require(int(try json(try await s.post(lines.joined(separator: "\n")))["last_seq"]))
        func ids(_ query: String) async throws -> [String] {
            let reply = try await s.get("/v1/accounts?at=2026-03-31&min_seq=\(last)" + query)
            guard reply.status == 200, case .array(let list)? = try json(reply)["accounts"] else { throw TestFailure(reply.text) }
            return list.compactMap { $0["account"]?.stringValue }
        }
        #expect(try await ids("") == ["a3", "a1", "a2"])  // by renewal date
        #expect(try await ids("&sort=arr&order=desc") == ["a3", "a1", "a2"])
        #expect(try await ids("&sort=arr") == ["a2", "a1", "a3"])
        #expect(try await ids("&csm=maria") == ["a1", "a2"])
        #expect(try await ids("&plan=growth&renewal_within=10") == ["a3"])
        #expect(try await ids("&flag=missed_milestone") == ["a2"])
        #expect(try await ids("&sort=last_contact&order=desc") == ["a1", "a2", "a3"])  // accounts never contacted last
        let page = try json(try await s.get("/v1/accounts?limit=2&at=2026-03-31"))
        #expect(page["next_offset"] == .number("2"))
        #expect(try await ids("&offset=2") == ["a2"])
        let first = try json(try await s.get("/v1/accounts?at=2026-03-31&limit=1"))
        guard case .array(let list)? = first["accounts"] else { throw TestFailure("no accounts") }
        #expect(list[0]["days_to_renewal"] == .number("5"))
        #expect(list[0]["arr"] == .number("120000"))
        // Health: a1 was called recently (100); a2 missed a milestone (53.6); a3 has had no human
        // contact in the 79 days since its first event and no open ticket (54.5).
        #expect(try await ids("&sort=score") == ["a2", "a3", "a1"])
        #expect(try await ids("&band=red,yellow") == ["a3", "a2"])
        #expect(try await ids("&band=green&csm=maria") == ["a1"])
        #expect(try await s.get("/v1/accounts?band=purple").status == 400)
        #expect(try await s.get("/v1/accounts?sort=size").status == 400)
        #expect(try await s.get("/v1/accounts?flag=grumpy").status == 400)

        let table = try await CLI.run(["accounts", "--socket", s.server.options.socketPath, "--csm", "maria", "--at", "2026-03-31"])
        #expect(table.status == 0)
        #expect(table.stdout.hasPrefix("""
            ACCOUNT  NAME  SCORE  BAND    PLAN     CSM    ARR    RENEWAL     LAST CONTACT
            a1       A1    100    green   growth   maria  50000  2026-04-20  2026-03-25
            a2       A2    53.6   yellow  starter  maria  8000   2026-09-01
            """))
        try await s.stop()
    }
}

@Suite("Portfolio flag filter bound")
struct PortfolioFlagScanTests {
    @Test("A flag-filtered read examines at most 500 accounts and says where to continue")
    func bounded() async throws {
        let s = try await RunningServer()
        var lines = (0..<510).map { PortfolioAPITests.profile(String(format: "b%03d", $0), csm: "maria", plan: "growth", arr: 1000, renewal: "2026-06-01") }
        lines.append(#"{"id":"m-b505","account":"b505","type":"milestone.updated","time":"2026-02-01T00:00:00Z","actor":"csm:maria","data":{"milestone":"kickoff","status":"missed"}}"#)
        let last = try #require(int(try json(try await s.post(lines.joined(separator: "\n")))["last_seq"]))
        let first = try json(try await s.get("/v1/accounts?flag=missed_milestone&sort=account&at=2026-03-31&min_seq=\(last)"))
        #expect(first["accounts"] == .array([]))
        #expect(first["next_offset"] == .number("500"))
        let second = try json(try await s.get("/v1/accounts?flag=missed_milestone&sort=account&at=2026-03-31&offset=500"))
        guard case .array(let found)? = second["accounts"] else { throw TestFailure("no accounts") }
        #expect(found.map { $0["account"] } == [.string("b505")])
        #expect(second["next_offset"] == nil)
        try await s.stop()
    }
}
