import Scoring
import ThroughlineCore

/// `/patterns`: the cohorts whose tickets, usage or sentiment moved together, newest first, each
/// with its accounts and the release it followed; and the accounts resembling churned ones.
public enum PatternsPage {
    public static func render(cohorts: [CohortPattern], resemblances: [Resemblance], weeks: Int?, through: Int, viewer: HTML.Viewer? = nil) -> String {
        func link(_ a: String) -> String { "<a href=\"/accounts/\(HTML.esc(percentEncoded(a)))\">\(HTML.esc(a))</a>" }
        var h = "<h1>Patterns across accounts</h1><p class=\"muted\">through \(CalendarDate(daysSinceEpoch: through)) · "
            + (weeks.map { "moves that started in the last \($0) full weeks · <a href=\"/patterns?weeks=0\">every week</a>" } ?? "every week read · <a href=\"/patterns\">the last year</a>")
            + "</p><h2>Cohorts that moved together</h2>"
        if cohorts.isEmpty {
            h += "<p>None: no group of accounts moved against its own baseline.</p>"
        } else {
            h += "<table id=\"cohorts\"><tr><th>from</th><th>cohort</th><th>what moved</th><th>accounts</th><th>after</th></tr>"
            for p in cohorts {
                let change = p.baseline == 0 ? "" : " (\(p.peak >= p.baseline ? "+" : "")\(NumberText.plain(((p.peak - p.baseline) / abs(p.baseline) * 100).rounded()))%)"
                h += "<tr><td>\(CalendarDate(daysSinceEpoch: p.startDay))\(p.weeks > 1 ? "<br><span class=\"muted\">\(p.weeks) weeks</span>" : "")</td>"
                    + "<td>\(HTML.esc(p.cohort))<br><span class=\"muted\">\(p.cohortSize) accounts</span></td>"
                    + "<td>\(HTML.esc(p.metric.replacingOccurrences(of: ":", with: " ").replacingUnderscores)) \(p.direction): "
                    + "\(HTML.esc(NumberText.plain((p.baseline * 10).rounded() / 10))) → \(HTML.esc(NumberText.plain((p.peak * 10).rounded() / 10))) a week\(change)"
                    + "<br><span class=\"muted\">\(HTML.esc(NumberText.plain(p.z))) standard deviations</span></td>"
                    + "<td>\(p.accounts.count): " + p.accounts.prefix(12).map(link).joined(separator: ", ") + (p.accounts.count > 12 ? " …" : "") + "</td>"
                    + "<td>\(p.release.map { "release <b>\(HTML.esc($0))</b>" + (p.releaseDay.map { " (\(CalendarDate(daysSinceEpoch: $0)))" } ?? "") } ?? "–")</td></tr>"
            }
            h += "</table>"
        }
        h += "<h2>Accounts that resemble churned ones</h2>"
        if resemblances.isEmpty {
            h += "<p>None: no live account's last 13 weeks of scores are nearest to trajectories a churn followed.</p>"
        } else {
            h += "<table id=\"resemblances\"><tr><th>account</th><th>of its nearest, followed by a churn</th><th>resembles</th></tr>"
            for r in resemblances {
                h += "<tr><td>\(link(r.account))</td><td>\(NumberText.plain((r.share * 100).rounded()))%</td><td>"
                    + r.resembles.prefix(5).map { "\(link($0.account)) (churned \(CalendarDate(daysSinceEpoch: $0.churnDay)))" }.joined(separator: ", ") + "</td></tr>"
            }
            h += "</table>"
        }
        return HTML.page(title: "Patterns", body: h, viewer: viewer)
    }
}
