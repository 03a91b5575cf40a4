import Testing
import TestSupport
import ThroughlineCore

/// Churned accounts leave the portfolio's default view: a filter shows them, marked churned,
/// without attention flags. The latest outcome by event time decides, whatever the arrival order.
@Suite("Churned accounts in the portfolio")
struct PortfolioStatusTests {
    @Test("Default: churned accounts are left out; status=churned shows them marked and without flags; a later renewal brings one back")
    func churnedLeaveTheDefaultView() async throws {
        let s = try await RunningServer(in: TempDir()) { $0.clock = .fixed(Timestamp(rfc3339: "2026-06-01T08:00:00Z")!.microseconds) }
        func event(_ id: String, _ account: String, _ type: String, _ time: String, _ data: String = "{}") -> String {
            #"{"id":"\#(id)","account":"\#(account)","type":"\#(type)","time":"\#(time)","data":\#(data)}"#
        }
        let lines = [
            event("p1", "gone", "account.updated", "2026-01-05T00:00:00Z", #"{"name":"Gone Co","csm":"maria"}"#),
            event("p2", "kept", "account.updated", "2026-01-05T00:00:00Z", #"{"name":"Kept Co","csm":"maria"}"#),
            event("p3", "back", "account.updated", "2026-01-05T00:00:00Z", #"{"name":"Back Co","csm":"maria"}"#),
            // Gone churned in March; no human contact since January: it would raise flags.
            event("c1", "gone", "account.churned", "2026-03-01T00:00:00Z"),
            // Back: the renewal is later than the churn by event time, though it arrives first.
            event("r2", "back", "account.renewed", "2026-04-01T00:00:00Z"),
            event("c2", "back", "account.churned", "2026-02-01T00:00:00Z"),
        ]
        let last = try #require(int(try json(try await s.post(lines.joined(separator: "\n")))["last_seq"]))
        func accounts(_ query: String) async throws -> [JSONValue] {
            guard case .array(let list)? = try json(try await s.get("/v1/accounts?min_seq=\(last)&sort=account" + query))["accounts"] else { return [] }
            return list
        }
        #expect(try await accounts("").map { $0["account"]?.stringValue } == ["back", "kept"])
        #expect(try await accounts("&status=all").map { $0["account"]?.stringValue } == ["back", "gone", "kept"])
        let churned = try await accounts("&status=churned&flag=no_human_contact_60d")
        #expect(churned.isEmpty)
        let shown = try await accounts("&status=churned")
        #expect(shown.map { $0["account"]?.stringValue } == ["gone"] && shown.first?["churned"] == .string("2026-03-01"))
        // With every account's flags (the page asks so), the churned one carries none.
        #expect(try await accounts("&flag=no_human_contact_60d").map { $0["account"]?.stringValue } == ["back", "kept"])
        let page = try await s.get("/?status=churned").text
        #expect(page.contains("churned 2026-03-01") && page.contains("Gone Co") && !page.contains("Kept Co"))
        #expect(!(try await s.get("/").text.contains("Gone Co")))
        #expect(try await s.get("/v1/accounts?status=gone").status == 400)
        try await s.stop()
    }
}
