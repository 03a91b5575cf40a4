import EventLog
import Foundation
import Logging
import Scoring
import Synchronization
import TestSupport
import ThroughlineClient
import ThroughlineCore
import ThroughlineServer

/// Keeps what the server logs at notice and above, to be read by a test.
final class LogCapture: LogHandler, @unchecked Sendable {
    private let lines = Mutex<[(level: Logger.Level, message: String, metadata: Logger.Metadata)]>([])
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .notice

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
        lines.withLock { $0.append((level, message.description, metadata ?? [:])) }
    }

    var entries: [(level: Logger.Level, message: String, metadata: Logger.Metadata)] { lines.withLock { $0 } }
}

/// A server running in this process on a fresh data directory, talking over its real socket.
final class RunningServer: Sendable {
    /// The hand-written rules/health-v1.yaml, for tests whose expected scores were counted by
    /// hand under it (`RunningServer { $0.rules = try RunningServer.healthV1() }`).
    static func healthV1() throws -> (rules: Rules, text: String) {
        let text = try String(contentsOfFile: CLI.repo + "/rules/health-v1.yaml", encoding: .utf8)
        return (try Rules.load(yaml: text, file: "health-v1.yaml"), text)
    }

    let dir: TempDir
    /// The data directory: `dir`, or a folder inside it.
    let data: String
    let server: ThroughlineServer
    let task: Task<Void, Error>

    convenience init(dataFolder: String? = nil, _ configure: (inout ServerOptions) -> Void = { _ in }) async throws {
        try await self.init(in: TempDir(), dataFolder: dataFolder, configure)
    }

    /// A server whose data directory is `dataFolder` inside `dir` (which the caller may have
    /// prepared, e.g. mounted a small file system in).
    init(in dir: TempDir, dataFolder: String? = nil, log: LogCapture? = nil, _ configure: (inout ServerOptions) -> Void = { _ in }) async throws {
        self.dir = dir
        data = dataFolder.map { dir.path + "/" + $0 } ?? dir.path
        var options = ServerOptions(socketPath: data + "/throughline.sock")
        options.handleSignals = false
        // The whole suite runs tests side by side on few cores (a browser among them): a read
        // with min_seq may wait long for the projector there. Tests of the wait set their own.
        options.readWait = .seconds(60)
        // A connection waiting that long is not idle: the idle timeout must not cut it first.
        options.idleTimeout = .seconds(90)
        configure(&options)
        let logger = Logger(label: "test") { _ in log.map { $0 as LogHandler } ?? SwiftLogNoOpLogHandler() }
        let server = try ThroughlineServer(dataDirectory: data, options: options, logger: logger)
        self.server = server
        task = Task { try await server.run() }
        try await waitUntilServing(.unix(options.socketPath))
    }

    var address: ServerAddress { .unix(server.options.socketPath) }

    func post(_ body: String, type: String = "application/x-ndjson") async throws -> HTTPReply {
        try await HTTPConnection.request(address, "POST", "/v1/events", headers: [("Content-Type", type)], body: Array(body.utf8))
    }

    func get(_ path: String) async throws -> HTTPReply {
        try await HTTPConnection.request(address, "GET", path)
    }

    /// The TCP port of a server started with `listen`, once it is bound (at most 5 s).
    func tcpPort() async throws -> Int {
        for _ in 0..<200 {
            if let port = server.tcpPort { return port }
            try await Task.sleep(for: .milliseconds(25))
        }
        throw TestFailure("the server's TCP listener did not come up")
    }

    func stop() async throws {
        await server.shutdown()
        try await task.value
    }
}

/// Polls `GET /v1/health` until the server answers (at most 20 s).
func waitUntilServing(_ address: ServerAddress) async throws {
    for _ in 0..<400 {
        if let reply = try? await HTTPConnection.request(address, "GET", "/v1/health"), reply.status == 200 { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    throw TestFailure("the server at \(address) did not come up")
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// The parsed JSON of a reply.
func json(_ reply: HTTPReply) throws -> JSONValue {
    try reply.body.withUnsafeBufferPointer { try JSONParser.parse($0) }
}

/// `results` of an ingest reply as (line, status, seq, error).
func results(_ reply: HTTPReply) throws -> [(line: Int, status: String, seq: UInt64?, error: String?)] {
    guard case .array(let items)? = try json(reply)["results"] else { throw TestFailure("no results in \(reply.text)") }
    return items.map { item in
        var line = 0, status = "", seq: UInt64?, error: String?
        if case .number(let n)? = item["line"] { line = Int(n) ?? 0 }
        if case .string(let s)? = item["status"] { status = s }
        if case .number(let n)? = item["seq"] { seq = UInt64(n) }
        if case .string(let e)? = item["error"] { error = e }
        return (line, status, seq, error)
    }
}

func int(_ value: JSONValue?) -> Int? {
    if case .number(let n)? = value { return Int(n) }
    return nil
}

/// A valid note event line.
func noteLine(_ i: Int, account: String = "acme", text: String = "hello") -> String {
    #"{"id":"n-\#(i)","account":"\#(account)","type":"note.added","time":"2026-03-02T09:14:00Z","data":{"author":"maria","text":"\#(text) \#(i)"}}"#
}

/// How many times each event id is stored in the log at `dir`.
func storedIDCounts(_ dir: String) throws -> [String: Int] {
    var counts: [String: Int] = [:]
    try LogInspector.snapshot(directory: dir).snapshot.forEachView { view in
        counts[view.id, default: 0] += 1
        return true
    }
    return counts
}
