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

/// Waits until the server's read models hold everything in its log.
func waitUntilProjected(_ address: ServerAddress) async throws {
    for _ in 0..<2400 {
        let h = try json(try await HTTPConnection.request(address, "GET", "/v1/health"))
        if let last = int(h["last_seq"]), last > 0, int(h["projected_seq"]) == last { return }
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
        #expect(EventSenderError(unknown).hasPrefix("no account nobody"))
        let badType = try await s.get("/v1/accounts/acme/timeline?types=note,memo")
        #expect(badType.status == 400)
        #expect(EventSenderError(badType).hasPrefix("types: memo is not one of call, meeting"))
        let badSince = try await s.get("/v1/accounts/acme/timeline?since=yesterday")
        #expect(EventSenderError(badSince).hasPrefix("since: must be an RFC 3339 time"))
        let future = try await s.get("/v1/accounts/acme/timeline?min_seq=\(last + 100)")
        #expect(future.status == 503)
        #expect(future.header("Retry-After") == "1")
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

        var server = try ServeProcess(["--data", dir.path], log: logs.path + "/1.log")
        try await waitUntilServing(.unix(sock))
        #expect(try await CLI.run(["append", "--socket", sock, file]).status == 0)
        try await waitUntilProjected(.unix(sock))
        let before = try await allTimelines(.unix(sock), accounts: accounts)
        server.signal(SIGTERM)
        #expect(try await server.exitStatus() == 0)

        let rebuild = try await CLI.run(["rebuild", "--data", dir.path])
        #expect(rebuild.status == 0, "\(rebuild.stderr)")
        #expect(rebuild.stderr.contains("rebuilt the read models from"))

        server = try ServeProcess(["--data", dir.path], log: logs.path + "/2.log")
        try await waitUntilServing(.unix(sock))
        let after = try await allTimelines(.unix(sock), accounts: accounts)
        #expect(after == before)
        #expect(before.values.allSatisfy { !$0.isEmpty })
        server.signal(SIGTERM)
        #expect(try await server.exitStatus() == 0)
    }

    @Test("Killed while projecting: after a restart the read models equal a rebuild")
    func killedWhileProjecting() async throws {
        let dir = TempDir(), logs = TempDir()
        let sock = dir.path + "/throughline.sock"
        let file = logs.path + "/events.ndjson"
        try await generated(accounts: 10, days: 120, into: file)
        let accounts = (0..<10).map { String(format: "acct-%05d", $0) }

        var server = try ServeProcess(["--data", dir.path], log: logs.path + "/1.log")
        try await waitUntilServing(.unix(sock))
        #expect(try await CLI.run(["append", "--socket", sock, "--batch-lines", "500", file]).status == 0)
        server.signal(SIGKILL)  // most likely mid-projection: the projector trails the acknowledgements
        _ = try await server.exitStatus()

        server = try ServeProcess(["--data", dir.path], log: logs.path + "/2.log")
        try await waitUntilServing(.unix(sock))
        try await waitUntilProjected(.unix(sock))
        let resumed = try await allTimelines(.unix(sock), accounts: accounts)
        server.signal(SIGTERM)
        #expect(try await server.exitStatus() == 0)

        #expect(try await CLI.run(["rebuild", "--data", dir.path]).status == 0)
        server = try ServeProcess(["--data", dir.path], log: logs.path + "/3.log")
        try await waitUntilServing(.unix(sock))
        #expect(try await allTimelines(.unix(sock), accounts: accounts) == resumed)
        server.signal(SIGTERM)
        #expect(try await server.exitStatus() == 0)
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
}
