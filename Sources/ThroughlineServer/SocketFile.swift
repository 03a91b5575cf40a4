#if canImport(Glibc)
import Glibc
#endif
import EventLog

/// The Unix socket file: a stale one left by a killed server is replaced, a live one is never
/// taken over (checked by connecting), and the file gets the operator's mode and group.
enum SocketFile {
    /// `sun_path` holds 108 bytes including the terminating zero.
    static let maxPathBytes = 107

    /// Makes `path` free for a new server, or explains why it cannot be.
    static func prepare(_ path: String) throws -> String? {
        guard path.utf8.count <= maxPathBytes else {
            throw ServerError(.options, "socket path \(path) is \(path.utf8.count) bytes, over the \(maxPathBytes)-byte limit of a Unix socket; choose a shorter --socket")
        }
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        guard st.st_mode & S_IFMT == S_IFSOCK else {
            throw ServerError(.options, "\(path) exists and is not a socket; refusing to replace it")
        }
        if isLive(path) {
            throw ServerError(.busy, "a server is already listening on \(path)")
        }
        guard unlink(path) == 0 || errno == ENOENT else {
            throw ServerError(.io, "cannot remove the stale socket \(path): \(String(cString: strerror(errno)))")
        }
        return "replaced the stale socket \(path) (no server was listening on it)"
    }

    /// True when something accepts connections on the socket at `path`.
    static func isLive(_ path: String) -> Bool {
        let fd = connectUnixSocket(path)
        guard fd >= 0 else { return false }
        close(fd)
        return true
    }

    /// Gives the socket file its mode and, if named, its group.
    /// With a group, the directory holding the socket (the data directory by default, 0700) is
    /// given to that group too, to pass through only (0710): its members reach the socket, and
    /// still cannot list or read the store's files.
    static func applyPermissions(_ path: String, mode: UInt32, group: String?) throws {
        if let group {
            guard let entry = getgrnam(group) else { throw ServerError(.options, "--socket-group: no group named \(group)") }
            let gid = entry.pointee.gr_gid
            guard chown(path, uid_t.max, gid) == 0 else {
                throw ServerError(.io, "cannot give \(path) to group \(group): \(String(cString: strerror(errno)))")
            }
            let parent = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
            var st = stat()
            if !parent.isEmpty, stat(parent, &st) == 0, st.st_uid == geteuid(), st.st_mode & 0o077 == 0 {
                guard chown(parent, uid_t.max, gid) == 0, chmod(parent, 0o710) == 0 else {
                    throw ServerError(.io, "cannot let group \(group) pass through \(parent): \(String(cString: strerror(errno)))")
                }
            }
        }
        guard chmod(path, mode_t(mode)) == 0 else {
            throw ServerError(.io, "cannot set the mode of \(path): \(String(cString: strerror(errno)))")
        }
    }

    static func remove(_ path: String) { unlink(path) }
}

/// A blocking stream socket connected to the Unix socket at `path`, or -1 if nothing accepts there.
public func connectUnixSocket(_ path: String) -> Int32 {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return -1 }
    var addr = sockaddr_un()
    addr.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &addr.sun_path) { raw in
        for (i, b) in path.utf8.prefix(SocketFile.maxPathBytes).enumerated() { raw[i] = b }
    }
    let ok = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    if ok != 0 {
        close(fd)
        return -1
    }
    return fd
}

/// Lets this process hold as many connections as the system allows it (the soft open-file limit
/// raised to the hard one).
public func raiseOpenFileLimit() {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
    limit.rlim_cur = limit.rlim_max
    setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
}
