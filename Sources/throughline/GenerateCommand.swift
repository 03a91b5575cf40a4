import ArgumentParser
import DatasetGenerator
import Foundation
import ThroughlineCore

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write a deterministic, realistic dataset as NDJSON to stdout.",
        discussion: """
            The data ends today (UTC) unless --end or --start says otherwise, so a demo shows what a CSM would see this \
            morning. The same options (with --end or --start given) always give the same bytes. Outcomes appear as \
            account.churned / account.renewed events.
            """
    )

    @Option(help: "Number of accounts.")
    var accounts = 200

    @Option(help: "Days of history.")
    var days = 365

    @Option(help: "Random seed.")
    var seed: UInt64 = 1

    @Option(help: "Last day of the dataset (YYYY-MM-DD). Default: today (UTC).")
    var end: String?

    @Option(help: "First day of the dataset (YYYY-MM-DD), instead of --end.")
    var start: String?

    @Option(help: "Share of churning accounts that leave without warning in their events (0–1).")
    var silentChurnShare = DatasetGenerator.Options().silentChurnShare

    @Option(help: "Share of renewing accounts with a temporary dip they recover from (0–1).")
    var dipShare = DatasetGenerator.Options().dipShare

    @Option(help: "How deep usage falls in the seasons for the most seasonal account (0–1).")
    var seasonality = DatasetGenerator.Options().seasonality

    @Option(help: "How widely moods and single sentiment readings spread (0–1).")
    var sentimentNoise = DatasetGenerator.Options().sentimentNoise

    @Option(help: "Share of accounts the help desk and telemetry name by their own ids (account_ref), linked to the account by the CRM at its start, weeks later or not within the data; some of them with a duplicate the CRM merges (0–1).")
    var referenceShare = DatasetGenerator.Options().referenceShare

    @Option(help: "Share of accounts whose people the CRM sends (contact.updated: champion, economic buyer, admins, users), named on calls by name and email and on tickets as requesters; a champion who leaves is marked so (0–1).")
    var peopleShare = DatasetGenerator.Options().peopleShare

    @Option(help: "Also write what the data was generated from (each account's fate, churn date, whether it warned, its dip) as CSV to this file.")
    var truth: String?

    func validate() throws {
        for (name, value) in [("--silent-churn-share", silentChurnShare), ("--dip-share", dipShare), ("--seasonality", seasonality),
                              ("--sentiment-noise", sentimentNoise), ("--reference-share", referenceShare), ("--people-share", peopleShare)] where !(0...1).contains(value) {
            throw ValidationError("\(name) must be from 0 to 1, not \(value)")
        }
        guard accounts > 0 else { throw ValidationError("--accounts must be at least 1") }
        guard days > 0 else { throw ValidationError("--days must be at least 1") }
        guard start == nil || end == nil else { throw ValidationError("give --start or --end, not both") }
        if let start, CalendarDate(iso: start) == nil { throw ValidationError("--start must be a date YYYY-MM-DD, not \(start)") }
        if let end, CalendarDate(iso: end) == nil { throw ValidationError("--end must be a date YYYY-MM-DD, not \(end)") }
    }

    /// The first day: `--start`, or `days` days up to `--end` (today without it).
    func firstDay(today: Day) -> CalendarDate {
        if let start { return CalendarDate(iso: start)! }
        let last = end.map { Day(CalendarDate(iso: $0)!) } ?? today
        return last.advanced(by: -(days - 1)).date
    }

    func run() throws {
        var options = DatasetGenerator.Options()
        options.accounts = accounts
        options.days = days
        options.seed = seed
        options.start = firstDay(today: Day(containing: WallClock.system.now()))
        (options.silentChurnShare, options.dipShare) = (silentChurnShare, dipShare)
        (options.seasonality, options.sentimentNoise) = (seasonality, sentimentNoise)
        options.referenceShare = referenceShare
        options.peopleShare = peopleShare
        var generator = DatasetGenerator(options)
        generator.run { bytes in bytes.withUnsafeBytes { Terminal.writeAll(1, $0) } }
        if let truth {
            do { try Data(generator.truth().utf8).write(to: URL(fileURLWithPath: truth)) } catch {
                Terminal.err("throughline: generate: cannot write \(truth): \(error.localizedDescription)")
                throw ExitCode(2)
            }
        }
    }
}
