import ThroughlineCore

/// The audit trail for admins: who did what, newest first, filtered by account or principal.
public enum AuditPage {
    /// `entries` as `GET /v1/audit` answers them; `next`: the seq to page back from.
    public static func render(_ entries: [JSONValue], account: String?, principal: String?, next: Int64?, viewer: HTML.Viewer? = nil) -> String {
        var h = "<h1>Audit trail</h1><form class=\"filters\" method=\"get\" action=\"/audit\">"
            + "<label>account <input name=\"account\" value=\"\(HTML.esc(account ?? ""))\"></label>"
            + "<label>principal <input name=\"principal\" value=\"\(HTML.esc(principal ?? ""))\"></label><button type=\"submit\">Filter</button></form>"
        guard !entries.isEmpty else { return HTML.page(title: "Audit trail", body: h + "<p>Nothing recorded yet.</p>", viewer: viewer) }
        h += "<table id=\"audit\"><tr><th>#</th><th>time</th><th>principal</th><th>action</th><th>request</th><th>account</th><th>status</th><th>from</th></tr>"
        for e in entries {
            let account = e["account"].map { a in "<a href=\"/audit\(HTML.query([("account", a.scalarText)]))\">\(HTML.cell(a))</a>" } ?? "–"
            let who = "<a href=\"/audit\(HTML.query([("principal", e["principal"]?.scalarText)]))\">\(HTML.cell(e["principal"]))</a>"
            h += "<tr><td class=\"num\">\(HTML.cell(e["seq"]))</td><td>\(HTML.cell(e["time"]))</td><td>\(who)</td><td>\(HTML.cell(e["action"]))</td>"
                + "<td><code>\(HTML.cell(e["request"]))</code></td><td>\(account)</td><td class=\"num\">\(HTML.cell(e["status"]))</td><td>\(HTML.cell(e["address"]))</td></tr>"
        }
        h += "</table>"
        if let next {
            h += "<p><a href=\"/audit\(HTML.query([("account", account), ("principal", principal), ("before", String(next))]))\">Older</a></p>"
        }
        return HTML.page(title: "Audit trail", body: h, viewer: viewer)
    }
}
