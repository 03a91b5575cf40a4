import Foundation
import Testing
import TestSupport

@Suite("throughline rules fit")
struct RulesFitCommandTests {
    @Test("Fits a rules file on a store, prints fit and validation figures beside the base rules', and the file checks and replays")
    func fitsAndValidates() throws {
        let dir = TempDir()
        let generated = try CLI.run(["generate", "--accounts", "150", "--days", "300", "--seed", "21", "--end", "2026-11-30"])
        #expect(try CLI.run(["import", "--data", dir.path + "/store", "-"], input: Data(generated.stdout.utf8)).status == 0)
        let out = dir.path + "/fitted.yaml"
        let fit = try CLI.run(["rules", "fit", "--data", dir.path + "/store", "--base", CLI.repo + "/rules/health-v1.yaml",
                               "--cut", "2026-08-01", "--version", "fitted-test", "--out", out, "--report", dir.path + "/fit-report"])
        #expect(fit.status == 0, "\(fit.stderr)")
        for part in ["cut 2026-08-01, horizon 120 days", "red below ", "chosen on the fit's accounts' weekly samples", "CSM overrides against what happened: to red ", "fit, before the cut:", "validation, after the cut:", "  fitted-test: ", "  health-v1: "] {
            #expect(fit.stdout.contains(part), "\(part) in \(fit.stdout)")
        }
        // The replay of both versions, as the what-if page shows it.
        let html = try String(contentsOfFile: dir.path + "/fit-report/report.html", encoding: .utf8)
        #expect(html.contains("Replay: fitted-test against health-v1") && html.contains("Early warning"))
        #expect(FileManager.default.fileExists(atPath: dir.path + "/fit-report/whatif.sqlite"))
        let text = try String(contentsOfFile: out, encoding: .utf8)
        #expect(text.contains("# validation, after the cut:") && text.contains("version: fitted-test"))
        let check = try CLI.run(["rules", "check", out])
        #expect(check.status == 0 && check.stdout.contains("rules fitted-test are valid"), "\(check.stdout) \(check.stderr)")
        let replay = try CLI.run(["replay", "--data", dir.path + "/store", "--rules", out, "--baseline", CLI.repo + "/rules/health-v1.yaml",
                                  "--out", dir.path + "/replay"])
        #expect(replay.status == 0 && replay.stdout.contains("fitted-test: 150 accounts"), "\(replay.stderr)")
        // No spill left behind, nothing written to the store.
        #expect(!FileManager.default.fileExists(atPath: out + ".spill"))
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/store/projections.sqlite"))
        #expect(!FileManager.default.fileExists(atPath: dir.path + "/store/replays"))

        let early = try CLI.run(["rules", "fit", "--data", dir.path + "/store", "--cut", "2026-02-10", "--out", dir.path + "/x.yaml"])
        #expect(early.status == 1 && early.stderr.contains("no churn (or nothing but churns) is known before 2026-02-10"), "\(early.stderr)")
        let bad = try CLI.run(["rules", "fit", "--data", dir.path + "/store", "--cut", "soon", "--out", dir.path + "/x.yaml"])
        #expect(bad.status != 0 && bad.stderr.contains("--cut must be a date YYYY-MM-DD, not soon"))
    }
}
