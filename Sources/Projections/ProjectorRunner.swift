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
        var paused: String?
    }

    private let state = Mutex(State())
    private let condition = NSCondition()
    private let done = DispatchSemaphore(value: 0)

    /// Free bytes the projector leaves on the disk of the read models, for the log: below
    /// them it pauses (and says so) until space is freed.
    let reserveBytes: Int
    /// The folder of the read models, whose disk the reserve is measured on.
    private let readModelsDirectory: String

    public init(projector: Projector, snapshot: @escaping @Sendable () -> LogSnapshot, reserveBytes: Int = 64 << 20,
                onBatch: @escaping @Sendable (UInt64) -> Void = { _ in },
                onError: @escaping @Sendable (Error) -> Void = { _ in }) throws {
        self.projector = projector
        self.reserveBytes = reserveBytes
        let folder = projector.store.path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        readModelsDirectory = folder.isEmpty ? "." : folder
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

    /// Why the projector's last attempt failed, while it retries (with growing pauses, up to
    /// 30 s); nil once a batch succeeds.
    public var failure: String? { state.withLock { $0.failure } }

    /// Why the projector waits for disk space, if it does.
    public var paused: String? { state.withLock { $0.paused } }

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
        var failures = 0
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
            if let short = spaceShort() {
                state.withLock { $0.paused = short }
                continue
            }
            state.withLock { $0.paused = nil }
            do {
                try projector.catchUp(snapshot()) { applied in
                    publish(applied)
                    return !state.withLock { $0.stopping } && spaceShort() == nil
                }
                // Then background scoring (a rules switch, series carried to a new day), a step at
                // a time while no new event waits.
                try projector.scoreMarked()
                while !state.withLock({ $0.wake || $0.stopping }), spaceShort() == nil, try projector.scoreBackground() {}
                failures = 0
                state.withLock { $0.failure = nil }
            } catch {
                // A batch is one transaction: nothing of it was applied. Try again after a pause
                // that grows with each failure in a row, so a full disk or a locked file is
                // waited out, and reads say why they are behind meanwhile.
                failures += 1
                state.withLock { $0.failure = "\(error)" }
                onError(error)
                rest(seconds: min(30, 1 << min(failures - 1, 5)))
            }
        }
    }

    /// Why the projector should not write now: the read models' disk has less free space than
    /// the reserve kept for the log.
    private func spaceShort() -> String? {
        guard let free = FileSystem.freeBytes(readModelsDirectory), free < reserveBytes else { return nil }
        return "paused: \(free >> 20) MiB free on the disk of the read models, under the \(reserveBytes >> 20) MiB kept for the log; "
            + "projecting resumes once space is freed"
    }

    /// Waits `seconds`, or less if the runner is stopped.
    private func rest(seconds: Int) {
        let until = Date(timeIntervalSinceNow: Double(seconds))
        condition.lock()
        while !state.withLock({ $0.stopping }), condition.wait(until: until) {}
        condition.unlock()
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
