import ArgumentParser
import Foundation
import Projections
import Scoring
import ThroughlineCore

struct AlertsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts",
        abstract: "Work with alert rules files: check one, or replay it over all history.",
        subcommands: [Check.self, Replay.self]
    )

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Check an alert rules file; print every problem with its line, column and key.",
            discussion: "Exit status 0 when the file is valid, 1 when it has problems, 2 when it cannot be read."
        )

        @Argument(help: "The alert rules file (YAML).")
        var file: String

        func run() throws {
            try checkedRules(exit: 1) {
                let alerts = try loadAlerts(file)
                Terminal.out("\(file): alert rules \(alerts.version) are valid: \(alerts.rules.count) rule\(alerts.rules.count == 1 ? "" : "s") ("
                             + alerts.rules.map { "\($0.id) on \($0.trigger.name)" }.joined(separator: ", ") + ")")
            }
        }
    }

    struct Replay: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "replay",
            abstract: "What alert rules would have fired over all history, and how early they warned of the churns that came.",
            discussion: """
                Reads the read models of the data directory (it may run beside a serving server) and writes nothing. For each \
                rule: its firings and accounts, the churned accounts it warned within the window before the churn and how many \
                days before (median), and its precision: the share of its firings (whose window has passed) followed by a churn \
                within the window. Scores are the active health rules'.
                """)

        @OptionGroup var data: DataOptions

        @Option(help: ArgumentHelp("The alert rules file (YAML).", valueName: "FILE"))
        var alerts: String

        @Option(help: "Days before a churn a firing counts as a warning of it.")
        var window = 90

        @Flag(help: "Also print every firing: date, account, rule and why.")
        var firings = false

        @Flag(help: "Print the report as JSON.")
        var json = false

        func run() throws {
            let rules = try checkedRules(exit: 2) { try loadAlerts(alerts) }
            guard window >= 1 && window <= 3650 else { throw ValidationError("--window: \(window) is not a number of days from 1 to 3650") }
            let store = try openReadModels(data)
            var lines: [String] = []
            let report = try store.alertReplay(rules, window: window) { f in
                if firings { lines.append("\(CalendarDate(daysSinceEpoch: f.day))  \(f.account)  \(f.rule)  \(f.reason)") }
            }
            if json {
                Terminal.out(String(decoding: try JSONEncoder().encode(report), as: UTF8.self))
                return
            }
            if firings { Terminal.out(lines.sorted().joined(separator: "\n") + "\n") }
            Terminal.out("alert rules \(report.alerts) over \(report.accounts) accounts through \(report.through) (health rules \(report.rules)); "
                         + "\(report.churns) churned; a warning counts \(report.window) days before a churn\n")
            let rows = [["RULE", "FIRINGS", "ACCOUNTS", "CHURNS WARNED", "MEDIAN LEAD (DAYS)", "PRECISION", "JUDGED"]] + report.figures.map { f in
                [f.rule == "*" ? "any rule" : f.rule, "\(f.firings)", "\(f.accounts)", "\(f.churnsWarned) of \(report.churns)",
                 f.medianLeadDays.map(NumberText.plain) ?? "", f.precision.map { NumberText.plain(($0 * 1000).rounded() / 10) + "%" } ?? "", "\(f.judged)"]
            }
            Terminal.out(table(rows))
        }
    }
}

/// An alert rules file, read and checked (a file that cannot be read exits 2).
func loadAlerts(_ file: String) throws -> AlertRules {
    guard let data = FileManager.default.contents(atPath: file) else {
        Terminal.err("throughline: cannot read \(file)")
        throw ExitCode(2)
    }
    return try AlertRules.load(yaml: String(decoding: data, as: UTF8.self), file: file)
}
