import Hummingbird
import Projections
import ThroughlineCore

/// `GET /v1/triage/queue?tier=&account=&limit=`: the open tickets across accounts by their
/// latest triage (`ticket.triaged`), highest priority first, with tier, reasons and the
/// account's band.
struct TriageRoutes: Sendable {
    let projections: ProjectionStore

    static let parameters = ["tier", "account", "limit"]

    func queue(_ request: Request) throws -> Response {
        let q = try Query(request, allowed: Self.parameters)
        let queue = try projections.triageQueue(tier: try q.string("tier"), account: try q.string("account"), limit: try q.int("limit", in: 1...5000) ?? 500)
        return Reply.json(.ok, .object([JSONMember("tickets", .array(queue.map(\.json)))]))
    }
}
