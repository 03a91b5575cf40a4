import Foundation
import Testing
import TestSupport

@Suite("tokens and users commands")
struct AccessCommandTests {
    @Test("tokens create prints the token once; list shows it without the secret; revoke by name; bad roles are named")
    func tokens() async throws {
        let dir = TempDir()
        let created = try await CLI.run(["tokens", "create", "--data", dir.path, "--name", "crm-sync", "--role", "producer"])
        #expect(created.status == 0)
        let token = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(token.hasPrefix("tl_") && created.stderr.contains("shown this once"))
        let list = try await CLI.run(["tokens", "list", "--data", dir.path])
        #expect(list.stdout.contains("crm-sync\tproducer") && list.stdout.contains("active") && !list.stdout.contains(token))
        let revoked = try await CLI.run(["tokens", "revoke", "--data", dir.path, "crm-sync"])
        #expect(revoked.status == 0 && revoked.stderr.contains("revoked token"))
        #expect(try await CLI.run(["tokens", "list", "--data", dir.path]).stdout.contains("revoked 20"))
        let again = try await CLI.run(["tokens", "revoke", "--data", dir.path, "crm-sync"])
        #expect(again.status == 2 && again.stderr.contains("no active token"))
        let bad = try await CLI.run(["tokens", "create", "--data", dir.path, "--name", "x", "--role", "root"])
        #expect(bad.status == 2 && bad.stderr.contains("role root is not one of producer, viewer, csm, ops, admin"))
    }

    @Test("users add reads the password from standard input, refuses a short one, and lists people without passwords")
    func users() async throws {
        let dir = TempDir()
        let added = try await CLI.run(["users", "add", "--data", dir.path, "dana", "--role", "csm", "--book", "Dana Reyes"],
                                      input: Data("correct horse battery\n".utf8))
        #expect(added.status == 0, "\(added.stderr)")
        let short = try await CLI.run(["users", "add", "--data", dir.path, "sam", "--role", "viewer"], input: Data("short\n".utf8))
        #expect(short.status == 2 && short.stderr.contains("at least 10"))
        let proxyOnly = try await CLI.run(["users", "add", "--data", dir.path, "lee", "--role", "ops", "--no-password"])
        #expect(proxyOnly.status == 0)
        let list = try await CLI.run(["users", "list", "--data", dir.path])
        #expect(list.stdout.contains("dana\tcsm\tDana Reyes") && list.stdout.contains("lee\tops") && !list.stdout.contains("sam"))
        #expect(!list.stdout.contains("correct horse"))
        #expect(try await CLI.run(["users", "remove", "--data", dir.path, "dana"]).status == 0)
        #expect(try await CLI.run(["users", "remove", "--data", dir.path, "dana"]).status == 2)
    }
}
