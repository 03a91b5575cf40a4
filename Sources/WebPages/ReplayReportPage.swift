import Scoring
import ThroughlineCore

/// A replay report as one self-contained HTML page (no external assets, no script): the figures
/// of each version, SVG charts of the bands week by week, the lead times and precision and recall
/// per horizon, and the accounts whose band differs, linked to their explanations.
public enum ReplayReportPage {
    static let seriesColours = ["#34495e", "#8e44ad", "#16a085", "#d35400"]

    /// The report as a page: standalone (the file `replay` writes, without the server's
    /// navigation) or inside the server's pages.
    public static func render(_ report: ReplayReport, standalone: Bool, viewer: HTML.Viewer? = nil) -> String {
        let versions = report.versions
        guard !versions.isEmpty else { return HTML.problem("Replay", "the report holds no versions") }
        let title = "Replay: " + versions.map(\.rules).joined(separator: " against ")
        var h = """
            <h1>\(HTML.esc(title))</h1>
            <p>\(report.log.events) events up to seq \(report.log.lastSeq), scored through \(report.log.lastDate).</p>

            """
        func figure(_ v: (some CustomStringConvertible)?) -> String { v.map(\.description) ?? "–" }
        func number(_ v: Double?) -> String { v.map(NumberText.plain) ?? "–" }
        h += "<h2>Figures</h2><table class=\"figures\"><tr><th>rules</th><th>accounts</th><th>churned</th><th>red before churn</th>"
            + "<th>median lead (days)</th><th>red a week</th><th>ROC AUC, 90 days</th><th>override agreement</th>"
            + Backtest.horizons.map { "<th>P / R / F1, \($0) d</th>" }.joined() + "</tr>"
        for v in versions {
            h += "<tr><td>\(HTML.esc(v.rules))</td><td>\(v.accounts)</td><td>\(v.churned)</td>"
                + "<td>\(v.churnedRedBeforehand)</td><td>\(figure(v.medianRedLeadDays))</td>"
                + "<td>\(number(v.redAccountsPerWeek))</td><td>\(number(v.rocAuc90d))</td>"
                + "<td>\(number(v.overrides.agreement)) of \(v.overrides.overrides)</td>"
            h += v.horizons.map { "<td>\(number($0.precision)) / \(number($0.recall)) / \(number($0.f1))</td>" }.joined()
            h += "</tr>"
        }
        h += "</table>"
        h += warningTable(versions)

        h += "<h2>Bands week by week</h2>" + legend(Band.reportOrder.map { ($0.rawValue, HTML.bandColours[$0.rawValue]!) })
        for v in versions {
            h += "<h3>\(HTML.esc(v.rules))</h3>" + bandChart(v)
        }
        h += "<h2>Lead time from the first red day to churn</h2>"
            + legend(versions.enumerated().map { ($1.rules, seriesColours[$0 % seriesColours.count]) }) + leadChart(versions)
        h += "<h2>Precision and recall of red within N days before churn</h2>" + horizonChart(versions)

        if let d = report.bandDifferences, d.rules.count == 2 {
            let (a, b) = (d.rules[0], d.rules[1])
            h += "<h2>Accounts in another band (\(d.accounts))</h2>"
                + "<table><tr><th>account</th><th>date</th><th>\(HTML.esc(a))</th><th>\(HTML.esc(b))</th><th>signals that differ most</th></tr>"
            for item in d.list {
                let account = item.account, date = item.date.description
                let signals = item.signals.map { "\(HTML.esc($0.signal)) \(NumberText.plain($0.points.0)) → \(NumberText.plain($0.points.1))" }
                let explain = { (rules: String) in "/v1/accounts/\(percentEncoded(account))/scores/explain" + queryString([("at", date), ("rules", rules)]) }
                h += "<tr><td>\(HTML.esc(account))</td><td>\(HTML.esc(date))</td>"
                    + "<td><a href=\"\(HTML.esc(explain(a)))\">\(HTML.esc(figure(item.bands.0?.rawValue)))</a></td>"
                    + "<td><a href=\"\(HTML.esc(explain(b)))\">\(HTML.esc(figure(item.bands.1?.rawValue)))</a></td>"
                    + "<td>\(signals.joined(separator: "; "))</td></tr>"
            }
            h += "</table>"
        }
        return HTML.page(title: title, body: h, navigation: !standalone, viewer: viewer)
    }

    /// How early and how precisely red (and yellow-or-red) warns, per version.
    static func warningTable(_ versions: [BacktestReport]) -> String {
        func number(_ v: Double?) -> String { v.map(NumberText.plain) ?? "–" }
        func pct(_ v: Double?) -> String { v.map { NumberText.plain(($0 * 1000).rounded() / 10) + "%" } ?? "–" }
        let leads: String = versions.first?.warnings.first?.leadDays.map { "\($0.fromDays)–\($0.toDays)" }.joined(separator: " / ") ?? ""
        let warnedHeads: String = Backtest.warningLeads.map { "<th>warned ≥ \($0) d</th>" }.joined()
        var h = "<h2>Early warning</h2><p class=\"muted\">Churned accounts in the band on some day from \(Backtest.warningWindow) to N days "
        h += "before the churn (warned with N days to act); an alarm with no churn in the \(Backtest.warningWindow) days after it is false, "
        h += "one too recent for the log to say is pending.</p>"
        h += "<table id=\"warnings\"><tr><th>rules</th><th>alarm</th>" + warnedHeads
        h += "<th>median lead (days)</th><th>precision</th><th>true / false / pending</th><th>per CSM a week (most)</th>"
        h += "<th>leads: \(leads) d</th></tr>"
        for v in versions {
            for w in v.warnings {
                let warned: String = w.warned.map { "<td>\($0.accounts) of \(w.churned) (\(pct($0.share)))</td>" }.joined()
                let counts: String = w.leadDays.map { String($0.accounts) }.joined(separator: " / ")
                h += "<tr><td>\(HTML.esc(v.rules))</td><td>\(HTML.label(w.alarm))</td>" + warned
                h += "<td>\(w.medianLeadDays.map(String.init) ?? "–")</td><td>\(number(w.precision))</td>"
                h += "<td>\(w.trueAlarms) / \(w.falseAlarms) / \(w.pending)</td>"
                h += "<td>\(number(w.perCsmWeek)) (\(number(w.perCsmWeekMost)))</td><td>\(counts)</td></tr>"
            }
        }
        return h + "</table>"
    }

    /// Stacked bars: the accounts in each band on each week's last day.
    static func bandChart(_ v: BacktestReport) -> String {
        let weeks = v.weeks
        guard let firstWeek = weeks.first, let lastWeek = weeks.last else { return "" }
        let counts = weeks.map { w in [w.red, w.yellow, w.green] }
        let top = max(1, counts.map { $0.reduce(0, +) }.max() ?? 1)
        let (width, height, bar) = (900.0, 160.0, 900.0 / Double(weeks.count))
        var svg = "<svg width=\"\(Int(width))\" height=\"\(Int(height) + 20)\" viewBox=\"0 0 \(Int(width)) \(Int(height) + 20)\" role=\"img\">"
        for (i, c) in counts.enumerated() {
            var y = height
            for (k, band) in Band.reportOrder.map(\.rawValue).enumerated() where c[k] > 0 {
                let hgt = Double(c[k]) / Double(top) * height
                y -= hgt
                svg += "<rect x=\"\(HTML.f(Double(i) * bar))\" y=\"\(HTML.f(y))\" width=\"\(HTML.f(max(bar - 1, 1)))\" height=\"\(HTML.f(hgt))\" fill=\"\(HTML.bandColours[band]!)\">"
                    + "<title>\(weeks[i].week): \(c[k]) \(band)</title></rect>"
            }
        }
        svg += "<text x=\"0\" y=\"\(Int(height) + 15)\">\(firstWeek.week)</text>"
            + "<text x=\"\(Int(width))\" y=\"\(Int(height) + 15)\" text-anchor=\"end\">\(lastWeek.week)</text></svg>"
        return svg
    }

    /// A histogram per version of the days from the first red day to the churn, in 10-day bins.
    static func leadChart(_ versions: [BacktestReport]) -> String {
        let bins = Backtest.leadWindow / 10 + 1
        let histograms = versions.map { v -> [Int] in
            var counts = [Int](repeating: 0, count: bins)
            for l in v.leadTimes { if let d = l.redLeadDays { counts[min(bins - 1, d / 10)] += 1 } }
            return counts
        }
        let top = max(1, histograms.flatMap { $0 }.max() ?? 1)
        let (height, group) = (160.0, 900.0 / Double(bins))
        let bar = (group - 4) / Double(max(1, versions.count))
        var svg = "<svg width=\"900\" height=\"\(Int(height) + 20)\" viewBox=\"0 0 900 \(Int(height) + 20)\" role=\"img\">"
        for (k, counts) in histograms.enumerated() {
            for (i, c) in counts.enumerated() where c > 0 {
                let hgt = Double(c) / Double(top) * height
                svg += "<rect x=\"\(HTML.f(Double(i) * group + Double(k) * bar))\" y=\"\(HTML.f(height - hgt))\" width=\"\(HTML.f(bar))\" height=\"\(HTML.f(hgt))\" "
                    + "fill=\"\(seriesColours[k % seriesColours.count])\"><title>\(i * 10)–\(i * 10 + 9) days: \(c)</title></rect>"
            }
        }
        for i in stride(from: 0, to: bins, by: 3) { svg += "<text x=\"\(HTML.f(Double(i) * group))\" y=\"\(Int(height) + 15)\">\(i * 10)</text>" }
        return svg + "</svg>"
    }

    /// Grouped bars: precision and recall per horizon, per version.
    static func horizonChart(_ versions: [BacktestReport]) -> String {
        let height = 140.0, group = 280.0
        var svg = "<svg width=\"900\" height=\"\(Int(height) + 20)\" viewBox=\"0 0 900 \(Int(height) + 20)\" role=\"img\">"
        for (i, n) in Backtest.horizons.enumerated() {
            for (k, v) in versions.enumerated() where i < v.horizons.count {
                let horizon = v.horizons[i]
                for (j, (metric, value)) in [("precision", horizon.precision), ("recall", horizon.recall)].enumerated() {
                    let x = Double(i) * group + Double(k * 2 + j) * 30
                    svg += "<rect x=\"\(HTML.f(x))\" y=\"\(HTML.f(height * (1 - (value ?? 0))))\" width=\"26\" height=\"\(HTML.f(height * (value ?? 0)))\" "
                        + "fill=\"\(seriesColours[k % seriesColours.count])\" fill-opacity=\"\(j == 0 ? "1" : "0.55")\">"
                        + "<title>\(HTML.esc(v.rules)), \(metric), \(n) days: \(value.map(NumberText.plain) ?? "–")</title></rect>"
                }
            }
            svg += "<text x=\"\(HTML.f(Double(i) * group))\" y=\"\(Int(height) + 15)\">\(n) days (precision solid, recall light)</text>"
        }
        return svg + "</svg>"
    }

    static func legend(_ items: [(String, String)]) -> String {
        "<p class=\"legend\">" + items.map { "<span><i class=\"swatch\" style=\"background:\($1)\"></i>\(HTML.esc($0))</span>" }.joined() + "</p>"
    }

}

extension ReplayReportPage {
    /// One replay kept under the server's replays directory.
    public struct Listed: Sendable {
        public var id: String
        public var report: ReplayReport?
        public var problem: String?

        public init(id: String, report: ReplayReport?, problem: String?) {
            self.id = id
            self.report = report
            self.problem = problem
        }
    }

    /// `/replays`: the what-if reports the server can show, newest rules first as listed.
    public static func index(_ replays: [Listed], viewer: HTML.Viewer? = nil) -> String {
        var h = "<h1>What-if reports</h1><p class=\"muted\">Replays written to the server's replays directory "
            + "(<code>throughline replay --rules FILE --baseline active</code> writes one there).</p>"
        guard !replays.isEmpty else { return HTML.page(title: "What-if reports", body: h + "<p>No replay yet.</p>", viewer: viewer) }
        h += "<table id=\"replays\"><tr><th>report</th><th>rules</th><th>events</th><th>scored through</th></tr>"
        for r in replays {
            let versions = r.report.map { $0.versions.map(\.rules).joined(separator: " against ") } ?? "–"
            h += "<tr><td><a href=\"/replays/\(HTML.esc(percentEncoded(r.id)))\">\(HTML.esc(r.id))</a></td>"
                + (r.problem.map { "<td colspan=\"3\" class=\"error\">\(HTML.esc($0))</td>" }
                    ?? "<td>\(HTML.esc(versions))</td><td class=\"num\">\(r.report.map { String($0.log.events) } ?? "–")</td><td>\(r.report.map { $0.log.lastDate.description } ?? "–")</td>")
                + "</tr>"
        }
        return HTML.page(title: "What-if reports", body: h + "</table>", viewer: viewer)
    }
}
