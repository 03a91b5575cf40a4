/// An alert rule fired for an account: which rule of which alert rules version, the trigger,
/// why in words, and the events behind it. Derived by the server from the log (`AlertEngine`),
/// under an id made of the rule, the account and what the firing is about, so any node that
/// derives it again appends the same id (stored once).
public struct AlertFired: Sendable {
    /// The alert rules version.
    public var alerts: String
    public var rule: String
    public var trigger: String
    public var reason: String
    public var seqs: [UInt64]
    public var score: Double?
    public var band: Band?

    /// Who appends the firings.
    public static let actor = "throughline:alerts"

    init(_ r: FieldReader) throws(ValidationError) {
        alerts = try r.requiredString("alerts", maxLength: 64)
        rule = try r.requiredString("rule", maxLength: 64)
        trigger = try r.requiredString("trigger", maxLength: 64)
        reason = try r.requiredString("reason", maxLength: 2000)
        seqs = try r.integerArray("seqs", min: 1).map { $0.map { UInt64($0) } } ?? []
        score = try r.number("score", min: 0, max: 100)
        band = try r.string("band").map { (b) throws(ValidationError) in
            guard let band = Band(rawValue: b) else { throw r.fail("band", "must be green, yellow or red, not \"\(b)\"") }
            return band
        }
    }

    /// The id of the firing of `rule` (of alert rules `version`) for `account` about `key`:
    /// readable while it fits the 128 characters of an id, else the rule and a hash of the rest.
    public static func id(version: String, rule: String, account: String, key: String) -> String {
        derivedID("alert:\(version):\(rule):\(account):\(key)", else: "alert:\(rule):")
    }
}
