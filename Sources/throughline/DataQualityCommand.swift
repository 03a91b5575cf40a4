import ArgumentParser
import ThroughlineClient
import ThroughlineCore

struct DataQualityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quality",
        abstract: "What keeps the shared picture from being whole, from the running server: unlinked references by system, identity events resolved by a rule, probable duplicate accounts, tickets that do not add up, events far from now, producers whose rejected share is rising.")

    @OptionGroup var data: DataOptions
    @OptionGroup var server: ServerAddressOptions
    @Flag(help: "Print the server's JSON instead of text.") var json = false

    func run() async throws {
        guard let body = try await fetchView(server.address(data: data), "/v1/data-quality", printRaw: json) else { return }
        let r: DataQualityReport
        do { r = try JSONValueDecoder.decode(DataQualityReport.self, from: body) } catch {
            throw CLIError("the server's answer is not a data-quality report: \(error)")
        }
        Terminal.out("as of \(r.asOf)")
        Terminal.out("unlinked references:" + (r.unlinked.isEmpty ? " none" : ""))
        if !r.unlinked.isEmpty {
            var rows = [["  SYSTEM", "REFERENCES", "EVENTS", "OLDEST"]]
            for s in r.unlinked { rows.append(["  " + s.system, String(s.references), String(s.events), s.oldest]) }
            Terminal.out(table(rows))
        }
        for (title, findings) in [("identity events resolved by a rule", r.identity), ("probable duplicates", r.probableDuplicates),
                                  ("tickets that do not add up", r.tickets), ("events far from now", r.outOfTime)] {
            Terminal.out("\(title):" + (findings.isEmpty ? " none" : ""))
            for f in findings { Terminal.out("  \(f.text) (seqs \(f.seqsText))") }
        }
        Terminal.out("producers whose rejected share is rising:" + (r.producers.isEmpty ? " none" : ""))
        for p in r.producers {
            Terminal.out("  \(p.text)")
            for e in p.examples { Terminal.out("    " + (e.id.map { "\($0): " } ?? "") + e.reason) }
        }
    }
}
