import Foundation
import Testing
import TestSupport
import EventLog
import ThroughlineCore

@Suite struct ImportCommandTests {
    func event(_ id: String, _ extra: String = "") -> String {
        #"{"id":"\#(id)","account":"acme","type":"ticket.opened","time":"2026-03-02T09:14:00Z","data":{"ticket_id":"\#(id)","priority":"high"\#(extra)}}"#
    }

    @Test func everyBadLineGetsALineNumberedReasonAndGoodLinesLand() throws {
        let dir = TempDir()
        let lines: [Data] = [
            Data(event("good-1").utf8),                                                            // 1
            Data(#"{"id":"bad-json","account":"acme",,}"#.utf8),                                     // 2 malformed
            Data(#"{"account":"acme","type":"note.added","time":"2026-03-02T09:14:00Z"}"#.utf8),  // 3 missing id
            Data(#"{"id":"wt","account":"acme","type":"ticket.opened","time":"2026-03-02T09:14:00Z","data":{"ticket_id":"1","priority":3}}"#.utf8), // 4 wrong type
            Data(#"{"id":"ut","account":"acme","type":"ticket.reopened","time":"2026-03-02T09:14:00Z"}"#.utf8), // 5 unknown type
            Data(#"{"id":"tm","account":"acme","type":"account.churned","time":"yesterday"}"#.utf8), // 6 invalid time
            Data(#"{"id":"big","account":"acme","type":"note.added","time":"2026-03-02T09:14:00Z","data":{"author":"m","text":""#.utf8)
                + Data(repeating: UInt8(ascii: "x"), count: 1 << 20) + Data(#""}}"#.utf8),       // 7 over 1 MiB
            Data(#"{"id":"utf","account":"ac"#.utf8) + Data([0xC3, 0x28]) + Data(#"me","type":"account.churned","time":"2026-03-02T09:14:00Z"}"#.utf8), // 8 bad UTF-8
            Data(#"{"id":"s","account":"acme","type":"account.churned","time":"2026-03-02T09:14:00Z","seq":4}"#.utf8), // 9 seq
            Data(#"{"id":"r","account":"acme","type":"account.churned","time":"2026-03-02T09:14:00Z","recorded":"2026-03-02T09:14:00Z"}"#.utf8), // 10
            Data(event("good-1").utf8),                                                            // 11 duplicate
            Data(event("good-1", #","category":"bug""#).utf8),                                     // 12 conflict
            Data(),                                                                                // 13 empty
            Data(event("good-2").utf8),                                                            // 14
        ]
        let file = dir.path + "/in.ndjson"
        try lines.reduce(Data()) { $0 + $1 + Data([0x0A]) }.write(to: URL(fileURLWithPath: file))
        let r = try CLI.run(["import", "--data", dir.path + "/data", file])
        #expect(r.status == 1)
        let errors = r.stderr.split(separator: "\n").map(String.init)
        let expected = [
            "line 2: invalid JSON at byte 35: expected a member name in quotes",
            "line 3: id: is required",
            "line 4: data.priority: must be one of urgent, high, normal, low",
            "line 5: type: unknown event type \"ticket.reopened\"",
            "line 6: time: must be an RFC 3339 date-time with offset",
            "line 7: line is 1048687 bytes, over the 1048576-byte limit",
            "line 8: invalid JSON at byte 27: invalid UTF-8",
            "line 9: seq: is assigned by the server",
            "line 10: recorded: is assigned by the server",
            "line 12: conflict: this id is already stored at seq 1 with different content",
        ]
        for prefix in expected {
            #expect(errors.contains { $0.hasPrefix(prefix) }, "missing \(prefix) in\n\(r.stderr)")
        }
        #expect(!errors.contains { $0.hasPrefix("line 11") || $0.hasPrefix("line 13") || $0.hasPrefix("line 14") || $0.hasPrefix("line 1:") })
        #expect(errors.last?.contains("2 accepted, 1 duplicate, 1 conflict, 9 rejected; seqs 1–2") == true, "\(errors.last ?? "")")
        let dump = try CLI.run(["dump", "--data", dir.path + "/data"])
        let stored = dump.stdout.split(separator: "\n")
        #expect(stored.count == 2)
        #expect(stored[0].hasPrefix(event("good-1").dropLast()) && stored[0].hasSuffix(#","seq":1,"recorded":""# + stored[0].split(separator: "\"").dropLast().last! + "\"}"))
        #expect(try CLI.run(["verify", "--data", dir.path + "/data"]).status == 0)
    }

    @Test func importFromStdinAndDumpFilters() throws {
        let dir = TempDir()
        let input = (1...5).map { #"{"id":"e\#($0)","account":"\#($0 % 2 == 0 ? "even" : "odd")","type":"account.churned","time":"2026-03-02T09:14:00Z"}"# }
            .joined(separator: "\n")
        let r = try CLI.run(["import", "--data", dir.path, "-"], input: Data(input.utf8))
        #expect(r.status == 0, "\(r.stderr)")
        let evens = try CLI.run(["dump", "--data", dir.path, "--account", "even"]).stdout.split(separator: "\n")
        #expect(evens.count == 2 && evens.allSatisfy { $0.contains(#""account":"even""#) })
        let page = try CLI.run(["dump", "--data", dir.path, "--from", "3", "--limit", "2"]).stdout.split(separator: "\n")
        #expect(page.count == 2 && page[0].contains(#""seq":3"#) && page[1].contains(#""seq":4"#))
        let stats = try CLI.run(["stats", "--data", dir.path]).stdout
        #expect(stats.contains("events          5") && stats.contains("accounts        2") && stats.contains("account.churned     5"))
    }

    @Test func importIntoAStoreHeldByAnotherProcessFailsAtOnce() throws {
        let dir = TempDir()
        let store = try EventStore(directory: dir.path, holder: "throughline serve")
        let r = try CLI.run(["import", "--data", dir.path, "-"], input: Data())
        #expect(r.status == 2)
        #expect(r.stderr.contains("is in use by pid \(ProcessInfo.processInfo.processIdentifier) (throughline serve)"), "\(r.stderr)")
        try store.close()
    }

    @Test func verifyNamesTheDamagedSegmentAndOffset() throws {
        let dir = TempDir()
        let input = (1...3000).map { #"{"id":"e\#($0)","account":"a\#($0 % 7)","type":"note.added","time":"2026-03-02T09:14:00Z","data":{"author":"m","text":"note \#($0)"}}"# }
            .joined(separator: "\n")
        #expect(try CLI.run(["import", "--data", dir.path, "--batch-size", "500", "-"], input: Data(input.utf8)).status == 0)
        let ok = try CLI.run(["verify", "--data", dir.path])
        #expect(ok.status == 0 && ok.stdout.contains("3,000 events"))
        let segment = dir.path + "/log/segment-00000000000000000001.tlog"
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: segment))
        try handle.seek(toOffset: 16 + 40 + 10)
        try handle.write(contentsOf: Data([0xAB, 0xCD]))
        try handle.close()
        let bad = try CLI.run(["verify", "--data", dir.path])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("segment-00000000000000000001.tlog: damaged at byte offset 16"), "\(bad.stderr)")
        let reopen = try CLI.run(["import", "--data", dir.path, "-"], input: Data())
        #expect(reopen.status == 2 && reopen.stderr.contains("byte offset 16"))
    }

    @Test("generate gives the same bytes for the same options and day, ends today unless told, and imports cleanly")
    func generateIsDeterministicAndImportsCleanly() throws {
        let dir = TempDir()
        let a = try CLI.run(["generate", "--accounts", "12", "--days", "90", "--seed", "7", "--end", "2026-03-31"])
        let b = try CLI.run(["generate", "--accounts", "12", "--days", "90", "--seed", "7", "--start", "2026-01-01"])
        let c = try CLI.run(["generate", "--accounts", "12", "--days", "90", "--seed", "8", "--end", "2026-03-31"])
        #expect(a.stdout == b.stdout && a.stdout != c.stdout)
        // Its days: from the first to the last, all within 2026-01-01 to 2026-03-31.
        func days(_ text: String) -> [String] {
            text.split(separator: "\n").compactMap { line in line.range(of: #""time":""#).map { String(line[$0.upperBound...].prefix(10)) } }.sorted()
        }
        #expect(days(a.stdout).first! >= "2026-01-01" && days(a.stdout).last! == "2026-03-31")
        // Without --end or --start the data ends today (UTC).
        let before = Day(containing: WallClock.system.now()).description
        let today = days(try CLI.run(["generate", "--accounts", "12", "--days", "30", "--seed", "7"]).stdout).last!
        #expect(today == before || today == Day(containing: WallClock.system.now()).description)
        let both = try CLI.run(["generate", "--start", "2026-01-01", "--end", "2026-03-31"])
        #expect(both.status != 0 && both.stderr.contains("give --start or --end, not both"))
        #expect(try CLI.run(["generate", "--end", "2026-02-30"]).stderr.contains("--end must be a date YYYY-MM-DD, not 2026-02-30"))
        let r = try CLI.run(["import", "--data", dir.path, "-"], input: Data(a.stdout.utf8))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains(" 0 duplicate, 0 conflict, 0 rejected"), "\(r.stderr)")
        let stats = try CLI.run(["stats", "--data", dir.path]).stdout
        #expect(stats.contains("accounts        12"))
    }
}
