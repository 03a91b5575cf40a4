import Testing
import TestSupport
import ThroughlineCore

/// The overrides that disagree with the computed band, oldest first: the inbox the rules learn from.
@Suite("The override inbox")
struct OverrideInboxTests {
    @Test("Lists the overrides in force that name another band than the rules compute, oldest first; not the expired, agreeing or churned ones")
    func disagreeingOldestFirst() async throws {
        let s = try await RunningServer(in: TempDir()) { $0.clock = .fixed(Timestamp(rfc3339: "2026-06-01T08:00:00Z")!.microseconds) }
        func event(_ id: String, _ account: String, _ type: String, _ time: String, _ data: String = "{}", actor: String = "csm:maria") -> String {
            #"{"id":"\#(id)","account":"\#(account)","type":"\#(type)","time":"\#(time)","actor":"\#(actor)","data":\#(data)}"#
        }
        func override(_ id: String, _ account: String, _ time: String, _ band: String, expires: String? = nil) -> String {
            event(id, account, "health.override", time, #"{"author":"maria","band":"\#(band)","reason":"knows better"\#(expires.map { #","expires":"\#($0)""# } ?? "")}"#)
        }
        // Every account had a call yesterday: the rules compute green for each (the only signal with input).
        let accounts = ["late", "early", "agrees", "expired", "gone"]
        var lines = accounts.enumerated().map { i, a in event("c\(i)", a, "call.completed", "2026-05-31T10:00:00Z", #"{"duration_s":600,"team":"success"}"#) }
        lines += [
            override("o1", "late", "2026-05-20T09:00:00Z", "red"),
            override("o2", "early", "2026-04-02T09:00:00Z", "yellow"),
            override("o3", "agrees", "2026-04-01T09:00:00Z", "green"),
            override("o4", "expired", "2026-03-01T09:00:00Z", "red", expires: "2026-05-01"),
            override("o5", "gone", "2026-03-01T09:00:00Z", "red"),
            event("x5", "gone", "account.churned", "2026-05-15T00:00:00Z"),
        ]
        let last = try #require(int(try json(try await s.post(lines.joined(separator: "\n")))["last_seq"]))
        #expect(try await eventually(tries: 300) {
            let health = try json(try await s.get("/v1/health"))
            return int(health["projected_seq"]) == last && health["scores"]?["current"] == .bool(true)
        })
        let inbox = try json(try await s.get("/v1/overrides?min_seq=\(last)"))
        guard case .array(let list)? = inbox["disagreeing"] else { throw TestFailure("no list") }
        #expect(list.map { $0["account"]?.stringValue } == ["early", "late"])
        #expect(list.first?["band"] == .string("yellow") && list.first?["computed_band"] == .string("green"))
        #expect(inbox["in_force"] == .number("3") && inbox["as_of"] == .string("2026-06-01T08:00:00Z"))
        let page = try await s.get("/overrides")
        #expect(page.status == 200 && page.text.contains("2 of the 3 overrides in force") && page.text.contains("knows better"))
        #expect(try await s.get("/v1/overrides?at=never").status == 400)
        try await s.stop()
    }
}
