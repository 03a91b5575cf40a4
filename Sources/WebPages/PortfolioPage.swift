import ThroughlineCore

/// `/`: the portfolio as a table (score, band, a sparkline of the last 30 days, ARR, renewal,
/// last human contact, attention flags) with filters and sortable columns, from the portfolio
/// read (`GET /v1/accounts`) with flags.
public enum PortfolioPage {
    /// What the page was asked for; echoed in the filter form and the links.
    public struct Params: Sendable {
        /// `churned` or `all`; nil: the accounts that have not churned.
        public var status: String?
        public var csm: String?
        public var band: String?
        public var renewalWithin: Int?
        public var flag: String?
        public var sort = "renewal"
        public var descending = false
        public var offset = 0

        public init() {}

        /// The query string of these filters with another sort, order or offset.
        func link(sort: String? = nil, descending: Bool? = nil, offset: Int? = nil) -> String {
            let s = sort ?? self.sort, d = descending ?? self.descending, o = offset ?? 0
            return "/" + HTML.query([("status", status), ("csm", csm), ("band", band), ("renewal_within", renewalWithin.map(String.init)), ("flag", flag),
                                     ("sort", s), ("order", d ? "desc" : nil), ("offset", o > 0 ? String(o) : nil)])
        }
    }

    /// The sortable columns: header text and the portfolio read's `sort` value.
    static let columns: [(title: String, sort: String?, numeric: Bool)] = [
        ("account", "account", false), ("name", "name", false), ("CSM", "csm", false), ("plan", "plan", false),
        ("score", "score", true), ("band", "band", false), ("30 days", nil, false), ("ARR", "arr", true),
        ("renewal", "renewal", false), ("last human contact", "last_contact", false), ("attention", nil, false),
    ]

    /// `portfolio` is the portfolio read's answer; `trends` each account's last 30 daily scores
    /// (nil for a day without one); `csms` and `flags` the choices of the filter form.
    public static func render(_ portfolio: PortfolioView, trends: [String: [Double?]], params: Params, csms: [String], flags: [String], viewer: HTML.Viewer? = nil) -> String {
        var h = "<h1>Portfolio</h1>" + filterForm(params, csms: csms, flags: flags)
        let accounts = portfolio.accounts
        h += "<table id=\"portfolio\"><tr>"
        for c in columns {
            let cls = c.numeric ? " class=\"num\"" : ""
            guard let sort = c.sort else {
                h += "<th\(cls)>\(c.title)</th>"
                continue
            }
            let current = params.sort == sort
            let arrow = current ? (params.descending ? " ▼" : " ▲") : ""
            let href = params.link(sort: sort, descending: current ? !params.descending : false)
            h += "<th\(cls)><a href=\"\(HTML.esc(href))\">\(c.title)\(arrow)</a></th>"
        }
        h += "</tr>"
        func cell(_ s: String?) -> String { HTML.esc(s ?? "–") }
        for a in accounts {
            let id = a.account
            let band: JSONValue? = a.band.map { .string($0.rawValue) }
            let renewal = cell(a.renewalDate) + (a.daysToRenewal.map { " <span class=\"muted\">(\($0) d)</span>" } ?? "")
            let attention = a.churned.map { "<span class=\"flag\">churned \(HTML.esc($0))</span>" } ?? flagList(a.flags)
            h += "<tr><td><a href=\"/accounts/\(HTML.esc(percentEncoded(id)))\">\(HTML.esc(id))</a></td>"
                + "<td>\(cell(a.name))</td><td>\(cell(a.csm))</td><td>\(cell(a.plan))</td>"
            h += "<td class=\"num\">\(cell(a.score.map(NumberText.plain)))</td><td>\(HTML.band(band))</td>"
                + "<td>\(sparkline(trends[id] ?? []))</td><td class=\"num\">\(money(a.arr))</td>"
            h += "<td>\(renewal)</td><td>\(HTML.esc(String((a.lastHumanContact ?? "–").prefix(10))))</td><td>\(attention)</td></tr>"
        }
        h += "</table>"
        if accounts.isEmpty { h += "<p class=\"muted\">No account matches these filters.</p>" }
        var pager: [String] = []
        if params.offset > 0 { pager.append("<a href=\"\(HTML.esc(params.link(offset: max(0, params.offset - accounts.count))))\">← previous</a>") }
        if let n = portfolio.nextOffset {
            pager.append("<a href=\"\(HTML.esc(params.link(offset: n)))\">next →</a>")
        }
        if !pager.isEmpty { h += "<p>" + pager.joined(separator: " · ") + "</p>" }
        return HTML.page(title: "Portfolio", body: h, viewer: viewer)
    }

    static func filterForm(_ p: Params, csms: [String], flags: [String], viewer: HTML.Viewer? = nil) -> String {
        func select(_ name: String, _ label: String, _ options: [String], _ current: String?, unset: String = "any") -> String {
            var s = "<label>\(label) <select name=\"\(name)\"><option value=\"\">\(unset)</option>"
            for o in options {
                s += "<option value=\"\(HTML.esc(o))\"\(o == current ? " selected" : "")>\(HTML.label(o))</option>"
            }
            return s + "</select></label>"
        }
        return "<form class=\"filters\" method=\"get\" action=\"/\">"
            + select("status", "accounts", ["churned", "all"], p.status, unset: "not churned")
            + select("csm", "CSM", csms, p.csm) + select("band", "band", ["red", "yellow", "green"], p.band)
            + "<label>renewal within <input name=\"renewal_within\" type=\"number\" min=\"0\" max=\"3650\" size=\"4\" value=\"\(p.renewalWithin.map(String.init) ?? "")\"> days</label>"
            + select("flag", "flag", flags, p.flag)
            + "<input type=\"hidden\" name=\"sort\" value=\"\(HTML.esc(p.sort))\">"
            + (p.descending ? "<input type=\"hidden\" name=\"order\" value=\"desc\">" : "")
            + "<button type=\"submit\">Filter</button> <a href=\"/\">clear</a></form>"
    }

    /// A 90×20 polyline of the scores (scaled to their range, at least 10 points), gaps where a day has none, the last point marked.
    static func sparkline(_ scores: [Double?]) -> String {
        guard scores.contains(where: { $0 != nil }) else { return "<span class=\"muted\">–</span>" }
        let (w, hgt) = (90.0, 20.0)
        let step = scores.count > 1 ? w / Double(scores.count - 1) : 0
        let known = scores.compactMap { $0 }
        let bottom = known.min() ?? 0, top = max(known.max() ?? 100, bottom + 10)
        var runs: [[String]] = [[]]
        var last: (Double, Double)?
        for (i, s) in scores.enumerated() {
            guard let s else {
                if !(runs.last ?? []).isEmpty { runs.append([]) }
                continue
            }
            let (x, y) = (Double(i) * step, hgt - 1 - (s - bottom) / (top - bottom) * (hgt - 2))
            runs[runs.count - 1].append("\(HTML.f(x)),\(HTML.f(y))")
            last = (x, y)
        }
        var svg = "<svg class=\"spark\" width=\"90\" height=\"20\" viewBox=\"0 0 90 20\" role=\"img\" aria-label=\"scores of the last \(scores.count) days\">"
        for run in runs where !run.isEmpty {
            svg += "<polyline fill=\"none\" stroke=\"#455a64\" stroke-width=\"1.2\" points=\"\(run.joined(separator: " "))\"/>"
        }
        if let (x, y) = last { svg += "<circle cx=\"\(HTML.f(x))\" cy=\"\(HTML.f(y))\" r=\"2\" fill=\"#263238\"/>" }
        return svg + "</svg>"
    }

    static func money(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "–" }
        return HTML.esc(NumberText.grouped(Int(v.rounded())))
    }

    /// Each flag once, its messages in the tooltip (a flag raised twice says ×2).
    static func flagList(_ flags: [AccountContext.Flag]?) -> String {
        var order: [String] = [], messages: [String: [String]] = [:]
        for f in flags ?? [] {
            if messages[f.flag] == nil { order.append(f.flag) }
            messages[f.flag, default: []].append(f.message)
        }
        return order.map { name in
            let m = messages[name] ?? []
            return "<span class=\"flag\" title=\"\(HTML.esc(m.joined(separator: "; ")))\">\(HTML.label(name))\(m.count > 1 ? " ×\(m.count)" : "")</span>"
        }.joined()
    }
}
