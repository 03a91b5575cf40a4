import Testing
import TestSupport
import ThroughlineCore

/// "Now" comes from the server's clock: a pinned clock decides what the context view, the
/// portfolio and the pages say without `at`, and the `recorded` stamp of what is appended.
@Suite("An injected clock")
struct ClockTests {
    @Test("With the clock pinned, reads without a time answer as of it, and appended events are recorded at it")
    func pinned() async throws {
        let now = try #require(Timestamp(rfc3339: "2026-06-01T08:00:00Z")).microseconds
        let s = try await RunningServer(in: TempDir()) { $0.clock = .fixed(now) }
        let call = #"{"id":"c1","account":"acme","type":"call.completed","time":"2026-03-25T15:00:00Z","actor":"csm:maria","data":{"duration_s":600,"team":"success"}}"#
        let last = try #require(int(try json(try await s.post(call))["last_seq"]))

        let view = try json(try await s.get("/v1/accounts/acme/context?min_seq=\(last)"))
        #expect(view["as_of"] == .string("2026-06-01T08:00:00Z"))
        #expect(view["days_since_human_contact"] == .number("67"))
        guard case .array(let flags)? = view["flags"] else { throw TestFailure("no flags") }
        #expect(flags.contains { $0["flag"]?.stringValue == "no_human_contact_60d" })
        // The same store asked about an earlier time says less time has passed.
        #expect(try json(try await s.get("/v1/accounts/acme/context?at=2026-04-01"))["days_since_human_contact"] == .number("6"))

        let portfolio = try await s.get("/v1/accounts?flag=no_human_contact_60d")
        #expect(portfolio.text.contains(#""acme""#))
        #expect(try await s.get("/accounts/acme").text.contains("67 days"))

        let stored = try await s.get("/v1/events?limit=1")
        #expect(stored.text.contains(#""recorded":"2026-06-01T08:00:00Z""#))
        try await s.stop()
    }
}
