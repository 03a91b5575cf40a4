/// An account's profile, folded from its `account.updated` events in `eventOrder` (each event is a
/// partial update: only the fields it names change).
public struct AccountProfile: Sendable, Equatable {
    public var name, plan, tier, csm, stage, champion, domain: String?
    public var arr: Double?
    public var seats: Int?
    public var renewalDate: CalendarDate?
    public var consentEmail, consentCalls, consentProductAnalytics: Bool?

    public init() {}

    public mutating func apply(_ u: AccountUpdated) {
        name = u.name ?? name
        plan = u.plan ?? plan
        tier = u.tier ?? tier
        csm = u.csm ?? csm
        stage = u.stage ?? stage
        champion = u.champion ?? champion
        domain = u.domain ?? domain
        arr = u.arr ?? arr
        seats = u.seats ?? seats
        renewalDate = u.renewalDate ?? renewalDate
        if let c = u.consent {
            consentEmail = c.email ?? consentEmail
            consentCalls = c.calls ?? consentCalls
            consentProductAnalytics = c.productAnalytics ?? consentProductAnalytics
        }
    }

    /// The fields an update names, as display text, in a fixed order.
    public static func fields(of u: AccountUpdated) -> [(String, String)] {
        var out: [(String, String)] = []
        if let v = u.name { out.append(("name", v)) }
        if let v = u.plan { out.append(("plan", v)) }
        if let v = u.tier { out.append(("tier", v)) }
        if let v = u.arr { out.append(("arr", TimelineBuilder.grouped(v))) }
        if let v = u.seats { out.append(("seats", String(v))) }
        if let v = u.renewalDate { out.append(("renewal_date", v.description)) }
        if let v = u.csm { out.append(("csm", v)) }
        if let v = u.stage { out.append(("stage", v)) }
        if let v = u.champion { out.append(("champion", v)) }
        if let v = u.domain { out.append(("domain", v)) }
        if let c = u.consent {
            if let v = c.email { out.append(("consent.email", String(v))) }
            if let v = c.calls { out.append(("consent.calls", String(v))) }
            if let v = c.productAnalytics { out.append(("consent.product_analytics", String(v))) }
        }
        return out
    }
}

extension AccountProfile {
    /// The profile as stored and shown: only the fields known so far.
    public var jsonValue: JSONValue {
        var m: [JSONMember] = []
        func put(_ key: String, _ v: String?) { if let v { m.append(JSONMember(key, .string(v))) } }
        put("name", name)
        put("plan", plan)
        put("tier", tier)
        if let arr { m.append(JSONMember("arr", TimelineBuilder.number(arr))) }
        if let seats { m.append(JSONMember("seats", .number(String(seats)))) }
        put("renewal_date", renewalDate?.description)
        put("csm", csm)
        put("stage", stage)
        put("champion", champion)
        put("domain", domain)
        var consent: [JSONMember] = []
        if let v = consentEmail { consent.append(JSONMember("email", .bool(v))) }
        if let v = consentCalls { consent.append(JSONMember("calls", .bool(v))) }
        if let v = consentProductAnalytics { consent.append(JSONMember("product_analytics", .bool(v))) }
        if !consent.isEmpty { m.append(JSONMember("consent", .object(consent))) }
        return .object(m)
    }
}
