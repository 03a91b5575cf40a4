import Access
import Foundation
import GRDB
import Testing
import TestSupport

@Suite("The audit trail")
struct AuditTrailTests {
    @Test("Entries are read back newest first by account and by principal, paged with before; queued ones land on flush")
    func readBack() throws {
        let dir = TempDir()
        let trail = try AuditTrail(directory: dir.path)
        try trail.append([
            .init(time: 1, principal: "token:etl", action: "read", request: "GET /v1/accounts/acme/timeline", account: "acme", status: 200, address: "127.0.0.1"),
            .init(time: 2, principal: "user:dana", action: "annotate", request: "POST /accounts/acme/events", account: "acme", status: 303, address: "127.0.0.1"),
        ])
        trail.record(.init(time: 3, principal: "user:dana", action: "read", request: "GET /accounts/globex", account: "globex", status: 200, address: "10.0.0.7"))
        #expect(try trail.entries(.init()).count == 2)
        #expect(try trail.flush() == 1)
        var byAccount = AuditTrail.Filter()
        byAccount.account = "acme"
        #expect(try trail.entries(byAccount).map(\.time) == [2, 1])
        var byPrincipal = AuditTrail.Filter()
        byPrincipal.principal = "user:dana"
        byPrincipal.limit = 1
        let first = try trail.entries(byPrincipal)
        #expect(first.map(\.time) == [3])
        byPrincipal.before = first[0].seq
        #expect(try trail.entries(byPrincipal).map(\.account) == ["acme"])
    }

    @Test("The trail cannot be changed or shortened, even by a program that opens its file")
    func appendOnly() throws {
        let dir = TempDir()
        let trail = try AuditTrail(directory: dir.path)
        try trail.append([.init(time: 1, principal: "token:etl", action: "read", request: "GET /v1/accounts", status: 200, address: "socket")])
        let db = try DatabaseQueue(path: AuditTrail.path(in: dir.path))
        #expect(throws: DatabaseError.self) { try db.write { try $0.execute(sql: "DELETE FROM audit") } }
        #expect(throws: DatabaseError.self) { try db.write { try $0.execute(sql: "UPDATE audit SET principal = 'nobody'") } }
        #expect(try trail.entries(.init()).map(\.principal) == ["token:etl"])
    }
}
