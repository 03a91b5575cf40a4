import ThroughlineCore

/// The people at a customer, as the CRM knows them: a champion (the profile's champion, by
/// name), an economic buyer, admins and users, each with a CRM id and an email at the customer's
/// domain. Calls name the champion by name and email, tickets their requester by email, and a
/// champion who leaves is marked `left` and replaced. Drawn from a generator of its own, so a
/// dataset without people is the same bytes as before they existed.
struct Contacts {
    struct Person {
        var id, email, name, title: String
        var role: ContactRole
    }

    var people: [Person] = []
    private var rng: SplitMix
    private let index: Int

    static let surnames = ["Reyes", "Okafor", "Lindqvist", "Tanaka", "Moreau", "Haddad", "Novak", "Silva", "Kowalski", "Osei"]

    init(index: Int, champion: String, options: DatasetGenerator.Options) {
        self.index = index
        rng = SplitMix(seed: options.seed &* 0x2545_F491 ^ UInt64(index) &+ 0x5C)
        guard rng.chance(options.peopleShare) else { return }
        people.append(person(champion, "Head of Operations", .champion))
        people.append(person(rng.pick(DatasetGenerator.people).capitalizedFirst + " " + rng.pick(Self.surnames), rng.pick(["CFO", "VP Finance"]), .economicBuyer))
        for _ in 0..<rng.int(1...2) { people.append(person(rng.pick(DatasetGenerator.people).capitalizedFirst + " " + rng.pick(Self.surnames), "IT administrator", .admin)) }
        for _ in 0..<rng.int(0...2) { people.append(person(rng.pick(DatasetGenerator.people).capitalizedFirst + " " + rng.pick(Self.surnames), "Analyst", .user)) }
    }

    private func person(_ name: String, _ title: String, _ role: ContactRole) -> Person {
        let local = name.lowercased().split(separator: " ").joined(separator: ".")
        return Person(id: "crm:c-\(index)-\(people.count + 1)", email: "\(local)@customer-\(index).example.com", name: name, title: title, role: role)
    }

    var active: Bool { !people.isEmpty }

    /// The champion now (the last person with the role).
    var champion: Person? { people.last { $0.role == .champion } }

    /// A `contact.updated` of `p` as the CRM sends it.
    static func data(_ p: Person) -> [JSONMember] {
        [JSONMember("person", .string(p.id)), JSONMember("email", .string(p.email)), JSONMember("name", .string(p.name)),
         JSONMember("title", .string(p.title)), JSONMember("role", .string(p.role.rawValue))]
    }

    /// How a call names the champion: by name and email, or (as some recorders do) by name alone.
    mutating func callHandle() -> String? {
        guard let c = champion else { return nil }
        return rng.chance(0.7) ? "\(c.name) <\(c.email)>" : "customer:\(c.name)"
    }

    /// Who raises a ticket: an admin or user mostly, the champion sometimes; by email.
    mutating func requester() -> String? {
        guard active else { return nil }
        let others = people.filter { $0.role == .admin || $0.role == .user }
        return (rng.chance(0.25) || others.isEmpty ? champion ?? people[0] : rng.pick(others)).email
    }

    /// The champion leaves: the old one's update saying so, and the new one (named `name`).
    mutating func replaceChampion(with name: String) -> (left: Person, new: Person)? {
        guard let old = champion, let i = people.lastIndex(where: { $0.id == old.id }) else { return nil }
        people[i].role = .other
        let new = person(name, "Head of Operations", .champion)
        people.append(new)
        return (old, new)
    }
}
