import ThroughlineCore

/// `/data-quality`: what keeps the shared picture from being whole, each finding with the events
/// behind it. It never changes data.
public enum DataQualityPage {
    public static func render(_ r: DataQualityReport, viewer: HTML.Viewer? = nil) -> String {
        var h = "<h1>Data quality</h1><p class=\"muted\">As of \(HTML.esc(r.asOf)). Findings only: nothing here changes data.</p>"
        h += "<h2>Unlinked references</h2>"
        if r.unlinked.isEmpty {
            h += "<p>None.</p>"
        } else {
            h += "<table id=\"unlinked-systems\"><tr><th>system</th><th class=\"num\">references</th><th class=\"num\">events</th><th>oldest</th></tr>"
            for s in r.unlinked {
                h += "<tr><td>\(HTML.esc(s.system))</td><td class=\"num\">\(s.references)</td><td class=\"num\">\(s.events)</td>"
                    + "<td>\(HTML.esc(String(s.oldest.prefix(10))))</td></tr>"
            }
            h += "</table><p><a href=\"/unlinked\">Each reference</a></p>"
        }
        for (title, id, findings) in [("Identity events resolved by a rule", "identity", r.identity), ("Probable duplicates", "duplicates", r.probableDuplicates),
                                      ("Tickets that do not add up", "tickets", r.tickets), ("Events far from now", "out-of-time", r.outOfTime)] {
            h += "<h2>\(title)</h2>"
            guard !findings.isEmpty else {
                h += "<p>None.</p>"
                continue
            }
            h += "<table id=\"\(id)\"><tr><th>finding</th><th>accounts</th><th>seqs</th></tr>"
            for f in findings {
                let accounts = f.accounts.map { "<a href=\"/accounts/\(HTML.esc(percentEncoded($0)))\">\(HTML.esc($0))</a>" }.joined(separator: " ")
                h += "<tr><td>\(HTML.esc(f.text))</td><td>\(accounts)</td><td>\(f.seqsText)</td></tr>"
            }
            h += "</table>"
        }
        h += "<h2>Producers whose rejected share is rising</h2>"
        if r.producers.isEmpty {
            h += "<p>None.</p>"
        } else {
            h += "<table id=\"producers\"><tr><th>finding</th><th>latest rejections</th></tr>"
            for p in r.producers {
                let examples = p.examples.map { "<div>" + HTML.esc((($0.id.map { "\($0): " }) ?? "") + $0.reason) + "</div>" }.joined()
                h += "<tr><td>\(HTML.esc(p.text))</td><td>\(examples)</td></tr>"
            }
            h += "</table>"
        }
        return HTML.page(title: "Data quality", body: h, viewer: viewer)
    }
}
