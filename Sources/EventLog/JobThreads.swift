import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Threads of the server's own, each taking the next job of one queue: work kept off Swift's
/// cooperative threads (as many as cores), which every request's task waits for. `nice` above
/// zero lets the threads' work yield the CPU to the rest of the server.
public final class JobThreads: @unchecked Sendable {
    /// Threads below the event loops' priority for bulk work on the ingest path (decoding
    /// batches of lines), one per core.
    public static let bulk = JobThreads(name: "bulk", count: ProcessInfo.processInfo.activeProcessorCount, nice: 5)

    private let condition = NSCondition()
    private var jobs: [() -> Void] = []
    private var head = 0

    /// True when this process may run threads at `nice` (below zero: a raised priority, which
    /// takes root, CAP_SYS_NICE or a nice limit that allows it, as systemd's `LimitNICE=` sets).
    public static func mayRun(atNice nice: Int32) -> Bool {
        guard nice < 0, geteuid() != 0 else { return true }
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(__RLIMIT_NICE.rawValue), &limit) == 0 else { return false }
        return limit.rlim_cur == rlim_t.max || 20 - Int64(limit.rlim_cur) <= Int64(nice)
    }

    /// - Parameter nice: the threads' nice value; a raised priority the process may not take is
    ///   left at zero (see `mayRun(atNice:)`).
    public init(name: String, count: Int, nice: Int32 = 0) {
        let nice = Self.mayRun(atNice: nice) ? nice : 0
        for i in 0..<max(1, count) {
            let thread = Thread { [self] in
                if nice != 0 { setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, nice) }  // on Linux: this thread only
                while true { next()() }
            }
            thread.name = "throughline-\(name)-\(i)"
            thread.start()
        }
    }

    /// Queues `job` for the next free thread.
    public func submit(_ job: @escaping () -> Void) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func next() -> () -> Void {
        condition.lock()
        defer { condition.unlock() }
        while head == jobs.count { condition.wait() }
        let job = jobs[head]
        head += 1
        if head == jobs.count { (jobs, head) = ([], 0) } else if head >= 1024 { jobs.removeFirst(head); head = 0 }
        return job
    }

    /// Runs `work(0..<parts)` on the threads and returns once every part has ended.
    public func perform(parts: Int, _ work: @escaping @Sendable (Int) -> Void) async {
        let left = Mutex(parts)
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            for p in 0..<parts {
                submit {
                    work(p)
                    if left.withLock({ $0 -= 1; return $0 == 0 }) { done.resume() }
                }
            }
        }
    }
}

/// A task executor on threads of its own: tasks that prefer it (`withTaskExecutorPreference`)
/// run there between their waits instead of queueing behind every other task for the
/// cooperative threads. The server's event streams use one.
public final class ThreadsExecutor: TaskExecutor, @unchecked Sendable {
    private let threads: JobThreads

    public init(name: String, count: Int = 1, nice: Int32 = 0) {
        threads = JobThreads(name: name, count: count, nice: nice)
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        threads.submit { [self] in job.runSynchronously(on: asUnownedTaskExecutor()) }
    }
}
