import EventLog
import Synchronization
import Scoring
import ThroughlineCore

/// Fires alerts inside the server, as a `Worker`: woken after the projector's batches, it looks
/// at each account scored again under the active rules, derives the firings of the alert rules
/// whose moment is on the latest two days of the scores (so a history loaded at once fires
/// nothing old), and appends them as `alert.fired` events (with the `task.opened` a rule
/// opens). A firing's id is a function of the firing, so one derived again (after a restart, or
/// by another node) is stored once.
public final class AlertRunner: Sendable {
    public let worker: Worker
    public let alerts: AlertRules
    /// The triage rules each new ticket is triaged with (`ticket.triaged`), if any.
    public let triage: TriageRules?

    /// The accounts with open tickets not yet triaged under the version, looked for once at the
    /// start (nil until then) and worked through a few at a time.
    private final class Backlog: Sendable { let accounts = Mutex<[String]?>(nil) }
    private let backlog: Backlog

    /// How many accounts the start's triage of open tickets has left (nil: not looked for yet;
    /// none without triage rules).
    public var triageBacklog: Int? { triage == nil ? 0 : backlog.accounts.withLock { $0?.count } }

    /// Accounts looked at per round step.
    static let chunk = 50
    /// Accounts with open tickets not yet triaged looked at per round step, at start: few, so
    /// that a new ticket read from the log between steps is not kept waiting.
    static let backlogChunk = 10

    /// - Parameters:
    ///   - triage: the rules to triage tickets with: each ticket opened as it happens, and at the
    ///     start every open ticket without a triage of the version, as of its opening.
    ///   - log: the log as it stands, when the alerter should also read new events from it
    ///     (`AlertLogReader`: a ticket fires before the read models hold it).
    ///   - append: appends events to the log and returns once they are durable.
    ///   - onFired: told each firing stored for the first time.
    public init(alerts: AlertRules, triage: TriageRules? = nil, store: ProjectionStore, log: (@Sendable () -> LogSnapshot)? = nil, attempts: Int = 4,
                append: @escaping @Sendable ([Event]) throws -> [AppendOutcome],
                onFired: @escaping @Sendable (AlertFiring) -> Void = { _ in },
                onChange: @escaping @Sendable (Worker.State) -> Void = { _ in }) {
        self.alerts = alerts
        self.triage = triage
        let reader = log.map { AlertLogReader(alerts: alerts, triage: triage, store: store, snapshot: $0) }
        // A reader made now starts at the log's end: what is there already fires from the read models.
        _ = try? reader?.firings()
        @Sendable func fire(_ firings: [AlertFiring]) throws {
            guard !firings.isEmpty else { return }
            let events = firings.map { $0.events(version: alerts.version) }
            let outcomes = try append(events.flatMap { $0 })
            // Each firing's alert is the first of its events.
            var at = 0
            for (f, e) in zip(firings, events) {
                if outcomes[at].status == .accepted { onFired(f) }
                at += e.count
            }
        }
        @Sendable func file(_ triages: [TicketTriage]) throws {
            if !triages.isEmpty { _ = try append(triages.map(\.event)) }
        }
        let backlog = Backlog()
        self.backlog = backlog
        // The last full week whose cohort patterns were looked at (they fire once a week is over),
        // with their accounts not scored then.
        let patternWeek = Mutex<ProjectionStore.PatternCheck?>(nil)
        worker = Worker(name: "alerter", attempts: attempts, onChange: onChange) { w in
            if let triage, backlog.accounts.withLock({ $0 == nil }) {
                let accounts = try store.accountsToTriage(version: triage.version, limit: .max)
                backlog.accounts.withLock { $0 = accounts }
            }
            if let check = try store.patternFirings(alerts, after: patternWeek.withLock { $0?.week }) {
                try fire(check.firings)
                patternWeek.withLock { $0 = check }
            } else if let check = patternWeek.withLock({ $0 }), !check.unscored.isEmpty {
                // Accounts of the week's patterns not scored before: looked at again, without finding the patterns again.
                let (firings, unscored) = try store.patternFirings(alerts, check, accounts: check.unscored)
                try fire(firings)
                patternWeek.withLock { $0?.unscored = unscored }
            }
            while !w.stopping {
                if let reader {
                    let (firings, triages) = try reader.derived()
                    try fire(firings)
                    try file(triages)
                }
                let marks = try store.alertMarks(limit: Self.chunk)
                let waiting: [String] = triage == nil ? [] : backlog.accounts.withLock { b in
                    let next = Array((b ?? []).prefix(Self.backlogChunk))
                    b = Array((b ?? []).dropFirst(next.count))
                    return next
                }
                guard !marks.isEmpty || !waiting.isEmpty else { return }
                var firings: [AlertFiring] = [], triages: [TicketTriage] = []
                if let scope = try store.alertScope() {
                    let days = (scope.horizon - 1)...scope.horizon
                    for m in marks {
                        firings += try store.alertFirings(alerts, scope, account: m.account, days: days)?.firings ?? []
                    }
                    if let triage {
                        for account in Set(marks.map { $0.account } + waiting).sorted() {
                            triages += try store.triages(triage, scope, account: account, days: days)
                        }
                    }
                }
                try fire(firings)
                try file(triages)
                try store.clearAlertMarks(marks)
            }
        }
    }

    public func poke() { worker.poke() }
}
