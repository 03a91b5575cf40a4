import EventLog
import Foundation
import GRDB
import Synchronization
import Scoring
import ThroughlineCore

/// Replays the log under rules versions: every account scored on every day (or the days asked)
/// with the same fold and scoring the live projector uses, read straight from the log (never
/// the live read models), account range by account range so memory stays bounded by a range.
public enum Replay {
    public struct Options: Sendable {
        /// Days scored (days since the epoch, inclusive); nil: from each account's first event to
        /// the latest day of the log.
        public var from: Int?
        public var to: Int?
        /// Only these accounts, or only accounts whose latest profile names this plan.
        public var accounts: Set<String>?
        public var plan: String?
        /// About how many events each part of the accounts holds (memory is bounded by a part).
        public var eventsPerPart = 50_000
        /// Where events belong as the read models last saw it (`ProjectionStore.identityMap`): a
        /// hint the replay checks against the log's own identity events, reading the log again
        /// if they differ.
        public var identity = IdentityMap()

        public init() {}
    }

    /// An account the first two versions put in different bands on its last scored day, with
    /// the signals whose points differ most between them.
    public struct BandDifference: Sendable {
        public var account: String
        public var day: Int
        public var bands: (Band?, Band?)
        public var signals: [(signal: SignalKind, points: (Double, Double), reasons: (String, String))]
    }

    public struct Result: Sendable {
        public var rules: [Rules]
        /// Per rules version, in the order given, every account replayed.
        public var accounts: [[ReplayedAccount]]
        public var differences: [BandDifference]
        /// The latest day of the log (the horizon the live projector scores up to).
        public var lastDay: Int
        public var lastSeq: UInt64
        public var events: Int
    }

    /// Scores `snapshot` under each of `rules`; `spill` is a scratch directory for the account
    /// parts (removed at the end). `progress(events done, events in all)`.
    public static func run(_ snapshot: LogSnapshot, rules: [Rules], spill: String, options: Options = Options(),
                           progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }) throws -> Result {
        let folded = try forEachAccount(snapshot, spill: spill, options: options, progress: progress) { h, horizon -> ([ReplayedAccount], BandDifference?)? in
            guard wanted(h, options) else { return nil }
            let churn = ScoreHistory.churnDay(h)
            let overrides = h.overrides.items.map { (day: Day(containing: $0.time).number, band: $0.value.band) }
            let csm = h.profile.items.last { $0.value.csm != nil }?.value.csm
            // The usage summary and ticket changes, shared by the versions.
            let inputs = SweepInputs(h, for: rules)
            let replayed = rules.map { r in
                ReplayedAccount(account: h.account, series: series(h, r, horizon: horizon, inputs, options), churnDay: churn,
                                overrides: overrides, csm: csm)
            }
            return (replayed, rules.count >= 2 ? difference(h, rules, replayed[0].series, replayed[1].series) : nil)
        }
        var out = [[ReplayedAccount]](repeating: [], count: rules.count)
        for (replayed, _) in folded.values {
            for (i, a) in replayed.enumerated() { out[i].append(a) }
        }
        return Result(rules: rules, accounts: out, differences: folded.values.compactMap(\.1), lastDay: folded.horizon,
                      lastSeq: snapshot.lastSeq, events: folded.events)
    }

    /// Folds every account of `snapshot` from its records, with the fold the live projector
    /// uses, and hands each history to `body` with the log's horizon (its latest day); on every
    /// core, a part of the accounts at a time (`spill` holds the parts, removed at the end).
    /// Returns what `body` returned (nil: nothing), in account order.
    public static func forEachAccount<T: Sendable>(_ snapshot: LogSnapshot, spill: String, options: Options = Options(),
                                                   progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in },
                                                   _ body: @escaping @Sendable (AccountHistory, Int) throws -> T?) throws -> (values: [T], horizon: Int, events: Int) {
        func partition(_ identity: IdentityMap) throws -> AccountPartitions {
            try AccountPartitions(hashing: snapshot, directory: spill, eventsPerPart: options.eventsPerPart,
                                  readers: ProcessInfo.processInfo.activeProcessorCount, identity: identity)
        }
        let first = try partition(options.identity)
        let parts = first.identity == options.identity ? first : try { () throws -> AccountPartitions in
            first.remove()
            return try partition(first.identity)
        }()
        defer { parts.remove() }
        let horizon = min(parts.maxEventDay, parts.maxRecordedDay)
        let total = parts.parts.reduce(0) { $0 + $1.events }
        // Parts are folded on every core; results are put in account order at the end.
        let results = Mutex([[(String, T)]?](repeating: nil, count: parts.parts.count))
        let state = Mutex((done: 0, failure: nil as Error?))
        DispatchQueue.concurrentPerform(iterations: parts.parts.count) { i in
            guard state.withLock({ $0.failure == nil }) else { return }
            do {
                var values: [(String, T)] = []
                // A reference no account is linked to is not an account.
                for h in try histories(parts.parts[i], features: parts.features) where !AccountRef.isKey(h.account) {
                    if let v = try body(h, horizon) { values.append((h.account, v)) }
                }
                results.withLock { $0[i] = values }
                state.withLock { s in
                    s.done += parts.parts[i].events
                    progress(s.done, total)
                }
            } catch {
                state.withLock { $0.failure = error }
            }
        }
        if let failure = state.withLock({ $0.failure }) { throw failure }
        let values = results.withLock { $0 }.flatMap { $0 ?? [] }.sorted { $0.0 < $1.0 }.map(\.1)
        return (values, horizon, total)
    }

    /// One part's accounts, each folded from its records.
    static func histories(_ part: AccountPartitions.Part, features: [String]) throws -> [AccountHistory] {
        var histories: [AccountHistory] = []
        // Most records (usage, tickets, calls, community, notes) come in their compact form.
        try AccountPartitions.forEachEntry(in: part, account: { histories.append(AccountHistory(account: String(decoding: $0, as: UTF8.self))) },
                                           whole: { i, view in
            guard !histories[i].add(view) else { return }
            // A record the projector files as a projection error is left out here too.
            guard let (e, payload) = try? view.foldable() else { return }
            histories[i].add(e, payload)
        }, folded: { i, r in
            try histories[i].add(folded: &r, features: features)
        })
        return histories
    }

    /// How the first two versions differ on the account's last scored day, if their bands do.
    static func difference(_ h: AccountHistory, _ rules: [Rules], _ a: ScoreSeries, _ b: ScoreSeries) -> BandDifference? {
        let day = min(a.lastDay, b.lastDay)
        let bands = (a.band(on: day, rules[0]), b.band(on: day, rules[1]))
        guard bands.0 != bands.1 else { return nil }
        let (x, y) = (Score(h, rules: rules[0], at: Day(day).end), Score(h, rules: rules[1], at: Day(day).end))
        let kinds = Set(x.contributions.map(\.signal)).union(y.contributions.map(\.signal))
        let signals = kinds.map { k -> (signal: SignalKind, points: (Double, Double), reasons: (String, String)) in
            let (cx, cy) = (x.contributions.first { $0.signal == k }, y.contributions.first { $0.signal == k })
            return (k, (cx?.points ?? 0, cy?.points ?? 0), (cx?.reason ?? "", cy?.reason ?? ""))
        }.sorted { (abs($0.points.0 - $0.points.1), $1.signal.rawValue) > (abs($1.points.0 - $1.points.1), $0.signal.rawValue) }
        return BandDifference(account: h.account, day: day, bands: bands, signals: Array(signals.prefix(3)))
    }

    /// The account's series as the live projector keeps it, or only the days asked.
    static func series(_ h: AccountHistory, _ rules: Rules, horizon: Int, _ inputs: SweepInputs, _ options: Options) -> ScoreSeries {
        guard options.from != nil || options.to != nil else {
            return ScoreSeries.refreshed(nil, h, rules: rules, from: .min, horizon: horizon, inputs: inputs).series
        }
        let first = max(ScoreHistory.firstDay(h) ?? horizon + 1, options.from ?? .min)
        let last = min(ScoreHistory.lastDay(h, horizon: horizon), options.to ?? .max)
        return ScoreSeries(firstDay: first, scores: ScoreHistory.scores(h, rules: rules, from: first, to: last, inputs: inputs))
    }

    static func wanted(_ h: AccountHistory, _ options: Options) -> Bool {
        if let accounts = options.accounts, !accounts.contains(h.account) { return false }
        if let plan = options.plan, h.profile.items.last(where: { $0.value.plan != nil })?.value.plan != plan { return false }
        return true
    }
}
