#if canImport(Glibc)
import Glibc
#endif

/// Why the store refused to open or to write. The message names the file (and the byte
/// offset, for damage) and, where there is one, the way out.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Damage that recovery must not repair silently (a bad CRC before the tail, a seq gap).
        case corrupt
        /// Another process holds the store's lock.
        case locked
        /// A system call failed.
        case io
        /// The writer stopped after a failed write or sync; reopen the store.
        case failed
        /// The request cannot be honoured (a bad argument).
        case invalid
        /// The store is closed (the server is stopping): nothing of the request was stored.
        case closed
        /// The disk (or the user's quota) is full: nothing of the failed write was kept, and the
        /// same write succeeds once space returns.
        case full
        /// The database the log is kept in cannot be reached (or is restarting): nothing of the
        /// request was stored, and the same request succeeds once it is back.
        case unavailable
    }

    public var kind: Kind
    public var message: String
    /// For `.corrupt`: the segment file and byte offset of the damage.
    public var file: String?
    public var offset: Int?

    public init(_ kind: Kind, _ message: String, file: String? = nil, offset: Int? = nil) {
        self.kind = kind
        self.message = message
        self.file = file
        self.offset = offset
    }

    public var description: String { message }

    static func corrupt(_ file: String, offset: Int, _ reason: String) -> StoreError {
        StoreError(.corrupt, "\(file): damaged at byte offset \(offset): \(reason). The store will not open; "
                   + "restore the segment from a backup or run `throughline verify` for the full list",
                   file: file, offset: offset)
    }

    /// `error` as a store error (a record that would not seal: `.invalid`).
    static func of(_ error: any Error) -> StoreError {
        (error as? StoreError) ?? StoreError(.invalid, "\(error)")
    }

    static func io(_ op: String, _ path: String, errno e: Int32 = errno) -> StoreError {
        StoreError(e == ENOSPC || e == EDQUOT ? .full : .io, "\(op) \(path): \(String(cString: strerror(e)))", file: path)
    }
}
