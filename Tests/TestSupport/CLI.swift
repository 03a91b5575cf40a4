import Foundation

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

    static func run(executable: String, _ args: [String], input: Data?, in directory: String? = nil) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe(), err = Pipe(), inp = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = inp
        try p.run()
        let errData = DataBox()
        let reader = Thread { errData.data = err.fileHandleForReading.readDataToEndOfFile() }
        reader.start()
        if let input { try inp.fileHandleForWriting.write(contentsOf: input) }
        try inp.fileHandleForWriting.close()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        while !reader.isFinished { usleep(1000) }
        return Result(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData.data, as: UTF8.self))
    }
}

/// Bytes filled in by a reader thread.
public final class DataBox: @unchecked Sendable {
    public var data = Data()
    public init() {}
}
