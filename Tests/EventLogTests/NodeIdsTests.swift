import EventLog
import Foundation
import PostgresLog
import Testing
import TestSupport
import ThroughlineCore

/// A node of a log in PostgreSQL keeps its own index of the log's ids in its data directory: a
/// cache of the log, which must never let an id in twice, whatever happened while it was away.
@Suite struct NodeIdsTests {
    private func node(_ dir: TempDir, _ url: String) throws -> EventStore {
        try EventStore(directory: dir.path, holder: "test", log: try PostgresEventLog(try PostgresAddress(url), create: true))
    }

    @Test("A node back from a stop learns the ids other nodes stored meanwhile, and its files are made again for a store made anew at the same address")
    func catchesUpAndStartsOver() throws {
        let url = try PostgresServer.shared.freshDatabase()
        let (dirA, dirB) = (TempDir(), TempDir())
        do {
            let a = try node(dirA, url)
            #expect(try a.appendAndWait(EncodedBatch((1...10).map { note($0) })).last == AppendOutcome(.accepted, seq: 10))
            try a.close()
        }
        #expect(FileManager.default.fileExists(atPath: dirA.path + "/log-ids/part-0/ids.table"))
        do {
            let b = try node(dirB, url)
            let outcomes = try b.appendAndWait(EncodedBatch([note(3)] + (11...20).map { note($0) }))
            #expect(outcomes.first == AppendOutcome(.duplicate, seq: 3))
            #expect(outcomes.last == AppendOutcome(.accepted, seq: 20))
            try b.close()
        }
        let a = try node(dirA, url)
        let again = try a.appendAndWait(EncodedBatch([note(15), note(18, text: "other"), note(21)]))
        #expect(again == [AppendOutcome(.duplicate, seq: 15), AppendOutcome(.conflict, seq: 18), AppendOutcome(.accepted, seq: 21)])
        try a.close()

        // The same database emptied and a new log made in it, which another node fills past what
        // node A knew of the old one: A must learn the new log from its start.
        let database = String(url.split(separator: "@/")[1].split(separator: "?")[0])
        _ = try PostgresServer.shared.psql(database, """
            DROP TABLE throughline_store, throughline_head, throughline_block, throughline_key, throughline_erased, throughline_secret, throughline_applied
            """)
        do {
            let c = try node(TempDir(), url)
            // Its second block starts right after the 21 ids node A knew of the old log.
            _ = try c.appendAndWait(EncodedBatch((100...120).map { note($0) }))
            _ = try c.appendAndWait(EncodedBatch((121..<130).map { note($0) }))
            try c.close()
        }
        let fresh = try node(dirA, url)
        let anew = try fresh.appendAndWait(EncodedBatch([note(105), note(15), note(129)]))
        #expect(anew == [AppendOutcome(.duplicate, seq: 6), AppendOutcome(.accepted, seq: 31), AppendOutcome(.duplicate, seq: 30)])
        try fresh.close()
    }

    @Test("A node whose id files are damaged makes them again from the log and still refuses no new id and admits no old one twice")
    func damagedFiles() throws {
        let url = try PostgresServer.shared.freshDatabase()
        let dir = TempDir()
        do {
            let a = try node(dir, url)
            _ = try a.appendAndWait(EncodedBatch((1...50).map { note($0) }))
            try a.close()
        }
        let table = dir.path + "/log-ids/part-0/ids.table"
        let f = try #require(FileHandle(forWritingAtPath: table))
        try f.write(contentsOf: Data(repeating: 0xAB, count: 64))
        try f.close()
        let a = try node(dir, url)
        let outcomes = try a.appendAndWait(EncodedBatch([note(7), note(51), note(50)]))
        #expect(outcomes == [AppendOutcome(.duplicate, seq: 7), AppendOutcome(.accepted, seq: 51), AppendOutcome(.duplicate, seq: 50)])
        try a.close()
    }
}
