import Access
import Foundation
import Testing
import TestSupport
import ThroughlineCore

@Suite("Tokens and local accounts")
struct AccessStoreTests {
    @Test func aTokenSignsInUntilRevokedAndOnlyItsHashIsKept() throws {
        let dir = TempDir()
        let store = try AccessStore(directory: dir.path, passwordCost: 4)
        let (token, secret) = try store.createToken(name: "crm-sync", role: .producer, book: [], now: 1_000)
        #expect(secret.hasPrefix("tl_") && secret.count >= 40)
        #expect(try store.principal(token: secret) == Principal(kind: .token, name: "crm-sync", role: .producer))
        #expect(try store.principal(token: secret + "x") == nil)
        #expect(try store.hasPrincipals())
        // The file never holds the secret, in the database or its WAL.
        for file in try FileManager.default.contentsOfDirectory(atPath: dir.path) {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: dir.path + "/" + file))
            #expect(bytes.range(of: Data(secret.utf8)) == nil, "\(file) holds the token")
        }
        let revoked = try store.revokeToken("crm-sync", now: 2_000)
        #expect(revoked.id == token.id && revoked.revoked == 2_000)
        #expect(try store.principal(token: secret) == nil)
        #expect(try store.tokens().map(\.revoked) == [2_000])
        #expect(try !store.hasPrincipals())
        #expect(throws: AccessError.self) { try store.revokeToken("crm-sync", now: 3_000) }
    }

    @Test func twoTokensOfOneNameAreRevokedByID() throws {
        let dir = TempDir()
        let store = try AccessStore(directory: dir.path, passwordCost: 4)
        let (a, _) = try store.createToken(name: "etl", role: .viewer, book: [], now: 1)
        let (b, secretB) = try store.createToken(name: "etl", role: .viewer, book: [], now: 2)
        let error = #expect(throws: AccessError.self) { try store.revokeToken("etl", now: 3) }
        #expect(error?.description.contains("by its id") == true)
        _ = try store.revokeToken(a.id, now: 3)
        #expect(try store.principal(token: secretB)?.name == "etl")
        #expect(try store.tokens().first { $0.id == b.id }?.revoked == nil)
    }

    @Test func aPersonSignsInWithTheirPasswordOnly() throws {
        let dir = TempDir()
        let store = try AccessStore(directory: dir.path, passwordCost: 4)
        try store.setUser(name: "dana", role: .csm, book: ["Dana Reyes"], password: "correct horse battery", now: 1)
        #expect(try store.signIn(name: "dana", password: "correct horse battery") == Principal(kind: .user, name: "dana", role: .csm, book: ["Dana Reyes"]))
        #expect(try store.signIn(name: "DANA", password: "correct horse battery")?.name == "dana")
        #expect(try store.signIn(name: "dana", password: "correct horse batterY") == nil)
        #expect(try store.signIn(name: "nobody", password: "correct horse battery") == nil)
        #expect(throws: AccessError.self) { try store.setUser(name: "dana", role: .admin, book: [], password: "another password", now: 2) }
        try store.setPassword(name: "dana", password: "a new long password")
        #expect(try store.signIn(name: "dana", password: "correct horse battery") == nil)
        #expect(try store.signIn(name: "dana", password: "a new long password") != nil)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: AccessStore.path(in: dir.path)))
        #expect(bytes.range(of: Data("a new long password".utf8)) == nil)
        try store.removeUser("dana")
        #expect(try store.user("dana") == nil)
        #expect(try store.signIn(name: "dana", password: "a new long password") == nil)
    }

    @Test func badNamesPasswordsAndRolesAreRefusedWithTheReason() throws {
        let dir = TempDir()
        let store = try AccessStore(directory: dir.path, passwordCost: 4)
        #expect(throws: AccessError.self) { try store.setUser(name: "dana", role: .csm, book: [], password: "short", now: 1) }
        #expect(throws: AccessError.self) { try store.setUser(name: "da na", role: .csm, book: [], password: "long enough pw", now: 1) }
        #expect(throws: AccessError.self) { try store.createToken(name: "", role: .viewer, book: [], now: 1) }
        let error = #expect(throws: AccessError.self) { try Role(naming: "superuser") }
        #expect(error?.description == "role superuser is not one of producer, viewer, csm, ops, admin")
        #expect(try store.users().isEmpty && store.tokens().isEmpty)
    }

    @Test func rolesMayWhatTheTableSays() {
        #expect(Role.producer.may(.append) && !Role.producer.may(.read))
        #expect(Role.viewer.may(.read) && !Role.viewer.may(.annotate) && !Role.viewer.may(.append))
        #expect(Role.csm.may(.annotate) && !Role.csm.may(.operate))
        #expect(Role.ops.may(.operate) && !Role.ops.may(.administer) && !Role.ops.may(.annotate))
        #expect(Role.allCases.allSatisfy { Role.admin.may($0 == .admin ? .administer : .read) })
        let csm = Principal(kind: .user, name: "dana", role: .csm, book: ["Dana Reyes", "Sam Ortiz"])
        #expect(csm.mayAnnotate(accountCSM: "dana reyes") && csm.mayAnnotate(accountCSM: "Sam Ortiz"))
        #expect(!csm.mayAnnotate(accountCSM: "Lee Park") && !csm.mayAnnotate(accountCSM: nil))
        #expect(Principal(kind: .token, name: "x", role: .admin).mayAnnotate(accountCSM: nil))
    }
}
