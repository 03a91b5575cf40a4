import EventLog
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Runs the projector on its own thread inside the server: it wakes on every commit (or once a
/// second), applies what is new, and lets readers wait until a seq is applied (`min_seq`), so a
/// producer can read its own write. SQLite work never runs on Swift's cooperative pool.
public final class ProjectorRunner: Sendable {
    public let projector: Projector
    let snapshot: @Sendable () -> LogSnapshot
    let onError: @Sendable (Error) -> Void
    let onBatch: @Sendable (UInt64) -> Void

    private struct State {
        var applied: UInt64 = 0
        var wake = false
        var stopping = false
        var waiters: [(id: UInt64, seq: UInt64, resume: CheckedContinuation<Bool, Never>)] = []
        var nextWaiter: UInt64 = 0
        var failure: String?
    }

    private let state = Mutex(State())
    private let condition = NSCondition()
    private let done = DispatchSemaphore(value: 0)

    public init(projector: Projector, snapshot: @escaping @Sendable () -> LogSnapshot,
                onBatch: @escaping @Sendable (UInt64) -> Void = { _ in },
                onError: @escaping @Sendable (Error) -> Void = { _ in }) throws {
        self.projector = projector
        self.snapshot = snapshot
        self.onBatch = onBatch
        self.onError = onError
        let applied = try projector.store.checkpoint()
        state.withLock { $0.applied = applied }
    }

    /// The last seq applied to the read models.
    public var applied: UInt64 { state.withLock { $0.applied } }

    /// The log's last durable seq: what the projector will reach.
    public var logLastSeq: UInt64 { snapshot().lastSeq }

    /// Why the projector stopped, if it did.
    public var failure: String? { state.withLock { $0.failure } }

    public func start() {
        let thread = Thread { [self] in
            // Acknowledging appends comes first: the projector only takes the CPU the ingest path
            // leaves, and catches up when the load eases.
            setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)  // on Linux: this thread only
            loop()
            done.signal()
        }
        thread.name = "throughline-projector"
        thread.start()
    }

    /// Wakes the projector (called after each commit).
    public func poke() {
        condition.lock()
        state.withLock { $0.wake = true }
        condition.signal()
        condition.unlock()
    }

    /// Finishes the batch in progress and stops; waiters are released.
    public func stop() {
        condition.lock()
        state.withLock { $0.stopping = true }
        condition.signal()
        condition.unlock()
        done.wait()
        let waiters = state.withLock { s in
            defer { s.waiters = [] }
            return s.waiters
        }
        for w in waiters { w.resume.resume(returning: false) }
    }

    /// Returns true once `seq` is applied, false if `timeout` passes first.
    public func waitUntilApplied(_ seq: UInt64, timeout: Duration) async -> Bool {
        if applied >= seq { return true }
        return await withCheckedContinuation { cont in
            let id = state.withLock { s -> UInt64? in
                if s.applied >= seq || s.stopping { return nil }
                s.nextWaiter += 1
                s.waiters.append((s.nextWaiter, seq, cont))
                return s.nextWaiter
            }
            guard let id else {
                cont.resume(returning: applied >= seq)
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

    private func loop() {
        while true {
            condition.lock()
            while !state.withLock({ $0.wake || $0.stopping }) {
                if !condition.wait(until: Date(timeIntervalSinceNow: 1)) { break }
            }
            let stopping = state.withLock { s -> Bool in
                s.wake = false
                return s.stopping
            }
            condition.unlock()
            if stopping { return }
            do {
                try projector.catchUp(snapshot()) { applied in
                    publish(applied)
                    return !state.withLock { $0.stopping }
                }
                // Then background scoring (a rules switch, series carried to a new day), a step at
                // a time while no new event waits.
                try projector.scoreMarked()
                while !state.withLock({ $0.wake || $0.stopping }), try projector.scoreBackground() {}
            } catch {
                state.withLock { $0.failure = "\(error)" }
                onError(error)
                return
            }
        }
    }

    private func publish(_ applied: UInt64) {
        let ready = state.withLock { s -> [CheckedContinuation<Bool, Never>] in
            s.applied = applied
            let (done, waiting) = (s.waiters.filter { $0.seq <= applied }, s.waiters.filter { $0.seq > applied })
            s.waiters = waiting
            return done.map(\.resume)
        }
        for r in ready { r.resume(returning: true) }
        onBatch(applied)
    }
}
