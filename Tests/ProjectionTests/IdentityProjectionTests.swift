import EventLog
import Foundation
@testable import Projections
import Scoring
import Testing
import TestSupport
import ThroughlineCore

/// Generated events rewritten the way other systems send them: the help desk names accounts 0-5
/// by its organisation ids, telemetry accounts 3-8 by workspace ids; account 9's calls come from a
/// duplicate the CRM merges; links come at times of their own, one reference stays unlinked, one
/// is linked to the wrong account first, one is unlinked and linked again, one merge is undone
/// and one would close a cycle.
enum IdentityLines {
    static func account(_ n: Int) -> String { String(format: "acct-%05d", n) }
    static func helpdesk(_ n: Int) -> AccountRef { AccountRef(system: "helpdesk", id: "org-\(n)") }
    static func telemetry(_ n: Int) -> AccountRef { AccountRef(system: "telemetry", id: "ws-\(n)") }

    /// The lines, and where each account's events end up (the resolution the test expects).
    static func make() throws -> (lines: [String], owner: (String) -> String) {
        var out: [String] = []
        var firstTime: [String: String] = [:]
        for line in generatedLines(accounts: 12, days: 120, seed: 4, peopleShare: 0.6) {
            guard case .object(var members) = try JSONParser.parse(line), case .string(let account)? = JSONValue.object(members)["account"],
                  case .string(let type)? = JSONValue.object(members)["type"], case .string(let time)? = JSONValue.object(members)["time"]
            else { throw DecodeError(offset: 0, reason: "not an event: \(line)") }
            firstTime[account] = min(firstTime[account] ?? time, time)
            let n = Int(account.suffix(5))!
            let ref: AccountRef? = (type.hasPrefix("ticket.") || type == "contact.updated") && n <= 5 ? helpdesk(n) : type == "usage.recorded" && (3...8).contains(n) ? telemetry(n) : nil
            if let ref, let i = members.firstIndex(where: { $0.key == "account" }) {
                members[i] = JSONMember("account_ref", ref.jsonValue)
            } else if type == "call.completed" && n == 9, let i = members.firstIndex(where: { $0.key == "account" }) {
                members[i] = JSONMember("account", .string(account + "-dup"))
            }
            out.append(JSONWriter.string(.object(members)))
        }
        func event(_ id: String, _ account: String, _ type: String, _ time: String, _ data: String) -> String {
            #"{"id":"\#(id)","account":"\#(account)","type":"\#(type)","time":"\#(time)","data":\#(data)}"#
        }
        func ref(_ r: AccountRef) -> String { JSONWriter.string(r.jsonValue) }
        for n in 0...4 { out.append(event("link-h\(n)", account(n), "identity.linked", firstTime[account(n)]!, #"{"ref":\#(ref(helpdesk(n)))}"#)) }
        for n in 3...7 { out.append(event("link-t\(n)", account(n), "identity.linked", "2026-01-0\(n)T00:00:00Z", #"{"ref":\#(ref(telemetry(n)))}"#)) }
        // ws-8: first linked to the wrong account, then to the right one (the later link holds).
        out.append(event("link-t8-wrong", account(7), "identity.linked", "2025-12-01T00:00:00Z", #"{"ref":\#(ref(telemetry(8)))}"#))
        out.append(event("link-t8", account(8), "identity.linked", "2025-12-02T00:00:00Z", #"{"ref":\#(ref(telemetry(8)))}"#))
        // ws-6: unlinked, then linked again.
        out.append(event("unlink-t6", account(6), "identity.unlinked", "2026-02-01T00:00:00Z", #"{"ref":\#(ref(telemetry(6)))}"#))
        out.append(event("relink-t6", account(6), "identity.linked", "2026-02-02T00:00:00Z", #"{"ref":\#(ref(telemetry(6)))}"#))
        // helpdesk org-5 is never linked. The duplicate of account 9 is merged into it.
        out.append(event("merge-9", account(9) + "-dup", "account.merged", firstTime[account(9)]!, #"{"into":"\#(account(9))"}"#))
        // Account 10 merged into 11, then undone; 11 merged into 10 would then be fine, and is.
        out.append(event("merge-10", account(10), "account.merged", "2026-01-10T00:00:00Z", #"{"into":"\#(account(11))"}"#))
        out.append(event("unmerge-10", account(10), "account.unmerged", "2026-01-11T00:00:00Z", "{}"))
        // Two small accounts: a merged into b, then b into a (a cycle: refused).
        out.append(event("note-a", "cyc-a", "note.added", "2026-01-01T00:00:00Z", #"{"author":"maria","text":"hello"}"#))
        out.append(event("note-b", "cyc-b", "note.added", "2026-01-02T00:00:00Z", #"{"author":"maria","text":"hi"}"#))
        out.append(event("merge-a", "cyc-a", "account.merged", "2026-01-03T00:00:00Z", #"{"into":"cyc-b"}"#))
        out.append(event("merge-b", "cyc-b", "account.merged", "2026-01-04T00:00:00Z", #"{"into":"cyc-a"}"#))
        let owner: (String) -> String = { key in
            if let r = AccountRef(key: key) {
                let n = Int(r.id.split(separator: "-").last!)!
                return r.system == "helpdesk" ? (n <= 4 ? account(n) : key) : account(n)
            }
            if key == account(9) + "-dup" { return account(9) }
            if key == "cyc-a" { return "cyc-b" }
            return key
        }
        return (out, owner)
    }
}

@Suite("Identity in the read models")
struct IdentityProjectionTests {
    /// The item keys each account should have, counted from the NDJSON with the expected owners.
    static func expectedItems(_ lines: [String], _ owner: (String) -> String) throws -> [String: Set<String>] {
        var expected: [String: Set<String>] = [:]
        for line in lines {
            let e = try EventDecoder.decode(line)
            let key: String
            switch try e.payload() {
            case .ticketOpened(let t): key = "t:" + t.ticketId
            case .ticketUpdated(let t): key = "t:" + t.ticketId
            case .ticketClosed(let t): key = "t:" + t.ticketId
            case .usageRecorded(let u): key = "u:" + TimelineBuilder.weekStart(u.periodStart).description
            default: key = "e:" + e.id
            }
            expected[owner(e.account), default: []].insert(key)
        }
        return expected
    }

    @Test("Events named by references join their account whenever the link comes, merges move whole accounts: live over a shuffled delivery in small batches equals a rebuild table by table, and each account holds its own events and its references'")
    func liveEqualsRebuild() throws {
        let (lines, owner) = try IdentityLines.make()
        var rng = SystemRandomNumberGenerator()
        let (dir, live) = try projected(lines.shuffled(using: &rng), batchSize: 53, scoreEachBatch: true)
        for (account, keys) in try Self.expectedItems(lines, owner) where !AccountRef.isKey(account) {
            let items = try allItems(live, account).filter { $0.kind != .bandChange }
            #expect(Set(items.map(\.key)) == keys, "\(account)")
        }
        #expect(try live.unlinked().references.map { "\($0.system):\($0.id)" }.sorted() == ["helpdesk:org-5"])
        #expect(try live.unlinked().references.first?.events == lines.filter { $0.contains(#""id":"org-5""#) }.count)
        #expect(try live.mergedInto(IdentityLines.account(9) + "-dup") == IdentityLines.account(9))
        #expect(try live.mergedInto("cyc-a") == "cyc-b" && live.mergedInto("cyc-b") == nil && live.mergedInto(IdentityLines.account(10)) == nil)
        #expect(try live.timeline(IdentityLines.account(9) + "-dup", TimelineFilter()) == nil)
        let portfolio = try live.portfolio(PortfolioFilter()).accounts.map(\.account)
        #expect(!portfolio.contains { AccountRef.isKey($0) } && portfolio.contains("cyc-b") && !portfolio.contains("cyc-a"))

        let before = try live.allRows()
        let store = try EventStore(directory: dir.path, holder: "test")
        defer { try? store.close() }
        try Rebuild.run(store.snapshot(), directory: dir.path, eventsPerPart: 3_000)
        let rebuilt = try ProjectionStore(directory: dir.path).allRows()
        for (table, rows) in before {
            let other = rebuilt[table] ?? []
            let differing = zip(rows, other).first { $0 != $1 }.map { "live \($0.0)\nrebuilt \($0.1)" }
            #expect(other.count == rows.count && differing == nil, "\(table): \(rows.count) rows against \(other.count); \(differing ?? "")")
        }
    }

    @Test("Live equals replay with references and merges: each account's scores from the live read models equal a replay's, with or without the read models' map as a hint")
    func liveEqualsReplay() throws {
        let (lines, _) = try IdentityLines.make()
        var rng = SystemRandomNumberGenerator()
        let (dir, live) = try projected(lines.shuffled(using: &rng), batchSize: 211, scoreEachBatch: true)
        let store = try EventStore(directory: dir.path, holder: "test")
        defer { try? store.close() }
        let spill = TempDir()
        var hinted = Replay.Options()
        hinted.identity = ProjectionStore.identityMap(directory: dir.path)
        #expect(!hinted.identity.owners.isEmpty)
        for options in [Replay.Options(), hinted] {
            let result = try Replay.run(store.snapshot(), rules: [DefaultRules.load()], spill: spill.path + "/spill", options: options)
            #expect(result.accounts[0].map(\.account) == ((0...11).map(IdentityLines.account) + ["cyc-b"]).sorted())
            for a in result.accounts[0] {
                #expect(a.series == (try live.scoreSeries(a.account)?.series), "\(a.account)")
            }
        }
    }
}
