import Hummingbird
import Projections
import ThroughlineCore

/// `GET /v1/messages/findings?actor=&template=&account=&kind=&limit=&min_seq=`: what the message
/// audit found wrong with the messages sent to customers (`message.sent`), newest first, with the
/// messages and findings of each sender and template.
struct MessageRoutes: Sendable {
    let projections: ProjectionStore
    /// For `min_seq` (read your writes).
    let reads: AccountRoutes

    /// The filter a request asks for (shared by the API and the page).
    static func filter(_ q: Query) throws -> ProjectionStore.MessageFilter {
        var f = ProjectionStore.MessageFilter()
        (f.actor, f.template, f.account) = (try q.string("actor"), try q.string("template"), try q.string("account"))
        if let k = try q.string("kind") {
            guard let kind = MessageFinding.Kind(rawValue: k) else {
                throw Query.Problem(message: "kind: must be one of \(MessageFinding.Kind.allCases.map(\.rawValue).joined(separator: ", ")), not \(k)")
            }
            f.kind = kind
        }
        f.limit = try q.int("limit", in: 1...1000) ?? 100
        return f
    }

    static let parameters = ["actor", "template", "account", "kind", "limit"]

    func findings(_ request: Request, pool: ReadPool) async throws -> Response {
        let q = try Query(request, allowed: Self.parameters + ["min_seq"])
        if let wait = try await reads.readYourWrites(q) { return wait }
        let filter = try Self.filter(q)
        let found = try await pool.run { [projections] in try projections.messageFindings(filter) }
        return Reply.json(.ok, .object([JSONMember("senders", .array(found.senders.map(\.json))),
                                        JSONMember("findings", .array(found.findings.map(\.json)))]))
    }
}
