import ThroughlineCore

/// Posts batches of NDJSON events to a server and reads back one result per line. Connection
/// loss and 503 are retried (with the server's `Retry-After`, else a growing pause) until
/// `retryFor` has passed: safe, because event ids make appends idempotent, so a batch that was
/// stored before the connection dropped comes back as duplicates.
public struct EventSender: Sendable {
    /// One line's result, numbered within its batch from 1.
    public struct LineResult: Sendable, Equatable {
        public let line: Int
        public let status: String
        public let seq: UInt64?
        public let error: String?
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public let address: ServerAddress
    public let retryFor: Duration
    /// Called before each retry with the reason (for a message on the terminal).
    public let onRetry: @Sendable (String) -> Void

    public init(address: ServerAddress, retryFor: Duration = .seconds(60), onRetry: @escaping @Sendable (String) -> Void = { _ in }) {
        self.address = address
        self.retryFor = retryFor
        self.onRetry = onRetry
    }

    /// Sends one batch of lines (NDJSON bytes) and returns its per-line results.
    public func post(_ body: [UInt8]) async throws -> [LineResult] {
        let clock = ContinuousClock()
        let deadline = clock.now + retryFor
        var pause = Duration.milliseconds(200)
        while true {
            let reason: String
            var wait = pause
            do {
                let reply = try await HTTPConnection.request(address, "POST", "/v1/events",
                                                             headers: [("Content-Type", "application/x-ndjson")], body: body)
                switch reply.status {
                case 200, 207, 400:
                    return try Self.results(reply)
                case 503:
                    reason = "the server is busy (503)"
                    if let after = reply.header("Retry-After").flatMap(Int.init) { wait = .seconds(min(max(after, 0), 30)) }
                default:
                    throw Failure(description: "the server answered \(reply.status): \(reply.errorMessage)")
                }
            } catch let failure as Failure {
                throw failure
            } catch {
                reason = "cannot reach the server at \(address): \(error)"
            }
            guard clock.now + wait < deadline else {
                throw Failure(description: "gave up after \(retryFor): \(reason)")
            }
            onRetry(reason)
            try await Task.sleep(for: wait)
            pause = min(pause * 2, .seconds(5))
        }
    }

    /// The `results` of an ingest answer.
    static func results(_ reply: HTTPReply) throws -> [LineResult] {
        let json: JSONValue
        do { json = try reply.body.withUnsafeBufferPointer { try JSONParser.parse($0) } } catch {
            throw Failure(description: "the server's answer (\(reply.status)) is not JSON: \(error)")
        }
        guard case .array(let items)? = json["results"] else {
            throw Failure(description: "the server's answer (\(reply.status)) has no results: \(reply.errorMessage)")
        }
        return try items.map { item in
            guard case .number(let n)? = item["line"], let line = Int(n), case .string(let status)? = item["status"] else {
                throw Failure(description: "the server's answer holds a malformed result: \(JSONWriter.string(item))")
            }
            var seq: UInt64?
            if case .number(let s)? = item["seq"] { seq = UInt64(s) }
            var error: String?
            if case .string(let e)? = item["error"] { error = e }
            return LineResult(line: line, status: status, seq: seq, error: error)
        }
    }
}
