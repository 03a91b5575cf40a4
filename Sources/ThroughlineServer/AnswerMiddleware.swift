import EventLog
import HTTPTypes
import Hummingbird
import Logging
import ThroughlineCore

/// The routes the server answers, with their methods and what each does (`Action`): one table
/// for the 405 answers, the request metrics' route labels, and who may call what (`SignInCheck`;
/// the README's roles table is this one, and a test walks it against a server).
enum Endpoints {
    struct Endpoint: Sendable {
        let pattern: String
        let actions: [(method: HTTPRequest.Method, action: Action)]
        var methods: [HTTPRequest.Method] { actions.map(\.method) }

        init(_ pattern: String, _ actions: [(HTTPRequest.Method, Action)]) {
            self.pattern = pattern
            self.actions = actions.map { (method: $0.0, action: $0.1) }
        }
    }

    static let all: [Endpoint] = [
        .init("/v1/events", [(.get, .read), (.post, .append)]), .init("/v1/events/stream", [(.get, .read)]),
        .init("/v1/subscriptions", [(.get, .read), (.post, .operate)]), .init("/v1/subscriptions/{id}", [(.get, .read)]),
        .init("/v1/subscriptions/{id}/stream", [(.get, .read)]), .init("/v1/subscriptions/{id}/ack", [(.post, .read)]),
        .init("/v1/deliveries", [(.get, .read)]), .init("/v1/tasks", [(.get, .read)]), .init("/tasks", [(.get, .read)]), .init("/v1/messages/findings", [(.get, .read)]), .init("/messages", [(.get, .read)]), .init("/v1/triage/queue", [(.get, .read)]), .init("/triage", [(.get, .read)]), .init("/v1/patterns", [(.get, .read)]), .init("/patterns", [(.get, .read)]), .init("/v1/health", [(.get, .open)]),
        .init("/v1/projection-errors", [(.get, .operate)]), .init("/metrics", [(.get, .operate)]), .init("/v1/accounts", [(.get, .read)]),
        .init("/v1/accounts/{id}/timeline", [(.get, .read)]), .init("/v1/accounts/{id}/context", [(.get, .read)]),
        .init("/v1/accounts/{id}/scores", [(.get, .read)]), .init("/v1/accounts/{id}/scores/explain", [(.get, .read)]),
        .init("/", [(.get, .read)]), .init("/accounts/{id}", [(.get, .read)]), .init("/accounts/{id}/events", [(.post, .annotate)]),
        .init("/replays", [(.get, .operate)]), .init("/replays/{id}", [(.get, .operate)]), .init("/v1/overrides", [(.get, .read)]),
        .init("/overrides", [(.get, .read)]), .init("/v1/unlinked", [(.get, .operate)]), .init("/unlinked", [(.get, .operate)]),
        .init("/v1/data-quality", [(.get, .operate)]), .init("/data-quality", [(.get, .operate)]),
        .init("/v1/audit", [(.get, .administer)]), .init("/v1/people", [(.get, .administer)]), .init("/audit", [(.get, .administer)]),
        .init("/sign-in", [(.get, .open), (.post, .open)]), .init("/sign-out", [(.post, .open)]),
    ]

    /// The endpoint `path` matches (`{id}` is one path segment), or nil.
    static func pattern(of path: String) -> Endpoint? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        return all.first { e in
            let want = e.pattern.split(separator: "/", omittingEmptySubsequences: false)
            return want.count == parts.count && zip(want, parts).allSatisfy { w, p in w == "{id}" ? !p.isEmpty : w == p }
        }
    }

    /// What a request does; a path no route answers is `.open` (it is answered 404, revealing nothing).
    static func action(of path: String, _ method: HTTPRequest.Method) -> Action {
        guard let endpoint = pattern(of: path) else { return .open }
        let wanted = method == .head ? .get : method
        return endpoint.actions.first { $0.method == wanted }?.action ?? .open
    }
}

/// Every answer leaves through here: an error a handler throws becomes a JSON answer with the
/// status `ErrorStatus` gives it (a request the store refuses is a 400, never a 500 with an empty
/// body); an unexpected one is logged and answered without internals (no paths, no SQL); a
/// method a route does not take is a 405 naming the ones it does; and every answer, pages, JSON
/// and the router's own 404s alike, carries the same security headers.
struct AnswerMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        if let endpoint = Endpoints.pattern(of: request.uri.path), !endpoint.methods.contains(request.method),
           !(request.method == .head && endpoint.methods.contains(.get)) {
            let allowed = endpoint.methods.map(\.rawValue).joined(separator: ", ")
            response = Reply.error(.methodNotAllowed, "\(request.method.rawValue) is not answered at \(endpoint.pattern); use \(allowed)")
            response.headers[.allow] = allowed
        } else {
            do {
                response = try await next(request, context)
            } catch let error as HTTPError {
                response = Reply.error(error.status, error.body ?? Self.reason(error.status))
                response.headers.append(contentsOf: error.headers)
            } catch {
                let mapped = ErrorStatus.of(error)
                if mapped.isServers {
                    logger.error("request failed", metadata: ["method": "\(request.method.rawValue)", "path": "\(request.uri.path)",
                                                              "error": "\(error)"])
                }
                response = mapped.response
            }
        }
        Self.secure(&response.headers)
        return response
    }

    static func reason(_ status: HTTPResponse.Status) -> String {
        status == .notFound ? "no such resource; see schemas/openapi.yaml for the API" : status.reasonPhrase
    }

    /// The headers every answer carries; a page sets its own stricter content policy first.
    static func secure(_ headers: inout HTTPFields) {
        if headers[.contentSecurityPolicy] == nil { headers[.contentSecurityPolicy] = "default-src 'none'; frame-ancestors 'none'" }
        headers[.xContentTypeOptions] = "nosniff"
        headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        if headers[.cacheControl] == nil { headers[.cacheControl] = "no-store" }
    }
}
