import Foundation
import Testing
import TestSupport
import EventLog
import ThroughlineCore

@Suite struct CrashSafetyTests {
    /// An importer is killed with SIGKILL at random moments, over and over. After every kill the
    /// store reopens, verifies, and holds every event the importer reported durable exactly once;
    /// a final full import adds exactly what was missing.
    @Test func acknowledgedEventsSurviveSIGKILL() throws {
        let dir = TempDir()
        let data = dir.path + "/data"
        let file = dir.path + "/events.ndjson"
        let generated = try CLI.run(["generate", "--accounts", "60", "--days", "240", "--seed", "3"])
        try Data(generated.stdout.utf8).write(to: URL(fileURLWithPath: file))
        let ids = try generated.stdout.split(separator: "\n").map { try EventDecoder.decode(String($0)).id }
        #expect(Set(ids).count == ids.count)

        let lines = generated.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        var rng = SystemRandomNumberGenerator()
        var everAcked = 0
        var storedCount = 0
        for round in 0..<24 {
            // Each round imports what is not stored yet plus an overlap of what is (duplicates).
            let start = max(0, storedCount - Int.random(in: 0...500, using: &rng))
            let roundFile = dir.path + "/round.ndjson"
            try Data(lines[start...].joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: roundFile))
            let p = Process()
            p.executableURL = URL(fileURLWithPath: CLI.binary)
            p.arguments = ["import", "--data", data, "--acks", "--batch-size", String(Int.random(in: 50...2000, using: &rng)), roundFile]
            let out = Pipe()
            p.standardOutput = out
            p.standardError = FileHandle.nullDevice
            try p.run()
            let acks = DataBox()
            let reader = Thread { acks.data = out.fileHandleForReading.readDataToEndOfFile() }
            reader.start()
            usleep(UInt32.random(in: 20_000...400_000, using: &rng))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            while !reader.isFinished { usleep(1000) }
            let acked = String(decoding: acks.data, as: UTF8.self).split(separator: "\n")
                .compactMap { $0.hasPrefix("durable ") ? Int($0.dropFirst(8)) : nil }.max() ?? 0
            if acked > 0 { everAcked = max(everAcked, start + acked) }

            let store = try EventStore(directory: data, holder: "crash test")
            var stored: [String] = []
            try store.snapshot().forEachEvent { stored.append($0.event.id); return true }
            try store.close()
            let storedSet = Set(stored)
            #expect(storedSet.count == stored.count, "round \(round): an event is stored twice")
            let missing = ids.prefix(everAcked).filter { !storedSet.contains($0) }
            #expect(missing.isEmpty, "round \(round): \(missing.count) acknowledged events lost (acked through line \(everAcked))")
            #expect(stored == Array(ids.prefix(stored.count)), "round \(round): the log holds a prefix of the file in order")
            _ = try LogInspector.verify(directory: data)
            storedCount = stored.count
        }
        let before = try LogInspector.stats(directory: data).events
        let final = try CLI.run(["import", "--data", data, file])
        #expect(final.status == 0)
        #expect(final.stderr.contains("\(grouped(ids.count - before)) accepted, \(grouped(before)) duplicate, 0 conflict, 0 rejected"),
                "\(final.stderr)")
        #expect(try LogInspector.stats(directory: data).events == ids.count)
        #expect(try CLI.run(["verify", "--data", data]).status == 0)
    }
}
