import Foundation
import Testing
import TestSupport
import ThroughlineClient
import ThroughlineCore

/// Rules switches are events (`rules.activated`): made by `rules activate` or `serve --rules`,
/// checked at ingest, applied by the projector, made again by a rebuild.
@Suite("Rules switches as events", .serialized)
struct RulesSwitchTests {
    static func rulesFile(_ version: String, in dir: TempDir) throws -> String {
        let path = dir.path + "/\(version).yaml"
        try String(contentsOfFile: CLI.repo + "/rules/health-v1.yaml", encoding: .utf8)
            .replacingOccurrences(of: "version: health-v1", with: "version: \(version)")
            .replacingOccurrences(of: "weight: 20", with: "weight: 35").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func activeRules(_ sock: String) async throws -> JSONValue? {
        try json(try await HTTPConnection.request(.unix(sock), "GET", "/v1/health"))["scores"]?["rules"]
    }

    @Test("rules activate switches the rules through the log; a switch whose text does not load, or filed under a customer, is refused naming the place; a restart with a replaced version's file does not switch back, rules activate does; a rebuild from nothing scores with the switched rules and answers the same")
    func switchesAreEvents() async throws {
        let dir = TempDir(), logs = TempDir()
        let sock = dir.path + "/throughline.sock"
        let file = logs.path + "/events.ndjson"
        try (scoredAccountLines("acme") + scoredAccountLines("bolt").map { $0.replacingOccurrences(of: #""id":""#, with: #""id":"b-"#) })
            .joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try await CLI.run(["import", "--data", dir.path, file]).status == 0)
        var server = try await ServeProcess.start(["--data", dir.path], log: logs.path + "/1.log", socket: sock)
        try await waitUntilProjected(.unix(sock))
        let shipped = try await Self.activeRules(sock)

        let v7 = try Self.rulesFile("health-v7", in: logs)
        let activated = try await CLI.run(["rules", "activate", "--socket", sock, v7])
        #expect(activated.status == 0 && activated.stdout.contains("rules health-v7 activated at seq"), "\(activated.stdout)\(activated.stderr)")
        #expect(try await eventually(tries: 1200) { try await Self.activeRules(sock) == .string("health-v7") })
        try await waitUntilProjected(.unix(sock))
        let switchedEvents = try await HTTPConnection.request(.unix(sock), "GET", "/v1/events?limit=10000").text
        #expect(switchedEvents.contains(#""type":"rules.activated""#) && switchedEvents.contains(#""version":"health-v7""#))
        // The rules account is no customer's.
        let portfolio = try await HTTPConnection.request(.unix(sock), "GET", "/v1/accounts?status=all").text
        #expect(!portfolio.contains("throughline:rules"))

        // Refused at ingest, each naming the place; the rules stay as they are.
        let bad = "version: x\\nbands: []\\nsignals:\\n  - signal: usage_trend\\n    weight: -1\\n"
        let lines = [
            #"{"id":"r-bad","account":"throughline:rules","type":"rules.activated","time":"2026-03-03T00:00:00Z","data":{"version":"x","text":"\#(bad)"}}"#,
            #"{"id":"r-acct","account":"acme","type":"rules.activated","time":"2026-03-03T00:00:00Z","data":{"version":"x","text":"\#(bad)"}}"#,
        ]
        let refused = try await HTTPConnection.request(.unix(sock), "POST", "/v1/events", headers: [("Content-Type", "application/x-ndjson")],
                                                       body: Array(lines.joined(separator: "\n").utf8))
        let errors = try results(refused).map { $0.error ?? "" }
        #expect(errors.count == 2 && errors[0].hasPrefix("data.text: line ") && errors[0].contains("line 5:13: signals[0].weight: must be ≥ 0"), "\(errors)")
        #expect(errors.count == 2 && errors[1].contains(#"its account must be "throughline:rules""#), "\(errors)")
        let missing = try await CLI.run(["rules", "activate", "--socket", sock, logs.path + "/none.yaml"])
        #expect(missing.status == 2 && missing.stderr.contains("cannot read"))
        #expect(try await server.stop() == 0)

        // A restart with the file of a version that was replaced goes on with the active rules.
        let shippedFile = CLI.repo + "/rules/health-v3.yaml"
        #expect(shipped == .string("health-v3"))
        server = try await ServeProcess.start(["--data", dir.path, "--rules", shippedFile], log: logs.path + "/2.log", socket: sock)
        try await waitUntilProjected(.unix(sock))
        #expect(try await Self.activeRules(sock) == .string("health-v7"))
        #expect(server.log.contains("these rules were replaced"))
        // rules activate switches back: every switch is its own act.
        let back = try await CLI.run(["rules", "activate", "--socket", sock, shippedFile])
        #expect(back.status == 0, "\(back.stderr)")
        #expect(try await eventually(tries: 1200) { try await Self.activeRules(sock) == .string("health-v3") })
        try await waitUntilProjected(.unix(sock))
        let live = try await ["acme", "bolt"].asyncMap { try await HTTPConnection.request(.unix(sock), "GET", "/v1/accounts/\($0)/scores?from=2026-01-01").text }
        let liveV7 = try await HTTPConnection.request(.unix(sock), "GET", "/v1/accounts/acme/scores?rules=health-v7&from=2026-01-01").text
        #expect(try await server.stop() == 0)

        // Read models built from nothing make the same switches: the same rules, the same answers.
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: dir.path + "/projections.sqlite" + suffix) }
        let rebuilt = try await CLI.run(["rebuild", "--data", dir.path])
        #expect(rebuilt.status == 0, "\(rebuilt.stderr)")
        server = try await ServeProcess.start(["--data", dir.path], log: logs.path + "/3.log", socket: sock)
        try await waitUntilProjected(.unix(sock))
        #expect(try await Self.activeRules(sock) == .string("health-v3"))
        let again = try await ["acme", "bolt"].asyncMap { try await HTTPConnection.request(.unix(sock), "GET", "/v1/accounts/\($0)/scores?from=2026-01-01").text }
        #expect(again == live)
        #expect(try await HTTPConnection.request(.unix(sock), "GET", "/v1/accounts/acme/scores?rules=health-v7&from=2026-01-01").text == liveV7)
        #expect(try await server.stop() == 0)
    }
}
