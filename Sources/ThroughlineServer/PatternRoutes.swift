import Hummingbird
import Projections
import ThroughlineCore

/// `GET /v1/patterns?weeks=N`: cohorts of accounts whose tickets, usage or sentiment moved
/// together in the last N full weeks (0: every week read), with the release each followed; and
/// the accounts whose trajectory resembles churned accounts' before they churned.
struct PatternRoutes: Sendable {
    let projections: ProjectionStore

    static func weeks(_ q: Query) throws -> Int? {
        let weeks = try q.int("weeks", in: 0...ProjectionStore.patternWeeks) ?? 52
        return weeks == 0 ? nil : weeks
    }

    func list(_ request: Request) throws -> Response {
        let q = try Query(request, allowed: ["weeks"])
        return Reply.json(.ok, try projections.patterns(recentWeeks: try Self.weeks(q)).json)
    }
}
