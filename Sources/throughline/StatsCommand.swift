import ArgumentParser
import EventLog
import PostgresLog
import ThroughlineCore

struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Events, accounts, per-type counts, segments, bytes on disk and the compression ratio."
    )

    @OptionGroup var data: DataOptions
    @OptionGroup var log: LogOptions

    func run() throws {
        let s: LogInspector.Stats
        let pg = try log.postgres()
        do {
            if let pg {
                s = try LogInspector.stats(try pg.snapshot(), logBytes: try pg.storageBytes(), indexBytes: try pg.indexBytes())
            } else {
                s = try LogInspector.stats(directory: data.directory)
            }
        } catch {
            Terminal.err("throughline: \(error)")
            throw ExitCode(2)
        }
        Terminal.out("events          \(Terminal.grouped(s.events)) (last seq \(s.lastSeq))")
        Terminal.out("accounts        \(Terminal.grouped(s.accounts))")
        for type in EventType.allCases {
            Terminal.out("  \(type.rawValue.padding(20))\(Terminal.grouped(s.perType[type] ?? 0))")
        }
        if let pg {
            Terminal.out("kept in         \(pg.address)")
            Terminal.out("log bytes       \(Terminal.grouped(s.logBytes)) (the blocks table with its TOAST and indexes)")
        } else {
            Terminal.out("segments        \(s.segments)")
            Terminal.out("log bytes       \(Terminal.grouped(s.logBytes))")
        }
        Terminal.out("index bytes     \(Terminal.grouped(s.indexBytes))")
        Terminal.out("NDJSON bytes    \(Terminal.grouped(s.ndjsonBytes)) (the same events as compact NDJSON)")
        Terminal.out("log / NDJSON    \(format3(s.ratio * 100))%")
    }
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self + " " : self + String(repeating: " ", count: width - count) }
}
