import Foundation
import Testing
import TestSupport

@Suite("throughline rules check")
struct RulesCommandTests {
    @Test("A valid file exits 0 with a summary; a bad one exits 1 listing each problem as FILE:LINE:COLUMN; a missing one exits 2")
    func check() throws {
        let ok = try CLI.run(["rules", "check", CLI.repo + "/rules/health-v1.yaml"])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.contains("rules health-v1 are valid: 12 signals, total weight 100; red 0–40, yellow 40–70, green 70–100"))

        let dir = TempDir()
        let bad = dir.path + "/bad.yaml"
        try """
            version: bad
            bands:
              - {band: red, min: 0, max: 50}
              - {band: green, min: 40, max: 100}
            signals:
              - {signal: nps, group: relationship, weight: -1}
            """.write(toFile: bad, atomically: true, encoding: .utf8)
        let refused = try CLI.run(["rules", "check", bad])
        #expect(refused.status == 1)
        #expect(refused.stderr == """
            \(bad):4:5: bands: red (0–50) overlaps green (40–100)
            \(bad):6:48: signals[0].weight: must be ≥ 0, not -1
            \(bad): 2 problems

            """)
        #expect(try CLI.run(["rules", "check", dir.path + "/none.yaml"]).status == 2)
    }
}
