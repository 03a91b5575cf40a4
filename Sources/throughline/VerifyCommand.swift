import ArgumentParser
import EventLog

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Read every block: check CRCs, seq continuity and every record; name any damage.",
        discussion: "Exit code 0 when the log is sound, 1 on damage (the message names segment and byte offset)."
    )

    @OptionGroup var data: DataOptions

    func run() throws {
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
}
