import ArgumentParser
import EventLog
import ThroughlineClient
import ThroughlineCore

struct AppendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "append",
        abstract: "Append NDJSON events to a running server over its socket.",
        discussion: """
        Streams the file to `throughline serve` in batches. Bad lines are reported on stderr as \
        `line N: <reason>` (N counts lines of the file) and good lines still land. Connection loss and \
        503 are retried, which is safe: ids make appends idempotent. Exit code 1 if any line was \
        rejected or conflicted, 2 if the server could not be reached or refused the batches.
        """
    )

    @OptionGroup var data: DataOptions
    @OptionGroup var server: ServerAddressOptions

    @Argument(help: "NDJSON file to append, or - for stdin.")
    var file = "-"

    @Option(help: "Lines per request.")
    var batchLines = 5000

    @Option(help: "Refuse lines longer than this many bytes without sending them.")
    var maxLineBytes = 1 << 20

    @Option(help: "Keep retrying a batch for this many seconds while the server is unreachable or busy.")
    var retrySeconds = 60

    func run() async throws {
        guard batchLines >= 1 else { throw ValidationError("--batch-lines: must be at least 1") }
        let address = try server.address(data: data)
        let input: InputFile
        do { input = try InputFile(path: file) } catch {
            Terminal.err("throughline: \(error)")
            throw ExitCode(2)
        }
        let sender = EventSender(address: address, retryFor: .seconds(retrySeconds)) { reason in
            Terminal.err("retrying: \(reason)")
        }
        let start = monotonicNanos()
        let progress = ProgressLine()
        var summary = Importer.Summary()
        var batch = Batch()
        var splitter = LineSplitter(maxLineBytes: maxLineBytes)
        let maxLineBytes = maxLineBytes

        func send() async throws {
            guard !batch.lines.isEmpty else { return }
            for result in try await sender.post(batch.body) {
                guard result.line >= 1, result.line <= batch.lines.count else { continue }
                let line = batch.lines[result.line - 1]
                switch result.status {
                case "accepted", "duplicate", "conflict":
                    let outcome = AppendOutcome(result.status == "accepted" ? .accepted : result.status == "duplicate" ? .duplicate : .conflict,
                                                seq: result.seq ?? 0)
                    summary.count(outcome)
                    if outcome.status == .conflict { Terminal.err("line \(line): \(result.error ?? outcome.conflictReason)") }
                case "rejected":
                    summary.rejected += 1
                    Terminal.err("line \(line): \(result.error ?? "rejected")")
                default:
                    summary.emptyLines += 1
                }
            }
            progress.update(lines: batch.lines.last ?? 0)
            batch = Batch()
        }

        do {
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            var pending: [(Int, [UInt8])] = []
            func handle(_ number: Int, _ line: LineSplitter.Line) {
                switch line {
                case .tooLong(let n):
                    summary.rejected += 1
                    Terminal.err("line \(number): \(LineSplitter.tooLongReason(n, limit: maxLineBytes))")
                case .text(let bytes):
                    if LineSplitter.isBlank(bytes) { summary.emptyLines += 1 } else { pending.append((number, Array(bytes))) }
                }
            }
            while true {
                let n = try buffer.withUnsafeMutableBytes { try input.read(into: $0) }
                if n == 0 { splitter.finish(handle) } else {
                    buffer.withUnsafeBytes { splitter.feed(UnsafeRawBufferPointer(rebasing: $0[0..<n]), handle) }
                }
                for (number, bytes) in pending {
                    batch.add(number, bytes)
                    if batch.lines.count >= batchLines || batch.body.count >= 8 << 20 { try await send() }
                }
                pending.removeAll(keepingCapacity: true)
                if n == 0 { break }
            }
            try await send()
        } catch {
            progress.clear()
            Terminal.err("throughline: \(error)")
            throw ExitCode(2)
        }
        progress.clear()
        summary.lines = splitter.lineNumber
        Terminal.err(summary.line(verb: "appended", name: input.name, seconds: Double(monotonicNanos() - start) / 1e9))
        if summary.rejected > 0 || summary.conflict > 0 { throw ExitCode(1) }
    }

    /// Lines waiting to be sent: their bytes as one NDJSON body and their line numbers in the file.
    struct Batch {
        var body: [UInt8] = []
        var lines: [Int] = []

        mutating func add(_ number: Int, _ bytes: [UInt8]) {
            body.append(contentsOf: bytes)
            body.append(0x0A)
            lines.append(number)
        }
    }
}
