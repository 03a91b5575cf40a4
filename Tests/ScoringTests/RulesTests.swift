import Foundation
import Scoring
import Testing
import TestSupport
import ThroughlineCore

@Suite("Rules files")
struct RulesTests {
    static let repoPath = CLI.repo

    static func shipped(_ name: String) throws -> String {
        try String(contentsOfFile: CLI.repo + "/rules/" + name, encoding: .utf8)
    }

    /// The hand-written health-v1 (bands 40 and 70, no hysteresis), for counts by hand.
    static func healthV1() throws -> Rules { try Rules.load(yaml: try shipped("health-v1.yaml"), file: "health-v1.yaml") }

    /// The problems `yaml` is refused with, as `line:column: path: message`.
    static func problems(_ yaml: String) -> [String] {
        do {
            _ = try Rules.load(yaml: yaml, file: "r.yaml")
            return []
        } catch let error as RulesError {
            return error.problems.map(\.description)
        } catch {
            return ["unexpected \(error)"]
        }
    }

    static let bands = """
        bands:
          - {band: red, min: 0, max: 40}
          - {band: yellow, min: 40, max: 70}
          - {band: green, min: 70, max: 100}
        """

    @Test("The shipped health-v1 weighs the twelve signals of its time, its weights add up to 100, and its bands split 0–100")
    func shippedV1() throws {
        let rules = try Rules.load(yaml: try Self.shipped("health-v1.yaml"), file: "health-v1.yaml")
        #expect(rules.version == "health-v1")
        // Rules versions are immutable: signals added later (usage_slope, contact_cadence, usage_level) are not in it.
        #expect(Set(rules.signals.map(\.kind)) == Set(SignalKind.allCases).subtracting([.usageSlope, .contactCadence, .usageLevel]))
        #expect(rules.signals.reduce(0) { $0 + $1.weight } == 100)
        #expect(rules.band(of: 0) == .red && rules.band(of: 39.9) == .red && rules.band(of: 40) == .yellow)
        #expect(rules.band(of: 70) == .green && rules.band(of: 100) == .green)
        let usage = try #require(rules.signals.first { $0.kind == .usageTrend })
        #expect(usage.parameters["recent_days"] == 7 && usage.parameters["baseline_days"] == 28)
    }

    @Test("The rules carried in the binary are the shipped rules/health-v3.yaml, byte for byte")
    func defaultIsShipped() throws {
        #expect(DefaultRules.text + "\n" == (try Self.shipped("health-v3.yaml")))
        #expect(DefaultRules.load() == (try Rules.load(yaml: try Self.shipped("health-v3.yaml"), file: "health-v3.yaml")))
        // health-v3 warns early without flapping: a band moves only after days outside it.
        #expect(DefaultRules.load().version == "health-v3" && DefaultRules.load().hysteresis != nil)
    }

    @Test("Parameters left out take their defaults")
    func defaults() throws {
        let rules = try Rules.load(yaml: "version: 2\n\(Self.bands)\nsignals:\n  - {signal: nps, weight: 1, group: relationship}\n", file: "r.yaml")
        #expect(rules.version == "2")
        #expect(rules.signals[0].parameters == ["lookback_days": 180, "detractor_max": 6, "promoter_min": 9])
    }

    @Test("Unknown signal, negative weight, bad window, unknown parameter, repeated signal, unknown key: each named at its place")
    func badSignals() {
        let yaml = """
            version: bad
            \(Self.bands)
            signals:
              - {signal: usage_trendz, group: adoption, weight: 20}
              - {signal: nps, group: relationship, weight: -3}
              - signal: usage_trend
                group: adoption
                weight: five
                params: {recent_days: 0, baseline_dayz: 28, full_drop_pct: 2.5}
              - {signal: nps, group: x, weight: 1}
            colour: blue
            """
        #expect(Self.problems(yaml) == [
            "7:14: signals[0].signal: unknown signal usage_trendz (known: \(SignalKind.names.joined(separator: ", ")))",
            "8:48: signals[1].weight: must be ≥ 0, not -3",
            "11:13: signals[2].weight: must be a number",
            "12:27: signals[2].params.recent_days: must be a whole number of days from 1 to 730, not 0",
            "12:30: signals[2].params: unknown key baseline_dayz (expected recent_days, baseline_days, full_drop_pct)",
            "13:5: signals[3]: nps is already weighed by signals[1]",
            "14:1: unknown key colour (expected version, bands, signals, description, caps, hysteresis)",
        ])
    }

    @Test("Overlapping bands, a gap, a missing band edge and a repeated band are refused")
    func badBands() {
        func bands(_ lines: String) -> [String] {
            Self.problems("version: b\nbands:\n\(lines)\nsignals:\n  - {signal: nps, weight: 1, group: g}\n")
        }
        #expect(bands("  - {band: red, min: 0, max: 50}\n  - {band: green, min: 40, max: 100}")
            == ["4:5: bands: red (0–50) overlaps green (40–100)"])
        #expect(bands("  - {band: red, min: 0, max: 30}\n  - {band: green, min: 40, max: 100}")
            == ["4:5: bands: no band covers scores from 30 to 40"])
        #expect(bands("  - {band: red, min: 10, max: 50}\n  - {band: green, min: 50, max: 90}")
            == ["3:5: bands: no band covers scores from 0 to 10", "4:5: bands: no band covers scores from 90 to 100"])
        #expect(bands("  - {band: red, min: 0, max: 50}\n  - {band: red, min: 50, max: 100}")
            == ["4:5: bands[1]: band red is already given by bands[0]"])
        #expect(bands("  - {band: blue, min: 0, max: 100}") == ["3:12: bands[0].band: must be green, yellow or red, not blue"])
        #expect(bands("  - {band: red, min: 60, max: 20}") == ["3:5: bands[0]: min and max must satisfy 0 ≤ min < max ≤ 100, not 60 and 20"])
    }

    @Test("Missing keys, all-zero weights, bad YAML and an empty file are refused with a place")
    func badFiles() {
        #expect(Self.problems("version: x\n") == ["1:1: bands is missing", "1:1: signals is missing"])
        #expect(Self.problems("version: x\n\(Self.bands)\nsignals:\n  - {signal: nps, weight: 0, group: g}\n")
            == ["7:3: signals: at least one signal needs a weight above 0"])
        #expect(Self.problems("version: [unclosed\n").first?.hasPrefix("2:1: not valid YAML") == true)
        #expect(Self.problems("") == ["1:1: the file is empty"])
    }

    @Test("The JSON Schema and schemas/rules.md name the same signals and parameters (with defaults) as the signals declare; the schema accepts the shipped rules")
    func schemaAgrees() throws {
        let path = CLI.repo + "/schemas/rules.schema.json"
        let schema = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        let defs = try #require(schema["$defs"] as? [String: Any])
        let signal = try #require(defs["signal"] as? [String: Any])
        let properties = try #require(signal["properties"] as? [String: Any])
        let kinds = try #require(properties["signal"] as? [String: Any])
        #expect(kinds["enum"] as? [String] == SignalKind.names)
        // A cap names one of the same signals.
        let caps = ((schema["properties"] as? [String: Any])?["caps"] as? [String: Any])?["items"] as? [String: Any]
        #expect(((caps?["properties"] as? [String: Any])?["signal"] as? [String: Any])?["enum"] as? [String] == SignalKind.names)
        var params: [String: Set<String>] = [:]
        for case let rule as [String: Any] in try #require(signal["allOf"] as? [Any]) {
            let name = ((rule["if"] as? [String: Any])?["properties"] as? [String: Any])?["signal"] as? [String: Any]
            let then = ((rule["then"] as? [String: Any])?["properties"] as? [String: Any])?["params"] as? [String: Any]
            if let n = name?["const"] as? String, let p = then?["properties"] as? [String: Any] { params[n] = Set(p.keys) }
        }
        #expect(params == Dictionary(uniqueKeysWithValues: SignalKind.allCases.map { ($0.rawValue, Set($0.parameters.map(\.name))) }))

        // schemas/rules.md's table of signals: each row names a signal and its parameters with
        // their defaults, in the order the signal declares them.
        let doc = try String(contentsOfFile: CLI.repo + "/schemas/rules.md", encoding: .utf8)
        let rows = doc.split(separator: "\n").filter { $0.hasPrefix("| `") }.map { row in
            let cells = row.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            return (cells[1].trimmingCharacters(in: CharacterSet(charactersIn: "`")), cells[2])
        }
        #expect(rows.map(\.0) == SignalKind.names)
        for (name, parameters) in rows {
            let kind = try #require(SignalKind(rawValue: name))
            let documented = kind.parameters.map { "`\($0.name)` (\(NumberText.plain($0.defaultValue)))" }.joined(separator: ", ")
            #expect(parameters == documented, "\(name)")
        }

        let check = try CLI.run(program: "/usr/bin/env", ["python3", "-c", """
            import json, sys, glob, yaml, jsonschema
            schema = json.load(open(sys.argv[1]))
            for f in sorted(glob.glob(sys.argv[2] + '/health-*.yaml')):
                jsonschema.validate(yaml.safe_load(open(f)), schema)
                print(f)
            """, path, CLI.repo + "/rules"])
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.contains("health-v1.yaml") && check.stdout.contains("health-v2.yaml"))
        let v2 = try Rules.load(yaml: try Self.shipped("health-v2.yaml"), file: "health-v2.yaml")
        #expect(v2.version == "health-v2" && v2.band(of: 44.9) == .red && v2.band(of: 45) == .yellow)
    }
}
