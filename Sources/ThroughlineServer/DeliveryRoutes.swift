import Foundation
import Hummingbird
import Scoring
import ThroughlineCore

/// `GET /v1/deliveries?state=pending|delivered|dead&limit=N`: the alerts' webhook deliveries,
/// newest first, each with every attempt (when, the answer's status or the error, how long).
struct DeliveryRoutes: Sendable {
    let alerts: AlertRules?
    let deliveries: WebhookStore?

    func list(_ request: Request) throws -> Response {
        let q = try Query(request, allowed: ["state", "limit"])
        var state: WebhookStore.State?
        if let s = try q.string("state") {
            guard let known = WebhookStore.State(rawValue: s) else { throw Query.Problem(message: "state: must be pending, delivered or dead, not \(s)") }
            state = known
        }
        let limit = try q.int("limit", in: 1...1000) ?? 100
        func time(_ us: Int64) -> JSONValue { .string(Timestamp.utc(microseconds: us).description) }
        let rows = try deliveries?.list(state: state, limit: limit) ?? []
        return Reply.json(.ok, .object([
            JSONMember("webhooks", .array((alerts?.webhooks ?? []).map { .string($0.name) })),
            JSONMember("deliveries", .array(rows.map { d, attempts in
                .object([
                    JSONMember("id", Reply.number(d.id)), JSONMember("alert", .string(d.alert)), JSONMember("account", .string(d.account)),
                    JSONMember("endpoint", .string(d.endpoint)), JSONMember("state", .string(d.state.rawValue)),
                    JSONMember("attempts", Reply.number(d.attempts)),
                    JSONMember("next_try", d.state == .pending ? time(d.nextMicros) : .null),
                    JSONMember("last_error", d.lastError.map { .string($0) } ?? .null),
                    JSONMember("tries", .array(attempts.map { a in
                        .object([JSONMember("n", Reply.number(a.n)), JSONMember("at", time(a.atMicros)),
                                 JSONMember("status", a.status.map { Reply.number($0) } ?? .null),
                                 JSONMember("error", a.error.map { .string($0) } ?? .null), JSONMember("ms", Reply.number(a.millis))])
                    })),
                ])
            })),
        ]))
    }
}
