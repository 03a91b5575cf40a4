import ArgumentParser
import Foundation
import Scoring
import ThroughlineCore

struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Work with health rules files.",
        subcommands: [Check.self]
    )

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Check a rules file; print every problem with its line, column and key.",
            discussion: "Exit status 0 when the file is valid, 1 when it has problems, 2 when it cannot be read."
        )

        @Argument(help: "The rules file (YAML).")
        var file: String

        func run() throws {
            guard let data = FileManager.default.contents(atPath: file) else {
                Terminal.err("throughline: cannot read \(file)")
                throw ExitCode(2)
            }
            do {
                let rules = try Rules.load(yaml: String(decoding: data, as: UTF8.self), file: file)
                let total = rules.signals.reduce(0) { $0 + $1.weight }
                Terminal.out("\(file): rules \(rules.version) are valid: \(rules.signals.count) signals, total weight \(NumberText.plain(total)); "
                             + rules.bands.map { "\($0.band.rawValue) \(NumberText.plain($0.min))–\(NumberText.plain($0.max))" }.joined(separator: ", "))
            } catch let error as RulesError {
                Terminal.err(error.description)
                Terminal.err("\(file): \(error.problems.count) problem\(error.problems.count == 1 ? "" : "s")")
                throw ExitCode(1)
            }
        }
    }
}
