import Testing
import TestSupport
import ThroughlineClient
import ThroughlineCore

/// Acknowledging appends comes first: while appends are being served the projector waits before
/// its next batch (`serve --projector-yield`), but never keeps a reader of its own write waiting.
@Suite("Projector yields to ingest")
struct ProjectorYieldTests {
    @Test("While an append is being served the projector waits and health says so; a read with min_seq is answered anyway; the read models catch up once the appends end")
    func yieldsToAppends() async throws {
        let s = try await RunningServer { $0.projectorYield = .seconds(600) }
        #expect(try await s.post(noteLine(1)).status == 200)
        try await waitForHealth(s) { int($0["projected_seq"]) == 1 && $0["projector_yielding"] == .bool(false) }

        // An append whose body is still coming keeps the node serving appends.
        try await whileAnAppendIsServed(s, noteLine(2)) {
            let reply = try await s.post((3...5).map { noteLine($0) }.joined(separator: "\n"))
            #expect(reply.status == 200)
            let last = try #require(int(try json(reply)["last_seq"]))

            try await waitForHealth(s) { $0["projector_yielding"] == .bool(true) }
            let health = try json(try await s.get("/v1/health"))
            #expect(int(health["projected_seq"]) == 1)
            #expect(int(health["last_seq"]) == last)
            // Without min_seq the read models answer as they are: the first note only.
            #expect(try await timelineNotes(s, "") == 1)

            // A reader waiting for the appends it made does not wait for the appends to end.
            #expect(try await timelineNotes(s, "?min_seq=\(last)") == 4)
        }
        try await waitForHealth(s) { h in
            int(h["projected_seq"]) == 5 && int(h["last_seq"]) == 5 && h["projector_yielding"] == .bool(false)
        }
        #expect(try await timelineNotes(s, "") == 5)
        try await s.stop()
    }

    @Test("Read models far behind wait for the appends being served to end, not a batch per yield, then are rebuilt in bulk; a reader of its own write is answered meanwhile")
    func farBehindWaitsForTheLoadToEnd() async throws {
        let log = LogCapture()
        let s = try await RunningServer(in: TempDir(), log: log) {
            $0.projectorYield = .milliseconds(50)
            $0.rebuildBehind = 4
        }
        #expect(try await s.post(noteLine(1)).status == 200)
        try await waitForHealth(s) { int($0["projected_seq"]) == 1 }

        try await whileAnAppendIsServed(s, noteLine(2)) {
            // 20 events behind a log of 21: far behind (at least 4, and a quarter of the log).
            let reply = try await s.post((3...22).map { noteLine($0) }.joined(separator: "\n"))
            #expect(reply.status == 200)
            try await waitForHealth(s) { $0["projector_yielding"] == .bool(true) }
            // Twenty times the longest yield: a projector that followed would have applied them.
            try await Task.sleep(for: .seconds(1))
            let health = try json(try await s.get("/v1/health"))
            #expect(int(health["projected_seq"]) == 1)
            #expect(health["projector_yielding"] == .bool(true))
            // A reader waiting for its own write is not left to the end of the load.
            #expect(try await timelineNotes(s, "?min_seq=21") == 21)

            // Far behind again (20 of 41), and left alone again until the load ends.
            let more = try await s.post((23...42).map { noteLine($0) }.joined(separator: "\n"))
            #expect(more.status == 200)
            try await Task.sleep(for: .seconds(1))
            #expect(int(try json(try await s.get("/v1/health"))["projected_seq"]) == 21)
        }
        try await waitForHealth(s) { int($0["projected_seq"]) == 42 && $0["projector_rebuilding"] == .bool(false) }
        #expect(try await timelineNotes(s, "") == 42)
        #expect(log.entries.contains { $0.message.contains("far behind the log") })
        try await s.stop()
    }

    @Test("With --projector-yield 0 the projector applies appends while others are being served")
    func neverYields() async throws {
        let s = try await RunningServer { $0.projectorYield = .zero }
        try await whileAnAppendIsServed(s, noteLine(1)) {
            let reply = try await s.post(noteLine(2))
            let last = try #require(int(try json(reply)["last_seq"]))
            try await waitForHealth(s) { int($0["projected_seq"]) == last }
            #expect(try json(try await s.get("/v1/health"))["projector_yielding"] == .bool(false))
        }
        try await s.stop()
    }

    /// The items on acme's timeline (a note each), read with `query`.
    private func timelineNotes(_ s: RunningServer, _ query: String) async throws -> Int {
        let reply = try await s.get("/v1/accounts/acme/timeline" + query)
        guard reply.status == 200, case .array(let items)? = try json(reply)["items"] else { throw TestFailure("timeline\(query): \(reply.status) \(reply.text)") }
        return items.count
    }
}
