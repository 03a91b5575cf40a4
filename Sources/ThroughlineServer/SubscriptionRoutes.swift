import EventLog
import Foundation
import Hummingbird
import ThroughlineCore

/// Named durable subscriptions: the server keeps each member's acknowledged position.
///
/// - `POST /v1/subscriptions` `{"name", "types"?, "account"?, "members"?, "start"?}` makes one
///   (`start`: `beginning`, the default, or `end`); the same definition again is answered as it is.
/// - `GET /v1/subscriptions` and `GET /v1/subscriptions/{name}`: definitions and positions.
/// - `GET /v1/subscriptions/{name}/stream?member=M&heartbeat=S&follow=B`: the events member M
///   has to handle (its share of the accounts), from its acknowledged position (or a
///   reconnecting client's `Last-Event-ID`), as `GET /v1/events/stream` sends them.
/// - `POST /v1/subscriptions/{name}/ack?member=M&position=P`: member M has handled everything up
///   to P (an `id:` it was sent); a consumer that restarts goes on from there.
struct SubscriptionRoutes: Sendable {
    let subscriptions: SubscriptionStore
    let stream: StreamRoute
    let pool: ReadPool

    var partitions: Partitioning { stream.store.partitioning }

    func create(_ request: Request) async throws -> Response {
        let body = try await request.body.collect(upTo: 64 * 1024)
        let json: JSONValue
        do { json = try JSONParser.parse(String(buffer: body)) } catch {
            throw Query.Problem(message: "the body must be a JSON object {\"name\", \"types\", \"account\", \"members\", \"start\"}: \(error)")
        }
        guard case .object(let members) = json else { throw Query.Problem(message: "the body must be a JSON object") }
        for m in members where !["name", "types", "account", "members", "start"].contains(m.key) {
            throw Query.Problem(message: "\(m.key): unknown field; use name, types, account, members and start")
        }
        func string(_ key: String) throws -> String? {
            guard let v = json[key] else { return nil }
            guard case .string(let text) = v, !text.isEmpty else { throw Query.Problem(message: "\(key): must be a non-empty string") }
            return text
        }
        guard let name = try string("name"), name.utf8.count <= 64,
              name.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0)) }) else {
            throw Query.Problem(message: "name: required, 1 to 64 letters, digits, '.', '_' or '-'")
        }
        var types: [EventType]?
        if let list = json["types"] {
            guard case .array(let items) = list, !items.isEmpty else { throw Query.Problem(message: "types: must be a non-empty list of event types") }
            let names = try items.map { item -> String in
                guard case .string(let t) = item else { throw Query.Problem(message: "types: must be a list of event type names") }
                return t
            }
            types = try Array(StreamRoute.types(names.joined(separator: ","))!).sorted { $0.code < $1.code }
        }
        let account = try string("account")
        let count = try json["members"].map { v -> Int in
            guard case .number(let text) = v, let n = Int(text), (1...SubscriptionStore.maxMembers).contains(n) else {
                throw Query.Problem(message: "members: must be an integer from 1 to \(SubscriptionStore.maxMembers)")
            }
            return n
        } ?? 1
        let startAt: LogPosition
        switch try string("start") ?? "beginning" {
        case "beginning": startAt = LogPosition(start: partitions)
        case "end": startAt = stream.store.position
        case let other: throw Query.Problem(message: "start: must be beginning or end, not \(other)")
        }
        let definition = SubscriptionStore.Definition(name: name, types: types, account: account, members: count)
        let made = try await pool.run { try subscriptions.create(definition, start: startAt) }
        return try await describe(name, status: made ? .created : .ok)
    }

    func list() async throws -> Response {
        let all = try await pool.run { [subscriptions, partitions] in
            try subscriptions.names().compactMap { try subscriptions.get($0, partitions: partitions) }
        }
        return Reply.json(.ok, .object([JSONMember("subscriptions", .array(all.map(Self.json)))]))
    }

    func describe(_ name: String, status: HTTPResponse.Status = .ok) async throws -> Response {
        guard let found = try await pool.run({ [subscriptions, partitions] in try subscriptions.get(name, partitions: partitions) }) else {
            return Reply.error(.notFound, "no subscription \(name); make it with POST /v1/subscriptions")
        }
        return Reply.json(status, Self.json(found))
    }

    func open(_ request: Request, _ context: ServerContext) async throws -> Response {
        let name = Query.pathID(context)
        let q = try Query(request, allowed: ["member", "heartbeat", "follow"])
        guard let (definition, positions) = try await pool.run({ [subscriptions, partitions] in try subscriptions.get(name, partitions: partitions) }) else {
            return Reply.error(.notFound, "no subscription \(name); make it with POST /v1/subscriptions")
        }
        let member = try q.int("member", in: 0...(definition.members - 1)) ?? 0
        let start = try stream.start(request, given: positions[member])
        let subscriptions = subscriptions
        return stream.stream(from: start, context, heartbeat: .seconds(try q.int("heartbeat", in: 1...300) ?? 15),
                             follow: try q.bool("follow") ?? true, share: definition.share(member: member),
                             sent: { subscriptions.sent(name, member: member, through: $0) },
                             keeps: { definition.keeps($0, member: member) })
    }

    func acknowledge(_ request: Request, _ context: ServerContext) async throws -> Response {
        let name = Query.pathID(context)
        let q = try Query(request, allowed: ["member", "position"])
        guard let position = try q.position("position", partitions) else { throw Query.Problem(message: "position: required (an id: the stream sent)") }
        guard let (definition, _) = try await pool.run({ [subscriptions, partitions] in try subscriptions.get(name, partitions: partitions) }) else {
            return Reply.error(.notFound, "no subscription \(name); make it with POST /v1/subscriptions")
        }
        let member = try q.int("member", in: 0...(definition.members - 1)) ?? 0
        try await pool.run { [subscriptions] in try subscriptions.acknowledge(name, member: member, position: position) }
        return try await describe(name)
    }

    static func json(_ s: (SubscriptionStore.Definition, [LogPosition])) -> JSONValue {
        guard case .object(var m) = s.0.json else { return .null }
        m.append(JSONMember("acknowledged", .array(s.1.map { .string($0.description) })))
        return .object(m)
    }
}
