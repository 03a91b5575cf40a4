import Scoring
import ThroughlineCore

/// A replay report as one self-contained HTML page (no external assets, no script): the figures
/// of each version, SVG charts of the bands week by week, the lead times and precision and recall
/// per horizon, and the accounts whose band differs, linked to their explanations.
enum ReportHTML {
    static let colours = ["red": "#c0392b", "yellow": "#e1a100", "green": "#2e8b57"]
    static let seriesColours = ["#34495e", "#8e44ad", "#16a085", "#d35400"]

    static func page(_ report: JSONValue) -> String {
        guard case .array(let versions)? = report["versions"] else { return "" }
        let log = report["log"] ?? .null
        var h = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Throughline replay</title>
            <style>
            body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}
            table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
            th:first-child,td:first-child{text-align:left}h2{margin-top:1.5em}svg{display:block;margin:.5em 0}
            .legend span{display:inline-block;margin-right:1em}.swatch{display:inline-block;width:10px;height:10px;margin-right:4px}
            </style></head><body>
            <h1>Replay: \(versions.map { esc(text($0["rules"])) }.joined(separator: " against "))</h1>
            <p>\(esc(text(log["events"]))) events up to seq \(esc(text(log["last_seq"]))), scored through \(esc(text(log["last_date"]))).</p>

            """
        h += "<h2>Figures</h2><table><tr><th>rules</th><th>accounts</th><th>churned</th><th>red before churn</th>"
            + "<th>median lead (days)</th><th>red a week</th><th>ROC AUC, 90 days</th><th>override agreement</th>"
            + Backtest.horizons.map { "<th>P / R / F1, \($0) d</th>" }.joined() + "</tr>"
        for v in versions {
            h += "<tr><td>\(esc(text(v["rules"])))</td><td>\(text(v["accounts"]))</td><td>\(text(v["churned"]))</td>"
                + "<td>\(text(v["churned_red_beforehand"]))</td><td>\(text(v["median_red_lead_days"]))</td>"
                + "<td>\(text(v["red_accounts_per_week"]))</td><td>\(text(v["roc_auc_90d"]))</td>"
                + "<td>\(text(v["overrides"]?["agreement"])) of \(text(v["overrides"]?["overrides"]))</td>"
            if case .array(let horizons)? = v["horizons"] {
                h += horizons.map { "<td>\(text($0["precision"])) / \(text($0["recall"])) / \(text($0["f1"]))</td>" }.joined()
            }
            h += "</tr>"
        }
        h += "</table>"

        h += "<h2>Bands week by week</h2>" + legend(["red", "yellow", "green"].map { ($0, colours[$0]!) })
        for v in versions {
            h += "<h3>\(esc(text(v["rules"])))</h3>" + bandChart(v)
        }
        h += "<h2>Lead time from the first red day to churn</h2>"
            + legend(versions.enumerated().map { (text($1["rules"]), seriesColours[$0 % seriesColours.count]) }) + leadChart(versions)
        h += "<h2>Precision and recall of red within N days before churn</h2>" + horizonChart(versions)

        if let d = report["band_differences"], case .array(let names)? = d["rules"], case .array(let list)? = d["list"], names.count == 2 {
            let (a, b) = (text(names[0]), text(names[1]))
            h += "<h2>Accounts in another band (\(text(d["accounts"])))</h2>"
                + "<table><tr><th>account</th><th>date</th><th>\(esc(a))</th><th>\(esc(b))</th><th>signals that differ most</th></tr>"
            for item in list {
                let account = text(item["account"]), date = text(item["date"])
                var signals: [String] = []
                if case .array(let s)? = item["signals"] {
                    signals = s.map { "\(esc(text($0["signal"]))) \(text($0["points"]?[a])) → \(text($0["points"]?[b]))" }
                }
                let explain = "/v1/accounts/\(percentEncoded(account))/scores/explain?at=\(percentEncoded(date))"
                h += "<tr><td>\(esc(account))</td><td>\(esc(date))</td>"
                    + "<td><a href=\"\(esc(explain + "&rules=" + percentEncoded(a)))\">\(esc(text(item[a])))</a></td>"
                    + "<td><a href=\"\(esc(explain + "&rules=" + percentEncoded(b)))\">\(esc(text(item[b])))</a></td>"
                    + "<td>\(signals.joined(separator: "; "))</td></tr>"
            }
            h += "</table>"
        }
        return h + "</body></html>\n"
    }

    /// Stacked bars: the accounts in each band on each week's last day.
    static func bandChart(_ v: JSONValue) -> String {
        guard case .array(let weeks)? = v["weeks"], !weeks.isEmpty else { return "" }
        let counts = weeks.map { w in ["red", "yellow", "green"].map { Int(text(w[$0])) ?? 0 } }
        let top = max(1, counts.map { $0.reduce(0, +) }.max() ?? 1)
        let (width, height, bar) = (900.0, 160.0, 900.0 / Double(weeks.count))
        var svg = "<svg width=\"\(Int(width))\" height=\"\(Int(height) + 20)\" viewBox=\"0 0 \(Int(width)) \(Int(height) + 20)\" role=\"img\">"
        for (i, c) in counts.enumerated() {
            var y = height
            for (k, band) in ["red", "yellow", "green"].enumerated() where c[k] > 0 {
                let hgt = Double(c[k]) / Double(top) * height
                y -= hgt
                svg += "<rect x=\"\(f(Double(i) * bar))\" y=\"\(f(y))\" width=\"\(f(max(bar - 1, 1)))\" height=\"\(f(hgt))\" fill=\"\(colours[band]!)\">"
                    + "<title>\(esc(text(weeks[i]["week"]))): \(c[k]) \(band)</title></rect>"
            }
        }
        svg += "<text x=\"0\" y=\"\(Int(height) + 15)\">\(esc(text(weeks.first?["week"])))</text>"
            + "<text x=\"\(Int(width))\" y=\"\(Int(height) + 15)\" text-anchor=\"end\">\(esc(text(weeks.last?["week"])))</text></svg>"
        return svg
    }

    /// A histogram per version of the days from the first red day to the churn, in 10-day bins.
    static func leadChart(_ versions: [JSONValue]) -> String {
        let bins = Backtest.leadWindow / 10 + 1
        let histograms = versions.map { v -> [Int] in
            var counts = [Int](repeating: 0, count: bins)
            if case .array(let leads)? = v["lead_times"] {
                for l in leads { if let d = Int(text(l["red_lead_days"])) { counts[min(bins - 1, d / 10)] += 1 } }
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
                svg += "<rect x=\"\(f(Double(i) * group + Double(k) * bar))\" y=\"\(f(height - hgt))\" width=\"\(f(bar))\" height=\"\(f(hgt))\" "
                    + "fill=\"\(seriesColours[k % seriesColours.count])\"><title>\(i * 10)–\(i * 10 + 9) days: \(c)</title></rect>"
            }
        }
        for i in stride(from: 0, to: bins, by: 3) { svg += "<text x=\"\(f(Double(i) * group))\" y=\"\(Int(height) + 15)\">\(i * 10)</text>" }
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
                    let value = Double(text(horizons[i][metric])) ?? 0
                    let x = Double(i) * group + Double(k * 2 + j) * 30
                    svg += "<rect x=\"\(f(x))\" y=\"\(f(height * (1 - value)))\" width=\"26\" height=\"\(f(height * value))\" "
                        + "fill=\"\(seriesColours[k % seriesColours.count])\" fill-opacity=\"\(j == 0 ? "1" : "0.55")\">"
                        + "<title>\(esc(text(v["rules"]))), \(metric), \(n) days: \(text(horizons[i][metric]))</title></rect>"
                }
            }
            svg += "<text x=\"\(f(Double(i) * group))\" y=\"\(Int(height) + 15)\">\(n) days (precision solid, recall light)</text>"
        }
        return svg + "</svg>"
    }

    static func legend(_ items: [(String, String)]) -> String {
        "<p class=\"legend\">" + items.map { "<span><i class=\"swatch\" style=\"background:\($1)\"></i>\(esc($0))</span>" }.joined() + "</p>"
    }

    static func f(_ v: Double) -> String { NumberText.plain((v * 10).rounded() / 10) }

    static func text(_ v: JSONValue?) -> String {
        switch v {
        case .string(let s)?: s
        case .number(let n)?: n
        case .bool(let b)?: String(b)
        default: "–"
        }
    }

    /// Text made safe inside HTML elements and attribute values.
    static func esc(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
