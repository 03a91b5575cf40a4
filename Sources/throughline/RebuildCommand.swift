import ArgumentParser
import EventLog
import Projections

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

    @Option(help: "Events per transaction.")
    var batchSize = 200_000

    @Option(help: "SQLite page cache in MiB while rebuilding.")
    var cacheMiB = 1024

    func run() throws {
        let store: EventStore
        do { store = try EventStore(directory: data.directory, holder: "throughline rebuild") } catch {
            Terminal.err("throughline: \(error)")
            throw ExitCode(2)
        }
        defer { try? store.close() }
        let start = monotonicNanos()
        let snapshot = store.snapshot()
        let total = snapshot.lastSeq
        let progress = ProgressLine()
        do {
            ProjectionStore.delete(directory: data.directory)
            let projections = try ProjectionStore(directory: data.directory, cacheMiB: cacheMiB)
            try Projector(store: projections, batchSize: batchSize).catchUp(snapshot) { applied in
                progress.update(lines: Int(applied), of: Int(total), unit: "events")
                return true
            }
        } catch {
            progress.clear()
            Terminal.err("throughline: \(error)")
            throw ExitCode(2)
        }
        progress.clear()
        let seconds = Double(monotonicNanos() - start) / 1e9
        Terminal.err("rebuilt the read models from \(Terminal.grouped(Int(total))) events in \(format3(seconds)) s "
                     + "(\(Terminal.grouped(Int(Double(total) / max(seconds, 1e-9)))) events/s)")
    }
}
