import ThroughlineCore

/// `/messages`: the message audit: each sender (actor) and template with its messages and what
/// was found wrong, then the findings, newest first, each with the events behind it.
public enum MessagesPage {
    public static func render(senders: [MessageFinding.Sender], findings: [MessageFinding], filter: String?, viewer: HTML.Viewer? = nil) -> String {
        var h = "<h1>Messages sent to customers</h1><p class=\"muted\">Each message (message.sent) checked against the account as it stood "
            + "when it was sent: sent twice within 72 hours, a field that disagrees with the profile, an email without consent, "
            + "a message to a churned account or during an urgent ticket it is not about."
            + (filter.map { " Showing \(HTML.esc($0)) · <a href=\"/messages\">all</a>" } ?? "") + "</p>"
        guard !senders.isEmpty else { return HTML.page(title: "Messages", body: h + "<p>No messages sent.</p>", viewer: viewer) }
        h += "<table id=\"senders\"><tr><th>sender</th><th>template</th><th>messages</th><th>findings</th></tr>"
        for s in senders {
            let link = "/messages?template=\(HTML.esc(percentEncoded(s.template)))" + (s.actor.map { "&amp;actor=\(HTML.esc(percentEncoded($0)))" } ?? "")
            let found = s.findings.map { "\($0.count) \($0.kind.rawValue.replacingUnderscores)" }.joined(separator: ", ")
            h += "<tr><td>\(HTML.esc(s.actor ?? "–"))</td><td><a href=\"\(link)\">\(HTML.esc(s.template))</a></td><td>\(s.messages)</td>"
                + "<td>\(found.isEmpty ? "none" : "<b class=\"red\">\(HTML.esc(found))</b>")</td></tr>"
        }
        h += "</table><h2>Findings</h2>"
        guard !findings.isEmpty else { return HTML.page(title: "Messages", body: h + "<p>None.</p>", viewer: viewer) }
        h += "<table id=\"findings\"><tr><th>sent</th><th>account</th><th>what</th><th>message</th><th>events behind it</th></tr>"
        for f in findings {
            h += "<tr><td>\(HTML.esc(String(Timestamp.utc(microseconds: f.timeMicros).description.prefix(16)).replacingOccurrences(of: "T", with: " ")))</td>"
                + "<td><a href=\"/accounts/\(HTML.esc(percentEncoded(f.account)))\">\(HTML.esc(f.account))</a></td>"
                + "<td><b>\(HTML.esc(f.kind.rawValue.replacingUnderscores))</b>: \(HTML.esc(f.detail))</td>"
                + "<td>\(HTML.esc(f.template)) (\(HTML.esc(f.channel))) to \(HTML.esc(f.recipient))\(f.actor.map { " by \(HTML.esc($0))" } ?? "")</td>"
                + "<td class=\"muted\">seq \(f.seqs.map(String.init).joined(separator: ", "))</td></tr>"
        }
        return HTML.page(title: "Messages", body: h + "</table>", viewer: viewer)
    }
}
