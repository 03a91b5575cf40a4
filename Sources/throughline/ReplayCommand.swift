import ArgumentParser
import EventLog
import Foundation
import Projections
import Scoring
import ThroughlineCore
import WebPages

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Re-score all history under new rules, compare with a baseline, and backtest against the churns in the log.",
        discussion: """
        Reads the log directly (read-only: it may run while the server serves and ingests; it sees \
        the log as it was when it started) and never writes to the store. Writes DIR/whatif.sqlite \
        (every account's daily scores under each version) and DIR/report.json; the same log and \
        rules give the same bytes.
        """
    )

    @OptionGroup var data: DataOptions
    @OptionGroup var log: LogOptions

    @Option(help: ArgumentHelp("The rules to replay (YAML).", valueName: "FILE"))
    var rules: String

    @Option(help: ArgumentHelp("Rules to compare with: a file, or `active` for the store's active rules.", valueName: "FILE|active"))
    var baseline: String?

    @Option(help: "First day scored (YYYY-MM-DD).") var from: String?
    @Option(help: "Last day scored (YYYY-MM-DD).") var to: String?
    @Option(help: "Only these accounts, comma-separated.") var accounts: String?
    @Option(help: "Only accounts on this plan.") var plan: String?

    @Option(help: ArgumentHelp("Where to write the what-if store and the reports (default: DATA/replays/VERSION, "
                               + "where `serve` shows it at /replays/VERSION).", valueName: "DIR"))
    var out: String?

    func run() throws {
        var versions = [try checkedRules(exit: 2) { try loadRules(rules) }]
        if let baseline { versions.append(try checkedRules(exit: 2) { try loadRules(baseline, activeIn: data.directory) }) }
        if versions.count == 2 && versions[0].0.version == versions[1].0.version {
            throw ValidationError("--baseline: the baseline has the same version as --rules (\(versions[0].0.version)); compare two versions")
        }
        AccessCommand.auditRead(data, "replay")
        var options = Replay.Options()
        options.from = try from.map { try Self.day($0, "--from") }
        options.to = try to.map { try Self.day($0, "--to") }
        options.accounts = accounts.map { Set($0.split(separator: ",").map(String.init)) }
        options.plan = plan
        options.identity = ProjectionStore.identityMap(directory: data.directory)
        let snapshot = try log.snapshot(data)
        let out = out ?? data.directory + "/replays/" + versions[0].0.version
        let start = monotonicNanos()
        let (result, report) = try ProgressLine.run { progress in
            let result = try Replay.run(snapshot, rules: versions.map(\.0), spill: out + "/spill", options: options) { done, total in
                progress.update(lines: done, of: total, unit: "events")
            }
            let report = try Self.write(result, texts: versions.map(\.1), to: out)
            return (result, report)
        }
        let seconds = Double(monotonicNanos() - start) / 1e9
        Terminal.out(Self.summary(report))
        Terminal.err("replayed \(Terminal.grouped(result.events)) events under \(versions.count) rules version\(versions.count == 1 ? "" : "s") "
                     + "in \(format3(seconds)) s; wrote \(out)/report.html, report.json, whatif.sqlite and CSV tables")
    }

    /// Writes a replay's what-if store, report.json, CSV tables and report.html to `dir`.
    static func write(_ result: Replay.Result, texts: [String], to dir: String) throws -> ReplayReport {
        let report = try WhatIfStore.write(result, texts: texts, to: dir)
        try Data(ReplayReportPage.render(report, standalone: true).utf8).write(to: URL(fileURLWithPath: dir + "/report.html"))
        return report
    }

    static func day(_ text: String, _ option: String) throws -> Int {
        guard let d = CalendarDate(iso: text) else { throw ValidationError("\(option): \(text) is not a date (YYYY-MM-DD)") }
        return d.daysSinceEpoch
    }

    /// The report's figures, a few lines per version.
    static func summary(_ report: ReplayReport) -> String {
        func figure(_ v: (some CustomStringConvertible)?) -> String { v.map(\.description) ?? "n/a" }
        func number(_ v: Double?) -> String { v.map(NumberText.plain) ?? "n/a" }
        var lines: [String] = []
        for v in report.versions {
            lines.append("\(v.rules): \(v.accounts) accounts, \(v.churned) churned, "
                         + "\(v.churnedRedBeforehand) of them red in the 180 days before (median lead \(figure(v.medianRedLeadDays)) days); "
                         + "\(number(v.redAccountsPerWeek)) accounts red a week")
            lines.append("  ROC AUC of the score for churn within 90 days: \(number(v.rocAuc90d)); "
                         + "agrees with \(number(v.overrides.agreement)) of \(v.overrides.overrides) CSM overrides")
            for h in v.horizons {
                lines.append("  red within \(h.days) days before churn: precision \(number(h.precision)), "
                             + "recall \(number(h.recall)), F1 \(number(h.f1))")
            }
            for w in v.warnings {
                let warned = w.warned.map { "\($0.accounts) (\(number($0.share))) with \($0.days) days to act" }.joined(separator: ", ")
                lines.append("  \(w.alarm.replacingOccurrences(of: "_", with: " ")) as a warning: of \(w.churned) churned, \(warned); "
                             + "median lead \(figure(w.medianLeadDays)) days; account precision \(number(w.precision)) "
                             + "(\(w.trueAlarms) true, \(w.falseAlarms) false, \(w.pending) pending); \(number(w.perCsmWeek)) accounts per CSM a week")
            }
        }
        if let d = report.bandDifferences {
            lines.append("accounts in another band on the last day: \(d.accounts)")
        }
        return lines.joined(separator: "\n")
    }
}
