import Foundation
import Synchronization
import ThroughlineCore

/// What a node knows of a shared log: the last event of each partition it has seen committed (by
/// its own commits, or another node's, announced or found by polling), and whether the log can be reached now.
/// A thread of its own asks the log for its head whenever a commit is announced, and once a
/// second in any case (the fallback when announcements are lost), and calls `onAdvance` when
/// the head moves.
final class LogFollower: Sendable {
    private struct State {
        var head: LogPosition
        var unreachable: String?
    }

    private let log: any SharedLog
    private let state: Mutex<State>
    private let wakeup = Wakeup()
    private let done = DispatchSemaphore(value: 0)
    private let onAdvance: @Sendable (UInt64) -> Void

    init(log: any SharedLog, head: LogPosition, onAdvance: @escaping @Sendable (UInt64) -> Void) {
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

    /// The last event of each partition known committed.
    var head: LogPosition { state.withLock { $0.head } }

    /// Why the log cannot be reached, while it cannot.
    var unreachable: String? { state.withLock { $0.unreachable } }

    /// Notes that the event at `seq` is committed (this node's commit, or an outcome naming a
    /// stored event), and with it every event before it in its partition.
    func advance(to seq: UInt64) { advance(to: head.advanced(to: seq)) }

    /// Notes that every event up to `position` is committed.
    func advance(to position: LogPosition) {
        let moved = state.withLock { s -> UInt64? in
            let new = s.head.union(position)
            defer { s.head = new }
            return new != s.head ? new.lastSeq : nil
        }
        if let moved { onAdvance(moved) }
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
                let position = try log.head()
                reached(nil)
                advance(to: position)
            } catch {
                reached(error.message)
            }
        }
    }
}
