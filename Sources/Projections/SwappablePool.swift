#if canImport(Glibc)
import Glibc
#endif
import GRDB

/// The read models' connections, which a bulk catch-up replaces with a new file's while the
/// server runs: every use holds a shared lock for its length, the replacement the exclusive one,
/// so no read or write spans the change, and the old connections are closed (their write-ahead
/// log checkpointed and removed) before the new file takes the old one's name. Writer-preferring:
/// a replacement waiting keeps new uses out, so a stream of reads cannot hold it off.
final class SwappablePool: @unchecked Sendable {
    private var pool: DatabasePool
    private let lock = UnsafeMutablePointer<pthread_rwlock_t>.allocate(capacity: 1)

    init(_ pool: DatabasePool) {
        self.pool = pool
        var attributes = pthread_rwlockattr_t()
        pthread_rwlockattr_init(&attributes)
        pthread_rwlockattr_setkind_np(&attributes, Int32(PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP))
        pthread_rwlock_init(lock, &attributes)
        pthread_rwlockattr_destroy(&attributes)
    }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deallocate()
    }

    /// Runs `body` with the connections, which stay the same until it returns.
    func using<T>(_ body: (DatabasePool) throws -> T) rethrows -> T {
        pthread_rwlock_rdlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body(pool)
    }

    /// Replaces the connections with what `replace` returns, given the old ones, once no use is
    /// under way. If it throws, `reopen` gives the connections to keep (the old file's again).
    func replace(_ replace: (DatabasePool) throws -> DatabasePool, reopen: () throws -> DatabasePool) throws {
        pthread_rwlock_wrlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        do {
            pool = try replace(pool)
        } catch {
            pool = try reopen()
            throw error
        }
    }
}
