import EventLog
import Scoring
import Synchronization
import ThroughlineCore

/// The firings of events the read models do not hold yet: the alerter reads the log's new events
/// of the types its rules fire on by themselves (`AlertRules.firedByEventAlone`: a ticket, a
/// change of champion), adds them to their account's history as the read models hold it, and derives the
/// firings they cause, so that an alert does not wait for the projector, which falls behind
/// under a bulk load. The rest of the account (its profile for the conditions, its scores) is
/// read as the read models stand; the firing's id is the one the read models give once they
/// hold the event, so the later derivation is stored once.
public final class AlertLogReader: Sendable {
    let alerts: AlertRules
    let triage: TriageRules?
    let types: Set<EventType>
    let store: ProjectionStore
    let snapshot: @Sendable () -> LogSnapshot
    /// Where the next read starts (nil: at the log's end, the first time).
    private let cursor = Mutex<LogPosition?>(nil)

    /// Events looked at per call.
    static let maxEvents = 20_000

    public init(alerts: AlertRules, triage: TriageRules? = nil, store: ProjectionStore, snapshot: @escaping @Sendable () -> LogSnapshot) {
        (self.alerts, self.triage, self.store, self.snapshot) = (alerts, triage, store, snapshot)
        types = alerts.firedByEventAlone.union(triage == nil ? [] : [.ticketOpened])
    }

    /// The firings of the events appended since the last call that the read models do not hold
    /// yet (none the first time: reading starts at the log's end, so nothing old fires).
    public func firings() throws -> [AlertFiring] { try derived().firings }

    /// The firings, and the triages of the tickets, of the events appended since the last call
    /// that the read models do not hold yet.
    public func derived() throws -> (firings: [AlertFiring], triages: [TicketTriage]) {
        let log = snapshot()
        guard let from = cursor.withLock({ $0 }) else {
            cursor.withLock { $0 = log.position }
            return ([], [])
        }
        var at = from, scanned = 0
        var arrived: [String: [(StoredEvent, EventPayload)]] = [:]
        if !types.isEmpty {
            try log.forEachView(after: from) { view in
                at.advance(to: view.seq)
                scanned += 1
                if types.contains(view.type), AlertRules.arrivesLive(time: view.time.microseconds, recorded: view.recordedMicros),
                   let (e, payload) = try? view.foldable() {
                    arrived[e.event.account, default: []].append((e, payload))
                }
                return scanned < Self.maxEvents
            }
        } else {
            at = log.position
        }
        cursor.withLock { $0 = at }
        guard !arrived.isEmpty, let scope = try store.alertScope() else { return ([], []) }
        let before = try store.checkpoint(log.partitioning)
        var out: [AlertFiring] = [], triages: [TicketTriage] = []
        for (key, events) in arrived.sorted(by: { $0.key < $1.key }) where events.contains(where: { !before.covers($0.0.seq) }) {
            let account = try store.mergedInto(key) ?? key
            guard !AccountRef.isKey(account), let held = try store.alertSubject(scope, account: account) else { continue }
            // Read after the history: an event the read models did not hold then is not in it.
            let applied = try store.checkpoint(log.partitioning)
            let fresh = events.filter { !applied.covers($0.0.seq) }
            guard !fresh.isEmpty else { continue }
            var history = held.history
            for (e, payload) in fresh { history.add(e, payload) }
            let subject = AlertSubject(history: history, series: held.series, rules: scope.rules, flags: held.flags)
            let days = fresh.map { Day(containing: $0.0.event.time.microseconds).number }
            let seqs = Set(fresh.map(\.0.seq))
            out += try AlertEngine.firings(alerts, subject, days: days.min()!...days.max()!).filter { !seqs.isDisjoint(with: $0.seqs) }
            if let triage {
                let at = TriageSubject(history: history, series: held.series, rules: scope.rules)
                for (e, payload) in fresh {
                    guard case .ticketOpened(let o) = payload else { continue }
                    let ticket = TriageTicket(ticket: o.ticketId, seq: e.seq, time: e.event.time.microseconds, priority: o.priority,
                                              category: o.category, subject: o.subject, requester: o.requester)
                    triages.append(TriageEngine.triage(triage, at, ticket))
                }
            }
        }
        return (out, triages)
    }
}
