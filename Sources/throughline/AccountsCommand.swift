import ArgumentParser
import ThroughlineClient
import ThroughlineCore

struct AccountsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accounts",
        abstract: "List accounts (the portfolio) from the running server, filtered and sorted.")

    @OptionGroup var data: DataOptions
    @OptionGroup var server: ServerAddressOptions

    @Option(help: "active (the default: not churned), churned or all.") var status: String?
    @Option(help: "Only this CSM's accounts.") var csm: String?
    @Option(help: "Only this plan.") var plan: String?
    @Option(help: "Only accounts in these health bands, comma-separated (red, yellow, green).") var band: String?
    @Option(help: "Only accounts renewing within this many days.") var renewalWithin: Int?
    @Option(help: "Only accounts raising this attention flag (\(ContextView.Flag.allCases.map(\.rawValue).joined(separator: ", "))).")
    var flag: String?
    @Option(help: "Sort by renewal, arr, last_contact, score, account, name, csm, plan or band (worst first).") var sort = "renewal"
    @Flag(help: "Sort descending.") var desc = false
    @Option(help: "Accounts per page (1–500).") var limit = 50
    @Option(help: "Skip this many (the next_offset of a previous page).") var offset = 0
    @Option(help: "Measure renewal windows and flags as of this time (default now).") var at: String?
    @Flag(help: "Print the server's JSON instead of a table.") var json = false

    func run() async throws {
        let query = queryString([("sort", sort), ("limit", String(limit)), ("offset", String(offset)), ("order", desc ? "desc" : nil),
                                 ("status", status), ("csm", csm), ("plan", plan), ("band", band), ("flag", flag), ("at", at), ("renewal_within", renewalWithin.map(String.init))])
        guard let body = try await fetchView(server.address(data: data), "/v1/accounts" + query, printRaw: json) else { return }
        let page: PortfolioView
        do { page = try JSONValueDecoder.decode(PortfolioView.self, from: body) } catch {
            throw CLIError("the server's answer is not a portfolio page: \(error)")
        }
        let churned = page.accounts.contains { $0.churned != nil }
        var rows: [[String]] = [["ACCOUNT", "NAME", "SCORE", "BAND", "PLAN", "CSM", "ARR", "RENEWAL", "LAST CONTACT"]
            + (churned ? ["CHURNED"] : []) + (flag == nil ? [] : ["FLAGS"])]
        for a in page.accounts {
            var row = [a.account, a.name ?? "", a.score.map(NumberText.plain) ?? "", a.band?.rawValue ?? "", a.plan ?? "", a.csm ?? "",
                       a.arr.map(NumberText.plain) ?? "", a.renewalDate ?? "", String((a.lastHumanContact ?? "").prefix(10))]
            if churned { row.append(a.churned ?? "") }
            if flag != nil, let flags = a.flags { row.append(flags.map(\.message).joined(separator: "; ")) }
            rows.append(row)
        }
        Terminal.out(table(rows))
        if let next = page.nextOffset { Terminal.out("more: --offset \(next)") }
    }
}
