import Testing
import ThroughlineCore
@testable import WebPages

@Suite("The what-if report page")
struct ReplayReportPageTests {
    static let hostile = "<script>alert('x')</script>,\"q\""

    static let report = JSONValue.object([
        JSONMember("log", .object([])),
        JSONMember("versions", .array([.object([JSONMember("rules", .string("v<1>")), JSONMember("weeks", .array([]))]),
                                       .object([JSONMember("rules", .string("v2")), JSONMember("weeks", .array([]))])])),
        JSONMember("band_differences", .object([
            JSONMember("rules", .array([.string("v<1>"), .string("v2")])), JSONMember("accounts", .number("1")),
            JSONMember("list", .array([.object([JSONMember("account", .string(hostile)),
                                                 JSONMember("date", .string("2026-01-01")), JSONMember("v<1>", .string("red")),
                                                 JSONMember("v2", .string("green"))])])),
        ])),
    ])

    @Test("The report escapes what comes from events and links each differing account to its explanation")
    func escapes() {
        for standalone in [true, false] {
            let html = ReplayReportPage.render(Self.report, standalone: standalone)
            #expect(!html.contains("<script>") && html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"))
            #expect(html.contains("/v1/accounts/%3Cscript%3Ealert%28%27x%27%29%3C%2Fscript%3E%2C%22q%22/scores/explain"))
            #expect(!html.contains("v<1>"))
            // The file written beside the report stands alone: no link to the server's pages.
            #expect(html.contains("href=\"/replays\"") == !standalone)
        }
    }
}
