import EventLog
import Foundation
import PostgresLog
import Testing
import ThroughlineCore

/// The two places a log can be kept, behind what the behavioural tests use of each: the same
/// tests run against both.
enum LogBackend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case segments, postgres

    var testDescription: String { self == .segments ? "segment files" : "PostgreSQL, through a node's store" }

    /// A new, empty store of this kind.
    func fresh() throws -> LogPlace {
        switch self {
        case .segments:
            let dir = TempDir()
            return LogPlace(backend: self, location: dir.path, dir: dir)
        case .postgres: return LogPlace(backend: self, location: try PostgresServer.shared.freshDatabase(), dir: nil)
        }
    }
}

/// Where one test's store lives; `open` may be called again to see it as a restarted node would.
struct LogPlace: Sendable {
    let backend: LogBackend
    let location: String
    /// The temporary directory of a local store, removed with the place.
    let dir: TempDir?

    func open() throws -> any TestLog {
        switch backend {
        case .segments: try EventStore(directory: location, holder: "test")
        // As a node opens it: the same facade, its commit queue, writer and follower over the shared log.
        case .postgres: try EventStore(directory: nil, holder: "test", log: try PostgresEventLog(try PostgresAddress(location), create: true))
        }
    }
}

/// What the behavioural tests do with a log.
protocol TestLog: Sendable {
    func appendBatch(_ events: EncodedBatch) throws -> [AppendOutcome]
    func currentSnapshot() throws -> LogSnapshot
    func shut() throws
}

extension EventStore: TestLog {
    func appendBatch(_ events: EncodedBatch) throws -> [AppendOutcome] { try appendAndWait(events) }
    /// Everything committed now, by whichever node (a shared log is asked for its head).
    func currentSnapshot() throws -> LogSnapshot {
        _ = try currentPosition()
        return snapshot()
    }
    func shut() throws { try close() }
}
