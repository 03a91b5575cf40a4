import Access
import Hummingbird
import ThroughlineCore
import WebPages

/// `GET /v1/audit` and `GET /audit` (admins only): the audit trail, newest first, by account, by
/// principal, paged back with `before`.
struct AuditRoutes: Sendable {
    let trail: AuditTrail
    let pool: ReadPool
    let clock: WallClock

    /// The filter a request names; a bad parameter is a `Query.Problem` naming it.
    /// (`page`: a form's empty fields are absent; the API takes them as given.)
    func filter(_ request: Request, page: Bool = false) throws -> AuditTrail.Filter {
        let q = try Query(request, allowed: ["account", "principal", "before", "limit"], dropEmpty: page)
        var f = AuditTrail.Filter()
        (f.account, f.principal) = (try q.string("account"), try q.string("principal"))
        f.before = try q.int("before", in: 1...Int.max).map(Int64.init)
        f.limit = try q.int("limit", in: 1...1000) ?? 100
        return f
    }

    func entries(_ request: Request) async throws -> Response {
        let f = try filter(request)
        // What is queued is written first, so an answer holds every request before it.
        let list = try await pool.run { try trail.flush(); return try trail.entries(f) }
        var members = [JSONMember("entries", .array(list.map(\.jsonValue)))]
        if list.count == f.limit, let last = list.last { members.append(JSONMember("next_before", .number(String(last.seq)))) }
        return Reply.json(.ok, .object(members))
    }

    func page(_ request: Request, _ context: ServerContext) async throws -> Response {
        let f: AuditTrail.Filter
        do { f = try filter(request, page: true) } catch let problem as Query.Problem {
            return PageRoutes.html(.badRequest, HTML.problem("Audit trail", problem.message, viewer: PageRoutes.viewer(context)))
        }
        let list = try await pool.run { try trail.flush(); return try trail.entries(f) }
        return PageRoutes.html(.ok, AuditPage.render(list.map(\.jsonValue), account: f.account, principal: f.principal,
                                                     next: list.count == f.limit ? list.last?.seq : nil, viewer: PageRoutes.viewer(context)))
    }
}

extension AuditTrail.Entry {
    var jsonValue: JSONValue {
        var m = [JSONMember("seq", .number(String(seq))), JSONMember("time", .string(Timestamp.utc(microseconds: time).description)),
                 JSONMember("principal", .string(principal)), JSONMember("action", .string(action)), JSONMember("request", .string(request))]
        if let account { m.append(JSONMember("account", .string(account))) }
        m += [JSONMember("status", .number(String(status))), JSONMember("address", .string(address))]
        return .object(m)
    }
}
