import ArgumentParser
import Foundation
import Projections
import Scoring
import ThroughlineCore

struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Work with health rules files.",
        subcommands: [Check.self, Activate.self, Fit.self]
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
            try checkedRules(exit: 1) {
                let (rules, _) = try loadRules(file)
                let total = rules.signals.reduce(0) { $0 + $1.weight }
                Terminal.out("\(file): rules \(rules.version) are valid: \(rules.signals.count) signals, total weight \(NumberText.plain(total)); "
                             + rules.bands.map { "\($0.band.rawValue) \(NumberText.plain($0.min))–\(NumberText.plain($0.max))" }.joined(separator: ", ")
                             + rules.caps.map { "; \($0.signal.rawValue) below \(NumberText.plain($0.below)) caps at \($0.band.rawValue)" }.joined()
                             + (rules.hysteresis.map { h in "; a band moves after \(h.days) day\(h.days == 1 ? "" : "s") outside it"
                                 + (h.margin.map { " or \(NumberText.plain($0)) points beyond it" } ?? "") } ?? ""))
            }
        }
    }

    struct Activate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "activate",
            abstract: "Switch every node to a rules file: all history is scored with it, then it is the active rules.",
            discussion: """
                Appends a rules.activated event through the running server (an admin's act: on the socket, or with an admin's \
                THROUGHLINE_TOKEN). Every node that follows the log applies it: the rules are scored over all history in the \
                background while the earlier rules stay active, then they are made active, and a rebuild makes the same switch \
                again. Switching back to a version active before is a switch too. `serve --rules FILE` appends the same event at \
                start, unless the node scores with that version already or it was replaced.
                """)

        @OptionGroup var data: DataOptions
        @OptionGroup var server: ServerAddressOptions

        @Argument(help: "The rules file (YAML).")
        var file: String

        func run() async throws {
            let (rules, yaml) = try checkedRules(exit: 1) { try loadRules(file) }
            let address = try server.address(data: data)
            let event = RulesActivated.event(version: rules.version, text: yaml, actor: localAdmin, micros: WallClock.system.now())
            let seq = try await appendThroughServer(address, [event], failure: "rules \(rules.version) were not activated")[0]
            // Applied once this node's read models hold it.
            _ = try await fetch(address, "/v1/accounts?limit=1&min_seq=\(seq)")
            let health = try parseJSON(try await fetch(address, "/v1/health"))
            let active = text(health["scores"]?["rules"])
            Terminal.out("rules \(rules.version) activated at seq \(seq) on every node: "
                         + (active == rules.version ? "they are the active rules" : "all history is scored with them; \(active) stays active until then"))
        }
    }
}

/// What `load` gives, or, when a rules or alert rules file it reads has problems, each of them on
/// stderr as FILE:LINE:COLUMN, then `FILE: N problems` with `then` after it, and an exit with `code`.
func checkedRules<T>(exit code: Int32, then: String = "", _ load: () throws -> T) throws -> T {
    do { return try load() } catch let error as RulesError {
        Terminal.err(error.description)
        Terminal.err("\(error.file): \(error.problems.count) problem\(error.problems.count == 1 ? "" : "s")\(then)")
        throw ExitCode(code)
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
