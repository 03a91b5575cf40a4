import Scoring
import ThroughlineCore

/// `/overrides`: the accounts whose CSM override names another band than the rules compute,
/// oldest first: the cases the rules miss, and the labels `rules fit` can learn from.
public enum OverridesPage {
    public static func render(_ inbox: OverrideInbox, viewer: HTML.Viewer? = nil) -> String {
        var h = "<h1>Overrides that disagree</h1><p class=\"muted\">\(inbox.disagreeing.count) of the \(inbox.inForce) overrides in force "
            + "name another band than the rules compute, as of \(HTML.esc(inbox.asOf)); oldest first.</p>"
        guard !inbox.disagreeing.isEmpty else { return HTML.page(title: "Overrides", body: h + "<p>None: the rules agree with every override in force.</p>", viewer: viewer) }
        h += "<table id=\"overrides\"><tr><th>account</th><th>CSM</th><th>override</th><th>computed</th><th>score</th><th>since</th>"
            + "<th>expires</th><th>by</th><th>why</th></tr>"
        for e in inbox.disagreeing {
            h += "<tr><td><a href=\"/accounts/\(HTML.esc(percentEncoded(e.account)))\">\(HTML.esc(e.name ?? e.account))</a></td>"
                + "<td>\(HTML.esc(e.csm ?? "–"))</td><td>\(HTML.band(.string(e.band.rawValue)))</td>"
                + "<td>\(HTML.band(e.computedBand.map { .string($0.rawValue) }))</td>"
                + "<td class=\"num\">\(e.score.map(NumberText.plain) ?? "–")</td><td>\(HTML.esc(String(e.since.prefix(10))))</td>"
                + "<td>\(e.expires.map(\.description) ?? "–")</td><td>\(HTML.esc(e.author))</td><td>\(HTML.esc(e.reason))</td></tr>"
        }
        return HTML.page(title: "Overrides", body: h + "</table>", viewer: viewer)
    }
}
