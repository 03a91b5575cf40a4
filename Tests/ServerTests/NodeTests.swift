import EventLog
import Foundation
import PostgresLog
import Testing
import TestSupport
import ThroughlineClient
import ThroughlineCore

/// Nodes (`serve --log postgres://…`) in front of one log kept in a PostgreSQL server the tests
/// start themselves, as separate processes: appends through any node, reads on any node, a
/// node killed mid-append, the database restarted under load.
@Suite("Nodes in front of a log in PostgreSQL", .serialized)
struct NodeTests {
    /// A node: its data directory, socket and process.
    struct Node {
        let directory: String
        let process: ServeProcess
        var address: ServerAddress { .unix(directory + "/throughline.sock") }

        static func start(_ url: String, in dir: TempDir, name: String) async throws -> Node {
            let directory = dir.path + "/" + name
            let process = try await ServeProcess.start(["--data", directory, "--log", url], log: dir.path + "/\(name).log",
                                                       socket: directory + "/throughline.sock")
            return Node(directory: directory, process: process)
        }

        func post(_ lines: [String]) async throws -> HTTPReply {
            try await HTTPConnection.request(address, "POST", "/v1/events", headers: [("Content-Type", "application/x-ndjson")],
                                             body: Array(lines.joined(separator: "\n").utf8))
        }

        func get(_ path: String) async throws -> HTTPReply { try await HTTPConnection.request(address, "GET", path) }

        /// `get`, asked again while the node answers 503 with Retry-After (its read models not yet
        /// at a `min_seq`), as a client does: at most 24 times.
        func getWaiting(_ path: String) async throws -> HTTPReply {
            var reply = try await get(path)
            for _ in 0..<24 where reply.status == 503 {
                #expect(reply.header("Retry-After") != nil)
                try await Task.sleep(for: .seconds(1))
                reply = try await get(path)
            }
            return reply
        }

        func health() async throws -> JSONValue { try json(try await get("/v1/health")) }

        /// Waits until the node's read models have applied `seq` and every account's scores are
        /// current (at most two minutes).
        func waitUntilProjected(_ seq: UInt64) async throws {
            let reached = try await eventually(tries: 1200) {
                let h = try await health()
                guard int(h["projected_seq"]).map({ UInt64($0) >= seq }) ?? false, case .object? = h["scores"] else { return false }
                return h["scores"]?["current"] == .bool(true) && int(h["scores"]?["accounts_marked"]) == 0 && int(h["scores"]?["accounts_behind"]) == 0
            }
            if !reached { throw TestFailure("\(directory) did not project seq \(seq): \(try await get("/v1/health").text)") }
        }
    }

    /// Every id stored in the log at `url`, with how often.
    static func storedIDs(_ url: String) throws -> [String: Int] {
        let log = try PostgresEventLog(try PostgresAddress(url), create: false)
        defer { log.close() }
        var counts: [String: Int] = [:]
        try log.snapshot().forEachView { view in
            counts[view.id, default: 0] += 1
            return true
        }
        return counts
    }

    static func account(of line: String) -> String {
        guard let json = try? JSONParser.parse(line), case .string(let a)? = json["account"] else { return "" }
        return a
    }

    /// A reply's body without the moment it was answered at (`as_of`).
    static func stable(_ reply: HTTPReply) -> String {
        reply.text.replacingOccurrences(of: #""as_of":"[^"]*""#, with: "", options: .regularExpression)
    }

    @Test("Two nodes take appends into one log (ids exactly once whichever node gets them), read their own writes on either node, and a third node started empty catches up; all three answer alike")
    func twoNodesAndANewOne() async throws {
        let url = try PostgresServer.shared.freshDatabase()
        let dir = TempDir()
        let lines = generatedLines(accounts: 24, days: 120, seed: 41, peopleShare: 0.5)
        let half = lines.count / 2
        // The first half goes in with `import --log`, as an operator would load history.
        let file = dir.path + "/first.ndjson"
        try Data(lines[..<half].joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: file))
        let imported = try await CLI.run(["import", "--log", url, file])
        #expect(imported.status == 0, "\(imported.stderr)")

        let a = try await Node.start(url, in: dir, name: "a"), b = try await Node.start(url, in: dir, name: "b")
        var seqs: [String: UInt64] = [:]
        let rest = Array(lines[half...])
        for (i, start) in stride(from: 0, to: rest.count, by: 400).enumerated() {
            let chunk = Array(rest[start..<min(start + 400, rest.count)])
            let reply = try await (i % 2 == 0 ? a : b).post(chunk)
            #expect(reply.status == 200, "\(reply.text.prefix(300))")
            for (r, line) in zip(try results(reply), chunk) { seqs[line] = r.seq }
        }
        // The same events again through the other node: duplicates, answered with the first seqs.
        let again = Array(rest.prefix(400))
        let repeated = try results(try await b.post(again))
        #expect(repeated.allSatisfy { $0.status == "duplicate" })
        #expect(zip(repeated, again).allSatisfy { $0.0.seq == seqs[$0.1] })
        // Read your write on the other node with min_seq.
        let account = Self.account(of: lines[0])
        let note = #"{"id":"node-note-1","account":"\#(account)","type":"note.added","time":"2026-11-30T09:00:00Z","data":{"author":"maria","text":"written on a"}}"#
        let written = try results(try await a.post([note]))
        let seq = try #require(written.first?.seq)
        let read = try await b.getWaiting("/v1/accounts/\(account)/timeline?limit=500&min_seq=\(seq)")
        #expect(read.status == 200)
        #expect(read.text.contains("node-note-1"), "node b answered without the event node a acknowledged at seq \(seq)")
        // Other content under a stored id: a conflict on the other node too, naming the first seq.
        let conflicted = try results(try await b.post([note.replacingOccurrences(of: "written on a", with: "written on b")]))
        #expect(conflicted.first?.status == "conflict" && conflicted.first?.seq == seq)

        // A rules switch through one node is an event: every node scores with the new rules.
        let v9 = dir.path + "/health-v9.yaml"
        try String(contentsOfFile: CLI.repo + "/rules/health-v1.yaml", encoding: .utf8)
            .replacingOccurrences(of: "version: health-v1", with: "version: health-v9").write(toFile: v9, atomically: true, encoding: .utf8)
        let activated = try await CLI.run(["rules", "activate", "--socket", a.directory + "/throughline.sock", v9])
        #expect(activated.status == 0 && activated.stdout.contains("rules health-v9 activated at seq"), "\(activated.stdout)\(activated.stderr)")

        let c = try await Node.start(url, in: dir, name: "c")
        for node in [a, b, c] {
            try await node.waitUntilProjected(seq)
            let switched = try await eventually(tries: 1200) { try await node.health()["scores"]?["rules"] == .string("health-v9") }
            let rules = try await node.health()["scores"]?["rules"]
            #expect(switched, "\(node.directory) still scores with \(String(describing: rules))")
            try await node.waitUntilProjected(seq)
        }
        #expect(c.process.log.contains("building the read models from the log"))
        let accounts = Set(lines.map(Self.account))
        for account in accounts.sorted() {
            for path in ["/v1/accounts/\(account)/timeline?limit=500", "/v1/accounts/\(account)/context", "/v1/accounts/\(account)/scores"] {
                let replies = try await [a, b, c].asyncMap { try await $0.get(path) }
                #expect(replies.allSatisfy { $0.status == 200 }, "\(path): \(replies.map(\.status))")
                let answers = replies.map(Self.stable)
                #expect(answers[0] == answers[1] && answers[0] == answers[2], "\(path) differs between nodes")
            }
        }
        for node in [a, b, c] { #expect(try await node.process.stop() == 0) }
        // A stopped node's read models are rebuilt from the log in PostgreSQL.
        let rebuilt = try await CLI.run(["rebuild", "--data", c.directory, "--log", url])
        #expect(rebuilt.status == 0 && rebuilt.stderr.contains("from \(grouped(lines.count + 2)) events"), "\(rebuilt.stderr)")
        let verify = try await CLI.run(["verify", "--log", url])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        let ids = try Self.storedIDs(url)
        #expect(ids.count == lines.count + 2 && ids.values.allSatisfy { $0 == 1 })
    }

    @Test("A forget appended through one node erases the account on every node: its keys are gone from the database, whichever node made them")
    func forgetReachesEveryNode() async throws {
        let url = try PostgresServer.shared.freshDatabase()
        let database = String(url.split(separator: "@/")[1].split(separator: "?")[0])
        let dir = TempDir()
        let a = try await Node.start(url, in: dir, name: "a"), b = try await Node.start(url, in: dir, name: "b")
        #expect(try await a.post([noteLine(1, account: "acme", text: "QZX-SECRET-A")]).status == 200)
        #expect(try await b.post([noteLine(2, account: "acme", text: "QZX-SECRET-B"), noteLine(3, account: "globex", text: "QZX-KEEP")]).status == 200)
        let keys = "SELECT count(*) FROM throughline_key WHERE subject = 'acme' OR owner = 'acme'"
        #expect(try PostgresServer.shared.psql(database, keys) == "1", "both nodes seal acme's text under one key")
        let forget = try await a.post([#"{"id":"f1","account":"acme","type":"subject.forgotten","time":"2026-02-01T00:00:00Z","actor":"admin:riley","data":{"request":"DSR-1"}}"#])
        let seq = try #require(try results(forget).first?.seq)
        for node in [a, b] {
            let timeline = try await node.getWaiting("/v1/accounts/acme/timeline?limit=500&min_seq=\(seq)").text
            #expect(timeline.contains(SealedRecord.erased) && !timeline.contains("QZX-SECRET"), "\(node.directory): \(timeline.prefix(400))")
            let events = try await node.get("/v1/events?account=acme").text
            #expect(!events.contains("QZX-SECRET"), "\(node.directory)")
            #expect(try await node.get("/v1/accounts/globex/timeline").text.contains("QZX-KEEP"))
        }
        #expect(try PostgresServer.shared.psql(database, keys) == "0")
        for node in [a, b] { #expect(try await node.process.stop() == 0) }
    }

    @Test("A node killed mid-append, over and over, loses nothing it acknowledged and leaves no request half stored; the other node goes on")
    func nodeKilledMidAppend() async throws {
        let url = try PostgresServer.shared.freshDatabase()
        let dir = TempDir()
        let ledger = Ledger()
        let b = try await Node.start(url, in: dir, name: "b")
        let steady = Task { await ledger.drive(b.address, client: 1, round: 0) }
        var rng = SplitMix(seed: 23)
        for round in 0..<6 {
            let a = try await Node.start(url, in: dir, name: "a")
            let clients = (0..<2).map { client in Task { await ledger.drive(a.address, client: client, round: round) } }
            try await Task.sleep(for: .milliseconds(100 + Int(rng.next() % 300)))
            a.process.signal(SIGKILL)
            _ = try await a.process.exitStatus()
            for c in clients { await c.value }
        }
        // Every request is one transaction: all of its events are stored, or none. (What was
        // acknowledged is taken first: node b's client goes on acknowledging meanwhile.)
        let acked = await ledger.acknowledged
        let stored = try Self.storedIDs(url)
        #expect(stored.values.allSatisfy { $0 == 1 }, "an event is stored twice")
        let sent = await ledger.sent
        for start in stride(from: 0, to: sent, by: 100) {
            let present = (start..<(start + 100)).filter { stored["n-\($0)"] != nil }.count
            #expect(present == 0 || present == 100, "request n-\(start)… is stored in part (\(present) of 100)")
        }
        #expect(acked.count > 0 && acked.allSatisfy { stored["n-\($0)"] != nil }, "an acknowledged event is missing")
        // What a killed node never acknowledged is sent again through the other: nothing twice.
        for batch in await ledger.unacknowledged {
            let reply = try await b.post(batch.map { noteLine($0) })
            #expect(reply.status == 200)
            await ledger.acknowledge(batch)
        }
        #expect(try await b.process.stop() == 0)
        steady.cancel()
        _ = await steady.value
        let final = try Self.storedIDs(url)
        #expect(final.values.allSatisfy { $0 == 1 })
        #expect(Set(final.keys) == Set(await ledger.acknowledged.map { "n-\($0)" }))
        let verify = try await CLI.run(["verify", "--log", url])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
    }

    @Test("PostgreSQL restarted under load: nodes answer appends 503 with Retry-After, still serve reads and say they may be stale, then recover by themselves")
    func databaseRestartUnderLoad() async throws {
        let pg = try PostgresServer()
        let url = try pg.freshDatabase()
        let dir = TempDir()
        let a = try await Node.start(url, in: dir, name: "a"), b = try await Node.start(url, in: dir, name: "b")
        let ledger = Ledger()
        let load = Task { await ledger.keepSending(to: [a.address, b.address]) }
        try await Task.sleep(for: .milliseconds(400))
        pg.stop()
        var refusal: HTTPReply?
        #expect(try await eventually(tries: 100) {
            let reply = try await a.post([noteLine(9_000_000)])
            if reply.status == 503 { refusal = reply }
            return reply.status == 503
        })
        #expect(refusal?.header("Retry-After") != nil)
        #expect(try await eventually(tries: 50) {
            let h = try await b.health()
            guard case .array(let problems)? = h["problems"] else { return false }
            return problems.contains { if case .string(let p) = $0 { p.contains("log unreachable") } else { false } }
        })
        let read = try await b.get("/v1/accounts")
        #expect(read.status == 200)
        #expect(read.header("Throughline-Stale")?.contains("log unreachable") == true)

        try pg.start()
        for node in [a, b] {
            #expect(try await eventually(tries: 300) { try await node.post([noteLine(9_000_001)]).status == 200 },
                    "\(node.directory) did not take appends again after the restart")
            #expect(try await eventually(tries: 100) { if case .string("ok")? = try await node.health()["status"] { true } else { false } })
        }
        load.cancel()
        await load.value
        for batch in await ledger.unacknowledged {
            #expect(try await a.post(batch.map { noteLine($0) }).status == 200)
            await ledger.acknowledge(batch)
        }
        for node in [a, b] { #expect(try await node.process.stop() == 0) }
        let stored = try Self.storedIDs(url)
        #expect(stored.values.allSatisfy { $0 == 1 })
        let acked = await ledger.acknowledged
        #expect(acked.count > 0 && acked.allSatisfy { stored["n-\($0)"] != nil })
        let verify = try await CLI.run(["verify", "--log", url])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        pg.stop()
    }
}

extension Ledger {
    /// Sends batches to each address in turn until cancelled, going on after refusals (a
    /// refused batch stays unacknowledged, to be sent again).
    func keepSending(to addresses: [ServerAddress]) async {
        var turn = 0
        while !Task.isCancelled {
            let batch = newBatch(100)
            lost(batch)
            let body = Array(batch.map { noteLine($0) }.joined(separator: "\n").utf8)
            if let reply = try? await HTTPConnection.request(addresses[turn % addresses.count], "POST", "/v1/events",
                                                           headers: [("Content-Type", "application/x-ndjson")], body: body),
               reply.status == 200 {
                acknowledge(batch)
            } else {
                try? await Task.sleep(for: .milliseconds(100))
            }
            turn += 1
        }
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for e in self { out.append(try await transform(e)) }
        return out
    }
}
