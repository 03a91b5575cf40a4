import Foundation
import Testing
import ThroughlineCore

/// The schema files and the Swift model must accept exactly the same events.
@Suite struct SchemaAgreementTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let examples = repo.appendingPathComponent("schemas/examples")

    static func pythonVerdicts() throws -> [String: Bool] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", repo.appendingPathComponent("tools/validate_examples.py").path, repo.appendingPathComponent("schemas").path]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errText = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw CLIFailure("tools/validate_examples.py failed (\(p.terminationStatus)): \(errText)")
        }
        return try JSONDecoder().decode([String: Bool].self, from: data)
    }

    static func exampleFiles() throws -> [String] {
        let e = FileManager.default.enumerator(atPath: examples.path)!
        return e.compactMap { $0 as? String }.filter { $0.hasSuffix(".json") }.sorted()
    }

    @Test func everyExampleIsJudgedTheSameBySchemaAndSwiftModel() throws {
        let verdicts = try Self.pythonVerdicts()
        let files = try Self.exampleFiles()
        #expect(files.count >= 13 * 4)
        #expect(Set(verdicts.keys) == Set(files))
        for file in files {
            let text = try String(contentsOf: Self.examples.appendingPathComponent(file), encoding: .utf8)
            let swiftAccepts: Bool
            var reason = ""
            do {
                _ = try EventDecoder.decode(text)
                swiftAccepts = true
            } catch {
                swiftAccepts = false
                reason = error.description
            }
            let expected = (file as NSString).lastPathComponent.hasPrefix("valid")
            #expect(verdicts[file] == expected, "schema verdict on \(file)")
            #expect(swiftAccepts == expected, "Swift verdict on \(file): \(reason)")
        }
    }

    @Test func everyTypeHasValidAndInvalidExamples() throws {
        let files = try Self.exampleFiles()
        for type in EventType.allCases {
            let mine = files.filter { $0.hasPrefix(type.rawValue + "/") }
            #expect(mine.contains { ($0 as NSString).lastPathComponent.hasPrefix("valid") }, "\(type.rawValue) has a valid example")
            #expect(mine.filter { ($0 as NSString).lastPathComponent.hasPrefix("invalid") }.count >= 3, "\(type.rawValue) has invalid examples")
        }
    }

    @Test func invalidExamplesNameTheField() throws {
        let cases: [(String, String)] = [
            ("ticket.opened/invalid-priority.json", "data.priority: must be one of urgent, high, normal, low"),
            ("ticket.opened/invalid-missing-ticket-id.json", "data.ticket_id: is required"),
            ("call.completed/invalid-sentiment-range.json", "data.sentiment: must be at most 1"),
            ("usage.recorded/invalid-feature-count.json", "data.features.exports: must be at least 0"),
            ("envelope/invalid-unknown-type.json", "type: unknown event type \"ticket.reopened\""),
            ("envelope/invalid-seq-sent.json", "seq: is assigned by the server"),
            ("envelope/invalid-time-no-offset.json", "time: must be an RFC 3339 date-time with offset"),
            ("account.updated/invalid-consent-type.json", "data.consent.email: must be true or false"),
        ]
        for (file, message) in cases {
            let text = try String(contentsOf: Self.examples.appendingPathComponent(file), encoding: .utf8)
            #expect(throws: ValidationError.self) { try EventDecoder.decode(text) }
            do { _ = try EventDecoder.decode(text) } catch {
                #expect(error.description.hasPrefix(message), "\(file): \(error.description)")
            }
        }
    }

    @Test("The members the schemas mark personal (free text, or naming a person) are the ones the log seals, each under its kind of key (PersonalFields)")
    func personalMarks() throws {
        for type in EventType.allCases {
            let url = Self.repo.appendingPathComponent("schemas/events/\(type.rawValue).schema.json")
            let schema = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
            let properties = schema?["properties"] as? [String: [String: Any]] ?? [:]
            let text = properties.filter { $0.value["x-personal"] as? Bool == true }.keys.sorted()
            let identity = properties.filter { $0.value["x-personal"] as? String == "identity" }.keys.sorted()
            let members = PersonalFields.members(of: type)
            #expect(text == members.filter { $0.kind == .text }.map(\.name).sorted(), "\(type.rawValue)")
            #expect(identity == members.filter { $0.kind != .text }.map(\.name).sorted(), "\(type.rawValue)")
        }
    }
}

struct CLIFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }

}
