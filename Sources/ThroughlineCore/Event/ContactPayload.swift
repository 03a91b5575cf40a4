/// What a person is to the account's relationship.
public enum ContactRole: String, Sendable, CaseIterable {
    case champion
    case economicBuyer = "economic_buyer"
    case admin, user, other
}

/// `contact.updated`: a person at the customer, named by a stable id from the system that sent
/// it (`person`), by email, or both; with whatever of their name, title, role and whether they
/// left the company is known. Every field given is an update; a person's ids and emails that
/// arrive together in one event are one person from then on, across systems
/// (`PeopleDirectory`).
public struct ContactUpdated: Sendable, Hashable {
    public var person: String?
    /// The email as sent (compared without regard to case).
    public var email: String?
    public var name, title: String?
    public var role: ContactRole?
    public var left: Bool?
    /// The person's own consent to calls being recorded and to email outreach (each an update).
    public var consentCalls, consentEmail: Bool?

    public init(person: String? = nil, email: String? = nil, name: String? = nil, title: String? = nil, role: ContactRole? = nil, left: Bool? = nil,
                consentCalls: Bool? = nil, consentEmail: Bool? = nil) {
        (self.person, self.email, self.name, self.title, self.role, self.left) = (person, email, name, title, role, left)
        (self.consentCalls, self.consentEmail) = (consentCalls, consentEmail)
    }

    init(_ r: FieldReader) throws(ValidationError) {
        person = r.object.value("person") == nil ? nil : try r.requiredKey("person", maxLength: 256)
        email = try r.string("email", maxLength: 254)
        if person == nil && email == nil {
            throw ValidationError(field: "data", "must name the person by person (a stable id), email, or both")
        }
        if let e = email, !Self.isEmail(e) {
            throw r.fail("email", "must be an email address (name@example.com), not \"\(e)\"")
        }
        name = try r.string("name", maxLength: 256, nonEmpty: true)
        title = try r.string("title", maxLength: 256)
        role = try r.oneOf("role", ContactRole.self)
        left = try r.bool("left")
        if let c = try r.object("consent") {
            (consentCalls, consentEmail) = (try c.bool("calls"), try c.bool("email"))
        }
    }

    /// An email as the schema has it: 1–64 characters before the one `@`, none of them a space,
    /// and a domain after it (`AccountUpdated.isDomain`, in any case).
    public static func isEmail(_ e: String) -> Bool {
        let parts = e.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, (1...64).contains(parts[0].unicodeScalars.count),
              !parts[0].unicodeScalars.contains(where: { $0.properties.isWhitespace }) else { return false }
        return AccountUpdated.isDomain(parts[1].lowercased())
    }
}
