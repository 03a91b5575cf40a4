import ThroughlineCore

/// `/tasks`: the open tasks (a person's own by default), soonest due first, each with a form
/// that closes it (a `task.closed` through the producers' path).
public enum TasksPage {
    public struct Model: Sendable {
        public var tasks: [TaskItem]
        /// Whose tasks (nil: everyone's).
        public var assignee: String?
        public var today: Int
        /// The forms' anti-forgery token.
        public var csrf: String
        public var closed: String?

        public init(tasks: [TaskItem], assignee: String?, today: Int, csrf: String, closed: String? = nil) {
            (self.tasks, self.assignee, self.today, self.csrf, self.closed) = (tasks, assignee, today, csrf, closed)
        }
    }

    public static func render(_ m: Model, viewer: HTML.Viewer? = nil) -> String {
        var h = "<h1>\(m.assignee.map { "Tasks for \(HTML.esc($0))" } ?? "Open tasks")</h1>"
        h += "<p class=\"muted\">\(m.tasks.count) open, soonest due first"
            + (m.assignee == nil ? "" : " · <a href=\"/tasks?assignee=\">everyone's</a>") + "</p>"
        if let closed = m.closed { h += "<p class=\"ok\">Closed \(HTML.esc(closed)).</p>" }
        guard !m.tasks.isEmpty else { return HTML.page(title: "Tasks", body: h + "<p>None open.</p>", viewer: viewer) }
        h += "<table id=\"tasks\"><tr><th>due</th><th>account</th><th>task</th><th>for</th><th>opened</th><th></th></tr>"
        for t in m.tasks {
            let due = t.dueDate.map { d in t.overdue(on: m.today) ? "<b class=\"red\">\(d) (overdue)</b>" : d.description } ?? "–"
            h += "<tr><td>\(due)</td><td><a href=\"/accounts/\(HTML.esc(percentEncoded(t.account)))\">\(HTML.esc(t.account))</a></td>"
                + "<td>\(HTML.esc(t.title))\(t.alert.map { "<br><span class=\"muted\">\(HTML.esc($0))</span>" } ?? "")</td>"
                + "<td>\(HTML.esc(t.assignee ?? "–"))</td><td>\(HTML.esc(String(Timestamp.utc(microseconds: t.openedMicros).description.prefix(10))))</td>"
                + "<td><form method=\"post\" action=\"/accounts/\(HTML.esc(percentEncoded(t.account)))/events\">"
                + "<input type=\"hidden\" name=\"csrf\" value=\"\(HTML.esc(m.csrf))\"><input type=\"hidden\" name=\"kind\" value=\"close_task\">"
                + "<input type=\"hidden\" name=\"task\" value=\"\(HTML.esc(t.taskID))\"><input type=\"hidden\" name=\"event_id\" value=\"web-close-\(String(Hash64.hash(t.taskID), radix: 16))-\(t.openedSeq)\">"
                + "<button type=\"submit\">Close</button></form></td></tr>"
        }
        return HTML.page(title: "Tasks", body: h + "</table>", viewer: viewer)
    }
}
