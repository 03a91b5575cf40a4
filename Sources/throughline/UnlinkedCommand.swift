import ArgumentParser
import ThroughlineClient
import ThroughlineCore

struct UnlinkedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unlinked",
        abstract: "List the references no account is linked to yet, from the running server.",
        discussion: """
            Events that name their account by another system's reference (account_ref) are stored as sent. Until an \
            identity.linked event links the reference to an account, they are listed here with their count and the times \
            of the oldest and newest. When the link comes, they join the account from their own times.
            """)

    @OptionGroup var data: DataOptions
    @OptionGroup var server: ServerAddressOptions
    @Flag(help: "Print the server's JSON instead of a table.") var json = false

    func run() async throws {
        guard let body = try await fetchView(server.address(data: data), "/v1/unlinked", printRaw: json) else { return }
        let list: UnlinkedReferences
        do { list = try JSONValueDecoder.decode(UnlinkedReferences.self, from: body) } catch {
            throw CLIError("the server's answer is not a list of unlinked references: \(error)")
        }
        guard !list.references.isEmpty else { return Terminal.out("every reference is linked to an account") }
        var rows = [["SYSTEM", "REFERENCE", "EVENTS", "OLDEST", "NEWEST"]]
        for r in list.references { rows.append([r.system, r.id, String(r.events), r.oldest, r.newest]) }
        Terminal.out(table(rows))
    }
}
