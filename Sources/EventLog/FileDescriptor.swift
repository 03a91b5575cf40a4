#if canImport(Glibc)
import Glibc
#endif

/// An owned POSIX file descriptor with the handful of calls the log needs. Positioned reads
/// and writes (`pread`/`pwrite`) so readers and the writer can share it without a cursor.
public final class FileDescriptor: @unchecked Sendable {
    let fd: Int32
    public let path: String

    public init(path: String, flags: Int32, mode: mode_t = 0o600) throws {
        let fd = open(path, flags | O_CLOEXEC, mode)
        guard fd >= 0 else { throw StoreError.io("open", path) }
        self.fd = fd
        self.path = path
    }

    deinit { close(fd) }

    func size() throws -> Int {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw StoreError.io("stat", path) }
        return Int(st.st_size)
    }

    /// Reads up to `count` bytes at `offset`; fewer only at end of file.
    public func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var done = 0
        while done < buffer.count {
            let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw StoreError.io("read", path)
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    func read(at offset: Int, count: Int) throws -> [UInt8] {
        // Not zeroed first: the read fills what the array keeps.
        try [UInt8](unsafeUninitializedCapacity: count) { buf, initialized in
            initialized = try read(at: offset, into: UnsafeMutableRawBufferPointer(buf))
        }
    }

    /// Writes all of `bytes` at `offset`.
    public func write(at offset: Int, _ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw StoreError.io("write", path)
            }
            done += n
        }
    }

    func syncData() throws {
        guard fdatasync(fd) == 0 else { throw StoreError.io("fdatasync", path) }
    }

    func sync() throws {
        guard fsync(fd) == 0 else { throw StoreError.io("fsync", path) }
    }

    func truncate(to length: Int) throws {
        guard ftruncate(fd, off_t(length)) == 0 else { throw StoreError.io("truncate", path) }
    }

    /// Makes the file `length` bytes long with every block allocated, so that writing through a
    /// memory map of it never meets a full disk (which would be SIGBUS): a full disk is this
    /// call's error instead.
    func allocate(length: Int) throws {
        if try size() > length { try truncate(to: length) }
        let e = posix_fallocate(fd, 0, off_t(length))
        guard e == 0 else { throw StoreError.io("allocate \(length) bytes for", path, errno: e) }
    }

    /// fsyncs a directory so a created, renamed or removed name in it is durable.
    static func syncDirectory(_ path: String) throws {
        let d = try FileDescriptor(path: path, flags: O_RDONLY | O_DIRECTORY)
        try d.sync()
    }
}

/// Small file-system helpers.
public enum FileSystem {
    /// Bytes an unprivileged writer may still use on the file system holding `path`.
    public static func freeBytes(_ path: String) -> Int? {
        var st = statvfs()
        guard statvfs(path, &st) == 0 else { return nil }
        return Int(st.f_bavail) * Int(st.f_frsize)
    }

    /// Makes `path` a file only its owner may read or write, creating it empty if it is not
    /// there, so that SQLite (which gives its journal files the database's mode) keeps every
    /// file of a database to its owner.
    public static func ownerOnly(_ path: String) throws {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StoreError.io("open", path) }
        defer { close(fd) }
        guard fchmod(fd, 0o600) == 0 else { throw StoreError.io("chmod 0600", path) }
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    static func makeDirectory(_ path: String) throws {
        var prefix = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            prefix += "/" + part
            if mkdir(prefix, 0o700) != 0 && errno != EEXIST { throw StoreError.io("mkdir", prefix) }
        }
    }

    static func list(_ dir: String) throws -> [String] {
        guard let d = opendir(dir) else { throw StoreError.io("list", dir) }
        defer { closedir(d) }
        var names: [String] = []
        while let e = readdir(d) {
            let name = withUnsafePointer(to: e.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Takes group and other permissions away from everything under `dir` (files 0600 at
    /// most, directories 0700 at most), for a store made before files were private. Sockets are
    /// left as they are (their mode is who may connect); symbolic links are not followed.
    static func restrictToOwner(under dir: String) throws {
        for name in try list(dir) {
            let path = dir + "/" + name
            var st = stat()
            guard lstat(path, &st) == 0 else { continue }
            let kind = st.st_mode & S_IFMT
            guard kind == S_IFREG || kind == S_IFDIR, st.st_mode & 0o077 != 0 else {
                if kind == S_IFDIR { try restrictToOwner(under: path) }
                continue
            }
            guard chmod(path, st.st_mode & 0o700) == 0 else { throw StoreError.io("chmod", path) }
            if kind == S_IFDIR { try restrictToOwner(under: path) }
        }
    }

    static func rename(_ from: String, _ to: String) throws {
        guard Glibc.rename(from, to) == 0 else { throw StoreError.io("rename", from) }
    }

    static func remove(_ path: String) {
        unlink(path)
    }

    static func fileSize(_ path: String) -> Int? {
        var st = stat()
        return stat(path, &st) == 0 ? Int(st.st_size) : nil
    }
}
