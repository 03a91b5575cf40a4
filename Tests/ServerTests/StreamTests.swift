import Foundation
import Testing
import TestSupport
import ThroughlineClient
import ThroughlineCore

/// `GET /v1/events/stream`: server-sent events read from the log, as a consumer holds them.
@Suite("Event streams", .serialized)
struct StreamTests {
    /// The next event that is not a heartbeat.
    static func nextEvent(_ stream: EventStreamClient) throws -> EventStreamClient.Event {
        while true {
            guard let e = try stream.next(seconds: 60) else { throw TestFailure("the stream ended") }
            if e.name != "heartbeat" { return e }
        }
    }

    @Test("A stream sends every event after its place, then each new one as it commits, with heartbeats while idle; a reconnect with Last-Event-ID goes on without a gap or a repeat; /metrics times the live ones; type and account filters; bad parameters are 400s naming them; a stop ends it with an end event")
    func streams() async throws {
        let s = try await RunningServer()
        let sock = s.data + "/throughline.sock"
        let first = (1...5).map { noteLine($0, account: "acme") } + [noteLine(6, account: "globex")]
        #expect(try await s.post(first.joined(separator: "\n")).status == 200)

        let stream = try EventStreamClient(socket: sock, path: "/v1/events/stream?after=0&heartbeat=1")
        #expect(stream.status == 200 && stream.headers["content-type"] == "text/event-stream")
        let history = try (1...6).map { _ in try Self.nextEvent(stream) }
        #expect(history.map(\.id) == ["1", "2", "3", "4", "5", "6"])
        #expect(history.map { try? JSONParser.parse($0.data)["id"]?.scalarText } == (1...6).map { "n-\($0)" })
        let beat = try #require(try stream.next(seconds: 60))
        #expect(beat.name == "heartbeat" && beat.id == "6" && beat.data.contains(#""position":"6""#), "\(beat)")
        #expect(try await s.post(noteLine(7, account: "acme")).status == 200)
        let live = try Self.nextEvent(stream)
        #expect(live.id == "7" && live.data.contains(#""id":"n-7""#) && live.data.contains(#""seq":7"#))
        // /metrics times how long the live event took to be written to the stream (not the history it caught up on).
        var delays = ""
        for _ in 0..<50 {
            delays = try await s.get("/metrics").text.split(separator: "\n").filter { $0.hasPrefix("throughline_stream_delay_seconds_count") }.joined()
            if !delays.hasSuffix(" 0") && !delays.isEmpty { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(delays == "throughline_stream_delay_seconds_count 1", "\(delays)")
        stream.close()

        // A consumer that comes back says where it was: it gets what followed, once.
        let resumed = try EventStreamClient(socket: sock, path: "/v1/events/stream?heartbeat=1", headers: [("Last-Event-ID", "5")])
        #expect(try [Self.nextEvent(resumed), Self.nextEvent(resumed)].map(\.id) == ["6", "7"])
        resumed.close()
        // Filters: the position still moves past what they leave out.
        let globex = try EventStreamClient(socket: sock, path: "/v1/events/stream?types=note.added&account=globex&heartbeat=1")
        #expect(try Self.nextEvent(globex).id == "6")
        let after = try #require(try globex.next(seconds: 60))
        #expect(after.name == "heartbeat" && after.id == "7", "\(after)")
        globex.close()
        let calls = try EventStreamClient(socket: sock, path: "/v1/events/stream?types=call.completed&heartbeat=1")
        let none = try #require(try calls.next(seconds: 60))
        #expect(none.name == "heartbeat" && none.id == "7")
        calls.close()
        // follow=false: what is there, then an end.
        let once = try EventStreamClient(socket: sock, path: "/v1/events/stream?after=5&follow=false")
        #expect(try [once.next(seconds: 60)?.id, once.next(seconds: 60)?.id] == ["6", "7"])
        let done = try #require(try once.next(seconds: 60))
        let after2 = try once.next(seconds: 60)
        #expect(done.name == "end" && done.data.contains("caught up") && after2 == nil)

        for (path, headers, message) in [("/v1/events/stream?types=nope", [(String, String)](), "types: nope is not an event type"),
                                         ("/v1/events/stream", [("Last-Event-ID", "x")], "Last-Event-ID: must be a seq"),
                                         ("/v1/events/stream?heartbeat=0", [], "heartbeat: must be an integer from 1 to 300"),
                                         ("/v1/events/stream?from=3", [], "unknown query parameter from")] {
            let bad = try EventStreamClient(socket: sock, path: path, headers: headers)
            #expect(bad.status == 400 && bad.errorBody.contains(message), "\(path): \(bad.status) \(bad.errorBody)")
            bad.close()
        }

        // Twenty consumers that read nothing do not hold ingest back; each reads everything later.
        // (They share what is read for them; one beside them with another filter gets its own.)
        let idle = try (0..<20).map { _ in try EventStreamClient(socket: sock, path: "/v1/events/stream?after=7") }
        let one = try EventStreamClient(socket: sock, path: "/v1/events/stream?after=7&account=acct-3")
        let bulk = (8...20_007).map { noteLine($0, account: "acct-\($0 % 50)", text: String(repeating: "x", count: 200)) }
        for start in stride(from: 0, to: bulk.count, by: 2_000) {
            let reply = try await s.post(bulk[start..<(start + 2_000)].joined(separator: "\n"))
            #expect(reply.status == 200)
        }
        for consumer in [idle[0], idle[19]] {
            var last = ""
            for _ in 0..<bulk.count { last = try Self.nextEvent(consumer).id ?? "" }
            #expect(last == "20007")
        }
        for consumer in idle { consumer.close() }
        let own = try (0..<400).map { _ in try Self.nextEvent(one) }
        #expect(own.allSatisfy { Int($0.id ?? "") ?? 0 > 7 && (Int($0.id ?? "") ?? 0) % 50 == 3 && $0.data.contains(#""account":"acct-3""#) })
        #expect(own.last?.id == "20003")
        one.close()

        // The server's stop ends an open stream with an end event saying where it was.
        let open = try EventStreamClient(socket: sock, path: "/v1/events/stream?after=20007&heartbeat=30")
        try await Task.sleep(for: .milliseconds(300))
        try await s.stop()
        let end = try #require(try open.next(seconds: 60))
        #expect(end.name == "end" && end.id == "20007" && end.data.contains("reconnect with Last-Event-ID"), "\(end)")
    }

    static func post(_ s: RunningServer, _ path: String, _ body: String = "") async throws -> HTTPReply {
        try await HTTPConnection.request(s.address, "POST", path, headers: [("Content-Type", "application/json")], body: Array(body.utf8))
    }

    /// Everything a member's stream has now (it ends once caught up), and the position it ended at.
    static func drain(_ sock: String, _ path: String) throws -> (events: [EventStreamClient.Event], end: String?) {
        let stream = try EventStreamClient(socket: sock, path: path)
        defer { stream.close() }
        var events: [EventStreamClient.Event] = []
        while let e = try stream.next(seconds: 60) {
            if e.name == "end" { return (events, e.id) }
            if e.name == nil { events.append(e) }
        }
        return (events, nil)
    }

    @Test("A named subscription splits its accounts between its members, keeps what each acknowledged across a restart, sends again what was not, and refuses an acknowledgement of a position it never sent")
    func namedSubscriptions() async throws {
        let dir = TempDir()
        var s = try await RunningServer(in: dir)
        let sock = s.data + "/throughline.sock"
        let definition = #"{"name":"bot","types":["note.added"],"members":2}"#
        #expect(try await Self.post(s, "/v1/subscriptions", definition).status == 201)
        #expect(try await Self.post(s, "/v1/subscriptions", definition).status == 200)
        let other = try await Self.post(s, "/v1/subscriptions", #"{"name":"bot","members":3}"#)
        #expect(other.status == 400 && other.text.contains("exists with another definition"), "\(other.text)")
        let badName = try await Self.post(s, "/v1/subscriptions", #"{"name":"a b"}"#)
        #expect(badName.status == 400 && badName.text.contains("name:"))
        let lines = (1...40).map { noteLine($0, account: "acct-\($0 % 10)") } + [#"{"id":"u1","account":"acct-1","type":"account.updated","time":"2026-03-02T09:14:00Z","data":{"plan":"pro"}}"#]
        #expect(try await s.post(lines.joined(separator: "\n")).status == 200)

        let shares = try (0..<2).map { try Self.drain(sock, "/v1/subscriptions/bot/stream?member=\($0)&follow=false") }
        let accountsOf = shares.map { share in Set(share.events.compactMap { try? JSONParser.parse($0.data)["account"]?.scalarText }) }
        #expect(shares[0].events.count + shares[1].events.count == 40, "every note once, the account.updated to neither")
        #expect(accountsOf[0].isDisjoint(with: accountsOf[1]) && !accountsOf[0].isEmpty && !accountsOf[1].isEmpty, "\(accountsOf)")

        let never = try await Self.post(s, "/v1/subscriptions/bot/ack?member=0&position=99999")
        #expect(never.status == 400 && never.text.contains("was never sent to member 0"), "\(never.text)")
        let acked = try await Self.post(s, "/v1/subscriptions/bot/ack?member=0&position=\(try #require(shares[0].end))")
        #expect(acked.status == 200 && acked.text.contains(#""acknowledged":["41","0"]"#), "\(acked.text)")
        #expect(try await s.get("/v1/subscriptions/nobody").status == 404)
        let member = try EventStreamClient(socket: sock, path: "/v1/subscriptions/bot/stream?member=2")
        #expect(member.status == 400 && member.errorBody.contains("member: must be an integer from 0 to 1"))
        member.close()
        try await s.stop()

        // After a restart: member 0 goes on after what it acknowledged, member 1 gets its share again.
        s = try await RunningServer(in: dir)
        let late = noteLine(41, account: try #require(accountsOf[0].first))
        #expect(try await s.post(late).status == 200)
        let again = try (0..<2).map { try Self.drain(sock, "/v1/subscriptions/bot/stream?member=\($0)&follow=false") }
        #expect(again[0].events.map { try? JSONParser.parse($0.data)["id"]?.scalarText } == ["n-41"])
        #expect(again[1].events.count == shares[1].events.count)
        try await s.stop()
    }

    @Test("A consumer that stops reading is cut off after the stall time and says so in the log; ingest goes on; it resumes from the last id it received")
    func stalledConsumerCutOff() async throws {
        let log = LogCapture()
        let s = try await RunningServer(in: TempDir(), log: log) { $0.streamStall = .seconds(1) }
        let sock = s.data + "/throughline.sock"
        let stalled = try EventStreamClient(socket: sock, path: "/v1/events/stream?after=0")
        let bulk = (1...20_000).map { noteLine($0, account: "acct-\($0 % 50)", text: String(repeating: "y", count: 300)) }
        for start in stride(from: 0, to: bulk.count, by: 5_000) {
            #expect(try await s.post(bulk[start..<(start + 5_000)].joined(separator: "\n")).status == 200)
        }
        #expect(try await eventually(tries: 200) { log.entries.contains { $0.message.contains("stopped reading; cut off") } })
        // What reached it before the cut, then the end of the connection (no end event: it was not reading).
        var last = "0", received = 0
        while let e = try stalled.next(seconds: 30) {
            #expect(e.name == nil)
            last = e.id ?? last
            received += 1
        }
        #expect(received > 0 && received < bulk.count, "\(received)")
        let resumed = try EventStreamClient(socket: sock, path: "/v1/events/stream?follow=false", headers: [("Last-Event-ID", last)])
        var rest = 0
        while let e = try resumed.next(seconds: 30), e.name != "end" { rest += 1 }
        #expect(received + rest == bulk.count)
        try await s.stop()
    }
}
