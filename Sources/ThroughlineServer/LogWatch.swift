import ServiceLifecycle
import Synchronization

/// Wakes the event streams when the log moves (this node's commits, and other nodes' that the
/// node follows), and ends them when the server stops: a stream reads the log itself, so this
/// carries no events, only "look again".
final class LogWatch: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter: UInt64 = 0
        var closed = false
    }

    private let state = Mutex(State())

    /// How often the log has moved so far.
    var generation: UInt64 { state.withLock { $0.generation } }

    /// True once the server is stopping.
    var isClosed: Bool { state.withLock { $0.closed } }

    /// The log moved.
    func poke() { release { $0.generation += 1 } }

    /// The server is stopping: every stream ends.
    func close() { release { $0.closed = true } }

    /// Returns once the log moved past `generation`, `timeout` passed, or the server stops.
    func wait(after generation: UInt64, timeout: Duration) async {
        await withCheckedContinuation { (cont: CheckedContinuation<Void, Never>) in
            let id = state.withLock { s -> UInt64? in
                if s.generation != generation || s.closed { return nil }
                s.nextWaiter += 1
                s.waiters[s.nextWaiter] = cont
                return s.nextWaiter
            }
            guard let id else { return cont.resume() }
            Task {
                try? await Task.sleep(for: timeout)
                state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
            }
        }
    }

    private func release(_ change: (inout State) -> Void) {
        let waiting = state.withLock { s in
            change(&s)
            defer { s.waiters = [:] }
            return Array(s.waiters.values)
        }
        for w in waiting { w.resume() }
    }
}

/// Ends the streams first when the server stops gracefully (it is the last service, so the first
/// told), so that the listeners' drain does not wait for streams that never end by themselves.
struct StreamCloser: Service {
    let watch: LogWatch

    func run() async throws {
        try? await gracefulShutdown()
        watch.close()
    }
}
