// plain-events-bench: the peer the log in PostgreSQL is measured against. It loads NDJSON events
// into the table teams who roll their own usually keep (one row per event: a unique id, the
// account under an index, the event as jsonb), from several connections in batches of a fixed
// number of events, one durable transaction per batch (synchronous_commit on, the same as the
// log's nodes), an id already stored skipped (ON CONFLICT DO NOTHING: appends stay idempotent).
// It reports committed events/s and the table's bytes with its indexes.
//
//   plain-events-bench --url postgres://USER@/DB?host=/dir --file events.ndjson
//       [--connections 4] [--events-per-request 1000] [--limit N]
import BenchSupport
import Foundation
import Logging
import PostgresLog
import PostgresNIO
import ThroughlineCore

struct Options {
    var url = ""
    var file = ""
    var connections = 4
    var perBatch = 1000
    var limit = Int.max

    static func parse(_ args: [String]) -> Options {
        var o = Options()
        readOptions(args, fail: fail) { name, value in
            switch name {
            case "--url": o.url = value()
            case "--file": o.file = value()
            case "--connections": o.connections = Int(value()) ?? 0
            case "--events-per-request": o.perBatch = Int(value()) ?? 0
            case "--limit": o.limit = Int(value()) ?? 0
            default: fail("unknown argument \(name)")
            }
        }
        guard !o.url.isEmpty, !o.file.isEmpty, o.connections > 0, o.perBatch > 0, o.limit > 0 else {
            fail("usage: plain-events-bench --url postgres://… --file EVENTS.ndjson [--connections N] [--events-per-request N] [--limit N]")
        }
        return o
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data(("plain-events-bench: " + message + "\n").utf8))
    exit(2)
}

/// The file's lines, handed out a batch at a time.
actor Batches {
    private let lines: [Substring]
    private var next = 0
    let size: Int

    init(text: String, size: Int, limit: Int) {
        lines = Array(text.split(separator: "\n").prefix(limit))
        self.size = size
    }

    var count: Int { lines.count }

    func take() -> ArraySlice<Substring>? {
        guard next < lines.count else { return nil }
        defer { next += size }
        return lines[next..<min(next + size, lines.count)]
    }
}

let options = Options.parse(Array(CommandLine.arguments.dropFirst()))
let address: PostgresAddress
do { address = try PostgresAddress(options.url) } catch { fail("\(error)") }
guard let text = try? String(contentsOfFile: options.file, encoding: .utf8) else { fail("cannot read \(options.file)") }
let batches = Batches(text: text, size: options.perBatch, limit: options.limit)
var logger = Logger(label: "plain-events-bench")
logger.logLevel = .critical

func connect(_ id: Int) async throws -> PostgresConnection {
    let config: PostgresConnection.Configuration
    if let host = address.host {
        config = .init(host: host, port: address.port, username: address.user, password: address.password, database: address.database, tls: .disable)
    } else {
        config = .init(unixSocketPath: address.socketPath!, username: address.user, password: address.password, database: address.database)
    }
    return try await PostgresConnection.connect(configuration: config, id: id, logger: logger)
}

let setup = try await connect(0)
// A query's answer can arrive before its statement has run (rows or none are announced first):
// the table must be committed before the clients' inserts start, so each setup step is read to its end.
_ = try await setup.query("""
    CREATE TABLE IF NOT EXISTS plain_events (seq bigserial PRIMARY KEY, id text NOT NULL UNIQUE, account text NOT NULL, payload jsonb NOT NULL)
    """, logger: logger).collect()
_ = try await setup.query("CREATE INDEX IF NOT EXISTS plain_events_account ON plain_events (account)", logger: logger).collect()

let clock = ContinuousClock()
let start = clock.now
let stored = try await withThrowingTaskGroup(of: Int.self) { group in
    for c in 0..<options.connections {
        group.addTask {
            let connection = try await connect(c + 1)
            _ = try await connection.query("SET synchronous_commit = on", logger: logger).collect()
            var events = 0
            while let batch = await batches.take() {
                var ids: [String] = [], accounts: [String] = [], payloads: [String] = []
                for line in batch {
                    guard let json = try? JSONParser.parse(String(line)), case .string(let id)? = json["id"],
                          case .string(let account)? = json["account"] else { fail("a line without id or account: \(line.prefix(120))") }
                    ids.append(id)
                    accounts.append(account)
                    payloads.append(String(line))
                }
                var binds = PostgresBindings()
                binds.append(ids)
                binds.append(accounts)
                binds.append(payloads)
                // Read to its end: the batch is committed (and durable) only when its command completes.
                _ = try await connection.query(PostgresQuery(unsafeSQL: """
                    INSERT INTO plain_events (id, account, payload)
                    SELECT i, a, p::jsonb FROM unnest($1::text[], $2::text[], $3::text[]) AS t(i, a, p) ON CONFLICT (id) DO NOTHING
                    """, binds: binds), logger: logger).collect()
                events += batch.count
            }
            try await connection.close() as Void
            return events
        }
    }
    var total = 0
    for try await n in group { total += n }
    return total
}
let elapsed = clock.now - start
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
let rows = try await setup.query("SELECT pg_total_relation_size('plain_events')", logger: logger).collect()
let bytes = try rows.first!.decode(Int64.self)
print("plain table: \(stored) events in \(String(format: "%.2f", seconds)) s = \(Int(Double(stored) / seconds)) events/s "
      + "(\(options.connections) connections, \(options.perBatch) events per transaction); \(bytes) bytes with indexes")
try await setup.close() as Void
