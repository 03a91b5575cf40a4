import ArgumentParser
import DatasetGenerator
import ThroughlineCore

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write a deterministic, realistic dataset as NDJSON to stdout.",
        discussion: "The same options always give the same bytes. Outcomes appear as account.churned / account.renewed events."
    )

    @Option(help: "Number of accounts.")
    var accounts = 200

    @Option(help: "Days of history.")
    var days = 365

    @Option(help: "Random seed.")
    var seed: UInt64 = 1

    @Option(help: "First day of the dataset (YYYY-MM-DD).")
    var start = "2025-01-01"

    func validate() throws {
        guard accounts > 0 else { throw ValidationError("--accounts must be at least 1") }
        guard days > 0 else { throw ValidationError("--days must be at least 1") }
        guard CalendarDate(iso: start) != nil else { throw ValidationError("--start must be a date YYYY-MM-DD") }
    }

    func run() throws {
        var options = DatasetGenerator.Options()
        options.accounts = accounts
        options.days = days
        options.seed = seed
        options.start = CalendarDate(iso: start)!
        var generator = DatasetGenerator(options)
        generator.run { bytes in bytes.withUnsafeBytes { Terminal.writeAll(1, $0) } }
    }
}
