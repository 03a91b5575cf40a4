import NIOPosix

/// Blocking reads (SQLite, the log's files) run on threads of their own, never on Swift's
/// cooperative pool: a slow read holds one of these threads, not one that appends and the
/// server's other tasks need. Reads beyond the threads wait their turn in a queue.
final class ReadPool: Sendable {
    private let threads: NIOThreadPool

    init(threads n: Int) {
        threads = NIOThreadPool(numberOfThreads: max(1, n))
        threads.start()
    }

    /// Runs `body` on a read thread and returns what it returns (or throws what it throws).
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await threads.runIfActive(body)
    }

    /// Finishes the reads queued and stops the threads.
    func shutdown() async {
        try? await threads.shutdownGracefully()
    }
}
