import EventLog
import Hummingbird
import Projections
import ThroughlineCore

/// The read side: the catch-up read of the log, health, and metrics.
struct ReadRoutes: Sendable {
    let store: EventStore
    let options: ServerOptions
    let metrics: ServerMetrics
    let gate: IngestGate
    let projector: ProjectorRunner
    let projections: ProjectionStore
    let freshness: Freshness
    let alerter: AlertRunner?
    let startedNanos = monotonicNanos()

    /// `GET /v1/events?after=POSITION&limit=N[&account=ID]`: the events after `after`, in seq
    /// order, as NDJSON, at most `limit` of them and about `maxReadBytes` (always at least one).
    /// `after` is the last seq read (with one partition), or `P:S,…`, the last seq read of each
    /// partition (with more: `LogPosition`). `Throughline-Next-After` is the `after` to pass
    /// next; `Throughline-Last-Seq` where the log ends. With an account, the events the read
    /// models hold are read from the account's own records, and only the log past their
    /// checkpoint is scanned (at most `maxScanEvents` records): the read costs what the account's
    /// events cost, never a scan of the whole log.
    func events(_ request: Request, _ context: ServerContext) throws -> Response {
        let after: LogPosition, limit: Int, account: String?
        do {
            let q = try Query(request, allowed: ["after", "limit", "account"])
            after = try q.position("after", store.partitioning) ?? LogPosition(start: store.partitioning)
            limit = try q.int("limit", in: 1...options.maxReadLimit) ?? 1000
            account = try q.string("account")
        } catch let problem as Query.Problem {
            return problem.response
        }
        var out: [UInt8] = []
        var next: LogPosition
        let snap: LogSnapshot
        if let account {
            let redactor = try EventRedactor(projections, reader: context.principal, account: account)
            let filed = try projections.accountEvents(account, after: after, limit: limit, maxBytes: options.maxReadBytes, into: &out, as: redactor.showing)
            snap = store.snapshot()
            if let stoppedAt = filed.stoppedAt {
                next = after.union(filed.checkpoint.upTo(stoppedAt))
            } else if filed.written >= limit || out.count >= options.maxReadBytes {
                next = after.union(filed.checkpoint)
            } else {
                next = try snap.writeNDJSON(after: after.union(filed.checkpoint), limit: limit - filed.written, account: account,
                                            maxBytes: options.maxReadBytes - out.count, maxScanned: options.maxScanEvents, into: &out,
                                            as: redactor.showing).reached
            }
        } else {
            snap = store.snapshot()
            next = try EventRedactor.within(projections, reader: context.principal) { redactor in
                try snap.writeNDJSON(after: after, limit: limit, account: nil, maxBytes: options.maxReadBytes, into: &out, as: redactor.showing).reached
            }
        }
        // Never past the log's end (an `after` beyond it reads nothing, and says where the end is).
        next = next.meet(snap.position)
        return Response(status: .ok,
                        headers: [.contentType: "application/x-ndjson",
                                  .throughlineLastSeq: snap.position.description,
                                  .throughlineNextAfter: next.description],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: out)))
    }

    /// `GET /v1/projection-errors?after=SEQ&limit=N`: stored events the read models leave out
    /// because they do not fold under this version's rules, with the reason, in seq order.
    func projectionErrors(_ request: Request) throws -> Response {
        let q = try Query(request, allowed: ["after", "limit"])
        let (count, errors) = try projections.projectionErrors(after: try q.seq("after") ?? 0, limit: try q.int("limit", in: 1...1000) ?? 100)
        return Reply.json(.ok, .object([
            JSONMember("count", Reply.number(count)),
            JSONMember("errors", .array(errors.map { e in
                .object([JSONMember("seq", Reply.number(e.seq)), JSONMember("account", .string(e.account)), JSONMember("error", .string(e.error))])
            })),
        ]))
    }

    /// `GET /v1/health`: the server is up, the log's last durable seq and the ingest load.
    /// `status` is `degraded` (200) while appends fail for want of disk space or a worker that
    /// keeps the read models (projector, scorer) pauses or retries, and `failing` (503) once a
    /// worker has stopped; `problems` then says why, one line each.
    func health() -> Response {
        let ingest = gate.counts
        var problems: [String] = []
        if let short = store.spaceShort { problems.append("appends: no space left for the log: \(short)") }
        problems += freshness.problems
        func state(_ w: Worker) -> JSONValue {
            .object([JSONMember("state", .string(w.state.name))] + (w.state.reason.map { [JSONMember("reason", .string($0))] } ?? []))
        }
        let failing = freshness.failing
        return Reply.json(failing ? .serviceUnavailable : .ok, .object([
            JSONMember("status", .string(failing ? "failing" : problems.isEmpty ? "ok" : "degraded")),
            JSONMember("problems", .array(problems.map { .string($0) })),
            JSONMember("projector", state(freshness.projector.worker)),
            JSONMember("scorer", state(freshness.scorer.worker)),
            JSONMember("alerter", alerter.map { a -> JSONValue in
                .object([JSONMember("alerts", .string(a.alerts.version))]
                        + (a.triage.map { [JSONMember("triage", .string($0.version)), JSONMember("triage_backlog", a.triageBacklog.map { Reply.number($0) } ?? .null)] } ?? [])
                        + (state(a.worker).members ?? []))
            } ?? .null),
            JSONMember("projection_errors", Reply.number((try? projections.projectionErrors(limit: 0).count) ?? 0)),
            JSONMember("last_seq", Reply.number(store.lastSeq)),
            JSONMember("projected_seq", Reply.number(projector.applied.lastSeq)),
            JSONMember("projector_yielding", .bool(projector.yielding)),
            JSONMember("projector_rebuilding", .bool(projector.rebuilding)),
        ] + (store.partitioning.count > 1 ? [
            // With several partitions, the highest seqs alone do not say whether every event is applied.
            JSONMember("log_position", .string(store.position.description)),
            JSONMember("projected_position", .string(projector.applied.description)),
        ] : []) + [
            JSONMember("partitions", Reply.number(store.partitioning.count)),
            JSONMember("queued_events", Reply.number(store.queuedEventCount)),
            JSONMember("ingest_requests_active", Reply.number(ingest.active)),
            JSONMember("ingest_requests_waiting", Reply.number(ingest.waiting)),
            JSONMember("uptime_seconds", Reply.number((monotonicNanos() - startedNanos) / 1_000_000_000)),
            JSONMember("scores", scoreStatus()),
        ]))
    }

    /// The rules scored with, a switch in progress, and the accounts whose scores are behind.
    func scoreStatus() -> JSONValue {
        guard let s = try? projections.scoreStatus() else { return .null }
        var m: [JSONMember] = [JSONMember("rules", s.active.map { .string($0) } ?? .null)]
        if let p = s.pending {
            m.append(JSONMember("switching_to", .string(p)))
            m.append(JSONMember("switch_progress", .string("\(s.pendingAccounts) of \(s.accounts) accounts")))
        }
        m.append(JSONMember("accounts_marked", Reply.number(s.marked)))
        m.append(JSONMember("accounts_behind", Reply.number(s.behind)))
        m.append(JSONMember("current", .bool(s.current)))
        return .object(m)
    }

    /// `GET /metrics`: Prometheus text format.
    func prometheus() -> Response {
        Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                 body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.render(queueDepth: store.queuedEventCount, lag: (projector.applied.events, store.position.events)))))
    }
}
