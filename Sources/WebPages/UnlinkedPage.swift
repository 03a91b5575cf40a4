import ThroughlineCore

/// `/unlinked`: the references other systems name accounts by that no account is linked to yet,
/// with how many events wait under each: what keeps the shared picture from being whole.
public enum UnlinkedPage {
    public static func render(_ list: UnlinkedReferences, viewer: HTML.Viewer? = nil) -> String {
        let events = list.references.reduce(0) { $0 + $1.events }
        var h = "<h1>Unlinked references</h1><p class=\"muted\">Events that name their account by another system's id wait here "
            + "until an <code>identity.linked</code> event links the id to an account; then they join it from their own times.</p>"
        guard !list.references.isEmpty else { return HTML.page(title: "Unlinked references", body: h + "<p>None: every reference is linked to an account.</p>", viewer: viewer) }
        h += "<p>\(list.references.count) references, \(events) events.</p>"
            + "<table id=\"unlinked\"><tr><th>system</th><th>reference</th><th class=\"num\">events</th><th>oldest</th><th>newest</th></tr>"
        for r in list.references {
            h += "<tr><td>\(HTML.esc(r.system))</td><td>\(HTML.esc(r.id))</td><td class=\"num\">\(r.events)</td>"
                + "<td>\(HTML.esc(String(r.oldest.prefix(10))))</td><td>\(HTML.esc(String(r.newest.prefix(10))))</td></tr>"
        }
        return HTML.page(title: "Unlinked references", body: h + "</table>", viewer: viewer)
    }
}
