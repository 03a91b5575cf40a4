import ThroughlineCore

/// What every page shares: escaping, the text of a JSON value, the band colours, and the page
/// shell (one inline style sheet, no script, no external asset).
public enum HTML {
    public static let bandColours = ["red": "#c0392b", "yellow": "#e1a100", "green": "#2e8b57"]

    /// Text made safe inside HTML elements and attribute values.
    public static func esc(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
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

    /// A scalar JSON value as text ("–" when absent); not escaped.
    public static func text(_ v: JSONValue?) -> String { v?.scalarText ?? "–" }

    /// An identifier (`usage_down`, `last_touch`) as escaped words.
    static func label(_ name: String) -> String { esc(name.replacingOccurrences(of: "_", with: " ")) }

    /// A scalar JSON value, escaped.
    public static func cell(_ v: JSONValue?) -> String { esc(text(v)) }

    /// A coordinate with one decimal.
    static func f(_ v: Double) -> String { NumberText.plain((v * 10).rounded() / 10) }

    /// A band as a coloured label.
    static func band(_ v: JSONValue?) -> String {
        guard case .string(let b)? = v, let colour = bandColours[b] else { return "–" }
        return "<span class=\"band\" style=\"background:\(colour)\">\(esc(b))</span>"
    }

    /// `?key=value&…` with each part percent-encoded; empty values (a form's unset fields) left out.
    static func query(_ pairs: [(String, String?)]) -> String { queryString(pairs.map { ($0, $1?.isEmpty == true ? nil : $1) }) }

    static let style = """
        body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
        header.top{background:#263238;color:#fff;padding:.5em 2em}header.top a{color:#fff;margin-right:1.5em;text-decoration:none}
        header.top .who{float:right}header.top form{display:inline;margin-left:1em}
        main{padding:1em 2em;max-width:1300px}
        table{border-collapse:collapse;margin:.5em 0 1.5em;background:#fff}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
        th a{color:inherit}td.num,th.num{text-align:right}#portfolio td:first-child{white-space:nowrap}table.figures td{text-align:right}table.figures td:first-child{text-align:left}h2{margin-top:1.4em}svg{display:block;margin:.5em 0}
        .band{color:#fff;border-radius:3px;padding:0 6px;font-weight:600}
        .flag{background:#fdecea;color:#8a1f11;border-radius:3px;padding:0 5px;margin-right:4px;white-space:nowrap}
        .cards{display:flex;flex-wrap:wrap;gap:1em}.card{background:#fff;border:1px solid #ddd;border-radius:4px;padding:.5em 1em;min-width:240px;flex:1}
        .card h3{margin:.2em 0 .4em;font-size:15px}.card dl{margin:0;display:grid;grid-template-columns:auto 1fr;gap:0 1em}.card dt{color:#666}
        .card dd{margin:0}form.filters label,form.entry label{margin-right:1em;display:inline-block}
        form.entry{background:#fff;border:1px solid #ddd;border-radius:4px;padding:.5em 1em;margin:.5em 0}
        .muted{color:#777}.withheld{color:#8a5a00;font-style:italic}.error{background:#fdecea;border:1px solid #c0392b;padding:.5em 1em}
        .legend span{display:inline-block;margin-right:1em}.swatch{display:inline-block;width:10px;height:10px;margin-right:4px}
        li.item{margin:.3em 0}.kind{display:inline-block;min-width:9em;color:#555}
        """

    /// Who a page is shown to, when the listener asks for sign-in: the navigation offers what
    /// their role may open, names them, and (for a page session) has a sign-out button.
    public struct Viewer: Sendable {
        public var name: String
        public var role: Role
        /// The session's form token, for the sign-out form; nil for a bearer token.
        public var csrf: String?

        public init(name: String, role: Role, csrf: String?) { (self.name, self.role, self.csrf) = (name, role, csrf) }
    }

    /// The top bar: the pages `viewer` may open (all of them on an open listener).
    static func navigation(_ viewer: Viewer?) -> String {
        let links: [(String, String, Action)] = [("/", "Portfolio", .read), ("/tasks", "Tasks", .read), ("/triage", "Triage", .read), ("/patterns", "Patterns", .read), ("/messages", "Messages", .read), ("/overrides", "Overrides", .read), ("/unlinked", "Unlinked", .operate),
                                                 ("/data-quality", "Data quality", .operate), ("/replays", "What-if reports", .operate),
                                                 ("/audit", "Audit", .administer)]
        var h = "<header class=\"top\"><a href=\"/\"><b>Throughline</b></a>"
        for (href, text, action) in links where viewer.map({ $0.role.may(action) }) ?? true { h += "<a href=\"\(href)\">\(text)</a>" }
        if let viewer {
            h += "<span class=\"who\">\(esc(viewer.name)) · \(viewer.role.rawValue)"
            if let csrf = viewer.csrf {
                h += "<form method=\"post\" action=\"/sign-out\"><input type=\"hidden\" name=\"csrf\" value=\"\(esc(csrf))\"><button type=\"submit\">Sign out</button></form>"
            }
            h += "</span>"
        }
        return h + "</header>"
    }

    /// A whole page: `title` (escaped here) and `body` (already HTML); without `navigation`
    /// (a file read on its own, the sign-in page) no links to the server's pages.
    public static func page(title: String, body: String, navigation: Bool = true, viewer: Viewer? = nil) -> String {
        let nav = navigation ? Self.navigation(viewer) : ""
        return """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(esc(title)) · Throughline</title><style>\(style)</style></head><body>
        \(nav)<main>
        \(body)
        </main></body></html>

        """
    }

    /// A page saying what went wrong (the status is the caller's).
    public static func problem(_ title: String, _ message: String, viewer: Viewer? = nil) -> String {
        page(title: title, body: "<h1>\(esc(title))</h1><p class=\"error\">\(esc(message))</p><p><a href=\"/\">Back to the portfolio</a></p>", viewer: viewer)
    }
}
