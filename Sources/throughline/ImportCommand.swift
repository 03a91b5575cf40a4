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
        do { store = try EventStore(directory: data.directory, holder: "throughline import") } catch {
            Terminal.err("throughline: \(error)")
            throw ExitCode(2)
        }
        for note in store.recoveryReport { Terminal.err("recovered: \(note)") }
        let start = monotonicNanos()
        let progress = Mutex((lastLine: 0, lastPrint: start))
        let showProgress = Terminal.stderrIsTerminal
        let acks = acks
        let importer = Importer(store: store, batchSize: batchSize, maxLineBytes: maxLineBytes)
        let summary: Importer.Summary
        do {
            summary = try importer.run(read: { try input.read(into: $0) },
                                       problem: { line, reason in Terminal.err("line \(line): \(reason)") },
                                       durable: { line in
                                           if acks { Terminal.out("durable \(line)") }
                                           guard showProgress else { return }
                                           let now = monotonicNanos()
                                           let due = progress.withLock { p -> Bool in
                                               p.lastLine = line
                                               guard now - p.lastPrint > 500_000_000 else { return false }
                                               p.lastPrint = now
                                               return true
                                           }
                                           if due {
                                               let rate = Double(line) / (Double(now - start) / 1e9)
                                               Terminal.put(2, "\r\(Terminal.grouped(line)) lines, \(Terminal.grouped(Int(rate))) lines/s ")
                                           }
                                       })
            try store.close()
        } catch {
            Terminal.err("throughline: \(error)")
            throw ExitCode(2)
        }
        if showProgress { Terminal.put(2, "\r\u{1B}[K") }
        let seconds = Double(monotonicNanos() - start) / 1e9
        let range = summary.firstSeq.map { "seqs \($0)–\(summary.lastSeq!)" } ?? "no new seqs"
        Terminal.err("imported \(input.name): \(Terminal.grouped(summary.accepted)) accepted, \(Terminal.grouped(summary.duplicate)) duplicate, "
                     + "\(Terminal.grouped(summary.conflict)) conflict, \(Terminal.grouped(summary.rejected)) rejected; \(range); "
                     + "\(Terminal.grouped(Int(Double(summary.events) / max(seconds, 1e-9)))) events/s over \(String(format3(seconds))) s")
        if summary.rejected > 0 || summary.conflict > 0 { throw ExitCode(1) }
    }
}

func format3(_ v: Double) -> String {
    let scaled = Int((v * 1000).rounded())
    let frac = String(scaled % 1000)
    return "\(scaled / 1000)." + String(repeating: "0", count: 3 - frac.count) + frac
}
