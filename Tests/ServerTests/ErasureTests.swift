@testable import EventLog
import Foundation
import Testing
import TestSupport
import ThroughlineClient
import ThroughlineCore
@testable import ThroughlineServer

/// Forgetting an account on an append-only log: its personal values are sealed under its key,
/// and destroying the key erases them everywhere while the log still verifies and scores.
@Suite("Erasure")
struct ErasureTests {
    /// Distinctive text in every personal member, of acme (to be forgotten; one event filed under
    /// a help-desk reference linked to it) and of globex (kept).
    static let events = [
        #"{"id":"p","account":"acme","type":"account.updated","time":"2026-01-01T00:00:00Z","data":{"name":"Acme","csm":"Dana Reyes","seats":20}}"#,
        #"{"id":"u1","account":"acme","type":"usage.recorded","time":"2026-01-05T00:00:00Z","data":{"period_start":"2026-01-05","active_users":12}}"#,
        #"{"id":"c1","account":"acme","type":"call.completed","time":"2026-01-06T09:00:00Z","data":{"duration_s":1800,"team":"success","sentiment":-0.4,"summary":"QZX-ACME-SUMMARY about renewal","transcript":"QZX-ACME-TRANSCRIPT words"}}"#,
        #"{"id":"t1","account":"acme","type":"ticket.opened","time":"2026-01-07T09:00:00Z","data":{"ticket_id":"9","priority":"high","subject":"QZX-ACME-SUBJECT export fails"}}"#,
        #"{"id":"t2","account":"acme","type":"ticket.updated","time":"2026-01-08T09:00:00Z","actor":"agent:kim","data":{"ticket_id":"9","comment":"QZX-ACME-COMMENT looking"}}"#,
        #"{"id":"s1","account":"acme","type":"survey.answered","time":"2026-01-09T09:00:00Z","data":{"kind":"nps","score":4,"comment":"QZX-ACME-SURVEY too slow"}}"#,
        #"{"id":"n1","account":"acme","type":"note.added","time":"2026-01-10T09:00:00Z","data":{"author":"dana","text":"QZX-ACME-NOTE champion unhappy"}}"#,
        #"{"id":"o1","account":"acme","type":"health.override","time":"2026-01-11T09:00:00Z","data":{"author":"dana","band":"red","reason":"QZX-ACME-REASON budget cut"}}"#,
        #"{"id":"r1","account_ref":{"system":"helpdesk","id":"org-7"},"type":"ticket.opened","time":"2026-01-12T09:00:00Z","data":{"ticket_id":"h-1","priority":"low","subject":"QZX-ACME-REFSUBJECT login"}}"#,
        #"{"id":"l1","account":"acme","type":"identity.linked","time":"2026-01-12T10:00:00Z","data":{"ref":{"system":"helpdesk","id":"org-7"}}}"#,
        #"{"id":"g1","account":"globex","type":"call.completed","time":"2026-01-06T09:00:00Z","data":{"duration_s":600,"summary":"QZX-GLOBEX-SUMMARY kept"}}"#,
        #"{"id":"g2","account":"globex","type":"note.added","time":"2026-01-07T09:00:00Z","data":{"author":"lee","text":"QZX-GLOBEX-NOTE kept"}}"#,
    ]

    static let acme = ["QZX-ACME-SUMMARY", "QZX-ACME-TRANSCRIPT", "QZX-ACME-SUBJECT", "QZX-ACME-COMMENT", "QZX-ACME-SURVEY", "QZX-ACME-NOTE",
                       "QZX-ACME-REASON", "QZX-ACME-REFSUBJECT"]
    static let globex = ["QZX-GLOBEX-SUMMARY", "QZX-GLOBEX-NOTE"]

    /// Every byte under `directory` as a reader of the disk sees it: the log's blocks
    /// decompressed, every other file (SQLite files and their write-ahead logs, the key store,
    /// the id index) as it is.
    static func everything(under directory: String) throws -> (log: [UInt8], files: [UInt8]) {
        var log: [UInt8] = [], files: [UInt8] = []
        let (snapshot, _) = try LogInspector.snapshot(directory: directory)
        var segments: Set<String> = []
        for part in snapshot.parts {
            segments.insert(part.segment.path)
            let stream = BlockStream(segment: part.segment)
            for block in part.blocks { log += try stream.read(block) }
        }
        let walk = FileManager.default.enumerator(atPath: directory)!
        while let name = walk.nextObject() as? String {
            let path = directory + "/" + name
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
                  !segments.contains(path), !name.hasSuffix(".sock") else { continue }
            files += try Data(contentsOf: URL(fileURLWithPath: path))
        }
        return (log, files)
    }

    static func holds(_ bytes: [UInt8], _ text: String) -> Bool {
        bytes.firstRange(of: Array(text.utf8)) != nil
    }

    /// A server holding `lines`, every one accepted, and the seq of the last.
    static func serving(_ lines: [String]) async throws -> (RunningServer, UInt64) {
        let server = try await RunningServer()
        let appended = try await server.post(lines.joined(separator: "\n"))
        #expect(appended.status == 200, "\(appended.text)")
        return (server, try #require(try results(appended).last?.seq))
    }

    @Test("A forgotten account's personal text is nowhere under the data directory, and reads as erased; the log still verifies and scores are unchanged")
    func forgetAnAccount() async throws {
        let (server, last) = try await Self.serving(Self.events)
        _ = try await server.get("/v1/accounts/acme/timeline?min_seq=\(last)")
        let scoresBefore = try await server.get("/v1/accounts/acme/scores?min_seq=\(last)").text
        let timelineBefore = try await server.get("/v1/accounts/acme/timeline?limit=500").text
        #expect(timelineBefore.contains("QZX-ACME-SUMMARY") && timelineBefore.contains("QZX-ACME-REFSUBJECT"))
        // The log never holds personal text in the clear; the read models do, until forgotten.
        let before = try Self.everything(under: server.data)
        for text in Self.acme + Self.globex { #expect(!Self.holds(before.log, text), "\(text) in the log") }
        // (Transcripts and ticket comments are in no read model; the rest are, in the clear.)
        #expect(Self.acme.filter { !Self.holds(before.files, $0) } == ["QZX-ACME-TRANSCRIPT", "QZX-ACME-COMMENT"])

        let forget = try await server.post(#"{"id":"f1","account":"acme","type":"subject.forgotten","time":"2026-02-01T00:00:00Z","actor":"admin:riley","data":{"request":"DSR-1"}}"#)
        let seq = try #require(try results(forget).first?.seq)
        let timeline = try await server.get("/v1/accounts/acme/timeline?limit=500&min_seq=\(seq)").text
        #expect(timeline.contains(SealedRecord.erased) && timeline.contains("Personal data forgotten by admin:riley"))
        let events = try await server.get("/v1/events?account=acme").text
        #expect(events.contains(#""summary":"(erased)""#) && events.contains(#""text":"(erased)""#))
        // Asked for one by one, by seq (and the linked reference's own), each event reads as erased.
        for n in 3...9 {
            let one = try await server.get("/v1/events?after=\(n - 1)&limit=1").text
            #expect(Self.acme.allSatisfy { !one.contains($0) } && one.contains(SealedRecord.erased), "seq \(n): \(one)")
        }
        let page = try await server.get("/accounts/acme").text
        for text in Self.acme { #expect(!timeline.contains(text) && !events.contains(text) && !page.contains(text), "\(text) still shown") }

        let after = try Self.everything(under: server.data)
        for text in Self.acme { #expect(!Self.holds(after.log, text) && !Self.holds(after.files, text), "\(text) still on disk") }
        #expect(Self.globex.allSatisfy { Self.holds(after.files, $0) })
        let globex = try await server.get("/v1/accounts/globex/timeline").text
        #expect(Self.globex.allSatisfy { globex.contains($0) })
        // Scores never read personal text: the same before and after.
        // (The forget is an event of the account: its score goes on to that day.)
        func points(_ text: String) throws -> [JSONValue] {
            try JSONParser.parse(text)["points"]?.array?.filter { ($0["date"]?.scalarText ?? "") <= "2026-01-12" } ?? []
        }
        let scoresAfter = try await server.get("/v1/accounts/acme/scores").text
        #expect(try points(scoresAfter) == points(scoresBefore) && points(scoresBefore).count == 12)
        try await server.stop()
        let verified = try LogInspector.verify(directory: server.data)
        #expect(verified.segments.reduce(0) { $0 + $1.events } == Self.events.count + 1)
    }

    /// Two people of acme, Dana (the champion, to be forgotten) and Lee (kept), named every way
    /// events name people: by id, email in another case, name, `Name <email>`, and as the
    /// profile's champion; Dana's sentiment on calls falls, which the champion watch scores.
    static let people: [String] = {
        var lines = [
            #"{"id":"p","account":"acme","type":"account.updated","time":"2026-01-01T00:00:00Z","data":{"name":"Acme","csm":"sam","seats":20,"champion":"Dana Qzxreyes"}}"#,
            #"{"id":"d1","account":"acme","type":"contact.updated","time":"2026-01-02T00:00:00Z","data":{"person":"crm:qzx-7","email":"dana.qzx@acme.example","name":"Dana Qzxreyes","title":"QZX-DANA-TITLE","role":"champion"}}"#,
            #"{"id":"l1","account":"acme","type":"contact.updated","time":"2026-01-02T00:00:00Z","data":{"email":"lee.qzx@acme.example","name":"Lee Qzxkeep","title":"QZX-LEE-TITLE","role":"admin"}}"#,
            #"{"id":"t1","account":"acme","type":"ticket.opened","time":"2026-01-03T09:00:00Z","data":{"ticket_id":"9","priority":"high","requester":"Dana Qzxreyes <DANA.QZX@acme.example>"}}"#,
            #"{"id":"n1","account":"acme","type":"note.added","time":"2026-01-03T10:00:00Z","data":{"author":"sam","text":"renewal talk","mentions":["crm:qzx-7","lee.qzx@acme.example"]}}"#,
            // Messages: what was said to each person is theirs, sealed under the key of the handle it was sent to.
            #"{"id":"m1","account":"acme","type":"message.sent","time":"2026-01-04T08:00:00Z","actor":"automation:bot","data":{"message_id":"1","channel":"email","template":"hello","recipient":"dana.qzx@acme.example","fields":{"first_name":"Dana","code":"QZX-DANA-FIELD"}}}"#,
            #"{"id":"m2","account":"acme","type":"message.sent","time":"2026-01-04T08:00:00Z","actor":"automation:bot","data":{"message_id":"2","channel":"email","template":"hello","recipient":"Lee Qzxkeep","fields":{"first_name":"Lee","code":"QZX-LEE-FIELD"}}}"#,
        ]
        for (n, sentiment) in [0.8, 0.7, 0.8, -0.4, -0.6, -0.7].enumerated() {
            let who = n % 2 == 0 ? #"["Dana Qzxreyes","Lee Qzxkeep"]"# : #"["DANA.QZX@acme.example"]"#
            lines.append(#"{"id":"c\#(n)","account":"acme","type":"call.completed","time":"2026-01-\#(10 + n)T09:00:00Z","data":{"duration_s":1800,"team":"success","sentiment":\#(sentiment),"participants":\#(who)}}"#)
        }
        for d in 1...28 {
            lines.append(#"{"id":"u\#(d)","account":"acme","type":"usage.recorded","time":"2026-01-\#(String(format: "%02d", d))T00:00:00Z","data":{"period_start":"2026-01-\#(String(format: "%02d", d))","active_users":12}}"#)
        }
        return lines
    }()

    @Test("A forgotten person's names, emails, ids and title are nowhere under the data directory; another person's are; people are told apart and scores are unchanged")
    func forgetAPerson() async throws {
        let (server, last) = try await Self.serving(Self.people)
        let contextBefore = try await server.get("/v1/accounts/acme/context?min_seq=\(last)").text
        #expect(contextBefore.contains("Dana Qzxreyes") && contextBefore.contains("champion"), "\(contextBefore)")
        let healthBefore = try await server.get("/v1/accounts/acme/context?at=2026-01-28T12:00:00Z").text
        let scoresBefore = try await server.get("/v1/accounts/acme/scores").text
        let dana = ["Dana Qzxreyes", "dana.qzx@", "DANA.QZX@", "QZX-DANA-TITLE", "crm:qzx-7", "QZX-DANA-FIELD"]
        let lee = ["Lee Qzxkeep", "lee.qzx@acme.example", "QZX-LEE-TITLE", "QZX-LEE-FIELD"]
        let before = try Self.everything(under: server.data)
        for text in dana + lee { #expect(!Self.holds(before.log, text), "\(text) in the log") }

        // Forgotten by the id one system knows them by: every other way they were named goes too.
        let forget = try await server.post(#"{"id":"f1","account":"acme","type":"subject.forgotten","time":"2026-02-01T00:00:00Z","actor":"admin:riley","data":{"person":"crm:qzx-7"}}"#)
        let seq = try #require(try results(forget).first?.seq)
        let context = try await server.get("/v1/accounts/acme/context?min_seq=\(seq)").text
        let events = try await server.get("/v1/events?account=acme").text
        let page = try await server.get("/accounts/acme").text
        let timeline = try await server.get("/v1/accounts/acme/timeline?limit=500").text
        for text in dana {
            #expect(![context, events, page, timeline].contains { $0.contains(text) }, "\(text) still shown")
        }
        #expect(context.contains("erased-\(seq).") && context.contains("Lee Qzxkeep") && events.contains("QZX-LEE-TITLE"))
        let after = try Self.everything(under: server.data)
        for text in dana { #expect(!Self.holds(after.log, text) && !Self.holds(after.files, text), "\(text) still on disk") }
        for text in lee { #expect(Self.holds(after.files, text), "\(text) lost") }

        // The erased person is still one person, still the champion, with the same calls: the
        // stakeholder map keeps two people, and every day's score and band are the same.
        let people = try JSONParser.parse(context)["stakeholders"]?.array ?? []
        #expect(people.count == 2, "\(context)")
        func points(_ text: String) throws -> [String] {
            try (JSONParser.parse(text)["points"]?.array ?? []).filter { ($0["date"]?.scalarText ?? "") <= "2026-01-28" }.map {
                "\($0["date"]?.scalarText ?? "") \($0["score"]?.scalarText ?? "") \($0["band"]?.scalarText ?? "")"
            }
        }
        let scoresAfter = try await server.get("/v1/accounts/acme/scores").text
        #expect(try points(scoresAfter) == points(scoresBefore) && points(scoresBefore).count == 28, "\(scoresBefore)\n\(scoresAfter)")
        // The champion's fall in sentiment still costs the same points, on the same calls.
        func reasons(_ text: String) throws -> [String] {
            try (JSONParser.parse(text)["health"]?["top_reasons"]?.array ?? []).map {
                "\($0["signal"]?.scalarText ?? "") \($0["points_lost"]?.scalarText ?? "") \(JSONWriter.string($0["seqs"] ?? .null))"
            }
        }
        let healthAfter = try await server.get("/v1/accounts/acme/context?at=2026-01-28T12:00:00Z").text
        #expect(try reasons(healthAfter) == reasons(healthBefore) && reasons(healthBefore).contains { $0.hasPrefix("champion_change") },
                "\(healthBefore)\n\(healthAfter)")
        try await server.stop()
        _ = try LogInspector.verify(directory: server.data)
    }

    @Test("forget --contact finds every account that knows the person and forgets them there only; a person no one knows is an error")
    func forgetAContactFromTheCommandLine() async throws {
        let lines = [
            #"{"id":"d1","account":"acme","type":"contact.updated","time":"2026-01-02T00:00:00Z","data":{"email":"dana.qzx@acme.example","name":"Dana Qzxreyes","title":"QZX-DANA-TITLE"}}"#,
            #"{"id":"l1","account":"acme","type":"contact.updated","time":"2026-01-02T00:00:00Z","data":{"email":"lee.qzx@acme.example","name":"Lee Qzxkeep"}}"#,
            #"{"id":"d2","account":"globex","type":"contact.updated","time":"2026-01-03T00:00:00Z","data":{"person":"gx-1","email":"Dana.Qzx@acme.example","name":"Dana Qzxreyes"}}"#,
            #"{"id":"c1","account":"globex","type":"call.completed","time":"2026-01-04T00:00:00Z","data":{"duration_s":60,"participants":["gx-1"],"summary":"QZX-GLOBEX-CALL"}}"#,
            #"{"id":"o1","account":"initech","type":"contact.updated","time":"2026-01-03T00:00:00Z","data":{"email":"other.qzx@initech.example","name":"Other Qzxperson"}}"#,
        ]
        let (server, last) = try await Self.serving(lines)
        let found = try await server.get("/v1/people?handle=DANA.QZX@ACME.EXAMPLE&min_seq=\(last)").text
        let accounts = try (JSONParser.parse(found)["people"]?.array ?? []).compactMap { $0["account"]?.scalarText }
        #expect(accounts == ["acme", "globex"], "\(found)")
        #expect(try await server.get("/v1/people").status == 400)

        let unknown = try await CLI.run(["forget", "--data", server.data, "--contact", "nobody@nowhere.example"])
        #expect(unknown.status == 1 && unknown.stderr.contains("no account knows a person by nobody@nowhere.example"), "\(unknown.stderr)")
        let forgot = try await CLI.run(["forget", "--data", server.data, "--contact", "dana.qzx@acme.example", "--request", "DSR-9"])
        #expect(forgot.status == 0 && forgot.stdout.contains("forgot dana.qzx@acme.example in acme, globex"), "\(forgot.stdout) \(forgot.stderr)")
        for account in ["acme", "globex"] {
            let context = try await server.get("/v1/accounts/\(account)/context").text
            #expect(!context.contains("Dana Qzxreyes") && !context.lowercased().contains("dana.qzx") && !context.contains("QZX-DANA-TITLE"), "\(context)")
        }
        // What the account said stays (it is the account's); the other people stay.
        let events = try await server.get("/v1/events").text
        #expect(events.contains("QZX-GLOBEX-CALL") && events.contains("Lee Qzxkeep") && events.contains("Other Qzxperson"))
        #expect(!events.contains("gx-1") && !events.lowercased().contains("dana.qzx"))
        let after = try await server.get("/v1/people?handle=dana.qzx@acme.example").text
        #expect(after.trimmingSpaces == #"{"people":[]}"#, "\(after)")
        let files = try Self.everything(under: server.data)
        #expect(!Self.holds(files.files, "Dana Qzxreyes") && !Self.holds(files.log, "Dana Qzxreyes") && Self.holds(files.files, "Lee Qzxkeep"))
        try await server.stop()
    }

    @Test("A forget stored while no server applies it (imported offline) is applied by the next rebuild: nothing of the account is left in the read models")
    func rebuildAppliesAPendingForget() async throws {
        let (first, last) = try await Self.serving(Self.events)
        _ = try await first.get("/v1/accounts/acme/timeline?min_seq=\(last)")
        try await first.stop()
        let forget = first.dir.path + "/forget.ndjson"
        try #"{"id":"f1","account":"acme","type":"subject.forgotten","time":"2026-02-01T00:00:00Z","data":{"request":"DSR-3"}}"#
            .write(toFile: forget, atomically: true, encoding: .utf8)
        #expect(try await CLI.run(["import", "--data", first.data, forget]).status == 0)
        let rebuilt = try await CLI.run(["rebuild", "--data", first.data])
        #expect(rebuilt.status == 0, "\(rebuilt.stderr)")
        let files = try Self.everything(under: first.data).files
        let left = Self.acme.filter { Self.holds(files, $0) }
        #expect(left.isEmpty, "still on disk after the rebuild: \(left)")
        #expect(Self.globex.allSatisfy { Self.holds(files, $0) })
        // A second rebuild finds the forget applied and leaves the account as erased.
        #expect(try await CLI.run(["rebuild", "--data", first.data]).status == 0)
        let again = try Self.everything(under: first.data).files
        #expect(Self.acme.allSatisfy { !Self.holds(again, $0) })
    }

    @Test("Only an admin may forget (or switch rules, or record an alert): a producer's or a CSM's subject.forgotten is a rejected line naming why, and nothing is erased")
    func onlyAnAdminForgets() async throws {
        let s = try await SignedInServer()
        let note = #"{"id":"n","account":"acme","type":"note.added","time":"2026-03-02T09:00:00Z","data":{"author":"x","text":"QZX-KEEP"}}"#
        let noted = try await s.request("POST", "/v1/events", token: s.tokens[.admin]!, headers: [("Content-Type", "application/x-ndjson")], form: note)
        let noteSeq = try #require(try results(noted).first?.seq)
        for role in [Role.producer, .csm] {
            let line = #"{"id":"f-\#(role)","account":"acme","type":"subject.forgotten","time":"2026-03-03T00:00:00Z","data":{}}"#
            let reply = try await s.request("POST", "/v1/events", token: s.tokens[role]!, headers: [("Content-Type", "application/x-ndjson")], form: line)
            // A producer may append, but not this type; a CSM may not append at all.
            #expect(role == .producer ? reply.status == 400 && reply.text.contains("subject.forgotten may be appended by an admin only")
                                      : refusedByRole(reply), "\(role): \(reply.status) \(reply.text)")
        }
        // A rules switch changes every node's scores: an admin's act too.
        let rules = #"{"id":"r-p","account":"throughline:rules","type":"rules.activated","time":"2026-03-03T00:00:00Z","data":{"version":"x","text":"version: x"}}"#
        let switched = try await s.request("POST", "/v1/events", token: s.tokens[.producer]!, headers: [("Content-Type", "application/x-ndjson")], form: rules)
        #expect(switched.status == 400 && switched.text.contains("rules.activated may be appended by an admin only"), "\(switched.text)")
        // Alerts are the server's own: a producer cannot make one up.
        let alert = #"{"id":"a-p","account":"acme","type":"alert.fired","time":"2026-03-03T00:00:00Z","data":{"alerts":"a1","rule":"r","trigger":"flag","reason":"made up"}}"#
        let fired = try await s.request("POST", "/v1/events", token: s.tokens[.producer]!, headers: [("Content-Type", "application/x-ndjson")], form: alert)
        #expect(fired.status == 400 && fired.text.contains("alert.fired may be appended by an admin only"), "\(fired.text)")
        let kept = try await s.request("GET", "/v1/accounts/acme/timeline?min_seq=\(noteSeq)", token: s.tokens[.admin]!)
        #expect(kept.text.contains("QZX-KEEP"))
        let line = #"{"id":"f-admin","account":"acme","type":"subject.forgotten","time":"2026-03-03T00:00:00Z","data":{}}"#
        let reply = try await s.request("POST", "/v1/events", token: s.tokens[.admin]!, headers: [("Content-Type", "application/x-ndjson")], form: line)
        let seq = try #require(try results(reply).first?.seq)
        let erased = try await s.request("GET", "/v1/accounts/acme/timeline?min_seq=\(seq)", token: s.tokens[.admin]!)
        #expect(!erased.text.contains("QZX-KEEP") && erased.text.contains(SealedRecord.erased))
        // The trail names who forgot which account (read once the trail is written, within 200 ms).
        #expect(try await eventually(tries: 50) {
            let trail = try await s.request("GET", "/v1/audit?account=acme", token: s.tokens[.admin]!).text
            return trail.contains(#""action":"forget""#) && trail.contains("token:t-admin") && trail.contains("subject.forgotten at seq \(seq)")
        })
    }
}
