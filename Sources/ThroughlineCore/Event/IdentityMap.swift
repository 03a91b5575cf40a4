/// Which account each event belongs to, from the identity events of the log: a reference
/// (`AccountRef.key`) belongs to the account it is linked to, an account merged into another to
/// that one (and so on, along merges). Everything else belongs to itself.
///
/// The statements are applied in the order of their event time, then id, never in the order
/// they arrived, so that the same log gives the same map whatever order its events came in, and
/// a link that arrives late counts as if it had come first. Of two links of one reference the
/// later wins; a merge that would close a cycle is refused. Both are kept as problems.
public struct IdentityMap: Sendable, Equatable {
    /// One identity event, as the map reads it.
    public struct Statement: Sendable, Hashable {
        public enum Kind: Int, Sendable, Hashable {
            case link = 1, unlink = 2, merge = 3, unmerge = 4
        }

        public var kind: Kind
        /// The reference's key (link, unlink) or the account merged away (merge, unmerge).
        public var subject: String
        /// The account linked to or merged into (the event's own account for unlink and unmerge).
        public var target: String
        public var time: Int64
        public var id: String
        public var seq: UInt64

        public init(kind: Kind, subject: String, target: String, time: Int64, id: String, seq: UInt64) {
            (self.kind, self.subject, self.target, self.time, self.id, self.seq) = (kind, subject, target, time, id, seq)
        }

        /// The statement an identity event makes; nil for any other event.
        public init?(_ e: StoredEvent, _ payload: EventPayload) {
            // The event's fields are read only for an identity event (every event is asked).
            switch payload {
            case .identityLinked(let l): self.init(.link, subject: l.ref.key, target: e.event.account, of: e)
            case .identityUnlinked(let l): self.init(.unlink, subject: l.ref.key, target: e.event.account, of: e)
            case .accountMerged(let m): self.init(.merge, subject: e.event.account, target: m.into, of: e)
            case .accountUnmerged: self.init(.unmerge, subject: e.event.account, target: e.event.account, of: e)
            default: return nil
            }
        }

        private init(_ kind: Kind, subject: String, target: String, of e: StoredEvent) {
            self.init(kind: kind, subject: subject, target: target, time: e.event.time.microseconds, id: e.event.id, seq: e.seq)
        }

        /// The statement a stored record makes, if it is an identity event that decodes (one that
        /// does not is a projection error, filed by the folds).
        public init?(_ view: RecordView) {
            guard view.type.isIdentity, let (e, payload) = try? view.unsealed().foldable() else { return nil }
            self.init(e, payload)
        }

        /// Event time, then id: the order statements take effect in.
        static func precedes(_ a: Statement, _ b: Statement) -> Bool {
            a.time != b.time ? a.time < b.time : a.id.utf8.lexicographicallyPrecedes(b.id.utf8)
        }
    }

    /// Something in the identity events that was resolved by a rule rather than as asked.
    public struct Problem: Sendable, Hashable {
        public enum Kind: String, Sendable, Hashable {
            /// A reference linked to another account while it was linked: the later link wins.
            case relinked
            /// A merge that would have closed a cycle of merges: refused.
            case mergeCycle = "merge_cycle"
        }

        public var kind: Kind
        public var subject: String
        public var text: String
        /// The identity events behind it.
        public var seqs: [UInt64]
    }

    /// The keys that do not belong to themselves, and the account each belongs to.
    public private(set) var owners: [String: String] = [:]
    public private(set) var problems: [Problem] = []

    public init() {}

    public init(_ statements: [Statement]) {
        var linkedTo: [String: Statement] = [:]
        var mergedInto: [String: String] = [:]
        for s in statements.sorted(by: Statement.precedes) {
            switch s.kind {
            case .link:
                if let before = linkedTo[s.subject], before.target != s.target {
                    problems.append(Problem(kind: .relinked, subject: s.subject,
                                            text: "\(Self.describe(s.subject)) was linked to \(before.target), then to \(s.target): the later link holds",
                                            seqs: [before.seq, s.seq]))
                }
                linkedTo[s.subject] = s
            case .unlink:
                linkedTo[s.subject] = nil
            case .merge:
                var root = s.target
                var seen: Set<String> = [root]
                while let next = mergedInto[root], seen.insert(next).inserted { root = next }
                if root == s.subject || seen.contains(s.subject) {
                    problems.append(Problem(kind: .mergeCycle, subject: s.subject,
                                            text: "merging \(s.subject) into \(s.target) would close a cycle of merges (\(s.target) is merged into \(s.subject)): refused",
                                            seqs: [s.seq]))
                } else {
                    mergedInto[s.subject] = s.target
                }
            case .unmerge:
                mergedInto[s.subject] = nil
            }
        }
        func root(_ account: String) -> String {
            var a = account
            while let next = mergedInto[a] { a = next }
            return a
        }
        for account in mergedInto.keys { owners[account] = root(account) }
        for (ref, link) in linkedTo { owners[ref] = root(link.target) }
    }

    /// The account the events filed under `key` (an account id or a reference's key) belong to.
    public func account(of key: String) -> String { owners[key] ?? key }

    /// The keys whose account differs between `self` and `other`, with both accounts.
    public func changes(to other: IdentityMap) -> [(key: String, from: String, to: String)] {
        Set(owners.keys).union(other.owners.keys).sorted().compactMap { key in
            let (a, b) = (account(of: key), other.account(of: key))
            return a == b ? nil : (key, a, b)
        }
    }

    /// A reference's key as people write it (`system:id`), or the account id.
    static func describe(_ key: String) -> String { AccountRef(key: key).map { "reference \($0.description)" } ?? key }
}
