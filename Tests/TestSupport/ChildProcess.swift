import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A long-running child (a server) spawned with posix_spawn, as `CLI.run` spawns (not with
/// Foundation's Process: see there): stdin and stdout on /dev/null, stderr appended to a file,
/// every other descriptor closed in the child.
public final class ChildProcess: @unchecked Sendable {
    public let pid: pid_t
    private let lock = NSLock()
    private var ended: Int32?

    public init(executable: String, _ args: [String], stderrPath: String = "/dev/null") throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        _ = SpawnExtras.closeFrom(&actions, 3)
        let argv = ([executable] + args).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard rc == 0 else { throw CLI.SpawnFailure(message: "cannot start \(executable): \(String(cString: strerror(rc)))") }
        self.pid = pid
    }

    public func signal(_ sig: Int32) {
        if isRunning { kill(pid, sig) }
    }

    /// True until the child has ended (and been reaped).
    public var isRunning: Bool { reap(blocking: false) == nil }

    /// How it ended, as Foundation reports it (the exit code, or the signal that ended it), once
    /// it has; waits at most `seconds`.
    public func exitStatus(within seconds: Double) -> Int32? {
        let deadline = Date(timeIntervalSinceNow: seconds)
        while Date() < deadline {
            if let s = reap(blocking: false) { return s }
            usleep(20_000)
        }
        return reap(blocking: false)
    }

    /// Waits for the child to end.
    @discardableResult
    public func waitUntilExit() -> Int32 { reap(blocking: true)! }

    private func reap(blocking: Bool) -> Int32? {
        lock.lock()
        defer { lock.unlock() }
        if let ended { return ended }
        var status: Int32 = 0
        var r: pid_t
        repeat { r = waitpid(pid, &status, blocking ? 0 : WNOHANG) } while r < 0 && errno == EINTR
        guard r == pid else { return nil }
        ended = status & 0x7f == 0 ? (status >> 8) & 0xff : status & 0x7f
        return ended
    }

    deinit {
        if isRunning {
            kill(pid, SIGKILL)
            waitUntilExit()
        }
    }
}
