import Foundation
import Testing
import TestSupport
import ThroughlineClient
import ThroughlineCore

/// Events at every edge of the JSON Schemas (tools/extreme_events.py makes them and judges each
/// with a real JSON Schema validator): the server accepts exactly the valid ones, and every one
/// it accepts is folded, projected, scored, rendered, rebuilt and replayed without a failure.
@Suite("Events at the schemas' edges", .serialized)
struct ExtremeEventTests {
    static func generated() throws -> [(valid: Bool, line: String)] {
        let made = try CLI.run(program: "python3", [CLI.repo + "/tools/extreme_events.py", CLI.repo + "/schemas"])
        guard made.status == 0 else { throw TestFailure("tools/extreme_events.py failed: \(made.stderr)") }
        return try made.stdout.split(separator: "\n").map { row in
            let v = try JSONParser.parse(String(row))
            guard case .bool(let valid)? = v["valid"], case .string(let line)? = v["event"] else { throw TestFailure("bad row \(row)") }
            return (valid, line)
        }
    }

    /// Every read a CSM or a service makes of `account`, each answered 200.
    static func readAll(_ s: RunningServer, _ account: String) async throws -> [String: String] {
        let id = percentEncoded(account)
        var answers: [String: String] = [:]
        for path in ["/v1/accounts/\(id)/timeline?limit=500", "/v1/accounts/\(id)/context", "/v1/accounts/\(id)/context?at=1970-01-02",
                     "/v1/accounts/\(id)/scores", "/v1/accounts/\(id)/scores/explain", "/accounts/\(id)", "/v1/events?account=\(id)"] {
            var r = try await s.get(path)
            // An account merged into another answers where it went; the read follows it.
            if r.status == 308, let location = r.headers.first(where: { $0.name.lowercased() == "location" })?.value {
                #expect(location.hasSuffix(path.split(separator: "/").dropFirst(3).joined(separator: "/")) || path.hasPrefix("/accounts/"), "\(path) → \(location)")
                r = try await s.get(location)
            }
            #expect(r.status == 200, "\(path): \(r.status) \(r.text.prefix(300))")
            answers[path] = r.text
        }
        return answers
    }

    @Test("Exactly the schema-valid ones are accepted; all of them are projected, read, rendered, rebuilt and replayed")
    func edges() async throws {
        let events = try Self.generated()
        #expect(events.count > 300 && events.contains { $0.valid } && events.contains { !$0.valid })
        let dir = TempDir()
        var s = try await RunningServer(in: dir, dataFolder: "data")
        let reply = try await s.post(events.map(\.line).joined(separator: "\n"))
        let r = try results(reply)
        #expect(r.count == events.count)
        for (got, want) in zip(r, events) where (got.status == "accepted") != want.valid {
            Issue.record("line \(got.line): \(got.status) \(got.error ?? "") but the schema says \(want.valid ? "valid" : "invalid"): \(want.line.prefix(300))")
        }
        let last = try #require(r.compactMap(\.seq).max())
        _ = try await s.get("/v1/accounts/ext-note.added/timeline?min_seq=\(last)")
        // (A release belongs to no customer account: it has no timeline.)
        let accounts = Set(zip(r, events).filter { $0.0.status == "accepted" }.compactMap { try? JSONParser.parse($0.1.line)["account"]?.scalarText })
            .subtracting([ProductReleased.account])
        #expect(accounts.count >= 15)
        var before: [String: [String: String]] = [:]
        for account in accounts { before[account] = try await Self.readAll(s, account) }
        for page in ["/", "/?sort=arr&order=desc", "/v1/accounts?sort=score"] { #expect(try await s.get(page).status == 200, "\(page)") }
        let health = try json(try await s.get("/v1/health"))
        #expect(health["status"] == .string("ok"))
        #expect(int(health["projection_errors"]) == 0)
        try await s.stop()

        #expect(try await CLI.run(["rebuild", "--data", s.data]).status == 0)
        let replay = try await CLI.run(["replay", "--data", s.data, "--rules", CLI.repo + "/rules/health-v2.yaml", "--baseline", "active"])
        #expect(replay.status == 0, "\(replay.stderr)")
        #expect(try await CLI.run(["verify", "--data", s.data]).status == 0)

        s = try await RunningServer(in: dir, dataFolder: "data")
        for account in accounts {
            let after = try await Self.readAll(s, account)
            // Reads that do not depend on the clock give the same answers from the rebuilt models.
            for path in after.keys where path.contains("timeline") || path.contains("scores") || path.contains("events?") {
                #expect(after[path] == before[account]?[path], "\(path) after a rebuild")
            }
        }
        #expect(try await s.get("/replays/health-v2").status == 200)
        try await s.stop()
    }
}
