import Access
import EventLog
import Hummingbird
import Logging
import Projections
import ThroughlineCore

/// `POST /v1/events`: NDJSON or a JSON array of events, decoded as it streams in; answers one
/// result per line once every accepted event is durable.
struct IngestRoute: Sendable {
    let store: EventStore
    let options: ServerOptions
    let gate: IngestGate
    let metrics: ServerMetrics
    let producers: ProducerLedger
    /// Where a forget is recorded, with who asked for it.
    let audit: AuditTrail

    enum Framing { case lines, array }

    static let lineTypes: Set<String> = ["application/x-ndjson", "application/jsonl", "application/x-jsonlines", "application/jsonlines"]

    func handle(_ request: Request, _ context: ServerContext) async throws -> Response {
        let logger = context.logger
        let type = request.headers[.contentType].map(Self.mediaType) ?? ""
        let framing: Framing
        if Self.lineTypes.contains(type) {
            framing = .lines
        } else if type == "application/json" {
            framing = .array
        } else {
            return Reply.error(.unsupportedMediaType,
                               "Content-Type must be application/x-ndjson (one event per line) or application/json (an array of events), not \(type.isEmpty ? "missing" : type)")
        }
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > options.maxBodyBytes {
            return Reply.error(.contentTooLarge, "the body is \(length) bytes, over the \(options.maxBodyBytes)-byte limit; send it in smaller requests")
        }
        guard await gate.enter() else {
            metrics.refusedBusy()
            return Reply.unavailable("the log writer is behind and the ingest queue is full; retry after \(options.retryAfterSeconds) s",
                                     retryAfter: options.retryAfterSeconds)
        }
        defer { gate.leave() }

        let session = IngestSession(store: store, batchSize: options.batchSize, maxLineBytes: options.maxLineBytes)
        session.checks = IngestChecks.checks(for: context.principal)
        var cut: (status: HTTPResponse.Status, reason: String)?
        var lines = LineSplitter(maxLineBytes: options.maxLineBytes)
        var elements = JSONArraySplitter(maxElementBytes: options.maxLineBytes)
        var received = 0
        do {
            for try await buffer in request.body {
                var chunk = buffer
                if received + chunk.readableBytes > options.maxBodyBytes {
                    chunk = chunk.getSlice(at: chunk.readerIndex, length: options.maxBodyBytes - received) ?? ByteBuffer()
                    cut = (.contentTooLarge, "the body is over the \(options.maxBodyBytes)-byte limit; nothing after byte \(options.maxBodyBytes) was read")
                }
                received += chunk.readableBytes
                try chunk.withUnsafeReadableBytes { bytes in
                    switch framing {
                    case .lines: lines.feed(bytes, session.take)
                    case .array: try elements.feed(bytes, session.take)
                    }
                }
                if session.wantsFlush { try await session.flush() }
                if cut != nil { break }
            }
            if cut == nil {
                switch framing {
                case .lines: lines.finish(session.take)
                case .array: try elements.finish(session.take)
                }
            }
        } catch let error as JSONArraySplitter.FramingError {
            cut = (.badRequest, error.description)
        } catch let error as StoreError {
            return Self.storeFailure(error, logger: logger)
        }
        let results: IngestResults
        do {
            results = try await session.finish()
        } catch {
            return Self.storeFailure(error, logger: logger)
        }
        metrics.rejectedLines(results.summary.rejected)
        for f in session.forgets where results.line(f.line).status == .accepted {
            audit.record(AuditTrail.Entry(time: options.clock.now(), principal: await AuditRecorder.who(context), action: "forget",
                                          request: "subject.forgotten at seq \(results.line(f.line).seq ?? 0)", account: f.account, status: 200,
                                          address: context.onSocket ? "socket" : context.clientAddress))
        }
        // The producers' counts are a report's, not the log's: the answer does not wait for them,
        // and failing to keep them fails no ingest.
        producers.record(session.producers, at: options.clock.now()) { [logger] error in
            logger.warning("cannot count the requests' lines by producer", metadata: ["error": "\(error)"])
        }
        return Reply.ingest(results, status: Self.status(results.summary, cut: cut), note: cut?.reason, partitioning: store.partitioning)
    }

    /// The answer when the log refuses a step of the request: the status `ErrorStatus` gives the
    /// error (503 with `Retry-After` while the store is closing or the disk is full, when the
    /// same request succeeds later; 500 when the log cannot be written), with what of the
    /// request may be stored.
    static func storeFailure(_ error: Error, logger: Logger) -> Response {
        logger.error("ingest failed", metadata: ["error": "\(error)"])
        let mapped = ErrorStatus.of(error)
        let stored = "this step of the request was not stored (earlier steps of a large body may have been), and retrying is safe"
        if let retryAfter = mapped.retryAfter, let message = mapped.message {
            return Reply.unavailable("\(message); \(stored)", retryAfter: retryAfter)
        }
        return Reply.error(.internalServerError, "the log could not store this request (the server's log says why); events of it "
                           + "may or may not be stored, retrying is safe")
    }

    /// 200 all stored; 207 some lines refused; 400 nothing stored because nothing was usable;
    /// 413 the body was cut at the size limit.
    static func status(_ s: Importer.Summary, cut: (status: HTTPResponse.Status, reason: String)?) -> HTTPResponse.Status {
        let usable = s.accepted + s.duplicate + s.conflict
        if let cut, cut.status == .contentTooLarge { return .contentTooLarge }
        if usable == 0 { return .badRequest }
        if cut != nil || s.rejected > 0 || s.conflict > 0 { return .multiStatus }
        return .ok
    }

    /// `application/x-ndjson; charset=utf-8` → `application/x-ndjson`.
    static func mediaType(_ header: String) -> String {
        String(header.split(separator: ";", maxSplits: 1).first ?? "").trimmingCharacters(in: .whitespaces).lowercased()
    }
}
