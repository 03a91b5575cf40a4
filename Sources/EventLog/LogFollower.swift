import Foundation
import Synchronization
import ThroughlineCore

/// What a node knows of a shared log: the highest seq it has seen committed (by its own commits,
/// or another node's, announced or found by polling), and whether the log can be reached now.
/// A thread of its own asks the log for its head whenever a commit is announced, and once a
/// second in any case (the fallback when announcements are lost), and calls `onAdvance` when
/// the head moves.
final class LogFollower: Sendable {
    private struct State {
        var head: UInt64
        var unreachable: String?
    }

    private let log: any SharedLog
    private let state: Mutex<State>
    private let wakeup = Wakeup()
    private let done = DispatchSemaphore(value: 0)
    private let onAdvance: @Sendable (UInt64) -> Void

    init(log: any SharedLog, head: UInt64, onAdvance: @escaping @Sendable (UInt64) -> Void) {
        self.log = log
        self.onAdvance = onAdvance
        state = Mutex(State(head: head))
        let thread = Thread { [self] in
            run()
            done.signal()
        }
        thread.name = "throughline-log-follower"
        thread.start()
    }

    /// The highest seq known committed.
    var head: UInt64 { state.withLock { $0.head } }

    /// Why the log cannot be reached, while it cannot.
    var unreachable: String? { state.withLock { $0.unreachable } }

    /// Notes that `seq` is committed (this node's commit, or an outcome naming a stored event).
    func advance(to seq: UInt64) {
        let moved = state.withLock { s in
            defer { s.head = max(s.head, seq) }
            return seq > s.head
        }
        if moved { onAdvance(seq) }
    }

    /// Notes that the log answered (or why it did not).
    func reached(_ problem: String?) { state.withLock { $0.unreachable = problem } }

    /// Asks for the log's head soon.
    func poke() { wakeup.poke() }

    /// Stops the thread and waits for it.
    func stop() {
        if wakeup.stop() { done.wait() }
    }

    private func run() {
        while !wakeup.wait(seconds: 1) {
            do {
                try log.listen { [weak self] in self?.poke() }
                let seq = try log.lastSeq()
                reached(nil)
                advance(to: seq)
            } catch {
                reached(error.message)
            }
        }
    }
}
