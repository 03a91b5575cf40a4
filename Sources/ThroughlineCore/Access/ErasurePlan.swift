/// Which identity keys a forget destroys within one account, and what each erased value reads
/// as: pure, over the account's people as the read models hold them before the forget.
///
/// Each person forgotten gets a token (the forget's seq and the person's place); every key of
/// theirs (their emails, ids, and each handle that names them) is destroyed with that token, so
/// that all they were called reads as one erased name (`PersonalFields.erasedIdentity`): the
/// people directory then tells the same people apart, and scores that match people (the
/// champion watch) come out as before. A handle that could name them but names no one (a name
/// two people share) is destroyed too, without a token: it reads as erased and still names no
/// one.
public struct ErasurePlan: Sendable, Equatable {
    /// An identity subject (`PersonalFields.identifierSubject`, `handleSubject`) and its token.
    public struct Key: Sendable, Hashable {
        public var subject: String
        public var token: String?
    }

    public private(set) var keys: [Key] = []

    /// The plan for forgetting `person` (an email, id or name, as a handle) in the account whose
    /// people are `directory` and whose events name `handles`, or all its people when nil.
    /// Empty when `person` names no one there.
    public init(directory: PeopleDirectory, handles: some Sequence<String>, person: String?, seq: UInt64) {
        let targets: [Int]
        if let person {
            guard let i = directory.resolve(person) else { return }
            targets = [i]
        } else {
            targets = Array(directory.people.indices)
        }
        var token: [Int: String] = [:]
        var seen: Set<String> = []
        for i in targets {
            let p = directory.people[i]
            token[i] = "\(seq).\(i + 1)"
            for e in p.emails { add(PersonalFields.identifierSubject(prefix: "e:", e), token[i]) }
            for id in p.ids { add(PersonalFields.identifierSubject(prefix: "i:", id), token[i]) }
        }
        let names = Set(targets.compactMap { directory.people[$0].name.map(PeopleDirectory.normalisedName) })
        var resolver = PeopleDirectory.Resolver(directory)
        for h in handles {
            let subject = PersonalFields.handleSubject(h)
            guard !seen.contains(subject) else { continue }
            if let i = resolver.resolve(h) {
                if let t = token[i] { add(subject, t) }
            } else if PeopleDirectory.candidates(h).contains(where: { names.contains(PeopleDirectory.normalisedName($0)) }) {
                add(subject, nil)
            }
        }

        func add(_ subject: String, _ token: String?) {
            guard seen.insert(subject).inserted else { return }
            keys.append(Key(subject: subject, token: token))
        }
    }
}
