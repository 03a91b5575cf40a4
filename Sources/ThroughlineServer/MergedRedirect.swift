import Foundation
import Hummingbird
import Projections
import ThroughlineCore

/// An account merged into another answers with where it went: a read of one of its routes that
/// finds nothing (404) is redirected (308) to the same route of the account it was merged into,
/// with the same query. Accounts that exist cost nothing: the merge is looked up only on a 404.
struct MergedRedirect<Context: RequestContext>: RouterMiddleware {
    let projections: ProjectionStore
    let pool: ReadPool

    /// The routes named by an account id.
    static var accountRoutes: Set<String> {
        ["/v1/accounts/{id}/timeline", "/v1/accounts/{id}/context", "/v1/accounts/{id}/scores", "/v1/accounts/{id}/scores/explain", "/accounts/{id}"]
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let response = try await next(request, context)
        guard response.status == .notFound, request.method == .get, let route = context.endpointPath, Self.accountRoutes.contains(route)
        else { return response }
        let account = Query.pathID(context)
        guard let into = try await pool.run({ [projections] in try projections.mergedInto(account) }) else { return response }
        let path = route.replacingOccurrences(of: "{id}", with: percentEncoded(into))
        let location = path + (request.uri.query.map { "?" + $0 } ?? "")
        var redirect = Reply.json(.permanentRedirect, .object([
            JSONMember("error", .string("account \(account) was merged into \(into)")), JSONMember("merged_into", .string(into)),
        ]))
        redirect.headers[.location] = location
        return redirect
    }
}
