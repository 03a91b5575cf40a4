import ArgumentParser
import EventLog
import Foundation
import PostgresLog

struct CopyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Move a store's log and keys between a data directory and PostgreSQL, every seq, id and record unchanged.",
        discussion: """
            Either end is a data directory or a postgres:// URL; the destination must hold no log yet (a new directory, \
            or a database without Throughline's tables, which are made). Run `throughline verify` on both ends after.
            """
    )

    @Option(help: ArgumentHelp("The store to copy: a data directory or a postgres:// URL.", valueName: "DIR|URL"))
    var from: String

    @Option(help: ArgumentHelp("Where to copy it: a new data directory or a postgres:// URL of a database without a log.", valueName: "DIR|URL"))
    var to: String

    func run() throws {
        let (snapshot, keys) = try source()
        // Seqs are a partition's own: a log of several cannot become one, nor files, unchanged.
        guard snapshot.partitioning.count == 1 else {
            Terminal.err("throughline: \(from) has \(snapshot.partitioning.count) partitions; copy moves a log of one partition, every seq unchanged")
            throw ExitCode(2)
        }
        let start = Date()
        var blocks = 0
        do {
            if PostgresAddress.isURL(to) {
                let log = try LogOptions.openPostgres(to, create: true)
                defer { log.close() }
                let held = try log.head().events
                guard held == 0 else { throw StoreError(.invalid, "\(log.address) holds \(held) events already; copy only into a database without a log") }
                try log.storeKeys(keys)
                // About 8 MiB of records per transaction.
                var pending: [(firstSeq: UInt64, recordedMicros: Int64, records: [UInt8])] = [], bytes = 0
                try snapshot.forEachBlock { first, recorded, records in
                    pending.append((first, recorded, records))
                    bytes += records.count
                    blocks += 1
                    if bytes >= 8 << 20 {
                        try log.appendBlocks(pending)
                        (pending, bytes) = ([], 0)
                    }
                    return true
                }
                try log.appendBlocks(pending)
            } else {
                let copier = try SegmentCopier(directory: to)
                try snapshot.forEachBlock { first, recorded, records in
                    try copier.append(firstSeq: first, recordedMicros: recorded, records: records)
                    blocks += 1
                    return true
                }
                try copier.finish()
                try Keyring.create(directory: to, with: keys)
                // Opening the store once builds its id index from the log just written.
                try EventStore(directory: to, holder: "throughline copy").close()
            }
        } catch let exit as ExitCode { throw exit } catch {
            Terminal.err("throughline: copy stopped: \(error)")
            throw ExitCode(1)
        }
        let seconds = Date().timeIntervalSince(start)
        Terminal.out("copied \(Terminal.grouped(Int(snapshot.lastSeq))) events (seqs 1–\(snapshot.lastSeq)) in \(Terminal.grouped(blocks)) blocks "
                     + "and \(Terminal.grouped(keys.keys.count)) keys in \(format3(seconds)) s; check both ends with `throughline verify`")
    }

    /// The source's log and keys.
    private func source() throws -> (LogSnapshot, KeyringContents) {
        do {
            if PostgresAddress.isURL(from) {
                let log = try LogOptions.openPostgres(from, readingKeys: true)
                return (try log.snapshot(), try log.keys())
            }
            guard FileManager.default.fileExists(atPath: from + "/log") else {
                throw StoreError(.invalid, "no store at \(from) (no log directory in it)")
            }
            let (snapshot, _) = try LogInspector.snapshot(directory: from)
            let keys = try Keyring.open(directory: from, writable: false)
            defer { keys?.release() }
            return (snapshot, try keys?.contents() ?? KeyringContents())
        } catch let exit as ExitCode { throw exit } catch {
            Terminal.err("throughline: \(error)")
            throw ExitCode(2)
        }
    }
}
