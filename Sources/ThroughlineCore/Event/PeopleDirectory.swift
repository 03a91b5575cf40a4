/// The people of one account, folded from its `contact.updated` events, and the way a name on
/// another event (a call's participant, a ticket's requester, a note's mention) finds one of
/// them. Pure and order-free: the same updates give the same people whatever order they arrived
/// in, because they are applied in the order given, which callers make event order.
///
/// A person is every id and email that ever arrived together in one update: an update naming
/// `crm:c-7` and `dana@acme.com` makes the CRM's contact and the help desk's requester by that
/// email one person, from then on and back in time.
public struct PeopleDirectory: Sendable {
    public struct Update: Sendable {
        public var time: Int64
        public var seq: UInt64
        public var contact: ContactUpdated

        public init(time: Int64, seq: UInt64, contact: ContactUpdated) {
            (self.time, self.seq, self.contact) = (time, seq, contact)
        }
    }

    public struct Person: Sendable {
        /// The person's key: their first email in text order, else their first id.
        public var key: String
        public var name, title: String?
        public var role: ContactRole?
        /// When the update that says they left the company was made (nil: not left, or back).
        public var leftMicros: Int64?
        public var emails: [String] = [], ids: [String] = []
        /// The updates about them, in the order applied.
        public var seqs: [UInt64] = []
        /// Each update of their own that stated their consent to calls being recorded, in the
        /// order applied (empty: never stated, which counts as given).
        public var consentCalls: [(given: Bool, micros: Int64, seq: UInt64)] = []
        /// Each update of their own that stated their consent to email outreach, in the order applied.
        public var consentEmail: [(given: Bool, micros: Int64, seq: UInt64)] = []

        public var left: Bool { leftMicros != nil }
        /// The name to show: their name, else their key.
        public var label: String { name ?? key }
    }

    /// The people, by key.
    public private(set) var people: [Person] = []
    var byIdentifier: [String: Int] = [:]
    /// Each normalised name and the one person it names (nil: two or more share it).
    private var byName: [String: Int?] = [:]

    /// The people `updates` describe, applied in the order given.
    public init(_ updates: [Update]) {
        // Union-find over identifiers: an update's ids and emails are one person.
        var parent: [String: String] = [:]
        func root(_ x: String) -> String {
            var x = x
            while let p = parent[x], p != x { x = p }
            return x
        }
        let keys = updates.map(Self.identifiers)
        for ids in keys {
            for id in ids where parent[id] == nil { parent[id] = id }
            for id in ids.dropFirst() {
                let (a, b) = (root(ids[0]), root(id))
                if a != b { parent[max(a, b)] = min(a, b) }
            }
        }
        var place: [String: Int] = [:]
        var order: [(root: String, members: [String])] = []
        for id in parent.keys.sorted() {
            let r = root(id)
            if let i = place[r] { order[i].members.append(id) } else {
                place[r] = order.count
                order.append((r, [id]))
            }
        }
        var people = order.map { group in
            let emails = group.members.filter { $0.hasPrefix("e:") }.map { String($0.dropFirst(2)) }
            let ids = group.members.filter { $0.hasPrefix("i:") }.map { String($0.dropFirst(2)) }
            return Person(key: emails.first ?? ids.first!, emails: emails, ids: ids)
        }
        for (u, ids) in zip(updates, keys) {
            let i = place[root(ids[0])]!
            let c = u.contact
            if let v = c.name { people[i].name = v }
            if let v = c.title { people[i].title = v }
            if let v = c.role { people[i].role = v }
            if let left = c.left { people[i].leftMicros = left ? (people[i].leftMicros ?? u.time) : nil }
            if let given = c.consentCalls { people[i].consentCalls.append((given, u.time, u.seq)) }
            if let given = c.consentEmail { people[i].consentEmail.append((given, u.time, u.seq)) }
            people[i].seqs.append(u.seq)
        }
        let sorted = people.indices.sorted { people[$0].key < people[$1].key }
        self.people = sorted.map { people[$0] }
        for (i, p) in self.people.enumerated() {
            for e in p.emails { byIdentifier["e:" + e] = i }
            for id in p.ids { byIdentifier["i:" + id] = i }
            if let n = p.name.map(Self.normalisedName) { byName[n] = byName[n] == nil ? i : .some(nil) }
        }
    }

    /// An update's identifiers: `e:` and the email in lowercase, `i:` and the id.
    static func identifiers(_ u: Update) -> [String] {
        [u.contact.email.map { "e:" + $0.lowercased() }, u.contact.person.map { "i:" + $0 }].compactMap { $0 }
    }

    /// The place in `people` of the person `handle` names, or nil: a handle is an email (any
    /// case), an id, or a name that only one person has (case and spacing aside); it may be
    /// written `Name <email>`, or with a prefix saying what it is (`customer:Dana Reyes`).
    public func resolve(_ handle: String) -> Int? {
        let candidates = Self.candidates(handle)
        for c in candidates {
            if let i = byIdentifier["e:" + c.lowercased()] ?? byIdentifier["i:" + c] { return i }
        }
        for c in candidates {
            if let named = byName[Self.normalisedName(c)], let i = named { return i }
        }
        return nil
    }

    /// Resolves handles, each distinct one once: events name the same people again and again.
    public struct Resolver {
        public let directory: PeopleDirectory
        private var known: [String: Int?] = [:]

        public init(_ directory: PeopleDirectory) { self.directory = directory }

        public mutating func resolve(_ handle: String) -> Int? {
            if let i = known[handle] { return i }
            let i = directory.resolve(handle)
            known[handle] = .some(i)
            return i
        }
    }

    /// The readings of a handle: itself; the email in `<...>` and the name before it; what
    /// follows a `prefix:`.
    public static func candidates(_ handle: String) -> [String] {
        let h = handle.trimmingSpaces
        var out = [h]
        if let open = h.lastIndex(of: "<"), h.hasSuffix(">") {
            out.append(String(h[h.index(after: open)..<h.index(before: h.endIndex)]).trimmingSpaces)
            out.append(String(h[..<open]).trimmingSpaces)
        }
        if let colon = h.firstIndex(of: ":"), !h.contains("@") {
            out.append(String(h[h.index(after: colon)...]).trimmingSpaces)
        }
        return out.filter { !$0.isEmpty }
    }

    /// A name for comparing: lowercase, its words joined by one space. Every sealed handle's key
    /// is found by it, so a name of ASCII alone is done byte by byte, to the same result.
    public static func normalisedName(_ n: String) -> String {
        var n = n
        return n.withUTF8(asciiNormalisedName) ?? unicodeNormalisedName(n)
    }

    static func unicodeNormalisedName(_ n: String) -> String {
        n.lowercased().split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    /// `normalisedName` of ASCII text (nil for other text): A-Z lowered, runs of ASCII white
    /// space (tab to carriage return, space) made one space, none at either end.
    static func asciiNormalisedName(_ utf8: UnsafeBufferPointer<UInt8>) -> String? {
        guard utf8.allSatisfy({ $0 < 0x80 }) else { return nil }
        return String(unsafeUninitializedCapacity: utf8.count) { out in
            var n = 0, gap = false
            for b in utf8 {
                if b == 0x20 || (0x09...0x0D).contains(b) {
                    gap = n > 0
                    continue
                }
                if gap {
                    out[n] = 0x20
                    n += 1
                    gap = false
                }
                out[n] = (0x41...0x5A).contains(b) ? b | 0x20 : b
                n += 1
            }
            return n
        }
    }
}
