import ArgumentParser
import ThroughlineClient
import ThroughlineCore

struct ScoresCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scores",
        abstract: "Show one account's daily health scores and band changes, from the running server.")

    @OptionGroup var data: DataOptions
    @OptionGroup var server: ServerAddressOptions

    @Argument(help: "The account id.")
    var account: String

    @Option(help: "A rules version (default: the active one).")
    var rules: String?

    @Option(help: "First day shown (YYYY-MM-DD; default 30 days before the last scored day).")
    var from: String?

    @Option(help: "Last day shown (YYYY-MM-DD; default the last scored day).")
    var to: String?

    @Flag(help: "Print the server's JSON instead of a table.")
    var json = false

    func run() async throws {
        let address = try server.address(data: data)
        let base = "/v1/accounts/\(percentEncoded(account))/scores"
        var from = from
        if from == nil && !json {
            // The last 30 days: ask for the current day first.
            let head = try parseJSON(try await fetch(address, base + queryString([("rules", rules), ("from", "9999-12-31")])))
            if let last = CalendarDate(iso: text(head["last_date"])) { from = CalendarDate(daysSinceEpoch: last.daysSinceEpoch - 29).description }
        }
        guard let v = try await fetchView(address, base + queryString([("rules", rules), ("from", from), ("to", to)]), printRaw: json) else { return }
        let current = v["current"] ?? .null
        Terminal.out("\(text(v["account"])) under \(text(v["rules"])) (\(text(v["rules_state"]))): \(text(current["score"])) "
                     + "\(text(current["band"])) on \(text(current["date"])); scored from \(text(v["first_date"]))")
        var rows: [[String]] = [["DATE", "SCORE", "BAND"]]
        if case .array(let points)? = v["points"] {
            for p in points { rows.append([text(p["date"]), text(p["score"]), text(p["band"])]) }
        }
        Terminal.out("\n" + table(rows))
        if case .array(let changes)? = v["band_changes"], !changes.isEmpty {
            Terminal.out("\nBAND CHANGES\n" + changes.map { "\(text($0["date"]))  \(text($0["from"])) → \(text($0["to"]))" }.joined(separator: "\n"))
        }
    }
}

struct ExplainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Explain one account's health score: each signal's points, reason and the events behind it.")

    @OptionGroup var data: DataOptions
    @OptionGroup var server: ServerAddressOptions

    @Argument(help: "The account id.")
    var account: String

    @Option(help: "The score at the end of this day (YYYY-MM-DD; default the last scored day).")
    var at: String?

    @Option(help: "A rules version (default: the active one).")
    var rules: String?

    @Flag(help: "Also print the events behind the three reasons that cost the most points.")
    var events = false

    @Flag(help: "Print the server's JSON instead of the page.")
    var json = false

    func run() async throws {
        let address = try server.address(data: data)
        let path = "/v1/accounts/\(percentEncoded(account))/scores/explain" + queryString([("at", at), ("rules", rules)])
        guard let v = try await fetchView(address, path, printRaw: json) else { return }
        Terminal.out(Self.page(v))
        guard events, case .array(let contributions)? = v["contributions"] else { return }
        var lines: [String] = []
        for c in contributions.prefix(3) {
            guard case .array(let seqs)? = c["seqs"], !seqs.isEmpty, text(c["points"]) != text(c["max_points"]) else { continue }
            lines.append("\(text(c["signal"])):")
            for seq in seqs.suffix(3).compactMap({ UInt64(text($0)) }) {
                let reply = try await fetch(address, "/v1/events?after=\(seq - 1)&limit=1")
                guard let line = reply.text.split(separator: "\n").first, let e = try? JSONParser.parse(String(line)) else { continue }
                let data = e["data"].map { JSONWriter.string($0) } ?? ""
                lines.append("  seq \(seq)  \(shortTime(e["time"]))  \(text(e["type"]))  \(data.count > 100 ? data.prefix(99) + "…" : data)")
            }
        }
        if !lines.isEmpty { Terminal.out("\nTHE LATEST EVENTS BEHIND THE TOP REASONS\n" + lines.joined(separator: "\n")) }
    }

    static func page(_ v: JSONValue) -> String {
        var out = "\(text(v["account"])) at \(text(v["at"]).prefix(10)) under \(text(v["rules"])): \(text(v["score"])) (\(text(v["band"])))"
        if let o = v["override"] {
            out += "\noverride: \(text(o["band"])) by \(text(o["author"])) since \(text(o["since"]).prefix(10))"
            if o["expires"] != nil { out += " until \(text(o["expires"]))" }
            out += ": \(text(o["reason"]))"
            if o["disagrees"] == .bool(true) { out += "\n  (the CSM disagrees with the rules)" }
        }
        if let c = v["capped"] {
            out += "\nheld in \(text(c["band"])) by \(text(c["signal"])): its value \(text(c["value"])) is below \(text(c["below"])) "
                + "(the signals alone give \(text(c["uncapped_score"])))"
        }
        var rows: [[String]] = [["SIGNAL", "POINTS", "REASON", "EVENTS (SEQS)"]]
        if case .array(let cs)? = v["contributions"] {
            for c in cs {
                var seqs: [String] = []
                if case .array(let s)? = c["seqs"] { seqs = s.map { text($0) } }
                let shown = seqs.count > 6 ? seqs.prefix(6).joined(separator: ",") + ",… (\(seqs.count))" : seqs.joined(separator: ",")
                rows.append([text(c["signal"]), "\(text(c["points"]))/\(text(c["max_points"]))", text(c["reason"]), shown])
            }
        }
        out += "\n\n" + table(rows)
        if case .array(let neutral)? = v["neutral"], !neutral.isEmpty {
            out += "\n\nneutral (left out): " + neutral.map { "\(text($0["signal"])) (\(text($0["reason"])))" }.joined(separator: "; ")
        }
        return out
    }
}
