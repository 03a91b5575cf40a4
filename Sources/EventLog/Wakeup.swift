import Foundation
import Synchronization

/// How a thread that works in rounds is woken: poked to work now, asked to stop, and otherwise
/// waking by itself after a while. The log's follower and the server's workers wait on one each.
public final class Wakeup: Sendable {
    private struct Flags {
        var wake = false
        var stopping = false
    }

    private let flags = Mutex(Flags())
    private let condition = NSCondition()

    public init() {}

    /// True once a stop is asked for.
    public var stopping: Bool { flags.withLock { $0.stopping } }
    /// True when a poke came and no `wait` has taken it yet.
    public var woken: Bool { flags.withLock { $0.wake } }

    /// Wakes the thread for a round.
    public func poke() { signal { $0.wake = true } }

    /// Asks the thread to stop; true the first time.
    @discardableResult
    public func stop() -> Bool {
        var first = false
        signal { f in
            first = !f.stopping
            f.stopping = true
        }
        return first
    }

    /// Waits until poked or asked to stop, or `seconds` pass, and takes the poke; true when asked to stop.
    public func wait(seconds: Double) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while !flags.withLock({ $0.wake || $0.stopping }) {
            if !condition.wait(until: Date(timeIntervalSinceNow: seconds)) { break }
        }
        return flags.withLock { f in
            f.wake = false
            return f.stopping
        }
    }

    /// Waits `seconds`, or less if a stop is asked for (pokes do not end the rest).
    public func rest(seconds: Double) {
        let until = Date(timeIntervalSinceNow: seconds)
        condition.lock()
        while !stopping, condition.wait(until: until) {}
        condition.unlock()
    }

    private func signal(_ change: (inout Flags) -> Void) {
        condition.lock()
        flags.withLock { change(&$0) }
        condition.signal()
        condition.unlock()
    }
}
