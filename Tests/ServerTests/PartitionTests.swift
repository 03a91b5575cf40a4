import EventLog
import Foundation
import PostgresLog
import Testing
import TestSupport
import ThroughlineClient
import ThroughlineCore

/// A log in PostgreSQL made with several partitions: each account's events in one, each
/// partition numbering its own without gaps, readers keeping one place per partition.
@Suite("A log of several partitions", .serialized)
struct PartitionTests {
    typealias Node = NodeTests.Node

    /// Waits until `node` has applied everything up to `position` and scored it.
    static func waitUntilApplied(_ node: Node, _ position: LogPosition) async throws {
        let reached = try await eventually(tries: 1200) {
            let h = try await node.health()
            guard let text = h["projected_position"]?.scalarText,
                  let applied = try? LogPosition(parsing: Substring(text), partitions: position.partitioning) else { return false }
            return applied.reaches(position) && h["scores"]?["current"] == .bool(true) && int(h["scores"]?["accounts_marked"]) == 0
        }
        if !reached { throw TestFailure("\(node.directory) did not apply \(position): \(try await node.get("/v1/health").text)") }
    }

    /// The key an event is filed under: its account, or its reference.
    static func filed(_ line: String) -> String {
        guard let json = try? JSONParser.parse(line) else { return "" }
        if let account = json["account"]?.scalarText { return account }
        return "ref:\(json["account_ref"]?["system"]?.scalarText ?? ""):\(json["account_ref"]?["id"]?.scalarText ?? "")"
    }

    @Test("Three partitions behind two nodes: ids exactly once within an account's partition, gap-free seqs per partition, a catch-up reader with one place per partition reads every event once, read-your-writes on the other node, and a node started empty answers as the others")
    func threePartitions() async throws {
        let url = try PostgresServer.shared.freshDatabase()
        let dir = TempDir()
        let lines = generatedLines(accounts: 30, days: 90, seed: 43, peopleShare: 0.5)
        let half = lines.count / 2
        let file = dir.path + "/first.ndjson"
        try Data(lines[..<half].joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: file))
        let imported = try await CLI.run(["import", "--log", url, "--partitions", "3", file])
        #expect(imported.status == 0, "\(imported.stderr)")
        // The number is fixed when the log is made.
        let other = try await CLI.run(["import", "--log", url, "--partitions", "2", file])
        #expect(other.status == 2 && other.stderr.contains("holds a log of 3 partitions"), "\(other.stderr)")

        let a = try await Node.start(url, in: dir, name: "a"), b = try await Node.start(url, in: dir, name: "b")
        var seqs: [String: UInt64] = [:]
        var partitionOf: [String: Int] = [:]
        let rest = Array(lines[half...])
        for (i, start) in stride(from: 0, to: rest.count, by: 400).enumerated() {
            let chunk = Array(rest[start..<min(start + 400, rest.count)])
            let reply = try await (i % 2 == 0 ? a : b).post(chunk)
            #expect(reply.status == 200, "\(reply.text.prefix(300))")
            guard case .array(let items)? = try json(reply)["results"] else { throw TestFailure("no results") }
            for (item, line) in zip(items, chunk) {
                seqs[line] = UInt64(int(item["seq"]) ?? 0)
                // The events filed under one account (or reference) all go to one partition, which the seq names too.
                let p = int(item["partition"]) ?? -1, filed = Self.filed(line)
                if let known = partitionOf[filed] { #expect(known == p, "\(filed)") } else { partitionOf[filed] = p }
                #expect(Partitioning(count: 3).place(of: seqs[line]!).partition == p)
            }
        }
        #expect(Set(partitionOf.values).count == 3, "thirty accounts land in every partition: \(partitionOf)")
        let again = Array(rest.prefix(400))
        let repeated = try results(try await b.post(again))
        #expect(repeated.allSatisfy { $0.status == "duplicate" } && zip(repeated, again).allSatisfy { $0.0.seq == seqs[$0.1] })
        let account = NodeTests.account(of: lines[0])
        let note = #"{"id":"part-note-1","account":"\#(account)","type":"note.added","time":"2026-11-30T09:00:00Z","data":{"author":"maria","text":"written on a"}}"#
        let seq = try #require(try results(try await a.post([note])).first?.seq)
        let read = try await b.getWaiting("/v1/accounts/\(account)/timeline?limit=500&min_seq=\(seq)")
        #expect(read.status == 200 && read.text.contains("part-note-1"), "node b answered without the event node a acknowledged at seq \(seq)")

        // A catch-up reader keeps one place per partition; it reads every event exactly once.
        var after = "0", ids: [String: Int] = [:], pages = 0, middle: String?, readBeforeMiddle = 0
        var bySeq = Set<UInt64>()
        while true {
            let page = try await b.get("/v1/events?after=\(after)&limit=700")
            #expect(page.status == 200, "\(page.text.prefix(200))")
            let got = page.text.split(separator: "\n")
            for line in got {
                let e = try JSONParser.parse(String(line))
                ids[e["id"]?.scalarText ?? "", default: 0] += 1
                bySeq.insert(UInt64(int(e["seq"]) ?? 0))
            }
            after = try #require(page.header("Throughline-Next-After"))
            pages += 1
            if pages == 2 { (middle, readBeforeMiddle) = (after, ids.count) }
            if got.isEmpty || pages > 100 { break }
        }
        #expect(ids.count == lines.count + 1 && ids.values.allSatisfy { $0 == 1 }, "\(ids.count) ids for \(lines.count + 1) events")
        #expect(after.split(separator: ",").count == 3, "the place is one seq per partition: \(after)")
        let log = try PostgresEventLog(try PostgresAddress(url), create: false)
        let head = try log.head()
        log.close()
        #expect(head.description == after)
        // Each partition's seqs are 1, 2, 3, … without a gap.
        let parts = Partitioning(count: 3)
        for p in 0..<3 {
            let own = bySeq.map(parts.place(of:)).filter { $0.partition == p }.map(\.seq).sorted()
            #expect(own == Array(1...head.heads[p]), "partition \(p)")
        }
        // `dump --after` goes on from a reader's place.
        let rest2 = try await CLI.run(["dump", "--log", url, "--after", try #require(middle)])
        let dumped = rest2.stdout.split(separator: "\n").count
        #expect(rest2.status == 0 && dumped == lines.count + 1 - readBeforeMiddle, "\(dumped) lines after the first two pages; \(rest2.stderr)")

        let c = try await Node.start(url, in: dir, name: "c")
        for node in [a, b, c] { try await Self.waitUntilApplied(node, head) }
        #expect(c.process.log.contains("building the read models from the log"))
        for account in Set(lines.map(NodeTests.account)).sorted() {
            for path in ["/v1/accounts/\(account)/timeline?limit=500", "/v1/accounts/\(account)/context", "/v1/accounts/\(account)/scores"] {
                let answers = try await [a, b, c].asyncMap { NodeTests.stable(try await $0.get(path)) }
                #expect(answers[0] == answers[1] && answers[0] == answers[2], "\(path) differs between nodes")
            }
        }
        for node in [a, b, c] { #expect(try await node.process.stop() == 0) }
        let verify = try await CLI.run(["verify", "--log", url])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        let copy = try await CLI.run(["copy", "--from", url, "--to", dir.path + "/files"])
        #expect(copy.status == 2 && copy.stderr.contains("has 3 partitions"), "\(copy.stderr)")
    }
}
