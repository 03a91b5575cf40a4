#if canImport(Glibc)
import Glibc
#endif

/// The exclusive lock on a data directory (`DATA/throughline.lock`, `flock`). One writer per
/// store: a second `import` or `serve` fails at once and is told who holds the lock. The lock
/// dies with its process, so a killed holder never leaves a stale lock behind.
public final class StoreLock: Sendable {
    let file: FileDescriptor
    public let path: String

    /// Takes the lock or throws `.locked` naming the holder (pid and command).
    public init(directory: String, holder: String) throws {
        path = directory + "/throughline.lock"
        file = try FileDescriptor(path: path, flags: O_RDWR | O_CREAT)
        if flock(file.fd, LOCK_EX | LOCK_NB) != 0 {
            let who = (try? file.read(at: 0, count: 512)).map { String(decoding: $0, as: UTF8.self) } ?? ""
            let trimmed = who.split(separator: "\n").first.map(String.init) ?? "another process"
            throw StoreError(.locked, "the store \(directory) is in use by \(trimmed); stop it first "
                             + "(append through the server with `throughline append` instead of `import`)", file: path)
        }
        let text = "pid \(getpid()) (\(holder))\n"
        try file.truncate(to: 0)
        try Array(text.utf8).withUnsafeBytes { (b) throws in try file.write(at: 0, b) }
    }

    /// Releases the lock (also released when the process exits, however it exits).
    public func release() {
        flock(file.fd, LOCK_UN)
    }
}
