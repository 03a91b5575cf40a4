import ArgumentParser
import EventLog
import Foundation
import Projections
import Scoring
import ThroughlineCore

struct TriageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "triage",
        abstract: "Work with ticket triage: check a rules file, list the queue, or replay rules over all history.",
        subcommands: [Check.self, Queue.self, Replay.self]
    )

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Check a triage rules file; print every problem with its line, column and key.",
            discussion: "Exit status 0 when the file is valid, 1 when it has problems, 2 when it cannot be read."
        )

        @Argument(help: "The triage rules file (YAML).")
        var file: String

        func run() throws {
            try checkedRules(exit: 1) {
                let triage = try loadTriage(file)
                Terminal.out("\(file): triage rules \(triage.version) are valid: \(triage.factors.count) factor\(triage.factors.count == 1 ? "" : "s"), tiers "
                             + triage.tiers.map { "\($0.name) from \(NumberText.plain($0.atLeast))" }.joined(separator: ", "))
            }
        }
    }

    struct Queue: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "queue",
            abstract: "The open tickets across accounts by triage priority, with tier, reasons and the account's band.",
            discussion: "Reads the read models of the data directory (it may run beside a serving server) and writes nothing.")

        @OptionGroup var data: DataOptions

        @Option(help: "Only this tier (e.g. manager_attention).")
        var tier: String?

        @Option(help: "Only this account.")
        var account: String?

        @Option(help: "At most this many tickets.")
        var limit = 50

        @Flag(help: "Print the queue as JSON.")
        var json = false

        func run() throws {
            guard limit >= 1 && limit <= 10_000 else { throw ValidationError("--limit: \(limit) is not from 1 to 10000") }
            let store = try openReadModels(data)
            let queue = try store.triageQueue(tier: tier, account: account, limit: limit)
            if json {
                Terminal.out(JSONWriter.string(.array(queue.map(\.json))))
                return
            }
            guard !queue.isEmpty else {
                Terminal.out("no open triaged tickets" + (tier.map { " in tier \($0)" } ?? "") + "\n")
                return
            }
            let rows = [["PRIORITY", "TIER", "ACCOUNT", "BAND", "TICKET", "OPENED", "WHY"]] + queue.map { q in
                ["\(q.priority)", q.tier, q.account, q.band?.rawValue ?? "", q.ticket, Timestamp.utc(microseconds: q.openedMicros).description.prefix(10).description,
                 q.reasons.map { "\($0.reason) \($0.points < 0 ? "" : "+")\(NumberText.plain($0.points))" }.joined(separator: "; ")]
            }
            Terminal.out(table(rows))
        }
    }
}

extension TriageCommand {
    struct Replay: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "replay",
            abstract: "Shadow mode: what triage rules would have said of every ticket of history, against what happened.",
            discussion: """
                Reads the log (each account's history, folded as `replay` folds it) and the read models of the data directory \
                (the tickets as written, the daily scores, the triage recorded); it may run beside a serving server and writes \
                nothing but scratch files under DIR/replays, removed at the end. Each ticket is triaged as of its opening, under \
                the active health rules. Per tier: the tickets, the share whose account \
                churned within the window after (of those whose window has passed), and the median hours to close. Against \
                --against (another triage rules file) or, without it, the triage the server recorded: the tickets the rules \
                would have escalated or lowered, and how often those accounts churned.
                """)

        @OptionGroup var data: DataOptions
        @OptionGroup var log: LogOptions

        @Option(help: ArgumentHelp("The triage rules file (YAML) to replay.", valueName: "FILE"))
        var triage: String

        @Option(help: ArgumentHelp("Another triage rules file to compare with (default: the triage recorded).", valueName: "FILE"))
        var against: String?

        @Option(help: "Days after a ticket a churn counts as following it.")
        var window = 90

        @Flag(help: "Also print each ticket whose tier moved: date, account, ticket, tier before and after, and why.")
        var changes = false

        @Flag(help: "Print the report as JSON.")
        var json = false

        func run() throws {
            let rules = try checkedRules(exit: 2) { try loadTriage(triage) }
            let other = try against.map { file in try checkedRules(exit: 2) { try loadTriage(file) } }
            guard window >= 1 && window <= 3650 else { throw ValidationError("--window: \(window) is not a number of days from 1 to 3650") }
            let store = try openReadModels(data)
            let snapshot = try log.snapshot(data)
            let spill = data.directory + "/replays/triage-spill-\(getpid())"
            defer { try? FileManager.default.removeItem(atPath: spill) }
            var lines: [String] = []
            let report = try store.triageReplay(rules, against: other, window: window, log: snapshot, spill: spill) { t, before in
                guard changes else { return }
                lines.append("\(CalendarDate(daysSinceEpoch: Day(containing: t.time).number))  \(t.account)  \(t.ticket)  \(before.tier) (\(before.priority)) -> "
                             + "\(t.tier) (\(t.priority))  " + t.reasons.map { "\($0.reason) \($0.points < 0 ? "" : "+")\(NumberText.plain($0.points))" }.joined(separator: "; "))
            }
            if json {
                Terminal.out(String(decoding: try JSONEncoder().encode(report), as: UTF8.self))
                return
            }
            if changes { Terminal.out(lines.sorted().joined(separator: "\n") + "\n") }
            func percent(_ v: Double?) -> String { v.map { NumberText.plain(($0 * 1000).rounded() / 10) + "%" } ?? "" }
            Terminal.out("triage rules \(report.triage) over \(report.tickets) tickets of \(report.accounts) accounts through \(report.through) "
                         + "(health rules \(report.rules)); \(report.churnedAccounts) of the accounts churned; a churn counts \(report.window) days after a ticket; "
                         + "all tickets: \(percent(report.baseChurnShare)) followed by a churn\n")
            let rows = [["TIER", "TICKETS", "ACCOUNTS", "FOLLOWED BY CHURN", "JUDGED", "CLOSED", "MEDIAN HOURS TO CLOSE"]] + report.tiers.map { t in
                [t.tier, "\(t.tickets)", "\(t.accounts)", percent(t.churnShare), "\(t.judged)", "\(t.closed)", t.medianHoursToClose.map(NumberText.plain) ?? ""]
            }
            Terminal.out(table(rows))
            if let against = report.against, let m = report.moves {
                // A share only where some of the moved tickets' windows have passed.
                func followed(_ share: Double?) -> String { share.map { " (\(percent($0)) followed by a churn)" } ?? "" }
                Terminal.out("against \(against): \(m.compared) tickets compared; \(m.escalated) escalated\(followed(m.escalatedChurnShare)), "
                             + "\(m.lowered) lowered\(followed(m.loweredChurnShare))\n")
            }
        }
    }
}

/// A triage rules file, read and checked (a file that cannot be read exits 2).
func loadTriage(_ file: String) throws -> TriageRules {
    guard let data = FileManager.default.contents(atPath: file) else {
        Terminal.err("throughline: cannot read \(file)")
        throw ExitCode(2)
    }
    return try TriageRules.load(yaml: String(decoding: data, as: UTF8.self), file: file)
}

/// The read models of a data directory, for commands that only read them (exits 2 without them).
/// The store's keys are opened for the rest of the process: the people's names and emails in the
/// stored records (a requester's role, a champion's calls) open with them.
func openReadModels(_ data: DataOptions) throws -> ProjectionStore {
    guard FileManager.default.fileExists(atPath: data.directory + "/projections.sqlite") else {
        Terminal.err("throughline: no read models at \(data.directory) (serve or rebuild first)")
        throw ExitCode(2)
    }
    _ = try Keyring.open(directory: data.directory, writable: false)
    return try ProjectionStore(directory: data.directory)
}
