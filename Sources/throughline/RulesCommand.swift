import ArgumentParser
import Foundation
import Projections
import Scoring
import ThroughlineCore

struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Work with health rules files.",
        subcommands: [Check.self, Fit.self]
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
            do {
                let (rules, _) = try loadRules(file)
                let total = rules.signals.reduce(0) { $0 + $1.weight }
                Terminal.out("\(file): rules \(rules.version) are valid: \(rules.signals.count) signals, total weight \(NumberText.plain(total)); "
                             + rules.bands.map { "\($0.band.rawValue) \(NumberText.plain($0.min))–\(NumberText.plain($0.max))" }.joined(separator: ", ")
                             + rules.caps.map { "; \($0.signal.rawValue) below \(NumberText.plain($0.below)) caps at \($0.band.rawValue)" }.joined()
                             + (rules.hysteresis.map { h in "; a band moves after \(h.days) day\(h.days == 1 ? "" : "s") outside it"
                                 + (h.margin.map { " or \(NumberText.plain($0)) points beyond it" } ?? "") } ?? ""))
            } catch let error as RulesError {
                Terminal.err(error.description)
                Terminal.err("\(file): \(error.problems.count) problem\(error.problems.count == 1 ? "" : "s")")
                throw ExitCode(1)
            }
        }
    }
}

/// A rules file, loaded and checked, with its text; a file that cannot be read exits 2.
func loadRules(_ file: String) throws -> (Rules, String) {
    guard let data = FileManager.default.contents(atPath: file) else {
        Terminal.err("throughline: cannot read \(file)")
        throw ExitCode(2)
    }
    let text = String(decoding: data, as: UTF8.self)
    return (try Rules.load(yaml: text, file: file), text)
}

/// A rules file, or the store's active rules when `file` is `active` or not given.
func loadRules(_ file: String?, activeIn directory: String) throws -> (Rules, String) {
    guard let file, file != "active" else {
        let active = ProjectionStore.activeRules(directory: directory)
        return (active.rules, active.text)
    }
    return try loadRules(file)
}
