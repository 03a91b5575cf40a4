import Foundation
import Projections
import Scoring
import Testing
import TestSupport
import ThroughlineClient
import ThroughlineCore

@Suite("Replay", .serialized)
struct ReplayTests {
    /// The store as a replay could change it: every file of the log and its index with its size
    /// and modification time, and the names in the data directory (the read models' own files
    /// change as the server's projector works, so only their presence is compared).
    static func files(_ dir: String) throws -> [String: String] {
        var out: [String: String] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: dir) { out[name] = "" }
        for sub in ["log", "index"] {
            for name in try FileManager.default.contentsOfDirectory(atPath: dir + "/" + sub) {
                let a = try FileManager.default.attributesOfItem(atPath: dir + "/" + sub + "/" + name)
                out[sub + "/" + name] = "\(a[.size] ?? 0) \(a[.modificationDate].map { "\($0)" } ?? "")"
            }
        }
        return out
    }

    @Test("An empty store replays and rebuilds without scores; a missing one is an error naming it")
    func emptyStore() async throws {
        let dir = TempDir()
        #expect(try await CLI.run(["import", "--data", dir.path, "-"], input: Data()).status == 0)
        let replay = try await CLI.run(["replay", "--data", dir.path, "--rules", CLI.repo + "/rules/health-v2.yaml", "--out", dir.path + "/r"])
        #expect(replay.status == 0, "\(replay.stderr)")
        #expect(replay.stdout.hasPrefix("health-v2: 0 accounts, 0 churned"))
        #expect(try await CLI.run(["rebuild", "--data", dir.path]).status == 0)
        let missing = try await CLI.run(["replay", "--data", dir.path + "/nothing", "--rules", CLI.repo + "/rules/health-v2.yaml"])
        #expect(missing.status == 2 && missing.stderr == "throughline: no store at \(dir.path)/nothing (no log directory in it)\n")
    }

    @Test("throughline replay reads the log while the server serves and ingests, writes nothing to the store, and gives byte-identical reports")
    func whileServing() async throws {
        let s = try await RunningServer()
        let lines = try await CLI.run(["generate", "--accounts", "6", "--days", "150", "--seed", "4"]).stdout
        _ = try await s.post(lines)
        try await waitUntilProjected(s.address)
        let before = try Self.files(s.data)
        let out1 = TempDir(), out2 = TempDir()
        let v2 = out1.path + "/v2.yaml"
        try String(contentsOfFile: CLI.repo + "/rules/health-v1.yaml", encoding: .utf8)
            .replacingOccurrences(of: "version: health-v1", with: "version: health-v2").replacingOccurrences(of: "weight: 20", with: "weight: 40")
            .write(toFile: v2, atomically: true, encoding: .utf8)
        let first = try await CLI.run(["replay", "--data", s.data, "--rules", v2, "--baseline", "active", "--out", out1.path + "/r"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.hasPrefix("health-v2: 6 accounts, "))
        #expect(first.stdout.contains("\nhealth-v3: 6 accounts, "))
        #expect(first.stderr.contains("wrote \(out1.path)/r/report.html, report.json, whatif.sqlite and CSV tables"))
        #expect(try Self.files(s.data) == before)
        for table in ["bands_by_week.csv", "lead_times.csv", "horizons.csv", "band_differences.csv"] {
            #expect(FileManager.default.fileExists(atPath: out1.path + "/r/" + table), "\(table)")
        }
        let html = try String(contentsOfFile: out1.path + "/r/report.html", encoding: .utf8)
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains("<h1>Replay: health-v2 against health-v3</h1>"))
        #expect(html.components(separatedBy: "<svg").count == 5)  // bands of each version, lead times, precision and recall
        #expect(!html.contains("src=") && !html.contains("<script") && !html.contains("<link"))  // self-contained
        let horizons = try String(contentsOfFile: out1.path + "/r/horizons.csv", encoding: .utf8).split(separator: "\n")
        #expect(horizons.first == "rules,days,true_positives,false_positives,false_negatives,true_negatives,precision,recall,f1")
        #expect(horizons.count == 7 && horizons[1].hasPrefix("health-v2,30,") && horizons[4].hasPrefix("health-v3,30,"))

        // Again while another client appends: the replay reads a prefix of the log, whole.
        let more = (1...300).map { noteLine($0, account: "acct-00001", text: "more") }.joined(separator: "\n")
        async let appending = s.post(more)
        let second = try await CLI.run(["replay", "--data", s.data, "--rules", v2, "--baseline", "active", "--out", out2.path + "/r"])
        _ = try await appending
        #expect(second.status == 0)
        let text = try String(contentsOfFile: out2.path + "/r/report.json", encoding: .utf8)
        let report = try JSONParser.parse(text)
        // Every event of the prefix, less the generator's release, which belongs to no account.
        let releases = lines.split(separator: "\n").filter { $0.contains(#""type":"product.released""#) }.count
        #expect(int(report["log"]?["events"]).map { $0 + releases } == int(report["log"]?["last_seq"]))
        // The typed report reads back from the file and from the what-if store alike, and writes the same bytes again.
        let typed = try JSONValueDecoder.decode(ReplayReport.self, from: text)
        #expect(try WhatIfStore.storedReport(in: out2.path + "/r") == typed)
        #expect(JSONWriter.string(try typed.json()) + "\n" == text)
        #expect(typed.versions.map(\.rules) == ["health-v2", "health-v3"] && typed.bandDifferences?.rules == ["health-v2", "health-v3"])
        let third = try await CLI.run(["replay", "--data", s.data, "--rules", v2, "--baseline", "active", "--out", out2.path + "/r"])
        let fourth = try await CLI.run(["replay", "--data", s.data, "--rules", v2, "--baseline", "active", "--out", out1.path + "/r"])
        #expect(third.status == 0 && fourth.status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: out1.path + "/r/report.json")) == Data(contentsOf: URL(fileURLWithPath: out2.path + "/r/report.json")))
        #expect(try await s.get("/v1/accounts/acct-00001/timeline?limit=1").status == 200)

        let same = try await CLI.run(["replay", "--data", s.data, "--rules", CLI.repo + "/rules/health-v3.yaml", "--baseline", "active", "--out", out2.path + "/x"])
        #expect(same.status != 0 && same.stderr.contains("the baseline has the same version as --rules (health-v3)"))
        try await s.stop()
    }
}
