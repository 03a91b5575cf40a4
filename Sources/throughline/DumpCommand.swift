import ArgumentParser
import EventLog
import ThroughlineCore

struct DumpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Print stored events as NDJSON, with seq and recorded added."
    )

    @OptionGroup var data: DataOptions

    @Option(help: "First seq to print.")
    var from: UInt64 = 1

    @Option(help: "Print at most this many events.")
    var limit: Int?

    @Option(help: "Only events of this account.")
    var account: String?

    func run() throws {
        let snap: LogSnapshot
        do { snap = try LogInspector.snapshot(directory: data.directory).snapshot } catch {
            Terminal.err("throughline: \(error)")
            throw ExitCode(2)
        }
        var out = BufferedOutput(fd: 1)
        var printed = 0
        let limit = limit ?? Int.max
        guard limit > 0 else { return }
        do {
            try snap.forEachEvent(from: from) { stored in
                if let account, stored.event.account != account { return true }
                JSONWriter.write(stored.jsonValue, into: &out.buffer)
                out.buffer.append(0x0A)
                out.flushIfFull()
                printed += 1
                return printed < limit
            }
        } catch {
            out.flush()
            Terminal.err("throughline: \(error)")
            throw ExitCode(2)
        }
        out.flush()
    }
}
