import ArgumentParser
import Foundation
import ThroughlineClient
import ThroughlineCore

struct ForgetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forget",
        abstract: "Forget a person (--contact) or a whole account (--account): their personal data reads as erased from now on, everywhere.",
        discussion: """
            Appends a subject.forgotten event through the running server (an admin's act: on the socket, or with an admin's \
            THROUGHLINE_TOKEN), which destroys the keys the subject's personal values are sealed with and folds the account \
            again. It cannot be undone.

            --contact ID (an email, an id, or a name only one person of the account has) forgets one person in every account \
            that knows them (or in --account only): their names, emails, ids and title, and every participant, requester, \
            mention or champion that names them, read as one erased name per person, so people stay told apart.

            --account alone forgets the whole account: also call summaries and transcripts, ticket subjects and comments, \
            survey comments, note text and override reasons read as "\(SealedRecord.erased)" in every view, page, export and \
            dump. The log still verifies, replays and scores as before.
            """)

    @OptionGroup var data: DataOptions
    @OptionGroup var server: ServerAddressOptions

    @Option(help: "The account to forget (with --contact: the one account to forget them in).")
    var account: String?

    @Option(help: "The person to forget: an email, an id, or a name only one person of the account has.")
    var contact: String?

    @Option(help: "A reference to the request (a ticket id), kept with the event; not personal.")
    var request: String?

    func validate() throws {
        guard account != nil || contact != nil else { throw ValidationError("name what to forget: --contact ID, --account ID, or both") }
    }

    func run() async throws {
        let address = try server.address(data: data)
        // Where the person is known, unless one account is named.
        var accounts = account.map { [$0] } ?? []
        if let contact, account == nil {
            let found = try parseJSON(try await fetch(address, "/v1/people?handle=\(percentEncoded(contact))"))
            accounts = (found["people"]?.array ?? []).compactMap { $0["account"]?.scalarText }
            guard !accounts.isEmpty else {
                Terminal.err("throughline: no account knows a person by \(contact) (an email, an id, or a name only one person has)")
                throw ExitCode(1)
            }
        }
        let (actor, now) = (localAdmin, Timestamp.utc(microseconds: WallClock.system.now()))
        let events = accounts.map { a in
            var data: [JSONMember] = []
            if let contact { data.append(JSONMember("person", .string(contact))) }
            if let request { data.append(JSONMember("request", .string(request))) }
            return Event(id: "forget-\(a)-\(UInt64.random(in: 0...UInt64.max))", account: a, type: .subjectForgotten, time: now, actor: actor, data: data)
        }
        let what = contact.map { "\($0) in \(accounts.joined(separator: ", "))" } ?? accounts[0]
        let seqs = try await appendThroughServer(address, events, failure: "\(what) was not forgotten")
        let last = seqs.max()!
        // Applied once the read models hold it: the keys are gone and the accounts folded again.
        _ = try await fetch(address, "/v1/accounts/\(percentEncoded(accounts[0]))/timeline?limit=1&min_seq=\(last)")
        let reads = contact == nil ? "its personal values read as \(SealedRecord.erased)" : "who they are reads as erased"
        Terminal.out("forgot \(what) at seq \(seqs.map(String.init).joined(separator: ", ")): \(reads) from now on")
    }
}
