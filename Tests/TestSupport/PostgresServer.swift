import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real PostgreSQL server (Debian's, found under /usr/lib/postgresql) that the tests start
/// themselves: `initdb` into a temporary directory (as the `postgres` user when the tests run
/// as root, since initdb refuses root), listening only on a Unix socket in that directory.
/// Stopped when the value goes away, and at the latest when the test process exits.
public final class PostgresServer: @unchecked Sendable {
    public let directory: TempDir
    public var socketDirectory: String { directory.path }
    private var process: ChildProcess?
    private var databases = 0
    private let lock = NSLock()

    /// One server for the whole test process, started on first use; tests make a database each.
    public static let shared: PostgresServer = {
        let s = try! PostgresServer()
        atexit { PostgresServer.stopShared() }
        return s
    }()

    private static func stopShared() {
        shared.stop()
        try? FileManager.default.removeItem(atPath: shared.directory.path)
    }

    /// The newest `bin` directory of an installed PostgreSQL.
    static var bin: String {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted()
        guard let v = versions.last else { fatalError("PostgreSQL is not installed (no \(root)); tools/setup-deps --test installs it") }
        return "\(root)/\(v)/bin"
    }

    /// Initialises a cluster in a new temporary directory and starts it.
    public init() throws {
        directory = TempDir()
        let data = directory.path + "/data"
        if getuid() == 0 {
            let pw = getpwnam("postgres")!
            chown(directory.path, pw.pointee.pw_uid, pw.pointee.pw_gid)
        }
        let r = try Self.asOwner(Self.bin + "/initdb", ["-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync", "--no-instructions"])
        guard r.status == 0 else { throw ServerFailure(message: "initdb failed: \(r.stderr)") }
        try start()
    }

    /// Starts (or starts again) the server on the same directory, and waits until it answers.
    public func start() throws {
        let (exe, args) = Self.command(Self.bin + "/postgres", ["-D", directory.path + "/data", "-k", directory.path, "-c", "listen_addresses=",
                                                                "-c", "fsync=off", "-c", "max_connections=200", "-c", "shared_buffers=64MB"])
        let p = try ChildProcess(executable: exe, args)
        lock.withLock { process = p }
        for _ in 0..<300 {
            if (try? CLI.run(executable: Self.bin + "/pg_isready", ["-h", directory.path, "-q"], input: nil))?.status == 0 { return }
            guard p.isRunning else { throw ServerFailure(message: "postgres exited at start (status \(p.waitUntilExit()))") }
            usleep(100_000)
        }
        throw ServerFailure(message: "postgres did not accept connections within 30 s")
    }

    /// Stops the server (a fast shutdown: open transactions roll back), and waits for it.
    public func stop() {
        guard let p = lock.withLock({ () -> ChildProcess? in defer { process = nil }; return process }), p.isRunning else { return }
        // The postmaster itself, not runuser, which need not pass the signal on.
        let pidFile = (try? String(contentsOfFile: directory.path + "/data/postmaster.pid", encoding: .utf8)) ?? ""
        let pid = pidFile.split(separator: "\n").first.flatMap { Int32($0) } ?? p.pid
        kill(pid, SIGINT)
        p.waitUntilExit()
    }

    deinit { stop() }

    /// A new, empty database on this server, and the URL that names it.
    public func freshDatabase() throws -> String {
        let name = lock.withLock { () -> String in
            databases += 1
            return "t\(getpid())_\(databases)"
        }
        let r = try CLI.run(executable: "/usr/bin/psql", ["-h", directory.path, "-U", "postgres", "-d", "postgres", "-q", "-c", "CREATE DATABASE \(name)"],
                            input: nil)
        guard r.status == 0 else { throw ServerFailure(message: "CREATE DATABASE failed: \(r.stderr)") }
        return url(database: name)
    }

    /// The `postgres://` URL of `database` on this server.
    public func url(database: String) -> String { "postgres://postgres@/\(database)?host=\(directory.path)" }

    /// Runs SQL with psql and returns its unaligned output.
    public func psql(_ database: String, _ sql: String) throws -> String {
        let r = try CLI.run(executable: "/usr/bin/psql", ["-h", directory.path, "-U", "postgres", "-d", database, "-At", "-c", sql], input: nil)
        guard r.status == 0 else { throw ServerFailure(message: "psql failed: \(r.stderr)") }
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func asOwner(_ exe: String, _ args: [String]) throws -> CLI.Result {
        let (e, a) = command(exe, args)
        return try CLI.run(executable: e, a, input: nil)
    }

    /// `exe args` as the `postgres` user when running as root.
    private static func command(_ exe: String, _ args: [String]) -> (String, [String]) {
        getuid() == 0 ? ("/usr/sbin/runuser", ["-u", "postgres", "--", exe] + args) : (exe, args)
    }

    public struct ServerFailure: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }
}
