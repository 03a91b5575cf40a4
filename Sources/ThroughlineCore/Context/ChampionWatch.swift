/// When an account's champion was lost from the people's side: the champion left the company,
/// or their own sentiment on calls fell (`SentimentShift`). A champion is a person whose role is
/// champion, or who bears the name the profile names as champion then. One definition for the
/// context view's flag and the champion-change signal; pure, over facts in event order.
public enum ChampionWatch {
    /// A call with a sentiment and the people on it (as sent: emails, ids, names).
    public struct Call: Sendable {
        public var time: Int64
        public var seq: UInt64
        public var participants: [String]
        public var sentiment: Double

        public init(time: Int64, seq: UInt64, participants: [String], sentiment: Double) {
            (self.time, self.seq, self.participants, self.sentiment) = (time, seq, participants, sentiment)
        }
    }

    public struct Alarm: Sendable, Equatable {
        public var time: Int64
        public var message: String
        public var seqs: [UInt64]
    }

    /// The alarms the facts raise, in time order: one when a champion's update says they left,
    /// and one on each call after which a champion's sentiment has fallen by `drop` or more.
    /// `contacts`, `calls` and `champions` (the profile's champion names) are in event order.
    public static func alarms(contacts: [PeopleDirectory.Update], calls: [Call], champions: [(time: Int64, name: String)],
                              drop: Double = SentimentShift.threshold) -> [Alarm] {
        guard !contacts.isEmpty else { return [] }
        var out: [Alarm] = []
        var directory = PeopleDirectory([])
        var known = 0, call = 0
        var samples: [String: [(sentiment: Double, seq: UInt64)]] = [:]
        var resolver = PeopleDirectory.Resolver(directory)
        let championNames = champions.map { (time: $0.time, name: PeopleDirectory.normalisedName($0.name)) }
        var nameKeys: [String: String] = [:]
        func champion(_ p: PeopleDirectory.Person, at t: Int64) -> Bool {
            if p.role == .champion { return true }
            guard let named = championNames.last(where: { $0.time <= t }), let name = p.name else { return false }
            if nameKeys[name] == nil { nameKeys[name] = PeopleDirectory.normalisedName(name) }
            return named.name == nameKeys[name]
        }
        while known < contacts.count || call < calls.count {
            if call >= calls.count || (known < contacts.count && contacts[known].time <= calls[call].time) {
                // Every update up to the next call at once: the directory is built once for them.
                let until = call < calls.count ? calls[call].time : .max
                var end = known
                while end < contacts.count && contacts[end].time <= until { end += 1 }
                directory = PeopleDirectory(Array(contacts[..<end]))
                resolver = PeopleDirectory.Resolver(directory)
                for u in contacts[known..<end] where u.contact.left == true {
                    guard let i = directory.place(of: u), champion(directory.people[i], at: u.time) else { continue }
                    out.append(Alarm(time: u.time, message: "champion \(directory.people[i].label) left the company", seqs: [u.seq]))
                }
                known = end
            } else {
                let c = calls[call]
                call += 1
                for i in Set(c.participants.compactMap { resolver.resolve($0) }) {
                    let p = directory.people[i]
                    samples[p.key, default: []].append((c.sentiment, c.seq))
                    let mine = samples[p.key]!
                    guard champion(p, at: c.time), let shift = SentimentShift(mine.map(\.sentiment)),
                          let change = shift.change, change <= -drop, let before = shift.before else { continue }
                    out.append(Alarm(time: c.time, message: "champion \(p.label)'s sentiment fell from \(TimelineBuilder.signed(before)) to \(TimelineBuilder.signed(shift.recent)) over their last \(2 * shift.count) calls",
                                     seqs: mine[shift.compared].map(\.seq)))
                }
            }
        }
        return out
    }
}

extension PeopleDirectory {
    /// The place of the person `u` is about.
    public func place(of u: Update) -> Int? {
        Self.identifiers(u).lazy.compactMap { self.byIdentifier[$0] }.first
    }
}
