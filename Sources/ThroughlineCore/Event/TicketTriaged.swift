/// `ticket.triaged`: a ticket's priority (0–100) and tier under a triage rules version, with the
/// factors that counted and the events behind each. Derived by the server from the log
/// (`TriageEngine`) under an id made of the version, the account and the ticket, so any node
/// that derives it again appends the same id (stored once).
public struct TicketTriaged: Sendable {
    /// The triage rules version.
    public var triage: String
    public var ticketID: String
    public var priority: Int
    public var tier: String
    public var reasons: [Reason]

    public struct Reason: Sendable, Equatable {
        public var factor: String
        public var points: Double
        public var reason: String
        public var seqs: [UInt64]

        public init(factor: String, points: Double, reason: String, seqs: [UInt64]) {
            (self.factor, self.points, self.reason, self.seqs) = (factor, points, reason, seqs)
        }

        /// As the event's `reasons` carry it.
        public var json: JSONValue {
            .object([JSONMember("factor", .string(factor)), JSONMember("points", .number(NumberText.plain(points))),
                     JSONMember("reason", .string(reason)), JSONMember("seqs", .array(seqs.map { .number(String($0)) }))])
        }

        /// From its `json`, as the read models keep it (nil if it is not that shape).
        public init?(json: JSONValue) {
            guard case .string(let factor)? = json["factor"], let points = json["points"]?.doubleValue,
                  case .string(let reason)? = json["reason"] else { return nil }
            let seqs = json["seqs"]?.array?.compactMap { $0.doubleValue.map { UInt64($0) } } ?? []
            self.init(factor: factor, points: points, reason: reason, seqs: seqs)
        }
    }

    /// Who appends the triages.
    public static let actor = "throughline:triage"
    /// The most reasons one triage may give.
    public static let maxReasons = 100

    init(_ r: FieldReader) throws(ValidationError) {
        triage = try r.requiredString("triage", maxLength: 64)
        ticketID = try r.requiredKey("ticket_id", maxLength: 128)
        priority = try r.requiredInteger("priority", min: 0, max: 100)
        tier = try r.requiredString("tier", maxLength: 64)
        reasons = []
        for item in try r.objectArray("reasons", maxCount: Self.maxReasons) ?? [] {
            reasons.append(Reason(factor: try item.requiredString("factor", maxLength: 64),
                                  points: try item.required("points") { k throws(ValidationError) in try item.number(k, min: -100, max: 100) },
                                  reason: try item.requiredString("reason", maxLength: 2000),
                                  seqs: try item.integerArray("seqs", min: 1).map { $0.map { UInt64($0) } } ?? []))
        }
    }

    /// The id of the triage of `ticket` of `account` under triage rules `version`.
    public static func id(version: String, account: String, ticket: String) -> String {
        derivedID("triage:\(version):\(account):\(ticket)", else: "triage:")
    }
}
