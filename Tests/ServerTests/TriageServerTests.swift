import Foundation
import Testing
import TestSupport
import ThroughlineClient
import ThroughlineCore

/// Ticket triage run by the server (`serve --triage FILE`): each ticket's triage is a
/// `ticket.triaged` event in the log, stored once, queued across accounts by priority.
@Suite("Triage", .serialized)
struct TriageServerTests {
    static let triage = """
        version: triage-t
        base: 10
        factors:
          - {id: urgent, when: {priority: urgent}, points: 30}
          - {id: churn-words, when: {subject_words: [cancel]}, points: 25}
          - {id: large, when: {arr_at_least: 100000}, points: 15}
          - {id: renewal, when: {renewal_within_days: 60}, points: 10}
          - {id: champion-asks, when: {requester_role: champion}, points: 10}
          - {id: how-to, when: {category: how_to}, points: -10}
        tiers:
          - {name: manager_attention, at_least: 75}
          - {name: assisted, at_least: 25}
          - {name: self_serve, at_least: 0}
        """

    static func iso(hoursAgo: Double) -> String { AlertTests.iso(hoursAgo: hoursAgo) }

    static func post(_ sock: String, _ lines: [String]) async throws -> [(line: Int, status: String, seq: UInt64?, error: String?)] {
        try results(try await HTTPConnection.request(.unix(sock), "POST", "/v1/events", headers: [("Content-Type", "application/x-ndjson")],
                                                     body: Array(lines.joined(separator: "\n").utf8)))
    }

    static func triaged(_ sock: String) async throws -> [JSONValue] {
        let text = try await HTTPConnection.request(.unix(sock), "GET", "/v1/events?limit=10000").text
        return try text.split(separator: "\n").map { try JSONParser.parse(String($0)) }.filter { $0["type"] == .string("ticket.triaged") }
    }

    static func queue(_ sock: String, _ query: String = "") async throws -> [JSONValue] {
        try json(try await HTTPConnection.request(.unix(sock), "GET", "/v1/triage/queue" + query))["tickets"]?.array ?? []
    }

    @Test("serve --triage: each ticket gets a priority and tier from its words and its account, as a ticket.triaged event with its reasons, on the timeline and in the queue (API, page, CLI), highest first; an open ticket from before is triaged at start; a closed one leaves the queue; a restart stores nothing twice; triage replay compares rules over history; a file with problems stops serve")
    func triagesTickets() async throws {
        let dir = TempDir(), logs = TempDir()
        let sock = dir.path + "/throughline.sock", file = logs.path + "/triage.yaml"
        try Self.triage.write(toFile: file, atomically: true, encoding: .utf8)
        // Before triage is on: an account and a ticket still open.
        var server = try await ServeProcess.start(["--data", dir.path], log: logs.path + "/0.log", socket: sock)
        let renewal = CalendarDate(daysSinceEpoch: Day(containing: Int64(Date().timeIntervalSince1970 * 1e6)).number + 30).description
        _ = try await Self.post(sock, [
            #"{"id":"p-acme","account":"acme","type":"account.updated","time":"\#(Self.iso(hoursAgo: 240))","data":{"name":"Acme","arr":150000,"renewal_date":"\#(renewal)","champion":"Dana Reyes"}}"#,
            #"{"id":"c-dana","account":"acme","type":"contact.updated","time":"\#(Self.iso(hoursAgo: 240))","data":{"email":"dana@acme.example","name":"Dana Reyes","role":"champion"}}"#,
            #"{"id":"p-tiny","account":"tiny","type":"account.updated","time":"\#(Self.iso(hoursAgo: 240))","data":{"name":"Tiny","arr":900}}"#,
            #"{"id":"o1","account":"tiny","type":"ticket.opened","time":"\#(Self.iso(hoursAgo: 100))","data":{"ticket_id":"O1","priority":"normal","category":"how_to","subject":"How do I export?"}}"#,
        ])
        #expect(try await server.stop() == 0)

        server = try await ServeProcess.start(["--data", dir.path, "--triage", file], log: logs.path + "/1.log", socket: sock)
        // The open ticket from before is triaged at start, as of its opening.
        #expect(try await eventually(tries: 300) { try await !Self.triaged(sock).isEmpty })
        let posted = try await Self.post(sock, [
            #"{"id":"t1","account":"acme","type":"ticket.opened","time":"\#(Self.iso(hoursAgo: 1))","data":{"ticket_id":"T1","priority":"urgent","subject":"Export times out, we will cancel","requester":"dana@acme.example"}}"#,
            #"{"id":"t2","account":"tiny","type":"ticket.opened","time":"\#(Self.iso(hoursAgo: 1))","data":{"ticket_id":"T2","priority":"urgent","subject":"Export times out, we will cancel"}}"#,
        ])
        let t1Seq = try #require(posted[0].seq)
        #expect(try await eventually(tries: 300) { try await Self.triaged(sock).count >= 3 })
        let events = try await Self.triaged(sock)
        #expect(events.count == 3, "\(events)")
        let t1 = try #require(events.first { $0["data"]?["ticket_id"] == .string("T1") })
        #expect(t1["id"] == .string("triage:triage-t:acme:T1") && t1["actor"] == .string("throughline:triage"))
        #expect(t1["data"]?["priority"] == .number("100") && t1["data"]?["tier"] == .string("manager_attention"), "\(t1)")
        let factors = t1["data"]?["reasons"]?.array?.compactMap { $0["factor"]?.stringValue } ?? []
        #expect(factors == ["urgent", "churn-words", "large", "renewal", "champion-asks"], "\(factors)")
        #expect(t1["data"]?["reasons"]?.array?.first?["seqs"] == .array([.number(String(t1Seq))]))
        // The same words from a tiny account: assisted, not manager attention.
        let t2 = try #require(events.first { $0["data"]?["ticket_id"] == .string("T2") })
        #expect(t2["data"]?["priority"] == .number("65") && t2["data"]?["tier"] == .string("assisted"), "\(t2)")
        let o1 = try #require(events.first { $0["data"]?["ticket_id"] == .string("O1") })
        #expect(o1["data"]?["priority"] == .number("0") && o1["data"]?["tier"] == .string("self_serve"), "\(o1)")

        // The queue: highest first, with the account's context.
        let seq = try #require(int(t1["seq"]))
        _ = try await HTTPConnection.request(.unix(sock), "GET", "/v1/accounts/acme/timeline?min_seq=\(seq)")
        #expect(try await eventually(tries: 300) { try await Self.queue(sock).count == 3 })
        let queue = try await Self.queue(sock)
        #expect(queue.compactMap { $0["ticket_id"]?.stringValue } == ["T1", "T2", "O1"], "\(queue)")
        #expect(queue.first?["account_name"] == .string("Acme") && queue.first?["arr"] == .number("150000") && queue.first?["tier"] == .string("manager_attention"))
        #expect(try await Self.queue(sock, "?tier=manager_attention").compactMap { $0["ticket_id"]?.stringValue } == ["T1"])
        let timeline = try await HTTPConnection.request(.unix(sock), "GET", "/v1/accounts/acme/timeline").text
        #expect(timeline.contains("Ticket T1 triaged manager attention (priority 100)") && timeline.contains(#""kind":"triage""#), "\(timeline)")
        // In the context view, and on the account's page.
        let context = try json(try await HTTPConnection.request(.unix(sock), "GET", "/v1/accounts/acme/context"))
        #expect(context["triage"]?.array?.first?["ticket_id"] == .string("T1") && context["triage"]?.array?.first?["tier"] == .string("manager_attention"), "\(context)")
        #expect(try await HTTPConnection.request(.unix(sock), "GET", "/accounts/acme").text.contains("manager attention (priority 100)"))
        let page = try await HTTPConnection.request(.unix(sock), "GET", "/triage?tier=manager_attention").text
        #expect(page.contains("Triage: manager attention") && page.contains("Export times out") && !page.contains("How do I export"))
        let health = try json(try await HTTPConnection.request(.unix(sock), "GET", "/v1/health"))
        #expect(health["alerter"]?["triage"] == .string("triage-t"))
        // The start's triage of open tickets is done: no account left.
        #expect(health["alerter"]?["triage_backlog"] == .number("0"), "\(health)")

        // Closed, it leaves the queue.
        let closed = try await Self.post(sock, [#"{"id":"x1","account":"acme","type":"ticket.closed","time":"\#(Self.iso(hoursAgo: 0.5))","data":{"ticket_id":"T1"}}"#])
        _ = try await HTTPConnection.request(.unix(sock), "GET", "/v1/accounts/acme/timeline?min_seq=\(closed[0].seq ?? 0)")
        #expect(try await Self.queue(sock).compactMap { $0["ticket_id"]?.stringValue } == ["T2", "O1"])
        #expect(try json(try await HTTPConnection.request(.unix(sock), "GET", "/v1/accounts/acme/context"))["triage"] == .array([]))
        // An account that churned leaves the queue, though its ticket is still open; asked for by name, it is listed.
        let churned = try await Self.post(sock, [#"{"id":"ch1","account":"tiny","type":"account.churned","time":"\#(Self.iso(hoursAgo: 0.4))","data":{}}"#])
        _ = try await HTTPConnection.request(.unix(sock), "GET", "/v1/accounts/tiny/timeline?min_seq=\(churned[0].seq ?? 0)")
        #expect(try await Self.queue(sock).isEmpty)
        #expect(try await Self.queue(sock, "?account=tiny").compactMap { $0["ticket_id"]?.stringValue } == ["T2", "O1"])
        #expect(try await server.stop() == 0)

        // A restart derives the triages again and stores none twice.
        server = try await ServeProcess.start(["--data", dir.path, "--triage", file], log: logs.path + "/2.log", socket: sock)
        _ = try await Self.post(sock, [#"{"id":"n1","account":"acme","type":"note.added","time":"\#(Self.iso(hoursAgo: 0.2))","data":{"author":"maria","text":"on it"}}"#])
        try await Task.sleep(for: .seconds(1))
        #expect(try await Self.triaged(sock).count == 3)
        #expect(try await server.stop() == 0)

        // The CLI queue, and shadow mode: the same rules replayed agree with what was recorded;
        // rules without the urgent factor lower the urgent ticket of the large account.
        let listed = try await CLI.run(["triage", "queue", "--data", dir.path])
        #expect(listed.status == 0 && !listed.stdout.contains("T2"), "\(listed.stdout) \(listed.stderr)")
        let tiny = try await CLI.run(["triage", "queue", "--data", dir.path, "--account", "tiny"])
        #expect(tiny.status == 0 && tiny.stdout.contains("assisted") && tiny.stdout.contains("T2"), "\(tiny.stdout) \(tiny.stderr)")
        let same = try await CLI.run(["triage", "replay", "--data", dir.path, "--triage", file, "--json"])
        #expect(same.status == 0, "\(same.stderr)")
        let report = try JSONParser.parse(same.stdout)
        #expect(report["tickets"] == .number("3") && report["moves"]?["compared"] == .number("3") && report["moves"]?["escalated"] == .number("0")
                && report["moves"]?["lowered"] == .number("0"), "\(same.stdout)")
        let calmer = logs.path + "/calmer.yaml"
        try Self.triage.replacingOccurrences(of: "version: triage-t", with: "version: triage-calm")
            .replacingOccurrences(of: "  - {id: urgent, when: {priority: urgent}, points: 30}\n", with: "")
            .write(toFile: calmer, atomically: true, encoding: .utf8)
        let compared = try await CLI.run(["triage", "replay", "--data", dir.path, "--triage", calmer, "--against", file, "--changes"])
        #expect(compared.status == 0 && compared.stdout.contains("3 tickets compared; 0 escalated") && compared.stdout.contains("1 lowered"), "\(compared.stdout)")
        #expect(compared.stdout.contains("acme  T1  manager_attention (100) -> assisted (70)"), "\(compared.stdout)")

        // A file with problems: serve does not start, and says where.
        try "version: x\nfactors:\n  - {id: a, points: 5, when: {priority: critical}}\ntiers:\n  - {name: all, at_least: 0}\n".write(toFile: file, atomically: true, encoding: .utf8)
        let refused = try await CLI.run(["serve", "--data", dir.path, "--triage", file])
        #expect(refused.status == 2 && refused.stderr.contains("triage.yaml:3:41: factors[0].when.priority: unknown value critical"), "\(refused.stderr)")
        let checked = try await CLI.run(["triage", "check", file])
        #expect(checked.status == 1 && checked.stderr.contains("1 problem"))
    }
}
