import ThroughlineCore

/// `/triage`: the open tickets across accounts by triage priority, with tier, the reasons and
/// the account's band; a tier's view (`?tier=manager_attention`) a click away.
public enum TriagePage {
    public static func render(_ queue: [QueuedTicket], tier: String?, tiers: [String], viewer: HTML.Viewer? = nil) -> String {
        var h = "<h1>\(tier.map { "Triage: \(HTML.esc($0.replacingUnderscores))" } ?? "Triage queue")</h1>"
        let views = (["all"] + tiers).map { t in
            let on = (t == "all" && tier == nil) || t == tier
            return on ? "<b>\(HTML.esc(t.replacingUnderscores))</b>" : "<a href=\"/triage\(t == "all" ? "" : "?tier=" + HTML.esc(percentEncoded(t)))\">\(HTML.esc(t.replacingUnderscores))</a>"
        }
        h += "<p class=\"muted\">\(queue.count) open ticket\(queue.count == 1 ? "" : "s"), highest priority first · " + views.joined(separator: " · ") + "</p>"
        guard !queue.isEmpty else { return HTML.page(title: "Triage", body: h + "<p>None open.</p>", viewer: viewer) }
        h += "<table id=\"triage\"><tr><th>priority</th><th>tier</th><th>account</th><th>band</th><th>ticket</th><th>opened</th><th>why</th></tr>"
        for t in queue {
            let account = "<a href=\"/accounts/\(HTML.esc(percentEncoded(t.account)))\">\(HTML.esc(t.accountName ?? t.account))</a>"
                + (t.arr.map { "<br><span class=\"muted\">ARR \(HTML.esc(NumberText.plain($0)))\(t.plan.map { " · " + HTML.esc($0) } ?? "")</span>" } ?? "")
            let band = t.band.map { "<span class=\"\($0.rawValue)\">\($0.rawValue)</span>" } ?? "–"
            let ticket = "\(HTML.esc(t.ticket))\(t.ticketPriority.map { " [\($0.rawValue)]" } ?? "")" + (t.subject.map { "<br>\(HTML.esc(String($0.prefix(140))))" } ?? "")
            let why = t.reasons.map { "\(HTML.esc($0.reason)) <span class=\"muted\">\($0.points < 0 ? "" : "+")\(HTML.esc(NumberText.plain($0.points)))</span>" }
            h += "<tr><td><b>\(t.priority)</b></td><td>\(HTML.esc(t.tier.replacingUnderscores))</td><td>\(account)</td><td>\(band)</td><td>\(ticket)</td>"
                + "<td>\(HTML.esc(String(Timestamp.utc(microseconds: t.openedMicros).description.prefix(10))))</td><td>\(why.joined(separator: "<br>"))</td></tr>"
        }
        return HTML.page(title: "Triage", body: h + "</table>", viewer: viewer)
    }
}
