import EventLog
import Foundation
@testable import Projections
import Scoring
import Testing
import TestSupport
import ThroughlineCore

/// A replay regroups the log by account in spill files: one per reader, each part in stretches,
/// each entry naming its account by a number the reader gives it within the part.
@Suite("Spill files")
struct SpillTests {
    /// A store of generated events, and each seq's account.
    static func store(_ dir: TempDir) throws -> (EventStore, [UInt64: String]) {
        let store = try EventStore(directory: dir.path, holder: "test")
        let lines = generatedLines(accounts: 9, days: 120, seed: 11)
        _ = try store.appendAndWait(EncodedBatch(try lines.map { try EventDecoder.encode(Array($0.utf8)) }))
        var accounts: [UInt64: String] = [:]
        try store.snapshot().forEachView { view in
            accounts[view.seq] = view.account
            return true
        }
        return (store, accounts)
    }

    /// Each part's entries: the seq and the account each names.
    static func entries(_ parts: AccountPartitions) throws -> [[(seq: UInt64, account: String)]] {
        try parts.parts.map { part in
            var names: [String] = [], out: [(seq: UInt64, account: String)] = []
            try AccountPartitions.forEachEntry(in: part, account: { names.append(String(decoding: $0, as: UTF8.self)) }, whole: { i, view in
                out.append((view.seq, names[i]))
            }, folded: { i, r in
                var peek = r
                _ = try peek.u8()
                out.append((try peek.varint(), names[i]))
                var h = AccountHistory(account: names[i])
                try h.add(folded: &r, features: parts.features)
            })
            return out
        }
    }

    @Test("Every record comes back once, in its account's part, in seq order, naming its account, however small the stretches")
    func entriesComeBack() throws {
        let dir = TempDir()
        let (store, accounts) = try Self.store(dir)
        defer { try? store.close() }
        for (readers, buffer) in [(1, 128 << 10), (2, 4096), (3, 300)] {
            let parts = try AccountPartitions(hashing: store.snapshot(), directory: dir.path + "/spill", eventsPerPart: accounts.count / 4,
                                              readers: readers, buffer: buffer)
            defer { parts.remove() }
            // One file per reader, whatever the number of parts.
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path + "/spill").count == readers)
            #expect(parts.parts.count == 4)
            if buffer == 300 { #expect(parts.parts.allSatisfy { $0.stretches.count > 2 * readers }) }
            let entries = try Self.entries(parts)
            #expect(entries.map(\.count) == parts.parts.map(\.events))
            #expect(entries.flatMap { $0.map(\.seq) }.sorted() == Array(1...UInt64(accounts.count)))
            for part in entries {
                #expect(part.map(\.seq) == part.map(\.seq).sorted())
                #expect(part.allSatisfy { accounts[$0.seq] == $0.account })
            }
            // An account's records are all in one part.
            let partOf = entries.enumerated().flatMap { p, e in e.map { ($0.account, p) } }
            #expect(Dictionary(grouping: partOf, by: \.0).values.allSatisfy { Set($0.map(\.1)).count == 1 })
        }
    }

    @Test("A damaged spill file is an error naming the file and the stretch, not a wrong history")
    func damagedSpill() throws {
        let dir = TempDir()
        let (store, accounts) = try Self.store(dir)
        defer { try? store.close() }
        for (offset, byte, problem) in [(0, UInt8(7), "unknown tag 7"), (1, 0x04, "names account 2 of 0"), (1, 0x05, "numbered 2, not 0")] {
            let parts = try AccountPartitions(hashing: store.snapshot(), directory: dir.path + "/spill", eventsPerPart: accounts.count,
                                              readers: 1, buffer: 1000)
            defer { parts.remove() }
            let file = dir.path + "/spill/spill-0"
            let handle = try #require(FileHandle(forUpdatingAtPath: file))
            try handle.seek(toOffset: UInt64(offset))
            try handle.write(contentsOf: [byte])
            try handle.close()
            let error = try #require(throws: ReadModelError.self) { try Self.entries(parts) }
            #expect("\(error)".contains(file) && "\(error)".contains("stretch at byte 0") && "\(error)".contains(problem), "\(error)")
        }
    }
}
