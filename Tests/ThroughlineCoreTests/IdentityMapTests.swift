import Testing
import ThroughlineCore

@Suite("Identity: references and merges")
struct IdentityMapTests {
    typealias S = IdentityMap.Statement

    static func link(_ ref: String, _ account: String, _ t: Int64, seq: UInt64) -> S {
        S(kind: .link, subject: AccountRef(system: "helpdesk", id: ref).key, target: account, time: t, id: "l-\(seq)", seq: seq)
    }

    static func unlink(_ ref: String, _ account: String, _ t: Int64, seq: UInt64) -> S {
        S(kind: .unlink, subject: AccountRef(system: "helpdesk", id: ref).key, target: account, time: t, id: "u-\(seq)", seq: seq)
    }

    static func merge(_ from: String, into: String, _ t: Int64, seq: UInt64) -> S {
        S(kind: .merge, subject: from, target: into, time: t, id: "m-\(seq)", seq: seq)
    }

    static func unmerge(_ account: String, _ t: Int64, seq: UInt64) -> S {
        S(kind: .unmerge, subject: account, target: account, time: t, id: "x-\(seq)", seq: seq)
    }

    static let ref1 = AccountRef(system: "helpdesk", id: "org-1").key

    @Test("A reference belongs to the account it is linked to, through merges; the map is the same whatever order the statements came in")
    func resolution() {
        let statements = [
            Self.link("org-1", "acme", 100, seq: 5), Self.link("org-2", "beta", 50, seq: 1),
            Self.merge("acme", into: "acme-hq", 300, seq: 2), Self.unlink("org-2", "beta", 60, seq: 9),
            Self.link("org-3", "gamma", 10, seq: 3), Self.merge("gamma", into: "delta", 20, seq: 4), Self.unmerge("gamma", 30, seq: 8),
        ]
        let map = IdentityMap(statements)
        #expect(map.account(of: Self.ref1) == "acme-hq")
        #expect(map.account(of: "acme") == "acme-hq")
        #expect(map.account(of: AccountRef(system: "helpdesk", id: "org-2").key) == AccountRef(system: "helpdesk", id: "org-2").key)  // unlinked later
        #expect(map.account(of: AccountRef(system: "helpdesk", id: "org-3").key) == "gamma")  // unmerged later
        #expect(map.account(of: "gamma") == "gamma" && map.account(of: "unknown") == "unknown")
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20 { #expect(IdentityMap(statements.shuffled(using: &rng)) == map) }
        #expect(map.problems.isEmpty)
    }

    @Test("Of two links of one reference the later holds, whichever arrived first; a merge that would close a cycle is refused; both are reported")
    func conflicts() {
        let map = IdentityMap([Self.link("org-1", "late", 200, seq: 1), Self.link("org-1", "early", 100, seq: 2)])
        #expect(map.account(of: Self.ref1) == "late")
        #expect(map.problems.map(\.kind) == [.relinked] && map.problems[0].seqs == [2, 1])
        let cycle = IdentityMap([Self.merge("a", into: "b", 10, seq: 1), Self.merge("b", into: "c", 20, seq: 2), Self.merge("c", into: "a", 30, seq: 3)])
        #expect(cycle.account(of: "a") == "c" && cycle.account(of: "b") == "c" && cycle.account(of: "c") == "c")
        #expect(cycle.problems.map(\.kind) == [.mergeCycle] && cycle.problems[0].seqs == [3])
        // Undone, the merge that closed the cycle no longer would, but it was refused when it came.
        let after = IdentityMap([Self.merge("a", into: "b", 10, seq: 1), Self.merge("b", into: "a", 20, seq: 2), Self.unmerge("a", 30, seq: 3)])
        #expect(after.account(of: "a") == "a" && after.account(of: "b") == "b")
    }

    @Test("The change between two maps names every key that moves, with both accounts")
    func changes() {
        let before = IdentityMap([Self.link("org-1", "acme", 100, seq: 1)])
        let after = IdentityMap([Self.link("org-1", "acme", 100, seq: 1), Self.merge("acme", into: "hq", 200, seq: 2)])
        let moved = before.changes(to: after)
        #expect(moved.map(\.key) == [Self.ref1, "acme"].sorted())
        #expect(moved.allSatisfy { $0.to == "hq" })
        #expect(after.changes(to: after).isEmpty)
    }

    @Test("An event may name its account by another system's reference; it is filed under the reference's key and dumps as it was sent")
    func accountRef() throws {
        let line = #"{"id":"zd-1","account_ref":{"system":"helpdesk","id":"org-4711"},"type":"ticket.opened","time":"2026-03-02T09:14:00Z","data":{"ticket_id":"48213","priority":"high"}}"#
        let e = try EventDecoder.decode(line)
        #expect(e.accountRef == AccountRef(system: "helpdesk", id: "org-4711"))
        #expect(AccountRef.isKey(e.account) && !AccountRef.isKey("acme"))
        #expect(JSONWriter.string(e.jsonValue) == #"{"id":"zd-1","account_ref":{"system":"helpdesk","id":"org-4711"},"type":"ticket.opened","time":"2026-03-02T09:14:00Z","data":{"ticket_id":"48213","priority":"high"}}"#)
        func problem(_ text: String) -> String? {
            do {
                _ = try EventDecoder.decode(text)
                return nil
            } catch {
                return error.description
            }
        }
        #expect(problem(#"{"id":"m","account":"acme","type":"account.merged","time":"2026-03-02T09:14:00Z","data":{"into":"acme"}}"#)
            == "data.into: names the event's own account: an account is not merged into itself")
        #expect(problem(#"{"id":"x","account_ref":{"system":"Help","id":"1"},"type":"note.added","time":"2026-03-02T09:14:00Z","data":{"author":"a","text":"b"}}"#)?
            .hasPrefix("account_ref.system: must be a system's name in lowercase letters") == true)
        #expect(problem(#"{"id":"x","account_ref":{"system":"help","id":"1"},"type":"identity.linked","time":"2026-03-02T09:14:00Z","data":{"ref":{"system":"a","id":"b"}}}"#)
            == "account_ref: identity.linked names the account by its Throughline id (account), not by a reference")
        #expect(problem(#"{"id":"x","type":"note.added","time":"2026-03-02T09:14:00Z","data":{"author":"a","text":"b"}}"#)
            == "account: is required (or account_ref, naming the account by another system's id)")
        #expect(problem(#"{"id":"x","account":"a","type":"identity.linked","time":"2026-03-02T09:14:00Z","data":{"ref":{"system":"crm","id":"1","x":2}}}"#)
            == "data.ref.x: is not a field of a reference (system, id)")
    }
}
