import EventLog
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Projections
import ThroughlineCore

/// `GET /v1/events/stream?after=POSITION&types=T,T&account=ID&heartbeat=S&follow=B`: server-sent events.
/// Every event after `after` (or after the `Last-Event-ID` a reconnecting client sends), then
/// each new event as it commits, as an `id:` (the position after it) and a `data:` line (the
/// event as `GET /v1/events` shows it to this reader); a `heartbeat` event with the position
/// every `heartbeat` seconds without one; an `end` event when the server stops (or, with
/// `follow=false`, once everything up to the log's end when it reached it is sent).
///
/// The stream reads the log itself, a chunk of at most `maxReadBytes` at a time, and keeps no
/// queue of its own: a slow consumer holds one chunk, never slows ingest, and simply reads
/// further behind; one that stops reading is cut off by the connection's idle timeout and
/// resumes from the last `id:` it received. Streams at one place with one filter and one reader
/// share the chunk one of them read (`StreamChunks`).
struct StreamRoute: Sendable {
    let store: EventStore
    let projections: ProjectionStore
    let options: ServerOptions
    let watch: LogWatch
    let metrics: ServerMetrics
    let logger: Logger
    let chunks = StreamChunks(executor: Self.executor)
    /// Where every stream's task runs and reads its stretches: two threads of their own, not the
    /// cooperative ones bulk ingest keeps busy, at a raised priority (nice -5) when the process
    /// may take it. A stretch costs a few milliseconds of CPU; under a bulk load that fills both
    /// cores, threads of equal priority took up to 200 ms to get them, -5 about 40 ms at the 99th
    /// percentile (BENCHMARKS.md).
    static let executor = ThreadsExecutor(name: "streams", count: 2, nice: streamsNice)
    static let streamsNice: Int32 = -5

    func handle(_ request: Request, _ context: ServerContext) async throws -> Response {
        let partitions = store.partitioning
        let q = try Query(request, allowed: ["after", "types", "account", "heartbeat", "follow"])
        let types = try Self.types(q.string("types"))
        let start = try start(request, given: try q.position("after", partitions) ?? LogPosition(start: partitions))
        let account = try q.string("account")
        let heartbeat = Duration.seconds(try q.int("heartbeat", in: 1...300) ?? 15)
        let follow = try q.bool("follow") ?? true
        // The filter of an unnamed subscription of one member.
        let filter = SubscriptionStore.Definition(name: "", types: types.map { Array($0) }, account: account, members: 1)
        return stream(from: start, context, heartbeat: heartbeat, follow: follow, share: filter.share(member: 0)) { filter.keeps($0, member: 0) }
    }

    /// The position a stream starts after: `Last-Event-ID` (a reconnecting client's), else `given`.
    func start(_ request: Request, given: LogPosition) throws -> LogPosition {
        guard let resumed = request.headers[.lastEventID] else { return given }
        do { return try LogPosition(parsing: Substring(resumed), partitions: store.partitioning) } catch {
            throw Query.Problem(message: "Last-Event-ID: \(error.reason)")
        }
    }

    /// The stream of the events after `from` that `keeps` keeps, as `reader` may see them;
    /// `sent` is told each position whose events were written. Streams given the same `share`
    /// (a text naming the filter `keeps` is) share their chunks.
    func stream(from: LogPosition, _ context: ServerContext, heartbeat: Duration, follow: Bool, share: String? = nil,
                sent: @escaping @Sendable (LogPosition) -> Void = { _ in }, keeps: @escaping @Sendable (RecordView) -> Bool) -> Response {
        let (store, projections, options, watch, metrics, logger, chunks) = (store, projections, options, watch, metrics, logger, chunks)
        let (reader, channel) = (context.principal, context.channel)
        let body = ResponseBody { writer in
            try await withTaskExecutorPreference(Self.executor) {
                /// Writes `bytes`; a consumer that leaves them unread for `streamStall` is cut off
                /// (its connection closed), which ends the write and the stream.
                func send(_ bytes: ByteBuffer, at position: LogPosition) async throws {
                    let watchdog = Task {
                        try await Task.sleep(for: options.streamStall)
                        logger.notice("an event stream's consumer stopped reading; cut off (it resumes from the last id it received)",
                                      metadata: ["position": "\(position)", "stall": "\(options.streamStall)"])
                        channel?.close(promise: nil)
                    }
                    defer { watchdog.cancel() }
                    try await writer.write(bytes)
                }
                var position = from
                var lastBeat = ContinuousClock.now
                while !watch.isClosed {
                    let seen = watch.generation
                    let after = position
                    let read = try await chunks.chunk(StreamChunks.key(after: after, reader: reader, filter: share), after: after) {
                        var out: [UInt8] = []
                        // A stretch's bytes are at most that and one event: no growing by copies.
                        out.reserveCapacity(options.maxReadBytes + (64 << 10))
                        let reached = try EventRedactor.within(projections, reader: reader) { redactor in
                            try store.snapshot().writeNDJSON(after: after, limit: .max, account: nil, maxBytes: options.maxReadBytes,
                                                             maxScanned: options.maxScanEvents, matching: keeps,
                                                             framing: .serverSentEvents, into: &out, as: redactor.showing).reached
                        }
                        return StreamChunks.Chunk(bytes: ByteBuffer(bytes: out), reached: reached)
                    }
                    let (chunk, reached) = (read.bytes, read.reached)
                    let moved = reached != position
                    position = reached
                    if chunk.readableBytes > 0 {
                        try await send(chunk, at: position)
                        if after.heads.count == 1, let visible = watch.madeVisible(after: after.heads[0]) {
                            metrics.streamDelay(ContinuousClock.now - visible)
                        }
                        sent(position)
                        lastBeat = ContinuousClock.now
                        continue
                    }
                    // More of the log to look through (a filter kept nothing of this stretch).
                    if moved, !position.reaches(store.position) { continue }
                    if moved { sent(position) }
                    if !follow { break }
                    let now = ContinuousClock.now
                    if now - lastBeat >= heartbeat {
                        try await send(Self.frame("heartbeat", id: position, data: .object([
                            JSONMember("position", .string(position.description)),
                            JSONMember("time", .string(Timestamp.utc(microseconds: options.clock.now()).description)),
                        ])), at: position)
                        sent(position)
                        lastBeat = now
                    }
                    await watch.wait(after: seen, timeout: heartbeat - (ContinuousClock.now - lastBeat))
                }
                let reason = follow || watch.isClosed ? "the server is stopping; reconnect with Last-Event-ID to go on from here"
                    : "caught up with the log (follow=false)"
                try await send(Self.frame("end", id: position, data: .object([
                    JSONMember("reason", .string(reason)),
                    JSONMember("position", .string(position.description)),
                ])), at: position)
                try await writer.finish(nil)
            }
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"], body: body)
    }

    /// Event types named `a,b,…`, each known.
    static func types(_ text: String?) throws -> Set<EventType>? {
        try text.map { text in
            Set(try text.split(separator: ",").map { name in
                guard let type = EventType.named(String(name)) else {
                    throw Query.Problem(message: "types: \(name) is not an event type; one of \(EventType.names)")
                }
                return type
            })
        }
    }

    /// A named server-sent event.
    static func frame(_ event: String, id: LogPosition, data: JSONValue) -> ByteBuffer {
        ByteBuffer(string: "event: \(event)\nid: \(id)\ndata: \(JSONWriter.string(data))\n\n")
    }
}

extension HTTPField.Name {
    /// Where a reconnecting server-sent events client was (the last `id:` it received).
    static var lastEventID: Self { Self("Last-Event-ID")! }
}
