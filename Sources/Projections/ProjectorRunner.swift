import EventLog
import Foundation
import Synchronization

/// Runs the projector inside the server, as a `Worker`: it wakes on every commit (or once a
/// second), applies what is new, scores the accounts it touched, and lets readers wait until a
/// seq is applied (`min_seq`), so a producer can read its own write.
///
/// Acknowledging appends comes first: while the node serves appends, the projector waits before
/// each batch, up to `longestYield` at a time, unless a reader waits for a seq, and takes small
/// batches. Under a load that fills the cores the read models then advance a batch per
/// `longestYield` and catch up once the load eases (once they are far behind, `rebuildBehind`,
/// they wait for the load to end and are rebuilt in bulk); under any lighter load appends leave
/// gaps between requests and nothing waits.
public final class ProjectorRunner: Sendable {
    public let projector: Projector
    public let worker: Worker
    let snapshot: @Sendable () -> LogSnapshot
    let onBatch: @Sendable (LogPosition) -> Void
    let ingestBusy: @Sendable () -> Bool
    let longestYield: Duration
    /// A backlog of at least this many events, and a quarter of the log, is caught up with the
    /// bulk rebuild while no append is being served (nil: always followed).
    let rebuildBehind: Int?
    let onRebuilt: @Sendable (_ events: UInt64, _ behind: UInt64, _ took: Duration) -> Void
    private let yieldingNow = Atomic<Bool>(false)
    private let rebuildingNow = Atomic<Bool>(false)

    private struct State {
        var applied: LogPosition
        var waiters: [(id: UInt64, seq: UInt64, resume: CheckedContinuation<Bool, Never>)] = []
        var nextWaiter: UInt64 = 0
        var closed = false
    }

    private let state: Mutex<State>

    /// - Parameters:
    ///   - ingestBusy: true while the node serves appends; `longestYield` of zero never waits.
    ///   - onBatch: told the new checkpoint after each batch.
    ///   - onChange: told each change of the worker's state (the server logs it and counts it).
    ///   - rebuildBehind: the backlog caught up in bulk rather than followed (`Projector.rebuildInBulk`);
    ///     `onRebuilt` is told the log's events, the backlog and the time it took.
    public init(projector: Projector, snapshot: @escaping @Sendable () -> LogSnapshot, reserve: DiskReserve, attempts: Int = 4,
                ingestBusy: @escaping @Sendable () -> Bool = { false }, longestYield: Duration = .zero, rebuildBehind: Int? = nil,
                onBatch: @escaping @Sendable (LogPosition) -> Void = { _ in },
                onRebuilt: @escaping @Sendable (UInt64, UInt64, Duration) -> Void = { _, _, _ in },
                onChange: @escaping @Sendable (Worker.State) -> Void = { _ in }) throws {
        self.projector = projector
        self.snapshot = snapshot
        self.onBatch = onBatch
        self.ingestBusy = ingestBusy
        self.longestYield = longestYield
        self.rebuildBehind = rebuildBehind
        self.onRebuilt = onRebuilt
        state = Mutex(State(applied: try projector.store.checkpoint(snapshot().partitioning)))
        let runner = Mutex<ProjectorRunner?>(nil)
        worker = Worker(name: "projector", attempts: attempts, blocked: { reserve.shortfall() }, onChange: { new in
            if case .stopped = new { runner.withLock { $0 }?.releaseWaiters() }
            onChange(new)
        }) { w in
            guard let r = runner.withLock({ $0 }) else { return }
            r.yieldToIngest(w)
            try r.rebuildIfFarBehind()
            // Appends came again before the rebuild began: wait for them again rather than follow.
            if r.leftToBulkRebuild { return }
            // A batch taken while appends are served is a small one: a large one would hold the
            // CPU for seconds against them.
            try r.projector.catchUp(r.snapshot(), progress: { applied in
                r.publish(applied)
                if r.behind { r.yieldToIngest(w) }
                // A backlog that grew far behind while appends were served (a load through
                // another node, or through this one) is left to the bulk rebuild once they pause.
                return !w.stopping && reserve.shortfall() == nil && !(r.farBehind(r.snapshot()) && !r.ingestBusy()) && !r.leftToBulkRebuild
            }, largeBatches: { !r.ingestBusy() })
            try r.rebuildIfFarBehind()
            // Accounts a backlog left marked are scored once it is done, a few at a time, so that
            // events that arrive meanwhile are applied (and fire their alerts) first.
            while !w.stopping, !r.behind, try r.projector.scoreMarked(limit: Self.idleChunk, chunk: Self.idleChunk) == Self.idleChunk {}
        }
        runner.withLock { $0 = self }
    }

    /// Accounts scored per transaction between batches.
    static let idleChunk = 25

    /// The last event of each partition applied to the read models.
    public var applied: LogPosition { state.withLock { $0.applied } }

    /// The log's highest durable seq.
    public var logLastSeq: UInt64 { snapshot().lastSeq }

    /// True while events wait to be applied.
    public var behind: Bool { !applied.reaches(snapshot().position) }

    /// True while the projector waits for the node's appends to be served before its next batch.
    public var yielding: Bool { yieldingNow.load(ordering: .relaxed) }

    /// Whether the read models are at least `rebuildBehind` events and a quarter of `s` behind it.
    private func farBehind(_ s: LogSnapshot) -> Bool {
        Self.farBehind(events: s.position.events, applied: applied.events, limit: rebuildBehind)
    }

    /// Whether read models at `applied` of a log of `events` are better rebuilt than followed: at
    /// least `limit` events and a quarter of the log behind it (never, without a limit).
    public static func farBehind(events: UInt64, applied: UInt64, limit: Int?) -> Bool {
        guard let limit else { return false }
        return events > applied && events - applied >= max(UInt64(limit), events / 4)
    }

    /// How long no append must be served before a far-behind projector rebuilds.
    static let quietBeforeRebuild: Duration = .seconds(1)

    /// True while the projector builds the read models again in bulk (`rebuildBehind`).
    public var rebuilding: Bool { rebuildingNow.load(ordering: .relaxed) }

    /// Catches a backlog of at least `rebuildBehind` events and a quarter of the log up with the
    /// bulk rebuild, unless the node is serving appends (a rebuild takes both cores for a while,
    /// and while appends keep coming, the backlog does too). Reads meanwhile are answered from
    /// the read models as they were.
    private func rebuildIfFarBehind() throws {
        guard !ingestBusy(), farBehind(snapshot()) else { return }
        // A rebuild holds the cores for a while: only once appends have paused for a moment, not
        // in the gap between two requests of a load still under way.
        let quiet = ContinuousClock.now + Self.quietBeforeRebuild
        while ContinuousClock.now < quiet {
            if ingestBusy() { return }
            usleep(10_000)
        }
        let s = snapshot()
        let (events, applied) = (s.position.events, self.applied.events)
        rebuildingNow.store(true, ordering: .relaxed)
        defer { rebuildingNow.store(false, ordering: .relaxed) }
        let started = ContinuousClock.now
        let reached = try projector.rebuildInBulk(s)
        publish(reached)
        onRebuilt(events, events - applied, ContinuousClock.now - started)
    }

    /// True while read models far behind wait for the appends being served to pause, to be
    /// rebuilt in bulk then: the rebuild would build again whatever was applied meanwhile. Not
    /// while a reader waits for a seq, nor with a `longestYield` of zero.
    private var leftToBulkRebuild: Bool {
        longestYield > .zero && ingestBusy() && state.withLock({ $0.waiters.isEmpty }) && farBehind(snapshot())
    }

    /// Waits while the node serves appends, at most `longestYield` (as long as they are served,
    /// while `leftToBulkRebuild`), and not while a reader waits for a seq or the worker is asked
    /// to stop.
    private func yieldToIngest(_ w: Worker) {
        guard longestYield > .zero else { return }
        let until = farBehind(snapshot()) ? nil : ContinuousClock.now + longestYield
        while !w.stopping, until.map({ ContinuousClock.now < $0 }) ?? true, ingestBusy(), state.withLock({ $0.waiters.isEmpty }) {
            yieldingNow.store(true, ordering: .relaxed)
            usleep(5_000)
        }
        yieldingNow.store(false, ordering: .relaxed)
    }

    /// Wakes the projector (called after each commit).
    public func poke() { worker.poke() }

    /// Returns true once the event at `seq` is applied (with everything before it in its
    /// partition), false if `timeout` passes first or the projector has stopped (it will not
    /// reach `seq` then).
    public func waitUntilApplied(_ seq: UInt64, timeout: Duration) async -> Bool {
        if applied.covers(seq) { return true }
        return await withCheckedContinuation { cont in
            let id = state.withLock { s -> UInt64? in
                if s.applied.covers(seq) || s.closed { return nil }
                s.nextWaiter += 1
                s.waiters.append((s.nextWaiter, seq, cont))
                return s.nextWaiter
            }
            guard let id else {
                cont.resume(returning: applied.covers(seq))
                return
            }
            Task {
                try? await Task.sleep(for: timeout)
                let expired = self.state.withLock { s -> CheckedContinuation<Bool, Never>? in
                    guard let i = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                    return s.waiters.remove(at: i).resume
                }
                expired?.resume(returning: false)
            }
        }
    }

    /// Answers every waiting reader "not reached", now and from here on (the projector stopped
    /// or the server is stopping).
    public func releaseWaiters() {
        let waiters = state.withLock { s in
            s.closed = true
            defer { s.waiters = [] }
            return s.waiters
        }
        for w in waiters { w.resume.resume(returning: false) }
    }

    private func publish(_ applied: LogPosition) {
        let ready = state.withLock { s -> [CheckedContinuation<Bool, Never>] in
            s.applied = applied
            let (done, waiting) = (s.waiters.filter { applied.covers($0.seq) }, s.waiters.filter { !applied.covers($0.seq) })
            s.waiters = waiting
            return done.map(\.resume)
        }
        for r in ready { r.resume(returning: true) }
        onBatch(applied)
    }
}

/// Background scoring inside the server, as a `Worker`: a new rules version scored over all
/// history, then made active, and the active version's series carried forward as days pass. A
/// step at a time, and only while the projector has nothing waiting: new events come first.
public final class ScoreRunner: Sendable {
    public let worker: Worker

    public init(projector: ProjectorRunner, reserve: DiskReserve, attempts: Int = 4,
                onChange: @escaping @Sendable (Worker.State) -> Void = { _ in }) {
        worker = Worker(name: "scorer", attempts: attempts, blocked: { reserve.shortfall() }, onChange: onChange) { [weak projector] w in
            guard let projector else { return }
            while !w.stopping, !projector.behind, reserve.shortfall() == nil, try projector.projector.scoreBackground() {}
        }
    }
}

/// Free bytes kept on the disk of the read models for the log: below them the projector and the
/// scorer pause (and say so) until space is freed.
public struct DiskReserve: Sendable {
    public let bytes: Int
    /// The folder whose disk is measured.
    let directory: String

    public init(bytes: Int, readModels store: ProjectionStore) {
        self.bytes = bytes
        let folder = store.path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        directory = folder.isEmpty ? "." : folder
    }

    /// Why writing the read models must wait now, or nil.
    public func shortfall() -> String? {
        guard let free = FileSystem.freeBytes(directory), free < bytes else { return nil }
        return "paused: \(free >> 20) MiB free on the disk of the read models, under the \(bytes >> 20) MiB kept for the log; "
            + "projecting resumes once space is freed"
    }
}
