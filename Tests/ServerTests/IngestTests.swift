import EventLog
import Foundation
import Testing
import TestSupport
import ThroughlineClient
import ThroughlineCore

@Suite("POST /v1/events over the Unix socket")
struct IngestTests {
    @Test("Good lines land with their seqs, bad lines are named, and a catch-up read returns what landed")
    func ingestAndRead() async throws {
        let s = try await RunningServer()
        let body = [noteLine(1), #"{"id":"x","account":"a","type":"ticket.opened","time":"2026-03-02T09:14:00Z","data":{"ticket_id":"T1","subject":"s","priority":"asap"}}"#,
                    noteLine(2), noteLine(1)].joined(separator: "\n")
        let reply = try await s.post(body)
        #expect(reply.status == 207)
        let r = try results(reply)
        #expect(r.map(\.status) == ["accepted", "rejected", "accepted", "duplicate"])
        #expect(r.map(\.seq) == [1, nil, 2, 1])
        #expect(r[1].error == "data.priority: must be one of urgent, high, normal, low")
        let counts = try json(reply)
        #expect(int(counts["accepted"]) == 2 && int(counts["duplicate"]) == 1 && int(counts["rejected"]) == 1)

        let read = try await s.get("/v1/events?after=0&limit=10")
        #expect(read.status == 200)
        #expect(read.header("Content-Type") == "application/x-ndjson")
        let lines = read.text.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        #expect(lines[0].contains(#""id":"n-1""#) && lines[0].contains(#""seq":1"#) && lines[0].contains(#""recorded":"#))
        #expect(read.header("Throughline-Last-Seq") == "2")

        let health = try json(try await s.get("/v1/health"))
        #expect(int(health["last_seq"]) == 2)
        try await s.stop()
    }

    @Test("Every bad-input case of the log, in one request: per-line reasons, good lines stored, the connection keeps working")
    func badInputOverSocket() async throws {
        let s = try await RunningServer { $0.maxLineBytes = 400 }
        var lines: [[UInt8]] = [
            Array(noteLine(1).utf8),
            Array(#"{"id":"m1","account":"a","type":"note.added","time":"2026-03-02T09:14:00Z","data":{"author":"x""#.utf8),  // malformed JSON
            Array(#"{"id":"m2","account":"a","type":"note.added","data":{"author":"x","text":"y"}}"#.utf8),  // missing time
            Array(#"{"id":"m3","account":7,"type":"note.added","time":"2026-03-02T09:14:00Z","data":{"author":"x","text":"y"}}"#.utf8),
            Array(#"{"id":"m4","account":"a","type":"note.deleted","time":"2026-03-02T09:14:00Z","data":{}}"#.utf8),
            Array(#"{"id":"m5","account":"a","type":"note.added","time":"yesterday","data":{"author":"x","text":"y"}}"#.utf8),
            Array(noteLine(6, text: String(repeating: "x", count: 500)).utf8),  // over 400 bytes
            Array(#"{"id":"m7","account":"a","type":"note.added","time":"2026-03-02T09:14:00Z","data":{"author":"x","text":"\#u{FFFD}"}}"#.utf8),
            Array(#"{"id":"m8","account":"a","type":"note.added","time":"2026-03-02T09:14:00Z","seq":4,"data":{"author":"x","text":"y"}}"#.utf8),
            Array(noteLine(2).utf8),
            [],  // empty line: skipped
            Array(noteLine(2).utf8),  // same id again: duplicate
            Array(noteLine(2, text: "changed").utf8),  // same id, other content: conflict
        ]
        lines[7] = lines[7].map { $0 == 0xBD ? 0xFF : $0 }  // invalid UTF-8 inside the text
        var body: [UInt8] = []
        for l in lines { body += l + [0x0A] }
        try await HTTPConnection.open(s.address) { c in
            let reply = try await c.request("POST", "/v1/events", headers: [("Content-Type", "application/x-ndjson")], body: body)
            #expect(reply.status == 207)
            let r = try results(reply)
            #expect(r.map(\.line) == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13])
            #expect(r.map(\.status) == ["accepted", "rejected", "rejected", "rejected", "rejected", "rejected", "rejected",
                                        "rejected", "rejected", "accepted", "duplicate", "conflict"])
            #expect(r[1].error?.hasPrefix("invalid JSON at byte") == true)
            #expect(r[2].error == "time: is required")
            #expect(r[3].error?.hasPrefix("account: must be a string") == true)
            #expect(r[4].error?.contains("note.deleted") == true)
            #expect(r[5].error?.hasPrefix("time:") == true)
            #expect(r[6].error?.contains("over the 400-byte limit") == true)
            #expect(r[7].error?.contains("UTF-8") == true)
            #expect(r[8].error?.hasPrefix("seq:") == true)
            #expect(r[11].error == "conflict: this id is already stored at seq 2 with different content")
            // The same connection still serves.
            let again = try await c.request("POST", "/v1/events", headers: [("Content-Type", "application/x-ndjson")],
                                            body: Array(noteLine(3).utf8))
            #expect(again.status == 200)
            #expect(try results(again).map(\.seq) == [3])
        }
        try await s.stop()
    }

    @Test("A JSON array body is split into its elements; a broken array is a 400 naming the byte")
    func arrayBody() async throws {
        let s = try await RunningServer()
        let ok = try await s.post("[\n" + [noteLine(1), noteLine(2)].joined(separator: ",\n") + "\n]", type: "application/json; charset=utf-8")
        #expect(ok.status == 200)
        #expect(try results(ok).map(\.seq) == [1, 2])
        let tricky = try await s.post(#"[{"id":"q\"],[","account":"a","type":"note.added","time":"2026-03-02T09:14:00Z","data":{"author":"x","text":"[{,}]"}}]"#,
                                      type: "application/json")
        #expect(tricky.status == 200)
        // Two objects without a comma are one element, refused by the decoder.
        let joined = try await s.post("[" + noteLine(9) + " " + noteLine(10) + "]", type: "application/json")
        #expect(joined.status == 400)
        #expect(try results(joined).first?.error?.hasPrefix("invalid JSON at byte") == true)
        // Junk after the array: the elements before it land, the error names the byte.
        let trailing = try await s.post("[" + noteLine(9) + "] x", type: "application/json")
        #expect(trailing.status == 207)
        #expect(try results(trailing).map(\.status) == ["accepted"])
        #expect(try json(trailing)["error"] == .string("invalid JSON array at byte \(noteLine(9).utf8.count + 4): unexpected data after the closing ']'"))
        let notArray = try await s.post(noteLine(11), type: "application/json")
        #expect(notArray.status == 400)
        #expect(try json(notArray)["error"] == .string("invalid JSON array at byte 1: expected '[' to open the array"))
        try await s.stop()
    }

    @Test("Wrong content type is 415, an empty body 400, a body over the limit 413")
    func statusCodes() async throws {
        let s = try await RunningServer { $0.maxBodyBytes = 1000 }
        let wrong = try await s.post(noteLine(1), type: "text/plain")
        #expect(wrong.status == 415)
        #expect(wrong.errorMessage.contains("application/x-ndjson"))
        let missing = try await HTTPConnection.request(s.address, "POST", "/v1/events", body: Array(noteLine(1).utf8))
        #expect(missing.status == 415)
        let empty = try await s.post("\n\n")
        #expect(empty.status == 400)
        // Announced too large: refused before reading.
        let big = (1...20).map { noteLine($0) }.joined(separator: "\n")
        let announced = try await s.post(big)
        #expect(announced.status == 413)
        #expect(try await s.get("/v1/events").text.isEmpty)
        // Streamed without a length: cut at the limit, lines before it stored and reported.
        let streamed = try await HTTPConnection.open(s.address) { c in
            try await c.start("POST", "/v1/events", headers: [("Content-Type", "application/x-ndjson")])
            for i in 1...20 { try await c.send(Array((noteLine(i) + "\n").utf8)) }
            try await c.end()
            return try await c.response()
        }
        #expect(streamed.status == 413)
        let stored = try results(streamed).filter { $0.status == "accepted" }.count
        #expect(stored == 1000 / (noteLine(1).utf8.count + 1))
        #expect(try await s.get("/v1/events").text.split(separator: "\n").count == stored)
        try await s.stop()
    }

    @Test("Past the ingest queue's bound the server answers 503 with Retry-After; waiting requests get their turn")
    func backpressure() async throws {
        let s = try await RunningServer { o in
            o.maxActiveIngests = 1
            o.maxWaitingIngests = 1
        }
        // The first request holds the only turn while its body is still coming.
        let waiting = try await whileAnAppendIsServed(s, noteLine(1)) {
            // The second waits in the queue...
            let waiting = Task { try await s.post(noteLine(2)) }
            try await waitForHealth(s) { int($0["ingest_requests_waiting"]) == 1 }
            // ...and the third finds the queue full.
            let refused = try await s.post(noteLine(3))
            #expect(refused.status == 503)
            #expect(refused.header("Retry-After") == "1")
            return waiting
        }
        #expect(try await waiting.value.status == 200)
        let retried = try await s.post(noteLine(3))
        #expect(retried.status == 200)
        let metrics = try await s.get("/metrics").text
        #expect(metrics.contains("throughline_ingest_refused_busy_total 1"))
        try await s.stop()
    }

    @Test("The response comes only after the events are durable: a fresh store opened after stop holds them")
    func durableBeforeAnswer() async throws {
        let s = try await RunningServer()
        let body = (1...3000).map { noteLine($0) }.joined(separator: "\n")
        let reply = try await s.post(body)
        #expect(reply.status == 200)
        #expect(int(try json(reply)["last_seq"]) == 3000)
        try await s.stop()
        let snap = try LogInspector.snapshot(directory: s.dir.path).snapshot
        #expect(snap.lastSeq == 3000)
    }
}

func waitForHealth(_ s: RunningServer, _ ready: (JSONValue) -> Bool) async throws {
    for _ in 0..<400 {
        if ready(try json(try await s.get("/v1/health"))) { return }
        try await Task.sleep(for: .milliseconds(25))
    }
    throw TestFailure("the server never reached the awaited state")
}

/// Runs `body` while an append whose body is still coming (`line`, on a connection of its own)
/// keeps the node serving appends; then ends that append, which must be acknowledged.
func whileAnAppendIsServed<T: Sendable>(_ s: RunningServer, _ line: String, _ body: () async throws -> T) async throws -> T {
    try await HTTPConnection.open(s.address) { holder in
        try await holder.start("POST", "/v1/events", headers: [("Content-Type", "application/x-ndjson")])
        try await holder.send(Array((line + "\n").utf8))
        try await waitForHealth(s) { int($0["ingest_requests_active"]) == 1 }
        let result = try await body()
        try await holder.end()
        #expect(try await holder.response().status == 200)
        return result
    }
}
