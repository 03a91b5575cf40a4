import Access
import ArgumentParser
import Foundation
import ThroughlineCore

/// `throughline tokens create|list|revoke`: the API's bearer tokens, in the store's access file.
struct TokensCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens",
        abstract: "Create, list and revoke the bearer tokens API clients use over TCP.",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a token and print it once (the store keeps only its hash).")
        @OptionGroup var data: DataOptions
        @Option(help: "What the token is for (a service's name); the audit trail and the logs name it.") var name: String
        @Option(help: "producer, viewer, csm, ops or admin (see the roles table in the README).") var role: String
        @Option(help: ArgumentHelp("For a csm token: a CSM name whose accounts are its book (repeat for more).", valueName: "CSM"))
        var book: [String] = []

        func run() throws {
            try AccessCommand.run {
                let store = try AccessStore(directory: data.directory)
                let (token, secret) = try store.createToken(name: name, role: try Role(naming: role), book: book, now: WallClock.system.now())
                try AccessCommand.audit(data, "token.created")
                Terminal.out(secret)
                Terminal.err("token \(token.id) (\(token.name), \(token.role.rawValue)): shown this once; send it as `Authorization: Bearer TOKEN`")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the tokens (never their secrets), revoked ones with when.")
        @OptionGroup var data: DataOptions

        func run() throws {
            try AccessCommand.run {
                let tokens = try AccessStore(directory: data.directory).tokens()
                if tokens.isEmpty { Terminal.err("no tokens yet (`throughline tokens create --name NAME --role ROLE`)") }
                for t in tokens {
                    let revoked = t.revoked.map { "revoked \(Timestamp.utc(microseconds: $0))" } ?? "active"
                    Terminal.out("\(t.id)\t\(t.name)\t\(t.role.rawValue)\t\(t.book.joined(separator: ", "))\tcreated \(Timestamp.utc(microseconds: t.created))\t\(revoked)")
                }
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token by its id or name; a running server refuses it from its next request.")
        @OptionGroup var data: DataOptions
        @Argument(help: "The token's id or name (see `throughline tokens list`).") var token: String

        func run() throws {
            try AccessCommand.run {
                let t = try AccessStore(directory: data.directory).revokeToken(token, now: WallClock.system.now())
                try AccessCommand.audit(data, "token.revoked")
                Terminal.err("revoked token \(t.id) (\(t.name), \(t.role.rawValue))")
            }
        }
    }
}

/// `throughline users add|list|password|remove`: local accounts people sign in to the pages with.
struct UsersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "Local accounts for signing in to the pages (passwords kept as bcrypt hashes).",
        discussion: "A password is read from standard input (its first line), so it is never on a command line.",
        subcommands: [Add.self, List.self, Password.self, Remove.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a person; their password is read from standard input (unless --no-password).")
        @OptionGroup var data: DataOptions
        @Argument(help: "The name they sign in with.") var name: String
        @Option(help: "producer, viewer, csm, ops or admin (see the roles table in the README).") var role: String
        @Option(help: ArgumentHelp("A CSM name (the profile's csm field) whose accounts are their book; repeat for a team. Default for "
                                   + "a csm: none, so name it.", valueName: "CSM"))
        var book: [String] = []
        @Flag(help: "No password: they sign in only through a trusted reverse proxy (serve --proxy-user-header).")
        var noPassword = false

        func run() throws {
            try AccessCommand.run {
                let store = try AccessStore(directory: data.directory)
                try store.setUser(name: name, role: try Role(naming: role), book: book, password: noPassword ? nil : try AccessCommand.password(),
                                  now: WallClock.system.now())
                try AccessCommand.audit(data, "user.added")
                Terminal.err("added \(name) (\(role))")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the local accounts.")
        @OptionGroup var data: DataOptions

        func run() throws {
            try AccessCommand.run {
                for u in try AccessStore(directory: data.directory).users() {
                    Terminal.out("\(u.name)\t\(u.role.rawValue)\t\(u.book.joined(separator: ", "))\tadded \(Timestamp.utc(microseconds: u.created))")
                }
            }
        }
    }

    struct Password: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a new password (read from standard input).")
        @OptionGroup var data: DataOptions
        @Argument var name: String

        func run() throws {
            try AccessCommand.run {
                try AccessStore(directory: data.directory).setPassword(name: name, password: try AccessCommand.password())
                try AccessCommand.audit(data, "user.password")
                Terminal.err("set a new password for \(name)")
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a person; their sessions end at their next request.")
        @OptionGroup var data: DataOptions
        @Argument var name: String

        func run() throws {
            try AccessCommand.run {
                try AccessStore(directory: data.directory).removeUser(name)
                try AccessCommand.audit(data, "user.removed")
                Terminal.err("removed \(name)")
            }
        }
    }
}

enum AccessCommand {
    /// Runs `body`; an access error is printed and exits 2.
    static func run(_ body: () throws -> Void) throws {
        do { try body() } catch let error as AccessError {
            Terminal.err("throughline: \(error)")
            throw ExitCode(2)
        }
    }

    /// Records in the store's audit trail that the user running this command did `action`, with
    /// the command line (which never holds a secret: passwords come on standard input).
    static func audit(_ data: DataOptions, _ action: String) throws(AccessError) {
        let line = (["throughline"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
        try AuditTrail(directory: data.directory).append([AuditTrail.Entry(time: WallClock.system.now(), principal: LocalUser.current, action: action,
                                                                           request: line, status: 0, address: "command")])
    }

    /// Records `action` for a command that reads a store (replay, rules fit), when there is one;
    /// a trail that cannot be written is said, and the command goes on.
    static func auditRead(_ data: DataOptions, _ action: String) {
        guard FileManager.default.fileExists(atPath: data.directory + "/log") else { return }
        do { try audit(data, action) } catch { Terminal.err("throughline: warning: \(error)") }
    }

    /// The first line of standard input.
    static func password() throws(AccessError) -> String {
        guard let line = readLine(strippingNewline: true) else { throw AccessError("no password on standard input") }
        return line
    }
}

/// `throughline audit`: the audit trail, newest first, read from the store's `audit.sqlite`
/// (the server writes it as it answers; this reads it beside a running server).
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "Who did what: the audit trail, newest first.")
    @OptionGroup var data: DataOptions
    @Option(help: "Only what concerned this account.") var account: String?
    @Option(help: "Only what this principal did (token:NAME, user:NAME, proxy:NAME, local:USER).") var principal: String?
    @Option(help: "At most this many entries.") var limit = 100

    func run() throws {
        try AccessCommand.run {
            guard FileManager.default.fileExists(atPath: AuditTrail.path(in: data.directory)) else {
                Terminal.err("no audit trail at \(data.directory) yet")
                return
            }
            var f = AuditTrail.Filter()
            (f.account, f.principal, f.limit) = (account, principal, limit)
            for e in try AuditTrail(directory: data.directory).entries(f) {
                Terminal.out("\(e.seq)\t\(Timestamp.utc(microseconds: e.time))\t\(e.principal)\t\(e.action)\t\(e.request)\t\(e.account ?? "-")\t\(e.status)\t\(e.address)")
            }
        }
    }
}
