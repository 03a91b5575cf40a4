import ThroughlineCore

/// An account's tickets and what each of their facts says of the ticket's state, kept flat: one
/// array of facts for all the tickets (in the order they arrived), each fact linked to its
/// ticket's next in event order (time, the id's hash, seq), with the ticket's state after it
/// (open or not, and the priority), folded once and read every day. An account has thousands of
/// tickets of two or three facts each; flat arrays spare an allocation per ticket.
struct TicketTable: Sendable {
    typealias State = (open: Bool, priority: Priority?)
    /// A fact as a change of its ticket's state: when, the ticket's place, the fact's place
    /// among its ticket's, and the state after it.
    typealias Change = (time: Int64, ticket: Int, step: Int, open: Bool, priority: Priority?)

    private var index = ByteStringIndex()
    /// Per ticket, by place: its id, its first and last fact, the time of the first and the
    /// time of the last if that is a close (`Int64.max` otherwise), so the tickets open at a
    /// time are found without walking every ticket's facts.
    private(set) var ids: [String] = []
    private var head: [Int32] = [], tail: [Int32] = []
    private var first: [Int64] = [], closedFinally: [Int64] = []
    /// Per fact: the fact, its ticket's next fact (−1: none), the ticket's state after it.
    private var facts: [Fact<AccountHistory.TicketStep>] = []
    private var next: [Int32] = []
    private var states: [State] = []

    var count: Int { ids.count }

    /// Adds a fact of the ticket with id `id` (UTF-8) in its place; a fact of the same event
    /// and time already there is not added again. The ticket's place.
    mutating func add(_ id: UnsafeRawBufferPointer, _ fact: Fact<AccountHistory.TicketStep>) -> Int {
        let (i, new) = index.index(of: id)
        let f = Int32(facts.count)
        if new {
            ids.append(String(decoding: id, as: UTF8.self))
            head.append(f)
            tail.append(f)
            first.append(0)
            closedFinally.append(0)
            append(fact, next: -1, after: nil)
        } else if facts[Int(tail[i])].precedes(fact) {
            // The common case: the new fact is the ticket's latest, so only one more state.
            let last = Int(tail[i])
            append(fact, next: -1, after: states[last])
            next[last] = f
            tail[i] = f
        } else {
            var before = -1, at = Int(head[i])
            while at >= 0 && facts[at].precedes(fact) {
                before = at
                at = Int(next[at])
            }
            if at >= 0 && facts[at].isSameEvent(as: fact) { return i }
            append(fact, next: Int32(at), after: before >= 0 ? states[before] : nil)
            if before >= 0 { next[before] = f } else { head[i] = f }
            if at < 0 { tail[i] = f }
            // The facts after it now follow another state.
            var state = states[Int(f)]
            while at >= 0 {
                state = Self.after(facts[at].value, state)
                states[at] = state
                at = Int(next[at])
            }
        }
        let last = facts[Int(tail[i])]
        first[i] = facts[Int(head[i])].time
        closedFinally[i] = last.value.kind == .closed ? last.time : .max
        return i
    }

    private mutating func append(_ fact: Fact<AccountHistory.TicketStep>, next following: Int32, after state: State?) {
        facts.append(fact)
        next.append(following)
        states.append(Self.after(fact.value, state))
    }

    private static func after(_ s: AccountHistory.TicketStep, _ before: State?) -> State {
        TicketLifecycle.openAndPriority(kind: s.kind, priority: s.priority, closes: s.closes, before)
    }

    /// Calls `body` with the place of each ticket open at `t` and its facts known then (their
    /// first, in event order, and how many), and its state.
    private func forEachOpen(at t: Int64, _ body: (Int, Int, State) -> Void) {
        for i in ids.indices where first[i] <= t && closedFinally[i] > t {
            var at = Int(head[i]), known = -1, n = 0
            while at >= 0 && facts[at].time <= t {
                known = at
                n += 1
                at = Int(next[at])
            }
            if known >= 0 && states[known].open { body(i, n, states[known]) }
        }
    }

    /// The tickets open at `t` by place (`ids`), with their priorities, in no order.
    func openPlaces(at t: Int64) -> [(place: Int32, priority: Priority?)] {
        var open: [(place: Int32, priority: Priority?)] = []
        forEachOpen(at: t) { i, _, state in open.append((Int32(i), state.priority)) }
        return open
    }

    /// The tickets open at `t` with their priority then, by ticket id.
    func openPriorities(at t: Int64) -> [(ticket: String, priority: Priority?)] {
        openPlaces(at: t).map { (ids[Int($0.place)], $0.priority) }.sorted { $0.ticket < $1.ticket }
    }

    /// The seqs of the facts known at `t` of the tickets open at `t`, in increasing order.
    func openSeqs(at t: Int64) -> [UInt64] {
        var seqs: [UInt64] = []
        forEachOpen(at: t) { i, n, _ in
            var at = Int(head[i])
            for _ in 0..<n {
                seqs.append(facts[at].seq)
                at = Int(next[at])
            }
        }
        return seqs.sorted()
    }

    /// Every fact as a change of its ticket's state, in time order (a ticket's facts of the same
    /// time in their order: `step` is the fact's place among its ticket's).
    func stateChanges() -> [Change] {
        var changes: [Change] = []
        changes.reserveCapacity(facts.count)
        for i in ids.indices {
            var at = Int(head[i]), k = 0
            while at >= 0 {
                changes.append((facts[at].time, i, k, states[at].open, states[at].priority))
                at = Int(next[at])
                k += 1
            }
        }
        changes.sort { ($0.time, $0.ticket, $0.step) < ($1.time, $1.ticket, $1.step) }
        return changes
    }
}
