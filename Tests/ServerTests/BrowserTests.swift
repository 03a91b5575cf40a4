import Foundation
import Testing
import TestSupport
import ThroughlineClient
import ThroughlineCore

/// Headless Chromium, if installed (`tools/test` installs Debian's `chromium` and sets
/// THROUGHLINE_REQUIRE_BROWSER=1, so in CI a missing browser fails the test instead of skipping it).
enum Browser {
    static let path: String? = ["chromium", "chromium-browser", "google-chrome"].lazy.compactMap { name in
        (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":").map { "\($0)/\(name)" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }.first
    static let required = ProcessInfo.processInfo.environment["THROUGHLINE_REQUIRE_BROWSER"] == "1"

    /// Runs the browser headless on `url` with `args` (at most 90 s).
    static func run(_ args: [String], _ url: String, profile: String) async throws -> CLI.Result {
        guard let path else { throw TestFailure("no chromium on PATH; install Debian's chromium package (tools/test does)") }
        return try await CLI.run(program: "timeout", ["90", path, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                                      "--user-data-dir=\(profile)", "--window-size=1280,2200"] + args + [url])
    }
}

@Suite("In a browser", .serialized, .enabled(if: Browser.path != nil || Browser.required))
struct BrowserTests {
    @Test("Headless Chromium renders the portfolio, a generated account's page (score chart, timeline; a screenshot taken) and the what-if report")
    func accountPage() async throws {
        let s = try await RunningServer { $0.listen = ("127.0.0.1", 0) }
        let lines = try await CLI.run(["generate", "--accounts", "4", "--days", "120", "--seed", "7"]).stdout
        let last = try #require(int(try json(try await s.post(lines))["last_seq"]))
        let portfolio = try json(try await s.get("/v1/accounts?sort=account&min_seq=\(last)"))
        let account = try #require(portfolio["accounts"]?.arrayValue?.first?["account"]?.stringValue)
        #expect(try await s.get("/v1/accounts/\(account)/scores?min_seq=\(last)").status == 200)
        let port = try await s.tcpPort()
        let base = "http://127.0.0.1:\(port)"
        let url = base + "/accounts/\(percentEncoded(account))"

        let portfolioDOM = try await Browser.run(["--dump-dom"], base + "/?sort=score", profile: s.dir.path + "/chromium")
        #expect(portfolioDOM.stdout.contains("<table id=\"portfolio\">") && portfolioDOM.stdout.contains("<svg class=\"spark\""))
        #expect(portfolioDOM.stdout.contains("<a href=\"/accounts/\(percentEncoded(account))\">\(account)</a>"))

        let dom = try await Browser.run(["--dump-dom"], url, profile: s.dir.path + "/chromium")
        #expect(dom.status == 0, "\(dom.stderr.suffix(2000))")
        // The DOM as the browser built it: the chart with its lines, the reasons, timeline items.
        #expect(dom.stdout.contains("<svg id=\"score-chart\""))
        #expect(dom.stdout.contains("<polyline class=\"band-"))
        #expect(dom.stdout.components(separatedBy: "<li class=\"item\"").count > 10)
        #expect(dom.stdout.contains("<form class=\"entry\" id=\"note-form\""))

        let shot = s.dir.path + "/account.png"
        let screenshot = try await Browser.run(["--screenshot=\(shot)"], url, profile: s.dir.path + "/chromium")
        #expect(screenshot.status == 0, "\(screenshot.stderr.suffix(2000))")
        let png = try Data(contentsOf: URL(fileURLWithPath: shot))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 20_000)

        let replay = try await CLI.run(["replay", "--data", s.data, "--rules", CLI.repo + "/rules/health-v2.yaml", "--baseline", "active"])
        #expect(replay.status == 0, "\(replay.stderr)")
        let report = try await Browser.run(["--dump-dom"], base + "/replays/health-v2", profile: s.dir.path + "/chromium")
        #expect(report.stdout.contains("<h1>Replay: health-v2 against health-v3</h1>") && report.stdout.components(separatedBy: "<svg").count >= 4)
        try await s.stop()
    }
}
