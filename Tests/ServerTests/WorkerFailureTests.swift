import Foundation
import GRDB
import Logging
import Projections
import Testing
import TestSupport
import ThroughlineClient
import ThroughlineCore

/// The projector and the scorer run as services of the server: when one gives up, the server
/// keeps storing appends and says what stopped, in health, the metrics, the reads and the log.
@Suite("Supervised workers")
struct WorkerFailureTests {
    @Test("A projector that fails for good: health 503 naming it, a metrics gauge, stale reads marked, min_seq answered at once, the log says why; appends still land")
    func projectorStops() async throws {
        let log = LogCapture()
        let s = try await RunningServer(in: TempDir(), log: log) { $0.workerAttempts = 2 }
        #expect(try await s.post((1...10).map { noteLine($0) }.joined(separator: "\n")).status == 200)
        #expect(try await eventually(tries: 600) { int(try json(try await s.get("/v1/health"))["projected_seq"]) == 10 })
        #expect(try await s.get("/v1/accounts/acme/timeline").header("Throughline-Stale") == nil)

        // Damage the read models in a way retrying does not cure, and only for the projector: a
        // trigger refuses every note (the scorer writes no notes, so it keeps running).
        // The scorer may be writing: wait for the write lock as the server's own connections do.
        var waits = Configuration()
        waits.busyMode = .timeout(60)
        let readModels = try DatabaseQueue(path: s.server.projections.path, configuration: waits)
        try await readModels.write {
            try $0.execute(sql: "CREATE TRIGGER refuse_notes BEFORE INSERT ON notes BEGIN SELECT RAISE(ABORT, 'notes refused by the test'); END")
        }
        try await readModels.close()

        let append = try await s.post((11...20).map { noteLine($0) }.joined(separator: "\n"))
        #expect(append.status == 200)
        #expect(try await eventually(tries: 300) { try await s.get("/v1/health").status == 503 })
        let health = try await s.get("/v1/health")
        let body = try json(health)
        #expect(body["status"] == .string("failing"))
        #expect(body["projector"]?["state"] == .string("stopped"))
        #expect(body["projector"]?["reason"].map { JSONWriter.string($0).contains("notes refused by the test") } == true)
        #expect(body["scorer"]?["state"] == .string("running"))
        #expect(int(body["projected_seq"]) == 10)
        #expect(int(body["last_seq"]) == 20)

        let metrics = try await s.get("/metrics").text.split(separator: "\n")
        func gauge(_ state: String) -> String? {
            metrics.first { $0.hasPrefix("throughline_worker_state{") && $0.contains(#"worker="projector""#) && $0.contains(#"state="\#(state)""#) }
                .map { String($0.split(separator: " ").last ?? "") }
        }
        #expect(gauge("stopped").flatMap(Double.init) == 1)
        #expect(gauge("running").flatMap(Double.init) == 0)

        // Reads still answer, from the read models as they stand, and say they are stale.
        let timeline = try await s.get("/v1/accounts/acme/timeline")
        #expect(timeline.status == 200)
        let stale = try #require(timeline.header("Throughline-Stale"))
        #expect(stale.contains("at seq 10 of 20") && stale.contains("projector stopped"))
        #expect(try await s.get("/accounts/acme").header("Throughline-Stale") != nil)
        #expect(try await s.get("/v1/events?limit=1").header("Throughline-Stale") == nil)
        // A read that waits for a seq the read models will not reach is answered at once.
        let waiting = try await s.get("/v1/accounts/acme/timeline?min_seq=20")
        #expect(waiting.status == 503)
        #expect(JSONWriter.string(try json(waiting)["error"] ?? .null).contains("projector stopped"))

        #expect(try await s.post(noteLine(21)).status == 200)
        #expect(log.entries.contains { $0.level == .critical && $0.metadata["worker"] == "projector" && $0.message.contains("stopped") })
        try await s.stop()
    }
}
