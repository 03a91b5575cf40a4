import ArgumentParser
import EventLog
import Synchronization
import ThroughlineCore

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Bulk-load NDJSON events into a store that no server holds.",
        discussion: """
        Each line is one event (see schemas/envelope.schema.json). Bad lines are reported on stderr as \
        `line N: <reason>` and skipped; good lines still land. Exit code 1 if any line was rejected or \
        conflicted, 2 if the store could not be opened or written.
        """
    )

    @OptionGroup var data: DataOptions
    @OptionGroup var log: LogOptions
    @OptionGroup var partitioned: PartitionOptions

    @Argument(help: "NDJSON file to import, or - for stdin.")
    var file: String

    @Option(help: "Refuse lines longer than this many bytes.")
    var maxLineBytes = 1 << 20

    @Option(help: "Events per commit batch.")
    var batchSize = 8192

    @Flag(help: "Print `durable LINE` on stdout after each commit: every line up to LINE is stored durably (for tooling and tests).")
    var acks = false

    func run() throws {
        let input = try InputFile(path: file)
        let store: EventStore
        do {
            if let url = log.log {
                // Into a log in PostgreSQL (made if missing), beside any nodes that serve it.
                store = try EventStore(directory: nil, holder: "throughline import", log: try LogOptions.openPostgres(url, create: true, partitions: partitioned.partitions))
            } else {
                store = try EventStore(directory: data.directory, holder: "throughline import")
            }
        } catch {
            Terminal.err("throughline: \(error)")
            throw ExitCode(2)
        }
        for note in store.recoveryReport { Terminal.err("recovered: \(note)") }
        let start = monotonicNanos()
        let acks = acks
        let importer = Importer(store: store, batchSize: batchSize, maxLineBytes: maxLineBytes)
        let summary = try ProgressLine.run { progress in
            let summary = try importer.run(read: { try input.read(into: $0) },
                                           problem: { line, reason in Terminal.err("line \(line): \(reason)") },
                                           durable: { line in
                                               if acks { Terminal.out("durable \(line)") }
                                               progress.update(lines: line)
                                           })
            try store.close()
            return summary
        }
        Terminal.err(summary.line(verb: "imported", name: input.name, seconds: Double(monotonicNanos() - start) / 1e9))
        if summary.rejected > 0 || summary.conflict > 0 { throw ExitCode(1) }
    }
}

extension Importer.Summary {
    /// The closing line of `import` and `append`: counts, seq range and rate.
    func line(verb: String, name: String, seconds: Double) -> String {
        let range = firstSeq.map { "seqs \($0)–\(lastSeq!)" } ?? "no new seqs"
        return "\(verb) \(name): \(Terminal.grouped(accepted)) accepted, \(Terminal.grouped(duplicate)) duplicate, "
            + "\(Terminal.grouped(conflict)) conflict, \(Terminal.grouped(rejected)) rejected; \(range); "
            + "\(Terminal.grouped(Int(Double(events) / max(seconds, 1e-9)))) events/s over \(format3(seconds)) s"
    }
}

func format3(_ v: Double) -> String {
    let scaled = Int((v * 1000).rounded())
    let frac = String(scaled % 1000)
    return "\(scaled / 1000)." + String(repeating: "0", count: 3 - frac.count) + frac
}
