import EventLog
import HTTPTypes
import Hummingbird
import Logging

/// The routes the server answers, with their methods: one table for the 405 answers and the
/// request metrics' route labels.
enum Endpoints {
    static let all: [(pattern: String, methods: [HTTPRequest.Method])] = [
        ("/v1/events", [.get, .post]), ("/v1/health", [.get]), ("/v1/projection-errors", [.get]), ("/metrics", [.get]), ("/v1/accounts", [.get]),
        ("/v1/accounts/{id}/timeline", [.get]), ("/v1/accounts/{id}/context", [.get]), ("/v1/accounts/{id}/scores", [.get]),
        ("/v1/accounts/{id}/scores/explain", [.get]), ("/", [.get]), ("/accounts/{id}", [.get]),
        ("/accounts/{id}/events", [.post]), ("/replays", [.get]), ("/replays/{id}", [.get]), ("/v1/overrides", [.get]), ("/overrides", [.get]),
        ("/v1/unlinked", [.get]), ("/unlinked", [.get]), ("/v1/data-quality", [.get]), ("/data-quality", [.get]),
    ]

    /// The pattern `path` matches (`{id}` is one path segment), or nil.
    static func pattern(of path: String) -> (pattern: String, methods: [HTTPRequest.Method])? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        return all.first { e in
            let want = e.pattern.split(separator: "/", omittingEmptySubsequences: false)
            return want.count == parts.count && zip(want, parts).allSatisfy { w, p in w == "{id}" ? !p.isEmpty : w == p }
        }
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
