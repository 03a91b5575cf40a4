import ArgumentParser
import EventLog
import Foundation
import PostgresLog

/// `--log URL`: the log kept in PostgreSQL instead of segment files under `--data`, for the
/// commands that read or check a log.
struct LogOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The log kept in PostgreSQL: postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE, or a socket directory as postgres://USER@/DATABASE?host=/dir. "
            + "Default: the segment files under --data.", valueName: "URL"))
    var log: String?

    /// The PostgreSQL log, opened (its keys read for opening sealed values), when `--log` names one.
    func postgres() throws -> PostgresEventLog? {
        guard let log else { return nil }
        return try Self.openPostgres(log, readingKeys: true)
    }

    /// The log at `url`, which must exist unless `create`; with `readingKeys`, its keys are held
    /// for opening sealed values. An unreachable server or a database without a log exits 2
    /// with what PostgreSQL said.
    static func openPostgres(_ url: String, create: Bool = false, partitions: Int? = nil, readingKeys: Bool = false) throws -> PostgresEventLog {
        do {
            let log = try PostgresEventLog(try PostgresAddress(url), create: create, partitions: partitions)
            if readingKeys { try log.openKeysForReading() }
            return log
        } catch {
            Terminal.err("throughline: \(error)")
            throw ExitCode(2)
        }
    }

    /// The log as it stands: in PostgreSQL with `--log`, else under `data` (read without the
    /// store's lock: these commands run beside a serving server).
    func snapshot(_ data: DataOptions) throws -> LogSnapshot {
        guard let pg = try postgres() else { return try data.logSnapshot() }
        do { return try pg.snapshot() } catch {
            Terminal.err("throughline: \(error)")
            throw ExitCode(2)
        }
    }
}

/// `--partitions N`: how many partitions a log made in PostgreSQL by this command gets.
struct PartitionOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "With --log, when the command makes the log: its number of partitions (1 to \(Partitioning.maximum), default 1: one global order). "
            + "Fixed when the log is made; each account's events stay in one partition, each partition numbers its own.", valueName: "N"))
    var partitions: Int?
}
