import ArgumentParser
import EventLog
import Projections
import ThroughlineCore

struct RebuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild",
        abstract: "Drop the read models and rebuild them from the log.",
        discussion: """
        The log is the only source of truth: every timeline and view is rebuilt from it and answers \
        exactly as before. Needs the store to itself (stop the server first).
        """
    )

    @OptionGroup var data: DataOptions
    @OptionGroup var log: LogOptions

    @Option(help: "Events folded in memory at a time (about 2.5 KB each; up to five ranges are in memory at once).")
    var eventsPerPart = 50_000

    @Option(name: .customLong("cache-mib"),
            help: "SQLite page cache in MiB while rebuilding (rows come in key order: a larger cache only costs page faults).")
    var cacheMiB = 64

    @Flag(help: ArgumentHelp("Leave the scores out (to measure what scoring costs; the server scores every account again when it starts).",
                              visibility: .hidden))
    var withoutScores = false

    func run() throws {
        let store: EventStore
        do {
            if let url = log.log {
                // A node's read models, from the log in PostgreSQL (the node must be stopped).
                store = try EventStore(directory: data.directory, holder: "throughline rebuild", log: try LogOptions.openPostgres(url))
            } else {
                store = try EventStore(directory: data.directory, holder: "throughline rebuild")
            }
        } catch {
            Terminal.err("throughline: \(error)")
            throw ExitCode(2)
        }
        defer { try? store.close() }
        let start = monotonicNanos()
        let snapshot = store.snapshot()
        let total = snapshot.events
        try ProgressLine.run { progress in
            try Rebuild.run(snapshot, directory: data.directory, cacheMiB: cacheMiB, eventsPerPart: eventsPerPart, scores: !withoutScores, keyring: store.keyring) { p in
                progress.update(lines: p.applied, of: p.total, unit: "events")
            }
        }
        let seconds = Double(monotonicNanos() - start) / 1e9
        Terminal.err("rebuilt the read models from \(Terminal.grouped(Int(total))) events in \(format3(seconds)) s "
                     + "(\(Terminal.grouped(Int(Double(total) / max(seconds, 1e-9)))) events/s)")
    }
}
