import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs the built `throughline` binary (it sits next to the test bundle) as a child process.
public enum CLI {
    public static var binary: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        // The test runner may live inside the .xctest bundle directory.
        while !FileManager.default.isExecutableFile(atPath: dir.appendingPathComponent("throughline").path) && dir.path != "/" {
            dir = dir.deletingLastPathComponent()
        }
        return dir.appendingPathComponent("throughline").path
    }

    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// The repository's top folder.
    public static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// Runs `throughline` to completion on a thread outside Swift's cooperative pool. Async tests
    /// must use this (or `run(program:...) async`): a child that talks to a server running in the
    /// test process would otherwise wait for a pool thread that is blocked waiting for the child.
    public static func run(_ args: [String], input: Data? = nil) async throws -> Result {
        try await offPool { try run(executable: binary, args, input: input) }
    }

    /// Like `run(program:)`, off the cooperative pool.
    public static func run(program: String, _ args: [String], input: Data? = nil, in directory: String? = nil) async throws -> Result {
        try await offPool { try run(executable: "/usr/bin/env", [program] + args, input: input, in: directory) }
    }

    static func offPool(_ work: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await withCheckedThrowingContinuation { cont in
            Thread { cont.resume(with: Swift.Result { try work() }) }.start()
        }
    }

    /// Runs `throughline` to completion with `input` on stdin.
    @discardableResult
    public static func run(_ args: [String], input: Data? = nil) throws -> Result {
        try run(executable: binary, args, input: input)
    }

    /// Runs any program (found on PATH) to completion with `input` on stdin.
    public static func run(program: String, _ args: [String], input: Data? = nil, in directory: String? = nil) throws -> Result {
        try run(executable: "/usr/bin/env", [program] + args, input: input, in: directory)
    }

    /// Spawns with posix_spawn rather than Foundation's Process, whose `run` on Linux can read
    /// past a buffer while listing /proc/self/fd when the test process holds many descriptors
    /// (an intermittent SIGSEGV of the whole suite).
    static func run(executable: String, _ args: [String], input: Data?, in directory: String? = nil) throws -> Result {
        signal(SIGPIPE, SIG_IGN)
        var inp: [Int32] = [0, 0], out: [Int32] = [0, 0], err: [Int32] = [0, 0]
        // Every spawner of the suite closes the descriptors its child does not need (Foundation's
        // Process does; so does this, with closefrom), so no child keeps these pipes open.
        guard pipe(&inp) == 0, pipe(&out) == 0, pipe(&err) == 0 else {
            throw SpawnFailure(message: "pipe: \(String(cString: strerror(errno)))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inp[0], 0)
        posix_spawn_file_actions_adddup2(&actions, out[1], 1)
        posix_spawn_file_actions_adddup2(&actions, err[1], 2)
        _ = SpawnExtras.closeFrom(&actions, 3)
        if let directory { _ = SpawnExtras.changeDirectory(&actions, directory) }
        let argv = ([executable] + args).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        for fd in [inp[0], out[1], err[1]] { close(fd) }
        guard rc == 0 else {
            for fd in [inp[1], out[0], err[0]] { close(fd) }
            throw SpawnFailure(message: "cannot start \(executable): \(String(cString: strerror(rc)))")
        }
        let errData = DataBox()
        let errFD = err[0]
        let reader = Thread { errData.data = readAll(errFD) }
        reader.start()
        if let input {
            input.withUnsafeBytes { b in
                var done = 0
                while done < b.count {
                    let n = write(inp[1], b.baseAddress! + done, b.count - done)
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { break }
                    done += n
                }
            }
        }
        close(inp[1])
        let outData = readAll(out[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        while !reader.isFinished { usleep(1000) }
        // As Foundation reports it: the exit code, or the signal that ended the child.
        let code = status & 0x7f == 0 ? (status >> 8) & 0xff : status & 0x7f
        return Result(status: code, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData.data, as: UTF8.self))
    }

    /// Everything left to read from `fd`, which is then closed.
    static func readAll(_ fd: Int32) -> Data {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            data.append(contentsOf: buffer[0..<n])
        }
        close(fd)
        return data
    }

    public struct SpawnFailure: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }
}

/// glibc's spawn actions that Swift's Glibc module does not show (they need _GNU_SOURCE).
enum SpawnExtras {
    typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    typealias ChangeDirectory = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    nonisolated(unsafe) static let closeFrom = unsafeBitCast(dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")!,
                                                             to: CloseFrom.self)
    nonisolated(unsafe) static let changeDirectory = unsafeBitCast(dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addchdir_np")!,
                                                                   to: ChangeDirectory.self)
}

/// Bytes filled in by a reader thread.
public final class DataBox: @unchecked Sendable {
    public var data = Data()
    public init() {}
}
