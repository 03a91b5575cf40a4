import ArgumentParser
import ThroughlineClient
import ThroughlineCore

struct ContextCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "context",
        abstract: "Show one account's shared-context view (profile, usage, support, conversations, milestones, touches, flags).")

    @OptionGroup var data: DataOptions
    @OptionGroup var server: ServerAddressOptions

    @Argument(help: "The account id.")
    var account: String

    @Option(help: "The view as of this time (RFC 3339 or YYYY-MM-DD; default now).")
    var at: String?

    @Flag(help: "Print the server's JSON instead of the page.")
    var json = false

    func run() async throws {
        let path = "/v1/accounts/\(percentEncoded(account))/context" + queryString([("at", at)])
        guard let view = try await fetchView(server.address(data: data), path, printRaw: json) else { return }
        Terminal.out(Self.page(view))
    }

    /// `+1.5`, `-3`, `0`.
    static func signed(_ v: JSONValue?) -> String {
        let t = text(v)
        return t.hasPrefix("-") || t == "0" ? t : "+" + t
    }

    /// The view as a page of labelled lines.
    static func page(_ v: JSONValue) -> String {
        let p = v["profile"] ?? .object([])
        var lines: [[String]] = []
        var head = text(v["account"])
        if let name = p["name"] { head += "  " + text(name) }
        var facts: [String] = []
        for (key, label) in [("plan", "plan"), ("tier", "tier")] where p[key] != nil { facts.append("\(label) \(text(p[key]))") }
        if let arr = p["arr"] { facts.append("ARR \(text(arr))") }
        if let seats = p["seats"] { facts.append("\(text(seats)) seats") }
        var second: [String] = []
        if let r = p["renewal_date"] { second.append("renewal \(text(r)) (\(days(p["days_to_renewal"]) ))") }
        for (key, label) in [("csm", "CSM"), ("stage", "stage"), ("champion", "champion")] where p[key] != nil { second.append("\(label) \(text(p[key]))") }
        second.append("tenure \(text(p["tenure_days"])) days")
        var out = head + (facts.isEmpty ? "" : " · " + facts.joined(separator: " · ")) + "\n" + second.joined(separator: " · ")
        out += "\nas of " + text(v["as_of"]) + "\n\n"

        if let h = v["health"] {
            var health = "\(text(h["score"])) \(text(h["band"])) on \(text(h["date"])) (\(text(h["rules"])))"
            if h["change_30d"] != .null { health += " · \(signed(h["change_7d"])) in 7 d, \(signed(h["change_30d"])) in 30 d" }
            if let o = h["override_band"] {
                health += " · CSM override \(text(o))" + (h["override_disagrees"] == .bool(true) ? " (disagrees)" : "")
            }
            lines.append(["HEALTH", health])
            if let c = h["capped"] {
                lines.append(["", "held in \(text(c["band"])) by \(text(c["signal"])) \(text(c["value"])) < \(text(c["below"])) "
                              + "(\(text(c["uncapped_score"])) without the cap): \(text(c["reason"]))"])
            }
            if case .array(let reasons)? = h["top_reasons"] {
                for r in reasons { lines.append(["", "−\(text(r["points_lost"])) \(text(r["signal"])): \(text(r["reason"]))"]) }
            }
        }
        let u = v["usage"] ?? .object([])
        var usage: [String] = []
        if let now = u["active_users_7d"] {
            var s = "\(text(now)) active users a day (7 d)"
            if let before = u["active_users_prev_28d"] { s += " against \(text(before)) (28 d before): \(text(u["change_pct"]))%, \(text(u["trend"]))" }
            usage.append(s)
            if let seats = u["seat_utilisation_pct"] { usage.append("seats used \(text(seats))%") }
            usage.append("features \(text(u["feature_breadth_28d"])) now, \(text(u["feature_breadth_28d_90_days_ago"])) 90 days ago")
        } else {
            usage.append(text(u["trend"]))
        }
        lines.append(["USAGE", usage.joined(separator: " · ")])

        let s = v["support"] ?? .object([])
        var support = "\(text(s["open_tickets"])) open"
        if case .object(let m)? = s["open_by_priority"], !m.isEmpty { support += " (" + m.map { "\($0.key) \(text($0.value))" }.joined(separator: ", ") + ")" }
        if let oldest = s["oldest_open_days"] { support += ", oldest \(text(oldest)) days" }
        support += " · \(text(s["tickets_30d"])) tickets in 30 d, \(text(s["tickets_90d"])) in 90 d"
        if let csat = s["latest_csat"] { support += " · latest CSAT \(text(csat))" }
        lines.append(["SUPPORT", support])

        let c = v["conversations"] ?? .object([])
        if let last = c["last"] {
            var call = "last \(text(last["kind"])) \(shortTime(last["time"]))"
            var extra: [String] = []
            if let t = last["team"] { extra.append(text(t)) }
            if let s = last["sentiment"] { extra.append("sentiment \(text(s))") }
            if !extra.isEmpty { call += " (" + extra.joined(separator: ", ") + ")" }
            if let trend = c["sentiment_trend"] { call += " · sentiment \(text(trend))" }
            lines.append(["CALLS", call])
        } else {
            lines.append(["CALLS", "none"])
        }

        let m = v["milestones"] ?? .object([])
        lines.append(["MILESTONES", ["reached", "planned", "overdue", "missed"].map { key in
            let items: [JSONValue] = if case .array(let a)? = m[key] { a } else { [] }
            return "\(key) \(items.count)" + (items.isEmpty || key == "reached" ? "" : " (" + items.map { text($0["milestone"]) }.joined(separator: ", ") + ")")
        }.joined(separator: " · ")])

        var touch: [String] = []
        if case .object(let t)? = v["last_touch"] { touch = t.map { "\($0.key) \(text($0.value["days_ago"])) d ago" } }
        if let d = v["days_since_human_contact"] { touch.append("human contact \(text(d)) d ago") }
        lines.append(["LAST TOUCH", touch.isEmpty ? "none" : touch.joined(separator: " · ")])

        if let o = v["override"] {
            lines.append(["OVERRIDE", "\(text(o["band"])) by \(text(o["author"])): \(text(o["reason"]))" + (o["expires"].map { " (until \(text($0)))" } ?? "")])
        }
        if case .array(let notes)? = v["notes"] {
            for (i, note) in notes.enumerated() {
                lines.append([i == 0 ? "NOTES" : "", "\(shortTime(note["time"])) \(text(note["author"])): \(text(note["text"]))"])
            }
        }
        if case .array(let flags)? = v["flags"], !flags.isEmpty {
            for (i, f) in flags.enumerated() {
                let seqs: String = if case .array(let list)? = f["seqs"] { list.map { text($0) }.joined(separator: ",") } else { "" }
                lines.append([i == 0 ? "FLAGS" : "", "! \(text(f["flag"])): \(text(f["message"]))" + (seqs.isEmpty ? "" : " [seqs \(seqs)]")])
            }
        } else {
            lines.append(["FLAGS", "none"])
        }
        return out + table(lines)
    }

    static func days(_ v: JSONValue?) -> String {
        guard let d = Int(text(v)) else { return "" }
        return d >= 0 ? "in \(d) days" : "\(-d) days ago"
    }
}
