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
        guard let answer = try await fetchView(server.address(data: data), path, printRaw: json) else { return }
        let view: AccountContext
        do { view = try JSONValueDecoder.decode(AccountContext.self, from: answer) } catch {
            throw CLIError("the server's answer is not a context view: \(error)")
        }
        Terminal.out(Self.page(view))
    }

    /// `+1.5`, `-3`, `0`.
    static func signed(_ v: Double?) -> String {
        guard let v else { return "" }
        return (v > 0 ? "+" : "") + NumberText.plain(v)
    }

    /// The view as a page of labelled lines.
    static func page(_ v: AccountContext) -> String {
        let p = v.profile
        func number(_ d: Double?) -> String { d.map(NumberText.plain) ?? "" }
        var lines: [[String]] = []
        var head = v.account
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
        out += "\nas of " + v.asOf + "\n\n"

        if let h = v.health {
            let s = h.summary
            var health = "\(number(s.score)) \(s.band?.rawValue ?? "") on \(h.date) (\(h.rules))"
            if h.change30d != nil { health += " · \(signed(h.change7d)) in 7 d, \(signed(h.change30d)) in 30 d" }
            if let o = s.overrideBand { health += " · CSM override \(o.rawValue)" + (s.overrideDisagrees == true ? " (disagrees)" : "") }
            lines.append(["HEALTH", health])
            if let c = s.capped {
                lines.append(["", "held in \(text(c["band"])) by \(text(c["signal"])) \(text(c["value"])) < \(text(c["below"])) "
                              + "(\(text(c["uncapped_score"])) without the cap): \(text(c["reason"]))"])
            }
            for r in s.topReasons { lines.append(["", "−\(NumberText.plain(r.pointsLost)) \(r.signal): \(r.reason)"]) }
        }
        let u = v.usage
        var usage: [String] = []
        if let now = u.activeUsers7d {
            var s = "\(NumberText.plain(now)) active users a day (7 d)"
            if let before = u.activeUsersPrev28d { s += " against \(NumberText.plain(before)) (28 d before): \(number(u.changePct))%, \(u.trend ?? "")" }
            usage.append(s)
            if let seats = u.seatUtilisationPct { usage.append("seats used \(NumberText.plain(seats))%") }
            usage.append("features \(u.featureBreadth28d.map(String.init) ?? "") now, \(u.featureBreadth28d90DaysAgo.map(String.init) ?? "") 90 days ago")
        } else {
            usage.append(u.trend ?? "")
        }
        lines.append(["USAGE", usage.joined(separator: " · ")])

        let s = v.support
        var support = "\(s.openTickets) open"
        if !s.openByPriority.isEmpty { support += " (" + s.openByPriority.map { "\($0.priority) \($0.count)" }.joined(separator: ", ") + ")" }
        if let oldest = s.oldestOpenDays { support += ", oldest \(oldest) days" }
        support += " · \(s.tickets30d) tickets in 30 d, \(s.tickets90d) in 90 d"
        if let csat = s.latestCsat { support += " · latest CSAT \(csat)" }
        lines.append(["SUPPORT", support])

        if let last = v.conversations.last {
            var call = "last \(last.kind) \(shortTime(.string(last.time)))"
            var extra: [String] = []
            if let t = last.team { extra.append(t) }
            if let s = last.sentiment { extra.append("sentiment \(NumberText.plain(s))") }
            if !extra.isEmpty { call += " (" + extra.joined(separator: ", ") + ")" }
            if let trend = v.conversations.sentimentTrend { call += " · sentiment \(trend)" }
            lines.append(["CALLS", call])
        } else {
            lines.append(["CALLS", "none"])
        }

        let m = v.milestones
        lines.append(["MILESTONES", [("reached", m.reached), ("planned", m.planned), ("overdue", m.overdue), ("missed", m.missed)].map { key, items in
            "\(key) \(items.count)" + (items.isEmpty || key == "reached" ? "" : " (" + items.map(\.milestone).joined(separator: ", ") + ")")
        }.joined(separator: " · ")])

        var touch = v.lastTouch.map { "\($0.team) \($0.daysAgo) d ago" }
        if let d = v.daysSinceHumanContact { touch.append("human contact \(d) d ago") }
        lines.append(["LAST TOUCH", touch.isEmpty ? "none" : touch.joined(separator: " · ")])

        if let o = v.override {
            lines.append(["OVERRIDE", "\(o.band.rawValue) by \(o.author): \(o.reason)" + (o.expires.map { " (until \($0))" } ?? "")])
        }
        for (i, p) in v.stakeholders.enumerated() {
            var line = (p.name ?? p.person) + (p.role.map { " (\($0.replacingOccurrences(of: "_", with: " ")))" } ?? "")
            if p.left { line += " · LEFT" + (p.leftAt.map { " \(shortTime(.string($0)))" } ?? "") }
            if let l = p.lastContact { line += " · last \(l.via) \(shortTime(.string(l.time)))" + (l.with.isEmpty ? "" : " with \(l.with.joined(separator: ", "))") }
            if let s = p.sentiment { line += " · sentiment \(s.recent)" + (s.trend.map { " \($0)" } ?? "") }
            if !p.openTickets.isEmpty { line += " · raised open \(p.openTickets.joined(separator: ", "))" }
            lines.append([i == 0 ? "PEOPLE" : "", line])
        }
        for (i, note) in v.notes.enumerated() {
            lines.append([i == 0 ? "NOTES" : "", "\(shortTime(.string(note.time))) \(note.author): \(note.text)"])
        }
        if !v.flags.isEmpty {
            for (i, f) in v.flags.enumerated() {
                let seqs = f.seqs.map(String.init).joined(separator: ",")
                lines.append([i == 0 ? "FLAGS" : "", "! \(f.flag): \(f.message)" + (seqs.isEmpty ? "" : " [seqs \(seqs)]")])
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
