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
        /// The latest moves of the log: the seqs each made visible and when.
        var moves: [(seqs: Range<UInt64>, at: ContinuousClock.Instant)] = []
        var lastSeq: UInt64?
    }

    /// How many of the log's latest moves `madeVisible(after:)` remembers.
    static let remembered = 4096

    private let state = Mutex(State())

    /// How often the log has moved so far.
    var generation: UInt64 { state.withLock { $0.generation } }

    /// True once the server is stopping.
    var isClosed: Bool { state.withLock { $0.closed } }

    /// The log moved, up to `lastSeq` (the store's, after the move).
    func poke(lastSeq: UInt64) {
        let now = ContinuousClock.now
        release { s in
            s.generation += 1
            if let before = s.lastSeq, before < lastSeq {
                s.moves.append(((before + 1)..<(lastSeq + 1), now))
                if s.moves.count > 2 * Self.remembered { s.moves.removeFirst(s.moves.count - Self.remembered) }
            }
            s.lastSeq = max(s.lastSeq ?? 0, lastSeq)
        }
    }

    /// When the event after `seq` became visible, if that was one of the latest moves of the log
    /// this server saw (nil for older events: a stream that reads them is catching up).
    func madeVisible(after seq: UInt64) -> ContinuousClock.Instant? {
        state.withLock { s in
            var (low, high) = (0, s.moves.count)
            while low < high {
                let mid = (low + high) / 2
                if s.moves[mid].seqs.upperBound <= seq + 1 { low = mid + 1 } else { high = mid }
            }
            return low < s.moves.count && s.moves[low].seqs.contains(seq + 1) ? s.moves[low].at : nil
        }
    }

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
