import EventLog
import Hummingbird
import HTTPTypes
import Projections

/// Whether the read models follow the log: what the projector and the scorer are doing, as
/// health states it, and as a reply from the read models carries it when they may be stale.
struct Freshness: Sendable {
    let store: EventStore
    let projector: ProjectorRunner
    let scorer: ScoreRunner

    var workers: [Worker] { [projector.worker, scorer.worker] }

    /// True when a worker gave up: the read models no longer follow the log until a restart.
    var failing: Bool { workers.contains { if case .stopped = $0.state { true } else { false } } }

    /// A line for each worker that is not simply running, and one while the log's database
    /// cannot be reached (appends fail, and other nodes' events do not arrive).
    var problems: [String] {
        workers.compactMap { w in
            let s = w.state
            return s.reason.map { "\(w.name) \(s.name): \($0)" }
        } + (store.unreachable.map { ["log unreachable (reads may be stale, appends are refused): \($0)"] } ?? [])
    }

    /// Why a read of the read models may be stale, or nil while every worker runs.
    var staleness: String? {
        let lines = problems
        guard !lines.isEmpty else { return nil }
        return "the read models are at seq \(projector.applied) of \(store.position); " + lines.joined(separator: "; ")
    }

    /// `staleness` as a header value: printable ASCII, at most 1,000 bytes.
    static func headerValue(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.prefix(1000).map { $0.isASCII && $0.value >= 0x20 && $0.value != 0x7F ? $0 : "?" }))
    }
}

/// Marks every reply from the read models (accounts, timelines, context, scores, pages) with
/// `Throughline-Stale` while the projector or the scorer is paused, retrying or stopped.
struct StaleMarker<Context: RequestContext>: RouterMiddleware {
    let freshness: Freshness

    /// The routes whose answers come from the read models.
    static var readModelRoutes: Set<String> {
        ["/v1/accounts", "/v1/accounts/{id}/timeline", "/v1/accounts/{id}/context", "/v1/accounts/{id}/scores",
         "/v1/accounts/{id}/scores/explain", "/", "/accounts/{id}", "/v1/overrides", "/overrides", "/v1/unlinked", "/unlinked", "/v1/data-quality", "/data-quality"]
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        if let route = context.endpointPath, Self.readModelRoutes.contains(route), let stale = freshness.staleness {
            response.headers[.throughlineStale] = Freshness.headerValue(stale)
        }
        return response
    }
}
