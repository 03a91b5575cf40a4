import ArgumentParser
import EventLog
import ThroughlineCore

struct DumpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Print stored events as NDJSON, with seq and recorded added."
    )

    @OptionGroup var data: DataOptions
    @OptionGroup var log: LogOptions

    @Option(help: "First seq to print.")
    var from: UInt64 = 1

    @Option(help: ArgumentHelp("Print what follows this place instead: the last seq read, or with several partitions the last of each "
                               + "(P:SEQ,…), as Throughline-Next-After gives it.", valueName: "POSITION"))
    var after: String?

    @Option(help: "Print at most this many events.")
    var limit: Int?

    @Option(help: "Only events of this account.")
    var account: String?

    func run() throws {
        let snap: LogSnapshot
        do { snap = try log.postgres()?.snapshot() ?? LogInspector.snapshot(directory: data.directory).snapshot } catch let exit as ExitCode {
            throw exit
        } catch {
            Terminal.err("throughline: \(error)")
            throw ExitCode(2)
        }
        var out = BufferedOutput(fd: 1)
        var left = limit ?? Int.max
        var next: LogPosition
        do { next = try after.map { try LogPosition(parsing: Substring($0), partitions: snap.partitioning) } ?? snap.position(before: from) } catch {
            Terminal.err("throughline: --after: \(error)")
            throw ExitCode(2)
        }
        do {
            while left > 0 && !next.reaches(snap.position) {
                let (written, reached) = try snap.writeNDJSON(after: next, limit: left, account: account, maxBytes: 1 << 20, into: &out.buffer)
                out.flush()
                left -= written
                next = reached
            }
        } catch {
            out.flush()
            Terminal.err("throughline: \(error)")
            throw ExitCode(2)
        }
        out.flush()
    }
}
