import Scoring
import ThroughlineCore

/// `/accounts/{id}`: the shared-context view at the top, the health score with its daily chart,
/// its reasons and the events behind them, the timeline (filterable by type), and the forms that
/// add a CSM note or an override.
public enum AccountPage {
    /// The events shown under each reason: its latest ones.
    public static let eventsPerReason = 5

    public struct Model: Sendable {
        public var account: String
        /// The context view (`GET /v1/accounts/{id}/context`), with its `health` section.
        public var context: AccountContext
        /// The scores read under the active rules, if the account has scores.
        public var scores: ScoreHistoryView?
        /// The account's CSM overrides (`time`, `band`, `title`), for the chart.
        public var overrides: [JSONValue] = []
        /// The events behind the health section's top reasons (`StoredEvent.jsonValue`).
        public var reasonEvents: [JSONValue] = []
        /// A timeline page (`items`, `next_cursor`) and the types it was filtered to.
        public var timeline: JSONValue
        public var types: [String] = []
        public var allTypes: [String] = []
        /// The form's anti-forgery token and a fresh event id (a resubmitted form is a duplicate, not a second note).
        public var csrf: String
        public var formID: String
        /// What the last form did, or why it was refused (then `draft` holds what was typed, by
        /// field name, to show again in the form of kind `draftKind`).
        public var notice: String?
        public var problem: String?
        public var draftKind: String?
        public var draft: [String: String] = [:]
        /// Who the page is shown to (on a listener that asks for sign-in), whether they may add
        /// notes and overrides here (no forms otherwise), and the author they add them as.
        public var viewer: HTML.Viewer?
        public var mayAnnotate = true
        public var author: String?

        public init(account: String, context: AccountContext, timeline: JSONValue, csrf: String, formID: String) {
            self.account = account
            self.context = context
            self.timeline = timeline
            self.csrf = csrf
            self.formID = formID
        }
    }

    public static func render(_ d: Model) -> String {
        let c = d.context
        let name = c.profile["name"]?.scalarText
        var h = "<h1>\(HTML.esc(name ?? d.account))" + " <span class=\"muted\">\(HTML.esc(d.account))</span></h1>"
        if let notice = d.notice { h += "<p class=\"notice\">\(HTML.esc(notice))</p>" }
        if let problem = d.problem { h += "<p class=\"error\">\(HTML.esc(problem))</p>" }
        h += "<p>as of \(HTML.esc(c.asOf))"
            + (c.daysSinceHumanContact.map { " · \($0) days since the last human contact" } ?? "") + "</p>"
        if !c.flags.isEmpty {
            h += "<ul id=\"flags\">" + c.flags.map { "<li><span class=\"flag\">\(HTML.label($0.flag))</span> \(HTML.esc($0.message))</li>" }.joined() + "</ul>"
        }
        if !c.tasks.isEmpty {
            h += "<ul id=\"tasks\">" + c.tasks.map { t in
                "<li><span class=\"flag\">task</span> \(HTML.esc(t.title))"
                    + ([t.dueDate.map { "due \($0)" }, t.assignee.map { "for \($0)" }].compactMap { $0 }.map { " · " + HTML.esc($0) }.joined())
                    + " · <a href=\"/tasks?assignee=\">tasks</a></li>"
            }.joined() + "</ul>"
        }
        if !c.triage.isEmpty {
            h += "<ul id=\"triage\">" + c.triage.map { t in
                "<li><span class=\"flag\">ticket \(HTML.esc(t.ticketID))</span> \(HTML.esc(t.tier.replacingUnderscores)) (priority \(t.priority))"
                    + (t.reasons.isEmpty ? "" : ": " + HTML.esc(t.reasons.joined(separator: "; "))) + " · <a href=\"/triage\">queue</a></li>"
            }.joined() + "</ul>"
        }
        h += health(d)
        // The sections as cards, each listed field by field from the section's own encoding.
        h += "<h2>Shared context</h2><div class=\"cards\" id=\"context\">"
        h += card("profile", c.profile) + card("usage", c.usage) + card("support", c.support)
        h += card("conversations", c.conversations) + card("milestones", c.milestones)
        h += card("last_touch", AccountContext.TouchList(touches: c.lastTouch))
        if let o = c.override { h += card("override in force", o) }
        if !c.notes.isEmpty {
            h += "<div class=\"card\"><h3>latest notes</h3>" + c.notes.map { n in
                "<p><b>\(HTML.esc(n.author))</b> <span class=\"muted\">\(HTML.esc(n.time))</span><br>\(HTML.esc(n.text))</p>"
            }.joined() + "</div>"
        }
        h += "</div>"
        h += people(c.stakeholders)
        h += forms(d)
        h += timeline(d)
        return HTML.page(title: d.account, body: h, viewer: d.viewer)
    }

    /// The stakeholder map: a row per person, champions first.
    static func people(_ people: [Stakeholder]) -> String {
        guard !people.isEmpty else { return "" }
        var h = "<h2>People</h2><table id=\"people\"><tr><th>Person</th><th>Role</th><th>Last contact</th><th>Sentiment on calls</th><th>Open tickets raised</th></tr>"
        for p in people {
            let who = "<b>\(HTML.esc(p.name ?? p.person))</b>" + (p.title.map { "<br><span class=\"muted\">\(HTML.esc($0))</span>" } ?? "")
                + (p.name != nil ? "<br><span class=\"muted\">\(HTML.esc(p.person))</span>" : "")
            let role = (p.role.map(HTML.label) ?? "") + (p.left ? " <span class=\"flag\">left</span>" + (p.leftAt.map { " <span class=\"muted\">\(HTML.esc($0))</span>" } ?? "") : "")
            let last = p.lastContact.map { l in
                "\(HTML.esc(l.time)) by \(HTML.esc(l.via))" + (l.with.isEmpty ? "" : " with \(HTML.esc(l.with.joined(separator: ", ")))")
            } ?? "<span class=\"muted\">none</span>"
            let mood = p.sentiment.map { s in
                signed(s.recent) + (s.before.map { " (before \(signed($0)))" } ?? "") + (s.trend.map { " " + HTML.esc($0) } ?? "") + " · \(s.calls) calls"
            } ?? "<span class=\"muted\">no calls</span>"
            h += "<tr><td>\(who)</td><td>\(role)</td><td>\(last)</td><td>\(mood)</td><td>\(HTML.esc(p.openTickets.joined(separator: ", ")))</td></tr>"
        }
        return h + "</table>"
    }

    /// The health section: score and band, the chart, the top reasons and the events behind them.
    static func health(_ d: Model) -> String {
        guard let health = d.context.health else { return "<h2>Health</h2><p class=\"muted\">No score yet.</p>" }
        let s = health.summary
        func band(_ b: Band?) -> String { HTML.band(b.map { .string($0.rawValue) }) }
        var h = "<h2>Health <span class=\"muted\">(rules \(HTML.esc(health.rules)), \(HTML.esc(health.date)))</span></h2>"
            + "<p id=\"health\"><b style=\"font-size:20px\">\(HTML.esc(s.score.map(NumberText.plain) ?? "–"))</b> \(band(s.band))"
            + " · 7 days \(signed(health.change7d)) · 30 days \(signed(health.change30d))"
        if let o = s.overrideBand {
            h += " · CSM override \(band(o))\(s.overrideDisagrees == true ? " <b>disagrees</b> with the computed band" : "")"
        }
        h += "</p>"
        if let c = s.capped {
            h += "<p id=\"capped\"><b>Held in \(HTML.band(c["band"])) by \(HTML.label(HTML.text(c["signal"])))</b>: its value "
                + "\(HTML.cell(c["value"])) is below \(HTML.cell(c["below"])) (the signals alone give \(HTML.cell(c["uncapped_score"]))). "
                + "\(HTML.cell(c["reason"]))</p>"
        }
        if let scores = d.scores {
            h += ScoreChart.svg(scores, overrides: d.overrides)
                + "<p class=\"legend muted\">Line colour: band of the day · ○ band change · ▸ dashed: CSM override</p>"
        }
        if !s.topReasons.isEmpty {
            let events = Dictionary(d.reasonEvents.map { (HTML.text($0["seq"]), $0) }, uniquingKeysWith: { a, _ in a })
            h += "<h3>What costs the most points</h3><ol id=\"reasons\">"
            for r in s.topReasons {
                h += "<li><b>\(HTML.label(r.signal))</b> −\(NumberText.plain(r.pointsLost)) points: \(HTML.esc(r.reason))"
                if !r.seqs.isEmpty {
                    let seqs = r.seqs
                    let shown = seqs.sorted().suffix(eventsPerReason).compactMap { events[String($0)] }
                    h += "<ul class=\"events\">" + (seqs.count > shown.count ? "<li class=\"muted\">\(seqs.count - shown.count) earlier events</li>" : "")
                        + shown.map(eventLine).joined() + "</ul>"
                }
                h += "</li>"
            }
            h += "</ol>"
        }
        return h
    }

    static func eventLine(_ e: JSONValue) -> String {
        var data = ""
        if let v = e["data"] { data = JSONWriter.string(v) }
        return "<li><span class=\"muted\">#\(HTML.cell(e["seq"])) \(HTML.cell(e["time"]))</span> <b>\(HTML.cell(e["type"]))</b>"
            + (e["source"].map { " from \(HTML.cell($0))" } ?? "") + " <code>\(HTML.esc(String(data.prefix(300))))</code></li>"
    }

    /// The note and override forms; both post to `/accounts/{id}/events`.
    static func forms(_ d: Model) -> String {
        guard d.mayAnnotate else { return "" }
        let action = "/accounts/\(HTML.esc(percentEncoded(d.account)))/events"
        let hidden = "<input type=\"hidden\" name=\"csrf\" value=\"\(HTML.esc(d.csrf))\">"
        func form(_ kind: String, _ title: String, _ fields: String) -> String {
            "<form class=\"entry\" id=\"\(kind)-form\" method=\"post\" action=\"\(action)\"><b>\(title)</b> " + hidden
                + "<input type=\"hidden\" name=\"kind\" value=\"\(kind)\"><input type=\"hidden\" name=\"event_id\" value=\"\(HTML.esc("web-\(kind)-" + d.formID))\">"
                + author(kind) + fields + "<button type=\"submit\">Add</button></form>"
        }
        /// The author: the signed-in person, or typed in on an open listener.
        func author(_ kind: String) -> String {
            if let name = d.author { return "<label>author <input name=\"author\" readonly value=\"\(HTML.esc(name))\"></label>" }
            return "<label>author <input name=\"author\" required maxlength=\"128\"\(value(kind, "author"))></label>"
        }
        /// A refused form's typed value, as an attribute.
        func value(_ kind: String, _ field: String) -> String {
            guard d.draftKind == kind, let v = d.draft[field] else { return "" }
            return " value=\"\(HTML.esc(v))\""
        }
        let text = d.draftKind == "note" ? HTML.esc(d.draft["text"] ?? "") : ""
        let band = d.draftKind == "override" ? d.draft["band"] : nil
        let bands = ["green", "yellow", "red"].map { "<option\($0 == band ? " selected" : "")>\($0)</option>" }.joined()
        let shownTo = d.draftKind == "note" ? d.draft["visibility"] : nil
        let audiences = [("public", "everyone"), ("team", "the account's team"), ("private", "only me")].map { v, label in
            "<option value=\"\(v)\"\(v == shownTo ? " selected" : "")>\(label)</option>"
        }.joined()
        return "<h2>Add</h2>"
            + form("note", "CSM note", "<label>note <textarea name=\"text\" required rows=\"2\" cols=\"60\">\(text)</textarea></label>"
                   + "<label>shown to <select name=\"visibility\">\(audiences)</select></label>")
            + form("override", "Health override", "<label>band <select name=\"band\">\(bands)</select></label>"
                   + "<label>reason <input name=\"reason\" required size=\"40\"\(value("override", "reason"))></label>"
                   + "<label>expires <input name=\"expires\" type=\"date\"\(value("override", "expires"))></label>")
    }

    /// The timeline, newest first, with a type filter and a link to older items.
    static func timeline(_ d: Model) -> String {
        let base = "/accounts/\(percentEncoded(d.account))"
        var h = "<h2>Timeline</h2><form class=\"filters\" method=\"get\" action=\"\(HTML.esc(base))\">"
        for t in d.allTypes {
            h += "<label><input type=\"checkbox\" name=\"types\" value=\"\(HTML.esc(t))\"\(d.types.contains(t) ? " checked" : "")> \(HTML.label(t))</label>"
        }
        h += "<button type=\"submit\">Show</button> <a href=\"\(HTML.esc(base))\">all</a></form><ol id=\"timeline\">"
        guard case .array(let items)? = d.timeline["items"] else { return h + "</ol>" }
        for item in items {
            let kind = HTML.text(item["kind"])
            h += "<li class=\"item\" data-kind=\"\(HTML.esc(kind))\"><span class=\"muted\">\(HTML.esc(String(HTML.text(item["time"]).prefix(16)).replacingOccurrences(of: "T", with: " ")))</span> "
                + "<span class=\"kind\">\(HTML.label(kind))</span> \(HTML.cell(item["title"]))"
                + (item["source"].map { " <span class=\"muted\">· \(HTML.cell($0))</span>" } ?? "")
                + (item["detail"]?["withheld"].map { " <span class=\"withheld\">withheld: \(HTML.cell($0))</span>" } ?? "")
            if let detail = item["detail"], case .object(let m) = detail, !m.isEmpty {
                h += "<details><summary class=\"muted\">details</summary>\(definitions(detail))</details>"
            }
            h += "</li>"
        }
        h += "</ol>"
        if items.isEmpty { h += "<p class=\"muted\">No items.</p>" }
        if case .string(let cursor)? = d.timeline["next_cursor"] {
            let more = base + HTML.query(d.types.map { ("types", $0) } + [("cursor", cursor)])
            h += "<p><a id=\"older\" href=\"\(HTML.esc(more))\">older →</a></p>"
        }
        return h
    }

    /// A card of one context section (`title` an identifier such as `last_touch`), its fields as
    /// the section encodes them.
    static func card(_ title: String, _ section: some Encodable) -> String {
        "<div class=\"card\"><h3>\(HTML.label(title))</h3>\(definitions((try? JSONValueEncoder.encode(section)) ?? .null))</div>"
    }

    /// An object as a definition list (nested objects inline, arrays of objects one per line).
    static func definitions(_ v: JSONValue) -> String {
        guard case .object(let members) = v else { return HTML.cell(v) }
        var h = "<dl>"
        for m in members {
            h += "<dt>\(HTML.label(m.key))</dt><dd>\(inline(m.value))</dd>"
        }
        return h + "</dl>"
    }

    static func inline(_ v: JSONValue) -> String {
        switch v {
        case .object(let members):
            return members.map { "\(HTML.label($0.key)): \(inline($0.value))" }.joined(separator: ", ")
        case .array(let items):
            if items.isEmpty { return "<span class=\"muted\">none</span>" }
            if items.allSatisfy({ if case .object = $0 { return true } else { return false } }) {
                return items.map { "<div>\(inline($0))</div>" }.joined()
            }
            return items.map(inline).joined(separator: ", ")
        case .null: return "–"
        default: return HTML.cell(v)
        }
    }

    static func signed(_ v: Double?) -> String {
        guard let v else { return "–" }
        return HTML.esc((v > 0 ? "+" : "") + NumberText.plain(v))
    }
}
