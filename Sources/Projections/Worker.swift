import EventLog
import Foundation
import GRDB
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A loop on a thread of its own (SQLite work never runs on Swift's cooperative pool) that does
/// a round of work each time it is woken, or once a second. The server runs the projector and the
/// scorer as two of these, as services of its group, and reports what each is doing:
///
/// - a round that fails is tried again after a pause that grows up to 30 s: for as long as it
///   takes when the cause passes by itself (a full disk, a busy or unreadable file), else a few
///   times, after which the worker **stops** and says why, until the server is restarted;
/// - while `blocked` names a reason (the disk under its reserve) it pauses without working.
public final class Worker: Sendable {
    public enum State: Sendable, Equatable {
        case running
        /// Waits for a condition to pass (the reason says which), without working.
        case paused(String)
        /// The last round failed (the reason is its error); it is tried again after a pause.
        case retrying(String)
        /// Gave up after an error that retrying does not cure; the server must be restarted.
        case stopped(String)

        public var name: String {
            switch self {
            case .running: "running"
            case .paused: "paused"
            case .retrying: "retrying"
            case .stopped: "stopped"
            }
        }

        public var reason: String? {
            switch self {
            case .running: nil
            case .paused(let r), .retrying(let r), .stopped(let r): r
            }
        }

        public static let names = ["running", "paused", "retrying", "stopped"]
    }

    /// The worker's name in health, metrics and the log ("projector", "scorer").
    public let name: String
    /// Failures in a row of an error that does not pass by itself before the worker stops.
    let attempts: Int
    /// The longest rest between two tries, in seconds (the rests double up to it).
    let longestRest: Int
    let round: @Sendable (Worker) throws -> Void
    let blocked: @Sendable () -> String?
    let onChange: @Sendable (State) -> Void

    private struct Shared {
        var state = State.running
        var finished = false
        var onFinish: [CheckedContinuation<Void, Never>] = []
    }

    private let shared = Mutex(Shared())
    private let wakeup = Wakeup()

    /// - Parameters:
    ///   - round: one round of work; it should return soon after `stopping` (and, for background
    ///     work, `woken`) turns true.
    ///   - longestRest: the longest wait between two tries after a failure, in seconds.
    ///   - blocked: why the worker must not work now, if it must not.
    ///   - onChange: told every change of state (for the log and the metrics), on the worker's thread.
    public init(name: String, attempts: Int = 4, longestRest: Int = 30, blocked: @escaping @Sendable () -> String? = { nil },
                onChange: @escaping @Sendable (State) -> Void = { _ in }, round: @escaping @Sendable (Worker) throws -> Void) {
        self.name = name
        self.attempts = max(1, attempts)
        self.longestRest = max(1, longestRest)
        self.blocked = blocked
        self.onChange = onChange
        self.round = round
    }

    public var state: State { shared.withLock { $0.state } }
    /// True once a stop is asked for: a round in progress should end.
    public var stopping: Bool { wakeup.stopping }
    /// True when a wake-up came while the round was running.
    public var woken: Bool { wakeup.woken }

    /// Starts the thread; `finished()` returns when it ends.
    public func start() {
        let thread = Thread { [self] in
            // Acknowledging appends comes first: workers take the CPU the ingest path leaves.
            setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)  // on Linux: this thread only
            loop()
            let waiting = shared.withLock { s in
                s.finished = true
                defer { s.onFinish = [] }
                return s.onFinish
            }
            for w in waiting { w.resume() }
        }
        thread.name = "throughline-\(name)"
        thread.start()
    }

    /// Wakes the worker for a round.
    public func poke() { wakeup.poke() }

    /// Asks the worker to finish its round and end.
    public func requestStop() { wakeup.stop() }

    /// Returns once the thread has ended (at once if it has, or was never started and is stopping).
    public func finished() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let done = shared.withLock { s in
                if s.finished { return true }
                s.onFinish.append(c)
                return false
            }
            if done { c.resume() }
        }
    }

    private func set(_ new: State) {
        let changed = shared.withLock { s in
            defer { s.state = new }
            return s.state != new
        }
        if changed { onChange(new) }
    }

    private func loop() {
        var failures = 0
        while true {
            if wakeup.wait(seconds: 1) { return }
            if let reason = blocked() {
                set(.paused(reason))
                continue
            }
            do {
                if case .retrying = state {} else { set(.running) }
                try round(self)
                failures = 0
                set(.running)
            } catch {
                // A round is transactions: nothing of the failed one was applied.
                failures += 1
                if failures >= attempts && !Self.passesByItself(error) {
                    set(.stopped("\(error)"))
                    return
                }
                set(.retrying("\(error)"))
                rest(seconds: min(longestRest, 1 << min(failures - 1, 5)))
            }
        }
    }

    /// Waits `seconds`, or less if the worker is stopped.
    private func rest(seconds: Int) { wakeup.rest(seconds: Double(seconds)) }

    /// Errors whose cause usually goes away without anyone changing the store: a full disk, a
    /// failed read or write, a file another process holds, the log's database out of reach.
    static func passesByItself(_ error: Error) -> Bool {
        if let e = error as? StoreError { return [.full, .io, .locked, .unavailable].contains(e.kind) }
        if let e = error as? ReadModelError { return e.kind == .io }
        if let e = error as? DatabaseError {
            return [.SQLITE_FULL, .SQLITE_IOERR, .SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_NOMEM, .SQLITE_PROTOCOL].contains(e.resultCode)
        }
        return false
    }
}
