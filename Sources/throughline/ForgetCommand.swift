import ArgumentParser
import Foundation
import ThroughlineClient
import ThroughlineCore

struct ForgetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forget",
        abstract: "Forget an account's personal data: what its people wrote and said reads as erased from now on, everywhere.",
        discussion: """
            Appends a subject.forgotten event through the running server (an admin's act: on the socket, or with an admin's \
            THROUGHLINE_TOKEN), which destroys the keys the account's personal values are sealed with (its own, and those of \
            the references linked to it) and folds it again. Call summaries and transcripts, ticket subjects and comments, \
            survey comments, note text and override reasons then read as "\(SealedRecord.erased)" in every view, page, export \
            and dump, while the log still verifies, replays and scores as before. It cannot be undone.
            """)

    @OptionGroup var data: DataOptions
    @OptionGroup var server: ServerAddressOptions

    @Option(help: "The account to forget.")
    var account: String

    @Option(help: "A reference to the request (a ticket id), kept with the event; not personal.")
    var request: String?

    func run() async throws {
        let address = try server.address(data: data)
        var data: [JSONMember] = []
        if let request { data.append(JSONMember("request", .string(request))) }
        let actor = ProcessInfo.processInfo.environment["USER"].map { "admin:" + $0 } ?? "admin:local"
        let event: JSONValue = .object([
            JSONMember("id", .string("forget-\(account)-\(UInt64.random(in: 0...UInt64.max))")), JSONMember("account", .string(account)),
            JSONMember("type", .string(EventType.subjectForgotten.rawValue)),
            JSONMember("time", .string(Timestamp.utc(microseconds: Int64(Date().timeIntervalSince1970 * 1_000_000)).description)),
            JSONMember("actor", .string(actor)), JSONMember("data", .object(data)),
        ])
        let reply: HTTPReply
        do {
            reply = try await HTTPConnection.request(address, "POST", "/v1/events", headers: [("Content-Type", "application/x-ndjson")],
                                                     body: Array(JSONWriter.string(event).utf8))
        } catch {
            Terminal.err("throughline: cannot reach the server at \(address): \(error)")
            throw ExitCode(2)
        }
        let answer = try? parseJSON(reply)
        guard reply.status == 200, let result = answer?["results"]?.array?.first, let seq = result["seq"]?.scalarText else {
            let why = answer?["results"]?.array?.first?["error"]?.scalarText ?? reply.errorMessage
            Terminal.err("throughline: \(account) was not forgotten: \(why)")
            throw ExitCode(2)
        }
        // Applied once the read models hold it: its keys are gone and the account folded again.
        _ = try await fetch(address, "/v1/accounts/\(percentEncoded(account))/timeline?limit=1&min_seq=\(seq)")
        Terminal.out("forgot \(account) at seq \(seq): its personal values read as \(SealedRecord.erased) from now on")
    }
}
