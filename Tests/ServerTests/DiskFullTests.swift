import Foundation
import Testing
import TestSupport
import ThroughlineClient
import ThroughlineCore

/// The server on a small tmpfs that fills up: appends are answered 503, never acknowledged
/// falsely, and succeed again as soon as space returns, with no restart.
@Suite("A full disk", .serialized)
struct DiskFullTests {
    /// A tmpfs of `mib` MiB mounted at a new folder of `dir` (the suite runs as root, as CI does).
    static func mountTmpfs(in dir: TempDir, mib: Int) throws -> String {
        let point = dir.path + "/disk"
        try FileManager.default.createDirectory(atPath: point, withIntermediateDirectories: true)
        let mount = try CLI.run(program: "/bin/mount", ["-t", "tmpfs", "-o", "size=\(mib)m,mode=0700", "tmpfs", point])
        guard mount.status == 0 else { throw TestFailure("cannot mount a tmpfs (this test needs root): \(mount.stderr)") }
        return point
    }

    static func unmount(_ point: String) {
        _ = try? CLI.run(program: "/bin/umount", ["-l", point])
    }

    /// Fills the file system holding `dir` with one file, then gives back `leave` bytes of it.
    /// It allocates until the file system refuses, halving the step down to a page, so a writer
    /// racing it can't make it fail; the caller waits for the server to be idle first.
    static func fill(_ dir: String, leaving leave: Int) throws -> String {
        let path = dir + "/filler"
        let fd = open(path, O_RDWR | O_CREAT, 0o600)
        guard fd >= 0 else { throw TestFailure("cannot create \(path): errno \(errno)") }
        defer { close(fd) }
        var size: off_t = 0
        var step: off_t = 1 << 20
        while step >= 4096 {
            if posix_fallocate(fd, size, step) == 0 { size += step } else { step /= 2 }
        }
        guard size > off_t(leave), ftruncate(fd, size - off_t(leave)) == 0 else {
            throw TestFailure("cannot fill \(dir) leaving \(leave) bytes: only \(size) bytes were free")
        }
        return path
    }

    /// Waits until the projector has folded `seq`, so nothing writes while the disk is filled.
    static func projected(_ s: RunningServer, _ seq: Int) async throws -> Bool {
        try await eventually(tries: 1200) { int(try json(try await s.get("/v1/health"))["projected_seq"]) == seq }
    }

    func notes(_ range: ClosedRange<Int>) -> String { range.map { noteLine($0, account: "a\($0 % 50)") }.joined(separator: "\n") }

    @Test("Disk full, id table growing, then space back: 503 with Retry-After, no false acknowledgement, appends resume without a restart, verify passes")
    func fullThenFreed() async throws {
        let dir = TempDir()
        let point = try Self.mountTmpfs(in: dir, mib: 64)
        defer { Self.unmount(point) }
        let s = try await RunningServer(in: dir, dataFolder: "disk/data") { $0.diskReserveBytes = 4 << 20 }
        // 45,000 events: the next few thousand make the id table double (45,875 fill it to 70%).
        for start in stride(from: 1, through: 45_000, by: 5000) {
            #expect(try await s.post(notes(start...(start + 4999))).status == 200)
        }
        #expect(try await Self.projected(s, 45_000))
        let filler = try Self.fill(point, leaving: 64 << 10)
        var refused = 0
        for round in 0..<3 {
            let reply = try await s.post(notes((45_001 + round * 2000)...(46_000 + round * 2000)))
            #expect(reply.status == 503, "\(reply.status) \(reply.text)")
            #expect(reply.header("Retry-After") != nil)
            if reply.status == 503 { refused += 1 }
        }
        let health = try json(try await s.get("/v1/health"))
        #expect(health["status"] == .string("degraded"))
        #expect(JSONWriter.string(health["problems"] ?? .null).contains("no space left"))
        #expect(int(health["last_seq"]) == 45_000)

        try FileManager.default.removeItem(atPath: filler)
        // Appends succeed again by themselves (measured in RELIABILITY.md; here a generous bound).
        #expect(try await eventually(tries: 300) { try await s.post(notes(45_001...46_000)).status == 200 })
        for round in 1..<3 {
            #expect(try await s.post(notes((45_001 + round * 2000)...(46_000 + round * 2000))).status == 200)
        }
        // The read models follow again and health is ok.
        #expect(try await eventually(tries: 600) {
            let h = try json(try await s.get("/v1/health"))
            return h["status"] == .string("ok") && h["projected_seq"] == h["last_seq"]
        })
        try await s.stop()
        let counts = try storedIDCounts(s.data)
        #expect(counts.count == 48_000)
        #expect(counts.values.allSatisfy { $0 == 1 })
        #expect(try await CLI.run(["verify", "--data", s.data]).status == 0)
    }

    @Test("The projector keeps the reserve: below it, it pauses and says so in health, and resumes when space returns")
    func projectorKeepsReserve() async throws {
        let dir = TempDir()
        let point = try Self.mountTmpfs(in: dir, mib: 48)
        defer { Self.unmount(point) }
        let s = try await RunningServer(in: dir, dataFolder: "disk/data") { $0.diskReserveBytes = 16 << 20 }
        #expect(try await s.post(notes(1...100)).status == 200)
        #expect(try await Self.projected(s, 100))
        // Leave room for the log but not the reserve.
        let filler = try Self.fill(point, leaving: 8 << 20)
        #expect(try await s.post(notes(101...200)).status == 200)
        #expect(try await eventually(tries: 100) {
            let h = try json(try await s.get("/v1/health"))
            return h["projector"]?["state"] == .string("paused") && h["status"] == .string("degraded")
        })
        #expect(int(try json(try await s.get("/v1/health"))["projected_seq"]).map { $0 < 200 } == true)
        try FileManager.default.removeItem(atPath: filler)
        #expect(try await eventually(tries: 300) {
            let h = try json(try await s.get("/v1/health"))
            return h["status"] == .string("ok") && int(h["projected_seq"]) == 200
        })
        try await s.stop()
    }
}
