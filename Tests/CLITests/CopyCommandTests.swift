import Foundation
import Testing
import TestSupport

/// `copy` between a data directory and PostgreSQL, and the commands that read a log there.
@Suite("throughline copy and --log postgres://")
struct CopyCommandTests {
    /// A store imported from generated data in which the CRM describes half the accounts' people
    /// (so that it holds sealed values and their keys).
    func importedStore(_ dir: TempDir) throws -> String {
        let store = dir.path + "/a"
        let lines = generatedLines(accounts: 30, days: 120, seed: 5, peopleShare: 0.5).joined(separator: "\n")
        let imported = try CLI.run(["import", "--data", store, "--batch-size", "700", "-"], input: Data(lines.utf8))
        #expect(imported.status == 0, "\(imported.stderr)")
        return store
    }

    @Test("A store copied to PostgreSQL and back keeps every seq, id, record, recorded stamp and key: dump prints the same bytes at every end")
    func roundTrip() throws {
        let dir = TempDir()
        let store = try importedStore(dir)
        let url = try PostgresServer.shared.freshDatabase()
        let original = try CLI.run(["dump", "--data", store])
        #expect(original.status == 0 && original.stdout.contains("@"), "the dump shows people's emails opened with their keys")

        let there = try CLI.run(["copy", "--from", store, "--to", url])
        #expect(there.status == 0 && there.stdout.contains("copied"), "\(there.stderr)")
        let events = original.stdout.split(separator: "\n").count
        let verified = try CLI.run(["verify", "--log", url])
        #expect(verified.status == 0 && verified.stdout.contains("ok: 1 partitions") && verified.stdout.contains("\(grouped(events)) events"),
                "\(verified.stdout)\(verified.stderr)")
        #expect(try CLI.run(["dump", "--log", url]).stdout == original.stdout)
        #expect(try CLI.run(["dump", "--log", url, "--from", "100", "--limit", "5"]).stdout
                == (try CLI.run(["dump", "--data", store, "--from", "100", "--limit", "5"])).stdout)
        let stats = try CLI.run(["stats", "--log", url])
        #expect(stats.status == 0 && stats.stdout.contains("events          \(grouped(events))") && stats.stdout.contains("kept in"), "\(stats.stdout)")

        let back = dir.path + "/b"
        #expect(try CLI.run(["copy", "--from", url, "--to", back]).status == 0)
        #expect(try CLI.run(["verify", "--data", back]).status == 0)
        #expect(try CLI.run(["dump", "--data", back]).stdout == original.stdout)

        // Neither end is written over.
        let again = try CLI.run(["copy", "--from", store, "--to", url])
        #expect(again.status == 1 && again.stderr.contains("holds \(events) events already"), "\(again.stderr)")
        let over = try CLI.run(["copy", "--from", url, "--to", back])
        #expect(over.status == 1 && over.stderr.contains("already holds a log"), "\(over.stderr)")
        // The copy back is a whole store: it takes appends, and an id sent again is a duplicate.
        let first = generatedLines(accounts: 30, days: 120, seed: 5, peopleShare: 0.5)[0]
        let reimport = try CLI.run(["import", "--data", back, "-"], input: Data(first.utf8))
        #expect(reimport.status == 0 && (reimport.stdout + reimport.stderr).contains("1 duplicate,"), "\(reimport.stdout)\(reimport.stderr)")
    }

    @Test("A damaged block in PostgreSQL is named by partition and seq by verify and by every reader")
    func damage() throws {
        let dir = TempDir()
        let store = try importedStore(dir)
        let url = try PostgresServer.shared.freshDatabase()
        #expect(try CLI.run(["copy", "--from", store, "--to", url]).status == 0)
        let database = String(url.components(separatedBy: "@/")[1].split(separator: "?")[0])
        _ = try PostgresServer.shared.psql(database, """
            UPDATE throughline_block SET block = overlay(block placing '\\xabcd'::bytea from 60 for 2) WHERE first_seq = 1
            """)
        let bad = try CLI.run(["verify", "--log", url])
        #expect(bad.status == 1 && bad.stderr.contains("partition 0, the block at seq 1: block CRC-32C mismatch"), "\(bad.stderr)")
        let dump = try CLI.run(["dump", "--log", url])
        #expect(dump.status == 2 && dump.stderr.contains("the block at seq 1 of partition 0 is damaged"), "\(dump.stderr)")
    }

    @Test("A malformed URL, an unreachable server and a database without a log each get an error that names them")
    func badPlaces() throws {
        let noName = try CLI.run(["verify", "--log", "postgres://postgres@/"])
        #expect(noName.status == 2 && noName.stderr.contains("no database name"), "\(noName.stderr)")
        let nowhere = try CLI.run(["dump", "--log", "postgres://postgres:secret@/db?host=/nonexistent"])
        #expect(nowhere.status == 2 && nowhere.stderr.contains("cannot be reached") && !nowhere.stderr.contains("secret"), "\(nowhere.stderr)")
        let empty = try CLI.run(["stats", "--log", try PostgresServer.shared.freshDatabase()])
        #expect(empty.status == 2 && empty.stderr.contains("holds no Throughline log"), "\(empty.stderr)")
    }

    func grouped(_ n: Int) -> String {
        let f = NumberFormatter()
        f.numberStyle = .decimal
        f.groupingSeparator = ","
        return f.string(from: NSNumber(value: n))!
    }
}
