import ArgumentParser
import Projections
import Scoring
import ThroughlineCore

struct PatternsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "patterns",
        abstract: "Patterns across accounts: cohorts whose tickets, usage or sentiment moved together, and accounts that resemble churned ones.",
        discussion: """
            Reads the read models of the data directory (it may run beside a serving server) and writes nothing. A cohort is \
            all accounts, or those sharing a value of a profile field (plan, region, tier...). A move is a full week in which \
            the cohort's tickets (all, or of one category), active users or call sentiment stood at least 4 standard deviations \
            from its own previous 8 weeks, made by 3 or more of its accounts, not by the accounts outside it as well. Each is \
            listed with the release it followed, if one came within two weeks before. Accounts whose last 13 weeks of scores \
            are nearest to trajectories that a churn followed (most of their 7 nearest) are listed with the churned accounts \
            they resemble.
            """)

    @OptionGroup var data: DataOptions

    @Option(help: "Report the moves that started in the last N full weeks (0: every week of the two years read).")
    var weeks = 52

    @Flag(help: "Print the report as JSON.")
    var json = false

    func run() throws {
        guard weeks >= 0 && weeks <= ProjectionStore.patternWeeks else { throw ValidationError("--weeks: \(weeks) is not from 0 to \(ProjectionStore.patternWeeks)") }
        let store = try openReadModels(data)
        let report = try store.patterns(recentWeeks: weeks == 0 ? nil : weeks)
        if json {
            Terminal.out(JSONWriter.string(report.json))
            return
        }
        Terminal.out("through \(CalendarDate(daysSinceEpoch: report.through)): \(report.weeks) full weeks read\n\n")
        Terminal.out(report.cohorts.isEmpty ? "No cohort moved together.\n" : "Cohorts that moved together:\n" + report.cohorts.map { "  " + $0.summary + "\n" }.joined())
        Terminal.out("\n")
        Terminal.out(report.resemblances.isEmpty ? "No account resembles the churned ones.\n"
                     : "Accounts whose trajectory resembles churned accounts' before they churned:\n" + report.resemblances.map { r in
                         "  \(r.account): \(NumberText.plain((r.share * 100).rounded()))% of its nearest were followed by a churn; resembles "
                             + r.resembles.prefix(3).map { "\($0.account) (churned \(CalendarDate(daysSinceEpoch: $0.churnDay)))" }.joined(separator: ", ") + "\n"
                     }.joined())
    }
}
