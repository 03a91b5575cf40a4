import EventLog
import Foundation
import Testing
import TestSupport
import ThroughlineClient
import ThroughlineCore

/// `throughline serve` as a child process, as an operator runs it.
final class ServeProcess: @unchecked Sendable {
    let process: ChildProcess
    let logPath: String

    init(_ args: [String], log: String) throws {
        logPath = log
        process = try ChildProcess(executable: CLI.binary, ["serve"] + args, stderrPath: log)
    }

    /// Starts `serve` and waits until it answers on `socket`.
    static func start(_ args: [String], log: String, socket: String) async throws -> ServeProcess {
        let server = try ServeProcess(args, log: log)
        try await waitUntilServing(.unix(socket))
        return server
    }

    func signal(_ sig: Int32) { process.signal(sig) }

    /// Stops it as an operator would (SIGTERM) and returns its exit status.
    func stop() async throws -> Int32 {
        signal(SIGTERM)
        return try await exitStatus()
    }

    /// Waits for the process to end (at most 60 s) and returns its exit status.
    func exitStatus() async throws -> Int32 {
        for _ in 0..<1200 where process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        guard let status = process.exitStatus(within: 0) else {
            signal(SIGKILL)
            throw TestFailure("serve did not exit; log:\n\(log)")
        }
        return status
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
}

@Suite("throughline serve as a process: lock, socket file, signals", .serialized)
struct LifecycleTests {
    @Test("A second serve or import on the same store fails at once naming the holder; a live socket is never taken over")
    func exclusive() async throws {
        let dir = TempDir(), other = TempDir()
        let sock = dir.path + "/throughline.sock"
        let first = try await ServeProcess.start(["--data", dir.path], log: other.path + "/first.log", socket: sock)

        let second = try await CLI.run(["serve", "--data", dir.path])
        #expect(second.status == 2)
        #expect(second.stderr.contains("in use by pid \(first.process.pid) (throughline serve)"))
        let importer = try await CLI.run(["import", "--data", dir.path, "-"], input: Data(noteLine(1).utf8))
        #expect(importer.status == 2)
        #expect(importer.stderr.contains("in use by pid"))

        let thief = try await CLI.run(["serve", "--data", other.path + "/store", "--socket", sock])
        #expect(thief.status == 2)
        #expect(thief.stderr.contains("a server is already listening on \(sock)"))
        #expect(try await HTTPConnection.request(.unix(sock), "GET", "/v1/health").status == 200)

        #expect(try await first.stop() == 0)
        #expect(!FileManager.default.fileExists(atPath: sock))
    }

    @Test("A stale socket left by a killed server is replaced by the next one")
    func staleSocket() async throws {
        let dir = TempDir(), logs = TempDir()
        let sock = dir.path + "/throughline.sock"
        let killed = try await ServeProcess.start(["--data", dir.path], log: logs.path + "/1.log", socket: sock)
        killed.signal(SIGKILL)
        _ = try await killed.exitStatus()
        #expect(FileManager.default.fileExists(atPath: sock))

        let next = try await ServeProcess.start(["--data", dir.path], log: logs.path + "/2.log", socket: sock)
        #expect(next.log.contains("replaced the stale socket"))
        #expect(try await next.stop() == 0)
    }

    @Test("SIGTERM finishes the request in flight, makes it durable, removes the socket and exits 0")
    func gracefulStop() async throws {
        let dir = TempDir(), logs = TempDir()
        let sock = dir.path + "/throughline.sock"
        let server = try await ServeProcess.start(["--data", dir.path, "--socket-mode", "600"], log: logs.path + "/serve.log", socket: sock)
        let mode = try FileManager.default.attributesOfItem(atPath: sock)[.posixPermissions] as? Int
        #expect(mode == 0o600)

        let reply = try await HTTPConnection.open(.unix(sock)) { c in
            try await c.start("POST", "/v1/events", headers: [("Content-Type", "application/x-ndjson")])
            try await c.send(Array((noteLine(1) + "\n").utf8))
            for _ in 0..<400 {
                let health = try await HTTPConnection.request(.unix(sock), "GET", "/v1/health")
                if int(try json(health)["ingest_requests_active"]) == 1 { break }
                try await Task.sleep(for: .milliseconds(25))
            }
            server.signal(SIGTERM)
            for i in 2...500 { try await c.send(Array((noteLine(i) + "\n").utf8)) }
            try await c.end()
            return try await c.response()
        }
        #expect(reply.status == 200)
        #expect(int(try json(reply)["accepted"]) == 500)
        #expect(try await server.exitStatus() == 0)
        #expect(!FileManager.default.fileExists(atPath: sock))
        let snap = try LogInspector.snapshot(directory: dir.path).snapshot
        #expect(snap.lastSeq == 500)
        #expect(server.log.contains("stopped"))
    }
}

@Suite("throughline append", .serialized)
struct AppendCommandTests {
    @Test("Reports bad lines by their line in the file, stores the good ones, exits 1; a second run stores nothing twice")
    func perLine() async throws {
        let s = try await RunningServer()
        let file = s.dir.path + "/events.ndjson"
        let lines = [noteLine(1), noteLine(2), #"{"id":"b","account":"a","type":"nope","time":"2026-03-02T09:14:00Z"}"#, "",
                     noteLine(3), noteLine(2, text: "other")]
        try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let sock = ["--socket", s.server.options.socketPath]
        let run = try await CLI.run(["append"] + sock + ["--batch-lines", "2", file])
        #expect(run.status == 1)
        #expect(run.stderr.contains(#"line 3: type: unknown event type "nope""#))
        #expect(run.stderr.contains("line 6: conflict: this id is already stored at seq 2 with different content"))
        #expect(run.stderr.contains("3 accepted, 0 duplicate, 1 conflict, 1 rejected; seqs 1–3"))
        let again = try await CLI.run(["append"] + sock + [file])
        #expect(again.stderr.contains("0 accepted, 3 duplicate, 1 conflict, 1 rejected"))
        let ok = try await CLI.run(["append"] + sock + ["-"], input: Data((noteLine(1) + "\n" + noteLine(4) + "\n").utf8))
        #expect(ok.status == 0)
        #expect(ok.stderr.contains("1 accepted, 1 duplicate"))
        try await s.stop()
    }

    @Test("Retries until the server comes up, then lands everything once")
    func retriesUntilServed() async throws {
        let dir = TempDir(), logs = TempDir()
        let sock = dir.path + "/throughline.sock"
        let file = logs.path + "/events.ndjson"
        try ((1...50).map { noteLine($0) }.joined(separator: "\n")).write(toFile: file, atomically: true, encoding: .utf8)
        let client = Task { try await CLI.run(["append", "--socket", sock, "--retry-seconds", "60", file]) }
        // Start the server only once the client has already failed to connect at least once.
        try await Task.sleep(for: .milliseconds(600))
        let server = try ServeProcess(["--data", dir.path], log: logs.path + "/serve.log")
        let run = try await client.value
        #expect(run.status == 0)
        #expect(run.stderr.contains("retrying: cannot reach the server"))
        #expect(run.stderr.contains("50 accepted"))
        #expect(try await server.stop() == 0)
    }
}
