import Foundation
import Testing
import TestSupport
import ThroughlineClient
import ThroughlineCore

@Suite("Catch-up reads, health, metrics, TCP")
struct ReadAndOpsTests {
    @Test("GET /v1/events pages by seq, filters by account, and names bad parameters")
    func catchUp() async throws {
        let s = try await RunningServer()
        let body = (1...10).map { noteLine($0, account: $0 % 2 == 0 ? "even" : "odd") }.joined(separator: "\n")
        #expect(try await s.post(body).status == 200)

        let page = try await s.get("/v1/events?after=3&limit=4")
        let seqs = page.text.split(separator: "\n").map { line -> Int in
            int((try? JSONParser.parse(String(line)))?["seq"]) ?? -1
        }
        #expect(seqs == [4, 5, 6, 7])
        #expect(page.header("Throughline-Next-After") == "7")

        let even = try await s.get("/v1/events?after=0&limit=3&account=even")
        #expect(even.text.split(separator: "\n").allSatisfy { $0.contains(#""account":"even""#) })
        #expect(even.text.split(separator: "\n").count == 3)
        #expect(even.header("Throughline-Next-After") == "6")

        let rest = try await s.get("/v1/events?after=6&limit=100&account=even")
        #expect(rest.text.split(separator: "\n").count == 2)
        #expect(rest.header("Throughline-Next-After") == "10")

        let end = try await s.get("/v1/events?after=10")
        #expect(end.status == 200 && end.text.isEmpty)
        #expect(end.header("Throughline-Last-Seq") == "10")

        for (query, message) in [("after=-1", "after: must be a seq (a non-negative integer), not -1"),
                                 ("limit=0", "limit: must be an integer from 1 to 10000, not 0"),
                                 ("limit=abc", "limit: must be an integer from 1 to 10000, not abc"),
                                 ("from=3", "unknown query parameter from; use after, limit and account")] {
            let bad = try await s.get("/v1/events?" + query)
            #expect(bad.status == 400)
            #expect(try json(bad)["error"] == .string(message))
        }
        try await s.stop()
    }

    @Test("GET /metrics counts appended events by status, fsyncs, commits, batch sizes and requests, labelled by the route matched")
    func metrics() async throws {
        let s = try await RunningServer()
        _ = try await s.post([noteLine(1), noteLine(2), noteLine(1), "{}"].joined(separator: "\n"))
        _ = try await s.get("/v1/accounts/acme/scores?min_seq=3")
        _ = try await s.get("/v1/accounts/acme/scores/explain?min_seq=3")
        _ = try await s.get("/no/such/page")
        _ = try await HTTPConnection.request(s.address, "DELETE", "/v1/health")
        let reply = try await s.get("/metrics")
        #expect(reply.status == 200)
        #expect(reply.header("Content-Type")?.hasPrefix("text/plain") == true)
        let text = reply.text
        #expect(text.contains(#"throughline_events_appended_total{status="accepted"} 2"#))
        #expect(text.contains(#"throughline_events_appended_total{status="duplicate"} 1"#))
        #expect(text.contains(#"throughline_events_appended_total{status="rejected"} 1"#))
        #expect(text.contains("throughline_fsync_seconds_count 1"))
        #expect(text.contains("throughline_commit_seconds_count 1"))
        #expect(text.contains("throughline_commit_batch_events_count 1"))
        #expect(text.contains("throughline_queue_depth_events 0"))
        #expect(text.contains(#"throughline_request_duration_seconds_count{method="POST",route="/v1/events",status="207"} 1"#))
        #expect(text.contains(#"throughline_request_duration_seconds_count{method="GET",route="/v1/accounts/{id}/scores",status="#))
        #expect(text.contains(#"throughline_request_duration_seconds_count{method="GET",route="/v1/accounts/{id}/scores/explain",status="#))
        #expect(text.contains(#"throughline_request_duration_seconds_count{method="GET",route="other",status="404"} 1"#))
        #expect(text.contains(#"throughline_request_duration_seconds_count{method="DELETE",route="/v1/health",status="405"} 1"#))
        let bytes = text.split(separator: "\n").first { $0.hasPrefix("throughline_appended_bytes_total ") }
        #expect(bytes.flatMap { Int($0.split(separator: " ")[1]) }.map { $0 > 0 } == true)
        try await s.stop()
    }

    @Test("--listen serves the same API on loopback TCP")
    func tcp() async throws {
        let s = try await RunningServer { $0.listen = ("127.0.0.1", 0) }
        let port = try await s.tcpPort()
        let address = ServerAddress.tcp(host: "127.0.0.1", port: port)
        let reply = try await HTTPConnection.request(address, "POST", "/v1/events", headers: [("Content-Type", "application/x-ndjson")],
                                                     body: Array(noteLine(1).utf8))
        #expect(reply.status == 200)
        #expect(int(try json(try await s.get("/v1/health"))["last_seq"]) == 1)
        try await s.stop()
    }

    @Test("An unknown path is a 404")
    func notFound() async throws {
        let s = try await RunningServer()
        #expect(try await s.get("/v2/nothing").status == 404)
        try await s.stop()
    }
}

@Suite("schemas/openapi.yaml against real answers")
struct OpenAPITests {
    @Test("Every answer the server gives, over http.client on the socket, matches the spec")
    func spec() async throws {
        let s = try await RunningServer { o in
            o.maxBodyBytes = 65536
            o.maxActiveIngests = 1
            o.maxWaitingIngests = 0
            o.readWait = .milliseconds(200)
        }
        let check = try await CLI.run(program: "python3", [CLI.repo + "/tools/check_openapi.py", s.server.options.socketPath,
                                                      CLI.repo + "/schemas/openapi.yaml"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains(" 0 problems"))
        let covered = "covered: GET /metrics 200, GET /v1/accounts 200, GET /v1/accounts 400, GET /v1/accounts/{id}/context 200, GET /v1/accounts/{id}/context 308, "
            + "GET /v1/accounts/{id}/context 400, GET /v1/accounts/{id}/context 404, GET /v1/accounts/{id}/scores 200, GET /v1/accounts/{id}/scores 308, "
            + "GET /v1/accounts/{id}/scores 400, GET /v1/accounts/{id}/scores 404, GET /v1/accounts/{id}/scores/explain 200, "
            + "GET /v1/accounts/{id}/scores/explain 308, GET /v1/accounts/{id}/scores/explain 400, GET /v1/accounts/{id}/scores/explain 404, "
            + "GET /v1/accounts/{id}/timeline 200, GET /v1/accounts/{id}/timeline 308, GET /v1/accounts/{id}/timeline 400, "
            + "GET /v1/accounts/{id}/timeline 404, GET /v1/audit 200, GET /v1/audit 400, GET /v1/data-quality 200, GET /v1/events 200, GET /v1/events 400, GET /v1/health 200, GET /v1/people 200, GET /v1/people 400, GET /v1/unlinked 200, "
            + "POST /v1/events 200, POST /v1/events 207, POST /v1/events 400, POST /v1/events 413, POST /v1/events 415, POST /v1/events 503"
        #expect(check.stdout.contains(covered), "\(check.stdout)")
        try await s.stop()
    }
}

@Suite("README examples")
struct ReadmeTests {
    /// The fenced blocks of one language in the README's "Talking to the server" section.
    static func blocks(_ language: String) throws -> [String] {
        let readme = try String(contentsOfFile: CLI.repo + "/README.md", encoding: .utf8)
        guard let start = readme.range(of: "## Talking to the server") else { throw TestFailure("README has no such section") }
        let section = readme[start.upperBound...].components(separatedBy: "\n## ")[0]
        return section.components(separatedBy: "```" + language + "\n").dropFirst().map { $0.components(separatedBy: "```")[0] }
    }

    @Test("The curl and Python examples work as written, against a server on ./throughline-data")
    func examples() async throws {
        let s = try await RunningServer(dataFolder: "throughline-data")
        let shell = try Self.blocks("sh")
        try #require(shell.count == 1)
        let curl = try await CLI.run(program: "bash", ["-euo", "pipefail", "-c", shell[0]], in: s.dir.path)
        #expect(curl.status == 0, "\(curl.stderr)")
        #expect(curl.stdout.contains(#"{"line":1,"status":"accepted","seq":1}"#))
        #expect(curl.stdout.contains(#"{"line":2,"status":"accepted","seq":2}"#))
        #expect(curl.stdout.contains(#""id":"zd-48213-opened""#))
        #expect(curl.stdout.contains(#"throughline_events_appended_total{status="accepted"} 2"#))

        let python = try Self.blocks("python")
        try #require(python.count == 1)
        let py = try await CLI.run(program: "python3", ["-c", python[0]], in: s.dir.path)
        #expect(py.status == 0, "\(py.stderr)")
        #expect(py.stdout == "{'line': 1, 'status': 'accepted', 'seq': 3}\n")
        try await s.stop()
    }
}

@Suite("Catch-up reads stay bounded")
struct BoundedReadTests {
    /// Pages through `GET /v1/events` from 0 until Next-After reaches the last seq; the seqs read.
    static func readAll(_ s: RunningServer, _ query: String) async throws -> (seqs: [Int], pages: Int, largest: Int) {
        var after = 0, seqs: [Int] = [], pages = 0, largest = 0
        while true {
            let page = try await s.get("/v1/events?after=\(after)&" + query)
            #expect(page.status == 200)
            pages += 1
            largest = max(largest, page.body.count)
            seqs += page.text.split(separator: "\n").map { int((try? JSONParser.parse(String($0)))?["seq"]) ?? -1 }
            let next = try #require(Int(page.header("Throughline-Next-After") ?? ""))
            let last = try #require(Int(page.header("Throughline-Last-Seq") ?? ""))
            #expect(next >= after)
            if next >= last { return (seqs, pages, largest) }
            after = next
            if pages > 10_000 { throw TestFailure("paging does not end") }
        }
    }

    @Test("An account's events come back exactly once, in seq order, whether filed by the projector or still only in the log")
    func accountFilterPages() async throws {
        // A tiny scan budget: reads that arrive before the projector are answered from a few log
        // records at a time, and must still add up to exactly the account's events.
        let s = try await RunningServer { $0.maxScanEvents = 3 }
        var rng = SplitMix(seed: 11)
        var expected: [String: [Int]] = [:]
        var seq = 0
        for round in 0..<6 {
            let lines = (0..<40).map { i -> String in
                let account = ["a", "b", "c", "d"][Int(rng.next() % 4)]
                seq += 1
                expected[account, default: []].append(seq)
                return noteLine(round * 100 + i, account: account)
            }
            #expect(try await s.post(lines.joined(separator: "\n")).status == 200)
            for account in ["a", "c"] {
                for limit in [1, 2, 7, 1000] {
                    let got = try await Self.readAll(s, "limit=\(limit)&account=\(account)")
                    #expect(got.seqs == expected[account] ?? [], "\(account) limit \(limit) after round \(round)")
                }
            }
        }
        #expect(try await Self.readAll(s, "account=nobody").seqs.isEmpty)
        try await s.stop()
    }

    @Test("Large events are read in pages of about the byte cap, never all at once, with or without an account")
    func byteCap() async throws {
        let s = try await RunningServer { $0.maxReadBytes = 256 << 10 }
        let text = String(repeating: "x", count: 90_000)
        let body = (1...30).map { noteLine($0, account: $0 % 3 == 0 ? "big" : "other", text: text) }.joined(separator: "\n")
        #expect(try await s.post(body).status == 200)
        for query in ["limit=10000", "limit=10000&account=big"] {
            let got = try await Self.readAll(s, query)
            #expect(got.seqs == (query.contains("big") ? Array(stride(from: 3, through: 30, by: 3)) : Array(1...30)), "\(query)")
            #expect(got.largest < (256 << 10) + 100_000, "\(query): a page of \(got.largest) bytes")
            #expect(got.pages >= (query.contains("big") ? 3 : 10), "\(query): \(got.pages) pages")
        }
        try await s.stop()
    }
}
