import Foundation
import Testing
import TestSupport
import ThroughlineClient
import ThroughlineCore

/// Cohort patterns over a running server's read models: the API, the page, the CLI, and an
/// alert rule that fires on them.
@Suite("Patterns", .serialized)
struct PatternServerTests {
    static let alerts = """
        version: alerts-p
        rules:
          - id: ticket-wave
            trigger: {pattern: {metric: tickets, direction: up}}
        """

    /// Thirty accounts on three plans over fourteen weeks, each with a steady trickle of tickets
    /// of its own rate; a release to plan "team" at the start of the last full week, then three
    /// bug tickets from each of its accounts that week.
    static func lines() -> [String] {
        let today = Day(containing: Int64(Date().timeIntervalSince1970 * 1e6)).number
        let monday = TimelineBuilder.weekStart(CalendarDate(daysSinceEpoch: today)).daysSinceEpoch
        let lastFull = today - monday == 6 ? monday : monday - 7
        func iso(_ day: Int, _ hour: Int) -> String { Timestamp.utc(microseconds: (Int64(day) * 24 + Int64(hour)) * 3_600_000_000).description }
        var out: [String] = []
        let start = lastFull - 7 * 13
        for i in 0..<30 {
            let plan = ["team", "pro", "basic"][i % 3]
            out.append(#"{"id":"p\#(i)","account":"c\#(i)","type":"account.updated","time":"\#(iso(start, 8))","data":{"name":"C\#(i)","plan":"\#(plan)","arr":\#(10000 + i * 1000)}}"#)
            for day in stride(from: start, to: lastFull + 7, by: 1) where (day * 7 + i * 3) % (5 + i % 4) == 0 {
                out.append(#"{"id":"t\#(i)-\#(day)","account":"c\#(i)","type":"ticket.opened","time":"\#(iso(day, 10))","data":{"ticket_id":"T\#(i)-\#(day)","priority":"normal","category":"question"}}"#)
            }
            if plan == "team" {
                for k in 0..<3 {
                    out.append(#"{"id":"w\#(i)-\#(k)","account":"c\#(i)","type":"ticket.opened","time":"\#(iso(lastFull + 1 + k, 11))","data":{"ticket_id":"W\#(i)-\#(k)","priority":"high","category":"bug","subject":"Export fails since 9.0"}}"#)
                }
            }
        }
        out.append(#"{"id":"rel-9","account":"throughline:product","type":"product.released","time":"\#(iso(lastFull, 6))","data":{"version":"9.0","notes":"New exports","plans":["team"]}}"#)
        return out
    }

    @Test("a ticket wave on one plan after a release is a pattern of that plan (API, page, CLI), naming the release, its accounts and the tickets; an alert rule on patterns fires for each of its accounts; a release filed under a customer is refused")
    func waveAfterRelease() async throws {
        let dir = TempDir(), logs = TempDir()
        let sock = dir.path + "/throughline.sock", file = logs.path + "/alerts.yaml"
        try Self.alerts.write(toFile: file, atomically: true, encoding: .utf8)
        let server = try await ServeProcess.start(["--data", dir.path, "--alerts", file], log: logs.path + "/1.log", socket: sock)
        let lines = Self.lines()
        let posted = try results(try await HTTPConnection.request(.unix(sock), "POST", "/v1/events", headers: [("Content-Type", "application/x-ndjson")],
                                                                  body: Array(lines.joined(separator: "\n").utf8)))
        #expect(posted.allSatisfy { $0.status == "accepted" })
        let last = try #require(posted.last?.seq)
        _ = try await HTTPConnection.request(.unix(sock), "GET", "/v1/accounts/c0/timeline?min_seq=\(last)")

        let report = try json(try await HTTPConnection.request(.unix(sock), "GET", "/v1/patterns?weeks=4"))
        let cohorts = report["cohorts"]?.array ?? []
        let wave = try #require(cohorts.first { $0["metric"]?.stringValue?.hasPrefix("tickets") == true }, "\(report)")
        #expect(wave["field"] == .string("plan") && wave["value"] == .string("team") && wave["direction"] == .string("up")
                && wave["release"] == .string("9.0") && wave["accounts"]?.array?.count == 10, "\(wave)")
        #expect(cohorts.count == 1, "\(cohorts)")
        #expect(wave["seqs"]?.array?.first == .number(String(last)), "the release first: \(wave)")
        let page = try await HTTPConnection.request(.unix(sock), "GET", "/patterns").text
        #expect(page.contains("plan = team") && page.contains("release <b>9.0</b>"))

        // The alert rule fires once per account of the wave.
        #expect(try await eventually(tries: 300) { try await AlertTests.fired(sock).count >= 10 })
        let fired = try await AlertTests.fired(sock)
        #expect(fired.count == 10 && fired.allSatisfy { $0["data"]?["trigger"] == .string("pattern") }, "\(fired)")
        #expect(fired.first?["data"]?["reason"]?.stringValue?.contains("plan = team: tickets") == true, "\(fired)")
        // A release filed under a customer's account is refused, naming the account it belongs to.
        let refused = try results(try await HTTPConnection.request(.unix(sock), "POST", "/v1/events", headers: [("Content-Type", "application/x-ndjson")],
                                                                   body: Array(#"{"id":"rel-x","account":"c1","type":"product.released","time":"2026-01-01T00:00:00Z","data":{"version":"1"}}"#.utf8)))
        #expect(refused.first?.status == "rejected" && refused.first?.error?.contains(#"its account must be "throughline:product""#) == true, "\(refused)")
        #expect(try await server.stop() == 0)

        let cli = try await CLI.run(["patterns", "--data", dir.path])
        #expect(cli.status == 0 && cli.stdout.contains("plan = team: tickets") && cli.stdout.contains("after release 9.0"), "\(cli.stdout) \(cli.stderr)")
        let replay = try await CLI.run(["alerts", "replay", "--data", dir.path, "--alerts", file, "--json"])
        #expect(replay.status == 0, "\(replay.stderr)")
        let figures = try JSONParser.parse(replay.stdout)["figures"]?.array
        #expect(figures?.first?["firings"] == .number("10"), "\(replay.stdout)")
    }
}
