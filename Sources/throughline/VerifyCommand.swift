import ArgumentParser
import EventLog
import PostgresLog

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Read every block: check CRCs, seq continuity and every record; name any damage.",
        discussion: "Exit code 0 when the log is sound, 1 on damage (the message names segment and byte offset)."
    )

    @OptionGroup var data: DataOptions
    @OptionGroup var log: LogOptions

    func run() throws {
        if let pg = try log.postgres() { return try verify(pg) }
        do {
            let (segments, notes) = try LogInspector.verify(directory: data.directory)
            for note in notes { Terminal.err("note: \(note)") }
            var events = 0, blocks = 0
            for s in segments {
                let range = s.firstSeq.map { "\($0)–\(s.lastSeq!)" } ?? "empty"
                Terminal.out("\(s.file): \(Terminal.grouped(s.blocks)) blocks, \(Terminal.grouped(s.events)) events, seqs \(range), \(Terminal.grouped(s.bytes)) bytes")
                events += s.events
                blocks += s.blocks
            }
            Terminal.out("ok: \(segments.count) segments, \(Terminal.grouped(blocks)) blocks, \(Terminal.grouped(events)) events")
        } catch {
            Terminal.err("damaged: \(error)")
            throw ExitCode(1)
        }
    }

    /// The log in PostgreSQL, partition by partition.
    private func verify(_ pg: PostgresEventLog) throws {
        do {
            let parts = try pg.verify()
            for p in parts {
                let range = p.firstSeq.map { "\($0)–\(p.lastSeq!)" } ?? "empty"
                Terminal.out("\(pg.address) partition \(p.partition): \(Terminal.grouped(p.blocks)) blocks, \(Terminal.grouped(p.events)) events, "
                             + "seqs \(range), \(Terminal.grouped(p.bytes)) bytes")
            }
            Terminal.out("ok: \(parts.count) partitions, \(Terminal.grouped(parts.reduce(0) { $0 + $1.blocks })) blocks, "
                         + "\(Terminal.grouped(parts.reduce(0) { $0 + $1.events })) events")
        } catch {
            Terminal.err("damaged: \(error)")
            throw ExitCode(1)
        }
    }
}
