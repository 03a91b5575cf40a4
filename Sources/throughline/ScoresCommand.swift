import ArgumentParser
import Scoring
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
        guard let answer = try await fetchView(address, base + queryString([("rules", rules), ("from", from), ("to", to)]), printRaw: json) else { return }
        let v = try JSONValueDecoder.decode(ScoreHistoryView.self, from: answer)
        func score(_ s: Double?) -> String { s.map(NumberText.plain) ?? "" }
        func band(_ b: Band?) -> String { b?.rawValue ?? "" }
        Terminal.out("\(v.account) under \(v.rules) (\(v.rulesState)): \(score(v.current?.score)) "
                     + "\(band(v.current?.band)) on \(v.current.map(\.date.description) ?? ""); scored from \(v.firstDate)")
        let rows = [["DATE", "SCORE", "BAND"]] + v.points.map { [$0.date.description, score($0.score), band($0.band)] }
        Terminal.out("\n" + table(rows))
        if !v.bandChanges.isEmpty {
            Terminal.out("\nBAND CHANGES\n" + v.bandChanges.map { "\($0.date)  \(band($0.from)) → \(band($0.to))" }.joined(separator: "\n"))
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
        guard let answer = try await fetchView(address, path, printRaw: json) else { return }
        let v = try JSONValueDecoder.decode(ScoreExplanation.self, from: answer)
        Terminal.out(Self.page(v))
        guard events else { return }
        var lines: [String] = []
        for c in v.contributions.prefix(3) where !c.seqs.isEmpty && c.points != c.maxPoints {
            lines.append("\(c.signal):")
            for seq in c.seqs.suffix(3) {
                let reply = try await fetch(address, "/v1/events?after=\(seq - 1)&limit=1")
                guard let line = reply.text.split(separator: "\n").first, let e = try? JSONParser.parse(String(line)) else { continue }
                let data = e["data"].map { JSONWriter.string($0) } ?? ""
                lines.append("  seq \(seq)  \(shortTime(e["time"]))  \(text(e["type"]))  \(data.count > 100 ? data.prefix(99) + "…" : data)")
            }
        }
        if !lines.isEmpty { Terminal.out("\nTHE LATEST EVENTS BEHIND THE TOP REASONS\n" + lines.joined(separator: "\n")) }
    }

    static func page(_ v: ScoreExplanation) -> String {
        func number(_ d: Double?) -> String { d.map(NumberText.plain) ?? "" }
        var out = "\(v.account ?? "") at \(v.at.prefix(10)) under \(v.rules): \(number(v.score)) (\(v.band?.rawValue ?? ""))"
        if let o = v.override {
            out += "\noverride: \(o.band.rawValue) by \(o.author) since \(o.since.prefix(10))"
            if let expires = o.expires { out += " until \(expires)" }
            out += ": \(o.reason)"
            if o.disagrees { out += "\n  (the CSM disagrees with the rules)" }
        }
        if let c = v.capped {
            out += "\nheld in \(c.band.rawValue) by \(c.signal): its value \(number(c.value)) is below \(number(c.below)) "
                + "(the signals alone give \(number(c.uncappedScore)))"
        }
        let rows = [["SIGNAL", "POINTS", "REASON", "EVENTS (SEQS)"]] + v.contributions.map { c in
            let seqs = c.seqs.map(String.init)
            let shown = seqs.count > 6 ? seqs.prefix(6).joined(separator: ",") + ",… (\(seqs.count))" : seqs.joined(separator: ",")
            return [c.signal, "\(number(c.points))/\(number(c.maxPoints))", c.reason, shown]
        }
        out += "\n\n" + table(rows)
        if !v.neutral.isEmpty {
            out += "\n\nneutral (left out): " + v.neutral.map { "\($0.signal) (\($0.reason))" }.joined(separator: "; ")
        }
        return out
    }
}
