#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization
import ThroughlineCore

/// Has a file's written pages go to disk while it is still being written: after a write, at
/// most once a second, a sync on a thread of its own (the writer does not wait for it). The
/// sync before the file is put in place then finds little left: at the end of a 10M rebuild it
/// had taken 1.8 s, both cores otherwise idle.
final class WriteBehind: @unchecked Sendable {  // `last` is the writer's alone
    private let path: String
    private var fd: Int32
    private let queue = DispatchQueue(label: "throughline-write-behind")
    private let syncing = Atomic<Bool>(false)
    private let failure = Mutex<String?>(nil)
    private var last = monotonicNanos()

    init(path: String) throws {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ReadModelError(.io, "cannot open \(path) to sync it: \(String(cString: strerror(errno)))") }
    }

    /// Called after each write: starts a sync if a second has passed and none is running.
    func wrote() {
        let now = monotonicNanos()
        guard now - last >= 1_000_000_000 else { return }
        last = now
        guard syncing.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return }
        queue.async { [self] in
            // An error is kept for `finish`: the file's next sync, on another descriptor, may not see it.
            if fdatasync(fd) != 0 { let reason = String(cString: strerror(errno)); failure.withLock { $0 = $0 ?? reason } }
            syncing.store(false, ordering: .releasing)
        }
    }

    /// Waits for a sync under way and closes the descriptor (again: nothing); throws if a sync failed.
    func finish() throws {
        queue.sync {}
        if fd >= 0 { close(fd) }
        fd = -1
        if let reason = failure.withLock({ $0 }) { throw ReadModelError(.io, "cannot write \(path) to disk: \(reason)") }
    }
}
