import Foundation
import Testing
import TestSupport
import ThroughlineClient
import ThroughlineCore

/// Single requests that took the whole server down, or answered 500 with nothing to go on:
/// each is now a clear answer, and the server goes on serving.
@Suite("Poison: single requests and events that used to take the server down", .serialized)
struct PoisonTests {
    func event(_ id: String, _ type: String, _ data: String, account: String = "acme") -> String {
        #"{"id":"\#(id)","account":"\#(account)","type":"\#(type)","time":"2026-03-02T09:14:00Z","data":\#(data)}"#
    }

    @Test("An ARR of 1e19 is refused naming the field; the good lines of the request land and are projected")
    func hugeARR() async throws {
        let s = try await RunningServer()
        let body = [event("a-1", "account.updated", #"{"arr":1e19}"#), event("a-2", "account.renewed", #"{"arr":9.3e18}"#),
                    event("a-3", "account.updated", #"{"arr":1e15,"name":"Acme"}"#), noteLine(4)].joined(separator: "\n")
        let reply = try await s.post(body)
        #expect(reply.status == 207)
        let r = try results(reply)
        #expect(r.map(\.status) == ["rejected", "rejected", "accepted", "accepted"])
        #expect(r[0].error == "data.arr: must be at most 1000000000000000")
        let timeline = try await s.get("/v1/accounts/acme/timeline?min_seq=2")
        #expect(timeline.status == 200)
        #expect(timeline.text.contains("arr 1,000,000,000,000,000"))
        #expect(try await s.get("/v1/health").status == 200)
        try await s.stop()
    }

    @Test("Explaining an unknown account on an empty store answers 404, and the server goes on")
    func explainOnEmptyStore() async throws {
        let s = try await RunningServer()
        let reply = try await s.get("/v1/accounts/nobody/scores/explain")
        #expect(reply.status == 404)
        #expect(try await s.get("/v1/health").status == 200)
        #expect(try await s.post(noteLine(1)).status == 200)
        try await s.stop()
    }

    @Test("A malformed timeline cursor is a 400 naming the cursor, on the API and the account page")
    func malformedCursor() async throws {
        let s = try await RunningServer()
        #expect(try await s.post(noteLine(1)).status == 200)
        for cursor in ["abc", "99999999999999999999999.x", "%FF", "."] {
            let api = try await s.get("/v1/accounts/acme/timeline?min_seq=1&cursor=\(cursor)")
            #expect(api.status == 400, "cursor \(cursor): \(api.status) \(api.text)")
            #expect(api.text.contains("cursor"), "cursor \(cursor): \(api.text)")
            let page = try await s.get("/accounts/acme?cursor=\(cursor)")
            #expect(page.status == 400, "page cursor \(cursor): \(page.status)")
        }
        try await s.stop()
    }

    @Test("Seqs at the top of their range: after=2^64-1 reads nothing, a min_seq past the log's end is a 400 naming it")
    func extremeSeqs() async throws {
        let s = try await RunningServer()
        #expect(try await s.post(noteLine(1)).status == 200)
        for query in ["after=18446744073709551615", "after=18446744073709551615&account=acme", "after=18446744073709551614&account=acme"] {
            let r = try await s.get("/v1/events?" + query)
            #expect(r.status == 200 && r.text.isEmpty, "\(query)")
            #expect(r.header("Throughline-Next-After") == "1", "\(query)")
        }
        #expect(try await s.get("/v1/events?after=18446744073709551616").status == 400)
        let waiting = try await s.get("/v1/accounts/acme/timeline?min_seq=18446744073709551614")
        #expect(waiting.status == 400)
        #expect(try json(waiting)["error"]?.scalarText == "min_seq: 18446744073709551614 is past the log's last seq 1; pass the seq an append answered")
        #expect(try await s.get("/v1/health").status == 200)
        try await s.stop()
    }

    @Test("Every answer carries the security headers: JSON, pages, the router's 404 and a 405 naming the methods")
    func headersAndMethods() async throws {
        let s = try await RunningServer()
        let answers = [try await s.get("/v1/health"), try await s.get("/"), try await s.get("/no/such/path"),
                       try await HTTPConnection.request(s.address, "TRACE", "/v1/events"),
                       try await HTTPConnection.request(s.address, "OPTIONS", "/v1/health"),
                       try await HTTPConnection.request(s.address, "DELETE", "/v1/accounts/acme/timeline")]
        #expect(answers.map(\.status) == [200, 200, 404, 405, 405, 405])
        for a in answers {
            #expect(a.header("X-Content-Type-Options") == "nosniff")
            #expect(a.header("Content-Security-Policy")?.contains("frame-ancestors 'none'") == true)
        }
        #expect(answers[2].header("Content-Type") == "application/json")
        #expect(answers[3].header("Allow") == "GET, POST")
        #expect(answers[5].header("Allow") == "GET")
        #expect(try json(answers[4])["error"]?.scalarText?.contains("use GET") == true)
        try await s.stop()
    }

    @Test("A damaged what-if store is an error page that names neither its path nor SQLite's text")
    func damagedReplayNamesNoPaths() async throws {
        let s = try await RunningServer()
        let dir = s.data + "/replays/broken"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try Data(repeating: 0x41, count: 8192).write(to: URL(fileURLWithPath: dir + "/whatif.sqlite"))
        let page = try await s.get("/replays/broken")
        #expect(page.status == 500)
        let index = try await s.get("/replays")
        #expect(index.status == 200)
        for text in [page.text, index.text, try await s.get("/replays/missing").text] {
            #expect(!text.contains(s.data), "\(text)")
            #expect(!text.lowercased().contains("sqlite"), "\(text)")
        }
        try await s.stop()
    }
}
