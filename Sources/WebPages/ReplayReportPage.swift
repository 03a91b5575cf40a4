import Scoring
import ThroughlineCore

/// A replay report as one self-contained HTML page (no external assets, no script): the figures
/// of each version, SVG charts of the bands week by week, the lead times and precision and recall
/// per horizon, and the accounts whose band differs, linked to their explanations.
public enum ReplayReportPage {
    static let seriesColours = ["#34495e", "#8e44ad", "#16a085", "#d35400"]

    /// The report as a page: standalone (the file `replay` writes, without the server's
    /// navigation) or inside the server's pages.
    public static func render(_ report: JSONValue, standalone: Bool) -> String {
        guard case .array(let versions)? = report["versions"] else { return HTML.problem("Replay", "the report holds no versions") }
        let log = report["log"] ?? .null
        let title = "Replay: " + versions.map { HTML.text($0["rules"]) }.joined(separator: " against ")
        var h = """
            <h1>\(HTML.esc(title))</h1>
            <p>\(HTML.esc(HTML.text(log["events"]))) events up to seq \(HTML.esc(HTML.text(log["last_seq"]))), scored through \(HTML.esc(HTML.text(log["last_date"]))).</p>

            """
        h += "<h2>Figures</h2><table class=\"figures\"><tr><th>rules</th><th>accounts</th><th>churned</th><th>red before churn</th>"
            + "<th>median lead (days)</th><th>red a week</th><th>ROC AUC, 90 days</th><th>override agreement</th>"
            + Backtest.horizons.map { "<th>P / R / F1, \($0) d</th>" }.joined() + "</tr>"
        for v in versions {
            h += "<tr><td>\(HTML.esc(HTML.text(v["rules"])))</td><td>\(HTML.text(v["accounts"]))</td><td>\(HTML.text(v["churned"]))</td>"
                + "<td>\(HTML.text(v["churned_red_beforehand"]))</td><td>\(HTML.text(v["median_red_lead_days"]))</td>"
                + "<td>\(HTML.text(v["red_accounts_per_week"]))</td><td>\(HTML.text(v["roc_auc_90d"]))</td>"
                + "<td>\(HTML.text(v["overrides"]?["agreement"])) of \(HTML.text(v["overrides"]?["overrides"]))</td>"
            if case .array(let horizons)? = v["horizons"] {
                h += horizons.map { "<td>\(HTML.text($0["precision"])) / \(HTML.text($0["recall"])) / \(HTML.text($0["f1"]))</td>" }.joined()
            }
            h += "</tr>"
        }
        h += "</table>"

        h += "<h2>Bands week by week</h2>" + legend(["red", "yellow", "green"].map { ($0, HTML.bandColours[$0]!) })
        for v in versions {
            h += "<h3>\(HTML.esc(HTML.text(v["rules"])))</h3>" + bandChart(v)
        }
        h += "<h2>Lead time from the first red day to churn</h2>"
            + legend(versions.enumerated().map { (HTML.text($1["rules"]), seriesColours[$0 % seriesColours.count]) }) + leadChart(versions)
        h += "<h2>Precision and recall of red within N days before churn</h2>" + horizonChart(versions)

        if let d = report["band_differences"], case .array(let names)? = d["rules"], case .array(let list)? = d["list"], names.count == 2 {
            let (a, b) = (HTML.text(names[0]), HTML.text(names[1]))
            h += "<h2>Accounts in another band (\(HTML.text(d["accounts"])))</h2>"
                + "<table><tr><th>account</th><th>date</th><th>\(HTML.esc(a))</th><th>\(HTML.esc(b))</th><th>signals that differ most</th></tr>"
            for item in list {
                let account = HTML.text(item["account"]), date = HTML.text(item["date"])
                var signals: [String] = []
                if case .array(let s)? = item["signals"] {
                    signals = s.map { "\(HTML.esc(HTML.text($0["signal"]))) \(HTML.text($0["points"]?[a])) → \(HTML.text($0["points"]?[b]))" }
                }
                let explain = { (rules: String) in "/v1/accounts/\(percentEncoded(account))/scores/explain" + queryString([("at", date), ("rules", rules)]) }
                h += "<tr><td>\(HTML.esc(account))</td><td>\(HTML.esc(date))</td>"
                    + "<td><a href=\"\(HTML.esc(explain(a)))\">\(HTML.esc(HTML.text(item[a])))</a></td>"
                    + "<td><a href=\"\(HTML.esc(explain(b)))\">\(HTML.esc(HTML.text(item[b])))</a></td>"
                    + "<td>\(signals.joined(separator: "; "))</td></tr>"
            }
            h += "</table>"
        }
        return HTML.page(title: title, body: h, navigation: !standalone)
    }

    /// Stacked bars: the accounts in each band on each week's last day.
    static func bandChart(_ v: JSONValue) -> String {
        guard case .array(let weeks)? = v["weeks"], !weeks.isEmpty else { return "" }
        let counts = weeks.map { w in ["red", "yellow", "green"].map { Int(HTML.text(w[$0])) ?? 0 } }
        let top = max(1, counts.map { $0.reduce(0, +) }.max() ?? 1)
        let (width, height, bar) = (900.0, 160.0, 900.0 / Double(weeks.count))
        var svg = "<svg width=\"\(Int(width))\" height=\"\(Int(height) + 20)\" viewBox=\"0 0 \(Int(width)) \(Int(height) + 20)\" role=\"img\">"
        for (i, c) in counts.enumerated() {
            var y = height
            for (k, band) in ["red", "yellow", "green"].enumerated() where c[k] > 0 {
                let hgt = Double(c[k]) / Double(top) * height
                y -= hgt
                svg += "<rect x=\"\(HTML.f(Double(i) * bar))\" y=\"\(HTML.f(y))\" width=\"\(HTML.f(max(bar - 1, 1)))\" height=\"\(HTML.f(hgt))\" fill=\"\(HTML.bandColours[band]!)\">"
                    + "<title>\(HTML.esc(HTML.text(weeks[i]["week"]))): \(c[k]) \(band)</title></rect>"
            }
        }
        svg += "<text x=\"0\" y=\"\(Int(height) + 15)\">\(HTML.esc(HTML.text(weeks.first?["week"])))</text>"
            + "<text x=\"\(Int(width))\" y=\"\(Int(height) + 15)\" text-anchor=\"end\">\(HTML.esc(HTML.text(weeks.last?["week"])))</text></svg>"
        return svg
    }

    /// A histogram per version of the days from the first red day to the churn, in 10-day bins.
    static func leadChart(_ versions: [JSONValue]) -> String {
        let bins = Backtest.leadWindow / 10 + 1
        let histograms = versions.map { v -> [Int] in
            var counts = [Int](repeating: 0, count: bins)
            if case .array(let leads)? = v["lead_times"] {
                for l in leads { if let d = Int(HTML.text(l["red_lead_days"])) { counts[min(bins - 1, d / 10)] += 1 } }
            }
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
    static func horizonChart(_ versions: [JSONValue]) -> String {
        let height = 140.0, group = 280.0
        var svg = "<svg width=\"900\" height=\"\(Int(height) + 20)\" viewBox=\"0 0 900 \(Int(height) + 20)\" role=\"img\">"
        for (i, n) in Backtest.horizons.enumerated() {
            for (k, v) in versions.enumerated() {
                guard case .array(let horizons)? = v["horizons"], i < horizons.count else { continue }
                for (j, metric) in ["precision", "recall"].enumerated() {
                    let value = Double(HTML.text(horizons[i][metric])) ?? 0
                    let x = Double(i) * group + Double(k * 2 + j) * 30
                    svg += "<rect x=\"\(HTML.f(x))\" y=\"\(HTML.f(height * (1 - value)))\" width=\"26\" height=\"\(HTML.f(height * value))\" "
                        + "fill=\"\(seriesColours[k % seriesColours.count])\" fill-opacity=\"\(j == 0 ? "1" : "0.55")\">"
                        + "<title>\(HTML.esc(HTML.text(v["rules"]))), \(metric), \(n) days: \(HTML.text(horizons[i][metric]))</title></rect>"
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
        public var report: JSONValue?
        public var problem: String?

        public init(id: String, report: JSONValue?, problem: String?) {
            self.id = id
            self.report = report
            self.problem = problem
        }
    }

    /// `/replays`: the what-if reports the server can show, newest rules first as listed.
    public static func index(_ replays: [Listed]) -> String {
        var h = "<h1>What-if reports</h1><p class=\"muted\">Replays written to the server's replays directory "
            + "(<code>throughline replay --rules FILE --baseline active</code> writes one there).</p>"
        guard !replays.isEmpty else { return HTML.page(title: "What-if reports", body: h + "<p>No replay yet.</p>") }
        h += "<table id=\"replays\"><tr><th>report</th><th>rules</th><th>events</th><th>scored through</th></tr>"
        for r in replays {
            var versions = "–"
            if case .array(let v)? = r.report?["versions"] { versions = v.map { HTML.text($0["rules"]) }.joined(separator: " against ") }
            h += "<tr><td><a href=\"/replays/\(HTML.esc(percentEncoded(r.id)))\">\(HTML.esc(r.id))</a></td>"
                + (r.problem.map { "<td colspan=\"3\" class=\"error\">\(HTML.esc($0))</td>" }
                    ?? "<td>\(HTML.esc(versions))</td><td class=\"num\">\(HTML.esc(HTML.text(r.report?["log"]?["events"])))</td><td>\(HTML.esc(HTML.text(r.report?["log"]?["last_date"])))</td>")
                + "</tr>"
        }
        return HTML.page(title: "What-if reports", body: h + "</table>")
    }
}
