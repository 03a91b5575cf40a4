import EventLog
import Hummingbird
import ThroughlineCore

/// The read side: the catch-up read of the log, health, and metrics.
struct ReadRoutes: Sendable {
    let store: EventStore
    let options: ServerOptions
    let metrics: ServerMetrics
    let gate: IngestGate
    let startedNanos = monotonicNanos()

    /// `GET /v1/events?after=SEQ&limit=N[&account=ID]`: events with seq > after, in seq order, as
    /// NDJSON. `Throughline-Next-After` is the `after` to pass next (with an account filter the
    /// scan may pass many events of other accounts); `Throughline-Last-Seq` the log's last seq.
    func events(_ request: Request) throws -> Response {
        let query = request.uri.queryParameters
        for (key, _) in query where !["after", "limit", "account"].contains(String(key)) {
            return Reply.error(.badRequest, "unknown query parameter \(key); use after, limit and account")
        }
        var after: UInt64 = 0
        if let text = query["after"] {
            guard let v = UInt64(text) else { return Reply.error(.badRequest, "after: must be a seq (a non-negative integer), not \(text)") }
            after = v
        }
        var limit = 1000
        if let text = query["limit"] {
            guard let v = Int(text), v >= 1, v <= options.maxReadLimit else {
                return Reply.error(.badRequest, "limit: must be an integer from 1 to \(options.maxReadLimit), not \(text)")
            }
            limit = v
        }
        let account = query["account"].map(String.init)
        if account?.isEmpty == true { return Reply.error(.badRequest, "account: must not be empty") }
        let snap = store.snapshot()
        var out: [UInt8] = []
        let (_, next) = try snap.writeNDJSON(from: after + 1, limit: limit, account: account, maxBytes: Int.max, into: &out)
        return Response(status: .ok,
                        headers: [.contentType: "application/x-ndjson",
                                  .throughlineLastSeq: String(snap.lastSeq),
                                  .throughlineNextAfter: String(min(next - 1, snap.lastSeq))],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: out)))
    }

    /// `GET /v1/health`: the server is up, the log's last durable seq and the ingest load.
    func health() -> Response {
        let ingest = gate.counts
        return Reply.json(.ok, .object([
            JSONMember("status", .string("ok")),
            JSONMember("last_seq", Reply.number(store.lastSeq)),
            JSONMember("queued_events", Reply.number(store.queuedEventCount)),
            JSONMember("ingest_requests_active", Reply.number(ingest.active)),
            JSONMember("ingest_requests_waiting", Reply.number(ingest.waiting)),
            JSONMember("uptime_seconds", Reply.number((monotonicNanos() - startedNanos) / 1_000_000_000)),
        ]))
    }

    /// `GET /metrics`: Prometheus text format.
    func prometheus() -> Response {
        Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                 body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.render(queueDepth: store.queuedEventCount))))
    }
}
