import Testing
import TestSupport
import ThroughlineCore
@testable import WebPages

@Suite("The what-if report page")
struct ReplayReportPageTests {
    static let hostile = "<script>alert('x')</script>,\"q\""

    static let report = hostileReplayReport(account: hostile)

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
