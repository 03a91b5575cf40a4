import Synchronization

/// Admission control for ingest requests: at most `maxActive` run at once, up to `maxWaiting`
/// more wait their turn for at most `maxWait`; past either bound a request is refused (503 with
/// `Retry-After`). With each running request holding at most two batches, this bounds the memory
/// ingest can take however far the writer falls behind.
final class IngestGate: Sendable {
    let maxActive: Int
    let maxWaiting: Int
    let maxWait: Duration

    private struct Waiter {
        let id: UInt64
        let resume: CheckedContinuation<Bool, Never>
    }

    private struct State {
        var active = 0
        var waiters: [Waiter] = []
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())
    private let onWaitingChange: @Sendable (Int) -> Void

    init(maxActive: Int, maxWaiting: Int, maxWait: Duration, onWaitingChange: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.maxActive = max(1, maxActive)
        self.maxWaiting = max(0, maxWaiting)
        self.maxWait = maxWait
        self.onWaitingChange = onWaitingChange
    }

    /// Requests being served and waiting now.
    var counts: (active: Int, waiting: Int) { state.withLock { ($0.active, $0.waiters.count) } }

    /// Waits for a turn; false when the request must be refused. Every true must be paired with `leave()`.
    func enter() async -> Bool {
        let id: UInt64? = state.withLock { s in
            if s.active < maxActive && s.waiters.isEmpty {
                s.active += 1
                return nil
            }
            s.nextID += 1
            return s.nextID
        }
        guard let id else { return true }
        let admitted = await withCheckedContinuation { (cont: CheckedContinuation<Bool, Never>) in
            let queued = state.withLock { s -> Int? in
                // The queue may have drained between the two locks.
                if s.active < maxActive && s.waiters.isEmpty {
                    s.active += 1
                    return nil
                }
                guard s.waiters.count < maxWaiting else { return -1 }
                s.waiters.append(Waiter(id: id, resume: cont))
                return s.waiters.count
            }
            switch queued {
            case nil: cont.resume(returning: true)
            case -1: cont.resume(returning: false)
            case let n?:
                onWaitingChange(n)
                let maxWait = maxWait
                Task { [self] in
                    try? await Task.sleep(for: maxWait)
                    self.expire(id)
                }
            }
        }
        return admitted
    }

    /// Ends a turn, handing it to the longest waiter.
    func leave() {
        let (next, waiting) = state.withLock { s -> (Waiter?, Int) in
            if s.waiters.isEmpty {
                s.active -= 1
                return (nil, 0)
            }
            return (s.waiters.removeFirst(), s.waiters.count)
        }
        if let next {
            onWaitingChange(waiting)
            next.resume.resume(returning: true)
        }
    }

    private func expire(_ id: UInt64) {
        let (expired, waiting) = state.withLock { s -> (Waiter?, Int) in
            guard let i = s.waiters.firstIndex(where: { $0.id == id }) else { return (nil, s.waiters.count) }
            return (s.waiters.remove(at: i), s.waiters.count)
        }
        if let expired {
            onWaitingChange(waiting)
            expired.resume.resume(returning: false)
        }
    }
}
