/// Whether what a call recorded (its summary, transcript and participants) may be shown: the
/// account's consent to calls when the call took place and now, and the consent of each person
/// on it. Consent never stated is taken as given; a `false` from the account or from one of the
/// people withholds the call's recorded parts everywhere it is shown (the call itself still
/// counts as human contact, and scores never read those parts).
public struct CallConsent: Sendable {
    /// One change of the account's consent to calls (a profile update stating `consent.calls`).
    public struct Change: Sendable, Equatable {
        public var timeMicros: Int64
        public var given: Bool
        public var seq: UInt64
        public init(timeMicros: Int64, given: Bool, seq: UInt64) { (self.timeMicros, self.given, self.seq) = (timeMicros, given, seq) }

        /// The change profile update `u` (stored as `e`) makes, if it states `consent.calls`.
        public init?(_ e: StoredEvent, _ u: AccountUpdated) {
            guard let given = u.consent?.calls else { return nil }
            self.init(timeMicros: e.event.time.microseconds, given: given, seq: e.seq)
        }
    }

    /// Why a call is withheld, and the events that say so.
    public struct Refusal: Sendable, Equatable {
        public var message: String
        public var seqs: [UInt64]
        /// True when consent was withdrawn when the call took place (outreach against it), not only since.
        public var atTheTime: Bool
    }

    /// The account's changes, in event order.
    public var account: [Change]
    public var people: PeopleDirectory

    public init(account: [Change], people: PeopleDirectory) { (self.account, self.people) = (account, people) }

    /// True when neither the account nor anyone on it ever withdrew consent to calls: no call of
    /// the account is withheld.
    public var refusesNothing: Bool {
        account.allSatisfy(\.given) && people.people.allSatisfy { $0.consentCalls.allSatisfy(\.given) }
    }

    /// The call's recorded members that consent guards.
    public static let guarded: Set<String> = ["summary", "transcript", "participants"]

    /// Why the call at `time` with `participants` may not be shown, or nil when it may.
    public func refusal(at time: Int64, participants: [String]) -> Refusal? {
        if let then = account.last(where: { $0.timeMicros <= time }), !then.given {
            return Refusal(message: "the account had withdrawn its consent to call recording (on \(Self.date(then.timeMicros))) when the call took place",
                           seqs: [then.seq], atTheTime: true)
        }
        // A participant who had refused when the call took place (outreach against it), or has since.
        var since: Refusal?
        for handle in participants {
            guard let i = people.resolve(handle) else { continue }
            let changes = people.people[i].consentCalls
            if let then = changes.last(where: { $0.micros <= time }), !then.given {
                return Refusal(message: "a participant had not consented to call recording when the call took place", seqs: [then.seq], atTheTime: true)
            }
            if since == nil, let now = changes.last, !now.given {
                since = Refusal(message: "a participant has since withdrawn consent to call recording", seqs: [now.seq], atTheTime: false)
            }
        }
        if let since { return since }
        if let now = account.last, !now.given {
            return Refusal(message: "the account withdrew its consent to call recording on \(Self.date(now.timeMicros))", seqs: [now.seq], atTheTime: false)
        }
        return nil
    }

    /// A call's members without the guarded ones, and `withheld` saying why.
    public static func withhold(_ members: [JSONMember], _ refusal: Refusal) -> [JSONMember] {
        members.filter { !guarded.contains($0.key) } + [JSONMember("withheld", .string(refusal.message))]
    }

    static func date(_ micros: Int64) -> String { String(Timestamp.utc(microseconds: micros).description.prefix(10)) }
}
